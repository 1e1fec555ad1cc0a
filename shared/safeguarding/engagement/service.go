package engagement

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// EngagementBatch is what a batch of acknowledgements needs, read together: the caller, the
// classes they teach, the families named (directly or through a pupil) and any earlier
// request with the same key.
type EngagementBatch struct {
	Viewer      safeguarding.Principal
	Classes     []string
	Families    map[string]contact.Family
	PupilFamily map[safeguarding.PupilID]string
	Prior       *safeguarding.PriorRequest
}

// EngagementStore is the storage port of engagement tracking and the families view.
type EngagementStore interface {
	LoadEngagement(ctx context.Context, viewer string, school safeguarding.SchoolID, families []string, pupils []safeguarding.PupilID, key safeguarding.RequestKey) (EngagementBatch, error)
	// Family reads the viewer and one family (ErrNotFound when there is none).
	Family(ctx context.Context, viewer string, school safeguarding.SchoolID, id string) (safeguarding.Principal, contact.Family, error)
	// MissingFamilies reads the viewer and the school's MISSING families, longest missing first.
	MissingFamilies(ctx context.Context, viewer string, school safeguarding.SchoolID) (safeguarding.Principal, []contact.Family, error)
	SaveFamily(ctx context.Context, w contact.FamilyWrite) error
	// ClosureContact reads whether a person is designated for closure contact (rule P3).
	ClosureContact(ctx context.Context, school safeguarding.SchoolID, email string) (contact.ClosureContact, error)
	// Profiles reads the named people (absent ones left out), keyed by email.
	Profiles(ctx context.Context, emails []string) (map[string]safeguarding.Principal, error)
	// SaveCommand saves an audit entry with the idempotency record of the request, if any;
	// ErrDuplicateRequest when the key was taken.
	SaveCommand(ctx context.Context, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	SchoolCalendar(ctx context.Context, id safeguarding.SchoolID) (safeguarding.SchoolCalendar, error)
	// LatestClosure reads the school's latest closure (zero when none, rule E0).
	LatestClosure(ctx context.Context, school safeguarding.SchoolID) (safeguarding.Closure, error)
	// SchoolFamilies lists every family of a school (one Query of its families list).
	SchoolFamilies(ctx context.Context, school safeguarding.SchoolID) ([]contact.Family, error)
	// OpenCalls lists the school's phone calls due to families (rule E3), soonest due first.
	OpenCalls(ctx context.Context, school safeguarding.SchoolID) ([]Call, error)
	// SaveSchoolCalendar saves the calendar on the condition that the stored version is
	// cal.Version-1 (ErrConflict), with its audit entry.
	SaveSchoolCalendar(ctx context.Context, cal safeguarding.SchoolCalendar, audit safeguarding.AuditEntry) error
}

// Engagement holds the use cases of rules E1-E6 that people drive.
type Engagement struct {
	Store        EngagementStore
	BankHolidays safeguarding.Calendar
	NewID        func(at time.Time) string
}

// Audit actions of engagement tracking.
const (
	AuditAcknowledged   = "engagement.acknowledged"
	AuditFamiliesRead   = "families.read"
	AuditFamilyChanged  = "family.changed"
	AuditCalendarEdited = "calendar.edited"
)

// AckResult is where each family of a batch stands after it.
type AckResult struct {
	Families []contact.Family
	Changed  int
}

// Acknowledge records a batch of acknowledgements, a whole class at most (rule E1). A
// pupil's acknowledgement counts for their family; each family's newest acknowledgement is
// kept and ends MISSING (E6). Repeating a batch changes nothing: an acknowledgement no newer
// than the family's last contact is a no-op, and the Idempotency-Key is honoured.
func (s Engagement) Acknowledge(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, acks []contact.Acknowledgement, key safeguarding.RequestKey, fingerprint string) (AckResult, error) {
	var ps safeguarding.Problems
	if len(acks) == 0 || len(acks) > contact.MaxAcknowledgements {
		ps.Add("acknowledgements", "between 1 and %d acknowledgements", contact.MaxAcknowledgements)
		return AckResult{}, ps.Err()
	}
	var famIDs []string
	var pupilIDs []safeguarding.PupilID
	for i, a := range acks {
		switch {
		case a.FamilyID != "":
			famIDs = append(famIDs, a.FamilyID)
		case a.PupilID != "":
			pupilIDs = append(pupilIDs, a.PupilID)
		default:
			ps.Add(fmt.Sprintf("acknowledgements[%d]", i), "name a familyId or a pupilId")
		}
	}
	if err := ps.Err(); err != nil {
		return AckResult{}, err
	}
	b, err := s.Store.LoadEngagement(ctx, who.Email, school, famIDs, pupilIDs, key)
	if err != nil {
		return AckResult{}, err
	}
	if b.Prior != nil && b.Prior.Fingerprint != fingerprint {
		return AckResult{}, safeguarding.ErrIdempotencyMismatch
	}
	latest := map[string]contact.Acknowledgement{}
	var order []string
	for i, a := range acks {
		id := a.FamilyID
		if id == "" {
			id = b.PupilFamily[a.PupilID]
		}
		f, ok := b.Families[id]
		if !ok {
			ps.Add(fmt.Sprintf("acknowledgements[%d]", i), "no such family or pupil in this school")
			continue
		}
		if !contact.CanAcknowledge(b.Viewer, f, b.Classes) {
			return AckResult{}, safeguarding.ErrForbidden
		}
		a.FamilyID = id
		if _, _, err := f.Acknowledge(a, who.Email, "x", who.At); err != nil {
			var v *safeguarding.ValidationError
			if errors.As(err, &v) {
				for _, p := range v.Problems {
					ps.Add(fmt.Sprintf("acknowledgements[%d].%s", i, strings.TrimPrefix(p.Field, "acknowledgements.")), "%s", p.Message)
				}
				continue
			}
			return AckResult{}, err
		}
		if prev, seen := latest[id]; !seen {
			order = append(order, id)
			latest[id] = a
		} else if a.At.After(prev.At) {
			latest[id] = a
		}
	}
	if err := ps.Err(); err != nil {
		return AckResult{}, err
	}
	var res AckResult
	var touched []safeguarding.PupilID
	for _, id := range order {
		f := b.Families[id]
		for attempt := 0; ; attempt++ {
			w, ok, err := f.Acknowledge(latest[id], who.Email, s.NewID(who.At), who.At)
			if err != nil {
				return res, err
			}
			if !ok {
				break
			}
			w.Family.LookAfterContact(s.BankHolidays, who.At)
			// Each family's change commits with its own audit entry (rule P4): a batch cut
			// short leaves no change unaudited, and its retry changes nothing twice.
			w.Audits = []safeguarding.AuditEntry{{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditAcknowledged,
				Subject: "family/" + id, Pupils: f.Pupils(), At: who.At, Source: who.Source}}
			err = s.Store.SaveFamily(ctx, w)
			if errors.Is(err, safeguarding.ErrConflict) && attempt < 3 {
				if _, f, err = s.Store.Family(ctx, who.Email, school, id); err != nil {
					return res, err
				}
				continue
			}
			if err != nil {
				return res, err
			}
			f = w.Family
			res.Changed++
			break
		}
		res.Families = append(res.Families, f)
		touched = append(touched, f.Pupils()...)
	}
	audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditAcknowledged, Subject: "engagement",
		Pupils: touched, At: who.At, Source: who.Source}
	if b.Prior != nil {
		return res, s.Store.Audit(ctx, audit)
	}
	var req *safeguarding.RequestRecord
	if key.Key != "" {
		req = &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: safeguarding.Receipt{ID: "engagement", RecordedAt: who.At}}
	}
	return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, res, s.Store.SaveCommand(ctx, audit, req),
		func(safeguarding.PriorRequest) (AckResult, error) { return res, nil })
}

// FamilyRow is one family on the DSLs' families view.
type FamilyRow struct {
	Family           contact.Family
	SchoolDaysSilent int
	NextDue          string
	NextDueAt        time.Time
	LABrief          string
}

// MissingFamilies lists the school's MISSING families for its DSLs: since when, school days
// silent, attempts, and the next thing due (the call, the LA, a decision). The read is audited.
func (s Engagement) MissingFamilies(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]FamilyRow, error) {
	p, families, err := s.Store.MissingFamilies(ctx, who.Email, school)
	if err != nil {
		return nil, err
	}
	if !p.IsDSL(school) {
		return nil, safeguarding.ErrForbidden
	}
	cal, err := s.calendar(ctx, school)
	if err != nil {
		return nil, err
	}
	closure, err := s.Store.LatestClosure(ctx, school)
	if err != nil {
		return nil, err
	}
	var rows []FamilyRow
	var pupils []safeguarding.PupilID
	for _, f := range families {
		rows = append(rows, familyRow(f, cal, closure, who.At))
		pupils = append(pupils, f.Pupils()...)
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditFamiliesRead,
		Subject: "families/missing", Pupils: pupils, At: who.At, Source: who.Source})
	return rows, err
}

func (s Engagement) calendar(ctx context.Context, school safeguarding.SchoolID) (safeguarding.SchoolCalendar, error) {
	cal, err := s.Store.SchoolCalendar(ctx, school)
	cal.BankHolidays = s.BankHolidays
	return cal, err
}

// ChangeFamily applies one person's change to a family (a contact attempt, a decision, the
// LA notification) and saves it with its audit entry, against the version read.
func (s Engagement) ChangeFamily(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fingerprint string,
	change func(p safeguarding.Principal, f contact.Family, entryID string) (contact.FamilyWrite, error)) (contact.Family, error) {
	p, f, err := s.Store.Family(ctx, who.Email, school, id)
	if err != nil {
		return contact.Family{}, err
	}
	if !p.IsDSL(school) {
		return contact.Family{}, safeguarding.ErrNotFound
	}
	w, err := change(p, f, s.NewID(who.At))
	if err != nil {
		return contact.Family{}, err
	}
	if w.Family.Status() != contact.FamilyMissing && f.Status() == contact.FamilyMissing || w.Family.LastContactAt().After(f.LastContactAt()) {
		w.Family.LookAfterContact(s.BankHolidays, who.At)
	}
	w.Audits = []safeguarding.AuditEntry{{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditFamilyChanged,
		Subject: "family/" + id, Pupils: f.Pupils(), At: who.At, Source: who.Source}}
	if key.Key != "" {
		w.Request = &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: safeguarding.Receipt{ID: id, RecordedAt: who.At}}
	}
	return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, w.Family, s.Store.SaveFamily(ctx, w), func(safeguarding.PriorRequest) (contact.Family, error) {
		_, f, err := s.Store.Family(ctx, who.Email, school, id)
		return f, err
	})
}

// Decide records the Senior DSL's decision on contacting social care (E4).
func (s Engagement) Decide(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id, decision, reason string, key safeguarding.RequestKey, fp string) (contact.Family, error) {
	return s.ChangeFamily(ctx, who, school, id, key, fp, func(p safeguarding.Principal, f contact.Family, eid string) (contact.FamilyWrite, error) {
		return f.Decide(p, decision, reason, eid, who.At)
	})
}

// RecordLANotification records when the LA was informed (E5).
func (s Engagement) RecordLANotification(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, sentAt time.Time, notes string, key safeguarding.RequestKey, fp string) (contact.Family, error) {
	return s.ChangeFamily(ctx, who, school, id, key, fp, func(p safeguarding.Principal, f contact.Family, eid string) (contact.FamilyWrite, error) {
		return f.RecordLANotification(p, sentAt, notes, eid, who.At)
	})
}

// Calendar reads a school's calendar, for any member of the school.
func (s Engagement) Calendar(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (safeguarding.SchoolCalendar, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return safeguarding.SchoolCalendar{}, err
	}
	if !p.IsMember(school) {
		return safeguarding.SchoolCalendar{}, safeguarding.ErrForbidden
	}
	return s.calendar(ctx, school)
}

// EditCalendar replaces a school's terms and days off (Senior DSL or admin), against the
// version the editor read (ErrConflict when someone saved first).
func (s Engagement) EditCalendar(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, version int, in safeguarding.CalendarInput) (safeguarding.SchoolCalendar, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return safeguarding.SchoolCalendar{}, err
	}
	prev, err := s.calendar(ctx, school)
	if err != nil {
		return safeguarding.SchoolCalendar{}, err
	}
	prev.School = school
	if !safeguarding.CanEditCalendar(p, school) {
		return safeguarding.SchoolCalendar{}, safeguarding.ErrForbidden // before the version: no 409 for whoever may not edit
	}
	if version != prev.Version {
		return safeguarding.SchoolCalendar{}, fmt.Errorf("editing version %d of a calendar now at %d: %w", version, prev.Version, safeguarding.ErrConflict)
	}
	cal, err := safeguarding.NewSchoolCalendar(p, prev, in)
	if err != nil {
		return safeguarding.SchoolCalendar{}, err
	}
	err = s.Store.SaveSchoolCalendar(ctx, cal, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email,
		Action: AuditCalendarEdited, Subject: "calendar", At: who.At, Source: who.Source})
	return cal, err
}
