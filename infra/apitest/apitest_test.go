package apitest

import (
	"errors"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
)

func TestEventIsWhatAPIGatewaySendsForARouteOfTheTemplate(t *testing.T) {
	now := At("10:30")
	req := For("concerns").Event("post", "/api/schools/brook-lane/concerns/C1/amendments", Tom, `{"x":1}`, now,
		map[string]string{"Idempotency-Key": "k1", "Content-Type": "application/merge-patch+json"})
	if req.RouteKey != "POST /api/schools/{school}/concerns/{id}/amendments" || req.RequestContext.RouteKey != req.RouteKey {
		t.Errorf("route key %q", req.RouteKey)
	}
	if req.PathParameters["school"] != "brook-lane" || req.PathParameters["id"] != "C1" || len(req.PathParameters) != 2 {
		t.Errorf("path parameters %v", req.PathParameters)
	}
	if req.RawPath != "/api/schools/brook-lane/concerns/C1/amendments" || req.RequestContext.HTTP.Method != "POST" || req.Body != `{"x":1}` {
		t.Errorf("path %q, method %q, body %q", req.RawPath, req.RequestContext.HTTP.Method, req.Body)
	}
	if req.Headers["idempotency-key"] != "k1" || req.Headers["content-type"] != "application/merge-patch+json" || len(req.Headers) != 2 {
		t.Errorf("headers %v", req.Headers)
	}
	if !httpapi.RequestTime(req).Equal(now) {
		t.Errorf("request time %v, want %v", httpapi.RequestTime(req), now)
	}
	who, err := httpapi.Caller(req)
	if err != nil || who.Email != Tom || who.Source != sourceIP {
		t.Errorf("caller %+v %v", who, err)
	}
}

func TestEventQueryAndNoEmailClaim(t *testing.T) {
	req := For("cases").Event("GET", "/api/schools/hillcrest/actions?assignee=a%40b.example&status=open&status=done", "", "", At("09:00"), nil)
	if req.RouteKey != "GET /api/schools/{school}/actions" || req.RawPath != "/api/schools/hillcrest/actions" {
		t.Errorf("route %q, path %q", req.RouteKey, req.RawPath)
	}
	if req.RawQueryString != "assignee=a%40b.example&status=open&status=done" ||
		req.QueryStringParameters["assignee"] != "a@b.example" || req.QueryStringParameters["status"] != "open,done" {
		t.Errorf("query %q %v", req.RawQueryString, req.QueryStringParameters)
	}
	if req.Headers["content-type"] != "application/json" {
		t.Errorf("headers %v", req.Headers)
	}
	if _, err := httpapi.Caller(req); err == nil {
		t.Error("a token without an email claim named a caller")
	}
}

func TestEventPanicsOnAPathNoRouteServes(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("no panic for a path that is not the function's")
		}
	}()
	For("people").Event("GET", "/api/schools/brook-lane/concerns", Tom, "", At("09:00"), nil)
}

func TestPathFillsARouteEscaped(t *testing.T) {
	got := Path("PUT /api/schools/{school}/closure-contacts/{email}", map[string]string{"school": "brook-lane", "email": "a/b@x.example"})
	if got != "/api/schools/brook-lane/closure-contacts/a%2Fb@x.example" {
		t.Errorf("path %q", got)
	}
	req := For("contacts").Event("PUT", got, Daniel, "{}", At("09:00"), nil)
	if req.RouteKey != "PUT /api/schools/{school}/closure-contacts/{email}" || req.PathParameters["email"] != "a/b@x.example" {
		t.Errorf("route %q, parameters %v", req.RouteKey, req.PathParameters)
	}
}

func TestLocalTimes(t *testing.T) {
	if got, want := Local("2026-11-23 10:00:30"), At("10:00").Add(30*time.Second); !got.Equal(want) {
		t.Errorf("%v, want %v", got, want)
	}
	if got := At("10:00").UTC().Format(time.RFC3339); got != "2026-11-23T10:00:00Z" {
		t.Errorf("10:00 in London in November is %s", got)
	}
}

func TestNamesField(t *testing.T) {
	problem := map[string]any{"errors": []any{map[string]any{"field": "category"}, "odd"}}
	if !NamesField(problem, "category") || NamesField(problem, "details") || NamesField(nil, "category") {
		t.Error("NamesField")
	}
}

func TestRefusal(t *testing.T) {
	Refusal(t, nil)
	Refusal(t, &httpapi.ProblemError{Status: 413})
	for _, err := range []error{errors.New("boom"), &httpapi.ProblemError{Status: 500}} {
		ft := &fakeT{TB: t}
		func() {
			defer func() { _ = recover() }()
			Refusal(ft, err)
		}()
		if !ft.failed {
			t.Errorf("%v passed", err)
		}
	}
}

// fakeT records a fatal failure instead of ending the test.
type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper() {}
func (f *fakeT) Fatalf(string, ...any) {
	f.failed = true
	panic("fatal")
}
