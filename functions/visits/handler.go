package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
)

type handler struct {
	visits visits.Visits
}

// Handle serves an API Gateway event.
func (h handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.routes().Handle(ctx, req)
}

// routes maps each route of the VisitsFunction in template.yaml to its use case.
func (h handler) routes() httpapi.Router {
	return httpapi.Router{
		"POST /api/schools/{school}/visits":                         h.plan,
		"GET /api/schools/{school}/visits":                          h.list,
		"GET /api/schools/{school}/visits/{id}":                     h.get,
		"POST /api/schools/{school}/visits/{id}/authorise":          h.authorise,
		"POST /api/schools/{school}/visits/{id}/call-ahead":         h.callAhead,
		"POST /api/schools/{school}/visits/{id}/start":              h.start,
		"POST /api/schools/{school}/visits/{id}/doorstep":           h.doorstep,
		"POST /api/schools/{school}/visits/{id}/concern":            h.concern,
		"POST /api/schools/{school}/visits/{id}/observations":       h.observations,
		"POST /api/schools/{school}/visits/{id}/next":               h.next,
		"POST /api/schools/{school}/visits/{id}/checkout":           h.checkout,
		"POST /api/schools/{school}/visits/{id}/cancel":             h.cancel,
		"POST /api/schools/{school}/families/{id}/visit-block/lift": h.lift,
	}
}

// visitID reports whether s is shaped like a visit's ID (a ULID): 26 digits or capitals.
func visitID(s string) bool {
	if len(s) != 26 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// familyID reports whether s is shaped like a family's ID: 1 to 64 lower-case letters, digits
// and hyphens, not starting with a hyphen.
func familyID(s string) bool {
	if len(s) == 0 || len(s) > 64 || s[0] == '-' {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// id is the {id} path parameter when it can name a record: anything else cannot exist (404).
func id(req httpapi.Request, shaped func(string) bool) (string, error) {
	s := req.PathParameters["id"]
	if !shaped(s) {
		return "", safeguarding.ErrNotFound
	}
	return s, nil
}

func invalid(field, msg string) error {
	return &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: field, Message: msg}}}
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, invalid(field, "must be a date and time like 2027-03-01T10:00:00Z (RFC 3339)")
	}
	return t, nil
}

// command reads a write's caller, body and idempotency key. Commands that need nothing more
// (authorise, check-out) may be sent with no body at all.
func command(req httpapi.Request, v any) (safeguarding.Caller, safeguarding.RequestKey, string, error) {
	if strings.TrimSpace(req.Body) == "" && !req.IsBase64Encoded {
		req.Body = "{}"
	}
	return httpapi.Command(req, v)
}

type planRequest struct {
	FamilyID         string   `json:"familyId"`
	StaffEmails      []string `json:"staffEmails"`
	LineManagerEmail string   `json:"lineManagerEmail"`
	PlannedStart     string   `json:"plannedStart"`
	PlannedEnd       string   `json:"plannedEnd"`
	// Reason is why a visit, and why now (V1): absent, the plan is kept without one (the
	// API's contract predates it); sent, it must say something.
	Reason *string `json:"reason"`
}

func decodePlan(req httpapi.Request) (safeguarding.Caller, safeguarding.RequestKey, string, visits.NewVisit, error) {
	var in planRequest
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return who, key, fp, visits.NewVisit{}, err
	}
	nv := visits.NewVisit{FamilyID: in.FamilyID, StaffEmails: in.StaffEmails, LineManagerEmail: in.LineManagerEmail, WithoutReason: in.Reason == nil}
	if in.Reason != nil {
		nv.Reason = *in.Reason
	}
	if !familyID(in.FamilyID) {
		return who, key, fp, nv, invalid("familyId", "name the family by its id")
	}
	if nv.PlannedStart, err = parseTime("plannedStart", in.PlannedStart); err != nil {
		return who, key, fp, nv, err
	}
	if nv.PlannedEnd, err = parseTime("plannedEnd", in.PlannedEnd); err != nil {
		return who, key, fp, nv, err
	}
	return who, key, fp, nv, nil
}

// plan plans a home visit (V2): 201 with the visit, waiting for the Senior DSL (V1).
func (h handler) plan(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, key, fp, nv, err := decodePlan(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	res, err := h.visits.Plan(ctx, who, httpapi.School(req), nv, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	resp := httpapi.JSON(http.StatusCreated, toResponse(res, who.At))
	resp.Headers["Location"] = "/api/schools/" + string(httpapi.School(req)) + "/visits/" + res.Visit.ID()
	return resp, nil
}

func (h handler) list(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	list, err := h.visits.List(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Visits []visitResponse `json:"visits"`
	}{Visits: []visitResponse{}}
	for _, v := range list {
		out.Visits = append(out.Visits, toResponse(visits.VisitResult{Visit: v}, who.At))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

func (h handler) get(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	vid, err := id(req, visitID)
	if err != nil {
		return httpapi.Response{}, err
	}
	res, err := h.visits.Visit(ctx, who, httpapi.School(req), vid)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toResponse(res, who.At)), nil
}

// change runs a command on a visit and answers 200 with the visit.
func (h handler) change(ctx context.Context, req httpapi.Request, v any,
	run func(who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error)) (httpapi.Response, error) {
	who, key, fp, err := command(req, v)
	if err != nil {
		return httpapi.Response{}, err
	}
	vid, err := id(req, visitID)
	if err != nil {
		return httpapi.Response{}, err
	}
	res, err := run(who, httpapi.School(req), vid, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toResponse(res, who.At)), nil
}

type empty struct{}

// authorise is the Senior DSL's authorisation (V1).
func (h handler) authorise(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.change(ctx, req, &empty{}, func(who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error) {
		return h.visits.Authorise(ctx, who, school, id, key, fp)
	})
}

type callRequest struct {
	Outcome string `json:"outcome"`
	Notes   string `json:"notes"`
}

// callAhead records a call ahead (V3): agreed, no answer, or declined (which blocks visits).
func (h handler) callAhead(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in callRequest
	return h.change(ctx, req, &in, func(who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error) {
		return h.visits.RecordCall(ctx, who, school, id, in.Outcome, in.Notes, key, fp)
	})
}

type startRequest struct {
	StaffEmails []string `json:"staffEmails"`
}

// start sets off (V1-V3) and arms the lone-worker alarm (V8).
func (h handler) start(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in startRequest
	return h.change(ctx, req, &in, func(who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error) {
		return h.visits.Start(ctx, who, school, id, in.StaffEmails, key, fp)
	})
}

type concernRequest struct {
	PupilIDs []string `json:"pupilIds"`
	Details  string   `json:"details"`
}

// immediateConcern is the body's immediate concern (V5); nil when there is none.
func (c *concernRequest) immediateConcern() *visits.ImmediateConcern {
	if c == nil {
		return nil
	}
	out := &visits.ImmediateConcern{Details: c.Details}
	for _, p := range c.PupilIDs {
		out.Pupils = append(out.Pupils, safeguarding.PupilID(p))
	}
	return out
}

type doorstepRequest struct {
	Children []struct {
		PupilID string `json:"pupilId"`
		Seen    *bool  `json:"seen"`
		Notes   string `json:"notes"`
	} `json:"children"`
	ImmediateConcern *concernRequest `json:"immediateConcern"`
}

// childrenSeen is each child seen or not seen on the doorstep (V4), naming a field with no answer.
func (in doorstepRequest) childrenSeen() ([]visits.ChildSeen, error) {
	var out []visits.ChildSeen
	for _, c := range in.Children {
		if c.Seen == nil {
			return nil, invalid("children.seen", "say for each child whether they were seen: true or false")
		}
		out = append(out, visits.ChildSeen{Pupil: safeguarding.PupilID(c.PupilID), Seen: *c.Seen, Notes: c.Notes})
	}
	return out, nil
}

// doorstep records each child seen or not seen (V4), and an immediate concern (V5).
func (h handler) doorstep(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in doorstepRequest
	return h.change(ctx, req, &in, func(who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error) {
		children, err := in.childrenSeen()
		if err != nil {
			return visits.VisitResult{}, err
		}
		return h.visits.RecordDoorstep(ctx, who, school, id, children, in.ImmediateConcern.immediateConcern(), key, fp)
	})
}

// concern raises an immediate concern (V5): 201 with the visit, the concern and the duty team
// number to call.
func (h handler) concern(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in concernRequest
	resp, err := h.change(ctx, req, &in, func(who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error) {
		return h.visits.RaiseConcern(ctx, who, school, id, *in.immediateConcern(), key, fp)
	})
	if err == nil {
		resp.StatusCode = http.StatusCreated
	}
	return resp, err
}

type appearance struct {
	Emotional string `json:"emotional"`
	Physical  string `json:"physical"`
}

type observationsRequest struct {
	Children []struct {
		PupilID string `json:"pupilId"`
		appearance
	} `json:"children"`
	Adults appearance `json:"adults"`
}

// observations records the observations of the children and the adults (V4, V6).
func (h handler) observations(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in observationsRequest
	return h.change(ctx, req, &in, func(who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error) {
		var children []visits.ChildObservation
		for _, c := range in.Children {
			children = append(children, visits.ChildObservation{Pupil: safeguarding.PupilID(c.PupilID),
				Appearance: visits.Appearance{Emotional: c.Emotional, Physical: c.Physical}})
		}
		return h.visits.RecordObservations(ctx, who, school, id, children, visits.Appearance(in.Adults), key, fp)
	})
}

type nextRequest struct {
	NextVisitAt       string `json:"nextVisitAt"`
	NoNextVisitReason string `json:"noNextVisitReason"`
	SupportOffered    string `json:"supportOffered"`
}

// nextVisit is the next visit, or why there is none, with the support offered.
func (in nextRequest) nextVisit() (visits.NextVisit, error) {
	n := visits.NextVisit{NoneReason: in.NoNextVisitReason, SupportOffered: in.SupportOffered}
	if in.NextVisitAt != "" {
		at, err := parseTime("nextVisitAt", in.NextVisitAt)
		if err != nil {
			return n, err
		}
		n.NextAt = at
	}
	return n, nil
}

// next records the next visit arranged and the support offered (V7).
func (h handler) next(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in nextRequest
	return h.change(ctx, req, &in, func(who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error) {
		n, err := in.nextVisit()
		if err != nil {
			return visits.VisitResult{}, err
		}
		return h.visits.RecordNext(ctx, who, school, id, n, key, fp)
	})
}

// checkout is the staff's check-out with their line manager (V8).
func (h handler) checkout(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.change(ctx, req, &empty{}, func(who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error) {
		return h.visits.CheckOut(ctx, who, school, id, key, fp)
	})
}

type reasonRequest struct {
	Reason string `json:"reason"`
}

func (h handler) cancel(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in reasonRequest
	return h.change(ctx, req, &in, func(who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error) {
		return h.visits.Cancel(ctx, who, school, id, in.Reason, key, fp)
	})
}

type blockEvent struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Kind   string    `json:"kind"`
	Visit  string    `json:"visitId,omitempty"`
	Reason string    `json:"reason,omitempty"`
}

// lift lets visits to a family go ahead again (V3): a DSL, with a reason.
func (h handler) lift(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in reasonRequest
	who, key, fp, err := command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	fid, err := id(req, familyID)
	if err != nil {
		return httpapi.Response{}, err
	}
	b, err := h.visits.LiftBlock(ctx, who, httpapi.School(req), fid, in.Reason, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		FamilyID string       `json:"familyId"`
		Blocked  bool         `json:"blocked"`
		History  []blockEvent `json:"history"`
		Version  int          `json:"version"`
	}{FamilyID: fid, Blocked: b.Blocked, History: []blockEvent{}, Version: b.Version}
	for _, e := range b.History {
		out.History = append(out.History, blockEvent(e))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}
