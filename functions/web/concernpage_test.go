package main

import (
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// Rule P4: a view of a concern reads what its page shows in as few DynamoDB round trips as it
// can (one Query of the concern's partition, one BatchGetItem) and audits the view once, in
// the write that marks it read: a corrected concern with a file, for its author, for the first
// DSL to open it (D7: the reporter is emailed in the same write) and for a DSL again; a DSL's
// page names the staff its assignee picker offers, in one BatchGetItem more. Before, the
// author's view took 12 calls and wrote 3 audit entries, a DSL's 15 and 4.
func TestRule_P4_AConcernPageIsOneReadAndOneAuditedWrite(t *testing.T) {
	w := newWorld(t)
	h := w.h
	concern := recorded(t, h)
	at := monday1030.Add(20 * time.Minute)
	f := amendFormOf(t, h, concern, teacher, at)
	f.Set("details", "Chidi Okafor came in without a coat in the rain at 08:50.")
	f.Set("reason", "Added the time he arrived.")
	wantRedirect(t, post(t, h, concern+"/amendments", teacher, f, at.Add(time.Minute)), concern+"?done=amended")
	if status, _ := askUpload(t, h, concern, teacher, "k-1", "notes.jpg", "image/jpeg", "2048", at.Add(2*time.Minute)); status != http.StatusCreated {
		t.Fatalf("asking for an upload: %d", status)
	}
	for _, tc := range []struct {
		what, who string
		wants     []string
		emails    int
		batches   int
	}{
		{"the author", teacher, []string{`id="versions"`, "notes.jpg", "Chidi Okafor", `id="progress"`}, 0, 1},
		{"the first DSL", dsl, []string{`id="versions"`, "notes.jpg", "Chidi Okafor", `id="case-work"`, "Priya Shah (staff)"}, 1, 2},
		{"a DSL again", dsl, []string{`id="versions"`, "notes.jpg", "Chidi Okafor", `id="case-work"`}, 0, 2},
	} {
		audits, outbox := w.items("audit"), w.items("outbox")
		testSession(t, h, tokenFor(tc.who))
		w.calls.Reset()
		page := call(t, h, "GET", concern, tokenFor(tc.who), nil, at.Add(10*time.Minute))
		got := w.calls.Counts()
		wantBody(t, "the concern page for "+tc.what, page, http.StatusOK, tc.wants...)
		// The session's read (GetItem), then the page's own.
		if want := map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": tc.batches, "TransactWriteItems": 1}; !maps.Equal(got, want) {
			t.Errorf("a view of the concern by %s: %v, want %v", tc.what, got, want)
		}
		if n := w.items("audit") - audits; n != 1 {
			t.Errorf("a view of the concern by %s wrote %d audit entries, want 1", tc.what, n)
		}
		if n := w.items("outbox") - outbox; n != tc.emails {
			t.Errorf("a view of the concern by %s sent %d emails, want %d", tc.what, n, tc.emails)
		}
	}
}

// Rule P4 (and issue's "people by name"): a concern's page names each person of its record,
// never by their email: the DSL who corrected it, to its author; the DSL who uploaded a file
// and who closed the case, to a DSL. The author's own page reads no names (the concern holds
// the author's); a page that names someone else reads their names once.
func TestRule_P4_AConcernsPageNamesItsPeopleNotTheirEmails(t *testing.T) {
	w := newWorld(t)
	h := w.h
	concern := recorded(t, h)
	at := monday1030.Add(20 * time.Minute)
	f := amendFormOf(t, h, concern, dsl, at)
	f.Set("details", "Chidi Okafor came in without a coat in the rain at 08:50.")
	f.Set("reason", "Added the time from the gate's log.")
	wantRedirect(t, post(t, h, concern+"/amendments", dsl, f, at.Add(time.Minute)), concern+"?done=amended")
	if status, _ := askUpload(t, h, concern, dsl, "k-1", "notes.jpg", "image/jpeg", "2048", at.Add(2*time.Minute)); status != http.StatusCreated {
		t.Fatalf("asking for an upload: %d", status)
	}
	wantRedirect(t, post(t, h, concern+"/case", dsl, url.Values{"key": {"k-close"}, "change": {"close"}, "reason": {"Coat found."}}, at.Add(3*time.Minute)),
		concern+"?done=case-close")

	// The correction form says who made the version it corrects, by name.
	testSession(t, h, tokenFor(teacher))
	form := call(t, h, "GET", concern+"/amend", tokenFor(teacher), nil, at.Add(5*time.Minute))
	wantBody(t, "the correction form", form, http.StatusOK, "Daniel Reyes")
	if m := byEmail.FindString(form.Body); m != "" {
		t.Errorf("the correction form shows a person by their email: %s", m)
	}
	for _, who := range []string{teacher, dsl} {
		testSession(t, h, tokenFor(who))
		w.calls.Reset()
		page := call(t, h, "GET", concern, tokenFor(who), nil, at.Add(10*time.Minute))
		wantBody(t, "the concern page for "+who, page, http.StatusOK, "Daniel Reyes", "Tom Hughes")
		if m := byEmail.FindString(page.Body); m != "" {
			t.Errorf("the concern page for %s shows a person by their email: %s", who, m)
		}
		if who == dsl && !strings.Contains(page.Body, `Uploaded`) {
			t.Errorf("the DSL's page lists no upload")
		}
		// The session's read, the page's one read of the concern and one of the names.
		if got := w.calls.Counts()["BatchGetItem"]; got != 2 {
			t.Errorf("the concern page for %s: %d BatchGetItem, want 2 (the record, the names)", who, got)
		}
	}
}

// byEmail finds a record's "by" naming someone by an email address.
var byEmail = regexp.MustCompile(`[Bb]y <span class="app-break">[^<]*@[^<]*</span>`)
