package e2e

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// Contact during a closure through the local stack (P3, H1-H3, D8): the contacts and
// engagement functions as their real bootstraps behind the gateway, DynamoDB Local, the
// deadline schedule and SNS. The Patel family (fam-11) has two children at Brook Lane.
func TestRule_P3_H1_H2_H3_ContactDuringAClosureThroughTheLocalStack(t *testing.T) {
	base := product(t) + "/api/schools/brook-lane"
	tom := token(t, teacher) // designated for closure contact in the demo
	priya := token(t, staff)
	daniel := token(t, dsl)
	grace := token(t, seed.Email("Grace", "Bennett")) // the office
	martin := token(t, seed.Email("Martin", "Doyle")) // the governor
	var pupils []string
	for _, p := range seed.Demo().Pupils {
		if p.FamilyID == "fam-11" {
			pupils = append(pupils, string(p.ID))
		}
	}
	pinClock(t, local("2026-11-23 08:00"))

	// P3: designated staff see the numbers; nobody else does.
	details := base + "/families/fam-11/contact-details"
	status, body := call(t, "GET", details, tom, nil)
	if status != 200 || len(body["phones"].([]any)) != 2 || !strings.Contains(body["reminder"].(string), "141") {
		t.Fatalf("designated: %d %v", status, body)
	}
	for who, tok := range map[string]string{"staff": priya, "office": grace, "governor": martin} {
		if status, _ := call(t, "GET", details, tok, nil); status != 403 {
			t.Errorf("%s: %d, want 403", who, status)
		}
	}
	if status, _ := call(t, "GET", details, "", nil); status != 401 {
		t.Errorf("no token: %d", status)
	}

	// H1: the office's report names the family short of numbers, without one; fixing it empties it.
	status, body = call(t, "GET", base+"/contact-details/report", grace, nil)
	if status != 200 || len(body["families"].([]any)) != 1 || body["families"].([]any)[0].(map[string]any)["id"] != "fam-05" {
		t.Fatalf("report: %d %v", status, body)
	}
	// The office may change the details but not see them (P3): it may not replace them all
	// (PUT), and confirms both numbers by their labels instead (PATCH), keeping everything else.
	replace := map[string]any{"version": 1, "reason": "Both numbers confirmed by phone", "phones": []any{
		map[string]any{"label": "Kelly Fletcher, mobile", "number": "07700 900108", "confirmedAt": "2026-11-23T07:50:00Z"}},
		"address": map[string]any{"lines": []any{"19 Elm Terrace"}, "postcode": "ZZ2 5AE"}}
	if status, body := call(t, "PUT", base+"/families/fam-05/contact-details", grace, replace); status != 403 {
		t.Errorf("the office replaces what it cannot see: %d %v", status, body)
	}
	fix := map[string]any{"version": 1, "reason": "Both numbers confirmed by phone", "confirm": []any{"Kelly Fletcher, mobile", "Dean Fletcher, mobile"}}
	status, body = call(t, "PATCH", base+"/families/fam-05/contact-details", grace, fix, "Idempotency-Key", "fix-fam-05")
	if status != 200 || body["version"] != float64(2) || body["numbers"] != float64(2) || body["hasAddress"] != true ||
		body["changes"].(map[string]any)["summary"] != "confirms 2 numbers, keeps the address" {
		t.Fatalf("fix: %d %v", status, body)
	}
	if status, body := call(t, "GET", base+"/contact-details/report", grace, nil); status != 200 || len(body["families"].([]any)) != 0 {
		t.Errorf("report after the fix: %d %v", status, body)
	}

	// H2, H3: an unanswered attempt, then an answered call with an action and the next call.
	contacts := base + "/families/fam-11/contacts"
	if status, body := call(t, "POST", contacts, tom, map[string]any{"at": "2026-11-23T07:30:00Z", "method": "phone-call", "outcome": "no-answer"}); status != 200 {
		t.Fatalf("no answer: %d %v", status, body)
	}
	answered := map[string]any{"at": "2026-11-23T07:55:00Z", "method": "phone-call", "outcome": "established", "call": map[string]any{
		"spokenTo": "Hema Patel, mother", "identifiedBy": "Agreed carer; confirmed Arjun's date of birth", "agreedCarer": true,
		"isOk": "not-sure", "worries": "Struggling to get food in", "background": "A baby crying, children talking",
		"quotes":         []any{map[string]any{"speaker": "Hema Patel", "words": "We are managing, just about"}},
		"actions":        []any{map[string]any{"description": "Send the food bank voucher", "assigneeEmail": staff, "dueAt": "2026-11-23T09:00:00Z"}},
		"furtherContact": "Call twice a week on Mum's mobile", "nextCallAt": "2026-11-26T10:00:00Z", "happyToBeContacted": true}}
	status, body = call(t, "POST", contacts, tom, answered, "Idempotency-Key", "call-fam-11")
	if status != 200 || body["callDueAt"] != "2026-11-26T10:00:00Z" {
		t.Fatalf("answered call: %d %v", status, body)
	}
	if status, _ := call(t, "POST", contacts, priya, answered); status != 404 {
		t.Errorf("staff not designated record a call: %d", status)
	}
	for _, p := range pupils {
		status, body := call(t, "GET", base+"/pupils/"+p+"/chronology", daniel, nil)
		if status != 200 {
			t.Fatalf("chronology of %s: %d %v", p, status, body)
		}
		var says []string
		for _, e := range body["entries"].([]any) {
			if e := e.(map[string]any); e["type"] == "contact" {
				says = append(says, e["summary"].(string))
			}
		}
		if len(says) != 2 || !slices.ContainsFunc(says, func(s string) bool { return strings.Contains(s, "no answer") }) ||
			!slices.ContainsFunc(says, func(s string) bool { return strings.Contains(s, "We are managing") && strings.Contains(s, "food bank") }) {
			t.Errorf("%s: contact entries %v", p, says)
		}
	}

	// D8: the agreed action is overdue at 09:30; its assignee is told, with no details.
	pinClock(t, local("2026-11-23 09:30"))
	if status, body := call(t, "POST", product(t)+"/dev/schedules/deadlines/run", "", nil); status != 200 {
		t.Fatalf("deadlines: %d %v", status, body)
	}
	overdue := waitAlerts(t, 1, func(a alert) bool {
		return a.Attributes["reference"] == "FAM-11" && a.Attributes["kind"] == "overdue"
	})
	if len(overdue) != 1 || overdue[0].Attributes["recipient"] != staff || strings.Contains(overdue[0].Message, "food") {
		t.Errorf("overdue alerts %v", overdue)
	}
	status, body = call(t, "GET", base+"/families/fam-11/actions", priya, nil)
	if status != 200 || len(body["actions"].([]any)) != 1 {
		t.Fatalf("actions: %d %v", status, body)
	}
	id := body["actions"].([]any)[0].(map[string]any)["id"].(string)
	if status, body := call(t, "POST", base+"/families/fam-11/actions/"+id+"/complete", priya, map[string]any{"outcome": "Voucher posted"}); status != 200 || body["status"] != "completed" {
		t.Errorf("complete: %d %v", status, body)
	}

	// P3: a DSL designates Priya; she sees the numbers until the designation ends.
	designate := base + "/closure-contacts/" + url.PathEscape(staff)
	if status, body := call(t, "PUT", designate, daniel, map[string]any{"active": true, "reason": "Covers calls this week"}); status != 200 {
		t.Fatalf("designate: %d %v", status, body)
	}
	if status, _ := call(t, "GET", details, priya, nil); status != 200 {
		t.Errorf("designated staff: %d", status)
	}
	if status, _ := call(t, "PUT", designate, daniel, map[string]any{"active": false, "reason": "Back in school"}); status != 200 {
		t.Errorf("undesignate: %d", status)
	}
	if status, _ := call(t, "GET", details, priya, nil); status != 403 {
		t.Errorf("after the designation ended: %d", status)
	}
}
