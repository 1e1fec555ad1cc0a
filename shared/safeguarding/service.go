package safeguarding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// concernReloader is what answering a repeated command on a concern needs of a store.
type concernReloader interface {
	PriorRequest(ctx context.Context, key RequestKey) (PriorRequest, error)
	LoadAmending(ctx context.Context, viewer string, school SchoolID, id ConcernID, key RequestKey) (Amending, error)
}

// reloadConcern answers a repeated command on a concern with the concern as it is now.
func ReloadConcern(ctx context.Context, st concernReloader, who Caller, school SchoolID, id ConcernID) func(PriorRequest) (Concern, error) {
	return func(PriorRequest) (Concern, error) {
		c, err := st.LoadAmending(ctx, who.Email, school, id, RequestKey{})
		return c.Concern, err
	}
}

// ErrDuplicateRequest: a store refused a write because its idempotency key was already taken.
var ErrDuplicateRequest = errors.New("duplicate request")

// RequestKey scopes an Idempotency-Key to the person and school that sent it. An empty Key
// means the client sent none.
type RequestKey struct {
	School SchoolID
	Actor  string
	Key    string
}

// PriorRequest is what a store remembers of a request that carried an idempotency key.
type PriorRequest struct {
	Fingerprint string
	Receipt     Receipt
}

// Receipt is what a write returns, first time and on every replay: the id of the record it
// made and, for a concern, its reference and lateness (rule C3).
type Receipt struct {
	ID          string
	Reference   string
	RecordedAt  time.Time
	Late        bool
	MinutesLate int
	// Version is the version a change made, for a record kept as versions (contact details).
	Version int
}

// Recording is what the rules need to check a new concern, loaded in one round trip.
type Recording struct {
	Author Principal
	School School
	// Catalogue is the school's own (rule C2).
	Catalogue Catalogue
	Pupils    map[PupilID]Pupil
	Prior     *PriorRequest
}

// Amending is what a command on a concern needs, read together (a correction, the reporter
// asking what happened): who asks, the school and its catalogue (rule C2), the concern and any
// earlier request with the key.
type Amending struct {
	Viewer    Principal
	School    School
	Catalogue Catalogue
	Concern   Concern
	Prior     *PriorRequest
}

// ConcernWrite is everything one new concern commits, together or not at all.
type ConcernWrite struct {
	Concern Concern
	Entries []ChronologyEntry
	Audit   AuditEntry
	Alerts  []Alert
	Request *RequestRecord
}

// RequestRecord is saved with a write that carried an idempotency key.
type RequestRecord struct {
	Key         RequestKey
	Fingerprint string
	Receipt     Receipt
}

// ConcernStore is the storage port the concern use cases need.
type ConcernStore interface {
	// LoadRecording reads the author, the school, the named pupils and any earlier request
	// with the same key. A missing author or school is ErrForbidden; missing pupils are absent.
	LoadRecording(ctx context.Context, author string, school SchoolID, pupils []PupilID, key RequestKey) (Recording, error)
	// SaveConcern commits the write in one transaction; ErrDuplicateRequest if key was taken.
	SaveConcern(ctx context.Context, w ConcernWrite) error
	// PriorRequest reads a request record, waiting briefly for one being committed.
	PriorRequest(ctx context.Context, key RequestKey) (PriorRequest, error)
	// ConcernFor reads the viewer and a concern; ErrNotFound if there is no such concern.
	ConcernFor(ctx context.Context, viewer string, school SchoolID, id ConcernID) (Principal, Concern, error)
	// ChronologyFor reads the viewer, the pupil and every entry of the pupil's chronology.
	ChronologyFor(ctx context.Context, viewer string, school SchoolID, pupil PupilID) (Principal, Pupil, []ChronologyEntry, error)
	// Audit saves one audit entry.
	Audit(ctx context.Context, e AuditEntry) error
	School(ctx context.Context, id SchoolID) (School, error)
	// LoadAmending reads the viewer, the school, its catalogue, a concern and any earlier
	// request with the key; ErrNotFound if there is no such concern.
	LoadAmending(ctx context.Context, viewer string, school SchoolID, id ConcernID, key RequestKey) (Amending, error)
	// SaveAmendment saves the next revision on the condition that the concern's version is
	// PrevVersion (ErrConflict).
	SaveAmendment(ctx context.Context, w AmendmentWrite) error
	// Revisions reads the viewer, the concern and every revision of it, oldest first.
	Revisions(ctx context.Context, viewer string, school SchoolID, id ConcernID) (Principal, Concern, []Revision, error)
	// AuditConcernRead saves a concern read's audit entry and marks it read by the reader;
	// with a note, it also records the first DSL's opening and emails the reporter (D7), on the
	// condition that no DSL opened it first (ErrConflict).
	AuditConcernRead(ctx context.Context, e AuditEntry, id ConcernID, opened *StatusNote) error
	// SaveNotice saves an audit entry with alerts that are sent at most once (their ids).
	SaveNotice(ctx context.Context, e AuditEntry, alerts []Alert) error
	// RecentConcerns reads the viewer, a school's newest concerns and which the viewer has read.
	RecentConcerns(ctx context.Context, viewer string, school SchoolID, limit int) (Principal, []Concern, map[ConcernID]bool, error)
}

// DashboardRow is one concern on the dashboard.
type DashboardRow struct {
	Concern Concern
	Read    bool
}

// DashboardSize is how many recent concerns the dashboard looks at.
const DashboardSize = 100

// Dashboard lists the school's recent concerns the caller may see (P2, C5): high priority on
// top, then newest first, each marked read or unread by the caller; lateness (C3) is on each.
func (s Concerns) Dashboard(ctx context.Context, who Caller, school SchoolID) ([]DashboardRow, error) {
	p, concerns, read, err := s.Store.RecentConcerns(ctx, who.Email, school, DashboardSize)
	if err != nil {
		return nil, err
	}
	var rows []DashboardRow
	var listed []PupilID
	for _, c := range concerns {
		if c.CanView(p) {
			rows = append(rows, DashboardRow{Concern: c, Read: read[c.id] || c.authorEmail == who.Email})
			listed = append(listed, PupilIDs(c.pupils)...)
		}
	}
	err = s.Store.Audit(ctx, AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "dashboard.read",
		Subject: "dashboard", Pupils: listed, At: who.At, Source: who.Source})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(rows, func(a, b DashboardRow) int {
		if a.Concern.highPriority != b.Concern.highPriority {
			if a.Concern.highPriority {
				return -1
			}
			return 1
		}
		return b.Concern.recordedAt.Compare(a.Concern.recordedAt)
	})
	return rows, nil
}

// AmendmentWrite is everything an amendment commits, together or not at all.
type AmendmentWrite struct {
	Concern     Concern
	PrevVersion int
	Entries     []ChronologyEntry
	Audit       AuditEntry
	Request     *RequestRecord
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
func (s Concerns) Amend(ctx context.Context, who Caller, school SchoolID, id ConcernID, version int, a Amendment, key RequestKey, fingerprint string) (Concern, error) {
	c, err := s.Store.LoadAmending(ctx, who.Email, school, id, key)
	if err != nil {
		return Concern{}, err
	}
	if c.Prior != nil {
		return Replayed(*c.Prior, fingerprint, func(PriorRequest) (Concern, error) { return c.Concern, nil })
	}
	if !c.Concern.CanView(c.Viewer) {
		return Concern{}, ErrNotFound
	}
	con := c.Concern
	if version != con.version {
		return Concern{}, fmt.Errorf("amending version %d of a concern now at %d: %w", version, con.version, ErrConflict)
	}
	if err := con.Amend(c.Viewer, a, CatalogueOr(c.Catalogue, s.Catalogue), who.At); err != nil {
		return Concern{}, err
	}
	w := AmendmentWrite{Concern: con, PrevVersion: version, At: who.At, Entries: AmendmentEntries(con, s.NewID(who.At)),
		Audit: AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditConcernAmended,
			Subject: "concern/" + string(id), Pupils: PupilIDs(con.pupils), At: who.At, Source: who.Source}}
	if key.Key != "" {
		w.Request = &RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: Receipt{ID: string(id)}}
	}
	return SavedOnce(ctx, s.Store, key, fingerprint, con, s.Store.SaveAmendment(ctx, w), ReloadConcern(ctx, s.Store, who, school, id))
}

// Revisions returns every revision of a concern the caller may see, oldest first, and audits
// the read (P4).
func (s Concerns) Revisions(ctx context.Context, who Caller, school SchoolID, id ConcernID) (Concern, []Revision, error) {
	p, c, revs, err := s.Store.Revisions(ctx, who.Email, school, id)
	if err != nil {
		return Concern{}, nil, err
	}
	if !c.CanView(p) {
		return Concern{}, nil, ErrNotFound
	}
	err = s.Store.Audit(ctx, AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditRevisionsRead,
		Subject: "concern/" + string(id), Pupils: PupilIDs(c.pupils), At: who.At, Source: who.Source})
	if err != nil {
		return Concern{}, nil, err
	}
	return c, revs, nil
}

// Concerns holds the concern use cases.
type Concerns struct {
	Store     ConcernStore
	Catalogue Catalogue
	Calendar  Calendar
	// NewID returns a new unique, time-ordered id.
	NewID func(at time.Time) string
}

// Caller is who asks, when, from where: the facts every use case takes from the event.
type Caller struct {
	Email  string
	At     time.Time
	Source string
}

// Record records a new concern (rules C1-C5, S2, S6, P4): the concern, a chronology entry per
// pupil, its audit entry, its alerts and the idempotency record commit in one transaction.
// The same key with the same fingerprint returns the first receipt; with another fingerprint,
// ErrIdempotencyMismatch.
func (s Concerns) Record(ctx context.Context, who Caller, school SchoolID, in NewConcern, key RequestKey, fingerprint string) (Receipt, error) {
	var ids []PupilID
	for _, p := range in.LinkedPupils() {
		ids = append(ids, p.ID)
	}
	rec, err := s.Store.LoadRecording(ctx, who.Email, school, ids, key)
	if err != nil {
		return Receipt{}, err
	}
	if rec.Prior != nil {
		return Replayed(*rec.Prior, fingerprint, receiptOf)
	}
	c, err := RecordConcern(ConcernID(s.NewID(who.At)), in, rec.Author, rec.School, rec.Pupils, CatalogueOr(rec.Catalogue, s.Catalogue), s.Calendar, who.At)
	if err != nil {
		return Receipt{}, err
	}
	receipt := Receipt{ID: string(c.id), Reference: c.reference, RecordedAt: c.recordedAt, Late: c.late, MinutesLate: c.minutesLate}
	w := ConcernWrite{
		Concern: c,
		Entries: ConcernEntries(c),
		Alerts:  ConcernAlerts(c, rec.School),
		Audit: AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditConcernRecorded,
			Subject: "concern/" + string(c.id), Pupils: PupilIDs(c.pupils), At: who.At, Source: who.Source},
	}
	if key.Key != "" {
		w.Request = &RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: receipt}
	}
	return SavedOnce(ctx, s.Store, key, fingerprint, receipt, s.Store.SaveConcern(ctx, w), receiptOf)
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
func (s Concerns) Concern(ctx context.Context, who Caller, school SchoolID, id ConcernID) (Concern, error) {
	p, c, err := s.Store.ConcernFor(ctx, who.Email, school, id)
	if err != nil {
		return Concern{}, err
	}
	if !p.IsMember(school) {
		return Concern{}, ErrForbidden
	}
	if c.school != school || !c.CanView(p) {
		return Concern{}, ErrNotFound
	}
	return AuditRead(ctx, s.Store, s.NewID, who, p, c, func() (School, error) { return s.Store.School(ctx, school) })
}

// Chronology returns the entries of a pupil's chronology the caller may see (P2), in date
// order, and audits the read (P4).
func (s Concerns) Chronology(ctx context.Context, who Caller, school SchoolID, pupil PupilID) (Pupil, []ChronologyEntry, error) {
	p, pu, entries, err := s.Store.ChronologyFor(ctx, who.Email, school, pupil)
	if err != nil {
		return Pupil{}, nil, err
	}
	if !p.IsMember(school) {
		return Pupil{}, nil, ErrForbidden
	}
	err = s.Store.Audit(ctx, AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditChronologyRead,
		Subject: "pupil/" + string(pupil), Pupils: []PupilID{pupil}, At: who.At, Source: who.Source})
	if err != nil {
		return Pupil{}, nil, err
	}
	return pu, Visible(entries, p), nil
}

func PupilIDs(ls []LinkedPupil) []PupilID {
	out := make([]PupilID, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}
