package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/openapitest"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

const (
	brook     = "brook-lane"
	hill      = "hillcrest"
	teacher   = "t.jones@brook.example"
	colleague = "a.patel@brook.example"
	dsl       = "d.okafor@brook.example"
	head      = "h.reid@brook.example"
	hillDSL   = "o.dsl@hill.example"
)

// world is one fresh table with two schools, their staff and pupils, and a handler over it.
type world struct {
	t       *testing.T
	db      *dynamodb.Client
	table   string
	counter *dynamotest.Counter
	h       handler
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table, counter := dynamotest.NewCountingClient(t)
	st := store.New(db, table)
	ctx := context.Background()
	staff := map[string][]safeguarding.Role{
		teacher: {safeguarding.RoleStaff, safeguarding.RoleTeacher}, colleague: {safeguarding.RoleStaff},
		dsl: {safeguarding.RoleStaff, safeguarding.RoleDSL}, head: {safeguarding.RoleStaff, safeguarding.RoleSeniorDSL},
	}
	school := safeguarding.School{ID: brook, Name: "Brook Lane Primary"}
	for email, roles := range staff {
		school.Roster = append(school.Roster, safeguarding.StaffMember{Email: email, Roles: roles})
		must(t, st.PutUser(ctx, safeguarding.Principal{Email: email, Name: email, Memberships: map[safeguarding.SchoolID][]safeguarding.Role{brook: roles}}))
	}
	must(t, st.PutSchool(ctx, school))
	must(t, st.PutSchool(ctx, safeguarding.School{ID: hill, Name: "Hillcrest Juniors", Roster: []safeguarding.StaffMember{{Email: hillDSL, Roles: []safeguarding.Role{safeguarding.RoleDSL}}}}))
	must(t, st.PutUser(ctx, safeguarding.Principal{Email: hillDSL, Name: "Omar", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{hill: {safeguarding.RoleDSL}}}))
	for _, p := range []safeguarding.Pupil{
		{ID: "p1", School: brook, Name: "Ava Brown", FamilyID: "f1"},
		{ID: "p2", School: brook, Name: "Ben Brown", FamilyID: "f1"},
		{ID: "x1", School: hill, Name: "Cara Hill", FamilyID: "f9"},
	} {
		must(t, st.PutPupil(ctx, p))
	}
	counter.Reset()
	return &world{t: t, db: db, table: table, counter: counter, h: newHandler(st)}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// at is a school-local time on Monday 23 November 2026.
func at(hhmm string) time.Time {
	t, _ := time.ParseInLocation("2006-01-02 15:04", "2026-11-23 "+hhmm, safeguarding.London)
	return t
}

func event(method, path, email, body string, now time.Time, headers map[string]string) httpapi.Request {
	route, params := routeOf(method, path)
	h := map[string]string{"content-type": "application/json"}
	for k, v := range headers {
		h[strings.ToLower(k)] = v
	}
	req := httpapi.Request{
		Version: "2.0", RouteKey: route, RawPath: path, Headers: h, PathParameters: params, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RequestID: fmt.Sprint(now.UnixNano()), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "192.0.2.10"},
		},
	}
	if email != "" {
		req.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"email": email, "sub": "sub-" + email}},
		}
	}
	return req
}

// routeOf turns a concrete path into its template route key and path parameters.
func routeOf(method, path string) (string, map[string]string) {
	parts := strings.Split(strings.Trim(path, "/"), "/") // api schools {school} ...
	params := map[string]string{"school": parts[2]}
	switch {
	case len(parts) == 4 && parts[3] == "concerns":
		return method + " /api/schools/{school}/concerns", params
	case len(parts) == 5 && parts[3] == "concerns":
		params["id"] = parts[4]
		return method + " /api/schools/{school}/concerns/{id}", params
	case len(parts) == 6 && parts[5] == "chronology":
		params["pupil"] = parts[4]
		return method + " /api/schools/{school}/pupils/{pupil}/chronology", params
	}
	return method + " " + path, params
}

func (w *world) do(req httpapi.Request) (httpapi.Response, map[string]any) {
	w.t.Helper()
	resp, err := w.h.Handle(context.Background(), req)
	if err != nil {
		w.t.Fatalf("handler error: %v", err)
	}
	openapitest.Check(w.t, req, resp)
	var body map[string]any
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			w.t.Fatalf("body %q: %v", resp.Body, err)
		}
	}
	return resp, body
}

const validBody = `{"pupilIds":["p1","p2"],"category":"safeguarding","subcategories":["physical-related"],
 "highPriority":true,"observedAt":"2026-11-23T09:00:00Z","details":"Bruise on Ava's left arm, about 3cm.",
 "pupilWords":"Dad grabbed me.","peopleInvolved":["Carl Brown"],"tagStaff":["a.patel@brook.example"]}`

func (w *world) record(email, body string, now time.Time, headers map[string]string) (httpapi.Response, map[string]any) {
	return w.do(event("POST", "/api/schools/"+brook+"/concerns", email, body, now, headers))
}

// items returns every item of the test's table by type. A test may Scan; the product never does.
func (w *world) items() map[string]int {
	w.t.Helper()
	out := map[string]int{}
	p := dynamodb.NewScanPaginator(w.db, &dynamodb.ScanInput{TableName: &w.table})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		must(w.t, err)
		for _, it := range page.Items {
			if s, ok := it["type"].(*types.AttributeValueMemberS); ok {
				out[s.Value]++
			}
		}
	}
	return out
}
