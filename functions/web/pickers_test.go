package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
)

// anyEmail is an email address shown on a page as text.
var anyEmail = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[a-z]{2,}`)

// Rules C1, C5: the concern form offers the school's staff by name, to tick those to tell and
// to choose the one a concern is about; no email shows and none is typed, and the author is
// on neither list. The staff ticked can read the record; the DSL it is about cannot.
func TestRule_C1_C5_TheConcernFormChoosesStaffToTellAndTheSubjectByName(t *testing.T) {
	w := newWorld(t)
	h := w.h
	form := call(t, h, "GET", "/schools/brook-lane/concerns/new?pupil=bl-01", tokenFor(teacher), nil, monday1030)
	wantBody(t, "the form", form, http.StatusOK,
		`name="tag-staff" type="checkbox" value="`+staff+`"`, `id="tag-staff-filter"`, "Priya Shah", "Daniel Reyes",
		`<select class="govuk-select govuk-!-width-full" id="subject-staff-email" name="subject-staff-email"`,
		`<option value="`+dsl+`">Daniel Reyes</option>`)
	if strings.Contains(form.Body, `type="email"`) || strings.Contains(form.Body, `<textarea class="govuk-textarea" id="tag-staff"`) {
		t.Error("the form still asks for an email address")
	}
	if shown := anyEmail.FindAllString(visibleText(form.Body), -1); len(shown) > 0 {
		t.Errorf("the form shows email addresses: %v", shown)
	}
	if strings.Contains(form.Body, `value="`+teacher+`"`) {
		t.Error("the author is offered to tell, or as the one the concern is about")
	}
	// Hillcrest's DSL is on neither list of Brook Lane.
	if strings.Contains(form.Body, apitest.Chloe) || strings.Contains(form.Body, "Chloe Adams") {
		t.Error("the form offers someone of another school")
	}

	f := validForm(h, tokenFor(teacher))
	f["tag-staff"] = []string{staff, apitest.Grace}
	f.Set("about-staff", "yes")
	f.Set("subject-staff-email", dsl)
	loc := wantRedirect(t, post(t, h, "/schools/brook-lane/concerns", teacher, f, monday1030), "/schools/brook-lane/concerns/")
	concern := loc[:strings.Index(loc, "?")]
	wantBody(t, "the concern for the staff told", call(t, h, "GET", concern, tokenFor(staff), nil, monday1030), http.StatusOK, "came in without a coat")
	if got := call(t, h, "GET", concern, tokenFor(dsl), nil, monday1030).StatusCode; got != http.StatusNotFound {
		t.Errorf("the DSL the concern is about opened it: %d", got)
	}
}

// Rule P1: a picker offers the school's people and families only, and the server holds to
// it: a member of staff of another school, or someone unknown, sent as the staff to tell, the
// one a concern is about, who goes on a visit or their line manager, or a family of no child
// of the school, is refused in plain words and nothing is written.
func TestRule_P1_APickedValueNotOfTheSchoolIsRefusedInPlainWords(t *testing.T) {
	w := visitWorld(t)
	h := w.h
	f := validForm(h, tokenFor(teacher))
	f["tag-staff"] = []string{staff, apitest.Chloe}
	f.Set("about-staff", "yes")
	f.Set("subject-staff-email", apitest.Stranger)
	resp := post(t, h, "/schools/brook-lane/concerns", teacher, f, monday1030)
	wantBody(t, "the concern form", resp, http.StatusBadRequest, "Choose the staff to tell from the list",
		"Choose the member of staff it is about from the list", `href="#tag-staff"`, `href="#subject-staff-email"`)
	if strings.Contains(visibleText(resp.Body), apitest.Chloe) || strings.Contains(visibleText(resp.Body), apitest.Stranger) {
		t.Error("the form repeats the address sent")
	}
	// What was ticked and is of the school stays ticked.
	if !strings.Contains(resp.Body, `value="`+staff+`" checked`) {
		t.Error("the staff ticked are no longer ticked")
	}
	if n := w.items("concern"); n != 0 {
		t.Errorf("%d concerns written", n)
	}

	at := visitAt("2027-02-26 15:00")
	plan := func(family, line string, goes ...string) url.Values {
		return url.Values{"key": {"plan-x"}, "family": {family}, "staff": goes, "line-manager": {line},
			"day": {"1"}, "month": {"3"}, "year": {"2027"}, "start": {"10:00"}, "end": {"11:00"}, "reason": {"No answer to three calls this week."}}
	}
	for _, c := range []struct {
		what string
		form url.Values
		want string
	}{
		{"staff of another school", plan("fam-02", sam, teacher, apitest.Chloe), "Choose who goes from the list of staff"},
		{"an unknown line manager", plan("fam-02", apitest.Stranger, teacher, staff), "Choose their line manager from the list of staff"},
		{"a family of no child of the school", plan("fam-99", sam, teacher, staff), "No such family in this school"},
	} {
		resp := post(t, h, "/schools/brook-lane/visits", dsl, c.form, at)
		wantBody(t, "the plan with "+c.what, resp, http.StatusBadRequest, c.want)
		if n := w.items("visit"); n != 0 {
			t.Errorf("the plan with %s wrote %d visits", c.what, n)
		}
	}
}

// Rules V1, V2: the DSL plans a visit choosing the family by a child's name (a search that
// keeps what was typed) and the staff and line manager by name; no id or email is typed.
func TestRule_V2_AVisitIsPlannedWithItsFamilyAndStaffChosenByName(t *testing.T) {
	w := visitWorld(t)
	h := w.h
	at := visitAt("2027-02-26 15:00")
	form := call(t, h, "GET", "/schools/brook-lane/visits/new", tokenFor(dsl), nil, at)
	wantBody(t, "the plan form", form, http.StatusOK, "Search by a child's name", "Priya Shah (staff)", "Sam Ellis (teacher)")
	if strings.Contains(form.Body, "family&#39;s id") || strings.Contains(form.Body, `name="family" type="text"`) {
		t.Error("the plan asks for the family's id")
	}
	if shown := anyEmail.FindAllString(visibleText(form.Body), -1); len(shown) > 0 {
		t.Errorf("the plan shows email addresses: %v", shown)
	}
	found := post(t, h, "/schools/brook-lane/visits", dsl, url.Values{"intent": {"find-family"}, "family-q": {"poppy"},
		"staff": {teacher}, "start": {"10:00"}}, at)
	wantBody(t, "the search", found, http.StatusOK, `name="family" type="radio" value="fam-02"`, "Alfie Whitfield, Poppy Whitfield",
		`value="`+teacher+`" checked`, `value="10:00"`)
	if strings.Contains(found.Body, "There is a problem") || strings.Contains(visibleText(found.Body), "fam-02") {
		t.Error("the search shows problems, or the family's id")
	}
	visit := plannedVisit(t, h)
	page := call(t, h, "GET", visit, tokenFor(dsl), nil, at)
	wantBody(t, "the planned visit", page, http.StatusOK, "Tom Hughes", "Priya Shah", "Sam Ellis")
	if shown := anyEmail.FindAllString(visibleText(page.Body), -1); len(shown) > 0 {
		t.Errorf("the visit shows email addresses: %v", shown)
	}
	// The list of visits names the family by its children too, not by a reference.
	list := call(t, h, "GET", "/schools/brook-lane/visits", tokenFor(teacher), nil, at)
	wantBody(t, "the visits", list, http.StatusOK, "Alfie Whitfield, Poppy Whitfield")
	if strings.Contains(list.Body, "FAM-") {
		t.Error("the list of visits names a family by its reference")
	}
}
