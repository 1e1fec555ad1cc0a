package main

import (
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
)

// Rule C1: the concern form's pupil search as one types answers any member of the school
// with the results' part of the form (no page around it): the pupils whose names match, up to
// the form's limit, less those already chosen; a search too long or not in letters is refused
// in plain words, an empty one clears the results; nobody outside the school gets an answer,
// nothing is audited (the search reads no record), and it is one read of the person and one
// Query, never a Scan.
func TestRule_C1_PupilSearchAsYouTypeAnswersWithTheFormsResults(t *testing.T) {
	w := newWorld(t)
	h := w.h
	const lookup = "/schools/brook-lane/concerns/new/pupils"
	for _, who := range []string{teacher, staff, apitest.Grace, apitest.Martin, dsl} {
		resp := post(t, h, lookup, who, url.Values{"q": {"chi"}}, monday1030)
		wantBody(t, "the search by "+who, resp, http.StatusOK, `id="pupil-results"`, `value="bl-01"`, "Chidi Okafor", "Pupils found: tick to add")
		if strings.Contains(resp.Body, "<html") || strings.Contains(resp.Body, "<form") {
			t.Errorf("the search by %s answers with a page, not the results", who)
		}
		if ct := resp.Headers["Content-Type"]; !strings.HasPrefix(ct, "text/html") || resp.Headers["Cache-Control"] != "no-store" {
			t.Errorf("the search answers %q, cache %q", ct, resp.Headers["Cache-Control"])
		}
	}
	chosen := post(t, h, lookup, teacher, url.Values{"q": {"chidi"}, "pupil": {"bl-01"}}, monday1030)
	wantBody(t, "a search for a pupil already chosen", chosen, http.StatusOK, "No pupil's name starts with", `data-count="0"`)
	if strings.Contains(chosen.Body, `value="bl-01"`) {
		t.Error("a pupil already chosen is offered again")
	}
	if resp := post(t, h, lookup, teacher, url.Values{"q": {" "}}, monday1030); resp.StatusCode != http.StatusOK || strings.TrimSpace(resp.Body) != "" {
		t.Errorf("an empty search: %d %q", resp.StatusCode, resp.Body)
	}
	wantBody(t, "a search too long", post(t, h, lookup, teacher, url.Values{"q": {strings.Repeat("a", 101)}}, monday1030),
		http.StatusBadRequest, "Type at most 100 letters", "govuk-error-message")
	wantBody(t, "a search not in letters", post(t, h, lookup, teacher, url.Values{"q": {"chi\xff"}}, monday1030),
		http.StatusBadRequest, "Type a pupil&#39;s name in letters")
	if got := post(t, h, lookup, outsider, url.Values{"q": {"chidi"}}, monday1030); got.StatusCode != http.StatusNotFound || strings.Contains(got.Body, "Okafor") {
		t.Errorf("someone of another school searched Brook Lane's pupils: %d", got.StatusCode)
	}
	// Without the session's form token, or from another site, nothing is searched.
	noToken := call(t, h, "POST", lookup, tokenFor(teacher), url.Values{"q": {"chidi"}}, monday1030, "Sec-Fetch-Site", "same-origin")
	if noToken.StatusCode != http.StatusForbidden || strings.Contains(noToken.Body, "Okafor") {
		t.Errorf("a search without the form token: %d", noToken.StatusCode)
	}
	crossSite := url.Values{"q": {"chidi"}, "csrf": {sessionFor(tokenFor(teacher)).csrf()}}
	if got := call(t, h, "POST", lookup, tokenFor(teacher), crossSite, monday1030, "Sec-Fetch-Site", "cross-site"); got.StatusCode != http.StatusForbidden {
		t.Errorf("a search from another site: %d", got.StatusCode)
	}
	// At most the form's limit of results.
	all := post(t, h, lookup, dsl, url.Values{"q": {"a"}}, monday1030)
	if n := strings.Count(all.Body, `name="pupil"`); n > searchLimit {
		t.Errorf("a search shows %d pupils, more than %d", n, searchLimit)
	}

	audits := w.items("audit")
	testSession(t, h, tokenFor(teacher))
	w.calls.Reset()
	post(t, h, lookup, teacher, url.Values{"q": {"zofia"}}, monday1030)
	// The session's read (GetItem), the person's profile, then one Query of the names.
	if got, want := w.calls.Counts(), map[string]int{"GetItem": 2, "Query": 1}; !maps.Equal(got, want) {
		t.Errorf("a search as one types: %v, want %v", got, want)
	}
	if n := w.items("audit") - audits; n != 0 {
		t.Errorf("a search wrote %d audit entries", n)
	}
}

// Rule C1: the body map's words for where a mark is, with the child's right on the viewer's
// left on the front and on the viewer's right on the back.
func TestRule_C1_BodyMapSaysTheChildsLeftAndRight(t *testing.T) {
	for _, tc := range []struct {
		side string
		x, y float64
		want string
	}{
		{"front", 0.5, 0.05, "Front, head"},
		{"front", 0.2, 0.3, "Front, the child's right arm"},
		{"front", 0.8, 0.35, "Front, the child's left arm"},
		{"back", 0.2, 0.3, "Back, the child's left arm"},
		{"back", 0.8, 0.3, "Back, the child's right arm"},
		{"front", 0.5, 0.4, "Front, body, middle"},
		{"front", 0.38, 0.4, "Front, body, the child's right side"},
		{"back", 0.38, 0.4, "Back, body, the child's left side"},
		{"back", 0.6, 0.7, "Back, the child's right leg"},
		{"front", 0.6, 0.7, "Front, the child's left leg"},
		{"front", 0.4, 0.95, "Front, the child's right foot"},
	} {
		if got := bodyPlace(tc.side, tc.x, tc.y); got != tc.want {
			t.Errorf("%s at %v, %v: %q, want %q", tc.side, tc.x, tc.y, got, tc.want)
		}
	}
	if got := (markForm{Side: "back", X: "x", Y: "0.5"}).Place(); got != "Back" {
		t.Errorf("a mark without a place: %q", got)
	}
}
