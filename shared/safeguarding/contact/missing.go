package contact

import (
	"fmt"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// EscalationActor is who the audit trail names for the escalation job's writes (rule P4), and
// AuditFamilyMissing and AuditFamilyLARaised what it did.
const (
	EscalationActor     = "system:escalation"
	AuditFamilyMissing  = "family.missing"
	AuditFamilyLARaised = "family.la-raised"
)

// Thresholds of rules E2 and E5, in silent school days.
const (
	SilentDaysMissing = 5  // more than this is MISSING (E2)
	SilentDaysLA      = 20 // at this the LA is informed (E5)
	CallWithin        = 24 * time.Hour
)

// Check is the escalation job's look at one family at now (rules E0, E2, E3, E5), with the
// school's calendar cal, its latest closure c, and lookCal, a calendar with no more school
// days than any school can have (weekdays less bank holidays) used to say when to look next,
// so an edit of the school's calendar can delay a look but never make one too late. Nothing is
// counted and no step is raised on a day outside the closure (E0): the family leaves the look
// index until a closure could count it (the job looks at every family on the closure's day
// when the never-heard-from reach the threshold). Every step is conditional on the family's
// state, so a rerun the same day finds nothing to do, and a run after missed days takes every
// step that fell due, in order, without skipping one. ok is false when the family needs no
// write at all.
func (f Family) Check(cal, lookCal safeguarding.Calendar, c safeguarding.Closure, school safeguarding.School, id string, now time.Time) (FamilyWrite, bool) {
	next := f
	w := FamilyWrite{PrevVersion: f.s.Version, At: now}
	if c.Covers(now) {
		silent := f.SilentSchoolDays(cal, c, now)
		if next.s.Status != FamilyMissing && silent > SilentDaysMissing {
			// rule E2: MISSING in each child's chronology, the DSLs alerted (no names: S2).
			next.s.Status, next.s.MissingSince = FamilyMissing, now.UTC()
			for _, ch := range f.s.Children {
				w.Entries = append(w.Entries, safeguarding.ChronologyEntry{ID: id + "#" + string(ch.Pupil), Pupil: ch.Pupil, Type: safeguarding.EntryMissing, At: now.UTC(),
					Reference: f.Reference(), AuthorName: "Keepsafe",
					Summary:    fmt.Sprintf("Family logged MISSING: %d school days without acknowledging school communication (more than %d). A phone call is due within 24 hours.", silent, SilentDaysMissing),
					Visibility: safeguarding.Visibility{School: f.s.School}})
			}
			w.Alerts = append(w.Alerts, familyAlerts(f, school, "missing", safeguarding.AudienceDSL, safeguarding.RoleDSL, now)...)
			// rule P4: the job that writes to the children's chronologies is audited as their actor.
			w.Audits = append(w.Audits, safeguarding.AuditEntry{ID: id, School: f.s.School, Actor: EscalationActor, Action: AuditFamilyMissing,
				Subject: "family/" + f.s.ID, Pupils: f.Pupils(), At: now.UTC()})
			// rule E3: a phone call within 24 hours, on the deadline engine's ladder (D8),
			// belonging to the DSLs as a group (no assignee) until someone takes it.
			call := safeguarding.DueItem{ID: f.s.ID + "-call-" + safeguarding.LocalDay(now).Format("20060102"), School: f.s.School, Kind: safeguarding.DuePhoneCall,
				Reference: f.Reference(), Subject: f.s.ID, Due: safeguarding.NewDueState(now.Add(CallWithin), now)}
			w.OpenCall = &call
			next.s.CallDueAt, next.s.CallOwner = call.Due.DueAt, ""
		}
		if next.s.Status == FamilyMissing && silent >= SilentDaysLA && next.s.LARaisedAt.IsZero() {
			// rule E5: the Senior DSL is asked to inform the LA, with what to send.
			next.s.LARaisedAt = now.UTC()
			w.Alerts = append(w.Alerts, familyAlerts(f, school, "la-notification", safeguarding.AudienceSeniorDSL, safeguarding.RoleSeniorDSL, now)...)
			// rule P4: raising the LA changes the family's record, by the job.
			w.Audits = append(w.Audits, safeguarding.AuditEntry{ID: id + "-LA", School: f.s.School, Actor: EscalationActor, Action: AuditFamilyLARaised,
				Subject: "family/" + f.s.ID, Pupils: f.Pupils(), At: now.UTC()})
		}
	}
	next.s.NextLook = time.Time{}
	if !c.IsZero() {
		next.s.NextLook = nextLook(next, lookCal, c, now)
	}
	if next.s.Status == f.s.Status && next.s.LARaisedAt.Equal(f.s.LARaisedAt) && next.s.NextLook.Equal(f.s.NextLook) {
		return FamilyWrite{}, false
	}
	next.s.Version++
	w.Family = next
	return w, true
}

// nextLook is the first local day on which a check could find a step to take: the day after
// the school day on which the silence would reach the next threshold, counted with lookCal.
// Under a closure c that no longer covers now, or before one, there is none (zero): counting
// happens only while a closure lasts (rule E0). Without a closure (a family just added, or an
// acknowledgement) the silence is counted from the family's own day, which is never later than
// a closure would count it from, so a look is never too late.
func nextLook(f Family, lookCal safeguarding.Calendar, c safeguarding.Closure, now time.Time) time.Time {
	if !c.IsZero() && !c.Covers(now) {
		return time.Time{}
	}
	threshold := SilentDaysMissing + 1
	switch {
	case f.s.Status == FamilyMissing && f.s.LARaisedAt.IsZero():
		threshold = SilentDaysLA
	case f.s.Status == FamilyMissing:
		return time.Time{} // every step is taken; only a contact changes anything now
	}
	from := f.silenceAnchor(c)
	if c.IsZero() {
		from = f.ownAnchor()
	}
	if from.IsZero() {
		return time.Time{}
	}
	start := safeguarding.LocalDay(now).AddDate(0, 0, -1)
	if from.After(start) {
		start = from
	}
	need := max(1, threshold-safeguarding.SchoolDaysBetween(lookCal, from, start))
	day := safeguarding.AddSchoolDays(lookCal, start, need).AddDate(0, 0, 1)
	if !c.LastDay.IsZero() && day.After(safeguarding.LocalDay(c.LastDay)) {
		return time.Time{} // the closure ends first: nothing more is counted
	}
	return day
}

// ownAnchor is the family's own start of silence, without a closure: the day of its last
// contact, or the day before it was added.
func (f Family) ownAnchor() time.Time {
	var a time.Time
	if !f.s.TrackedSince.IsZero() {
		a = safeguarding.LocalDay(f.s.TrackedSince).AddDate(0, 0, -1)
	}
	if !f.s.LastContactAt.IsZero() {
		if t := safeguarding.LocalDay(f.s.LastContactAt); t.After(a) {
			a = t
		}
	}
	return a
}

// LookAfterContact moves the family's next look to where it goes once its silence restarts
// (a contact or an acknowledgement at now).
func (f *Family) LookAfterContact(lookCal safeguarding.Calendar, now time.Time) {
	f.s.NextLook = nextLook(*f, lookCal, safeguarding.Closure{}, now)
}

// CanTakeCall reports whether p may take a family's open phone call (rule E3): a DSL or the
// Senior DSL of the school, or staff designated for closure contact (designated).
func CanTakeCall(p safeguarding.Principal, school safeguarding.SchoolID, designated bool) bool {
	return p.IsDSL(school) || designated && p.IsMember(school)
}

// TakeCall gives the family's open phone call to p (rule E3): from then on it is in p's work
// and its ladder's first steps alert p (D8). Only a call the DSLs still hold as a group can be
// taken; one someone took is ErrConflict.
func (f Family) TakeCall(p safeguarding.Principal, designated bool, now time.Time) (FamilyWrite, error) {
	if !CanTakeCall(p, f.s.School, designated) {
		return FamilyWrite{}, safeguarding.ErrForbidden
	}
	if f.s.CallKey == "" {
		var ps safeguarding.Problems
		ps.Add("call", "no phone call is due for this family")
		return FamilyWrite{}, ps.Err()
	}
	if f.s.CallOwner != "" {
		return FamilyWrite{}, fmt.Errorf("the call was taken by someone else: %w", safeguarding.ErrConflict)
	}
	next := f
	next.s.CallOwner = p.Email
	next.s.Version++
	return FamilyWrite{Family: next, PrevVersion: f.s.Version, AssignCall: p.Email, At: now}, nil
}

// familyAlerts tells everyone with role in the school, by email, with the family's reference
// only (rule S2). Ids name the family, the kind and the day, so a rerun cannot send twice.
func familyAlerts(f Family, school safeguarding.School, kind string, aud safeguarding.Audience, role safeguarding.Role, now time.Time) []safeguarding.Alert {
	var out []safeguarding.Alert
	day := safeguarding.LocalDay(now).Format(time.DateOnly)
	for _, m := range safeguarding.RosterWith(school.Roster, role) {
		out = append(out, safeguarding.Alert{ID: "family#" + string(f.s.School) + "#" + f.s.ID + "#" + kind + "#" + day + "#" + m.Email + "#email",
			School: f.s.School, SchoolName: school.Name, Kind: kind, Audience: aud, Recipient: m.Email, Channel: safeguarding.ChannelEmail,
			Priority: safeguarding.PriorityHigh, Reference: f.Reference(), Subject: f.s.ID, SubjectKind: safeguarding.SubjectFamily})
	}
	return out
}
