package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestRule_D1_ActionWithoutDueTimeGetsTheRulesOne(t *testing.T) {
	w := newWorld(t)
	c := w.concern(false, at("10:00"))
	before := w.items()
	status, a := w.addAction(dsl, c, `{"type":"dsl-action","assigneeEmail":"`+staff+`","notes":"Speak to class teacher"}`, at("11:00"), nil)
	if status != 201 {
		t.Fatalf("%d %v", status, a)
	}
	if a["dueAt"] != at("17:00").UTC().Format(time.RFC3339) || a["status"] != "open" || a["id"] != string(c)+"-A1" {
		t.Errorf("action %v", a)
	}
	after := w.items()
	if after["action"] != 1 || after["chronology"]-before["chronology"] != 2 || after["outbox:action-assigned"] != 1 || after["audit"]-before["audit"] != 1 {
		t.Errorf("items before %v after %v: want the action, an entry per pupil, its audit entry and the assignee's alert", before, after)
	}
}

func TestRule_D4_ReferralDueWithin24HoursAndNumberedOnItsConcern_D7_ReporterToldOnce(t *testing.T) {
	w := newWorld(t)
	c := w.concern(true, at("10:00"))
	w.addAction(dsl, c, `{"type":"dsl-action","assigneeEmail":"`+dsl+`"}`, at("10:05"), nil)
	status, a := w.addAction(dsl, c, `{"type":"referral","assigneeEmail":"`+head+`","referralTo":"childrens-social-care"}`, at("10:10"), nil)
	if status != 201 || a["id"] != string(c)+"-A2" || a["dueAt"] != at("10:00").Add(24*time.Hour).UTC().Format(time.RFC3339) {
		t.Fatalf("%d %v", status, a)
	}
	// Rule D7: the reporter is told once, at the first action, that steps were taken.
	if n := w.items()["outbox:action-taken"]; n != 1 {
		t.Errorf("%d 'action taken' emails to the reporter, want 1", n)
	}
}

func TestActionsAreForDSLsAndRefusedWhenInvalid(t *testing.T) {
	w := newWorld(t)
	c := w.concern(false, at("10:00"))
	for _, tc := range []struct {
		name, who, body string
		status          int
	}{
		{"a teacher", teacher, `{"type":"dsl-action","assigneeEmail":"` + staff + `"}`, 403},
		{"another school's DSL", other, `{"type":"dsl-action","assigneeEmail":"` + staff + `"}`, 403},
		{"unknown type", dsl, `{"type":"tea","assigneeEmail":"` + staff + `"}`, 400},
		{"assignee not on the staff", dsl, `{"type":"monitoring","assigneeEmail":"nobody@x.example"}`, 400},
		{"later due time without reason", dsl, `{"type":"dsl-action","assigneeEmail":"` + staff + `","dueAt":"2026-11-30T12:00:00Z"}`, 400},
		{"bad due time", dsl, `{"type":"dsl-action","assigneeEmail":"` + staff + `","dueAt":"tomorrow"}`, 400},
		{"unknown field", dsl, `{"type":"dsl-action","assigneeEmail":"` + staff + `","priority":1}`, 400},
	} {
		if status, body := w.addAction(tc.who, c, tc.body, at("11:00"), nil); status != tc.status {
			t.Errorf("%s: %d %v, want %d", tc.name, status, body, tc.status)
		}
	}
	if status, _ := w.addAction(dsl, "01JNOSUCHCONCERN00000000000", `{"type":"dsl-action","assigneeEmail":"`+staff+`"}`, at("11:00"), nil); status != 404 {
		t.Errorf("no such concern: %d", status)
	}
	if n := w.items()["action"]; n != 0 {
		t.Errorf("%d actions written by refused requests", n)
	}
}

func TestCompletingAnActionRecordsItsOutcomeOnce(t *testing.T) {
	w := newWorld(t)
	c := w.concern(false, at("10:00"))
	_, a := w.addAction(dsl, c, `{"type":"monitoring","assigneeEmail":"`+staff+`"}`, at("11:00"), nil)
	id := a["id"].(string)
	if status, body := w.onAction("complete", staff, id, `{"outcome":""}`, at("12:00")); status != 400 {
		t.Errorf("no outcome: %d %v", status, body)
	}
	if status, body := w.onAction("complete", teacher, id, `{"outcome":"x"}`, at("12:00")); status != 404 && status != 403 {
		t.Errorf("someone else completing: %d %v", status, body)
	}
	status, done := w.onAction("complete", staff, id, `{"outcome":"Checked in at lunch; settled."}`, at("12:00"))
	if status != 200 || done["status"] != "completed" || done["outcome"] != "Checked in at lunch; settled." {
		t.Fatalf("%d %v", status, done)
	}
	if status, _ := w.onAction("complete", staff, id, `{"outcome":"again"}`, at("12:01")); status != 409 {
		t.Errorf("completing twice: %d", status)
	}
	if _, list := w.myWork(staff, "me", at("12:02")); len(list) != 0 {
		t.Errorf("a completed action is still in my work: %v", list)
	}
}

func TestConcurrentChangesToOneActionGive409NotLastWriteWins(t *testing.T) {
	w := newWorld(t)
	c := w.concern(false, at("10:00"))
	_, a := w.addAction(dsl, c, `{"type":"monitoring","assigneeEmail":"`+dsl+`"}`, at("11:00"), nil)
	id := a["id"].(string)
	var wg sync.WaitGroup
	codes := make([]int, 6)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = w.onAction("complete", dsl, id, `{"outcome":"done `+string(rune('a'+i))+`"}`, at("12:00"))
		}()
	}
	wg.Wait()
	ok, conflict := 0, 0
	for _, c := range codes {
		switch c {
		case 200:
			ok++
		case 409:
			conflict++
		}
	}
	if ok != 1 || conflict != len(codes)-1 {
		t.Errorf("codes %v: want one 200 and the rest 409", codes)
	}
}

func TestRule_D6_AssigneeCannotFollowUpSeniorDSLReallocates(t *testing.T) {
	w := newWorld(t)
	c := w.concern(false, at("10:00"))
	_, a := w.addAction(dsl, c, `{"type":"check-in","assigneeEmail":"`+staff+`"}`, at("11:00"), nil)
	id := a["id"].(string)
	if status, body := w.onAction("unable", staff, id, `{"reason":"Off sick until Friday"}`, at("11:30")); status != 200 || body["needsReallocation"] != true {
		t.Fatalf("unable: %d %v", status, body)
	}
	if w.items()["outbox:reallocation-needed"] != 1 {
		t.Error("the Senior DSL was not alerted to reallocate")
	}
	if status, _ := w.onAction("reallocate", dsl, id, `{"assigneeEmail":"`+teacher+`"}`, at("11:40")); status != 403 {
		t.Errorf("a DSL who is not the Senior DSL reallocating: %d", status)
	}
	status, body := w.onAction("reallocate", head, id, `{"assigneeEmail":"`+teacher+`","reason":"Covering Priya"}`, at("11:45"))
	if status != 200 || body["assigneeEmail"] != teacher {
		t.Fatalf("reallocate: %d %v", status, body)
	}
	history := body["history"].([]any)
	last := history[len(history)-1].(map[string]any)
	if len(history) != 3 || last["from"] != staff || last["to"] != teacher || last["kind"] != "reallocated" {
		t.Errorf("history %v", history)
	}
	if _, list := w.myWork(teacher, "me", at("12:00")); len(list) != 1 {
		t.Errorf("the new assignee's work: %v", list)
	}
	if _, list := w.myWork(staff, "me", at("12:00")); len(list) != 0 {
		t.Errorf("the old assignee's work: %v", list)
	}
}

func TestMyWorkIsDueSoonestFirstAndDSLsSeeEveryones(t *testing.T) {
	w := newWorld(t)
	c := w.concern(false, at("09:00"))
	w.addAction(dsl, c, `{"type":"check-in","assigneeEmail":"`+staff+`"}`, at("09:30"), nil)   // due in a week
	w.addAction(dsl, c, `{"type":"dsl-action","assigneeEmail":"`+staff+`"}`, at("09:31"), nil) // due 17:00 today
	w.addAction(dsl, c, `{"type":"monitoring","assigneeEmail":"`+dsl+`"}`, at("09:32"), nil)   // due 09:00 tomorrow
	status, mine := w.myWork(staff, "me", at("10:00"))
	if status != 200 || len(mine) != 2 || mine[0].(map[string]any)["type"] != "dsl-action" || mine[1].(map[string]any)["type"] != "check-in" {
		t.Fatalf("%d %v", status, mine)
	}
	if status, all := w.myWork(dsl, "all", at("10:00")); status != 200 || len(all) != 3 {
		t.Errorf("DSL, everyone's: %d %v", status, all)
	}
	if status, _ := w.myWork(staff, "all", at("10:00")); status != 403 {
		t.Errorf("staff asking for everyone's work: %d", status)
	}
	if status, _ := w.myWork(other, "me", at("10:00")); status != 403 {
		t.Errorf("another school's staff: %d", status)
	}
	if _, all := w.myWork(dsl, "all", at("18:00")); all[0].(map[string]any)["overdue"] != true {
		t.Errorf("the 17:00 action is not shown overdue at 18:00: %v", all[0])
	}
}

func TestAddActionIsIdempotent(t *testing.T) {
	w := newWorld(t)
	c := w.concern(false, at("10:00"))
	key := map[string]string{"Idempotency-Key": "add-1"}
	body := `{"type":"dsl-action","assigneeEmail":"` + staff + `"}`
	s1, a1 := w.addAction(dsl, c, body, at("11:00"), key)
	s2, a2 := w.addAction(dsl, c, body, at("11:01"), key)
	if s1 != 201 || s2 != 201 || a1["id"] != a2["id"] || w.items()["action"] != 1 {
		t.Fatalf("%d %v / %d %v", s1, a1, s2, a2)
	}
	if s3, _ := w.addAction(dsl, c, `{"type":"monitoring","assigneeEmail":"`+staff+`"}`, at("11:02"), key); s3 != 422 {
		t.Errorf("same key, other body: %d", s3)
	}
}

func (w *world) changeCase(email string, c string, body string, now time.Time) (int, map[string]any) {
	return w.call("POST", "/api/schools/brook-lane/concerns/"+c+"/case", email, body, now, nil)
}

func TestRule_D9_CaseStatusAndTheSLTReview(t *testing.T) {
	w := newWorld(t)
	c1 := string(w.concern(false, at("09:00")))
	c2 := string(w.concern(false, at("09:10")))
	c3 := string(w.concern(false, at("09:20")))
	if status, _ := w.changeCase(teacher, c1, `{"change":"close","reason":"x"}`, at("10:00")); status != 403 {
		t.Errorf("a teacher closing: %d", status)
	}
	if status, body := w.changeCase(dsl, c1, `{"change":"close"}`, at("10:00")); status != 400 {
		t.Errorf("closing without reason: %d %v", status, body)
	}
	status, body := w.changeCase(dsl, c1, `{"change":"close","reason":"Resolved with parents"}`, at("10:00"))
	if status != 200 || body["status"] != "closed" {
		t.Fatalf("close: %d %v", status, body)
	}
	if status, _ := w.changeCase(dsl, c2, `{"change":"complex","reason":"Police and CSC involved"}`, at("10:05")); status != 200 {
		t.Fatalf("complex: %d", status)
	}
	status, review := w.call("GET", "/api/schools/brook-lane/review", dsl, "", at("11:00"), nil)
	if status != 200 {
		t.Fatalf("review: %d %v", status, review)
	}
	open := review["openCases"].([]any)
	if len(open) != 2 || open[0].(map[string]any)["concernId"] != c2 || open[1].(map[string]any)["concernId"] != c3 {
		t.Errorf("open cases %v", open)
	}
	// Both pupils of the three concerns are flagged: 3 concerns today.
	if fp := review["frequentPupils"].([]any); len(fp) != 2 || fp[0].(map[string]any)["concerns"] != float64(3) {
		t.Errorf("frequent pupils %v", fp)
	}
	// Six weeks on, the complex case is due its review.
	later := at("11:00").Add(43 * 24 * time.Hour)
	_, review = w.call("GET", "/api/schools/brook-lane/review", dsl, "", later, nil)
	if due := review["complexDue"].([]any); len(due) != 1 || due[0].(map[string]any)["concernId"] != c2 {
		t.Errorf("complex due %v", due)
	}
	if status, _ := w.call("GET", "/api/schools/brook-lane/review", teacher, "", later, nil); status != 403 {
		t.Errorf("a teacher reading the review: %d", status)
	}
	// Reopening keeps the closing reason in the history, and both show in the chronology.
	status, body = w.changeCase(dsl, c1, `{"change":"reopen","reason":"New disclosure"}`, at("12:00"))
	events := body["events"].([]any)
	if status != 200 || body["status"] != "open" || len(events) != 2 || events[0].(map[string]any)["reason"] != "Resolved with parents" {
		t.Errorf("reopen: %d %v", status, body)
	}
	status, caseBody := w.call("GET", "/api/schools/brook-lane/concerns/"+c1+"/case", dsl, "", at("12:30"), nil)
	if status != 200 || len(caseBody["events"].([]any)) != 2 {
		t.Errorf("case: %d %v", status, caseBody)
	}
}

// Rule D7 with P2: the case work (actions, their notes and outcomes, case decisions) is for the
// DSLs; the teacher who raised the concern gets 403 for it, and a DSL of another school 403
// or 404, with nothing of it.
func TestRule_D7_P2_TheReporterGetsNoCaseWork(t *testing.T) {
	w := newWorld(t)
	c := w.concern(false, at("10:00"))
	if status, a := w.addAction(dsl, c, `{"type":"referral","assigneeEmail":"`+head+`","referralTo":"childrens-social-care","notes":"Spoke to the duty social worker"}`, at("10:10"), nil); status != 201 {
		t.Fatalf("%d %v", status, a)
	}
	caseOf := func(email string) (int, map[string]any) {
		return w.call("GET", "/api/schools/brook-lane/concerns/"+string(c)+"/case", email, "", at("11:00"), nil)
	}
	if status, body := caseOf(teacher); status != 403 || body["actions"] != nil {
		t.Errorf("the reporter reading the case work: %d %v", status, body)
	}
	if status, body := caseOf(other); (status != 403 && status != 404) || body["actions"] != nil {
		t.Errorf("a DSL of another school: %d %v", status, body)
	}
	if status, body := caseOf(dsl); status != 200 || len(body["actions"].([]any)) != 1 {
		t.Errorf("a DSL: %d %v", status, body)
	}
}

// Rule C5: the case work of a concern about a member of staff is read by the governor and the
// Senior DSL it is routed to, never by its subject; and no action is given to its subject,
// neither when it is added nor when it is reallocated.
func TestRule_C5_CaseWorkOfAConcernAboutStaff(t *testing.T) {
	w := newWorld(t)
	uc := concerns.Concerns{Store: w.st, Catalogue: concerns.PolicyCatalogue(), Calendar: calendar.EnglandAndWales(), NewID: store.NewID}
	r, err := uc.Record(context.Background(), safeguarding.Caller{Email: teacher, At: at("09:00")}, seed.BrookLane, concerns.NewConcern{
		PupilIDs: []safeguarding.PupilID{"bl-01"}, Category: "safeguarding", ObservedAt: at("08:50"),
		Details: "A member of staff shouted at a pupil.", AboutStaff: true, SubjectStaffEmail: staff,
	}, safeguarding.RequestKey{}, "")
	if err != nil {
		t.Fatal(err)
	}
	c := safeguarding.ConcernID(r.ID)
	status, a := w.addAction(head, c, `{"type":"dsl-action","assigneeEmail":"`+head+`","notes":"Speak to the LADO"}`, at("09:30"), nil)
	if status != 201 {
		t.Fatalf("the Senior DSL's action: %d %v", status, a)
	}
	caseOf := func(email string) int {
		status, _ := w.call("GET", "/api/schools/brook-lane/concerns/"+string(c)+"/case", email, "", at("10:00"), nil)
		return status
	}
	for who, want := range map[string]int{apitest.Martin: 200, head: 200, staff: 404, teacher: 403} {
		if got := caseOf(who); got != want {
			t.Errorf("%s reading the case work: %d, want %d", who, got, want)
		}
	}
	if status, body := w.addAction(head, c, `{"type":"dsl-action","assigneeEmail":"`+staff+`"}`, at("10:05"), nil); status != 400 {
		t.Errorf("an action for the concern's subject: %d %v", status, body)
	}
	id := a["id"].(string)
	status, body := w.onAction("reallocate", head, id, `{"assigneeEmail":"`+staff+`","reason":"Cover"}`, at("10:10"))
	if status != 400 || !strings.Contains(fmt.Sprint(body), "assigneeEmail") {
		t.Errorf("reallocating to the concern's subject: %d %v", status, body)
	}
}
