package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/settings"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// demo is the demo federation with its classes, served by the people function.
type demo struct {
	h  handler
	st *store.Store
}

func setupDemo(t *testing.T) demo {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	apitest.SeedDemoWithFamilies(t, db, table)
	return demo{h: handler{store: st, settings: settings.Service{Store: st, NewID: store.NewID}}, st: st}
}

// call serves method path with body by email at 10:00 on a school day, with an idempotency
// key when key is not "".
func (d demo) call(t *testing.T, method, path, email, body, key string) (int, map[string]any) {
	t.Helper()
	var headers map[string]string
	if key != "" {
		headers = map[string]string{"Idempotency-Key": key}
	}
	resp := apitest.Serve(t, d.h.Handle, api.Event(method, path, email, body, apitest.At("10:00"), headers))
	var out map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return resp.StatusCode, out
}

const brookSettings = "/api/schools/brook-lane/settings"

// settingsBody is a whole change of Brook Lane's settings against version.
func settingsBody(version int, change func(map[string]any)) string {
	b := map[string]any{
		"version": version, "endOfDay": "17:30", "loneWorkerMinutes": 45, "sessionIdleMinutes": 20, "sessionLifetimeMinutes": 480,
		"contactOpeningsPerHour": 40, "dutyTeamNumber": "01632 960 555", "ladoNumber": "+44 1632 960777",
		"safeguardingGovernorEmail": apitest.Martin,
		"keyContacts": []map[string]string{
			{"agency": "police", "name": "Police non-emergency", "number": "101"},
			{"agency": "early-help", "name": "Early help hub", "number": "01632960120", "email": "EarlyHelp@Council.example.org"},
		},
	}
	if change != nil {
		change(b)
	}
	out, _ := json.Marshal(b)
	return string(out)
}

// Rules V5, V8, S3, C5: the school's settings are the Senior DSL's to change. The DSLs, the
// office, a teacher, the governor and staff are refused and change nothing; every member reads
// them; someone of another school reads nothing.
func TestRule_V5_V8_S3_C5_OnlyTheSeniorDSLChangesTheSchoolsSettings(t *testing.T) {
	d := setupDemo(t)
	for _, who := range []string{apitest.Daniel, apitest.Grace, apitest.Tom, apitest.Martin, apitest.Priya, apitest.Robert, apitest.Stranger} {
		if status, body := d.call(t, "PUT", brookSettings, who, settingsBody(0, nil), ""); status != 403 {
			t.Errorf("%s changed the settings: %d %v", who, status, body)
		}
	}
	status, got := d.call(t, "GET", brookSettings, apitest.Priya, "", "")
	if status != 200 || got["dutyTeamNumber"] != "01632 960100" || got["version"] != 0.0 || got["canChange"] != false || got["governors"] != nil {
		t.Fatalf("a member of staff reads: %d %v", status, got)
	}
	if status, _ := d.call(t, "GET", brookSettings, apitest.Chloe, "", ""); status != 403 {
		t.Errorf("a DSL of another school read Brook Lane's settings: %d", status)
	}
	status, got = d.call(t, "PUT", brookSettings, apitest.Helen, settingsBody(0, nil), "change-1")
	if status != 200 || got["version"] != 1.0 || got["endOfDay"] != "17:30" || got["loneWorkerMinutes"] != 45.0 ||
		got["sessionIdleMinutes"] != 20.0 || got["dutyTeamNumber"] != "01632 960555" || got["ladoNumber"] != "01632 960777" {
		t.Fatalf("the Senior DSL's change: %d %v", status, got)
	}
	if g, _ := got["safeguardingGovernor"].(map[string]any); g["name"] != "Martin Doyle" {
		t.Errorf("the governor is not named: %v", got["safeguardingGovernor"])
	}
	contacts, _ := got["keyContacts"].([]any)
	if len(contacts) != 2 || contacts[0].(map[string]any)["agency"] != "early-help" || contacts[0].(map[string]any)["email"] != "earlyhelp@council.example.org" ||
		contacts[1].(map[string]any)["number"] != "101" {
		t.Errorf("key contacts, in the agencies' order and kept in one form: %v", contacts)
	}
	// The same change sent again with its key is the same answer, and no second change.
	if status, again := d.call(t, "PUT", brookSettings, apitest.Helen, settingsBody(0, nil), "change-1"); status != 200 || again["version"] != 1.0 {
		t.Errorf("a retry: %d %v", status, again)
	}
	if status, _ := d.call(t, "PUT", brookSettings, apitest.Helen, settingsBody(0, func(b map[string]any) { b["loneWorkerMinutes"] = 50 }), "change-1"); status != 422 {
		t.Errorf("the key with another change: %d, want 422", status)
	}
	// A change made against the version before is stale.
	if status, _ := d.call(t, "PUT", brookSettings, apitest.Helen, settingsBody(0, func(b map[string]any) { b["loneWorkerMinutes"] = 50 }), ""); status != 409 {
		t.Errorf("a stale change: %d, want 409", status)
	}
	sc, err := d.st.School(context.Background(), seed.BrookLane)
	if err != nil || sc.SettingsVersion != 1 || sc.LoneWorkerMinutes != 45 || len(sc.Roster) == 0 || sc.Name != "Brook Lane Primary" {
		t.Errorf("stored: %+v %v", sc, err)
	}
	// The change is in the audit trail, by whom and when.
	_, entries, _, err := d.st.AuditTrail(context.Background(), apitest.Helen, seed.BrookLane, audit.Query{From: apitest.At("00:00"), To: apitest.At("00:00").AddDate(0, 0, 1), Limit: 100})
	if err != nil || !slices.ContainsFunc(entries, func(e safeguarding.AuditEntry) bool {
		return e.Action == "settings.changed" && e.Actor == apitest.Helen && e.Subject == "settings"
	}) {
		t.Errorf("no audit entry of the change: %v %v", entries, err)
	}
}

// Rules V5, V8, S3, C5: a change out of bounds is refused whole, naming each field, and
// writes nothing.
func TestRule_V5_V8_S3_C5_SettingsOutOfBoundsAreRefusedByField(t *testing.T) {
	d := setupDemo(t)
	for field, change := range map[string]func(map[string]any){
		"dutyTeamNumber":            func(b map[string]any) { b["dutyTeamNumber"] = "+33 1 23 45 67 89" },
		"ladoNumber":                func(b map[string]any) { b["ladoNumber"] = "call Jo" },
		"loneWorkerMinutes":         func(b map[string]any) { b["loneWorkerMinutes"] = 600 },
		"sessionIdleMinutes":        func(b map[string]any) { b["sessionIdleMinutes"] = 1 },
		"sessionLifetimeMinutes":    func(b map[string]any) { b["sessionLifetimeMinutes"] = 30 },
		"endOfDay":                  func(b map[string]any) { b["endOfDay"] = "15:00" },
		"safeguardingGovernorEmail": func(b map[string]any) { b["safeguardingGovernorEmail"] = apitest.Daniel },
		"keyContacts.childrens-social-care.name": func(b map[string]any) {
			b["keyContacts"] = []map[string]string{{"agency": "childrens-social-care", "number": "01632 960100"}}
		},
		"keyContacts.police.number": func(b map[string]any) {
			b["keyContacts"] = []map[string]string{{"agency": "police", "name": "Police", "number": "12"}}
		},
		"contactOpeningsPerHour": func(b map[string]any) { delete(b, "contactOpeningsPerHour") },
	} {
		status, problem := d.call(t, "PUT", brookSettings, apitest.Helen, settingsBody(0, change), "")
		if status != 400 || !apitest.NamesField(problem, field) {
			t.Errorf("%s: %d %v", field, status, problem)
		}
	}
	if sc, _ := d.st.School(context.Background(), seed.BrookLane); sc.SettingsVersion != 0 || sc.DutyTeamNumber != "01632 960100" {
		t.Errorf("a refused change wrote: %+v", sc)
	}
}

// Rule E1: the Senior DSL or the office say who teaches a class, by the school's teachers;
// the teacher then marks that class. Anyone else is refused; a stale change is a conflict.
func TestRule_E1_P1_AClassTeacherAssignedMarksTheClass(t *testing.T) {
	d := setupDemo(t)
	classes := engagement.ClassLists{Store: d.st}
	tomMarks := func() []string {
		t.Helper()
		cs, err := classes.Classes(context.Background(), safeguarding.Caller{Email: apitest.Tom, At: apitest.At("10:00")}, seed.BrookLane)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, c := range cs {
			names = append(names, c.Name)
		}
		return names
	}
	if got := tomMarks(); slices.Contains(got, "Saplings") {
		t.Fatalf("Tom marks Saplings already: %v", got)
	}
	for _, who := range []string{apitest.Daniel, apitest.Tom, apitest.Priya, apitest.Martin, apitest.Robert} {
		if status, _ := d.call(t, "GET", "/api/schools/brook-lane/classes", who, "", ""); status != 403 {
			t.Errorf("%s listed the classes: %d", who, status)
		}
		if status, _ := d.call(t, "PUT", "/api/schools/brook-lane/classes/Saplings/teachers", who, `{"version":0,"teachers":["`+apitest.Tom+`"]}`, ""); status != 403 {
			t.Errorf("%s gave a class its teacher: %d", who, status)
		}
	}
	status, list := d.call(t, "GET", "/api/schools/brook-lane/classes", apitest.Grace, "", "")
	if status != 200 || !strings.Contains(fmt.Sprint(list["teachers"]), "Tom Hughes") || !strings.Contains(fmt.Sprint(list["classes"]), "Saplings") {
		t.Fatalf("the office's list: %d %v", status, list)
	}
	status, c := d.call(t, "PUT", "/api/schools/brook-lane/classes/Saplings/teachers", apitest.Grace,
		`{"version":0,"teachers":["`+apitest.Sam+`","`+strings.ToUpper(apitest.Tom)+`"]}`, "k1")
	if status != 200 || c["version"] != 1.0 || !strings.Contains(fmt.Sprint(c["teachers"]), "Tom Hughes") {
		t.Fatalf("the office assigns Tom: %d %v", status, c)
	}
	if got := tomMarks(); !slices.Contains(got, "Saplings") || !slices.Contains(got, "Acorns") {
		t.Errorf("Tom marks %v, want Acorns and Saplings", got)
	}
	// A stale change, and one naming someone who does not teach, change nothing.
	if status, _ := d.call(t, "PUT", "/api/schools/brook-lane/classes/Saplings/teachers", apitest.Helen, `{"version":0,"teachers":[]}`, ""); status != 409 {
		t.Errorf("a stale change: %d, want 409", status)
	}
	if status, p := d.call(t, "PUT", "/api/schools/brook-lane/classes/Saplings/teachers", apitest.Helen, `{"version":1,"teachers":["`+apitest.Priya+`"]}`, ""); status != 400 || !apitest.NamesField(p, "teachers") {
		t.Errorf("a member of staff who does not teach: %d %v", status, p)
	}
	if status, _ := d.call(t, "PUT", "/api/schools/brook-lane/classes/Nowhere/teachers", apitest.Helen, `{"version":0,"teachers":[]}`, ""); status != 404 {
		t.Errorf("a class the school has not: %d, want 404", status)
	}
	// The Senior DSL takes the class from Tom: he no longer marks it.
	if status, c := d.call(t, "PUT", "/api/schools/brook-lane/classes/Saplings/teachers", apitest.Helen, `{"version":1,"teachers":["`+apitest.Sam+`"]}`, ""); status != 200 || c["version"] != 2.0 {
		t.Fatalf("the Senior DSL's change: %d %v", status, c)
	}
	if got := tomMarks(); slices.Contains(got, "Saplings") {
		t.Errorf("Tom still marks Saplings: %v", got)
	}
}
