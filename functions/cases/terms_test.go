package main

import (
	"context"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func day(s string) time.Time {
	d, err := time.ParseInLocation(time.DateOnly, s, safeguarding.London)
	if err != nil {
		panic(err)
	}
	return d
}

// Rule D9 by the school's own terms: a complex case is reviewed in each half of each term the
// school entered, not every 42 days.
func TestRule_D9_ComplexCasesReviewedTwiceATermByTheSchoolsTerms(t *testing.T) {
	w := newWorld(t)
	err := w.st.PutSchoolCalendar(context.Background(), safeguarding.SchoolCalendar{School: seed.BrookLane, Version: 1, Terms: []safeguarding.Term{
		{Name: "Autumn", From: day("2026-09-03"), To: day("2026-12-18")}, {Name: "Spring", From: day("2027-01-05"), To: day("2027-03-26")}}})
	if err != nil {
		t.Fatal(err)
	}
	c := string(w.concern(false, at("09:00"))) // Monday 23 November: the autumn term's second half
	if status, body := w.changeCase(dsl, c, `{"change":"complex","reason":"Several agencies"}`, at("10:00")); status != 200 || body["reviewDue"] != false {
		t.Fatalf("complex: %d %v", status, body)
	}
	complexDue := func(now time.Time) bool {
		t.Helper()
		status, review := w.call("GET", "/api/schools/brook-lane/review", dsl, "", now, nil)
		if status != 200 {
			t.Fatalf("review: %d %v", status, review)
		}
		return len(review["complexDue"].([]any)) == 1
	}
	// A month later is the Christmas holiday: the half it was marked in has had its review.
	if complexDue(at("10:00").Add(30 * 24 * time.Hour)) {
		t.Error("due in the holiday after the half it was marked in")
	}
	// The first day of the spring term is a new half: due.
	spring := apitest.Local("2027-01-05 09:00:00")
	if !complexDue(spring) {
		t.Error("not due on the first day of the next term")
	}
	status, body := w.call("GET", "/api/schools/brook-lane/concerns/"+c+"/case", dsl, "", spring, nil)
	if status != 200 || body["reviewDue"] != true {
		t.Errorf("case: %d %v", status, body)
	}
	if status, body := w.changeCase(dsl, c, `{"change":"review","decision":"keep-open","reason":"Plan running"}`, spring); status != 200 || body["reviewDue"] != false {
		t.Errorf("review: %d %v", status, body)
	}
	// The spring term's second half begins on 15 February 2027.
	if complexDue(apitest.Local("2027-02-12 09:00:00")) || !complexDue(apitest.Local("2027-02-15 09:00:00")) {
		t.Error("not due from the second half of the spring term")
	}
}

// Rules D3 and D5 through the API: a monitoring action states its frequency, each update
// puts the next occurrence on the ladder, and a DSL ends it with a reason. And D1: the case
// says when the first action is due until there is one.
func TestRule_D1_D3_D5_RepeatingMonitoringThroughTheAPI(t *testing.T) {
	w := newWorld(t)
	c := w.concern(false, at("09:00"))
	// Rule D1: until a DSL records something on it, the case says when the first action is due.
	if status, body := w.call("GET", "/api/schools/brook-lane/concerns/"+string(c)+"/case", dsl, "", at("17:30"), nil); status != 200 ||
		body["actionDueAt"] != "2026-11-23T17:00:00Z" || body["actionOverdue"] != true {
		t.Errorf("case before any action: %d %v", status, body)
	}
	if status, body := w.addAction(dsl, c, `{"type":"referral","assigneeEmail":"`+staff+`","frequency":"weekly"}`, at("10:00"), nil); status != 400 {
		t.Errorf("a referral with a frequency: %d %v", status, body)
	}
	status, a := w.addAction(dsl, c, `{"type":"monitoring","assigneeEmail":"`+staff+`","frequency":"daily"}`, at("10:00"), nil)
	if status != 201 || a["frequency"] != "daily" || a["occurrence"] != float64(1) || a["dueAt"] != "2026-11-24T09:00:00Z" {
		t.Fatalf("add: %d %v", status, a)
	}
	id := a["id"].(string)
	if status, body := w.call("GET", "/api/schools/brook-lane/concerns/"+string(c)+"/case", dsl, "", at("17:30"), nil); status != 200 ||
		body["actionDueAt"] != nil || body["actionOverdue"] != false {
		t.Errorf("case after the first action: %d %v", status, body)
	}
	status, up := w.onAction("complete", staff, id, `{"outcome":"Ate lunch with friends"}`, apitest.Local("2026-11-24 08:00:00"))
	if status != 200 || up["status"] != "open" || up["occurrence"] != float64(2) || up["dueAt"] != "2026-11-25T09:00:00Z" {
		t.Fatalf("update: %d %v", status, up)
	}
	if status, _ := w.onAction("end", staff, id, `{"reason":"x"}`, apitest.Local("2026-11-24 09:00:00")); status != 403 {
		t.Errorf("the assignee ending it: %d", status)
	}
	if status, body := w.onAction("end", dsl, id, `{}`, apitest.Local("2026-11-24 09:00:00")); status != 400 {
		t.Errorf("ending without a reason: %d %v", status, body)
	}
	status, end := w.onAction("end", dsl, id, `{"reason":"Settled; the class teacher keeps an eye"}`, apitest.Local("2026-11-24 09:00:00"))
	hist := end["history"].([]any)
	if status != 200 || end["status"] != "completed" || hist[len(hist)-1].(map[string]any)["kind"] != "ended" {
		t.Fatalf("end: %d %v", status, end)
	}
	if status, _ := w.onAction("end", dsl, id, `{"reason":"again"}`, apitest.Local("2026-11-24 09:05:00")); status != 409 {
		t.Errorf("ending twice: %d", status)
	}
}
