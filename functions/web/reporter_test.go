package main

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
)

// alerts lists the recipients of the outbox's alerts of one kind. A test may Scan; the
// product never does.
func (w *world) alerts(kind string) []string {
	w.t.Helper()
	var out []string
	for _, it := range apitest.Items(w.t, w.db, w.table) {
		if apitest.Attr(it, "type") == "outbox" && apitest.Attr(it, "kind") == kind && apitest.Attr(it, "recipient") != "" {
			out = append(out, apitest.Attr(it, "recipient"))
		}
	}
	slices.Sort(out)
	return out
}

// Rule D7: the reporter sees that a DSL opened the concern and that action was taken, never
// what the action was, and can ask for an update, which emails the DSLs once a day.
func TestRule_D7_ReporterSeesStatusOnlyAndAsksForAnUpdate(t *testing.T) {
	w := newWorld(t)
	h := w.h
	concern := recorded(t, h)
	at := monday1030.Add(10 * time.Minute)

	page := call(t, h, "GET", concern, tokenFor(teacher), nil, at)
	wantBody(t, "the reporter's page before anyone opened it", page, http.StatusOK,
		`id="progress"`, "What has happened since", "Ask for an update", `action="`+concern+`/update-requests"`)
	for _, id := range []string{"progress-opened", "progress-action"} {
		if !strings.Contains(section(page.Body, `id="`+id+`"`), "Not yet") {
			t.Errorf("%s does not say \"Not yet\" before the DSL opened it", id)
		}
	}

	// The DSL opens it (D7's first step) and sees case work, not the reporter's status.
	dslPage := call(t, h, "GET", concern, tokenFor(dsl), nil, at.Add(5*time.Minute))
	wantBody(t, "the DSL's page", dslPage, http.StatusOK, `id="case-work"`)
	if strings.Contains(dslPage.Body, `id="progress"`) {
		t.Error("a DSL is shown the reporter's status")
	}
	page = call(t, h, "GET", concern, tokenFor(teacher), nil, at.Add(6*time.Minute))
	if got := section(page.Body, `id="progress-opened"`); !strings.Contains(got, "Yes") || !strings.Contains(got, "1 June 2026 at 10:45") {
		t.Errorf("after the DSL opened it, the reporter sees %q", got)
	}
	if !strings.Contains(section(page.Body, `id="progress-action"`), "Not yet") {
		t.Error("action taken before any action")
	}

	// An action: the reporter sees that, not what it is, whom it is for, or its notes.
	addMonitoring(t, h, concern, at.Add(20*time.Minute))
	page = call(t, h, "GET", concern, tokenFor(teacher), nil, at.Add(30*time.Minute))
	if got := section(page.Body, `id="progress-action"`); !strings.Contains(got, "Yes") || !strings.Contains(got, "1 June 2026 at 11:00") {
		t.Errorf("after an action, the reporter sees %q", got)
	}
	for _, secret := range []string{"Check Chidi has a coat", "Monitoring", staff, "case-work", "Add an action"} {
		if strings.Contains(page.Body, secret) {
			t.Errorf("the reporter's page shows %q of the DSL's work", secret)
		}
	}

	// Ask for an update: the DSLs who may see it are emailed, once a day however often asked.
	before := w.alerts("update-requested")
	for i := range 2 {
		resp := post(t, h, concern+"/update-requests", teacher, nil, at.Add(time.Duration(40+i)*time.Minute))
		done := wantRedirect(t, resp, concern+"?done=update-requested")
		done, _, _ = strings.Cut(done, "#")
		page = call(t, h, "GET", done, tokenFor(teacher), nil, at.Add(45*time.Minute))
		wantBody(t, "the page after asking", page, http.StatusOK, "have been asked for an update")
	}
	asked := w.alerts("update-requested")
	if len(before) != 0 || !slices.Contains(asked, dsl) || !slices.Contains(asked, head) || slices.Contains(asked, teacher) {
		t.Errorf("asking for an update alerted %v (before: %v), want the DSLs", asked, before)
	}
	if n := len(asked); n != len(slices.Compact(slices.Clone(asked))) {
		t.Errorf("asking twice the same day alerted someone twice: %v", asked)
	}
}

// Only the reporter may ask for an update; anyone else gets "Page not found", and the form
// needs the session's token.
func TestRule_D7_OnlyTheReporterAsksForAnUpdate(t *testing.T) {
	w := newWorld(t)
	h := w.h
	concern := recorded(t, h)
	at := monday1030.Add(10 * time.Minute)
	for _, who := range []string{dsl, staff, outsider} {
		if resp := post(t, h, concern+"/update-requests", who, nil, at); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s asking for an update: %d, want 404", who, resp.StatusCode)
		}
	}
	if resp := call(t, h, "POST", concern+"/update-requests", tokenFor(teacher), nil, at, "Sec-Fetch-Site", "same-origin"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a post without the form token: %d, want 403", resp.StatusCode)
	}
	if got := w.alerts("update-requested"); len(got) != 0 {
		t.Errorf("refused requests alerted %v", got)
	}
	// Another member of staff who may not see the concern sees no status either.
	if page := call(t, h, "GET", concern, tokenFor(staff), nil, at); page.StatusCode != http.StatusNotFound {
		t.Errorf("another member of staff opening the concern: %d", page.StatusCode)
	}
}

// section is the markup from the element that has attr to the end of its line.
func section(body, attr string) string {
	i := strings.Index(body, attr)
	if i < 0 {
		return ""
	}
	rest := body[i:]
	if j := strings.Index(rest, "\n"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}
