package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

type handler struct {
	cases casework.Cases
}

// Handle serves an API Gateway event.
func (h handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.routes().Handle(ctx, req)
}

// routes maps each route of the CasesFunction in template.yaml to its use case.
func (h handler) routes() httpapi.Router {
	return httpapi.Router{
		"POST /api/schools/{school}/concerns/{id}/actions":   h.add,
		"POST /api/schools/{school}/actions/{id}/complete":   h.complete,
		"POST /api/schools/{school}/actions/{id}/unable":     h.unable,
		"POST /api/schools/{school}/actions/{id}/reallocate": h.reallocate,
		"POST /api/schools/{school}/actions/{id}/end":        h.end,
		"GET /api/schools/{school}/actions":                  h.list,
		"GET /api/schools/{school}/concerns/{id}/case":       h.caseOf,
		"POST /api/schools/{school}/concerns/{id}/case":      h.changeCase,
		"GET /api/schools/{school}/review":                   h.review,
	}
}

type actionRequest struct {
	Type          string `json:"type"`
	AssigneeEmail string `json:"assigneeEmail"`
	Notes         string `json:"notes"`
	ReferralTo    string `json:"referralTo"`
	DueAt         string `json:"dueAt"`
	DueReason     string `json:"dueReason"`
	Frequency     string `json:"frequency"`
}

type event struct {
	At   time.Time `json:"at"`
	By   string    `json:"by"`
	Kind string    `json:"kind"`
	From string    `json:"from,omitempty"`
	To   string    `json:"to,omitempty"`
	Note string    `json:"note,omitempty"`
}

type actionResponse struct {
	ID                string    `json:"id"`
	ConcernID         string    `json:"concernId"`
	Reference         string    `json:"reference"`
	Type              string    `json:"type"`
	AssigneeEmail     string    `json:"assigneeEmail"`
	Notes             string    `json:"notes"`
	ReferralTo        string    `json:"referralTo,omitempty"`
	DueAt             time.Time `json:"dueAt"`
	DueReason         string    `json:"dueReason,omitempty"`
	Status            string    `json:"status"`
	Overdue           bool      `json:"overdue"`
	Outcome           string    `json:"outcome,omitempty"`
	NeedsReallocation bool      `json:"needsReallocation"`
	History           []event   `json:"history"`
	Version           int       `json:"version"`
	Frequency         string    `json:"frequency,omitempty"`
	Occurrence        int       `json:"occurrence,omitempty"`
}

func toResponse(a casework.Action, now time.Time) actionResponse {
	out := actionResponse{ID: string(a.ID()), ConcernID: string(a.Concern()), Reference: a.Reference(), Type: string(a.Type()),
		AssigneeEmail: a.Assignee(), Notes: a.Notes(), ReferralTo: a.ReferralTo(), DueAt: a.DueAt(), DueReason: a.DueReason(),
		Status: string(a.Status()), Overdue: a.Overdue(now), Outcome: a.Outcome(), NeedsReallocation: a.NeedsReallocation(),
		Version: a.Version(), History: []event{}, Frequency: a.Frequency(), Occurrence: a.Occurrence()}
	for _, e := range a.History() {
		out.History = append(out.History, event{At: e.At, By: e.By, Kind: e.Kind, From: e.From, To: e.To, Note: e.Note})
	}
	return out
}

func (h handler) add(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in actionRequest
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	na := casework.NewAction{Type: in.Type, AssigneeEmail: in.AssigneeEmail, Notes: in.Notes, ReferralTo: in.ReferralTo, DueReason: in.DueReason,
		Frequency: in.Frequency}
	if in.DueAt != "" {
		due, err := time.Parse(time.RFC3339, in.DueAt)
		if err != nil {
			return httpapi.Response{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{
				{Field: "dueAt", Message: "must be a date and time like 2026-11-23T16:00:00Z (RFC 3339)"}}}
		}
		na.DueAt = &due
	}
	a, err := h.cases.AddAction(ctx, who, httpapi.School(req), safeguarding.ConcernID(req.PathParameters["id"]), na, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	resp := httpapi.JSON(http.StatusCreated, toResponse(a, who.At))
	resp.Headers["Location"] = "/api/schools/" + string(httpapi.School(req)) + "/actions/" + string(a.ID())
	return resp, nil
}

func (h handler) complete(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Outcome string `json:"outcome"`
	}
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	a, err := h.cases.Complete(ctx, who, httpapi.School(req), casework.ActionID(req.PathParameters["id"]), in.Outcome, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toResponse(a, who.At)), nil
}

func (h handler) unable(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Reason string `json:"reason"`
	}
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	a, err := h.cases.CannotFollowUp(ctx, who, httpapi.School(req), casework.ActionID(req.PathParameters["id"]), in.Reason, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toResponse(a, who.At)), nil
}

// end ends a repeating monitoring action or check-in with its reason (a DSL; rules D3, D5).
func (h handler) end(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Reason string `json:"reason"`
	}
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	a, err := h.cases.End(ctx, who, httpapi.School(req), casework.ActionID(req.PathParameters["id"]), in.Reason, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toResponse(a, who.At)), nil
}

func (h handler) reallocate(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		AssigneeEmail string `json:"assigneeEmail"`
		Reason        string `json:"reason"`
	}
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	a, err := h.cases.Reallocate(ctx, who, httpapi.School(req), casework.ActionID(req.PathParameters["id"]), in.AssigneeEmail, in.Reason, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toResponse(a, who.At)), nil
}

// list is "my work": open actions due soonest first (rule D8's due times), the caller's own
// (?assignee=me, the default) or, for a DSL, everyone's (?assignee=all) or one person's.
func (h handler) list(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	status := req.QueryStringParameters["status"]
	if status == "" {
		status = string(safeguarding.ActionOpen)
	}
	list, err := h.cases.MyWork(ctx, who, httpapi.School(req), req.QueryStringParameters["assignee"], safeguarding.ActionStatus(status))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Actions []actionResponse `json:"actions"`
	}{Actions: make([]actionResponse, 0, len(list))}
	for _, a := range list {
		out.Actions = append(out.Actions, toResponse(a, who.At))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

type caseEvent struct {
	At       time.Time `json:"at"`
	By       string    `json:"by"`
	Kind     string    `json:"kind"`
	Decision string    `json:"decision,omitempty"`
	Reason   string    `json:"reason"`
}

type caseResponse struct {
	ConcernID  string           `json:"concernId"`
	Reference  string           `json:"reference"`
	RecordedAt time.Time        `json:"recordedAt"`
	Status     string           `json:"status"`
	Complex    bool             `json:"complex"`
	ReviewDue  bool             `json:"reviewDue"`
	Pupils     []string         `json:"pupilIds"`
	Events     []caseEvent      `json:"events"`
	Actions    []actionResponse `json:"actions,omitempty"`
	// ActionDueAt and ActionOverdue: rule D1, while no DSL has recorded anything on it.
	ActionDueAt   *time.Time `json:"actionDueAt,omitempty"`
	ActionOverdue bool       `json:"actionOverdue"`
}

func toCase(c concerns.Concern, reviewDue bool, now time.Time) caseResponse {
	out := caseResponse{ConcernID: string(c.ID()), Reference: c.Reference(), RecordedAt: c.RecordedAt(), Status: string(c.Status()),
		Complex: c.Complex(), ReviewDue: reviewDue, Events: []caseEvent{}, Pupils: []string{}, ActionOverdue: c.ResponseOverdue(now)}
	if due := c.ResponseDueAt(); !due.IsZero() && !c.Responded() {
		out.ActionDueAt = &due
	}
	for _, p := range c.Pupils() {
		out.Pupils = append(out.Pupils, string(p.ID))
	}
	for _, e := range c.CaseEvents() {
		out.Events = append(out.Events, caseEvent{At: e.At, By: e.By, Kind: e.Kind, Decision: e.Decision, Reason: e.Reason})
	}
	return out
}

// caseOf is a concern's case: its status, history and actions (audited: rule P4).
func (h handler) caseOf(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.cases.CaseActions(ctx, who, httpapi.School(req), safeguarding.ConcernID(req.PathParameters["id"]))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := toCase(c.Concern, c.Concern.ReviewDue(who.At, c.Calendar), who.At)
	out.Actions = []actionResponse{}
	for _, a := range c.Actions {
		out.Actions = append(out.Actions, toResponse(a, who.At))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// changeCase closes, reopens, marks complex or not, or reviews a case, with a reason (D9).
func (h handler) changeCase(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Change   string `json:"change"`
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.cases.ChangeCase(ctx, who, httpapi.School(req), safeguarding.ConcernID(req.PathParameters["id"]), in.Change, in.Decision, in.Reason, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	cal, err := h.cases.SchoolCalendar(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toCase(c, c.ReviewDue(who.At, cal), who.At)), nil
}

type frequentPupil struct {
	PupilID  string `json:"pupilId"`
	Concerns int    `json:"concerns"`
}

// lowAttendance is a pupil below 90% attendance on the SLT review, with the reasons logged
// (rule C9) as the reader may see them.
type lowAttendance struct {
	PupilID    string             `json:"pupilId"`
	Name       string             `json:"name"`
	Attendance float64            `json:"attendance"`
	Reasons    []attendanceReason `json:"reasons"`
}

type attendanceReason struct {
	At        time.Time `json:"at"`
	Withheld  bool      `json:"withheld,omitempty"`
	ConcernID string    `json:"concernId,omitempty"`
	Reference string    `json:"reference,omitempty"`
	Summary   string    `json:"summary,omitempty"`
}

// review is the SLT meeting's list (rule D9), for DSLs.
func (h handler) review(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	r, err := h.cases.ReviewList(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		OpenCases       []caseResponse   `json:"openCases"`
		ComplexDue      []caseResponse   `json:"complexDue"`
		FrequentPupils  []frequentPupil  `json:"frequentPupils"`
		OverdueActions  []actionResponse `json:"overdueActions"`
		OverdueConcerns []caseResponse   `json:"overdueConcerns"`
		LowAttendance   []lowAttendance  `json:"lowAttendance"`
	}{OpenCases: []caseResponse{}, ComplexDue: []caseResponse{}, FrequentPupils: []frequentPupil{},
		OverdueActions: []actionResponse{}, OverdueConcerns: []caseResponse{}, LowAttendance: []lowAttendance{}}
	for _, a := range r.OverdueActions {
		out.OverdueActions = append(out.OverdueActions, toResponse(a, who.At))
	}
	for _, c := range r.OverdueConcerns {
		out.OverdueConcerns = append(out.OverdueConcerns, toCase(c, false, who.At))
	}
	for _, row := range r.LowAttendance {
		la := lowAttendance{PupilID: string(row.Pupil.ID), Name: row.Pupil.Name, Attendance: row.Pupil.Attendance, Reasons: []attendanceReason{}}
		for _, x := range row.Reasons {
			ar := attendanceReason{At: x.At, Withheld: x.Withheld}
			if !x.Withheld {
				ar.ConcernID, ar.Reference, ar.Summary = string(x.ConcernID), x.Reference, x.Summary
			}
			la.Reasons = append(la.Reasons, ar)
		}
		out.LowAttendance = append(out.LowAttendance, la)
	}
	due := map[safeguarding.ConcernID]bool{}
	for _, c := range r.ComplexDue {
		due[c.ID()] = true
		out.ComplexDue = append(out.ComplexDue, toCase(c, true, who.At))
	}
	for _, c := range r.Open {
		out.OpenCases = append(out.OpenCases, toCase(c, due[c.ID()], who.At))
	}
	for p, n := range r.FrequentPupils {
		out.FrequentPupils = append(out.FrequentPupils, frequentPupil{PupilID: string(p), Concerns: n})
	}
	slices.SortFunc(out.FrequentPupils, func(a, b frequentPupil) int { return strings.Compare(a.PupilID, b.PupilID) })
	return httpapi.JSON(http.StatusOK, out), nil
}
