package main

import (
	"context"
	"net/http"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// closureResponse is a closure as the API gives it (rule E0): its first day and, once it has
// ended, its last day (inclusive), both local dates.
type closureResponse struct {
	ID      string `json:"id"`
	From    string `json:"from"`
	LastDay string `json:"lastDay,omitempty"`
}

func toClosure(c safeguarding.Closure) closureResponse {
	out := closureResponse{ID: c.ID, From: c.From.In(safeguarding.London).Format(time.DateOnly)}
	if !c.LastDay.IsZero() {
		out.LastDay = c.LastDay.In(safeguarding.London).Format(time.DateOnly)
	}
	return out
}

// listClosures lists the school's closures, earliest first, for any member of its staff.
func (h handler) listClosures(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	list, err := h.closures.List(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Closures []closureResponse `json:"closures"`
	}{Closures: []closureResponse{}}
	for _, c := range list {
		out.Closures = append(out.Closures, toClosure(c))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// startClosure starts a full closure (rule E0): the Senior DSL; a second open one is 409.
func (h handler) startClosure(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		From string `json:"from"`
	}
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	from, err := parseDate("from", in.From)
	if err != nil {
		return httpapi.Response{}, h.refusedFirst(ctx, who, req, err)
	}
	c, err := h.closures.Start(ctx, who, httpapi.School(req), from, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, toClosure(c)), nil
}

// refusedFirst answers a body that cannot be read: someone who may not manage the school's
// closures is refused as such, before being told what is wrong with the body.
func (h handler) refusedFirst(ctx context.Context, who safeguarding.Caller, req httpapi.Request, invalid error) error {
	if err := h.closures.CanManage(ctx, who, httpapi.School(req)); err != nil {
		return err
	}
	return invalid
}

// endClosure ends the open closure with its last day, inclusive and not before its first.
func (h handler) endClosure(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		LastDay string `json:"lastDay"`
	}
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	last, err := parseDate("lastDay", in.LastDay)
	if err != nil {
		return httpapi.Response{}, h.refusedFirst(ctx, who, req, err)
	}
	c, err := h.closures.End(ctx, who, httpapi.School(req), req.PathParameters["id"], last, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toClosure(c)), nil
}

// takeCall gives a family's open phone call, held by the DSLs as a group, to the caller
// (rule E3): a DSL, the Senior DSL or staff designated for closure contact.
func (h handler) takeCall(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	f, err := h.svc.TakeCall(ctx, who, httpapi.School(req), req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toResponse(f)), nil
}

// calls lists the phone calls to families in the caller's work (rule E3): those they took
// and, for a DSL, those the DSLs hold as a group.
func (h handler) calls(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	list, err := h.svc.CallsFor(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	type call struct {
		FamilyID  string    `json:"familyId"`
		Reference string    `json:"reference"`
		Owner     string    `json:"owner,omitempty"`
		DueAt     time.Time `json:"dueAt"`
		Overdue   bool      `json:"overdue"`
	}
	out := struct {
		Calls []call `json:"calls"`
	}{Calls: []call{}}
	for _, c := range list {
		out.Calls = append(out.Calls, call{FamilyID: c.Family, Reference: c.Reference, Owner: c.Owner, DueAt: c.DueAt, Overdue: c.Overdue(who.At)})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}
