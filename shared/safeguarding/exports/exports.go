package exports

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Audit actions: one entry for each production.
const (
	AuditChronologyPDF = "chronology.downloaded-as-pdf"
	AuditExported      = "record.exported"
	// AuditExportedNamed is an export in which the DSL chose to name the other pupils of the
	// pupil's concerns.
	AuditExportedNamed = "record.exported-naming-other-pupils"
	// AuditReviewed is a DSL reading what an export would release, before releasing it.
	AuditReviewed = "record.export-reviewed"
)

// AnotherPupil is how an export names a pupil other than its own (a third party), unless the
// DSL chooses to name them.
const AnotherPupil = "another pupil"

// ConcernFile is everything held on one concern: the concern, every version of its content,
// its case work and its files.
type ConcernFile struct {
	Concern     concerns.Concern
	Revisions   []concerns.Revision
	Actions     []casework.Action
	Attachments []concerns.Attachment
}

// Held is everything the store holds about a pupil, before anything is hidden: who asks, the
// school, the pupil, their chronology, each concern it names and the other pupils of those
// concerns.
type Held struct {
	Viewer   safeguarding.Principal
	School   safeguarding.School
	Pupil    safeguarding.Pupil
	Entries  []safeguarding.ChronologyEntry
	Concerns []ConcernFile
	Pupils   map[safeguarding.PupilID]safeguarding.Pupil
}

// Store is the storage port of the exports.
type Store interface {
	// HeldAbout reads everything held about a pupil. A viewer who is not a member of the school
	// is ErrForbidden; a pupil the school does not have, ErrNotFound. Once it has read the
	// viewer, it reads the rest only if admit lets them (its error is returned).
	HeldAbout(ctx context.Context, viewer string, school safeguarding.SchoolID, pupil safeguarding.PupilID, admit func(safeguarding.Principal) error) (Held, error)
	// StaffNames reads the names of the people with these emails; one it does not know is absent.
	StaffNames(ctx context.Context, emails []string) (map[string]string, error)
	// Audit saves one audit entry.
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
}

// Exports holds the export use cases.
type Exports struct {
	Store Store
	// NewID returns a new unique, time-ordered id.
	NewID func(at time.Time) string
}

// Mention is a pupil as a concern names them in an export: the export's own pupil by name, any
// other as AnotherPupil unless the DSL chose to name them.
type Mention struct {
	Name string
	Role safeguarding.PupilRole
	// Self says that this is the export's own pupil.
	Self bool
}

// ConcernRecord is one concern as produced: its pupils as the export names them, every version,
// and its case work (the actions, with their notes and outcomes, and the case's decisions) and
// files.
type ConcernRecord struct {
	Concern   concerns.Concern
	Pupils    []Mention
	Revisions []concerns.Revision
	Actions   []casework.Action
	Decisions []concerns.CaseEvent
	// Files are the concern's checked files, oldest first.
	Files []concerns.Attachment
}

// Record is what a production holds about a pupil.
type Record struct {
	School safeguarding.School
	Pupil  safeguarding.Pupil
	// By is the name of who produced it, At when.
	By string
	At time.Time
	// Entries are the chronology's entries, oldest first.
	Entries []safeguarding.ChronologyEntry
	// Concerns are the concerns of the chronology, oldest first.
	Concerns []ConcernRecord
	// Contacts are the contact log: the entries of the family's contact and visits.
	Contacts []safeguarding.ChronologyEntry
	// NamesOtherPupils says that the DSL chose to name the other pupils.
	NamesOtherPupils bool
	// names are the staff's names by email.
	names map[string]string
}

// Name is the name of a member of staff, or their email where the product has no name.
func (r Record) Name(email string) string {
	if n := r.names[email]; n != "" {
		return n
	}
	return email
}

// Files are every file listed in the record, concern by concern.
func (r Record) Files() []concerns.Attachment {
	var out []concerns.Attachment
	for _, c := range r.Concerns {
		out = append(out, c.Files...)
	}
	return out
}

// Options are the DSL's choices for an export.
type Options struct {
	// NameOtherPupils names the other pupils of the pupil's concerns instead of AnotherPupil.
	NameOtherPupils bool
}

// Chronology produces a pupil's chronology to print (D10), and audits it (P4).
func (s Exports) Chronology(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID) (Record, error) {
	return s.produce(ctx, who, school, pupil, Options{}, AuditChronologyPDF)
}

// Export produces everything held about a pupil (D10), for a subject access request or a
// court, and audits it (P4), saying when the DSL chose to name the other pupils.
func (s Exports) Export(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, o Options) (Record, error) {
	action := AuditExported
	if o.NameOtherPupils {
		action = AuditExportedNamed
	}
	return s.produce(ctx, who, school, pupil, o, action)
}

// Review is what an export with these options would release, for the DSL to read before they
// release it; the reading is audited (P4) as a review, not as an export.
func (s Exports) Review(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, o Options) (Record, error) {
	return s.produce(ctx, who, school, pupil, o, AuditReviewed)
}

// MayProduce is who may take a pupil's record off the screen (D10): the school's DSLs and its
// Senior DSL. Anyone else of the school is ErrForbidden.
func MayProduce(p safeguarding.Principal, school safeguarding.SchoolID) error {
	if !p.IsMember(school) || !p.IsDSL(school) {
		return safeguarding.ErrForbidden
	}
	return nil
}

func (s Exports) produce(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, o Options, action string) (Record, error) {
	h, err := s.Store.HeldAbout(ctx, who.Email, school, pupil, func(p safeguarding.Principal) error { return MayProduce(p, school) })
	if err != nil {
		return Record{}, err
	}
	r := Build(h, o, who.At)
	people := map[string]bool{}
	for _, c := range r.Concerns {
		for _, v := range c.Revisions {
			people[v.By] = true
		}
		for _, a := range c.Actions {
			people[a.Assignee()], people[a.CreatedBy()] = true, true
			for _, e := range a.History() {
				people[e.By] = true
			}
		}
		for _, d := range c.Decisions {
			people[d.By] = true
		}
		for _, f := range c.Files {
			people[f.UploadedBy()] = true
		}
	}
	delete(people, "")
	if len(people) > 0 {
		emails := make([]string, 0, len(people))
		for e := range people {
			emails = append(emails, e)
		}
		slices.Sort(emails)
		if r.names, err = s.Store.StaffNames(ctx, emails); err != nil {
			return Record{}, err
		}
	}
	audited := []safeguarding.PupilID{pupil}
	if o.NameOtherPupils {
		for _, c := range r.Concerns {
			for _, p := range c.Concern.Pupils() {
				if !slices.Contains(audited, p.ID) {
					audited = append(audited, p.ID)
				}
			}
		}
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: action,
		Subject: "pupil/" + string(pupil), Pupils: audited, At: who.At, Source: who.Source})
	if err != nil {
		return Record{}, err
	}
	return r, nil
}

// contactLog are the entry types of a family's contact and visits.
var contactLog = []safeguarding.EntryType{safeguarding.EntryContact, safeguarding.EntryVisit, safeguarding.EntryMissing,
	safeguarding.EntryContactRestored, safeguarding.EntryLANotification}

// Build makes the record of what is held as its viewer may see it (P2, C5, D7), produced at at:
// the entries and concerns in date order, each concern with every version, its case work and
// its checked files, the other pupils named only when o says so.
func Build(h Held, o Options, at time.Time) Record {
	p := h.Viewer
	r := Record{School: h.School, Pupil: h.Pupil, By: p.Name, At: at, NamesOtherPupils: o.NameOtherPupils}
	if r.By == "" {
		r.By = p.Email
	}
	r.Entries = safeguarding.Visible(h.Entries, p)
	for i, e := range r.Entries {
		// An entry of case work names its action by the concern's id ("<id>-A1"): a reader
		// gets the concern's reference instead.
		if e.ConcernID != "" && e.Reference != "" {
			r.Entries[i].Summary = strings.ReplaceAll(e.Summary, string(e.ConcernID), e.Reference)
		}
	}
	slices.SortStableFunc(r.Entries, func(a, b safeguarding.ChronologyEntry) int { return a.At.Compare(b.At) })
	for _, e := range r.Entries {
		if slices.Contains(contactLog, e.Type) || (e.Type == safeguarding.EntryDecision && e.ConcernID == "") {
			r.Contacts = append(r.Contacts, e)
		}
	}
	for _, f := range h.Concerns {
		c := f.Concern
		if !c.CanView(p) {
			continue
		}
		cr := ConcernRecord{Concern: c, Revisions: slices.Clone(f.Revisions)}
		if len(cr.Revisions) == 0 {
			cr.Revisions = []concerns.Revision{c.Revision()}
		}
		slices.SortStableFunc(cr.Revisions, func(a, b concerns.Revision) int { return a.Number - b.Number })
		for _, lp := range c.Pupils() {
			m := Mention{Name: AnotherPupil, Role: lp.Role, Self: lp.ID == h.Pupil.ID}
			switch {
			case m.Self:
				m.Name = h.Pupil.Name
			case o.NameOtherPupils && h.Pupils[lp.ID].Name != "":
				m.Name = h.Pupils[lp.ID].Name
			}
			cr.Pupils = append(cr.Pupils, m)
		}
		if c.CanSeeCaseWork(p) {
			cr.Actions = slices.Clone(f.Actions)
			slices.SortStableFunc(cr.Actions, func(a, b casework.Action) int { return a.CreatedAt().Compare(b.CreatedAt()) })
			cr.Decisions = c.CaseEvents()
		}
		for _, a := range f.Attachments {
			if a.Status() == concerns.AttachmentVerified {
				cr.Files = append(cr.Files, a)
			}
		}
		slices.SortStableFunc(cr.Files, func(a, b concerns.Attachment) int { return a.At().Compare(b.At()) })
		r.Concerns = append(r.Concerns, cr)
	}
	slices.SortStableFunc(r.Concerns, func(a, b ConcernRecord) int {
		return a.Concern.RecordedAt().Compare(b.Concern.RecordedAt())
	})
	return r
}
