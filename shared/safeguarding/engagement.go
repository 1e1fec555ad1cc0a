package safeguarding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Acknowledgement kinds (rule E1): how a family acknowledged the school's communication.
const (
	AckThumbsUp = "thumbs-up"
	AckMessage  = "message"
	AckWorkSeen = "work-seen"
)

// AckKinds lists them, in the order screens show them.
var AckKinds = []string{AckThumbsUp, AckMessage, AckWorkSeen}

// MaxAcknowledgements is the largest batch: a whole class, with room to spare.
const MaxAcknowledgements = 60

// FamilyStatus is where a family stands in engagement tracking.
type FamilyStatus string

const (
	FamilyEngaged FamilyStatus = "engaged"
	FamilyMissing FamilyStatus = "missing"
)

// FamilyChild is one of a family's children at the school, with their class (rule E1: a
// teacher acknowledges for their own class).
type FamilyChild struct {
	Pupil     PupilID
	ClassName string
}

// Family is a household as one school tracks its engagement (rules E1-E6). Engagement is per
// family, not per child: one sibling's acknowledgement counts for all of them.
type Family struct {
	ID       string
	School   SchoolID
	Children []FamilyChild
	// TrackedSince is when tracking started; silence is counted from the later of it and the
	// last contact. A family with neither is not tracked yet.
	TrackedSince   time.Time
	LastContactAt  time.Time
	LastContactHow string
	Status         FamilyStatus
	MissingSince   time.Time
	// LARaisedAt is when the Senior DSL was asked to inform the LA (E5); LANotifiedAt when
	// they recorded that they did.
	LARaisedAt    time.Time
	LANotifiedAt  time.Time
	Attempts      int
	LastAttemptAt time.Time
	// Call is the phone call of rule E3 while it is open (an item on the deadline engine's
	// ladder); CallKey is the store's handle on it.
	CallDueAt time.Time
	CallKey   string
	Decision  string
	// ContactDeclinedAt is when the family said it no longer wants to be contacted, or
	// refused contact (rules H2, H3); zero while it is happy to be.
	ContactDeclinedAt time.Time
	// NextLook is the local day the escalation job should look at the family again; zero
	// when nothing can change without a new contact.
	NextLook time.Time
	Version  int
}

// Reference is what alerts and the LA are given instead of names (rule S2).
func (f Family) Reference() string { return "FAM-" + strings.ToUpper(f.ID) }

// Pupils are the family's children at the school.
func (f Family) Pupils() []PupilID {
	out := make([]PupilID, len(f.Children))
	for i, c := range f.Children {
		out[i] = c.Pupil
	}
	return out
}

// silenceFrom is the instant silence is counted from.
func (f Family) silenceFrom() time.Time {
	if f.LastContactAt.After(f.TrackedSince) {
		return f.LastContactAt
	}
	return f.TrackedSince
}

// SilentSchoolDays is rule E2's count at a check at now: the school days after the day of the
// family's last acknowledgement or established contact, up to and including the day before.
func (f Family) SilentSchoolDays(cal Calendar, now time.Time) int {
	from := f.silenceFrom()
	if from.IsZero() {
		return 0
	}
	return SchoolDaysBetween(cal, from, LocalDay(now).AddDate(0, 0, -1))
}

// Acknowledgement is one family's acknowledgement as a teacher records it (rule E1).
type Acknowledgement struct {
	FamilyID string
	PupilID  PupilID
	At       time.Time
	Kind     string
}

// CanAcknowledge reports whether p may record acknowledgements for f: a DSL, the Senior DSL
// or the office for any family of the school, a teacher for the families of their classes.
func CanAcknowledge(p Principal, f Family, classes []string) bool {
	if p.IsDSL(f.School) || p.Has(f.School, RoleAdmin) {
		return true
	}
	return p.Has(f.School, RoleTeacher) && slices.ContainsFunc(f.Children, func(c FamilyChild) bool {
		return c.ClassName != "" && slices.Contains(classes, c.ClassName)
	})
}

// FamilyWrite is what one change to one family commits together: the family on the
// condition that its version is PrevVersion, chronology entries, alerts, and the phone-call
// item to open (E3) or close.
type FamilyWrite struct {
	Family      Family
	PrevVersion int
	Entries     []ChronologyEntry
	Alerts      []Alert
	OpenCall    *DueItem
	CloseCall   string // the CallKey of the call to take off the ladder
	// Actions are actions agreed on a call (rule H3), each put on the deadline engine's ladder.
	Actions []FamilyAction
	// Late says a contact was recorded more than rule H2's 24 hours after it happened, and
	// MinutesLate by how much (accepted, never refused, like a late concern of rule C3).
	Late        bool
	MinutesLate int
	// Audit and Request, when set, commit with the change (rule P4; an Idempotency-Key).
	Audit   *AuditEntry
	Request *RequestRecord
	At      time.Time
}

// restoredEntries are rule E6's contact_restored entries, one in each child's chronology.
func restoredEntries(f Family, id string, at time.Time, how, by string) []ChronologyEntry {
	var out []ChronologyEntry
	for _, c := range f.Children {
		out = append(out, ChronologyEntry{ID: id + "#" + string(c.Pupil), Pupil: c.Pupil, Type: EntryContactRestored, At: at,
			Reference: f.Reference(), AuthorName: by,
			Summary:    fmt.Sprintf("Contact restored on %s by %s; missing since %s.", at.In(London).Format("Mon 2 Jan 2006 15:04"), how, f.MissingSince.In(London).Format("Mon 2 Jan 2006")),
			Visibility: Visibility{School: f.School}})
	}
	return out
}

// restore ends MISSING (rule E6) and closes the open phone call.
func (f *Family) restore(w *FamilyWrite, id string, at time.Time, how, by string) {
	if f.Status == FamilyMissing {
		w.Entries = append(w.Entries, restoredEntries(*f, id, at, how, by)...)
	}
	if f.CallKey != "" {
		w.CloseCall = f.CallKey
	}
	f.Status, f.MissingSince, f.LARaisedAt, f.LANotifiedAt, f.CallDueAt, f.CallKey = FamilyEngaged, time.Time{}, time.Time{}, time.Time{}, time.Time{}, ""
	f.Attempts, f.LastAttemptAt, f.Decision = 0, time.Time{}, ""
}

// Acknowledge records an acknowledgement at at, recorded at now by who (rules E1, E6). An
// acknowledgement no later than the family's last contact changes nothing, so a repeated
// batch is harmless; a newer one ends MISSING with a contact_restored entry in each child's
// chronology. ok is false when there is nothing to write.
func (f Family) Acknowledge(a Acknowledgement, by string, id string, now time.Time) (FamilyWrite, bool, error) {
	var ps Problems
	if !slices.Contains(AckKinds, a.Kind) {
		ps.Add("acknowledgements.kind", "must be one of %s", strings.Join(AckKinds, ", "))
	}
	if a.At.IsZero() || a.At.After(now.Add(5*time.Minute)) {
		ps.Add("acknowledgements.at", "when the family acknowledged, not in the future")
	}
	if err := ps.Err(); err != nil {
		return FamilyWrite{}, false, err
	}
	if !a.At.After(f.LastContactAt) {
		return FamilyWrite{}, false, nil
	}
	next := f
	w := FamilyWrite{PrevVersion: f.Version, At: now}
	next.LastContactAt, next.LastContactHow = a.At.UTC(), a.Kind
	next.restore(&w, id, a.At.UTC(), "an acknowledgement ("+a.Kind+")", by)
	next.Version++
	w.Family = next
	return w, true, nil
}

// Decisions on contacting social care (rule E4).
var SocialCareDecisions = []string{"contact-social-care", "do-not-contact-social-care"}

// Decide records the Senior DSL's decision on contacting social care about a family with no
// contact, with its reason, as a decision entry in each child's chronology (rule E4).
func (f Family) Decide(p Principal, decision, reason, id string, now time.Time) (FamilyWrite, error) {
	if !p.Has(f.School, RoleSeniorDSL) {
		return FamilyWrite{}, ErrForbidden
	}
	var ps Problems
	if !slices.Contains(SocialCareDecisions, decision) {
		ps.Add("decision", "must be one of %s", strings.Join(SocialCareDecisions, ", "))
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		ps.Add("reason", "record the reason for the decision")
	}
	CheckText(&ps, "reason", reason, MaxNotesChars)
	if f.Status != FamilyMissing {
		ps.Add("decision", "the family is not missing")
	}
	if err := ps.Err(); err != nil {
		return FamilyWrite{}, err
	}
	next := f
	next.Decision = decision
	next.Version++
	w := FamilyWrite{Family: next, PrevVersion: f.Version, At: now}
	for _, c := range f.Children {
		w.Entries = append(w.Entries, ChronologyEntry{ID: id + "#" + string(c.Pupil), Pupil: c.Pupil, Type: EntryDecision, At: now,
			Reference: f.Reference(), AuthorName: p.Email, Summary: "Decision (Senior DSL): " + decision + ". Reason: " + reason,
			Visibility: Visibility{School: f.School}})
	}
	return w, nil
}

// RecordLANotification records when the Senior DSL informed the local authority about a
// family silent for 20 school days, with a la_notification entry in each child's chronology
// (rule E5).
func (f Family) RecordLANotification(p Principal, sentAt time.Time, notes, id string, now time.Time) (FamilyWrite, error) {
	if !p.Has(f.School, RoleSeniorDSL) {
		return FamilyWrite{}, ErrForbidden
	}
	var ps Problems
	if f.Status != FamilyMissing || f.LARaisedAt.IsZero() {
		ps.Add("sentAt", "the LA is informed once a missing family reaches %d silent school days", SilentDaysLA)
	}
	if sentAt.IsZero() || sentAt.After(now.Add(5*time.Minute)) {
		ps.Add("sentAt", "when it was sent, not in the future")
	}
	notes = strings.TrimSpace(notes)
	CheckText(&ps, "notes", notes, MaxNotesChars)
	if err := ps.Err(); err != nil {
		return FamilyWrite{}, err
	}
	next := f
	next.LANotifiedAt = sentAt.UTC()
	next.Version++
	w := FamilyWrite{Family: next, PrevVersion: f.Version, At: now}
	summary := "The local authority was informed and advice requested on " + sentAt.In(London).Format("Mon 2 Jan 2006 15:04") + "."
	if notes != "" {
		summary += " " + notes
	}
	for _, c := range f.Children {
		w.Entries = append(w.Entries, ChronologyEntry{ID: id + "#" + string(c.Pupil), Pupil: c.Pupil, Type: EntryLANotification, At: sentAt.UTC(),
			Reference: f.Reference(), AuthorName: p.Email, Summary: summary, Visibility: Visibility{School: f.School}})
	}
	return w, nil
}

// LABrief is what the Senior DSL sends the LA (rule E5): the reference, dates and attempts,
// never a name.
func (f Family) LABrief(cal Calendar, now time.Time) string {
	last := "no acknowledgement or contact recorded since tracking began on " + f.TrackedSince.In(London).Format("2 Jan 2006")
	if !f.LastContactAt.IsZero() {
		last = "last acknowledgement or contact " + f.LastContactAt.In(London).Format("2 Jan 2006") + " (" + f.LastContactHow + ")"
	}
	s := fmt.Sprintf("Family %s: %s; %d school days without contact; logged missing %s; %d attempts to contact",
		f.Reference(), last, f.SilentSchoolDays(cal, now), f.MissingSince.In(London).Format("2 Jan 2006"), f.Attempts)
	if !f.LastAttemptAt.IsZero() {
		s += ", the last on " + f.LastAttemptAt.In(London).Format("2 Jan 2006")
	}
	return s + "."
}

// EngagementBatch is what a batch of acknowledgements needs, read together: the caller, the
// classes they teach, the families named (directly or through a pupil) and any earlier
// request with the same key.
type EngagementBatch struct {
	Viewer      Principal
	Classes     []string
	Families    map[string]Family
	PupilFamily map[PupilID]string
	Prior       *PriorRequest
}

// EngagementStore is the storage port of engagement tracking and the families view.
type EngagementStore interface {
	LoadEngagement(ctx context.Context, viewer string, school SchoolID, families []string, pupils []PupilID, key RequestKey) (EngagementBatch, error)
	// Family reads the viewer and one family (ErrNotFound when there is none).
	Family(ctx context.Context, viewer string, school SchoolID, id string) (Principal, Family, error)
	// MissingFamilies reads the viewer and the school's MISSING families, longest missing first.
	MissingFamilies(ctx context.Context, viewer string, school SchoolID) (Principal, []Family, error)
	SaveFamily(ctx context.Context, w FamilyWrite) error
	// ClosureContact reads whether a person is designated for closure contact (rule P3).
	ClosureContact(ctx context.Context, school SchoolID, email string) (ClosureContact, error)
	// Profiles reads the named people (absent ones left out), keyed by email.
	Profiles(ctx context.Context, emails []string) (map[string]Principal, error)
	// SaveCommand saves an audit entry with the idempotency record of the request, if any;
	// ErrDuplicateRequest when the key was taken.
	SaveCommand(ctx context.Context, audit AuditEntry, req *RequestRecord) error
	PriorRequest(ctx context.Context, key RequestKey) (PriorRequest, error)
	Audit(ctx context.Context, e AuditEntry) error
	Principal(ctx context.Context, email string) (Principal, error)
	SchoolCalendar(ctx context.Context, id SchoolID) (SchoolCalendar, error)
	// SaveSchoolCalendar saves the calendar on the condition that the stored version is
	// cal.Version-1 (ErrConflict), with its audit entry.
	SaveSchoolCalendar(ctx context.Context, cal SchoolCalendar, audit AuditEntry) error
}

// Engagement holds the use cases of rules E1-E6 that people drive.
type Engagement struct {
	Store        EngagementStore
	BankHolidays Calendar
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
	Families []Family
	Changed  int
}

// Acknowledge records a batch of acknowledgements, a whole class at most (rule E1). A
// pupil's acknowledgement counts for their family; each family's newest acknowledgement is
// kept and ends MISSING (E6). Repeating a batch changes nothing: an acknowledgement no newer
// than the family's last contact is a no-op, and the Idempotency-Key is honoured.
func (s Engagement) Acknowledge(ctx context.Context, who Caller, school SchoolID, acks []Acknowledgement, key RequestKey, fingerprint string) (AckResult, error) {
	var ps Problems
	if len(acks) == 0 || len(acks) > MaxAcknowledgements {
		ps.Add("acknowledgements", "between 1 and %d acknowledgements", MaxAcknowledgements)
		return AckResult{}, ps.Err()
	}
	var famIDs []string
	var pupilIDs []PupilID
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
		return AckResult{}, ErrIdempotencyMismatch
	}
	latest := map[string]Acknowledgement{}
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
		if !CanAcknowledge(b.Viewer, f, b.Classes) {
			return AckResult{}, ErrForbidden
		}
		a.FamilyID = id
		if _, _, err := f.Acknowledge(a, who.Email, "x", who.At); err != nil {
			var v *ValidationError
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
	var touched []PupilID
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
			w.Family.NextLook = w.Family.NextLookAfterContact(s.BankHolidays, who.At)
			// Each family's change commits with its own audit entry (rule P4): a batch cut
			// short leaves no change unaudited, and its retry changes nothing twice.
			w.Audit = &AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditAcknowledged,
				Subject: "family/" + id, Pupils: f.Pupils(), At: who.At, Source: who.Source}
			err = s.Store.SaveFamily(ctx, w)
			if errors.Is(err, ErrConflict) && attempt < 3 {
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
	audit := AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditAcknowledged, Subject: "engagement",
		Pupils: touched, At: who.At, Source: who.Source}
	if b.Prior != nil {
		return res, s.Store.Audit(ctx, audit)
	}
	var req *RequestRecord
	if key.Key != "" {
		req = &RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: Receipt{ID: "engagement", RecordedAt: who.At}}
	}
	return SavedOnce(ctx, s.Store, key, fingerprint, res, s.Store.SaveCommand(ctx, audit, req),
		func(PriorRequest) (AckResult, error) { return res, nil })
}

// FamilyRow is one family on the DSLs' families view.
type FamilyRow struct {
	Family           Family
	SchoolDaysSilent int
	NextDue          string
	NextDueAt        time.Time
	LABrief          string
}

// MissingFamilies lists the school's MISSING families for its DSLs: since when, school days
// silent, attempts, and the next thing due (the call, the LA, a decision). The read is audited.
func (s Engagement) MissingFamilies(ctx context.Context, who Caller, school SchoolID) ([]FamilyRow, error) {
	p, families, err := s.Store.MissingFamilies(ctx, who.Email, school)
	if err != nil {
		return nil, err
	}
	if !p.IsDSL(school) {
		return nil, ErrForbidden
	}
	cal, err := s.calendar(ctx, school)
	if err != nil {
		return nil, err
	}
	var rows []FamilyRow
	var pupils []PupilID
	for _, f := range families {
		rows = append(rows, familyRow(f, cal, who.At))
		pupils = append(pupils, f.Pupils()...)
	}
	err = s.Store.Audit(ctx, AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditFamiliesRead,
		Subject: "families/missing", Pupils: pupils, At: who.At, Source: who.Source})
	return rows, err
}

func (s Engagement) calendar(ctx context.Context, school SchoolID) (SchoolCalendar, error) {
	cal, err := s.Store.SchoolCalendar(ctx, school)
	cal.BankHolidays = s.BankHolidays
	return cal, err
}

// ChangeFamily applies one person's change to a family (a contact attempt, a decision, the
// LA notification) and saves it with its audit entry, against the version read.
func (s Engagement) ChangeFamily(ctx context.Context, who Caller, school SchoolID, id string, key RequestKey, fingerprint string,
	change func(p Principal, f Family, entryID string) (FamilyWrite, error)) (Family, error) {
	p, f, err := s.Store.Family(ctx, who.Email, school, id)
	if err != nil {
		return Family{}, err
	}
	if !p.IsDSL(school) {
		return Family{}, ErrNotFound
	}
	w, err := change(p, f, s.NewID(who.At))
	if err != nil {
		return Family{}, err
	}
	if w.Family.Status != FamilyMissing && f.Status == FamilyMissing || w.Family.LastContactAt.After(f.LastContactAt) {
		w.Family.NextLook = w.Family.NextLookAfterContact(s.BankHolidays, who.At)
	}
	w.Audit = &AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditFamilyChanged,
		Subject: "family/" + id, Pupils: f.Pupils(), At: who.At, Source: who.Source}
	if key.Key != "" {
		w.Request = &RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: Receipt{ID: id, RecordedAt: who.At}}
	}
	return SavedOnce(ctx, s.Store, key, fingerprint, w.Family, s.Store.SaveFamily(ctx, w), func(PriorRequest) (Family, error) {
		_, f, err := s.Store.Family(ctx, who.Email, school, id)
		return f, err
	})
}

// Decide records the Senior DSL's decision on contacting social care (E4).
func (s Engagement) Decide(ctx context.Context, who Caller, school SchoolID, id, decision, reason string, key RequestKey, fp string) (Family, error) {
	return s.ChangeFamily(ctx, who, school, id, key, fp, func(p Principal, f Family, eid string) (FamilyWrite, error) {
		return f.Decide(p, decision, reason, eid, who.At)
	})
}

// RecordLANotification records when the LA was informed (E5).
func (s Engagement) RecordLANotification(ctx context.Context, who Caller, school SchoolID, id string, sentAt time.Time, notes string, key RequestKey, fp string) (Family, error) {
	return s.ChangeFamily(ctx, who, school, id, key, fp, func(p Principal, f Family, eid string) (FamilyWrite, error) {
		return f.RecordLANotification(p, sentAt, notes, eid, who.At)
	})
}

// Calendar reads a school's calendar, for any member of the school.
func (s Engagement) Calendar(ctx context.Context, who Caller, school SchoolID) (SchoolCalendar, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return SchoolCalendar{}, err
	}
	if !p.IsMember(school) {
		return SchoolCalendar{}, ErrForbidden
	}
	return s.calendar(ctx, school)
}

// EditCalendar replaces a school's terms and days off (Senior DSL or admin), against the
// version the editor read (ErrConflict when someone saved first).
func (s Engagement) EditCalendar(ctx context.Context, who Caller, school SchoolID, version int, in CalendarInput) (SchoolCalendar, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return SchoolCalendar{}, err
	}
	prev, err := s.calendar(ctx, school)
	if err != nil {
		return SchoolCalendar{}, err
	}
	prev.School = school
	if !p.IsMember(school) {
		return SchoolCalendar{}, ErrForbidden
	}
	if version != prev.Version {
		return SchoolCalendar{}, fmt.Errorf("editing version %d of a calendar now at %d: %w", version, prev.Version, ErrConflict)
	}
	cal, err := NewSchoolCalendar(p, prev, in)
	if err != nil {
		return SchoolCalendar{}, err
	}
	err = s.Store.SaveSchoolCalendar(ctx, cal, AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email,
		Action: AuditCalendarEdited, Subject: "calendar", At: who.At, Source: who.Source})
	return cal, err
}
