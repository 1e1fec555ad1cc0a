package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

func (w *world) designation(email string) contact.ClosureContact {
	w.t.Helper()
	c, err := w.st.ClosureContact(context.Background(), seed.BrookLane, email)
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

// Rule P3: a DSL designates staff for closure contact and ends a designation, each with its
// reason kept (P4); the list is an audited read. A form with problems names them and writes
// nothing; a repeated one does the work once; anyone but the school's DSLs gets "not found".
func TestRule_P3_ADSLDesignatesStaffForClosureContact(t *testing.T) {
	w := withContacts(t)
	h := w.h
	const page = "/schools/brook-lane/closure-contacts"
	before := w.items("audit")
	resp := call(t, h, "GET", page, tokenFor(dsl), nil, nov20)
	wantBody(t, "the designations", resp, http.StatusOK, "Closure contacts", "Designated now", teacher,
		`<option value="`+staff+`"`, "End the designation", `autocomplete="off"`)
	if strings.Contains(resp.Body, `<option value="`+dsl+`"`) || strings.Contains(resp.Body, `<option value="`+teacher+`"`) {
		t.Error("the DSL may designate a DSL, or someone designated already")
	}
	if w.items("audit") != before+1 {
		t.Error("the list was not audited")
	}
	// People by name: the one designated and the staff to choose from (rule P1).
	wantBody(t, "the designations", resp, http.StatusOK, "<strong>Tom Hughes</strong>", "Priya Shah (staff)</option>")
	if shown := anyEmail.FindAllString(visibleText(resp.Body), -1); len(shown) > 0 {
		t.Errorf("the designations show email addresses: %v", shown)
	}
	if !strings.Contains(call(t, h, "GET", "/schools/brook-lane/work", tokenFor(dsl), nil, nov20).Body, `href="`+page+`"`) {
		t.Error("the DSL's menu has no link to the designations")
	}

	designate := url.Values{"key": {"d-1"}, "form": {"designate"}, "email": {staff}, "reason": {"Calls the Willows families"}}
	for _, who := range []string{office, teacher, staff, outsider} {
		wantBody(t, "the designations for "+who, call(t, h, "GET", page, tokenFor(who), nil, nov20), http.StatusNotFound, "Page not found")
		wantBody(t, "a designation by "+who, post(t, h, page, who, designate, nov20), http.StatusNotFound, "Page not found")
		if strings.Contains(call(t, h, "GET", "/schools/brook-lane/work", tokenFor(who), nil, nov20).Body, `href="`+page+`"`) {
			t.Errorf("the menu of %s links the designations", who)
		}
	}
	if w.designation(staff).Active {
		t.Fatal("a refused designation was written")
	}

	for _, c := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"key": {"d-2"}, "form": {"designate"}, "email": {""}}, `href="#email"`},
		{url.Values{"key": {"d-3"}, "form": {"designate"}, "email": {outsider}}, "Not a member of staff of this school"},
		{url.Values{"key": {"d-4"}, "form": {"designate"}, "email": {staff}, "reason": {strings.Repeat("x", 501)}}, `href="#reason"`},
	} {
		wantBody(t, "a designation with problems", post(t, h, page, dsl, c.form, nov20), http.StatusBadRequest, "There is a problem", c.want)
	}
	if w.designation(staff).Active || w.designation(outsider).Version != 0 {
		t.Fatal("a designation with problems was written")
	}
	wantBody(t, "a form that is neither", post(t, h, page, dsl, url.Values{"form": {"x"}, "email": {staff}}, nov20), http.StatusBadRequest)

	wantRedirect(t, post(t, h, page, dsl, designate, nov20), page+"?done=designated")
	wantRedirect(t, post(t, h, page, dsl, designate, nov20), page+"?done=designated")
	if c := w.designation(staff); !c.Active || c.Version != 1 || c.History[0].Reason != "Calls the Willows families" || c.History[0].By != dsl {
		t.Errorf("designated: %+v", c)
	}
	end := url.Values{"key": {"e-1"}, "form": {"end"}, "email": {teacher}, "reason": {"Back in class"}}
	wantRedirect(t, post(t, h, page, dsl, end, nov20), page+"?done=ended")
	if c := w.designation(teacher); c.Active || len(c.History) != 2 || c.History[1].Reason != "Back in class" {
		t.Errorf("ended: %+v", c)
	}
	resp = call(t, h, "GET", page+"?done=ended", tokenFor(dsl), nil, nov20)
	wantBody(t, "the designations after", resp, http.StatusOK, "Designation ended", "Calls the Willows families", "Ended", "Back in class")
}
