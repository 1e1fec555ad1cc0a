package casework

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Case is a concern with its actions, as a DSL works on it, and who asks.
type Case struct {
	Viewer    safeguarding.Principal
	School    safeguarding.School
	Catalogue concerns.Catalogue
	Concern   concerns.Concern
	Actions   []Action
	Prior     *safeguarding.PriorRequest
	// Calendar is the school's own (terms, holidays, INSET days), for rules D1-D5 and D9.
	Calendar safeguarding.SchoolCalendar
}

// ActionCase is one action with its concern, and who asks.
type ActionCase struct {
	Viewer  safeguarding.Principal
	School  safeguarding.School
	Concern concerns.Concern
	Action  Action
	Prior   *safeguarding.PriorRequest
	// Calendar is the school's own, for the next occurrence of a repeating action.
	Calendar safeguarding.SchoolCalendar
}

// ActionWrite is everything a change to an action commits, together or not at all.
type ActionWrite struct {
	Action      Action
	PrevVersion int
	Entries     []safeguarding.ChronologyEntry
	Audit       safeguarding.AuditEntry
	Alerts      []safeguarding.Alert
	Request     *safeguarding.RequestRecord
	At          time.Time
	// MeetsResponse: the action is the first on its concern and meets its due item of rule D1.
	MeetsResponse bool
	// NewOccurrence: a repeating action's next occurrence went on the ladder (D3, D5).
	NewOccurrence bool
	// Concern is the concern the action is on, for the reports' counters (rule D10).
	Concern concerns.Concern
}

// CaseStore is the storage port of the case-work use cases.
type CaseStore interface {
	LoadCase(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID, key safeguarding.RequestKey) (Case, error)
	// LoadAmending reads what LoadCase reads, without the actions: how a repeated command on a
	// concern is answered with the concern as it is now.
	LoadAmending(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID, key safeguarding.RequestKey) (concerns.Amending, error)
	// ConcernPage reads the viewer, the school, its catalogue (the policy's if never changed), a
	// concern with its revisions, attachments and actions, and its pupils; ErrNotFound if
	// there is no such concern (ErrForbidden first for a viewer of another school).
	ConcernPage(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID) (CasePage, error)
	// AuditConcernRead saves a concern read's audit entry and marks it read by the reader;
	// with a note, it also records the first DSL's opening and emails the reporter (D7), on the
	// condition that no DSL opened it first (ErrConflict).
	AuditConcernRead(ctx context.Context, e safeguarding.AuditEntry, id safeguarding.ConcernID, opened *concerns.StatusNote) error
	LoadAction(ctx context.Context, viewer string, school safeguarding.SchoolID, id ActionID, key safeguarding.RequestKey) (ActionCase, error)
	// SaveNewAction numbers the action on its concern; ErrConflict if another took the number.
	SaveNewAction(ctx context.Context, w ActionWrite) error
	// SaveActionChange saves on the condition that the version is PrevVersion (ErrConflict).
	SaveActionChange(ctx context.Context, w ActionWrite) error
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// Actions lists actions with a status, due soonest first: one assignee's, or all ("").
	Actions(ctx context.Context, school safeguarding.SchoolID, assignee string, status safeguarding.ActionStatus) ([]Action, error)
	// SaveCaseChange saves a concern's case fields on the condition that its version is
	// PrevVersion (ErrConflict).
	SaveCaseChange(ctx context.Context, w CaseWrite) error
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
	// ReviewData reads the viewer, the school's open cases and the concerns recorded since.
	ReviewData(ctx context.Context, viewer string, school safeguarding.SchoolID, since time.Time) (safeguarding.Principal, []concerns.Concern, []concerns.Concern, error)
	// OpenCases reads the viewer and the school's open cases (the SLT review's first list).
	OpenCases(ctx context.Context, viewer string, school safeguarding.SchoolID) (safeguarding.Principal, []concerns.Concern, error)
	// OverdueActions reads the school's open actions due before now, soonest due first (the
	// due index of actions, A16).
	OverdueActions(ctx context.Context, school safeguarding.SchoolID, now time.Time) ([]Action, error)
	// LowAttendance and AttendanceReasons are rule C9's list (attendance.Store).
	LowAttendance(ctx context.Context, school safeguarding.SchoolID, below float64) ([]safeguarding.Pupil, error)
	AttendanceReasons(ctx context.Context, school safeguarding.SchoolID) ([]safeguarding.ChronologyEntry, error)
	// SchoolCalendar reads the school's own calendar (an empty one if it entered none).
	SchoolCalendar(ctx context.Context, id safeguarding.SchoolID) (safeguarding.SchoolCalendar, error)
}

// CaseWrite is everything a change of a case's status commits, together or not at all.
type CaseWrite struct {
	Concern     concerns.Concern
	PrevVersion int
	Entries     []safeguarding.ChronologyEntry
	Audit       safeguarding.AuditEntry
	Request     *safeguarding.RequestRecord
	At          time.Time
	// MeetsResponse: the decision is the first thing a DSL recorded on the concern and meets
	// its due item of rule D1.
	MeetsResponse bool
}

// Cases holds the DSL case-work use cases (rules D1-D8).
type Cases struct {
	Store CaseStore
	// Calendar is the bank holidays under every school's own calendar.
	Calendar safeguarding.Calendar
	NewID    func(at time.Time) string
}

// Audit actions of case work.
const (
	AuditActionAdded   = "action.added"
	AuditActionChanged = "action.changed"
	AuditActionsRead   = "actions.read"
)

// AddAction records a DSL's action on a concern, with the due time the rules give it (D1-D5)
// unless the DSL sets an earlier one (or a later one with a reason). The assignee is alerted
// by email. A concurrent action on the same concern takes the next number: tried again.
func (s Cases) AddAction(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, concern safeguarding.ConcernID, in NewAction, key safeguarding.RequestKey, fingerprint string) (Action, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.Store.LoadCase(ctx, who.Email, school, concern, key)
		if err != nil {
			return Action{}, err
		}
		if c.Prior != nil {
			return safeguarding.Replayed(*c.Prior, fingerprint, s.actionOf(ctx, who, school))
		}
		if !c.Concern.CanView(c.Viewer) {
			return Action{}, safeguarding.ErrNotFound
		}
		id := ActionID(fmt.Sprintf("%s-A%d", c.Concern.ID(), len(c.Actions)+1))
		a, err := CreateAction(id, in, c.Concern, c.Viewer, c.School, s.schoolCalendar(c.Calendar, school), who.At)
		if err != nil {
			return Action{}, err
		}
		w := s.write(who, a, 0, c.Concern, c.School, "assigned", key, fingerprint)
		w.MeetsResponse = len(c.Actions) == 0 && !c.Concern.ResponseDueAt().IsZero()
		w.Alerts = assignedAlerts(a, c.School)
		if len(c.Actions) == 0 { // the first action: the reporter learns steps were taken (D7)
			if note := concerns.ReporterAlert(c.Concern, c.School, "action-taken"); note != nil && note.Recipient != a.assignee && note.Recipient != who.Email {
				w.Alerts = append(w.Alerts, *note)
			}
		}
		err = s.Store.SaveNewAction(ctx, w)
		if errors.Is(err, safeguarding.ErrConflict) && attempt < 3 {
			continue // another DSL numbered an action on this concern first
		}
		return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, a, err, s.actionOf(ctx, who, school))
	}
}

// schoolCalendar is a school's own calendar over the bank holidays.
func (s Cases) schoolCalendar(cal safeguarding.SchoolCalendar, school safeguarding.SchoolID) safeguarding.SchoolCalendar {
	cal.School, cal.BankHolidays = school, s.Calendar
	return cal
}

// write builds an action's write: chronology entries for each of the concern's pupils,
// the audit entry and the idempotency record.
func (s Cases) write(who safeguarding.Caller, a Action, prev int, c concerns.Concern, school safeguarding.School, what string, key safeguarding.RequestKey, fingerprint string) ActionWrite {
	w := ActionWrite{Action: a, PrevVersion: prev, At: who.At, Concern: c,
		Audit: safeguarding.AuditEntry{ID: s.NewID(who.At), School: school.ID, Actor: who.Email, Action: AuditActionChanged,
			Subject: "action/" + string(a.id), Pupils: safeguarding.PupilIDs(c.Pupils()), At: who.At, Source: who.Source}}
	if prev == 0 {
		w.Audit.Action = AuditActionAdded
	}
	entryID := s.NewID(who.At)
	for _, p := range c.Pupils() {
		w.Entries = append(w.Entries, safeguarding.ChronologyEntry{
			ID: entryID + "#" + string(p.ID), Pupil: p.ID, Type: safeguarding.EntryAction, At: who.At, ConcernID: c.ID(),
			Reference: c.Reference(), Role: p.Role, Category: c.Category(), AuthorName: who.Email,
			Summary: actionSummary(a, what), Visibility: c.Visibility(),
		})
	}
	if key.Key != "" {
		w.Request = &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: safeguarding.Receipt{ID: string(a.id)}}
	}
	return w
}

func actionSummary(a Action, what string) string {
	s := string(a.typ) + " " + what + " (" + string(a.id) + ")"
	switch what {
	case "completed", "updated", "ended":
		return s + ": " + a.outcome
	case "assigned":
		if a.notes != "" {
			return s + ": " + a.notes
		}
	}
	return s
}

func assignedAlerts(a Action, school safeguarding.School) []safeguarding.Alert {
	if slices.Contains(a.exclude, a.assignee) {
		return nil
	}
	return []safeguarding.Alert{{
		ID: string(a.id) + "#assigned#" + a.assignee + "#" + string(safeguarding.ChannelEmail), School: a.school, SchoolName: school.Name,
		Kind: "action-assigned", Audience: safeguarding.AudienceAssignee, Recipient: a.assignee, Channel: safeguarding.ChannelEmail,
		Priority: safeguarding.PriorityNormal, Reference: a.reference, Subject: string(a.concern),
	}}
}

// actionOf answers a repeated command on an action with the action as it is now.
func (s Cases) actionOf(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) func(safeguarding.PriorRequest) (Action, error) {
	return func(prior safeguarding.PriorRequest) (Action, error) {
		ac, err := s.Store.LoadAction(ctx, who.Email, school, ActionID(prior.Receipt.ID), safeguarding.RequestKey{})
		return ac.Action, err
	}
}

// change loads an action, applies one change to it and saves it with its chronology entries,
// audit entry and alerts, conditioned on the version it read.
func (s Cases) change(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id ActionID, key safeguarding.RequestKey, fingerprint, what string,
	apply func(ac ActionCase, a *Action) ([]safeguarding.Alert, error)) (Action, error) {
	ac, err := s.Store.LoadAction(ctx, who.Email, school, id, key)
	if err != nil {
		return Action{}, err
	}
	if ac.Prior != nil {
		return safeguarding.Replayed(*ac.Prior, fingerprint, s.actionOf(ctx, who, school))
	}
	if !ac.Concern.CanView(ac.Viewer) && ac.Action.assignee != who.Email {
		return Action{}, safeguarding.ErrNotFound
	}
	a := ac.Action
	prev := a.version
	alerts, err := apply(ac, &a)
	if err != nil {
		return Action{}, err
	}
	if what == "completed" && a.Repeats() && a.status == safeguarding.ActionOpen {
		what = "updated"
	}
	w := s.write(who, a, prev, ac.Concern, ac.School, what, key, fingerprint)
	w.Alerts = alerts
	w.NewOccurrence = a.occurrence != ac.Action.occurrence
	return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, a, s.Store.SaveActionChange(ctx, w), s.actionOf(ctx, who, school))
}

// Complete records an action's outcome; it leaves the deadline engine's ladder. On a repeating
// action it records the occurrence's update, and the next occurrence goes on the ladder.
func (s Cases) Complete(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id ActionID, outcome string, key safeguarding.RequestKey, fingerprint string) (Action, error) {
	return s.change(ctx, who, school, id, key, fingerprint, "completed", func(ac ActionCase, a *Action) ([]safeguarding.Alert, error) {
		return nil, a.Complete(ac.Viewer, outcome, s.schoolCalendar(ac.Calendar, school), who.At)
	})
}

// End ends a repeating monitoring action or check-in, with the reason (a DSL, rules D3, D5).
func (s Cases) End(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id ActionID, reason string, key safeguarding.RequestKey, fingerprint string) (Action, error) {
	return s.change(ctx, who, school, id, key, fingerprint, "ended", func(ac ActionCase, a *Action) ([]safeguarding.Alert, error) {
		return nil, a.End(ac.Viewer, reason, who.At)
	})
}

// CannotFollowUp records that the assignee cannot do the action and alerts the Senior DSL,
// who reallocates it (rule D6).
func (s Cases) CannotFollowUp(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id ActionID, reason string, key safeguarding.RequestKey, fingerprint string) (Action, error) {
	return s.change(ctx, who, school, id, key, fingerprint, "cannot be followed up by its assignee", func(ac ActionCase, a *Action) ([]safeguarding.Alert, error) {
		if err := a.CannotFollowUp(ac.Viewer, reason, who.At); err != nil {
			return nil, err
		}
		var out []safeguarding.Alert
		for _, m := range safeguarding.RosterWith(ac.School.Roster, safeguarding.RoleSeniorDSL) {
			if slices.Contains(a.exclude, m.Email) {
				continue
			}
			out = append(out, safeguarding.Alert{ID: string(a.id) + "#realloc-v" + fmt.Sprint(a.version) + "#" + m.Email + "#email", School: a.school,
				SchoolName: ac.School.Name, Kind: "reallocation-needed", Audience: safeguarding.AudienceSeniorDSL, Recipient: m.Email,
				Channel: safeguarding.ChannelEmail, Priority: safeguarding.PriorityNormal, Reference: a.reference, Subject: string(a.concern)})
		}
		return out, nil
	})
}

// Reallocate gives an action to another member of staff (Senior DSL only, rule D6), who is
// alerted; the history keeps both.
func (s Cases) Reallocate(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id ActionID, to, reason string, key safeguarding.RequestKey, fingerprint string) (Action, error) {
	return s.change(ctx, who, school, id, key, fingerprint, "reallocated", func(ac ActionCase, a *Action) ([]safeguarding.Alert, error) {
		if err := a.Reallocate(ac.Viewer, to, reason, ac.Concern, ac.School, who.At); err != nil {
			return nil, err
		}
		alerts := assignedAlerts(*a, ac.School)
		for i := range alerts {
			alerts[i].ID += "#v" + fmt.Sprint(a.version)
		}
		return alerts, nil
	})
}

// MyWork lists open (or completed) actions due soonest first: the caller's own, or, for a
// DSL asking for everyone's ("all") or another person's, those.
func (s Cases) MyWork(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, assignee string, status safeguarding.ActionStatus) ([]Action, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return nil, err
	}
	if !p.IsMember(school) {
		return nil, safeguarding.ErrForbidden
	}
	switch assignee {
	case "", "me":
		assignee = who.Email
	case "all":
		if !p.IsDSL(school) {
			return nil, safeguarding.ErrForbidden
		}
		assignee = ""
	default:
		addr, ok := safeguarding.NormaliseEmail(assignee)
		if !ok {
			return nil, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "assignee", Message: "me, all, or an email address"}}}
		}
		if addr != who.Email && !p.IsDSL(school) {
			return nil, safeguarding.ErrForbidden
		}
		assignee = addr
	}
	if status != safeguarding.ActionOpen && status != safeguarding.ActionCompleted {
		return nil, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "status", Message: "open or completed"}}}
	}
	list, err := s.Store.Actions(ctx, school, assignee, status)
	if err != nil {
		return nil, err
	}
	// A DSL listing everyone's work still never sees work on a concern about themselves (C5).
	out := list[:0:0]
	for _, a := range list {
		if a.assignee == who.Email || !slices.Contains(a.exclude, who.Email) {
			out = append(out, a)
		}
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "actions.listed",
		Subject: "actions", At: who.At, Source: who.Source})
	return out, err
}

// Case changes a DSL makes (rule D9).
const (
	ChangeClose   = "close"
	ChangeReopen  = "reopen"
	ChangeComplex = "complex"
	ChangePlain   = "not-complex"
	ChangeReview  = "review"
)

// ChangeCase closes, reopens, marks complex (or not) or reviews a case, with its reason, as a
// chronology entry of each pupil ("decision") and an audit entry.
func (s Cases) ChangeCase(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID, change, decision, reason string, key safeguarding.RequestKey, fingerprint string) (concerns.Concern, error) {
	c, err := s.Store.LoadCase(ctx, who.Email, school, id, key)
	if err != nil {
		return concerns.Concern{}, err
	}
	if c.Prior != nil {
		return safeguarding.Replayed(*c.Prior, fingerprint, func(safeguarding.PriorRequest) (concerns.Concern, error) { return c.Concern, nil })
	}
	if !c.Concern.CanView(c.Viewer) {
		return concerns.Concern{}, safeguarding.ErrNotFound
	}
	con := c.Concern
	prev := con.Version()
	switch change {
	case ChangeClose:
		err = con.Close(c.Viewer, reason, who.At)
	case ChangeReopen:
		err = con.Reopen(c.Viewer, reason, who.At)
	case ChangeComplex, ChangePlain:
		err = con.MarkComplex(c.Viewer, change == ChangeComplex, reason, who.At)
	case ChangeReview:
		err = con.Review(c.Viewer, decision, reason, who.At)
	default:
		err = &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "change", Message: "close, reopen, complex, not-complex or review"}}}
	}
	if err != nil {
		return concerns.Concern{}, err
	}
	meets := !con.Responded() && !con.ResponseDueAt().IsZero() && len(c.Actions) == 0
	if meets {
		con.MeetResponse(who.At)
	}
	ev := con.CaseEvents()[len(con.CaseEvents())-1]
	w := CaseWrite{Concern: con, PrevVersion: prev, At: who.At, MeetsResponse: meets,
		Audit: safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "case." + ev.Kind,
			Subject: "concern/" + string(con.ID()), Pupils: safeguarding.PupilIDs(con.Pupils()), At: who.At, Source: who.Source}}
	entryID := s.NewID(who.At)
	summary := "Case " + ev.Kind
	if ev.Decision != "" {
		summary += " (" + ev.Decision + ")"
	}
	for _, p := range con.Pupils() {
		w.Entries = append(w.Entries, safeguarding.ChronologyEntry{ID: entryID + "#" + string(p.ID), Pupil: p.ID, Type: safeguarding.EntryDecision, At: who.At,
			ConcernID: con.ID(), Reference: con.Reference(), Role: p.Role, Category: con.Category(), AuthorName: who.Email,
			Summary: summary + ": " + ev.Reason, Visibility: con.Visibility()})
	}
	if key.Key != "" {
		w.Request = &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: safeguarding.Receipt{ID: string(con.ID())}}
	}
	return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, con, s.Store.SaveCaseChange(ctx, w), concerns.ReloadConcern(ctx, s.Store, who, school, id))
}

// CaseActions is a concern's case for someone who may see its case work (D7, C5): the concern,
// its actions oldest first and the school's own calendar (for rule D9's review); its reporter,
// who may see the concern but not its case work, gets ErrForbidden.
func (s Cases) CaseActions(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID) (Case, error) {
	c, err := s.Store.LoadCase(ctx, who.Email, school, id, safeguarding.RequestKey{})
	if err != nil {
		return Case{}, err
	}
	if !c.Concern.CanSeeCaseWork(c.Viewer) {
		if c.Concern.CanView(c.Viewer) {
			return Case{}, safeguarding.ErrForbidden // its reporter: the status only (D7)
		}
		return Case{}, safeguarding.ErrNotFound
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditActionsRead,
		Subject: "concern/" + string(id), Pupils: safeguarding.PupilIDs(c.Concern.Pupils()), At: who.At, Source: who.Source})
	if err != nil {
		return Case{}, err
	}
	c.Calendar = s.schoolCalendar(c.Calendar, school)
	return c, nil
}

// SchoolCalendar is a school's own calendar over the bank holidays, for a member of its staff
// (rule D9's terms, the due times of D1-D5).
func (s Cases) SchoolCalendar(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (safeguarding.SchoolCalendar, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return safeguarding.SchoolCalendar{}, err
	}
	if !p.IsMember(school) {
		return safeguarding.SchoolCalendar{}, safeguarding.ErrForbidden
	}
	cal, err := s.Store.SchoolCalendar(ctx, school)
	return s.schoolCalendar(cal, school), err
}
