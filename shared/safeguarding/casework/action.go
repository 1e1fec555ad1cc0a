package casework

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// ActionType is the kind of work a DSL records on a concern (rules D1-D5).
type ActionType string

const (
	ActionDSL           ActionType = "dsl-action"
	ActionMonitoring    ActionType = "monitoring"
	ActionReferral      ActionType = "referral"
	ActionParentMeeting ActionType = "parent-meeting"
	ActionCheckIn       ActionType = "check-in"
)

// ActionTypes lists every action type, in the order screens show them.
var ActionTypes = []ActionType{ActionDSL, ActionMonitoring, ActionReferral, ActionParentMeeting, ActionCheckIn}

// Frequencies of a repeating action: a monitoring action may state one (rule D3); a check-in
// is always weekly (D5). Each occurrence falls due one period after the one before.
const (
	FrequencyDaily  = "daily"
	FrequencyWeekly = "weekly"
)

// Frequencies lists them, in the order screens show them.
var Frequencies = []string{FrequencyDaily, FrequencyWeekly}

// Referral destinations (rule D4).
var ReferralDestinations = []string{"childrens-social-care", "early-help", "police", "lado"}

// ActionID identifies an action: its concern's id and its number on that concern ("<id>-A3").
type ActionID string

// ParseActionID splits an action id into its concern and its number.
func ParseActionID(id ActionID) (safeguarding.ConcernID, int, bool) {
	c, n, ok := strings.Cut(string(id), "-A")
	if !ok || c == "" {
		return "", 0, false
	}
	var num int
	if _, err := fmt.Sscanf(n, "%d", &num); err != nil || num < 1 || fmt.Sprint(num) != n {
		return "", 0, false
	}
	return safeguarding.ConcernID(c), num, true
}

// ActionEvent is one line of an action's history: created, reallocation asked for,
// reallocated, due time changed, completed (rule D6: the history shows both assignees).
type ActionEvent struct {
	At   time.Time
	By   string
	Kind string
	From string
	To   string
	Note string
}

// Action events.
const (
	EventCreated        = "created"
	EventCannotFollowUp = "cannot-follow-up"
	EventReallocated    = "reallocated"
	EventCompleted      = "completed"
	// EventUpdated is an occurrence of a repeating action recorded (D3, D5); the next falls due.
	EventUpdated = "updated"
	// EventEnded is a DSL ending a repeating action, with the reason.
	EventEnded = "ended"
)

// NewAction is what a DSL asks for. DueAt is optional: the rules derive it.
type NewAction struct {
	Type          string
	AssigneeEmail string
	Notes         string
	ReferralTo    string
	DueAt         *time.Time
	DueReason     string
	// Frequency makes a monitoring action repeat ("daily", "weekly"; rule D3); a check-in is
	// weekly whatever is given (D5).
	Frequency string
}

// Action is a piece of case work with an assignee and a due time.
type Action struct {
	id           ActionID
	school       safeguarding.SchoolID
	concern      safeguarding.ConcernID
	reference    string
	typ          ActionType
	assignee     string
	notes        string
	referralTo   string
	dueAt        time.Time
	dueReason    string
	status       safeguarding.ActionStatus
	outcome      string
	createdAt    time.Time
	createdBy    string
	needsRealloc bool
	exclude      []string
	history      []ActionEvent
	version      int
	due          safeguarding.DueState
	frequency    string
	occurrence   int
}

// RuleDue is the due time the rules give an action on concern c created at now:
//   - D1 DSL action and D2 parent meeting: the end of the day the concern was recorded (or,
//     when it was recorded after the end of a school day or on a non-school day, the end of
//     the next school day);
//   - D3 monitoring and D4 referral: 24 hours after the first alert (the concern's recording);
//   - D5 check-in: by the end of that day when there is a concern (a high-priority concern),
//     otherwise weekly: seven days after the check-in is set.
//
// cal is the school's own calendar and endOfDayMinutes its end of the day; a weekly due time
// on a day that is not a school day moves to the same time on the next school day.
func RuleDue(t ActionType, c concerns.Concern, cal safeguarding.Calendar, endOfDayMinutes int, now time.Time) time.Time {
	switch t {
	case ActionMonitoring, ActionReferral:
		return c.RecordedAt().Add(24 * time.Hour)
	case ActionCheckIn:
		if c.HighPriority() {
			return safeguarding.EndOfSchoolDay(cal, now, endOfDayMinutes)
		}
		return NextOccurrence(cal, now, FrequencyWeekly)
	default: // D1, D2
		return safeguarding.EndOfSchoolDay(cal, c.RecordedAt(), endOfDayMinutes)
	}
}

// NextOccurrence is when the occurrence after one due at prev falls due (rules D3, D5): one day
// or one week later at the same local time, moved to the next school day when that day is not
// one.
func NextOccurrence(cal safeguarding.Calendar, prev time.Time, frequency string) time.Time {
	days := 1
	if frequency == FrequencyWeekly {
		days = 7
	}
	l := prev.In(safeguarding.London)
	return safeguarding.OnSchoolDay(cal, time.Date(l.Year(), l.Month(), l.Day()+days, l.Hour(), l.Minute(), l.Second(), 0, safeguarding.London))
}

// CreateAction checks a DSL's new action on a concern (rules D1-D5). Only a DSL or the
// Senior DSL of the concern's school records actions; the assignee is on the school's staff.
// A DSL may set an earlier due time than the rule's, never a later one without a reason.
func CreateAction(id ActionID, in NewAction, c concerns.Concern, by safeguarding.Principal, school safeguarding.School, cal safeguarding.Calendar, now time.Time) (Action, error) {
	if !by.IsDSL(c.School()) || !c.CanView(by) {
		return Action{}, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	typ := ActionType(in.Type)
	if !slices.Contains(ActionTypes, typ) {
		ps.Add("type", "must be one of %s", joinTypes())
	}
	assignee, ok := safeguarding.NormaliseEmail(in.AssigneeEmail)
	switch {
	case !ok:
		ps.Add("assigneeEmail", "name the member of staff who will do it")
	case !school.HasStaff(assignee):
		ps.Add("assigneeEmail", "%q is not on the staff of this school", in.AssigneeEmail)
	case c.AboutStaff() && assignee == c.SubjectStaffEmail():
		ps.Add("assigneeEmail", "cannot be the member of staff the concern is about")
	}
	notes := strings.TrimSpace(in.Notes)
	safeguarding.CheckText(&ps, "notes", notes, safeguarding.MaxNotesChars)
	referral := strings.TrimSpace(in.ReferralTo)
	if typ == ActionReferral && referral != "" && !slices.Contains(ReferralDestinations, referral) {
		ps.Add("referralTo", "must be one of %s", strings.Join(ReferralDestinations, ", "))
	}
	if typ != ActionReferral && referral != "" {
		ps.Add("referralTo", "only for a referral")
	}
	frequency := strings.TrimSpace(in.Frequency)
	switch {
	case typ == ActionCheckIn && (frequency == "" || frequency == FrequencyWeekly):
		frequency = FrequencyWeekly
	case typ == ActionCheckIn:
		ps.Add("frequency", "a check-in is weekly")
	case typ == ActionMonitoring && frequency != "" && !slices.Contains(Frequencies, frequency):
		ps.Add("frequency", "must be one of %s", strings.Join(Frequencies, ", "))
	case typ != ActionMonitoring && frequency != "":
		ps.Add("frequency", "only for monitoring or a check-in")
	}
	ruleDue := RuleDue(typ, c, cal, school.EndOfDayMinutes, now)
	due := ruleDue
	reason := strings.TrimSpace(in.DueReason)
	if in.DueAt != nil {
		due = in.DueAt.UTC()
		switch {
		case due.Before(now):
			ps.Add("dueAt", "cannot be in the past")
		case due.After(ruleDue) && reason == "":
			ps.Add("dueReason", "a due time later than the rules' (%s) needs a recorded reason", ruleDue.In(safeguarding.London).Format("Mon 2 Jan 15:04"))
		}
	}
	safeguarding.CheckText(&ps, "dueReason", reason, safeguarding.MaxNotesChars)
	if err := ps.Err(); err != nil {
		return Action{}, err
	}
	occurrence := 0
	if frequency != "" {
		occurrence = 1
	}
	return Action{
		frequency: frequency, occurrence: occurrence,
		id: id, school: c.School(), concern: c.ID(), reference: c.Reference(), typ: typ, assignee: assignee,
		notes: notes, referralTo: referral, dueAt: due, dueReason: reason, status: safeguarding.ActionOpen,
		createdAt: now.UTC(), createdBy: by.Email, version: 1,
		history: []ActionEvent{{At: now.UTC(), By: by.Email, Kind: EventCreated, To: assignee, Note: reason}},
		due:     safeguarding.NewDueState(due, now),
		exclude: excluded(c),
	}, nil
}

// excluded are the people never alerted about work on concern c (rule S6).
func excluded(c concerns.Concern) []string {
	if c.AboutStaff() {
		return []string{c.SubjectStaffEmail()}
	}
	return nil
}

// DueItem is the action as the deadline engine sees it (rule D8).
func (a Action) DueItem() safeguarding.DueItem {
	return safeguarding.DueItem{ID: string(a.id), School: a.school, Kind: "action", Assignee: a.assignee, Reference: a.reference,
		Subject: string(a.concern), Exclude: slices.Clone(a.exclude), Due: a.due, Occurrence: a.occurrence}
}

// Escalate moves the action one step up the ladder; the store saves it on the condition
// that nobody moved it first.
func (a *Action) Escalate(next safeguarding.DueState) { a.due = next }

func joinTypes() string {
	s := make([]string, len(ActionTypes))
	for i, t := range ActionTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// CanChange reports whether p may work on the action: its assignee, or a DSL of the school.
func (a Action) CanChange(p safeguarding.Principal) bool {
	return p.Email == a.assignee || p.IsDSL(a.school)
}

// Complete records the outcome of an open action (rule D1-D5), by its assignee or a DSL. On a
// repeating action (D3, D5) it records this occurrence's update instead: the action stays open
// and its next occurrence falls due one period after this one's due time (by cal, the school's
// calendar), or the first such time after now when the update comes that late. Only a DSL
// ends a repeating action (End).
func (a *Action) Complete(by safeguarding.Principal, outcome string, cal safeguarding.Calendar, now time.Time) error {
	if !a.CanChange(by) {
		return safeguarding.ErrForbidden
	}
	if a.status != safeguarding.ActionOpen {
		return fmt.Errorf("action %s is already %s: %w", a.id, a.status, safeguarding.ErrConflict)
	}
	outcome = strings.TrimSpace(outcome)
	var ps safeguarding.Problems
	if outcome == "" {
		ps.Add("outcome", "record what was done")
	}
	safeguarding.CheckText(&ps, "outcome", outcome, safeguarding.MaxNotesChars)
	if err := ps.Err(); err != nil {
		return err
	}
	if a.frequency != "" {
		next := NextOccurrence(cal, a.dueAt, a.frequency)
		for i := 0; i < 400 && !next.After(now); i++ {
			next = NextOccurrence(cal, next, a.frequency)
		}
		a.outcome = outcome
		a.history = append(a.history, ActionEvent{At: now.UTC(), By: by.Email, Kind: EventUpdated, Note: outcome})
		a.dueAt, a.due, a.occurrence = next.UTC(), safeguarding.NewDueState(next, now), a.occurrence+1
		a.version++
		return nil
	}
	a.status, a.outcome, a.needsRealloc = safeguarding.ActionCompleted, outcome, false
	a.history = append(a.history, ActionEvent{At: now.UTC(), By: by.Email, Kind: EventCompleted, Note: outcome})
	a.due = a.due.Stop()
	a.version++
	return nil
}

// End ends a repeating action ("end monitoring", rules D3 and D5): a DSL of the school, with
// the reason. It no longer falls due; its history keeps every update and the reason.
func (a *Action) End(by safeguarding.Principal, reason string, now time.Time) error {
	if !by.IsDSL(a.school) {
		return safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	if a.frequency == "" {
		ps.Add("action", "only monitoring or a check-in that repeats is ended; complete this one with its outcome")
	}
	if a.status != safeguarding.ActionOpen {
		return fmt.Errorf("action %s is already %s: %w", a.id, a.status, safeguarding.ErrConflict)
	}
	reason = strings.TrimSpace(reason)
	if reason == "" {
		ps.Add("reason", "say why the monitoring ends")
	}
	safeguarding.CheckText(&ps, "reason", reason, safeguarding.MaxNotesChars)
	if err := ps.Err(); err != nil {
		return err
	}
	a.status, a.outcome, a.needsRealloc = safeguarding.ActionCompleted, reason, false
	a.history = append(a.history, ActionEvent{At: now.UTC(), By: by.Email, Kind: EventEnded, Note: reason})
	a.due = a.due.Stop()
	a.version++
	return nil
}

// CanEnd reports whether p may end the action: an open repeating one, by a DSL of the school.
func (a Action) CanEnd(p safeguarding.Principal) bool {
	return a.status == safeguarding.ActionOpen && a.frequency != "" && p.IsDSL(a.school)
}

// Frequency is how often a repeating action falls due ("daily", "weekly"), or "".
func (a Action) Frequency() string { return a.frequency }

// Repeats reports whether the action falls due again at its frequency until a DSL ends it.
func (a Action) Repeats() bool { return a.frequency != "" }

// Occurrence numbers the current occurrence of a repeating action from 1 (0 if it does not
// repeat).
func (a Action) Occurrence() int { return a.occurrence }

// CannotFollowUp is the assignee saying they cannot do the action (illness...); the Senior
// DSL is alerted to reallocate it (rule D6).
func (a *Action) CannotFollowUp(by safeguarding.Principal, reason string, now time.Time) error {
	if by.Email != a.assignee {
		return safeguarding.ErrForbidden
	}
	if a.status != safeguarding.ActionOpen {
		return fmt.Errorf("action %s is %s: %w", a.id, a.status, safeguarding.ErrConflict)
	}
	reason = strings.TrimSpace(reason)
	var ps safeguarding.Problems
	if reason == "" {
		ps.Add("reason", "say why you cannot follow it up")
	}
	safeguarding.CheckText(&ps, "reason", reason, safeguarding.MaxNotesChars)
	if err := ps.Err(); err != nil {
		return err
	}
	a.needsRealloc = true
	a.history = append(a.history, ActionEvent{At: now.UTC(), By: by.Email, Kind: EventCannotFollowUp, From: a.assignee, Note: reason})
	a.version++
	return nil
}

// Reallocate gives the action to another member of staff; only the Senior DSL does (rule
// D6), and never to the member of staff the concern c is about (C5). The history keeps both
// assignees.
func (a *Action) Reallocate(by safeguarding.Principal, to string, reason string, c concerns.Concern, school safeguarding.School, now time.Time) error {
	if !by.Has(a.school, safeguarding.RoleSeniorDSL) {
		return safeguarding.ErrForbidden
	}
	if a.status != safeguarding.ActionOpen {
		return fmt.Errorf("action %s is %s: %w", a.id, a.status, safeguarding.ErrConflict)
	}
	var ps safeguarding.Problems
	addr, ok := safeguarding.NormaliseEmail(to)
	switch {
	case !ok:
		ps.Add("assigneeEmail", "name the member of staff who will do it")
	case !school.HasStaff(addr):
		ps.Add("assigneeEmail", "%q is not on the staff of this school", to)
	case c.AboutStaff() && addr == c.SubjectStaffEmail():
		ps.Add("assigneeEmail", "cannot be the member of staff the concern is about")
	case addr == a.assignee:
		ps.Add("assigneeEmail", "is already the assignee")
	}
	reason = strings.TrimSpace(reason)
	safeguarding.CheckText(&ps, "reason", reason, safeguarding.MaxNotesChars)
	if err := ps.Err(); err != nil {
		return err
	}
	a.history = append(a.history, ActionEvent{At: now.UTC(), By: by.Email, Kind: EventReallocated, From: a.assignee, To: addr, Note: reason})
	a.assignee, a.needsRealloc = addr, false
	a.version++
	return nil
}

func (a Action) ID() ActionID { return a.id }

func (a Action) School() safeguarding.SchoolID { return a.school }

func (a Action) Concern() safeguarding.ConcernID { return a.concern }

func (a Action) Reference() string { return a.reference }

func (a Action) Type() ActionType { return a.typ }

func (a Action) Assignee() string { return a.assignee }

func (a Action) Notes() string { return a.notes }

func (a Action) ReferralTo() string { return a.referralTo }

func (a Action) DueAt() time.Time { return a.dueAt }

func (a Action) DueReason() string { return a.dueReason }

func (a Action) Status() safeguarding.ActionStatus { return a.status }

func (a Action) Outcome() string { return a.outcome }

func (a Action) CreatedAt() time.Time { return a.createdAt }

func (a Action) CreatedBy() string { return a.createdBy }

func (a Action) NeedsReallocation() bool { return a.needsRealloc }

func (a Action) History() []ActionEvent { return slices.Clone(a.history) }

func (a Action) Version() int { return a.version }

func (a Action) Due() safeguarding.DueState { return a.due }

// Overdue reports whether the action is open past its due time at now.
func (a Action) Overdue(now time.Time) bool {
	return a.status == safeguarding.ActionOpen && now.After(a.dueAt)
}

// ActionSnapshot is every field of a stored action, for a store to save and rebuild it.
type ActionSnapshot struct {
	ID           ActionID
	School       safeguarding.SchoolID
	Concern      safeguarding.ConcernID
	Reference    string
	Type         ActionType
	Assignee     string
	Notes        string
	ReferralTo   string
	DueAt        time.Time
	DueReason    string
	Status       safeguarding.ActionStatus
	Outcome      string
	CreatedAt    time.Time
	CreatedBy    string
	NeedsRealloc bool
	Exclude      []string
	History      []ActionEvent
	Version      int
	Due          safeguarding.DueState
	Frequency    string
	Occurrence   int
}

// Snapshot exposes every field, for a store to save.
func (a Action) Snapshot() ActionSnapshot {
	return ActionSnapshot{ID: a.id, School: a.school, Concern: a.concern, Reference: a.reference, Type: a.typ,
		Assignee: a.assignee, Notes: a.notes, ReferralTo: a.referralTo, DueAt: a.dueAt, DueReason: a.dueReason,
		Status: a.status, Outcome: a.outcome, CreatedAt: a.createdAt, CreatedBy: a.createdBy,
		NeedsRealloc: a.needsRealloc, Exclude: slices.Clone(a.exclude), History: a.History(), Version: a.version, Due: a.due,
		Frequency: a.frequency, Occurrence: a.occurrence}
}

// RestoreAction rebuilds an action a store saved. Only stores call it.
func RestoreAction(s ActionSnapshot) Action {
	return Action{id: s.ID, school: s.School, concern: s.Concern, reference: s.Reference, typ: s.Type,
		assignee: s.Assignee, notes: s.Notes, referralTo: s.ReferralTo, dueAt: s.DueAt, dueReason: s.DueReason,
		status: s.Status, outcome: s.Outcome, createdAt: s.CreatedAt, createdBy: s.CreatedBy,
		needsRealloc: s.NeedsRealloc, exclude: s.Exclude, history: s.History, version: s.Version, due: s.Due,
		frequency: s.Frequency, occurrence: s.Occurrence}
}
