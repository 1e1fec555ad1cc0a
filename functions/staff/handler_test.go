package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
	"github.com/keepsafe-schools/keepsafe/shared/store"
	"github.com/keepsafe-schools/keepsafe/shared/userpool"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

type world struct {
	h    handler
	st   *store.Store
	pool *stack.UserPool
	now  time.Time
}

// setup is the demo federation in DynamoDB Local, with a local user pool that holds the demo
// people's accounts and answers the real Cognito client.
func setup(t *testing.T) world {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	apitest.SeedDemo(t, db, table)
	pool, err := stack.NewUserPool(seed.Demo().Users, "", time.Now)
	apitest.Must(t, err)
	srv := httptest.NewServer(pool)
	t.Cleanup(srv.Close)
	accounts := userpool.New(stack.NewPoolClient(srv.URL), stack.LocalUserPoolID)
	return world{h: handler{svc: staff.Service{Store: st, Accounts: accounts, NewID: store.NewID}}, st: st, pool: pool,
		now: apitest.Local("2026-11-23 09:00")}
}

var api = apitest.For("staff")

func (w world) send(t *testing.T, method, path, email, body string, headers map[string]string) (int, map[string]any) {
	t.Helper()
	resp := apitest.Serve(t, w.h.Handle, api.Event(method, path, email, body, w.now, headers))
	var out map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return resp.StatusCode, out
}

func (w world) profile(t *testing.T, email string) safeguarding.Principal {
	t.Helper()
	p, err := w.st.Principal(context.Background(), email)
	apitest.Must(t, err)
	return p
}

func (w world) roster(t *testing.T) safeguarding.School {
	t.Helper()
	s, err := w.st.School(context.Background(), seed.BrookLane)
	apitest.Must(t, err)
	return s
}

const newDSL = "nina.okafor@brook-lane.example"

// Rules P1, S4, S8: the Senior DSL adds a DSL. Their account is made in the user pool (an
// invitation; the pool asks for the second factor at first sign-in), its subject is recorded
// on their profile, and they are on the school's alert roster with their mobile. The same
// request sent again with its key changes nothing.
func TestRule_P1_S4_S8_TheSeniorDSLAddsADSLWithTheirAccountAndSubject(t *testing.T) {
	w := setup(t)
	body := `{"name":"Nina Okafor","email":"Nina.Okafor@brook-lane.example","mobile":"07700 900456","roles":["dsl","staff"]}`
	key := map[string]string{"Idempotency-Key": "add-nina"}
	status, out := w.send(t, "POST", "/api/schools/brook-lane/staff", apitest.Helen, body, key)
	if status != 201 || out["person"] != seed.Subject(newDSL) || out["email"] != newDSL || out["mobile"] != "+447700900456" {
		t.Fatalf("%d %v", status, out)
	}
	if enabled, ok := w.pool.Enabled(newDSL); !ok || !enabled {
		t.Error("no account in the user pool")
	}
	p := w.profile(t, newDSL)
	if p.Subject != seed.Subject(newDSL) || !p.Has(seed.BrookLane, safeguarding.RoleDSL) || p.Name != "Nina Okafor" || p.Mobile != "+447700900456" {
		t.Errorf("profile %+v", p)
	}
	if s := w.roster(t); !s.HasStaff(newDSL) {
		t.Error("not on the school's alert roster")
	}
	if status, again := w.send(t, "POST", "/api/schools/brook-lane/staff", apitest.Helen, body, key); status != 201 || again["person"] != out["person"] {
		t.Errorf("the same request again: %d %v", status, again)
	}
	if status, _ := w.send(t, "POST", "/api/schools/brook-lane/staff", apitest.Helen, body, nil); status != 400 {
		t.Errorf("adding someone on the staff already: %d, want 400", status)
	}
	status, list := w.send(t, "GET", "/api/schools/brook-lane/staff", apitest.Helen, "", nil)
	if status != 200 || !strings.Contains(mustJSON(list), "Nina Okafor") {
		t.Errorf("the list: %d %v", status, list)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Rule P1: the office adds a teacher but is refused (403) when it tries to make someone a DSL,
// a Senior DSL or a governor, on adding them or after; nothing is written.
func TestRule_P1_TheOfficeIsRefusedWhenItMakesSomeoneADSL(t *testing.T) {
	w := setup(t)
	for _, roles := range []string{`["dsl"]`, `["staff","senior_dsl"]`, `["governor"]`} {
		status, _ := w.send(t, "POST", "/api/schools/brook-lane/staff", apitest.Grace,
			`{"name":"Nina Okafor","email":"`+newDSL+`","roles":`+roles+`}`, nil)
		if status != 403 {
			t.Errorf("the office adds %s: %d, want 403", roles, status)
		}
	}
	if _, ok := w.pool.Enabled(newDSL); ok {
		t.Error("a refused request made an account")
	}
	if p := w.profile(t, newDSL); p.IsMember(seed.BrookLane) {
		t.Error("a refused request wrote a profile")
	}
	priya := seed.Subject(apitest.Priya)
	if status, _ := w.send(t, "PATCH", "/api/schools/brook-lane/staff/"+priya, apitest.Grace, `{"roles":["staff","dsl"]}`, nil); status != 403 {
		t.Errorf("the office makes Priya a DSL: %d, want 403", status)
	}
	daniel := seed.Subject(apitest.Daniel)
	if status, _ := w.send(t, "PATCH", "/api/schools/brook-lane/staff/"+daniel, apitest.Grace, `{"leaving":true}`, nil); status != 403 {
		t.Errorf("the office marks a DSL as leaving: %d, want 403", status)
	}
	if p := w.profile(t, apitest.Priya); p.IsDSL(seed.BrookLane) {
		t.Error("Priya became a DSL")
	}
	status, out := w.send(t, "POST", "/api/schools/brook-lane/staff", apitest.Grace,
		`{"name":"Tariq Ali","email":"tariq.ali@brook-lane.example","roles":["teacher"]}`, nil)
	if status != 201 || out["roles"].([]any)[0] != "teacher" {
		t.Errorf("the office adds a teacher: %d %v", status, out)
	}
	for _, who := range []string{apitest.Daniel, apitest.Tom, apitest.Robert} {
		if status, _ := w.send(t, "GET", "/api/schools/brook-lane/staff", who, "", nil); status != 403 {
			t.Errorf("%s lists the staff: %d, want 403", who, status)
		}
	}
}

// Rule P1: a role change applies from the person's next request, which reads their roles
// afresh; the school always keeps a Senior DSL.
func TestRule_P1_ARoleChangeTakesEffectAtTheNextRequest(t *testing.T) {
	w := setup(t)
	if safeguarding.AccessFor(w.profile(t, apitest.Priya), seed.BrookLane).Dashboard {
		t.Fatal("Priya sees the dashboard before")
	}
	priya := seed.Subject(apitest.Priya)
	status, out := w.send(t, "PATCH", "/api/schools/brook-lane/staff/"+priya, apitest.Helen, `{"roles":["staff","dsl"]}`, nil)
	if status != 200 || len(out["roles"].([]any)) != 2 {
		t.Fatalf("%d %v", status, out)
	}
	if !safeguarding.AccessFor(w.profile(t, apitest.Priya), seed.BrookLane).Dashboard {
		t.Error("Priya's next request does not see the dashboard")
	}
	if m := w.roster(t).Roster; !rosterHas(m, apitest.Priya, safeguarding.RoleDSL) {
		t.Error("the alert roster does not say Priya is a DSL")
	}
	helen := seed.Subject(apitest.Helen)
	if status, out := w.send(t, "PATCH", "/api/schools/brook-lane/staff/"+helen, apitest.Helen, `{"roles":["dsl"]}`, nil); status != 400 || !apitest.NamesField(out, "roles") {
		t.Errorf("the Senior DSL gives up the role with no one else: %d %v", status, out)
	}
	if status, _ := w.send(t, "PATCH", "/api/schools/brook-lane/staff/nobody", apitest.Helen, `{"roles":["staff"]}`, nil); status != 404 {
		t.Errorf("someone not on the staff: %d, want 404", status)
	}
}

func rosterHas(r []safeguarding.StaffMember, email string, role safeguarding.Role) bool {
	for _, m := range r {
		if m.Email == email {
			return m.Has(role)
		}
	}
	return false
}

// Rule P1: a leaver's roles and place on the alert roster end at once and their records stay;
// with no school left, their account is disabled and their web sessions end. Someone who
// works at another school of the federation keeps it, and their account.
func TestRule_P1_ALeaverLosesTheirRolesAccountAndSessions(t *testing.T) {
	w := setup(t)
	ctx := context.Background()
	apitest.Must(t, w.st.StartSession(ctx, "priya-phone", store.Session{Email: apitest.Priya, Subject: seed.Subject(apitest.Priya),
		Started: w.now, Idle: time.Hour, Ends: w.now.Add(8 * time.Hour)}))
	priya := seed.Subject(apitest.Priya)
	status, out := w.send(t, "PATCH", "/api/schools/brook-lane/staff/"+priya, apitest.Helen, `{"leaving":true}`, map[string]string{"Idempotency-Key": "priya-leaves"})
	if status != 200 || len(out["roles"].([]any)) != 0 {
		t.Fatalf("%d %v", status, out)
	}
	if p := w.profile(t, apitest.Priya); p.IsMember(seed.BrookLane) || p.Subject != priya || p.Name == "" {
		t.Errorf("the leaver's profile %+v: no role, the rest kept", p)
	}
	if w.roster(t).HasStaff(apitest.Priya) {
		t.Error("the leaver is still on the alert roster")
	}
	if enabled, _ := w.pool.Enabled(apitest.Priya); enabled {
		t.Error("the leaver's account is still enabled")
	}
	if _, err := w.st.OpenSession(ctx, "priya-phone", w.now.Add(time.Minute)); err != store.ErrNoSession {
		t.Errorf("the leaver's session: %v, want it ended", err)
	}
	if status, again := w.send(t, "PATCH", "/api/schools/brook-lane/staff/"+priya, apitest.Helen, `{"leaving":true}`, map[string]string{"Idempotency-Key": "priya-leaves"}); status != 200 || again["person"] != priya {
		t.Errorf("the same request again: %d %v", status, again)
	}
	sam := seed.Subject(apitest.Sam)
	if status, _ := w.send(t, "PATCH", "/api/schools/brook-lane/staff/"+sam, apitest.Helen, `{"leaving":true}`, nil); status != 200 {
		t.Fatalf("Sam leaves Brook Lane: %d", status)
	}
	if p := w.profile(t, apitest.Sam); p.IsMember(seed.BrookLane) || !p.IsDSL("hillcrest") {
		t.Errorf("Sam's profile %+v: Hillcrest kept", p)
	}
	if enabled, _ := w.pool.Enabled(apitest.Sam); !enabled {
		t.Error("Sam, who still works at Hillcrest, was disabled")
	}
}

// Rule P1: the MIS's staff export, previewed then applied: new people as teacher or staff (a
// DSL's job title included), someone on the staff gains the file's role and keeps the rest.
func TestRule_P1_TheStaffExportPreviewedThenApplied(t *testing.T) {
	w := setup(t)
	file := "Forename,Surname,Email,Mobile,Job Title\n" +
		"Nia,Jones,nia.jones@brook-lane.example,07700 900123,Class Teacher\n" +
		"Pat,Lee,pat.lee@brook-lane.example,,Designated Safeguarding Lead\n" +
		"Priya,Shah," + apitest.Priya + ",,Teacher\n" +
		"Tom,Hughes," + apitest.Tom + ",,Teacher\n" +
		"Bad,Row,not-an-email,,Teacher\n"
	csv := map[string]string{"Content-Type": "text/csv"}
	status, out := w.send(t, "POST", "/api/schools/brook-lane/staff/imports?mode=preview", apitest.Grace, file, csv)
	if status != 200 || out["applied"] != false || out["created"] != 2.0 || out["updated"] != 1.0 || out["unchanged"] != 1.0 || len(out["errors"].([]any)) != 1 {
		t.Fatalf("preview: %d %v", status, out)
	}
	if _, ok := w.pool.Enabled("nia.jones@brook-lane.example"); ok {
		t.Error("a preview made an account")
	}
	if status, out := w.send(t, "POST", "/api/schools/brook-lane/staff/imports", apitest.Grace, file, csv); status != 200 || out["applied"] != false {
		t.Errorf("a file with errors: %d %v, want nothing applied", status, out)
	}
	status, out = w.send(t, "POST", "/api/schools/brook-lane/staff/imports?apply=valid-rows", apitest.Grace, file, csv)
	if status != 200 || out["applied"] != true || out["created"] != 2.0 {
		t.Fatalf("apply: %d %v", status, out)
	}
	if p := w.profile(t, "pat.lee@brook-lane.example"); !p.Has(seed.BrookLane, safeguarding.RoleStaff) || p.IsDSL(seed.BrookLane) || p.Subject == "" {
		t.Errorf("Pat %+v: staff, never a DSL by import, with a subject", p)
	}
	if p := w.profile(t, apitest.Priya); !p.Has(seed.BrookLane, safeguarding.RoleTeacher) || !p.Has(seed.BrookLane, safeguarding.RoleStaff) {
		t.Errorf("Priya %+v: teacher added, staff kept", p)
	}
	if s := w.roster(t); !s.HasStaff("nia.jones@brook-lane.example") || !s.HasStaff("pat.lee@brook-lane.example") {
		t.Error("the new people are not on the alert roster")
	}
	if status, out := w.send(t, "POST", "/api/schools/brook-lane/staff/imports?mode=preview", apitest.Grace, file, csv); status != 200 || out["created"] != 0.0 {
		t.Errorf("the same file again: %d %v, want nothing new", status, out)
	}
	if status, _ := w.send(t, "POST", "/api/schools/brook-lane/staff/imports", apitest.Daniel, file, csv); status != 403 {
		t.Errorf("a DSL imports: %d, want 403", status)
	}
	if status, _ := w.send(t, "POST", "/api/schools/brook-lane/staff/imports", apitest.Grace, file, nil); status != 415 {
		t.Errorf("not CSV: %d, want 415", status)
	}
}
