package visits

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// VisitPlanning is what planning a visit (or lifting a family's block) needs, read in one
// round trip: who asks, the school, the family (nil when the school has no such family), its
// visit block and any earlier request with the same key.
type VisitPlanning struct {
	Viewer safeguarding.Principal
	School safeguarding.School
	Family *contact.Family
	Block  VisitBlock
	Prior  *safeguarding.PriorRequest
}

// VisitCase is a visit with what a change to it needs, read in one round trip.
type VisitCase struct {
	Viewer safeguarding.Principal
	School safeguarding.School
	Visit  Visit
	Prior  *safeguarding.PriorRequest
	// Calendar is the school's own, for the due time of a concern raised on the visit (D1).
	Calendar safeguarding.SchoolCalendar
}

// VisitWrite is everything one command on a visit commits, together or not at all.
type VisitWrite struct {
	Visit Visit
	// PrevVersion is the version read (0 for a new visit): the save is conditioned on it.
	PrevVersion int
	// OpenDue: the visit started, its due items go on the deadline engine.
	OpenDue bool
	// Close are due items taken off the ladder, as read: each is conditioned on its step, so
	// a check-out knows exactly which alarms went out.
	Close []safeguarding.DueItem
	// Move are due items put on a new due time (the observations of V6 at the check-out), each
	// conditioned on the step read (Was, same order).
	Move, Was []safeguarding.DueItem
	// Concern is a concern the command raises (V5), with its entries and alerts below.
	Concern *concerns.Concern
	// Block is a block the command puts on the family's visits (V3), added to its history
	// whatever the block's version (blocking twice is harmless).
	Block *BlockEvent
	// RequireUnblocked makes the write fail with ErrVisitsBlocked if the family is blocked.
	RequireUnblocked bool
	Entries          []safeguarding.ChronologyEntry
	Audit            safeguarding.AuditEntry
	Alerts           []safeguarding.Alert
	Request          *safeguarding.RequestRecord
	At               time.Time
}

// BlockWrite is the lift of a family's visit block, with its entries and audit entry.
type BlockWrite struct {
	Block       VisitBlock
	PrevVersion int
	Entries     []safeguarding.ChronologyEntry
	Audit       safeguarding.AuditEntry
	Request     *safeguarding.RequestRecord
	At          time.Time
}

// VisitStore is the storage port of home visits.
type VisitStore interface {
	// LoadVisitPlan reads the viewer, the school, the family, its visit block and any earlier
	// request with the key. A viewer who is not a member of the school is ErrForbidden.
	LoadVisitPlan(ctx context.Context, viewer string, school safeguarding.SchoolID, family string, key safeguarding.RequestKey) (VisitPlanning, error)
	// LoadVisit reads the viewer, the school, the visit with its due items and any earlier
	// request with the key (ErrNotFound: no such visit).
	LoadVisit(ctx context.Context, viewer string, school safeguarding.SchoolID, id string, key safeguarding.RequestKey) (VisitCase, error)
	// SaveVisit commits a write in one transaction: ErrConflict when the visit, a due item or
	// the block moved since it was read; ErrVisitsBlocked; ErrDuplicateRequest.
	SaveVisit(ctx context.Context, w VisitWrite) error
	SaveVisitBlock(ctx context.Context, w BlockWrite) error
	// Visits reads the viewer and the school's visits planned to start from since on.
	Visits(ctx context.Context, viewer string, school safeguarding.SchoolID, since time.Time) (safeguarding.Principal, []Visit, error)
	// FamilyAddress reads the family's address from its contact details (rule P3): the caller
	// shows it only to people who may see it and audits the view.
	FamilyAddress(ctx context.Context, school safeguarding.SchoolID, family string) (contact.ContactAddress, error)
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
}

// Visits holds the home-visit use cases (rules V1-V8).
type Visits struct {
	Store     VisitStore
	Calendar  safeguarding.Calendar
	Catalogue concerns.Catalogue
	NewID     func(at time.Time) string
}

// Audit actions of home visits.
const (
	AuditVisitPlanned     = "visit.planned"
	AuditVisitChanged     = "visit.changed"
	AuditVisitRead        = "visit.read"
	AuditVisitsRead       = "visits.read"
	AuditVisitBlockLifted = "visit-block.lifted"
	// AuditVisitAddressViewed is a view of a family's address on a visit (rule P3), with the
	// subject contact views have ("family/<id>/contact-details").
	AuditVisitAddressViewed = "visit.address-viewed"
)

// VisitResult is a visit as an answer shows it, with the school's duty team number (V5) and
// the concern a command raised, if any.
type VisitResult struct {
	Visit          Visit
	DutyTeamNumber string
	Raised         *concerns.Concern
	// Address is the family's address, on a read of the visit by its staff, its line manager
	// or a DSL (V2, P3); nil elsewhere or when none is recorded.
	Address *contact.ContactAddress
}

// VisitsListed is how far back the list of visits goes.
const VisitsListed = 7 * 24 * time.Hour

func (s Visits) audit(who safeguarding.Caller, school safeguarding.SchoolID, action string, v Visit) safeguarding.AuditEntry {
	return safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: action,
		Subject: "visit/" + v.ID(), Pupils: v.Children(), At: who.At, Source: who.Source}
}

func request(key safeguarding.RequestKey, fingerprint, id string, at time.Time) *safeguarding.RequestRecord {
	if key.Key == "" {
		return nil
	}
	return &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: safeguarding.Receipt{ID: id, RecordedAt: at}}
}

// Plan plans a home visit (V2). The line manager is told there is a visit to look at and the
// Senior DSL that it needs authorising (V1); each child's chronology shows the plan.
func (s Visits) Plan(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, in NewVisit, key safeguarding.RequestKey, fingerprint string) (VisitResult, error) {
	pl, err := s.Store.LoadVisitPlan(ctx, who.Email, school, in.FamilyID, key)
	if err != nil {
		return VisitResult{}, err
	}
	if pl.Prior != nil {
		return safeguarding.Replayed(*pl.Prior, fingerprint, s.visitOf(ctx, who, school))
	}
	v, err := PlanVisit(s.NewID(who.At), in, pl.Viewer, pl.School, pl.Family, pl.Block, who.At)
	if err != nil {
		return VisitResult{}, err
	}
	summary := fmt.Sprintf("Home visit %s planned for %s to %s by %d staff; the line manager knows where, when and who.",
		v.s.Reference, localTime(v.s.PlannedStart), v.s.PlannedEnd.In(safeguarding.London).Format("15:04"), len(v.s.Staff))
	if v.s.Reason != "" {
		summary += " Why a visit, and why now: " + sentence(v.s.Reason)
	}
	planned := s.audit(who, school, AuditVisitPlanned, v)
	planned.Reason = v.s.Reason
	w := VisitWrite{Visit: v, RequireUnblocked: true, At: who.At, Alerts: v.PlannedAlerts(pl.School),
		Entries: v.Entries(s.NewID(who.At), who.At, pl.Viewer, same(summary)),
		Audit:   planned, Request: request(key, fingerprint, v.ID(), who.At)}
	made := VisitResult{Visit: v, DutyTeamNumber: pl.School.DutyTeamNumber}
	return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, made, s.Store.SaveVisit(ctx, w), s.visitOf(ctx, who, school))
}

// visitOf answers a repeated request with the visit as it is now.
func (s Visits) visitOf(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) func(safeguarding.PriorRequest) (VisitResult, error) {
	return func(prior safeguarding.PriorRequest) (VisitResult, error) {
		vc, err := s.Store.LoadVisit(ctx, who.Email, school, prior.Receipt.ID, safeguarding.RequestKey{})
		if err != nil {
			return VisitResult{}, err
		}
		return VisitResult{Visit: vc.Visit, DutyTeamNumber: vc.School.DutyTeamNumber}, nil
	}
}

// Visit returns a visit to someone who may see it, with the family's address: the staff
// going, their line manager (V2) and the DSLs may see it (P3). The read and the view of the
// address are audited (P4, P3).
//
// The address does not count toward the hour's families of rule P3 (contact.DecideOpening),
// and needs no reason past it: it is not opening a family's contact details at will but
// reading the address of a planned home visit, one family per visit, which the Senior DSL
// authorised (V1) and which V2 requires the people going and their line manager to know
// before it starts. No number is shown, and no one reaches an address through a visit they
// may not see, so a visit is no door to many families' details. Asking staff on a doorstep
// for a reason would only stand in the way of the visit's safety.
func (s Visits) Visit(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (VisitResult, error) {
	vc, err := s.Store.LoadVisit(ctx, who.Email, school, id, safeguarding.RequestKey{})
	if err != nil {
		return VisitResult{}, err
	}
	if !vc.Visit.CanView(vc.Viewer) {
		return VisitResult{}, safeguarding.ErrNotFound
	}
	res := VisitResult{Visit: vc.Visit, DutyTeamNumber: vc.School.DutyTeamNumber}
	if err := s.Store.Audit(ctx, s.audit(who, school, AuditVisitRead, vc.Visit)); err != nil {
		return VisitResult{}, err
	}
	addr, err := s.Store.FamilyAddress(ctx, school, vc.Visit.Family())
	if err != nil || addr.IsZero() {
		return res, err
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditVisitAddressViewed,
		Subject: "family/" + vc.Visit.Family() + "/contact-details", Pupils: vc.Visit.Children(), At: who.At, Source: who.Source})
	if err != nil {
		return VisitResult{}, err
	}
	res.Address = &addr
	return res, nil
}

// List returns the school's visits from a week ago on that the caller may see, soonest
// first, and audits the list (P4).
func (s Visits) List(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]Visit, error) {
	p, visits, err := s.Store.Visits(ctx, who.Email, school, who.At.Add(-VisitsListed))
	if err != nil {
		return nil, err
	}
	if !p.IsMember(school) {
		return nil, safeguarding.ErrForbidden
	}
	var out []Visit
	var pupils []safeguarding.PupilID
	for _, v := range visits {
		if v.CanView(p) {
			out = append(out, v)
			pupils = append(pupils, v.s.Children...)
		}
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditVisitsRead,
		Subject: "visits", Pupils: pupils, At: who.At, Source: who.Source})
	return out, err
}

// change loads a visit, applies one command to it and saves it with its entries, audit entry
// and alerts on the version read. A save that lost a race (another command on the visit, the
// deadline engine moving its check-out alarm) is tried again on what is there now.
func (s Visits) change(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fingerprint string,
	apply func(vc VisitCase, v *Visit, w *VisitWrite) error) (VisitResult, error) {
	for attempt := 0; ; attempt++ {
		vc, err := s.Store.LoadVisit(ctx, who.Email, school, id, key)
		if err != nil {
			return VisitResult{}, err
		}
		if vc.Prior != nil {
			return safeguarding.Replayed(*vc.Prior, fingerprint, s.visitOf(ctx, who, school))
		}
		if !vc.Visit.CanView(vc.Viewer) {
			return VisitResult{}, safeguarding.ErrNotFound
		}
		before := vc.Visit
		v := RestoreVisit(before.Snapshot())
		w := VisitWrite{PrevVersion: before.s.Version, At: who.At, Audit: s.audit(who, school, AuditVisitChanged, before),
			Request: request(key, fingerprint, id, who.At)}
		if err := apply(vc, &v, &w); err != nil {
			return VisitResult{}, err
		}
		v.s.Version = before.s.Version + 1
		w.Visit = v
		for i, was := range before.DueItems() {
			now := v.DueItems()[i]
			switch {
			case was.Due.Active && !now.Due.Active:
				w.Close = append(w.Close, was)
			case was.Due.Active && !now.Due.DueAt.Equal(was.Due.DueAt):
				w.Move, w.Was = append(w.Move, now), append(w.Was, was)
			}
		}
		err = s.Store.SaveVisit(ctx, w)
		if errors.Is(err, safeguarding.ErrConflict) && attempt < 3 {
			continue
		}
		made := VisitResult{Visit: v, DutyTeamNumber: vc.School.DutyTeamNumber, Raised: w.Concern}
		return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, made, err, s.visitOf(ctx, who, school))
	}
}

// Authorise records the Senior DSL's authorisation (V1).
func (s Visits) Authorise(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (VisitResult, error) {
	return s.change(ctx, who, school, id, key, fp, func(vc VisitCase, v *Visit, w *VisitWrite) error {
		if err := v.Authorise(vc.Viewer, who.At); err != nil {
			return err
		}
		w.Entries = v.Entries(s.NewID(who.At), who.At, vc.Viewer, same("Home visit "+v.s.Reference+" authorised by the Senior DSL."))
		return nil
	})
}

// RecordCall records a call ahead (V3); a family that declines blocks further visits until a
// DSL lifts it, and the DSLs are told.
func (s Visits) RecordCall(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id, outcome, notes string, key safeguarding.RequestKey, fp string) (VisitResult, error) {
	return s.change(ctx, who, school, id, key, fp, func(vc VisitCase, v *Visit, w *VisitWrite) error {
		block, err := v.RecordCall(vc.Viewer, outcome, notes, who.At)
		if err != nil {
			return err
		}
		summary := fmt.Sprintf("Home visit %s: staff called ahead (%s).", v.s.Reference, outcome)
		if block != nil {
			summary = fmt.Sprintf("Home visit %s: the family does not want contact; staff did not persist. Home visits are blocked until a DSL lifts the block.", v.s.Reference)
			w.Block = block
			w.Alerts = v.DeclinedAlerts(vc.School)
		}
		if n := v.s.Calls[len(v.s.Calls)-1].Notes; n != "" {
			summary += " " + n
		}
		w.Entries = v.Entries(s.NewID(who.At), who.At, vc.Viewer, same(summary))
		return nil
	})
}

// Start sets off on the visit (V1, V2, V3) and arms the lone-worker alarm (V8).
func (s Visits) Start(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, present []string, key safeguarding.RequestKey, fp string) (VisitResult, error) {
	return s.change(ctx, who, school, id, key, fp, func(vc VisitCase, v *Visit, w *VisitWrite) error {
		if err := v.Start(vc.Viewer, present, vc.School, who.At); err != nil {
			return err
		}
		w.OpenDue, w.RequireUnblocked = true, true
		w.Alerts = v.StartedAlerts(vc.School)
		w.Entries = v.Entries(s.NewID(who.At), who.At, vc.Viewer, same(fmt.Sprintf("Home visit %s started by %d staff; check-out expected by %s.",
			v.s.Reference, len(v.s.StaffPresent), v.s.PlannedEnd.In(safeguarding.London).Format("15:04"))))
		return nil
	})
}

// schoolCalendar is the visit's school's own calendar over the bank holidays.
func (s Visits) schoolCalendar(vc VisitCase) safeguarding.SchoolCalendar {
	cal := vc.Calendar
	cal.School, cal.BankHolidays = vc.School.ID, s.Calendar
	return cal
}

// raise adds an immediate concern (V5) to the visit's write: the concern, its chronology
// entries and the DSLs' alerts at once by SMS and email (C4). Problems are named under field.
func (s Visits) raise(vc VisitCase, v *Visit, w *VisitWrite, in ImmediateConcern, field string, at time.Time) error {
	c, err := v.RaiseConcern(safeguarding.ConcernID(s.NewID(at)), vc.Viewer, vc.School, in, concerns.CatalogueOr(s.Catalogue, concerns.PolicyCatalogue()), s.schoolCalendar(vc), at)
	if err != nil {
		var verr *safeguarding.ValidationError
		if errors.As(err, &verr) {
			for i := range verr.Problems {
				verr.Problems[i].Field = field + verr.Problems[i].Field
			}
		}
		return err
	}
	w.Concern = &c
	w.Entries = append(w.Entries, concerns.ConcernEntries(c)...)
	w.Alerts = append(w.Alerts, concerns.ConcernAlerts(c, vc.School)...)
	return nil
}

// RecordDoorstep records each child seen or not seen (V4), and an immediate concern if any
// (V5) in the same transaction.
func (s Visits) RecordDoorstep(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, children []ChildSeen, concern *ImmediateConcern, key safeguarding.RequestKey, fp string) (VisitResult, error) {
	return s.change(ctx, who, school, id, key, fp, func(vc VisitCase, v *Visit, w *VisitWrite) error {
		if err := v.RecordDoorstep(vc.Viewer, children, who.At); err != nil {
			return err
		}
		w.Entries = v.Entries(s.NewID(who.At), who.At, vc.Viewer, v.doorstepSummary)
		if concern != nil {
			return s.raise(vc, v, w, *concern, "immediateConcern.", who.At)
		}
		return nil
	})
}

// RaiseConcern raises an immediate concern on a visit that started (V5): a high-priority
// concern, with the duty team number in the answer.
func (s Visits) RaiseConcern(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, in ImmediateConcern, key safeguarding.RequestKey, fp string) (VisitResult, error) {
	return s.change(ctx, who, school, id, key, fp, func(vc VisitCase, v *Visit, w *VisitWrite) error {
		if err := v.started(vc.Viewer); err != nil {
			return err
		}
		return s.raise(vc, v, w, in, "", who.At)
	})
}

// RecordObservations records the observations (V4), late or not (V6).
func (s Visits) RecordObservations(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, children []ChildObservation, adults Appearance, key safeguarding.RequestKey, fp string) (VisitResult, error) {
	return s.change(ctx, who, school, id, key, fp, func(vc VisitCase, v *Visit, w *VisitWrite) error {
		if err := v.RecordObservations(vc.Viewer, children, adults, who.At); err != nil {
			return err
		}
		w.Entries = v.Entries(s.NewID(who.At), who.At, vc.Viewer, v.observationsSummary)
		return nil
	})
}

// RecordNext records the next visit and the support offered (V7).
func (s Visits) RecordNext(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, in NextVisit, key safeguarding.RequestKey, fp string) (VisitResult, error) {
	return s.change(ctx, who, school, id, key, fp, func(vc VisitCase, v *Visit, w *VisitWrite) error {
		if err := v.RecordNext(vc.Viewer, in, who.At); err != nil {
			return err
		}
		w.Entries = v.Entries(s.NewID(who.At), who.At, vc.Viewer, same(v.nextSummary()))
		return nil
	})
}

// CheckOut records the check-out (V8); whoever a lone-worker alarm reached is told it is over.
func (s Visits) CheckOut(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (VisitResult, error) {
	return s.change(ctx, who, school, id, key, fp, func(vc VisitCase, v *Visit, w *VisitWrite) error {
		alarmed, err := v.CheckOut(vc.Viewer, who.At)
		if err != nil {
			return err
		}
		w.Alerts = v.SafeAlerts(alarmed, vc.School, who.At)
		summary := fmt.Sprintf("Home visit %s: the staff left and checked out at %s (planned end %s).", v.s.Reference,
			who.At.In(safeguarding.London).Format("15:04"), v.s.PlannedEnd.In(safeguarding.London).Format("15:04"))
		if alarmed > 0 {
			summary += " The lone-worker alarm had been raised; those it reached were told."
		}
		w.Entries = v.Entries(s.NewID(who.At), who.At, vc.Viewer, same(summary))
		return nil
	})
}

// Cancel calls off a visit that has not started.
func (s Visits) Cancel(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id, reason string, key safeguarding.RequestKey, fp string) (VisitResult, error) {
	return s.change(ctx, who, school, id, key, fp, func(vc VisitCase, v *Visit, w *VisitWrite) error {
		if err := v.Cancel(vc.Viewer, reason, who.At); err != nil {
			return err
		}
		w.Entries = v.Entries(s.NewID(who.At), who.At, vc.Viewer, same("Home visit "+v.s.Reference+" cancelled: "+v.s.CancelReason))
		return nil
	})
}

// LiftBlock lets visits to a family go ahead again (V3): a DSL, with a reason, in each child's
// chronology.
func (s Visits) LiftBlock(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family, reason string, key safeguarding.RequestKey, fp string) (VisitBlock, error) {
	pl, err := s.Store.LoadVisitPlan(ctx, who.Email, school, family, key)
	if err != nil {
		return VisitBlock{}, err
	}
	if pl.Prior != nil {
		return safeguarding.Replayed(*pl.Prior, fp, func(safeguarding.PriorRequest) (VisitBlock, error) { return pl.Block, nil })
	}
	if pl.Family == nil {
		return VisitBlock{}, fmt.Errorf("family %q: %w", family, safeguarding.ErrNotFound)
	}
	pl.Block.School, pl.Block.Family = school, family
	next, err := pl.Block.Lift(pl.Viewer, reason, who.At)
	if err != nil {
		return VisitBlock{}, err
	}
	w := BlockWrite{Block: next, PrevVersion: pl.Block.Version, At: who.At, Request: request(key, fp, family, who.At),
		Audit: safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditVisitBlockLifted,
			Subject: "family/" + family, Pupils: pl.Family.Pupils(), At: who.At, Source: who.Source}}
	entryID := s.NewID(who.At)
	author := pl.Viewer.Name
	if author == "" {
		author = who.Email
	}
	for _, c := range pl.Family.Children() {
		w.Entries = append(w.Entries, safeguarding.ChronologyEntry{ID: entryID + "#" + string(c.Pupil), Pupil: c.Pupil, Type: safeguarding.EntryVisit, At: who.At.UTC(),
			Reference: pl.Family.Reference(), AuthorName: author, Summary: "Home visits to the family may go ahead again (a DSL lifted the block): " + next.History[len(next.History)-1].Reason,
			Visibility: safeguarding.Visibility{School: school, Author: who.Email}})
	}
	return safeguarding.SavedOnce(ctx, s.Store, key, fp, next, s.Store.SaveVisitBlock(ctx, w), func(safeguarding.PriorRequest) (VisitBlock, error) {
		pl, err := s.Store.LoadVisitPlan(ctx, who.Email, school, family, safeguarding.RequestKey{})
		return pl.Block, err
	})
}
