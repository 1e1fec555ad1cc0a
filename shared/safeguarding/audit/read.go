package audit

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// ActionRead is the action of a reading of the audit trail, itself audited (rule P4).
const ActionRead = "audit.read"

// Store is the storage port of the reading.
type Store interface {
	// AuditTrail reads the viewer's profile and one page of a school's audit entries that q
	// asks for, newest first, with the position after it ("" when there is no more). An
	// unreadable q.Cursor is a ValidationError on "cursor".
	AuditTrail(ctx context.Context, viewer string, school safeguarding.SchoolID, q Query) (safeguarding.Principal, []safeguarding.AuditEntry, string, error)
	// AuditNames reads, in one round trip, the concerns, the pupils and the people that
	// entries name; absent ones are left out.
	AuditNames(ctx context.Context, school safeguarding.SchoolID, cs []safeguarding.ConcernID, pupils []safeguarding.PupilID, people []string) (Names, error)
	// Audit saves one audit entry, never over another.
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
}

// Names are what the entries of a page name, as the store found them.
type Names struct {
	Concerns map[safeguarding.ConcernID]concerns.Concern
	Pupils   map[safeguarding.PupilID]safeguarding.Pupil
	People   map[string]string // email -> name
}

// Trail is the use case.
type Trail struct {
	Store Store
	NewID func(time.Time) string
}

// Line is one entry as a reader sees it, in plain words.
type Line struct {
	At time.Time
	// Actor is who the entry names (an email, or a job as "system:<job>"); Who their name, or
	// the job in words, or the actor when the product does not know them.
	Actor, Who string
	// Action is the entry's own action; What says it in plain words.
	Action, What string
	// On is what was read or written ("Concern BL-0042", "The dashboard").
	On string
	// Pupils are the names of the pupils the entry touched, the first NamedPupils of them;
	// MorePupils how many more it touched.
	Pupils     []string
	MorePupils int
}

// Page is one page of a reading.
type Page struct {
	Lines []Line
	// Next is the cursor of the next page, "" when this is the last.
	Next string
	// From and To are the dates read, both included (school-local midnights).
	From, To time.Time
}

// NamedPupils is how many of an entry's pupils a line names.
const NamedPupils = 3

// CanRead says who reads a school's audit trail: its Senior DSL and its DSLs (rule P4).
func CanRead(p safeguarding.Principal, school safeguarding.SchoolID) bool {
	return safeguarding.AccessFor(p, school).Audit
}

// Read is a page of the school's audit trail for a DSL or the Senior DSL, newest first. An
// entry about a concern (or its files, actions and case work) that the reader may not see
// under rule C5 is left out, so a page may hold fewer lines than PageSize. The reading is
// audited, with its filter, before it is returned (P4).
func (t Trail) Read(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, f Filter) (Page, error) {
	q, err := f.Check(who.At)
	if err != nil {
		return Page{}, err
	}
	p, entries, next, err := t.Store.AuditTrail(ctx, who.Email, school, q)
	if err != nil {
		return Page{}, err
	}
	if !CanRead(p, school) {
		return Page{}, safeguarding.ErrForbidden
	}
	var cs []safeguarding.ConcernID
	var pupils []safeguarding.PupilID
	var people []string
	for _, e := range entries {
		if c, ok := ConcernOf(e); ok && !slices.Contains(cs, c) {
			cs = append(cs, c)
		}
		for _, pu := range e.Pupils[:min(len(e.Pupils), NamedPupils)] {
			if !slices.Contains(pupils, pu) {
				pupils = append(pupils, pu)
			}
		}
		if !IsJob(e.Actor) && !slices.Contains(people, e.Actor) {
			people = append(people, e.Actor)
		}
	}
	if q.Pupil != "" && !slices.Contains(pupils, q.Pupil) {
		pupils = append(pupils, q.Pupil)
	}
	names := Names{}
	if len(entries) > 0 {
		if names, err = t.Store.AuditNames(ctx, school, cs, pupils, people); err != nil {
			return Page{}, err
		}
	}
	page := Page{Next: next, From: q.From, To: q.To.AddDate(0, 0, -1)}
	for _, e := range entries {
		if Shows(p, e, names.Concerns) {
			page.Lines = append(page.Lines, describe(e, names))
		}
	}
	err = t.Store.Audit(ctx, safeguarding.AuditEntry{ID: t.NewID(who.At), School: school, Actor: who.Email, Action: ActionRead,
		Subject: readSubject(q), Pupils: pupilsOf(q), At: who.At, Source: who.Source})
	return page, err
}

// Shows is rule C5 for the audit trail: an entry tied to a concern (the concern itself, its
// files, its actions and case work) is shown only to whoever may see that concern's case work,
// so the DSL a concern is about never sees who read or changed it, while the Senior DSL it is
// routed to does. An entry naming a concern that cannot be found is not shown.
func Shows(p safeguarding.Principal, e safeguarding.AuditEntry, cs map[safeguarding.ConcernID]concerns.Concern) bool {
	id, ok := ConcernOf(e)
	if !ok {
		return true
	}
	c, found := cs[id]
	return found && c.CanSeeCaseWork(p)
}

// ConcernOf is the concern an entry's subject ties it to: "concern/<id>", its files
// ("concern/<id>/attachment/<file>") and its actions ("action/<concern>-A<n>").
func ConcernOf(e safeguarding.AuditEntry) (safeguarding.ConcernID, bool) {
	kind, rest, _ := strings.Cut(e.Subject, "/")
	switch kind {
	case "concern":
		id, _, _ := strings.Cut(rest, "/")
		return safeguarding.ConcernID(id), id != ""
	case "action":
		c, _, ok := casework.ParseActionID(casework.ActionID(rest))
		return c, ok
	}
	return "", false
}

// readSubject names the reading and its filter: "audit?from=...&to=..." (P4: what was read).
func readSubject(q Query) string {
	v := url.Values{}
	v.Set("from", q.From.Format(time.DateOnly))
	v.Set("to", q.To.AddDate(0, 0, -1).Format(time.DateOnly))
	if q.Pupil != "" {
		v.Set("pupil", string(q.Pupil))
	}
	if q.Person != "" {
		v.Set("person", q.Person)
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	return "audit?" + v.Encode()
}

// pupilsOf: a reading by pupil is about that pupil's record, and is found by it.
func pupilsOf(q Query) []safeguarding.PupilID {
	if q.Pupil == "" {
		return nil
	}
	return []safeguarding.PupilID{q.Pupil}
}
