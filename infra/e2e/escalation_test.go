package e2e

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// Families who go quiet (E1-E6) through the local stack: the engagement API, the local clock,
// /dev/schedules/escalation/run (schedule -> local SQS -> one school per message) and
// /dev/alerts. The Ali family (fam-13) has three children at Hillcrest in three classes.
func TestRule_E0_E1_E6_FamiliesWhoGoQuietThroughTheLocalStack(t *testing.T) {
	base := product(t) + "/api/schools/hillcrest"
	owen := token(t, seed.Email("Owen", "Price")) // teaches Kestrels (Ilhan) and Falcons (Amina)
	chloe := token(t, seed.Email("Chloe", "Adams"))
	robert := token(t, seed.Email("Robert", "King")) // the Senior DSL
	ref := "FAM-13"

	// E0: Robert, the Senior DSL, starts a full closure from Monday 11 January; a second
	// open one is refused.
	pinClock(t, local("2027-01-08 08:00"))
	status, started := call(t, "POST", base+"/closures", robert, map[string]any{"from": "2027-01-11"})
	if status != http.StatusCreated || started["from"] != "2027-01-11" {
		t.Fatalf("start the closure: %d %v", status, started)
	}
	if status, body := call(t, "POST", base+"/closures", robert, map[string]any{"from": "2027-01-12"}); status != http.StatusConflict {
		t.Errorf("a second open closure: %d %v", status, body)
	}

	// E1: Owen marks his class; one child's acknowledgement is the family's. A retry with the
	// same key is the same answer; a family with no child in his classes (Ngozi Okafor) is refused.
	pinClock(t, local("2027-01-08 15:30"))
	ack := map[string]any{"acknowledgements": []map[string]string{{"pupilId": "hc-11", "at": "2027-01-08T15:00:00Z", "kind": "thumbs-up"}}}
	for range 2 {
		if status, body := call(t, "POST", base+"/engagement", owen, ack, "Idempotency-Key", "ack-0108"); status != 200 {
			t.Fatalf("acknowledge: %d %v", status, body)
		}
	}
	other := map[string]any{"acknowledgements": []map[string]string{{"pupilId": "hc-01", "at": "2027-01-08T15:00:00Z", "kind": "message"}}}
	if status, _ := call(t, "POST", base+"/engagement", owen, other); status != http.StatusForbidden {
		t.Errorf("a teacher acknowledged for another class: %d", status)
	}

	// E0: the office imports a new pupil with a new family on Thursday 14 January, the
	// closure's 4th school day: the family counts its silence from that day.
	pinClock(t, local("2027-01-14 10:00"))
	fatima := token(t, seed.Email("Fatima", "Begum"))
	csv := "UPN,Surname,Forename,RegGroup,Contact 1 Forename,Contact 1 Surname,Contact 1 Mobile\nE2E000000001,Newman,Ada,Kestrels,Ann,Newman,07700 900999\n"
	imp, err := send("POST", base+"/imports", strings.NewReader(csv), "Authorization", "Bearer "+fatima, "Content-Type", "text/csv")
	var queued map[string]any
	if err != nil || imp.status != http.StatusAccepted || json.Unmarshal(imp.body, &queued) != nil {
		t.Fatalf("import: %d %v %s", imp.status, err, imp.body)
	}
	for i := 0; ; i++ {
		_, done := call(t, "GET", base+"/imports/"+queued["id"].(string), fatima, nil)
		if done["status"] == "done" && done["applied"] == true {
			break
		}
		if done["status"] == "failed" || done["status"] == "done" || i == 100 {
			t.Fatalf("the import: %v", done)
		}
		call(t, "POST", product(t)+"/dev/settle", "", nil)
	}
	_, found := call(t, "GET", base+"/pupils?q=Newman", chloe, nil)
	pupils, _ := found["pupils"].([]any)
	if len(pupils) != 1 {
		t.Fatalf("the new pupil: %v", found)
	}
	newFamily, _ := pupils[0].(map[string]any)["familyId"].(string)
	if newFamily == "" {
		t.Fatalf("the new pupil has no family: %v", pupils[0])
	}

	run := func(at string) map[string]any {
		t.Helper()
		pinClock(t, local(at))
		status, body := call(t, "POST", product(t)+"/dev/schedules/escalation/run", "", nil)
		if status != 200 {
			t.Fatalf("run at %s: %d %v", at, status, body)
		}
		return body
	}
	missingFamily := func(id string) map[string]any {
		t.Helper()
		status, body := call(t, "GET", base+"/families?status=missing", chloe, nil)
		if status != 200 {
			t.Fatalf("families: %d %v", status, body)
		}
		for _, f := range body["families"].([]any) {
			if f := f.(map[string]any); f["id"] == id {
				return f
			}
		}
		return nil
	}
	missing := func() map[string]any { t.Helper(); return missingFamily("fam-13") }
	kind := func(k string) func(alert) bool {
		return func(a alert) bool { return a.Attributes["reference"] == ref && a.Attributes["kind"] == k }
	}

	// E2: five silent school days (Mon 11 - Fri 15 Jan) is not missing; six is.
	if r := run("2027-01-18 05:30"); r["schoolDay"] != true || r["enqueued"] != float64(2) {
		t.Fatalf("summary %v", r)
	}
	if f := missing(); f != nil {
		t.Fatalf("missing after five days: %v", f)
	}
	// E0: the Ahmeds (fam-01) were never heard from: not missing on the closure's 6th school day...
	if f := missingFamily("fam-01"); f != nil {
		t.Fatalf("a family never heard from, missing on the closure's 6th school day: %v", f)
	}
	run("2027-01-19 05:30")
	// ... missing on its 7th: six silent school days counted from its first.
	if f := missingFamily("fam-01"); f == nil || f["schoolDaysSilent"] != float64(6) {
		t.Errorf("a family never heard from, on the closure's 7th school day: %v", f)
	}
	f := missing()
	if f == nil || f["schoolDaysSilent"] != float64(6) || f["missingSince"] != "2027-01-19T05:30:00Z" || f["nextDue"] != "phone-call" {
		t.Fatalf("after six days: %v", f)
	}
	got := waitAlerts(t, 2, kind("missing"))
	var to []string
	for _, a := range got {
		to = append(to, a.Attributes["recipient"]+" "+a.Attributes["audience"])
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{seed.Email("Chloe", "Adams") + " dsl", seed.Email("Sam", "Ellis") + " dsl"}) {
		t.Errorf("missing alerts to %v", to)
	}
	// Rerunning the same day changes nothing.
	run("2027-01-19 05:45")
	if again := missing(); again["version"] != f["version"] {
		t.Errorf("a rerun changed the family: %v", again)
	}
	// A missing entry in each child's chronology.
	for _, p := range []string{"hc-09", "hc-10", "hc-11"} {
		_, body := call(t, "GET", base+"/pupils/"+p+"/chronology", chloe, nil)
		if !hasEntry(body, "missing") {
			t.Errorf("%s: no missing entry in %v", p, body)
		}
	}
	// E3: the call is on the deadline engine's ladder; undone the next morning, it is overdue.
	pinClock(t, local("2027-01-20 06:00"))
	if status, body := call(t, "POST", product(t)+"/dev/schedules/deadlines/run", "", nil); status != 200 {
		t.Fatalf("deadlines: %d %v", status, body)
	}
	// Nobody took it: it is the DSLs' as a group, so each of them is told.
	got = waitAlerts(t, 2, kind("overdue"))
	to = nil
	for _, a := range got {
		to = append(to, a.Attributes["recipient"])
	}
	slices.Sort(to)
	if !slices.Equal(to, []string{seed.Email("Chloe", "Adams"), seed.Email("Sam", "Ellis")}) {
		t.Errorf("overdue call alerts %v", got)
	}
	// E3: the call is in each DSL's work until Leah, designated for closure contact, takes it.
	calls := func(tok string) []any {
		t.Helper()
		status, body := call(t, "GET", base+"/calls", tok, nil)
		if status != 200 {
			t.Fatalf("calls: %d %v", status, body)
		}
		return body["calls"].([]any)
	}
	hasCall := func(list []any, owner string) bool {
		return slices.ContainsFunc(list, func(c any) bool {
			m := c.(map[string]any)
			o, _ := m["owner"].(string)
			return m["familyId"] == "fam-13" && o == owner
		})
	}
	leah := token(t, seed.Email("Leah", "Morgan"))
	if !hasCall(calls(chloe), "") || hasCall(calls(leah), "") {
		t.Errorf("before anyone took it: Chloe's calls %v, Leah's %v", calls(chloe), calls(leah))
	}
	if status, body := call(t, "POST", base+"/families/fam-13/call/take", leah, nil); status != 200 || body["callOwner"] != seed.Email("Leah", "Morgan") {
		t.Fatalf("Leah takes the call: %d %v", status, body)
	}
	if !hasCall(calls(leah), seed.Email("Leah", "Morgan")) || hasCall(calls(chloe), "") {
		t.Errorf("after Leah took it: her calls %v, Chloe's %v", calls(leah), calls(chloe))
	}
	// E0: the family added on Thursday 14th is 5 school days silent on Thursday 21st (not
	// missing), 6 on Friday 22nd (missing), never counted from before it was added.
	run("2027-01-21 05:30")
	if f := missingFamily(newFamily); f != nil {
		t.Errorf("the family added during the closure, missing after five school days: %v", f)
	}
	run("2027-01-22 05:30")
	if f := missingFamily(newFamily); f == nil || f["schoolDaysSilent"] != float64(6) {
		t.Errorf("the family added during the closure, after six school days: %v", f)
	}
	// Nothing on a Saturday.
	if r := run("2027-01-23 05:30"); r["schoolDay"] != false || r["enqueued"] != nil {
		t.Errorf("Saturday: %v", r)
	}
	// E5: 19 silent school days (to Thu 4 Feb) is not the LA; a missed Friday is caught up on
	// Monday with 20.
	run("2027-02-04 05:30")
	if got := waitAlerts(t, 1, kind("la-notification")); len(got) != 0 {
		t.Fatalf("the LA at 19 days: %v", got)
	}
	run("2027-02-08 05:30")
	if got := waitAlerts(t, 1, kind("la-notification")); len(got) != 1 || got[0].Attributes["audience"] != "senior_dsl" ||
		got[0].Attributes["recipient"] != seed.Email("Robert", "King") {
		t.Fatalf("LA alerts %v", got)
	}
	if f := missing(); f["laBrief"] == nil || f["nextDue"] != "phone-call" && f["nextDue"] != "la-notification" {
		t.Errorf("what to send the LA: %v", f)
	}
	pinClock(t, local("2027-02-08 11:00"))
	if status, body := call(t, "POST", base+"/families/fam-13/la-notification", robert, map[string]any{"sentAt": "2027-02-08T10:30:00Z"}); status != 200 {
		t.Fatalf("la-notification: %d %v", status, body)
	}
	// E4: the Senior DSL's decision, with its reason.
	if status, body := call(t, "POST", base+"/families/fam-13/decision", chloe, map[string]any{"decision": "contact-social-care", "reason": "x"}); status != http.StatusForbidden {
		t.Errorf("a DSL decided: %d %v", status, body)
	}
	if status, body := call(t, "POST", base+"/families/fam-13/decision", robert,
		map[string]any{"decision": "contact-social-care", "reason": "No contact in four weeks."}); status != 200 {
		t.Fatalf("decision: %d %v", status, body)
	}
	// E6: an acknowledgement ends MISSING and the chronology says when and how.
	ack = map[string]any{"acknowledgements": []map[string]string{{"familyId": "fam-13", "at": "2027-02-08T10:45:00Z", "kind": "message"}}}
	if status, body := call(t, "POST", base+"/engagement", owen, ack); status != 200 {
		t.Fatalf("acknowledge: %d %v", status, body)
	}
	if f := missing(); f != nil {
		t.Errorf("still missing: %v", f)
	}
	_, body := call(t, "GET", base+"/pupils/hc-10/chronology", chloe, nil)
	for _, typ := range []string{"la_notification", "decision", "contact_restored"} {
		if !hasEntry(body, typ) {
			t.Errorf("no %s entry in %v", typ, body)
		}
	}

	// E0: Robert ends the closure on Tuesday 9 February. Nothing is counted after it: the Alis,
	// silent since 8 February, are not missing weeks later; the Ahmeds, missing when it ended,
	// stay on the list until contact is made.
	pinClock(t, local("2027-02-09 15:00"))
	id, _ := started["id"].(string)
	if status, body := call(t, "POST", base+"/closures/"+id+"/end", robert, map[string]any{"lastDay": "2027-02-09"}); status != 200 || body["lastDay"] != "2027-02-09" {
		t.Fatalf("end the closure: %d %v", status, body)
	}
	if status, body := call(t, "GET", base+"/closures", chloe, nil); status != 200 || len(body["closures"].([]any)) != 1 {
		t.Errorf("closures: %d %v", status, body)
	}
	run("2027-03-01 05:30")
	if f := missing(); f != nil {
		t.Errorf("counted after the closure ended: %v", f)
	}
	if f := missingFamily("fam-01"); f == nil || f["status"] != "missing" {
		t.Errorf("a family missing when the closure ended left the list: %v", f)
	}
}

func hasEntry(chronology map[string]any, typ string) bool {
	entries, _ := chronology["entries"].([]any)
	return slices.ContainsFunc(entries, func(e any) bool { m, _ := e.(map[string]any); return m["type"] == typ })
}
