package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
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
	apitest.School(t, st, safeguarding.School{ID: brook, Name: "Brook Lane Primary"}, map[string][]safeguarding.Role{
		teacher: {safeguarding.RoleStaff, safeguarding.RoleTeacher}, colleague: {safeguarding.RoleStaff},
		dsl: {safeguarding.RoleStaff, safeguarding.RoleDSL}, head: {safeguarding.RoleStaff, safeguarding.RoleSeniorDSL},
	})
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

var (
	must = apitest.Must
	at   = apitest.At // a school-local time on Monday 23 November 2026
	// event is the API Gateway event of a request to one of the function's routes.
	event = apitest.For("concerns").Event
	// namesField reports whether a problem lists a field among its errors.
	namesField = apitest.NamesField
)

// do serves a request and reads its JSON answer.
func (w *world) do(req httpapi.Request) (httpapi.Response, map[string]any) {
	w.t.Helper()
	resp := apitest.Serve(w.t, w.h.Handle, req)
	return resp, apitest.JSON(w.t, resp)
}

const validBody = `{"pupilIds":["p1","p2"],"category":"safeguarding","subcategories":["physical-related"],
 "highPriority":true,"observedAt":"2026-11-23T09:00:00Z","details":"Bruise on Ava's left arm, about 3cm.",
 "pupilWords":"Dad grabbed me.","peopleInvolved":["Carl Brown"],"tagStaff":["a.patel@brook.example"]}`

func (w *world) record(email, body string, now time.Time, headers map[string]string) (httpapi.Response, map[string]any) {
	return w.do(event("POST", "/api/schools/"+brook+"/concerns", email, body, now, headers))
}

// items counts the test table's items by type.
func (w *world) items() map[string]int {
	w.t.Helper()
	return apitest.CountItems(w.t, w.db, w.table, nil)
}
