package main

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/retention"
)

// Rule S7: the records reaching the 25th birthday and the legal holds that keep a record off
// that list, for the Senior DSL. They live here, beside the pupil search and the school's
// settings: they read pupils and write small versioned changes with their audit entries, as
// those do, so no new function (and role) is needed for them.

// retentionService is rule S7's use cases: retention.Service.
type retentionService interface {
	Due(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, before time.Time, withHeld bool) (retention.List, error)
	Place(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, in retention.Placing,
		key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error)
	Lift(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, id, reason string, version int,
		key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error)
}

var _ retentionService = retention.Service{}

func (h handler) retentionRoutes() httpapi.Router {
	return httpapi.Router{
		"GET /api/schools/{school}/retention":                               h.retentionList,
		"POST /api/schools/{school}/pupils/{pupil}/legal-holds":             h.placeHold,
		"POST /api/schools/{school}/pupils/{pupil}/legal-holds/{hold}/lift": h.liftHold,
	}
}

type holdJSON struct {
	ID       string `json:"id"`
	Reason   string `json:"reason"`
	ReviewOn string `json:"reviewOn,omitempty"`
	PlacedBy string `json:"placedBy"`
	PlacedAt string `json:"placedAt"`
}

type retentionPupilJSON struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	ClassName   string    `json:"className"`
	Left        bool      `json:"left"`
	DateOfBirth string    `json:"dateOfBirth"`
	ReachesAge  string    `json:"twentyFifthBirthday"`
	Records     int       `json:"records"`
	HoldVersion int       `json:"holdVersion"`
	Hold        *holdJSON `json:"hold,omitempty"`
}

type retentionResponse struct {
	Before string               `json:"before"`
	Pupils []retentionPupilJSON `json:"pupils"`
}

// parseDay reads a local date (YYYY-MM-DD) of a query or body field; "" is the zero time.
func parseDay(field, s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	d, err := time.ParseInLocation(time.DateOnly, s, safeguarding.London)
	if err != nil || d.Year() < 1900 || d.Year() > 2200 {
		return time.Time{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: field, Message: "a date like 2027-03-31"}}}
	}
	return d, nil
}

// retentionList: the Senior DSL's list of records reaching the 25th birthday (S7).
func (h handler) retentionList(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	before, err := parseDay("before", req.QueryStringParameters["before"])
	if err != nil {
		return httpapi.Response{}, err
	}
	withHeld := false
	switch req.QueryStringParameters["held"] {
	case "", "exclude":
	case "include":
		withHeld = true
	default:
		return httpapi.Response{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "held", Message: "include or exclude"}}}
	}
	l, err := h.retention.Due(ctx, who, httpapi.School(req), before, withHeld)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := retentionResponse{Before: l.Before.Format(time.DateOnly), Pupils: make([]retentionPupilJSON, 0, len(l.Rows))}
	for _, r := range l.Rows {
		p := retentionPupilJSON{ID: string(r.Pupil.ID), Name: r.Pupil.Name, ClassName: r.Pupil.ClassName, Left: r.Pupil.Left,
			ReachesAge: r.ReachesAge.Format(time.DateOnly), Records: r.Records, HoldVersion: r.State.Version}
		if !r.Pupil.DateOfBirth.IsZero() {
			p.DateOfBirth = r.Pupil.DateOfBirth.Format(time.DateOnly)
		}
		if hd := r.State.Hold; hd != nil {
			p.Hold = &holdJSON{ID: hd.ID, Reason: hd.Reason, PlacedBy: hd.PlacedBy, PlacedAt: hd.PlacedAt.UTC().Format(time.RFC3339)}
			if !hd.ReviewOn.IsZero() {
				p.Hold.ReviewOn = hd.ReviewOn.Format(time.DateOnly)
			}
		}
		out.Pupils = append(out.Pupils, p)
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// holdRequest places or lifts a hold; version is the holdVersion read (optional: without it
// the change applies to the hold as it stands, and only a change made meanwhile conflicts).
type holdRequest struct {
	Reason   string `json:"reason"`
	ReviewOn string `json:"reviewOn"`
	Version  *int   `json:"version"`
}

func (r holdRequest) version() (int, error) {
	if r.Version == nil {
		return -1, nil
	}
	if *r.Version < 0 {
		return 0, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "version", Message: "the holdVersion the list gave"}}}
	}
	return *r.Version, nil
}

type holdReceiptJSON struct {
	ID          string `json:"id"`
	HoldVersion int    `json:"holdVersion"`
}

// placeHold: the Senior DSL places a legal hold on a pupil's records (S7).
func (h handler) placeHold(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var body holdRequest
	who, key, fp, err := httpapi.Command(req, &body)
	if err != nil {
		return httpapi.Response{}, err
	}
	review, err := parseDay("reviewOn", body.ReviewOn)
	if err != nil {
		return httpapi.Response{}, err
	}
	version, err := body.version()
	if err != nil {
		return httpapi.Response{}, err
	}
	r, err := h.retention.Place(ctx, who, httpapi.School(req), safeguarding.PupilID(req.PathParameters["pupil"]),
		retention.Placing{Reason: body.Reason, ReviewOn: review, Version: version}, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, holdReceiptJSON{ID: r.ID, HoldVersion: r.Version}), nil
}

// liftHold: the Senior DSL lifts a legal hold, with a reason (S7).
func (h handler) liftHold(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var body holdRequest
	who, key, fp, err := httpapi.Command(req, &body)
	if err != nil {
		return httpapi.Response{}, err
	}
	if body.ReviewOn != "" {
		return httpapi.Response{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "reviewOn", Message: "only when a hold is placed"}}}
	}
	version, err := body.version()
	if err != nil {
		return httpapi.Response{}, err
	}
	r, err := h.retention.Lift(ctx, who, httpapi.School(req), safeguarding.PupilID(req.PathParameters["pupil"]),
		req.PathParameters["hold"], body.Reason, version, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, holdReceiptJSON{ID: r.ID, HoldVersion: r.Version}), nil
}
