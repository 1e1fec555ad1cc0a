package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rule H2 through the API: a contact recorded more than 24 hours after it happened is accepted
// and marked late, by how many minutes, in the answer (the same on a replay) and in each
// child's chronology entry; one on time is not; one dated in the future is refused, naming at.
func TestRule_H2_AContactRecordedMoreThan24HoursAfterIsMarkedLate(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Recorded at 10:05 on 23 November (see contact): 24 hours and 125 minutes after 08:00 on the 22nd.
	late := map[string]any{"at": "2026-11-22T08:00:00Z", "method": "phone-call", "outcome": "no-answer"}
	r := w.contact(tom, "fam-03", late, "late-1")
	if r.status != 200 || r.body["late"] != true || r.body["minutesLate"] != float64(125) || r.body["id"] != "fam-03" {
		t.Fatalf("a late contact: %d %v", r.status, r.body)
	}
	// Replayed two hours later, the answer is the first one's lateness, not recomputed.
	b, _ := json.Marshal(late)
	again := w.do(event("POST", contactRoute, tom, string(b), local("2026-11-23 12:05"), map[string]string{"school": brook, "id": "fam-03"},
		map[string]string{"Idempotency-Key": "late-1"}))
	if again.status != 200 || again.body["late"] != true || again.body["minutesLate"] != float64(125) {
		t.Errorf("the replay: %d %v", again.status, again.body)
	}
	onTime := w.contact(tom, "fam-03", map[string]any{"at": "2026-11-22T10:05:00Z", "method": "message", "outcome": "message-left"}, "")
	if onTime.status != 200 || onTime.body["late"] != false || onTime.body["minutesLate"] != float64(0) {
		t.Errorf("a contact recorded at 24 hours: %d %v", onTime.status, onTime.body)
	}

	_, _, entries, err := w.st.ChronologyFor(ctx, dsl, seed.BrookLane, "bl-04")
	if err != nil {
		t.Fatal(err)
	}
	var lates, timely int
	for _, e := range entries {
		if e.Type != safeguarding.EntryContact {
			continue
		}
		switch {
		case e.Late && strings.Contains(e.Summary, "Recorded 125 minutes after the 24 hours allowed"):
			lates++
		case !e.Late && !strings.Contains(e.Summary, "rule H2"):
			timely++
		default:
			t.Errorf("a contact entry late %v: %q", e.Late, e.Summary)
		}
	}
	if lates != 1 || timely != 1 {
		t.Errorf("contact entries: %d late, %d on time; want 1 and 1", lates, timely)
	}

	// Dated more than five minutes ahead of the request: refused, naming at, nothing written.
	before := w.writes()
	future := w.contact(tom, "fam-03", map[string]any{"at": "2026-11-23T10:11:00Z", "method": "phone-call", "outcome": "no-answer"}, "")
	isProblem(t, "a contact in the future", future, 400)
	if !namesField(future, "at") {
		t.Errorf("a contact in the future: the problem does not name at: %s", future.raw)
	}
	if w.writes() != before {
		t.Error("a contact in the future wrote something")
	}
}
