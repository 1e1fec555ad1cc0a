package safeguarding

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Case is a concern with its actions, as a DSL works on it, and who asks.
type Case struct {
	Viewer    Principal
	School    School
	Catalogue Catalogue
	Concern   Concern
	Actions   []Action
	Prior     *PriorRequest
}

// ActionCase is one action with its concern, and who asks.
type ActionCase struct {
	Viewer  Principal
	School  School
	Concern Concern
	Action  Action
	Prior   *PriorRequest
}

// ActionWrite is everything a change to an action commits, together or not at all.
type ActionWrite struct {
	Action      Action
	PrevVersion int
	Entries     []ChronologyEntry
	Audit       AuditEntry
	Alerts      []Alert
	Request     *RequestRecord
	At          time.Time
}

// CaseStore is the storage port of the case-work use cases.
type CaseStore interface {
	LoadCase(ctx context.Context, viewer string, school SchoolID, id ConcernID, key RequestKey) (Case, error)
	LoadAction(ctx context.Context, viewer string, school SchoolID, id ActionID, key RequestKey) (ActionCase, error)
	// SaveNewAction numbers the action on its concern; ErrConflict if another took the number.
	SaveNewAction(ctx context.Context, w ActionWrite) error
	// SaveActionChange saves on the condition that the version is PrevVersion (ErrConflict).
	SaveActionChange(ctx context.Context, w ActionWrite) error
	PriorRequest(ctx context.Context, key RequestKey) (PriorRequest, error)
	Principal(ctx context.Context, email string) (Principal, error)
	// Actions lists actions with a status, due soonest first: one assignee's, or all ("").
	Actions(ctx context.Context, school SchoolID, assignee string, status ActionStatus) ([]Action, error)
	// SaveCaseChange saves a concern's case fields on the condition that its version is
	// PrevVersion (ErrConflict).
	SaveCaseChange(ctx context.Context, w CaseWrite) error
	Audit(ctx context.Context, e AuditEntry) error
	// ReviewData reads the viewer, the school's open cases and the concerns recorded since.
	ReviewData(ctx context.Context, viewer string, school SchoolID, since time.Time) (Principal, []Concern, []Concern, error)
}

// CaseWrite is everything a change of a case's status commits, together or not at all.
type CaseWrite struct {
	Concern     Concern
	PrevVersion int
	Entries     []ChronologyEntry
	Audit       AuditEntry
	Request     *RequestRecord
	At          time.Time
}

// Cases holds the DSL case-work use cases (rules D1-D8).
type Cases struct {
	Store    CaseStore
	Calendar Calendar
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
func (s Cases) AddAction(ctx context.Context, who Caller, school SchoolID, concern ConcernID, in NewAction, key RequestKey, fingerprint string) (Action, error) {
	for attempt := 0; ; attempt++ {
		c, err := s.Store.LoadCase(ctx, who.Email, school, concern, key)
		if err != nil {
			return Action{}, err
		}
		if c.Prior != nil {
			return Replayed(*c.Prior, fingerprint, s.actionOf(ctx, who, school))
		}
		if !c.Concern.CanView(c.Viewer) {
			return Action{}, ErrNotFound
		}
		id := ActionID(fmt.Sprintf("%s-A%d", c.Concern.id, len(c.Actions)+1))
		a, err := CreateAction(id, in, c.Concern, c.Viewer, c.School, s.Calendar, who.At)
		if err != nil {
			return Action{}, err
		}
		w := s.write(who, a, 0, c.Concern, c.School, "assigned", key, fingerprint)
		w.Alerts = assignedAlerts(a, c.School)
		if len(c.Actions) == 0 { // the first action: the reporter learns steps were taken (D7)
			if note := reporterAlert(c.Concern, c.School, "action-taken"); note != nil && note.Recipient != a.assignee && note.Recipient != who.Email {
				w.Alerts = append(w.Alerts, *note)
			}
		}
		err = s.Store.SaveNewAction(ctx, w)
		if errors.Is(err, ErrConflict) && attempt < 3 {
			continue // another DSL numbered an action on this concern first
		}
		return SavedOnce(ctx, s.Store, key, fingerprint, a, err, s.actionOf(ctx, who, school))
	}
}

// write builds an action's write: chronology entries for each of the concern's pupils,
// the audit entry and the idempotency record.
func (s Cases) write(who Caller, a Action, prev int, c Concern, school School, what string, key RequestKey, fingerprint string) ActionWrite {
	w := ActionWrite{Action: a, PrevVersion: prev, At: who.At,
		Audit: AuditEntry{ID: s.NewID(who.At), School: school.ID, Actor: who.Email, Action: AuditActionChanged,
			Subject: "action/" + string(a.id), Pupils: pupilIDs(c.pupils), At: who.At, Source: who.Source}}
	if prev == 0 {
		w.Audit.Action = AuditActionAdded
	}
	entryID := s.NewID(who.At)
	for _, p := range c.pupils {
		w.Entries = append(w.Entries, ChronologyEntry{
			ID: entryID + "#" + string(p.ID), Pupil: p.ID, Type: EntryAction, At: who.At, ConcernID: c.id,
			Reference: c.reference, Role: p.Role, Category: c.category, AuthorName: who.Email,
			Summary: actionSummary(a, what), Visibility: c.Visibility(),
		})
	}
	if key.Key != "" {
		w.Request = &RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: Receipt{ID: string(a.id)}}
	}
	return w
}

func actionSummary(a Action, what string) string {
	s := string(a.typ) + " " + what + " (" + string(a.id) + ")"
	switch what {
	case "completed":
		return s + ": " + a.outcome
	case "assigned":
		if a.notes != "" {
			return s + ": " + a.notes
		}
	}
	return s
}

func assignedAlerts(a Action, school School) []Alert {
	if slices.Contains(a.exclude, a.assignee) {
		return nil
	}
	return []Alert{{
		ID: string(a.id) + "#assigned#" + a.assignee + "#" + string(ChannelEmail), School: a.school, SchoolName: school.Name,
		Kind: "action-assigned", Audience: AudienceAssignee, Recipient: a.assignee, Channel: ChannelEmail,
		Priority: PriorityNormal, Reference: a.reference, Subject: string(a.concern),
	}}
}

// actionOf answers a repeated command on an action with the action as it is now.
func (s Cases) actionOf(ctx context.Context, who Caller, school SchoolID) func(PriorRequest) (Action, error) {
	return func(prior PriorRequest) (Action, error) {
		ac, err := s.Store.LoadAction(ctx, who.Email, school, ActionID(prior.Receipt.ID), RequestKey{})
		return ac.Action, err
	}
}

// change loads an action, applies one change to it and saves it with its chronology entries,
// audit entry and alerts, conditioned on the version it read.
func (s Cases) change(ctx context.Context, who Caller, school SchoolID, id ActionID, key RequestKey, fingerprint, what string,
	apply func(ac ActionCase, a *Action) ([]Alert, error)) (Action, error) {
	ac, err := s.Store.LoadAction(ctx, who.Email, school, id, key)
	if err != nil {
		return Action{}, err
	}
	if ac.Prior != nil {
		return Replayed(*ac.Prior, fingerprint, s.actionOf(ctx, who, school))
	}
	if !ac.Concern.CanView(ac.Viewer) && ac.Action.assignee != who.Email {
		return Action{}, ErrNotFound
	}
	a := ac.Action
	prev := a.version
	alerts, err := apply(ac, &a)
	if err != nil {
		return Action{}, err
	}
	w := s.write(who, a, prev, ac.Concern, ac.School, what, key, fingerprint)
	w.Alerts = alerts
	return SavedOnce(ctx, s.Store, key, fingerprint, a, s.Store.SaveActionChange(ctx, w), s.actionOf(ctx, who, school))
}

// Complete records an action's outcome; it leaves the deadline engine's ladder.
func (s Cases) Complete(ctx context.Context, who Caller, school SchoolID, id ActionID, outcome string, key RequestKey, fingerprint string) (Action, error) {
	return s.change(ctx, who, school, id, key, fingerprint, "completed", func(ac ActionCase, a *Action) ([]Alert, error) {
		return nil, a.Complete(ac.Viewer, outcome, who.At)
	})
}

// CannotFollowUp records that the assignee cannot do the action and alerts the Senior DSL,
// who reallocates it (rule D6).
func (s Cases) CannotFollowUp(ctx context.Context, who Caller, school SchoolID, id ActionID, reason string, key RequestKey, fingerprint string) (Action, error) {
	return s.change(ctx, who, school, id, key, fingerprint, "cannot be followed up by its assignee", func(ac ActionCase, a *Action) ([]Alert, error) {
		if err := a.CannotFollowUp(ac.Viewer, reason, who.At); err != nil {
			return nil, err
		}
		var out []Alert
		for _, m := range RosterWith(ac.School.Roster, RoleSeniorDSL) {
			if slices.Contains(a.exclude, m.Email) {
				continue
			}
			out = append(out, Alert{ID: string(a.id) + "#realloc-v" + fmt.Sprint(a.version) + "#" + m.Email + "#email", School: a.school,
				SchoolName: ac.School.Name, Kind: "reallocation-needed", Audience: AudienceSeniorDSL, Recipient: m.Email,
				Channel: ChannelEmail, Priority: PriorityNormal, Reference: a.reference, Subject: string(a.concern)})
		}
		return out, nil
	})
}

// Reallocate gives an action to another member of staff (Senior DSL only, rule D6), who is
// alerted; the history keeps both.
func (s Cases) Reallocate(ctx context.Context, who Caller, school SchoolID, id ActionID, to, reason string, key RequestKey, fingerprint string) (Action, error) {
	return s.change(ctx, who, school, id, key, fingerprint, "reallocated", func(ac ActionCase, a *Action) ([]Alert, error) {
		if err := a.Reallocate(ac.Viewer, to, reason, ac.School, who.At); err != nil {
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
func (s Cases) MyWork(ctx context.Context, who Caller, school SchoolID, assignee string, status ActionStatus) ([]Action, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return nil, err
	}
	if !p.IsMember(school) {
		return nil, ErrForbidden
	}
	switch assignee {
	case "", "me":
		assignee = who.Email
	case "all":
		if !p.IsDSL(school) {
			return nil, ErrForbidden
		}
		assignee = ""
	default:
		addr, ok := NormaliseEmail(assignee)
		if !ok {
			return nil, &ValidationError{Problems: []FieldProblem{{Field: "assignee", Message: "me, all, or an email address"}}}
		}
		if addr != who.Email && !p.IsDSL(school) {
			return nil, ErrForbidden
		}
		assignee = addr
	}
	if status != ActionOpen && status != ActionCompleted {
		return nil, &ValidationError{Problems: []FieldProblem{{Field: "status", Message: "open or completed"}}}
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
	err = s.Store.Audit(ctx, AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "actions.listed",
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
func (s Cases) ChangeCase(ctx context.Context, who Caller, school SchoolID, id ConcernID, change, decision, reason string, key RequestKey, fingerprint string) (Concern, error) {
	c, err := s.Store.LoadCase(ctx, who.Email, school, id, key)
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
	prev := con.version
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
		err = &ValidationError{Problems: []FieldProblem{{Field: "change", Message: "close, reopen, complex, not-complex or review"}}}
	}
	if err != nil {
		return Concern{}, err
	}
	ev := con.caseEvents[len(con.caseEvents)-1]
	w := CaseWrite{Concern: con, PrevVersion: prev, At: who.At,
		Audit: AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "case." + ev.Kind,
			Subject: "concern/" + string(con.id), Pupils: pupilIDs(con.pupils), At: who.At, Source: who.Source}}
	entryID := s.NewID(who.At)
	summary := "Case " + ev.Kind
	if ev.Decision != "" {
		summary += " (" + ev.Decision + ")"
	}
	for _, p := range con.pupils {
		w.Entries = append(w.Entries, ChronologyEntry{ID: entryID + "#" + string(p.ID), Pupil: p.ID, Type: EntryDecision, At: who.At,
			ConcernID: con.id, Reference: con.reference, Role: p.Role, Category: con.category, AuthorName: who.Email,
			Summary: summary + ": " + ev.Reason, Visibility: con.Visibility()})
	}
	if key.Key != "" {
		w.Request = &RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: Receipt{ID: string(con.id)}}
	}
	return SavedOnce(ctx, s.Store, key, fingerprint, con, s.Store.SaveCaseChange(ctx, w), reloadConcern(ctx, s.Store, who, school, id))
}

// CaseActions is a concern's actions for someone who may see the concern, oldest first.
func (s Cases) CaseActions(ctx context.Context, who Caller, school SchoolID, id ConcernID) (Concern, []Action, error) {
	c, err := s.Store.LoadCase(ctx, who.Email, school, id, RequestKey{})
	if err != nil {
		return Concern{}, nil, err
	}
	if !c.Concern.CanView(c.Viewer) {
		return Concern{}, nil, ErrNotFound
	}
	err = s.Store.Audit(ctx, AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditActionsRead,
		Subject: "concern/" + string(id), Pupils: pupilIDs(c.Concern.pupils), At: who.At, Source: who.Source})
	if err != nil {
		return Concern{}, nil, err
	}
	return c.Concern, c.Actions, nil
}

// Review is the list for the SLT meeting (rule D9): the open cases, the complex ones due their
// review, and the pupils with several concerns in a short time.
type Review struct {
	Open           []Concern
	ComplexDue     []Concern
	FrequentPupils map[PupilID]int
}

// ReviewList builds the SLT review for a DSL of the school, leaving out any case about them.
func (s Cases) ReviewList(ctx context.Context, who Caller, school SchoolID) (Review, error) {
	since := SchoolDaysBefore(s.Calendar, who.At, FrequentWindow)
	p, open, recent, err := s.Store.ReviewData(ctx, who.Email, school, since)
	if err != nil {
		return Review{}, err
	}
	if !p.IsDSL(school) {
		return Review{}, ErrForbidden
	}
	var r Review
	for _, c := range open {
		if !c.CanView(p) {
			continue
		}
		r.Open = append(r.Open, c)
		if c.ReviewDue(who.At) {
			r.ComplexDue = append(r.ComplexDue, c)
		}
	}
	visible := recent[:0:0]
	for _, c := range recent {
		if c.CanView(p) {
			visible = append(visible, c)
		}
	}
	r.FrequentPupils = FrequentPupils(visible, s.Calendar, who.At, FrequentThreshold, FrequentWindow)
	var listed []PupilID
	for _, c := range r.Open {
		listed = append(listed, pupilIDs(c.pupils)...)
	}
	err = s.Store.Audit(ctx, AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "review.read",
		Subject: "review", Pupils: listed, At: who.At, Source: who.Source})
	return r, err
}

// concernReloader is what answering a repeated command on a concern needs of a store.
type concernReloader interface {
	PriorRequest(ctx context.Context, key RequestKey) (PriorRequest, error)
	LoadCase(ctx context.Context, viewer string, school SchoolID, id ConcernID, key RequestKey) (Case, error)
}

// reloadConcern answers a repeated command on a concern with the concern as it is now.
func reloadConcern(ctx context.Context, st concernReloader, who Caller, school SchoolID, id ConcernID) func(PriorRequest) (Concern, error) {
	return func(PriorRequest) (Concern, error) {
		c, err := st.LoadCase(ctx, who.Email, school, id, RequestKey{})
		return c.Concern, err
	}
}
