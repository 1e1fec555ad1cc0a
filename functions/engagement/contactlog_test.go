package main

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

const contactRoute = "POST /api/schools/{school}/families/{id}/contacts"

// familyNumber is any demo family's number (07700 900100-133), spaced, unspaced or E.164.
var familyNumber = regexp.MustCompile(`(?:0|\+44\s?)7700\s?900\s?1[0-3]\d`)

// contact posts to the contact log and checks that the answer carries no family number (P3).
func (w *world) contact(email, family string, body any, key string) response {
	w.t.Helper()
	b, _ := json.Marshal(body)
	headers := map[string]string{}
	if key != "" {
		headers["Idempotency-Key"] = key
	}
	r := w.do(event("POST", contactRoute, email, string(b), local("2026-11-23 10:05"), map[string]string{"school": brook, "id": family}, headers))
	if familyNumber.MatchString(r.raw) {
		w.t.Errorf("rule P3: the contact log answered with a family's number: %s", r.raw)
	}
	return r
}

func answered(mut func(call map[string]any)) map[string]any {
	call := map[string]any{"spokenTo": "Adaeze Okafor, mother", "identifiedBy": "Agreed carer on the form; gave Chidi's date of birth",
		"agreedCarer": true, "isOk": "yes", "worries": "Running out of printer ink for home learning",
		"background": "Children laughing, a television", "quotes": []any{map[string]any{"speaker": "Chidi", "words": "I built a den"}},
		"actions":        []any{map[string]any{"description": "Post a pack of worksheets", "assigneeEmail": priya, "dueAt": "2026-11-25T15:00:00Z"}},
		"furtherContact": "A weekly call on Mum's mobile", "nextCallAt": "2026-11-30T10:00:00Z", "happyToBeContacted": true}
	if mut != nil {
		mut(call)
	}
	return map[string]any{"at": "2026-11-23T10:00:00Z", "method": "phone-call", "outcome": "established", "call": call}
}

func TestRule_H3_AnAnsweredCallByDesignatedStaffIsRecordedWithItsActionsAndNextCallDue(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// Tom is designated for closure contact at Brook Lane in the demo; Priya is not.
	if r := w.contact(priya, "fam-01", answered(nil), ""); r.status != 404 {
		t.Errorf("staff not designated: %d %v", r.status, r.body)
	}
	r := w.contact(tom, "fam-01", answered(nil), "call-1")
	if r.status != 200 || r.body["callDueAt"] != "2026-11-30T10:00:00Z" || r.body["contactDeclinedAt"] != nil {
		t.Fatalf("record: %d %v", r.status, r.body)
	}
	if again := w.contact(tom, "fam-01", answered(nil), "call-1"); again.status != 200 {
		t.Errorf("a repeated request: %d %v", again.status, again.body)
	}
	// The contact entry in the child's chronology holds the record of rule H3.
	_, _, entries, err := w.st.ChronologyFor(ctx, dsl, seed.BrookLane, "bl-01")
	if err != nil {
		t.Fatal(err)
	}
	var contacts []safeguarding.ChronologyEntry
	for _, e := range entries {
		if e.Type == safeguarding.EntryContact {
			contacts = append(contacts, e)
		}
	}
	if len(contacts) != 1 {
		t.Fatalf("%d contact entries, want 1 (the repeat is the same request)", len(contacts))
	}
	for _, s := range []string{"Adaeze Okafor, mother", "date of birth", "Are they ok: yes", "printer ink", "Children laughing",
		"Chidi said: \"I built a den\"", "Post a pack of worksheets", "weekly call", "Next call: Mon 30 Nov 2026 10:00", "still happy"} {
		if !strings.Contains(contacts[0].Summary, s) {
			t.Errorf("the entry does not say %q: %s", s, contacts[0].Summary)
		}
	}
	// The agreed action and the next call are on the deadline engine's due index.
	due, err := w.st.DueItems(ctx, seed.BrookLane, local("2026-11-23 00:00"), local("2026-12-01 12:00"))
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, d := range due {
		kinds = append(kinds, d.Kind+":"+d.Assignee)
	}
	slices.Sort(kinds)
	if !slices.Equal(kinds, []string{safeguarding.DueFamilyAction + ":" + priya, "phone-call:" + tom}) {
		t.Errorf("due items %v", kinds)
	}
}

func TestRule_H3_EveryFieldOfTheCallRecordIsChecked(t *testing.T) {
	w := newWorld(t)
	for _, c := range []struct {
		mut   func(map[string]any)
		field string
	}{
		{func(c map[string]any) { c["spokenTo"] = "" }, "call.spokenTo"},
		{func(c map[string]any) { delete(c, "identifiedBy") }, "call.identifiedBy"},
		{func(c map[string]any) { c["agreedCarer"] = false }, "call.agreedCarer"},
		{func(c map[string]any) { c["isOk"] = "fine" }, "call.isOk"},
		{func(c map[string]any) { c["worries"] = " " }, "call.worries"},
		{func(c map[string]any) { delete(c, "background") }, "call.background"},
		{func(c map[string]any) { c["quotes"] = []any{map[string]any{"words": "hi"}} }, "call.quotes[0].speaker"},
		{func(c map[string]any) {
			c["actions"] = []any{map[string]any{"description": "x", "assigneeEmail": "someone@elsewhere.example.org", "dueAt": "2026-11-25T15:00:00Z"}}
		}, "call.actions[0].assigneeEmail"},
		{func(c map[string]any) {
			c["actions"] = []any{map[string]any{"description": "x", "assigneeEmail": priya, "dueAt": "next week"}}
		}, "call.actions[0].dueAt"},
		{func(c map[string]any) { c["furtherContact"] = "" }, "call.furtherContact"},
		{func(c map[string]any) { delete(c, "nextCallAt") }, "call.nextCallAt"},
		{func(c map[string]any) { c["nextCallAt"] = "tomorrow" }, "call.nextCallAt"},
		{func(c map[string]any) { delete(c, "happyToBeContacted") }, "call.happyToBeContacted"},
	} {
		r := w.contact(dsl, "fam-01", answered(c.mut), "")
		if r.status != 400 || r.contentType != "application/problem+json" || !strings.Contains(r.raw, `"field":"`+c.field+`"`) {
			t.Errorf("%s: %d %s", c.field, r.status, r.raw)
		}
	}
	// Nothing was written by any of them.
	_, _, entries, err := w.st.ChronologyFor(context.Background(), dsl, seed.BrookLane, "bl-01")
	if err != nil || len(entries) != 0 {
		t.Errorf("entries after refused input: %d %v", len(entries), err)
	}
	if r := w.contact(dsl, "fam-01", map[string]any{"at": "2026-11-23T10:00:00Z", "method": "phone-call", "outcome": "established"}, ""); r.status != 400 ||
		!strings.Contains(r.raw, `"field":"call"`) {
		t.Errorf("an answered call without its record: %d %s", r.status, r.raw)
	}
}

func TestRule_H2_NoAnswerMessagesAndRefusalsAreRecordedAndARefusalIsShown(t *testing.T) {
	w := newWorld(t)
	for _, outcome := range []string{"no-answer", "message-left", "refused"} {
		r := w.contact(tom, "fam-03", map[string]any{"at": "2026-11-23T10:00:00Z", "method": "phone-call", "outcome": outcome}, "")
		if r.status != 200 {
			t.Fatalf("%s: %d %v", outcome, r.status, r.body)
		}
		if declined := r.body["contactDeclinedAt"] != nil; declined != (outcome == "refused") {
			t.Errorf("%s: contactDeclinedAt %v", outcome, r.body["contactDeclinedAt"])
		}
	}
	_, _, entries, err := w.st.ChronologyFor(context.Background(), dsl, seed.BrookLane, "bl-04")
	if err != nil {
		t.Fatal(err)
	}
	var says []string
	for _, e := range entries {
		if e.Type == safeguarding.EntryContact {
			says = append(says, e.Summary)
		}
	}
	if len(says) != 3 || !strings.Contains(strings.Join(says, "|"), "refused contact") {
		t.Errorf("entries %v", says)
	}
	// A family no longer happy to be contacted on an answered call: recorded, no next call.
	r := w.contact(dsl, "fam-01", answered(func(c map[string]any) { c["happyToBeContacted"] = false; delete(c, "nextCallAt") }), "")
	if r.status != 200 || r.body["contactDeclinedAt"] != "2026-11-23T10:00:00Z" || r.body["callDueAt"] != nil {
		t.Errorf("not happy: %d %v", r.status, r.body)
	}
}
