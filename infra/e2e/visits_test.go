package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// Home visits through the local stack (V1-V8): the visits API behind the gateway, the local
// clock, /dev/schedules/deadlines/run (every 15 minutes in the template) and /dev/alerts.
// Tom Hughes and Priya Shah go, Sam Ellis is their line manager, Daniel Reyes plans and Helen
// Carter, the Senior DSL, authorises.

var lineManager = seed.Email("Sam", "Ellis")

// startVisit plans, authorises, calls ahead and starts a visit to a Brook Lane family on a
// day from 10:00 to end (GMT, school time in March), and returns its id and reference.
func startVisit(t *testing.T, family, day, end string) (string, string) {
	t.Helper()
	base := product(t) + "/api/schools/brook-lane/visits"
	pinClock(t, local(day+" 08:00"))
	status, v := call(t, "POST", base, token(t, dsl), map[string]any{
		"familyId": family, "staffEmails": []string{teacher, staff}, "lineManagerEmail": lineManager,
		"plannedStart": day + "T10:00:00Z", "plannedEnd": day + "T" + end + ":00Z",
		"reason": "No answer to three calls this week.",
	}, "Idempotency-Key", "plan-"+family+"-"+day)
	if status != 201 || v["status"] != "planned" {
		t.Fatalf("plan: %d %v", status, v)
	}
	id, ref := v["id"].(string), v["reference"].(string)
	// V1: it cannot start before the Senior DSL authorises it.
	pinClock(t, local(day+" 09:30"))
	if status, _ := call(t, "POST", base+"/"+id+"/call-ahead", token(t, teacher), map[string]any{"outcome": "agreed"}); status != 200 {
		t.Fatalf("call ahead: %d", status)
	}
	if status, body := call(t, "POST", base+"/"+id+"/start", token(t, teacher), nil); status != 400 {
		t.Fatalf("started unauthorised: %d %v", status, body)
	}
	if status, body := call(t, "POST", base+"/"+id+"/authorise", token(t, head), nil); status != 200 {
		t.Fatalf("authorise: %d %v", status, body)
	}
	// V2: not with one member of staff.
	if status, _ := call(t, "POST", base+"/"+id+"/start", token(t, teacher), map[string]any{"staffEmails": []string{teacher}}); status != 400 {
		t.Fatalf("started alone: %d", status)
	}
	pinClock(t, local(day+" 09:55"))
	if status, body := call(t, "POST", base+"/"+id+"/start", token(t, teacher), nil); status != 200 || body["status"] != "in-progress" {
		t.Fatalf("start: %d %v", status, body)
	}
	return id, ref
}

func runDeadlines(t *testing.T, at string) {
	t.Helper()
	pinClock(t, local(at))
	if status, body := call(t, "POST", product(t)+"/dev/schedules/deadlines/run", "", nil); status != 200 {
		t.Fatalf("deadlines at %s: %d %v", at, status, body)
	}
}

func of(ref, kind string) func(alert) bool {
	return func(a alert) bool { return a.Attributes["reference"] == ref && a.Attributes["kind"] == kind }
}

func TestRule_V8_NoCheckOutAlertsTheLineManagerAndTheSeniorDSLBySMSWithinOneSchedulePeriod(t *testing.T) {
	// Planned end 11:05: with 30 minutes' grace the check-out is due at 11:35.
	id, ref := startVisit(t, "fam-02", "2027-03-01", "11:05")
	visit := product(t) + "/api/schools/brook-lane/visits/" + id

	// V2: the line manager sees where, when and who.
	_, v := call(t, "GET", visit, token(t, lineManager), nil)
	addr, _ := v["address"].(map[string]any)
	if addr == nil || len(addr["lines"].([]any)) == 0 {
		t.Fatalf("the line manager cannot see the address: %v", v)
	}
	line := addr["lines"].([]any)[0].(string)

	// The run at 11:30 is before the due time; the next one, at 11:45, is the first after it.
	runDeadlines(t, "2027-03-01 11:30")
	if got := waitAlerts(t, 1, of(ref, "lone-worker")); len(got) != 0 {
		t.Fatalf("an alarm before the due time: %v", got)
	}
	runDeadlines(t, "2027-03-01 11:45")
	got := waitAlerts(t, 4, of(ref, "lone-worker"))
	var to []string
	for _, a := range got {
		to = append(to, a.Attributes["audience"]+" "+a.Attributes["recipient"]+" "+a.Attributes["channel"])
		if a.Attributes["priority"] != "high" || a.Attributes["school"] != "brook-lane" {
			t.Errorf("alarm attributes %v", a.Attributes)
		}
		// No name, address or phone number in an alarm (S2, P3).
		for _, secret := range []string{line, addr["postcode"].(string), "Whitfield", "Tom", "Priya", "Sam"} {
			if strings.Contains(a.Subject+" "+a.Message, secret) {
				t.Errorf("alarm %q holds %q", a.Message, secret)
			}
		}
	}
	slices.Sort(to)
	want := []string{"line_manager " + lineManager + " email", "line_manager " + lineManager + " sms",
		"senior_dsl " + head + " email", "senior_dsl " + head + " sms"}
	if !slices.Equal(to, want) {
		t.Fatalf("alarms %v, want %v", to, want)
	}
	// A run a few minutes later does not repeat it (checked below, with the runs after the
	// check-out).
	runDeadlines(t, "2027-03-01 11:50")

	// The line manager reaches them and records the check-out: the alarm stands down.
	pinClock(t, local("2027-03-01 11:55"))
	if status, body := call(t, "POST", visit+"/checkout", token(t, lineManager), nil); status != 200 || body["status"] != "checked-out" {
		t.Fatalf("check-out: %d %v", status, body)
	}
	if safe := waitAlerts(t, 4, of(ref, "lone-worker-safe")); len(safe) != 4 {
		t.Errorf("stand-down alerts %d, want 4", len(safe))
	}
	runDeadlines(t, "2027-03-01 12:15")
	if got := waitAlerts(t, 5, of(ref, "lone-worker")); len(got) != 4 {
		t.Errorf("the alarm repeated, or went on after the check-out: %d alerts", len(got))
	}
}

func TestRule_V8_ACheckOutInTimeAlertsNobody(t *testing.T) {
	id, ref := startVisit(t, "fam-03", "2027-03-02", "11:00")
	pinClock(t, local("2027-03-02 10:58"))
	if status, body := call(t, "POST", product(t)+"/api/schools/brook-lane/visits/"+id+"/checkout", token(t, staff), nil); status != 200 {
		t.Fatalf("check-out: %d %v", status, body)
	}
	for _, at := range []string{"2027-03-02 11:30", "2027-03-02 11:45", "2027-03-02 12:00"} {
		runDeadlines(t, at)
	}
	if got := waitAlerts(t, 1, func(a alert) bool {
		return a.Attributes["reference"] == ref && strings.HasPrefix(a.Attributes["kind"], "lone-worker")
	}); len(got) != 0 {
		t.Errorf("alarms for a visit checked out in time: %v", got)
	}
}
