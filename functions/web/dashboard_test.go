package main

import (
	"net/http"
	"strings"
	"testing"
)

// The DSL dashboard: a DSL sees the concern with its pupil, category, "High priority" and
// "Unread"; once opened, it is no longer unread; a teacher gets "Page not found".
func TestDashboardForDSLs(t *testing.T) {
	h := newWorld(t).h
	resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), validForm(h, tokenFor(teacher)), monday1030)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("recording: %d", resp.StatusCode)
	}
	concern := strings.SplitN(resp.Headers["Location"], "?", 2)[0]
	page := call(t, h, "GET", "/schools/brook-lane/concerns", tokenFor(dsl), nil, monday1030)
	if page.StatusCode != http.StatusOK {
		t.Fatalf("the dashboard: %d", page.StatusCode)
	}
	for _, want := range []string{`href="` + concern + `"`, "Chidi Okafor", "Wellbeing", "High priority", "Unread", "govuk-table"} {
		if !strings.Contains(page.Body, want) {
			t.Errorf("the dashboard lacks %q", want)
		}
	}
	if !strings.Contains(page.Body, `href="/schools/brook-lane/concerns" aria-current="page"`) {
		t.Error("the menu does not mark Concerns as the current page")
	}
	call(t, h, "GET", concern, tokenFor(dsl), nil, monday1030)
	if page := call(t, h, "GET", "/schools/brook-lane/concerns", tokenFor(dsl), nil, monday1030); strings.Contains(page.Body, "Unread") {
		t.Error("a concern the DSL opened is still marked unread")
	}
	if page := call(t, h, "GET", "/schools/brook-lane/concerns", tokenFor(teacher), nil, monday1030); page.StatusCode != http.StatusNotFound {
		t.Errorf("a teacher gets %d on the dashboard", page.StatusCode)
	}
}
