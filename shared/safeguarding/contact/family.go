package contact

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// HeardFromOn reports whether the family's last acknowledgement or established contact was
// on the local day of now (rule E1: one sibling's acknowledgement counts for the family).
func (f Family) HeardFromOn(now time.Time) bool {
	return !f.s.LastContactAt.IsZero() && safeguarding.LocalDay(f.s.LastContactAt).Equal(safeguarding.LocalDay(now))
}

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
	Pupil     safeguarding.PupilID
	ClassName string
}

// FamilySnapshot is every field of a family, for a store to save it and rebuild it
// (RestoreFamily).
type FamilySnapshot struct {
	ID       string
	School   safeguarding.SchoolID
	Children []FamilyChild
	// TrackedSince is when the family was added to the school (zero: before any closure it
	// could matter to). During a closure silence is counted from the latest of the closure's
	// first day, this day and the last contact (rule E0).
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
	// CallOwner is who took the open call (a DSL, or staff designated for closure contact);
	// empty while it belongs to the DSLs as a group (rule E3).
	CallOwner string
	Decision  string
	// ContactDeclinedAt is when the family said it no longer wants to be contacted, or
	// refused contact (rules H2, H3); zero while it is happy to be.
	ContactDeclinedAt time.Time
	// NextLook is the local day the escalation job should look at the family again; zero
	// when nothing can change without a new contact.
	NextLook time.Time
	Version  int
}

// Family is a household as one school tracks its engagement (rules E1-E6). Engagement is per
// family, not per child: one sibling's acknowledgement counts for all of them. Its fields are
// kept unexported: the changes below enforce the rules, and only a store rebuilds one, from
// what it saved or what seeding and imports put through it (RestoreFamily).
type Family struct{ s FamilySnapshot }

// RestoreFamily rebuilds a family a store saved, or one that seeding or an import puts
// through the store as it is.
func RestoreFamily(s FamilySnapshot) Family { return Family{s: s} }

// Snapshot returns a copy of every field.
func (f Family) Snapshot() FamilySnapshot {
	s := f.s
	s.Children = slices.Clone(s.Children)
	return s
}

func (f Family) ID() string { return f.s.ID }

func (f Family) School() safeguarding.SchoolID { return f.s.School }

// Children are the family's children at the school, each with their class.
func (f Family) Children() []FamilyChild { return slices.Clone(f.s.Children) }

func (f Family) TrackedSince() time.Time { return f.s.TrackedSince }

func (f Family) LastContactAt() time.Time { return f.s.LastContactAt }

func (f Family) LastContactHow() string { return f.s.LastContactHow }

func (f Family) Status() FamilyStatus { return f.s.Status }

func (f Family) MissingSince() time.Time { return f.s.MissingSince }

func (f Family) LARaisedAt() time.Time { return f.s.LARaisedAt }

func (f Family) LANotifiedAt() time.Time { return f.s.LANotifiedAt }

func (f Family) Attempts() int { return f.s.Attempts }

func (f Family) LastAttemptAt() time.Time { return f.s.LastAttemptAt }

func (f Family) CallDueAt() time.Time { return f.s.CallDueAt }

func (f Family) CallKey() string { return f.s.CallKey }

func (f Family) CallOwner() string { return f.s.CallOwner }

func (f Family) Decision() string { return f.s.Decision }

func (f Family) ContactDeclinedAt() time.Time { return f.s.ContactDeclinedAt }

func (f Family) NextLook() time.Time { return f.s.NextLook }

func (f Family) Version() int { return f.s.Version }

// Reference is what alerts and the LA are given instead of names (rule S2).
func (f Family) Reference() string { return Reference(f.s.ID) }

// Reference is the reference of the family with the id: "FAM-" and the id in capitals, the
// prefix given once even to an id that already starts with it ("fam-08" is FAM-08).
func Reference(id string) string {
	return "FAM-" + strings.TrimPrefix(strings.ToUpper(id), "FAM-")
}

// Pupils are the family's children at the school.
func (f Family) Pupils() []safeguarding.PupilID {
	out := make([]safeguarding.PupilID, len(f.s.Children))
	for i, c := range f.s.Children {
		out[i] = c.Pupil
	}
	return out
}

// silenceAnchor is the local day after which the family's silent school days are counted
// under closure c (rules E0, E2): the day of its last acknowledgement or established contact,
// but never before the day before the closure's first day (a family that has never
// acknowledged counts from that first day) nor before the day before the family was added
// (one added during the closure counts from the day it was added). Zero without a closure.
func (f Family) silenceAnchor(c safeguarding.Closure) time.Time {
	if c.IsZero() {
		return time.Time{}
	}
	a := safeguarding.LocalDay(c.From).AddDate(0, 0, -1)
	if !f.s.TrackedSince.IsZero() {
		if t := safeguarding.LocalDay(f.s.TrackedSince).AddDate(0, 0, -1); t.After(a) {
			a = t
		}
	}
	if !f.s.LastContactAt.IsZero() {
		if t := safeguarding.LocalDay(f.s.LastContactAt); t.After(a) {
			a = t
		}
	}
	return a
}

// SilentSchoolDays is rule E2's count at a check at now, under the school's latest closure c
// (rule E0): the school days of the closure after the day of the family's last
// acknowledgement or established contact (or from the closure's first day, or the day the
// family was added), up to and including the day before the check, and never past the
// closure's last day. Without a closure nothing is counted.
func (f Family) SilentSchoolDays(cal safeguarding.Calendar, c safeguarding.Closure, now time.Time) int {
	from := f.silenceAnchor(c)
	if from.IsZero() {
		return 0
	}
	to := safeguarding.LocalDay(now).AddDate(0, 0, -1)
	if !c.LastDay.IsZero() && c.LastDay.Before(to) {
		to = safeguarding.LocalDay(c.LastDay)
	}
	return safeguarding.SchoolDaysBetween(cal, from, to)
}

// StartTracking marks a family new to the school at now (an import adds it): during a
// closure its silent school days count from this day (rule E0), and the escalation job looks
// at it once they could reach the threshold, counted with lookCal (see Check).
func (f *Family) StartTracking(lookCal safeguarding.Calendar, now time.Time) {
	if f.s.TrackedSince.IsZero() {
		f.s.TrackedSince = now.UTC()
	}
	f.s.NextLook = nextLook(*f, lookCal, safeguarding.Closure{}, now)
}

// Acknowledgement is one family's acknowledgement as a teacher records it (rule E1).
type Acknowledgement struct {
	FamilyID string
	PupilID  safeguarding.PupilID
	At       time.Time
	Kind     string
}

// FamilyWrite is what one change to one family commits together: the family on the
// condition that its version is PrevVersion, chronology entries, alerts, and the phone-call
// item to open (E3) or close.
type FamilyWrite struct {
	Family      Family
	PrevVersion int
	Entries     []safeguarding.ChronologyEntry
	Alerts      []safeguarding.Alert
	OpenCall    *safeguarding.DueItem
	CloseCall   string // the CallKey of the call to take off the ladder
	// AssignCall gives the open call (CallKey) to this person (rule E3: someone took it).
	AssignCall string
	// Actions are actions agreed on a call (rule H3), each put on the deadline engine's ladder.
	Actions []FamilyAction
	// Late says a contact was recorded more than rule H2's 24 hours after it happened, and
	// MinutesLate by how much (accepted, never refused, like a late concern of rule C3).
	Late        bool
	MinutesLate int
	// Audits and Request commit with the change (rule P4; an Idempotency-Key).
	Audits  []safeguarding.AuditEntry
	Request *safeguarding.RequestRecord
	At      time.Time
	// Contact says the change records an acknowledgement or a contact, and PrevLastContactAt
	// when the family was last heard from before it: for the reports' count of the families
	// first heard from in a month (rule D10).
	Contact           bool
	PrevLastContactAt time.Time
}

// restoredEntries are rule E6's contact_restored entries, one in each child's chronology.
func restoredEntries(f Family, id string, at time.Time, how, by string) []safeguarding.ChronologyEntry {
	var out []safeguarding.ChronologyEntry
	for _, c := range f.s.Children {
		out = append(out, safeguarding.ChronologyEntry{ID: id + "#" + string(c.Pupil), Pupil: c.Pupil, Type: safeguarding.EntryContactRestored, At: at,
			Reference: f.Reference(), AuthorName: by,
			Summary:    fmt.Sprintf("Contact restored on %s by %s; missing since %s.", at.In(safeguarding.London).Format("Mon 2 Jan 2006 15:04"), how, f.s.MissingSince.In(safeguarding.London).Format("Mon 2 Jan 2006")),
			Visibility: safeguarding.Visibility{School: f.s.School}})
	}
	return out
}

// restore ends MISSING (rule E6) and closes the open phone call.
func (f *Family) restore(w *FamilyWrite, id string, at time.Time, how, by string) {
	if f.s.Status == FamilyMissing {
		w.Entries = append(w.Entries, restoredEntries(*f, id, at, how, by)...)
	}
	if f.s.CallKey != "" {
		w.CloseCall = f.s.CallKey
	}
	f.s.Status, f.s.MissingSince, f.s.LARaisedAt, f.s.LANotifiedAt, f.s.CallDueAt, f.s.CallKey, f.s.CallOwner = FamilyEngaged, time.Time{}, time.Time{}, time.Time{}, time.Time{}, "", ""
	f.s.Attempts, f.s.LastAttemptAt, f.s.Decision = 0, time.Time{}, ""
}

// Acknowledge records an acknowledgement at at, recorded at now by who (rules E1, E6). An
// acknowledgement no later than the family's last contact changes nothing, so a repeated
// batch is harmless; a newer one ends MISSING with a contact_restored entry in each child's
// chronology. ok is false when there is nothing to write.
func (f Family) Acknowledge(a Acknowledgement, by string, id string, now time.Time) (FamilyWrite, bool, error) {
	var ps safeguarding.Problems
	if !slices.Contains(AckKinds, a.Kind) {
		ps.Add("acknowledgements.kind", "must be one of %s", strings.Join(AckKinds, ", "))
	}
	if a.At.IsZero() || a.At.After(now.Add(5*time.Minute)) {
		ps.Add("acknowledgements.at", "when the family acknowledged, not in the future")
	}
	if err := ps.Err(); err != nil {
		return FamilyWrite{}, false, err
	}
	if !a.At.After(f.s.LastContactAt) {
		return FamilyWrite{}, false, nil
	}
	next := f
	w := FamilyWrite{PrevVersion: f.s.Version, At: now, Contact: true, PrevLastContactAt: f.s.LastContactAt}
	next.s.LastContactAt, next.s.LastContactHow = a.At.UTC(), a.Kind
	next.restore(&w, id, a.At.UTC(), "an acknowledgement ("+a.Kind+")", by)
	next.s.Version++
	w.Family = next
	return w, true, nil
}

// Decisions on contacting social care (rule E4).
var SocialCareDecisions = []string{"contact-social-care", "do-not-contact-social-care"}

// decisionTitles say the decisions in the chronology's words.
var decisionTitles = map[string]string{"contact-social-care": "contact social care", "do-not-contact-social-care": "do not contact social care"}

// Decide records the Senior DSL's decision on contacting social care about a family with no
// contact, with its reason, as a decision entry in each child's chronology (rule E4).
func (f Family) Decide(p safeguarding.Principal, decision, reason, id string, now time.Time) (FamilyWrite, error) {
	if !p.Has(f.s.School, safeguarding.RoleSeniorDSL) {
		return FamilyWrite{}, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	if !slices.Contains(SocialCareDecisions, decision) {
		ps.Add("decision", "must be one of %s", strings.Join(SocialCareDecisions, ", "))
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		ps.Add("reason", "record the reason for the decision")
	}
	safeguarding.CheckText(&ps, "reason", reason, safeguarding.MaxNotesChars)
	if f.s.Status != FamilyMissing {
		ps.Add("decision", "the family is not missing")
	}
	if err := ps.Err(); err != nil {
		return FamilyWrite{}, err
	}
	next := f
	next.s.Decision = decision
	next.s.Version++
	w := FamilyWrite{Family: next, PrevVersion: f.s.Version, At: now}
	for _, c := range f.s.Children {
		w.Entries = append(w.Entries, safeguarding.ChronologyEntry{ID: id + "#" + string(c.Pupil), Pupil: c.Pupil, Type: safeguarding.EntryDecision, At: now,
			Reference: f.Reference(), AuthorName: p.Email, Summary: "Decision (Senior DSL): " + decisionTitles[decision] + ". Reason: " + reason,
			Visibility: safeguarding.Visibility{School: f.s.School}})
	}
	return w, nil
}

// RecordLANotification records when the Senior DSL informed the local authority about a
// family silent for 20 school days, with a la_notification entry in each child's chronology
// (rule E5).
func (f Family) RecordLANotification(p safeguarding.Principal, sentAt time.Time, notes, id string, now time.Time) (FamilyWrite, error) {
	if !p.Has(f.s.School, safeguarding.RoleSeniorDSL) {
		return FamilyWrite{}, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	if f.s.Status != FamilyMissing || f.s.LARaisedAt.IsZero() {
		ps.Add("sentAt", "the LA is informed once a missing family reaches %d silent school days", SilentDaysLA)
	}
	if sentAt.IsZero() || sentAt.After(now.Add(5*time.Minute)) {
		ps.Add("sentAt", "when it was sent, not in the future")
	}
	notes = strings.TrimSpace(notes)
	safeguarding.CheckText(&ps, "notes", notes, safeguarding.MaxNotesChars)
	if err := ps.Err(); err != nil {
		return FamilyWrite{}, err
	}
	next := f
	next.s.LANotifiedAt = sentAt.UTC()
	next.s.Version++
	w := FamilyWrite{Family: next, PrevVersion: f.s.Version, At: now}
	summary := "The local authority was informed and advice requested on " + sentAt.In(safeguarding.London).Format("Mon 2 Jan 2006 15:04") + "."
	if notes != "" {
		summary += " " + notes
	}
	for _, c := range f.s.Children {
		w.Entries = append(w.Entries, safeguarding.ChronologyEntry{ID: id + "#" + string(c.Pupil), Pupil: c.Pupil, Type: safeguarding.EntryLANotification, At: sentAt.UTC(),
			Reference: f.Reference(), AuthorName: p.Email, Summary: summary, Visibility: safeguarding.Visibility{School: f.s.School}})
	}
	return w, nil
}

// LABrief is what the Senior DSL sends the LA (rule E5): the reference, dates and attempts,
// never a name.
func (f Family) LABrief(cal safeguarding.Calendar, c safeguarding.Closure, now time.Time) string {
	last := "no acknowledgement or contact recorded since counting began on " + safeguarding.LocalDay(f.silenceAnchor(c).AddDate(0, 0, 1)).Format("2 Jan 2006")
	if !f.s.LastContactAt.IsZero() {
		last = "last acknowledgement or contact " + f.s.LastContactAt.In(safeguarding.London).Format("2 Jan 2006") + " (" + f.s.LastContactHow + ")"
	}
	s := fmt.Sprintf("Family %s: %s; %d school days without contact; logged missing %s; %d attempts to contact",
		f.Reference(), last, f.SilentSchoolDays(cal, c, now), f.s.MissingSince.In(safeguarding.London).Format("2 Jan 2006"), f.s.Attempts)
	if !f.s.LastAttemptAt.IsZero() {
		s += ", the last on " + f.s.LastAttemptAt.In(safeguarding.London).Format("2 Jan 2006")
	}
	return s + "."
}
