package main

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// governorSeed records two concerns at Brook Lane by Tom: one about Chidi Okafor alone, one
// about a member of staff (Priya Shah), which rule C5 routes to the governor. It returns the
// two concerns' addresses and references.
func governorSeed(t *testing.T, w *world) (plainLink, plainRef, routedLink, routedRef string) {
	t.Helper()
	record := func(in concerns.NewConcern, at time.Time) (string, string) {
		r, err := w.h.Concerns.Record(context.Background(), safeguarding.Caller{Email: teacher, At: at}, safeguarding.SchoolID(school), in,
			safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
		return concernPath(safeguarding.SchoolID(school), safeguarding.ConcernID(r.ID)), r.Reference
	}
	plainLink, plainRef = record(concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"bl-01"}, Category: "safeguarding",
		ObservedAt: monday1030.Add(-time.Hour), Details: "Chidi said he was hungry."}, monday1030)
	routedLink, routedRef = record(concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"bl-02"}, Category: "safeguarding",
		ObservedAt: monday1030.Add(-time.Hour), Details: "A member of staff shouted at Alfie.", AboutStaff: true, SubjectStaffEmail: staff},
		monday1030.Add(time.Minute))
	return
}

var navLinks = regexp.MustCompile(`<a class="govuk-service-navigation__link" href="([^"]+)"`)

// Rule P2 (and C5): a governor's home lists the concerns routed to them and links to the
// governors' report, and nothing else of the records: the other concern, the dashboard, the
// review and the work lists are "Page not found" for them; every link of their menu and home
// opens (the report's page is the reports' own).
func TestRule_P2_AGovernorSeesTheConcernsRoutedToThemAndNothingElse(t *testing.T) {
	w := newWorld(t)
	plainLink, plainRef, routedLink, routedRef := governorSeed(t, w)
	governor := apitest.Martin
	page := call(t, w.h, "GET", "/schools/"+school+"/governors", tokenFor(governor), nil, monday1030.Add(time.Hour))
	wantBody(t, "the governors' home", page, http.StatusOK, routedRef, `href="`+routedLink+`"`, "The governors' report for this term",
		`href="/schools/brook-lane/reports/governors"`)
	if strings.Contains(page.Body, plainRef) {
		t.Errorf("the governor's home lists a concern not routed to them")
	}
	if resp := call(t, w.h, "GET", routedLink, tokenFor(governor), nil, monday1030.Add(time.Hour)); resp.StatusCode != http.StatusOK {
		t.Errorf("the routed concern: %d", resp.StatusCode)
	}
	for _, p := range []string{plainLink, "/schools/brook-lane/concerns", "/schools/brook-lane/review",
		"/schools/brook-lane/attendance", "/schools/brook-lane/retention", "/schools/brook-lane/pupils"} {
		if resp := call(t, w.h, "GET", p, tokenFor(governor), nil, monday1030.Add(time.Hour)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d, want Page not found", p, resp.StatusCode)
		}
	}
	home := call(t, w.h, "GET", "/", tokenFor(governor), nil, monday1030.Add(time.Hour))
	links := map[string]bool{}
	for _, m := range navLinks.FindAllStringSubmatch(page.Body+home.Body, -1) {
		links[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`<a class="govuk-link" href="(/[^"]*)"`).FindAllStringSubmatch(home.Body, -1) {
		links[m[1]] = true
	}
	if !links["/schools/brook-lane/governors"] || !links["/schools/brook-lane/reports/governors"] || links["/schools/brook-lane/work"] ||
		links["/schools/brook-lane/visits"] {
		t.Errorf("the governor's links: %v", links)
	}
	for l := range links {
		if l == "/schools/brook-lane/reports/governors" {
			continue // the governors' report is its own page, served by the reports
		}
		if resp := call(t, w.h, "GET", l, tokenFor(governor), nil, monday1030.Add(time.Hour)); resp.StatusCode != http.StatusOK {
			t.Errorf("the governor's link %s: %d", l, resp.StatusCode)
		}
	}
	// Someone who is not a governor there has no governors' home.
	if resp := call(t, w.h, "GET", "/schools/"+school+"/governors", tokenFor(dsl), nil, monday1030); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a DSL: %d", resp.StatusCode)
	}
}
