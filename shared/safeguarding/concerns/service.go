package concerns

import (
	"context"
	"fmt"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Audit actions.
const (
	AuditConcernRecorded = "concern.recorded"
	AuditConcernRead     = "concern.read"
	AuditChronologyRead  = "chronology.read"
)

// concernReloader is what answering a repeated command on a concern needs of a store.
type concernReloader interface {
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
	LoadAmending(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID, key safeguarding.RequestKey) (Amending, error)
}

// reloadConcern answers a repeated command on a concern with the concern as it is now.
func ReloadConcern(ctx context.Context, st concernReloader, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID) func(safeguarding.PriorRequest) (Concern, error) {
	return func(safeguarding.PriorRequest) (Concern, error) {
		c, err := st.LoadAmending(ctx, who.Email, school, id, safeguarding.RequestKey{})
		return c.Concern, err
	}
}

// Recording is what the rules need to check a new concern, loaded in one round trip.
type Recording struct {
	Author safeguarding.Principal
	School safeguarding.School
	// Catalogue is the school's own (rule C2).
	Catalogue Catalogue
	Pupils    map[safeguarding.PupilID]safeguarding.Pupil
	Prior     *safeguarding.PriorRequest
	// Calendar is the school's own (its terms, holidays and INSET days), for rules C3 and D1.
	Calendar safeguarding.SchoolCalendar
}

// Amending is what a command on a concern needs, read together (a correction, the reporter
// asking what happened): who asks, the school and its catalogue (rule C2), the concern and any
// earlier request with the key.
type Amending struct {
	Viewer    safeguarding.Principal
	School    safeguarding.School
	Catalogue Catalogue
	Concern   Concern
	Prior     *safeguarding.PriorRequest
}

// ConcernWrite is everything one new concern commits, together or not at all: with the
// concern, its due item of rule D1 (Concern.ResponseDueItem).
type ConcernWrite struct {
	Concern Concern
	Entries []safeguarding.ChronologyEntry
	Audit   safeguarding.AuditEntry
	Alerts  []safeguarding.Alert
	Request *safeguarding.RequestRecord
	// FirstRecords are the pupils of whom this concern is the first record: the store puts
	// them on the retention list's index (rule S7).
	FirstRecords []safeguarding.PupilID
}

// ConcernStore is the storage port the concern use cases need.
type ConcernStore interface {
	// LoadRecording reads the author, the school, the named pupils and any earlier request
	// with the same key. A missing author or school is ErrForbidden; missing pupils are absent.
	LoadRecording(ctx context.Context, author string, school safeguarding.SchoolID, pupils []safeguarding.PupilID, key safeguarding.RequestKey) (Recording, error)
	// SaveConcern commits the write in one transaction; ErrDuplicateRequest if key was taken.
	SaveConcern(ctx context.Context, w ConcernWrite) error
	// PriorRequest reads a request record, waiting briefly for one being committed.
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
	// ConcernFor reads the viewer and a concern; ErrNotFound if there is no such concern.
	ConcernFor(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID) (safeguarding.Principal, Concern, error)
	// ChronologyFor reads the viewer, the pupil and every entry of the pupil's chronology.
	ChronologyFor(ctx context.Context, viewer string, school safeguarding.SchoolID, pupil safeguarding.PupilID) (safeguarding.Principal, safeguarding.Pupil, []safeguarding.ChronologyEntry, error)
	// Audit saves one audit entry.
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
	School(ctx context.Context, id safeguarding.SchoolID) (safeguarding.School, error)
	// LoadAmending reads the viewer, the school, its catalogue, a concern and any earlier
	// request with the key; ErrNotFound if there is no such concern.
	LoadAmending(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID, key safeguarding.RequestKey) (Amending, error)
	// SaveAmendment saves the next revision on the condition that the concern's version is
	// PrevVersion (ErrConflict).
	SaveAmendment(ctx context.Context, w AmendmentWrite) error
	// Revisions reads the viewer, the concern and every revision of it, oldest first.
	Revisions(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID) (safeguarding.Principal, Concern, []Revision, error)
	// AuditConcernRead saves a concern read's audit entry and marks it read by the reader;
	// with a note, it also records the first DSL's opening and emails the reporter (D7), on the
	// condition that no DSL opened it first (ErrConflict).
	AuditConcernRead(ctx context.Context, e safeguarding.AuditEntry, id safeguarding.ConcernID, opened *StatusNote) error
	// SaveNotice saves an audit entry with alerts that are sent at most once (their ids).
	SaveNotice(ctx context.Context, e safeguarding.AuditEntry, alerts []safeguarding.Alert) error
	// DashboardReader reads the pages of the dashboard, of the concerns a person raised or was
	// tagged in, and of those routed to governors.
	DashboardReader
}

// DashboardRow is one concern on the dashboard.
type DashboardRow struct {
	Concern Concern
	Read    bool
	// ActionDueAt is when the DSLs' first action on the concern is due (rule D1), for a viewer
	// who may see its case work while no DSL has acted on it; zero otherwise. Overdue: it passed.
	ActionDueAt time.Time
	Overdue     bool
}

// AmendmentWrite is everything an amendment commits, together or not at all.
type AmendmentWrite struct {
	Concern     Concern
	PrevVersion int
	Entries     []safeguarding.ChronologyEntry
	Audit       safeguarding.AuditEntry
	Request     *safeguarding.RequestRecord
	At          time.Time
}

// Audit actions of amendments.
const (
	AuditConcernAmended = "concern.amended"
	AuditRevisionsRead  = "concern.revisions.read"
)

// Amend corrects a concern (rule P4): the author or a DSL, with a reason, against the version
// they read (a stale one is ErrConflict, 409). The correction is a new revision; the earlier
// ones stay, and each pupil's chronology shows an amendment entry.
func (s Concerns) Amend(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID, version int, a Amendment, key safeguarding.RequestKey, fingerprint string) (Concern, error) {
	c, err := s.Store.LoadAmending(ctx, who.Email, school, id, key)
	if err != nil {
		return Concern{}, err
	}
	if c.Prior != nil {
		return safeguarding.Replayed(*c.Prior, fingerprint, func(safeguarding.PriorRequest) (Concern, error) { return c.Concern, nil })
	}
	if !c.Concern.CanView(c.Viewer) {
		return Concern{}, safeguarding.ErrNotFound
	}
	con := c.Concern
	if version != con.version {
		return Concern{}, fmt.Errorf("amending version %d of a concern now at %d: %w", version, con.version, safeguarding.ErrConflict)
	}
	if err := con.Amend(c.Viewer, a, CatalogueOr(c.Catalogue, s.Catalogue), who.At); err != nil {
		return Concern{}, err
	}
	w := AmendmentWrite{Concern: con, PrevVersion: version, At: who.At, Entries: AmendmentEntries(con, s.NewID(who.At)),
		Audit: safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditConcernAmended,
			Subject: "concern/" + string(id), Pupils: safeguarding.PupilIDs(con.pupils), At: who.At, Source: who.Source}}
	if key.Key != "" {
		w.Request = &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: safeguarding.Receipt{ID: string(id)}}
	}
	return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, con, s.Store.SaveAmendment(ctx, w), ReloadConcern(ctx, s.Store, who, school, id))
}

// Revisions returns every revision of a concern the caller may see, oldest first, and audits
// the read (P4).
func (s Concerns) Revisions(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID) (Concern, []Revision, error) {
	p, c, revs, err := s.Store.Revisions(ctx, who.Email, school, id)
	if err != nil {
		return Concern{}, nil, err
	}
	if !c.CanView(p) {
		return Concern{}, nil, safeguarding.ErrNotFound
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditRevisionsRead,
		Subject: "concern/" + string(id), Pupils: safeguarding.PupilIDs(c.pupils), At: who.At, Source: who.Source})
	if err != nil {
		return Concern{}, nil, err
	}
	return c, revs, nil
}

// Concerns holds the concern use cases.
type Concerns struct {
	Store     ConcernStore
	Catalogue Catalogue
	// Calendar is the bank holidays under every school's own calendar.
	Calendar safeguarding.Calendar
	// NewID returns a new unique, time-ordered id.
	NewID func(at time.Time) string
}

// Record records a new concern (rules C1-C5, S2, S6, P4): the concern, a chronology entry per
// pupil, its audit entry, its alerts and the idempotency record commit in one transaction.
// The same key with the same fingerprint returns the first receipt; with another fingerprint,
// ErrIdempotencyMismatch.
func (s Concerns) Record(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, in NewConcern, key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error) {
	var ids []safeguarding.PupilID
	for _, p := range in.LinkedPupils() {
		ids = append(ids, p.ID)
	}
	rec, err := s.Store.LoadRecording(ctx, who.Email, school, ids, key)
	if err != nil {
		return safeguarding.Receipt{}, err
	}
	if rec.Prior != nil {
		return safeguarding.Replayed(*rec.Prior, fingerprint, safeguarding.ReceiptOf)
	}
	cal := rec.Calendar
	cal.School, cal.BankHolidays = school, s.Calendar
	c, err := RecordConcern(safeguarding.ConcernID(s.NewID(who.At)), in, rec.Author, rec.School, rec.Pupils, CatalogueOr(rec.Catalogue, s.Catalogue), cal, who.At)
	if err != nil {
		return safeguarding.Receipt{}, err
	}
	receipt := safeguarding.Receipt{ID: string(c.id), Reference: c.reference, RecordedAt: c.recordedAt, Late: c.late, MinutesLate: c.minutesLate}
	alerts := ConcernAlerts(c, rec.School)
	if n := ConcernItems(len(c.pupils), len(alerts), c.IndexItems()); n > TransactionItems {
		field := "pupilIds"
		if len(in.Pupils) > 0 {
			field = "pupils"
		}
		fit := max(1, (TransactionItems-ConcernItems(0, len(alerts), c.IndexItems()))/2)
		return safeguarding.Receipt{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: field,
			Message: fmt.Sprintf("with the %d alerts this concern sends, at most %d pupils fit in one record: name fewer pupils", len(alerts), fit)}}}
	}
	w := ConcernWrite{
		Concern: c,
		Entries: ConcernEntries(c),
		Alerts:  alerts,
		Audit: safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditConcernRecorded,
			Subject: "concern/" + string(c.id), Pupils: safeguarding.PupilIDs(c.pupils), At: who.At, Source: who.Source},
	}
	if key.Key != "" {
		w.Request = &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: receipt}
	}
	for _, p := range c.pupils {
		if !rec.Pupils[p.ID].HasRecords {
			w.FirstRecords = append(w.FirstRecords, p.ID)
		}
	}
	return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, receipt, s.Store.SaveConcern(ctx, w), safeguarding.ReceiptOf)
}

// catalogueOr is the school's catalogue, or the default when the store gave none.
func CatalogueOr(school, def Catalogue) Catalogue {
	if len(school) > 0 {
		return school
	}
	return def
}

// Concern returns a concern the caller may see (P2, C5) and audits the read (P4). A concern
// the caller may not see is ErrNotFound, the same as one that does not exist.
func (s Concerns) Concern(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID) (Concern, error) {
	p, c, err := s.Store.ConcernFor(ctx, who.Email, school, id)
	if err != nil {
		return Concern{}, err
	}
	if !p.IsMember(school) {
		return Concern{}, safeguarding.ErrForbidden
	}
	if c.school != school || !c.CanView(p) {
		return Concern{}, safeguarding.ErrNotFound
	}
	return AuditRead(ctx, s.Store, s.NewID, who, p, c, func() (safeguarding.School, error) { return s.Store.School(ctx, school) })
}

// Chronology returns the entries of a pupil's chronology the caller may see (P2), in date
// order, and audits the read (P4).
func (s Concerns) Chronology(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID) (safeguarding.Pupil, []safeguarding.ChronologyEntry, error) {
	p, pu, entries, err := s.Store.ChronologyFor(ctx, who.Email, school, pupil)
	if err != nil {
		return safeguarding.Pupil{}, nil, err
	}
	if !p.IsMember(school) {
		return safeguarding.Pupil{}, nil, safeguarding.ErrForbidden
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditChronologyRead,
		Subject: "pupil/" + string(pupil), Pupils: []safeguarding.PupilID{pupil}, At: who.At, Source: who.Source})
	if err != nil {
		return safeguarding.Pupil{}, nil, err
	}
	return pu, safeguarding.Visible(entries, p), nil
}
