package e2e

import (
	"slices"
	"testing"
)

// Every count of school days from the school's own calendar (C3, D1, D5, D9, V6), and the
// concern's own due item (D1) and repeating check-ins (D3, D5), through the local stack: the
// calendar, concerns, cases and visits APIs behind the gateway, the local clock,
// /dev/schedules/deadlines/run and /dev/alerts. It runs after every other test of the package
// that runs the deadline engine (files in name order), since the engine's runs only move
// forward, and its dates (summer 2027, BST) are later than theirs.
func TestRule_C3_D1_D3_D5_D9_V6_TheSchoolsOwnCalendarThroughTheLocalStack(t *testing.T) {
	api := product(t) + "/api/schools/brook-lane"
	helen, daniel, tom, priya := token(t, head), token(t, dsl), token(t, teacher), token(t, staff)

	// The summer term of 2027 with its half term (31 May - 4 June); the spring bank holiday is
	// on 31 May as well.
	pinClock(t, local("2027-05-20 09:00"))
	status, cal := call(t, "GET", api+"/calendar", helen, nil)
	if status != 200 {
		t.Fatalf("calendar: %d %v", status, cal)
	}
	status, cal = call(t, "PUT", api+"/calendar", helen, map[string]any{"version": cal["version"],
		"terms":   []map[string]string{{"name": "Summer", "from": "2027-04-12", "to": "2027-07-21"}},
		"daysOff": []map[string]string{{"kind": "holiday", "from": "2027-05-31", "to": "2027-06-04", "note": "Half term"}}})
	if status != 200 {
		t.Fatalf("calendar: %d %v", status, cal)
	}
	run := func(at string) {
		t.Helper()
		pinClock(t, local(at))
		if status, body := call(t, "POST", product(t)+"/dev/schedules/deadlines/run", "", nil); status != 200 {
			t.Fatalf("deadlines at %s: %d %v", at, status, body)
		}
	}
	concern := func(at, pupil, observed string) map[string]any {
		t.Helper()
		pinClock(t, local(at))
		status, c := call(t, "POST", concernsURL(t), tom, map[string]any{"pupilIds": []string{pupil}, "category": "wellbeing",
			"observedAt": observed, "details": "Quiet and withdrawn all morning."})
		if status != 201 {
			t.Fatalf("concern: %d %v", status, c)
		}
		return c
	}
	overdue := func(ref string) func(alert) bool {
		return func(a alert) bool { return a.Attributes["reference"] == ref && a.Attributes["kind"] == "overdue" }
	}

	// D1: recorded after the end of the day on the last day before half term (Friday 28 May,
	// 18:30 BST); nobody acts on it. It is due by the end of the first day back, Monday 7 June
	// at 17:00 BST (16:00 GMT).
	// D9: a case marked complex in the first half of the summer term (its first decision, which
	// also meets its own D1).
	complexCase := concern("2027-05-21 09:00", "bl-08", "2027-05-21T08:30:00Z")
	pinClock(t, local("2027-05-21 10:00"))
	if status, body := call(t, "POST", api+"/concerns/"+complexCase["id"].(string)+"/case", daniel, map[string]any{"change": "complex", "reason": "Several agencies"}); status != 200 {
		t.Fatalf("complex: %d %v", status, body)
	}
	idle := concern("2027-05-28 17:30", "bl-06", "2027-05-28T17:20:00Z")
	// C3: observed in half term, recorded at 12:30 BST on the first day back: 30 minutes late,
	// counted from noon of the first school day of the school's own calendar.
	acted := concern("2027-06-07 11:30", "bl-07", "2027-06-02T10:00:00Z")
	if acted["late"] != true || acted["minutesLate"] != float64(30) {
		t.Errorf("recording deadline: %v", acted)
	}
	pinClock(t, local("2027-06-07 11:40"))
	status, checkIn := call(t, "POST", api+"/concerns/"+acted["id"].(string)+"/actions", daniel, map[string]any{"type": "check-in", "assigneeEmail": staff})
	if status != 201 || checkIn["frequency"] != "weekly" || checkIn["dueAt"] != "2027-06-14T11:40:00Z" {
		t.Fatalf("check-in: %d %v", status, checkIn)
	}
	run("2027-06-07 15:45")
	if got := waitAlerts(t, 1, overdue(idle["reference"].(string))); len(got) != 0 {
		t.Fatalf("overdue before the end of the first day back: %v", got)
	}
	run("2027-06-07 16:00")
	got := waitAlerts(t, 2, overdue(idle["reference"].(string)))
	var to []string
	for _, a := range got {
		to = append(to, a.Attributes["audience"]+" "+a.Attributes["recipient"])
		if a.Attributes["audience"] != "dsl" && a.Attributes["audience"] != "senior_dsl" {
			t.Errorf("D1 alerted %v", a.Attributes)
		}
	}
	if !slices.Contains(to, "dsl "+dsl) || !slices.Contains(to, "senior_dsl "+head) {
		t.Errorf("D1 alerts to %v", to)
	}
	if got := waitAlerts(t, 1, overdue(acted["reference"].(string))); len(got) != 0 {
		t.Errorf("a concern with an action is overdue: %v", got)
	}
	pinClock(t, local("2027-06-07 16:05"))
	status, dash := call(t, "GET", concernsURL(t), daniel, nil)
	marks := map[string]bool{}
	for _, r := range dash["concerns"].([]any) {
		r := r.(map[string]any)
		marks[r["reference"].(string)] = r["actionOverdue"] == true
	}
	if status != 200 || !marks[idle["reference"].(string)] || marks[acted["reference"].(string)] {
		t.Errorf("dashboard: %d %v", status, marks)
	}
	// D9: the complex case is due its review in the term's second half (from 2 June).
	status, review := call(t, "GET", api+"/review", daniel, nil)
	if due := review["complexDue"].([]any); status != 200 || len(due) != 1 || due[0].(map[string]any)["concernId"] != complexCase["id"] {
		t.Errorf("review: %d %v", status, review["complexDue"])
	}

	// D5: the weekly check-in falls due three weeks running, each updated by Priya.
	id := checkIn["id"].(string)
	ref := checkIn["reference"].(string)
	for i, due := range []string{"2027-06-14 11:40", "2027-06-21 11:40", "2027-06-28 11:40"} {
		run(due)
		if got := waitAlerts(t, i+1, func(a alert) bool { return overdue(ref)(a) && a.Attributes["recipient"] == staff }); len(got) != i+1 {
			t.Fatalf("week %d: overdue alerts %v", i+1, got)
		}
		pinClock(t, local(due[:11]+"13:00"))
		if status, body := call(t, "POST", api+"/actions/"+id+"/complete", priya, map[string]any{"outcome": "Settled at lunch."}); status != 200 || body["status"] != "open" {
			t.Fatalf("week %d update: %d %v", i+1, status, body)
		}
	}
	// Ending the monitoring stops it.
	if status, body := call(t, "POST", api+"/actions/"+id+"/end", daniel, map[string]any{"reason": "Settled; early help involved."}); status != 200 || body["status"] != "completed" {
		t.Fatalf("end: %d %v", status, body)
	}
	run("2027-07-05 11:45")
	if got := waitAlerts(t, 4, func(a alert) bool { return overdue(ref)(a) && a.Attributes["recipient"] == staff }); len(got) != 3 {
		t.Errorf("after the end: %v", got)
	}

	// V6: observations are due 24 hours after the check-out, not the planned end.
	visit, _ := startVisit(t, "fam-01", "2027-07-06", "11:00")
	visits := api + "/visits/" + visit
	pinClock(t, local("2027-07-06 10:50"))
	if status, body := call(t, "POST", visits+"/next", tom, map[string]any{"nextVisitAt": "2027-07-13T10:00:00Z", "supportOffered": "None needed."}); status != 200 {
		t.Fatalf("next: %d %v", status, body)
	}
	pinClock(t, local("2027-07-06 12:20"))
	status, v := call(t, "POST", visits+"/checkout", tom, nil)
	if d, _ := v["observationsDue"].(map[string]any); status != 200 || d["dueAt"] != "2027-07-07T12:20:00Z" {
		t.Errorf("checkout: %d %v", status, v)
	}
}
