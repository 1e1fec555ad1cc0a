package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

// upnOfChidi gives Chidi Okafor (bl-01) the UPN an import of the school's MIS would have
// brought with him.
const upnOfChidi = "A123456789012"

func withRoll(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	ps, err := w.st.Pupils(ctx, seed.BrookLane, []safeguarding.PupilID{"bl-01"})
	apitest.Must(t, err)
	apitest.Must(t, w.st.ApplyImport(ctx, imports.Write{School: seed.BrookLane, Pupils: []safeguarding.Pupil{ps["bl-01"]},
		Roll: []imports.Existing{{UPN: upnOfChidi, Pupil: "bl-01", Family: ps["bl-01"].FamilyID}}}))
}

// Rule P1 (finding people by name): a DSL finds a pupil by name, by UPN or by class; each
// found pupil shows name, year group and class and leads to their chronology; no phone number
// or address (P3), no id. Only the DSLs have the page.
func TestRule_P1_ADSLFindsAPupilByNameUPNOrClass(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	withRoll(t, w)
	page := "/schools/brook-lane/pupils"
	wantBody(t, "the search", call(t, h, "GET", page, tokenFor(dsl), nil, monday1030), http.StatusOK, `id="pupil-search"`, "Name, UPN or class")
	for _, who := range []string{teacher, staff, apitest.Grace, apitest.Martin, outsider} {
		if got := call(t, h, "GET", page, tokenFor(who), nil, monday1030).StatusCode; got != http.StatusNotFound {
			t.Errorf("%s opened the pupil search: %d", who, got)
		}
		if got := post(t, h, page, who, url.Values{"q": {"Chidi"}}, monday1030); got.StatusCode != http.StatusNotFound || strings.Contains(got.Body, "Okafor") {
			t.Errorf("%s searched for a pupil: %d", who, got.StatusCode)
		}
	}
	// Sam Ellis, a DSL at Hillcrest and a teacher at Brook Lane, finds pupils at Hillcrest only.
	home := call(t, h, "GET", "/", tokenFor(sam), nil, monday1030)
	if !strings.Contains(home.Body, `href="/schools/hillcrest/pupils"`) || strings.Contains(home.Body, `href="/schools/brook-lane/pupils"`) {
		t.Error("the home page's links to find a pupil are not the DSL's schools'")
	}
	if !strings.Contains(call(t, h, "GET", "/schools/brook-lane/work", tokenFor(dsl), nil, monday1030).Body, `href="/schools/brook-lane/pupils"`) {
		t.Error("a DSL's menu has no link to find a pupil")
	}
	chronology := `href="/schools/brook-lane/pupils/bl-01/chronology"`
	for q, wants := range map[string][]string{
		"chidi":                     {"Chidi Okafor", "Year 2", "Willows", chronology, "1 pupil found"},
		strings.ToLower(upnOfChidi): {"Chidi Okafor", chronology, "1 pupil found"},
		"WILLOWS":                   {"Chidi Okafor", chronology, "Minh Nguyen", "Zofia Kowalski"},
	} {
		resp := post(t, h, page, dsl, url.Values{"q": {q}}, monday1030)
		wantBody(t, "the search for "+q, resp, http.StatusOK, wants...)
		noContactDetails(t, "the search for "+q, resp)
		if strings.Contains(visibleText(resp.Body), "bl-0") {
			t.Errorf("the search for %q shows a pupil's id", q)
		}
	}
	if resp := post(t, h, page, dsl, url.Values{"q": {"Z999999999999"}}, monday1030); !strings.Contains(resp.Body, "No pupil found") {
		t.Errorf("an unknown UPN: %s", resp.Body)
	}
	wantBody(t, "an empty search", post(t, h, page, dsl, url.Values{"q": {" "}}, monday1030), http.StatusBadRequest,
		"Enter a pupil&#39;s name, their UPN or a class", `href="#q"`)
	// The search reads no record: nothing is audited until the chronology is opened.
	before := w.items("audit")
	post(t, h, page, dsl, url.Values{"q": {"chidi"}}, monday1030)
	if n := w.items("audit") - before; n != 0 {
		t.Errorf("a search wrote %d audit entries", n)
	}
	wantBody(t, "the chronology", call(t, h, "GET", "/schools/brook-lane/pupils/bl-01/chronology", tokenFor(dsl), nil, monday1030), http.StatusOK, "Chidi Okafor")
	if n := w.items("audit") - before; n != 1 {
		t.Errorf("opening the chronology wrote %d audit entries, want 1", n)
	}
}

// Rule P3 (finding people by name): the office finds a family by a child's name and is led to
// its contact details form, not the family's page, and sees no number or address; a DSL is
// led to both, and to a home visit's plan. Staff and teachers have no family search.
func TestRule_P3_TheOfficeFindsAFamilyByAChildsName(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	page := "/schools/brook-lane/family-search"
	contactForm := `href="/schools/brook-lane/families/fam-02/contact-details/edit"`
	familyPage := `href="/schools/brook-lane/families/fam-02"`
	office := post(t, h, page, apitest.Grace, url.Values{"q": {"poppy"}}, monday1030)
	wantBody(t, "the office's search", office, http.StatusOK, "Alfie Whitfield, Poppy Whitfield", "Acorns", "Saplings", contactForm, "1 family found")
	if strings.Contains(office.Body, familyPage) || strings.Contains(office.Body, "/visits/new") {
		t.Error("the office is led to the family's page or a visit")
	}
	noContactDetails(t, "the office's search", office)
	if strings.Contains(visibleText(office.Body), "fam-02") || strings.Contains(visibleText(office.Body), "Harvey") {
		t.Error("the search shows a family's id, or a child of another school")
	}
	d := post(t, h, page, dsl, url.Values{"q": {"Whitfield"}}, monday1030)
	wantBody(t, "a DSL's search", d, http.StatusOK, "Alfie Whitfield, Poppy Whitfield", contactForm, familyPage, `/schools/brook-lane/visits/new?family=fam-02`)
	noContactDetails(t, "a DSL's search", d)
	wantBody(t, "nobody found", post(t, h, page, dsl, url.Values{"q": {"Zebedee"}}, monday1030), http.StatusOK, "No family found")
	wantBody(t, "the form", call(t, h, "GET", page, tokenFor(apitest.Grace), nil, monday1030), http.StatusOK, `id="family-search"`, "A child's name")
	for _, who := range []string{teacher, staff, apitest.Martin, outsider} {
		if got := post(t, h, page, who, url.Values{"q": {"Whitfield"}}, monday1030); got.StatusCode != http.StatusNotFound || strings.Contains(got.Body, "Poppy") {
			t.Errorf("%s searched for a family: %d", who, got.StatusCode)
		}
	}
}
