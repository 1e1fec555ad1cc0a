package safeguarding

import (
	"slices"
	"strconv"
	"time"
)

// ActionStatus is where an action stands.
type ActionStatus string

const (
	ActionOpen      ActionStatus = "open"
	ActionCompleted ActionStatus = "completed"
)

// DueFamilyAction is the deadline engine's kind of an action agreed with a family.
const DueFamilyAction = "family-action"

// The escalation ladder of rule D8, for every item with a due time (an action, a phone call,
// a home visit's observations or its next visit; a visit's check-out has its own policy, see
// LoneWorkerAdvance): a reminder to the assignee before the due time, an alert to the
// assignee when it is overdue, then the DSLs, then the Senior DSL, who is alerted again each
// day until the item is done. No step alerts about the same item more than once a day.
const (
	StepPending       = 0 // nothing sent yet
	StepReminded      = 1 // the assignee was reminded before the due time
	StepOverdue       = 2 // the assignee was told it is overdue
	StepDSLs          = 3 // the DSLs were told
	StepSeniorDSL     = 4 // the Senior DSL was told (repeats daily)
	ReminderLead      = 2 * time.Hour
	escalationSpacing = 24 * time.Hour
)

// DueState is where an item stands on the ladder. NextAt is when the deadline engine should
// next look at it; an inactive state (done, or never due) is not in the due index at all.
type DueState struct {
	DueAt  time.Time
	Step   int
	NextAt time.Time
	Active bool
}

// NewDueState starts the ladder for an item due at dueAt, created at now. An item created
// less than ReminderLead before its due time gets no reminder.
func NewDueState(dueAt, now time.Time) DueState {
	s := DueState{DueAt: dueAt.UTC(), Active: true, NextAt: dueAt.Add(-ReminderLead).UTC()}
	if !s.NextAt.After(now) {
		s.Step, s.NextAt = StepReminded, dueAt.UTC()
	}
	return s
}

// Stop takes the item off the ladder: it is done.
func (s DueState) Stop() DueState {
	s.Active = false
	return s
}

// Escalation is one step the engine takes: who to tell, how and why.
type Escalation struct {
	Step     int
	Kind     string // "reminder", "overdue", or a kind's own ("lone-worker")
	Audience Audience
	// Also are further audiences told in the same step (rule V8: the line manager and the
	// Senior DSL at once).
	Also     []Audience
	Channels []Channel
	Priority Priority
}

// Ladder is an escalation policy: the step due at now for an item in state s and the state
// after it, or ok=false when nothing is due.
type Ladder func(s DueState, now time.Time) (next DueState, e Escalation, ok bool)

// ladderFor is the policy of each kind of due item: a lone-worker check-out (rule V8) has its
// own; every other kind climbs the ladder of rule D8.
func ladderFor(kind string) Ladder {
	switch kind {
	case DueVisitCheckout:
		return LoneWorkerAdvance
	case DueConcernResponse:
		return ResponseAdvance(AudienceDSL)
	case DueStaffConcernResponse:
		return ResponseAdvance(AudienceSeniorDSL)
	}
	return DueState.Advance
}

// The due item every concern opens when it is recorded (rule D1): the DSLs' first action on it
// is due by the end of the day it was recorded, or by the end of the next school day. A concern
// about a member of staff, which the DSLs do not see (C5), is due to the Senior DSL.
const (
	DueConcernResponse      = "concern-response"
	DueStaffConcernResponse = "staff-concern-response"
)

// NewResponseDue starts rule D1's item due at dueAt: it has no reminder, since nobody is its
// assignee until a DSL acts; the engine first looks at it at its due time.
func NewResponseDue(dueAt time.Time) DueState {
	return DueState{DueAt: dueAt.UTC(), Step: StepOverdue, NextAt: dueAt.UTC(), Active: true}
}

// ResponseAdvance is rule D1's ladder (D8) for a concern no DSL has acted on: at its due time
// the people who first act on such a concern (first, the DSLs; for a concern about a member of
// staff, the Senior DSL alone) and the Senior DSL are told by email; a day later the Senior DSL by SMS and email, high
// priority, again each day until a DSL acts. Nobody is told more than once a day per step.
func ResponseAdvance(first Audience) Ladder {
	return func(s DueState, now time.Time) (DueState, Escalation, bool) {
		if !s.Active || now.Before(s.NextAt) {
			return s, Escalation{}, false
		}
		next := s
		if s.Step < StepDSLs {
			next.Step = StepDSLs
			next.NextAt = later(s.DueAt.Add(escalationSpacing), now.Add(escalationSpacing)).UTC()
			e := Escalation{Step: StepDSLs, Kind: "overdue", Audience: first, Channels: []Channel{ChannelEmail}, Priority: PriorityNormal}
			if first != AudienceSeniorDSL {
				e.Also = []Audience{AudienceSeniorDSL}
			}
			return next, e, true
		}
		next.Step = StepSeniorDSL
		next.NextAt = later(s.DueAt.Add(2*escalationSpacing), now.Add(escalationSpacing)).UTC()
		return next, Escalation{Step: StepSeniorDSL, Kind: "overdue", Audience: AudienceSeniorDSL,
			Channels: []Channel{ChannelSMS, ChannelEmail}, Priority: PriorityHigh}, true
	}
}

// Advance returns the step due at now and the state after it, or ok=false when nothing is due.
// A late run (the engine was down) sends the step that fits now, never a reminder for
// something already overdue, and never two alerts about one item within a day.
func (s DueState) Advance(now time.Time) (next DueState, e Escalation, ok bool) {
	if !s.Active || now.Before(s.NextAt) {
		return s, Escalation{}, false
	}
	next = s
	step := s.Step + 1
	if step == StepReminded && !now.Before(s.DueAt) {
		step = StepOverdue
	}
	if step > StepSeniorDSL {
		step = StepSeniorDSL // the top of the ladder repeats, once a day
	}
	next.Step = step
	switch step {
	case StepReminded:
		next.NextAt = s.DueAt
		return next, Escalation{Step: step, Kind: "reminder", Audience: AudienceAssignee, Channels: []Channel{ChannelEmail}, Priority: PriorityNormal}, true
	case StepOverdue:
		e = Escalation{Step: step, Kind: "overdue", Audience: AudienceAssignee, Channels: []Channel{ChannelEmail}, Priority: PriorityNormal}
	case StepDSLs:
		e = Escalation{Step: step, Kind: "overdue", Audience: AudienceDSL, Channels: []Channel{ChannelEmail}, Priority: PriorityNormal}
	default:
		e = Escalation{Step: step, Kind: "overdue", Audience: AudienceSeniorDSL, Channels: []Channel{ChannelSMS, ChannelEmail}, Priority: PriorityHigh}
	}
	scheduled := s.DueAt.Add(time.Duration(step-StepOverdue+1) * escalationSpacing)
	next.NextAt = later(scheduled, now.Add(escalationSpacing)).UTC()
	return next, e, true
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// DueItem is what the engine knows of any item with a due time.
type DueItem struct {
	ID        string
	School    SchoolID
	Kind      string // what is due: "action", "phone-call", "visit-checkout", "visit-observations", "visit-next"
	Assignee  string
	Reference string
	// Subject is the id of the record the link in the alert opens.
	Subject string
	// Exclude are people never alerted about the item (the subject of a concern about staff).
	Exclude []string
	Due     DueState
	// Ref is the store's own handle on the item; the engine passes it back unread.
	Ref string
	// Occurrence numbers the occurrences of a repeating item (a monitoring action or a check-in
	// that falls due again at its frequency, rules D3 and D5) from 1; 0 for an item due once.
	// Each occurrence climbs the ladder afresh, so its steps and alerts are its own.
	Occurrence int
}

// StepKey names one step of one occurrence of the item, for the ids of its audit entry and
// alerts: the item's id, with the occurrence from the second on.
func (d DueItem) StepKey() string {
	if d.Occurrence > 1 {
		return d.ID + "-o" + strconv.Itoa(d.Occurrence)
	}
	return d.ID
}

// Advance is the item's next step under the policy of its kind.
func (d DueItem) Advance(now time.Time) (DueState, Escalation, bool) {
	return ladderFor(d.Kind)(d.Due, now)
}

// AudienceAssignee is the person an item is assigned to.
const AudienceAssignee Audience = "assignee"

// EscalationAlerts are the alerts of one step for one item (rule D8, S2, S6). Their ids name
// the item, the step and the local day, so a repeated run cannot send a step twice.
// A person in several audiences of one step is alerted once, as the first audience.
func EscalationAlerts(item DueItem, e Escalation, school School, now time.Time) []Alert {
	day := LocalDay(now).Format(time.DateOnly)
	var out []Alert
	seen := map[string]bool{}
	for _, aud := range append([]Audience{e.Audience}, e.Also...) {
		var recipients []string
		switch aud {
		case AudienceAssignee, AudienceLineManager:
			recipients = []string{item.Assignee}
			if aud == AudienceAssignee && item.Assignee == "" && item.Kind == DuePhoneCall {
				// rule E3: a call no one has taken belongs to the DSLs as a group.
				recipients = nil
				for _, m := range RosterWith(school.Roster, RoleDSL) {
					recipients = append(recipients, m.Email)
				}
			}
		case AudienceDSL:
			for _, m := range RosterWith(school.Roster, RoleDSL) {
				recipients = append(recipients, m.Email)
			}
		case AudienceSeniorDSL:
			for _, m := range RosterWith(school.Roster, RoleSeniorDSL) {
				recipients = append(recipients, m.Email)
			}
		}
		for _, r := range recipients {
			if seen[r] || r == "" || slices.Contains(item.Exclude, r) {
				continue
			}
			seen[r] = true
			for _, ch := range e.Channels {
				out = append(out, Alert{
					ID:     item.StepKey() + "#" + e.Kind + strconv.Itoa(e.Step) + "#" + day + "#" + r + "#" + string(ch),
					School: item.School, SchoolName: school.Name, Kind: e.Kind, Audience: aud, Recipient: r,
					Channel: ch, Priority: e.Priority, Reference: item.Reference, Subject: item.Subject, SubjectKind: subjectKindOf(item.Kind),
				})
			}
		}
	}
	return out
}

// SchoolDue is a school as the deadline engine visits it: its id and the earliest local day
// whose due items an earlier run may not have reached.
type SchoolDue struct {
	ID   SchoolID
	From time.Time
}

// The due items a started visit puts on the deadline engine: the check-out (V8, its own
// policy, LoneWorkerAdvance), the observations (V6) and the next visit (V7), both on the
// ladder of rule D8.
const (
	DueVisitCheckout     = "visit-checkout"
	DueVisitObservations = "visit-observations"
	DueVisitNext         = "visit-next"
)

// The lone-worker alarm of a home visit (V8).
const (
	// DefaultLoneWorkerMinutes is how long after the planned end a missing check-out raises
	// the alarm (V8), unless the school configures another.
	DefaultLoneWorkerMinutes = 30
	// LoneWorkerWiden is how long after the first lone-worker alarm the DSLs are told too.
	LoneWorkerWiden = 30 * time.Minute
)

// LoneWorkerAdvance is rule V8's policy for a missing check-out, within D8's once-a-day bound
// per step:
//   - at the due time (the planned end plus the school's lone-worker minutes): the line
//     manager and the Senior DSL at once, by SMS and email, high priority;
//   - LoneWorkerWiden later, still no check-out: the same people again and the DSLs;
//   - then that step again once a day until someone checks out.
//
// The engine runs every 15 minutes, so the first alarm goes within one run of the due time.
func LoneWorkerAdvance(s DueState, now time.Time) (DueState, Escalation, bool) {
	if !s.Active || now.Before(s.NextAt) {
		return s, Escalation{}, false
	}
	next := s
	e := Escalation{Kind: "lone-worker", Audience: AudienceLineManager, Also: []Audience{AudienceSeniorDSL},
		Channels: []Channel{ChannelSMS, ChannelEmail}, Priority: PriorityHigh}
	if s.Step == 0 {
		e.Step, next.Step = 1, 1
		next.NextAt = later(s.DueAt.Add(LoneWorkerWiden), now).UTC()
		return next, e, true
	}
	e.Step, next.Step = 2, 2
	e.Also = append(e.Also, AudienceDSL)
	next.NextAt = later(s.DueAt.Add(escalationSpacing), now.Add(escalationSpacing)).UTC()
	return next, e, true
}
