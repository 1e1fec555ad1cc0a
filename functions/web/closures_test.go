package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// startClosure starts Brook Lane's closure on Monday 11 January 2027 through the calendar page.
func startClosure(t *testing.T, w *world) {
	t.Helper()
	wantRedirect(t, post(t, w.h, "/schools/brook-lane/closures", head, url.Values{"closure-from": {"2027-01-11"}, "key": {"start-1"}},
		london(t, "2027-01-08 16:00")), "/schools/brook-lane/calendar?done=closure-started")
}

// Rule E0 on the calendar page: the Senior DSL starts a closure and ends it with its last day;
// a DSL and the office see whether the school is in one, and cannot start or end it.
func TestRule_E0_TheSeniorDSLStartsAndEndsAClosureOnTheCalendarPage(t *testing.T) {
	w := withFamiliesNoClosure(t)
	h := w.h
	fri := london(t, "2027-01-08 16:00")
	page := call(t, h, "GET", "/schools/brook-lane/calendar", tokenFor(head), nil, fri)
	wantBody(t, "the calendar before a closure", page, http.StatusOK, `id="start-closure"`, "The school is not in a full closure")
	for _, who := range []string{dsl, seed.Email("Grace", "Bennett")} {
		page := call(t, h, "GET", "/schools/brook-lane/calendar", tokenFor(who), nil, fri)
		wantBody(t, "the calendar for "+who, page, http.StatusOK, "The Senior DSL starts and ends a closure")
		if strings.Contains(page.Body, `id="start-closure"`) {
			t.Errorf("%s is offered the closure form", who)
		}
		if resp := post(t, h, "/schools/brook-lane/closures", who, url.Values{"closure-from": {"2027-01-11"}}, fri); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s started a closure: %d", who, resp.StatusCode)
		}
	}
	for _, typed := range []string{"", "the 11th", "2031-01-11"} {
		page := post(t, h, "/schools/brook-lane/closures", head, url.Values{"closure-from": {typed}}, fri)
		wantBody(t, "a first day of "+typed, page, http.StatusBadRequest, `href="#closure-from"`, `id="closure-from-error"`)
	}
	if c, _ := w.st.LatestClosure(context.Background(), seed.BrookLane); !c.IsZero() {
		t.Fatalf("a refused form started a closure: %+v", c)
	}
	startClosure(t, w)
	page = call(t, h, "GET", "/schools/brook-lane/calendar?done=closure-started", tokenFor(head), nil, fri)
	wantBody(t, "the calendar in a closure", page, http.StatusOK, "Closure started", "in a full closure since Monday 11 January 2027", `id="end-closure"`)
	page = post(t, h, "/schools/brook-lane/closures", head, url.Values{"closure-from": {"2027-01-18"}}, fri)
	wantBody(t, "a second closure", page, http.StatusBadRequest, "already in a closure")
	c, _ := w.st.LatestClosure(context.Background(), seed.BrookLane)
	end := "/schools/brook-lane/closures/" + c.ID + "/end"
	wantBody(t, "a last day before the first", post(t, h, end, head, url.Values{"closure-last-day": {"2027-01-08"}}, fri),
		http.StatusBadRequest, `href="#closure-last-day"`, "2027-01-11")
	wantRedirect(t, post(t, h, end, head, url.Values{"closure-last-day": {"2027-01-22"}, "key": {"end-1"}}, london(t, "2027-01-22 15:00")),
		"/schools/brook-lane/calendar?done=closure-ended")
	page = call(t, h, "GET", "/schools/brook-lane/calendar", tokenFor(dsl), nil, london(t, "2027-01-25 09:00"))
	wantBody(t, "the calendar after the closure", page, http.StatusOK, "The last closure was from Monday 11 January 2027 to Friday 22 January 2027")
}

// Rules E0, E2: during a closure the DSLs' families page shows every family's silent school
// days, soonest to go missing first, those at 4 or 5 marked; outside one, only the missing.
func TestRule_E0_E2_TheFamiliesPageShowsEveryFamilysSilentDaysDuringAClosure(t *testing.T) {
	w := withFamiliesNoClosure(t)
	h := w.h
	page := call(t, h, "GET", "/schools/brook-lane/families", tokenFor(dsl), nil, london(t, "2027-01-08 09:00"))
	wantBody(t, "the families before a closure", page, http.StatusOK, "not in a full closure")
	if strings.Contains(page.Body, `id="counting"`) {
		t.Error("families counted outside a closure")
	}
	startClosure(t, w)
	// The Kowalskis (fam-03) acknowledge on Wednesday 13 January, the closure's 3rd day.
	form := sheet(t, h, dsl, "Willows", london(t, "2027-01-13 15:30"))
	form.Set("ack-fam-03", "thumbs-up")
	wantRedirect(t, post(t, h, "/schools/brook-lane/acknowledgements", dsl, form, london(t, "2027-01-13 15:30")), "/schools/brook-lane/acknowledgements?")
	// Monday 18th, the closure's 6th day: the never-heard-from are 5 days silent, the
	// Kowalskis 2 (Thursday, Friday).
	page = call(t, h, "GET", "/schools/brook-lane/families", tokenFor(dsl), nil, london(t, "2027-01-18 09:00"))
	wantBody(t, "the families in a closure", page, http.StatusOK, "in a full closure since Monday 11 January 2027",
		`id="counting-fam-01"`, "5 school days silent", "Goes missing soon", `id="counting-fam-03"`, "2 school days silent")
	kowalskis := page.Body[strings.Index(page.Body, `id="counting-fam-03"`):]
	kowalskis = kowalskis[:strings.Index(kowalskis, "</li>")]
	if strings.Contains(kowalskis, "Goes missing soon") {
		t.Error("a family 2 days silent is marked as soon missing")
	}
	if strings.Index(page.Body, `id="counting-fam-01"`) > strings.Index(page.Body, `id="counting-fam-03"`) {
		t.Error("the family soonest to go missing is not first")
	}
	noContactDetails(t, "the families in a closure", page)
}

// Rule E3: the call due to a MISSING family is in the work of each DSL, with a link to the
// family's call screen, until one of them or staff designated for closure contact takes it;
// then it is in theirs only.
func TestRule_E3_TheCallIsInEachDSLsWorkUntilSomeoneTakesIt(t *testing.T) {
	w := withFamiliesNoClosure(t)
	h := w.h
	startClosure(t, w)
	w.escalate("2027-01-19") // the closure's 7th school day: the never-heard-from are MISSING
	tue := london(t, "2027-01-19 09:00")
	link := `href="/schools/brook-lane/families/fam-01/call"`
	for _, who := range []string{dsl, head} {
		wantBody(t, "the work of "+who, call(t, h, "GET", "/schools/brook-lane/work", tokenFor(who), nil, tue), http.StatusOK,
			"Phone calls to families", link, "held by the DSLs together")
	}
	if page := call(t, h, "GET", "/schools/brook-lane/work", tokenFor(teacher), nil, tue); strings.Contains(page.Body, link) {
		t.Error("Tom's work has the call before he took it")
	}
	// Tom, designated for closure contact, takes it on the call screen.
	screen := call(t, h, "GET", "/schools/brook-lane/families/fam-01/call", tokenFor(teacher), nil, tue)
	wantBody(t, "the call screen", screen, http.StatusOK, `id="call-due"`, "The DSLs hold it together", `id="take-call"`)
	wantRedirect(t, post(t, h, "/schools/brook-lane/families/fam-01/call", teacher, url.Values{"form": {"take"}}, tue),
		"/schools/brook-lane/families/fam-01/call?done=taken")
	wantBody(t, "Tom's work", call(t, h, "GET", "/schools/brook-lane/work", tokenFor(teacher), nil, tue), http.StatusOK, link, "; yours")
	if page := call(t, h, "GET", "/schools/brook-lane/work", tokenFor(dsl), nil, tue); strings.Contains(page.Body, link) {
		t.Error("the DSL's work still has the call Tom took")
	}
	if f := w.family("fam-01"); f.CallOwner() != teacher {
		t.Errorf("the call's owner: %q", f.CallOwner())
	}
}

// Rule V5 on a call: the call screen has the duty team's number one tap away and raises an
// immediate concern as a high-priority concern about the children chosen; nothing is recorded
// when it says nothing.
func TestRule_V5_TheCallScreenHasTheDutyTeamAndRaisesAnImmediateConcern(t *testing.T) {
	w := withFamiliesNoClosure(t)
	h := w.h
	now := london(t, "2027-01-19 10:00")
	screen := call(t, h, "GET", "/schools/brook-lane/families/fam-06/call", tokenFor(teacher), nil, now)
	wantBody(t, "the call screen", screen, http.StatusOK, `href="tel:01632960100"`, "Call the duty team on 01632 960100",
		`id="immediate-concern"`, "Raise an immediate concern", "Lan Nguyen", "Minh Nguyen")
	before := w.items("concern")
	page := post(t, h, "/schools/brook-lane/families/fam-06/call", teacher, url.Values{"form": {"concern"}, "key": {"ic-0"}, "details": {" "}}, now)
	wantBody(t, "an empty concern", page, http.StatusBadRequest, `href="#immediate-details"`, `href="#immediate-pupil"`)
	if n := w.items("concern"); n != before {
		t.Fatalf("an empty concern was recorded")
	}
	lan := w.family("fam-06").Pupils()[0]
	wantRedirect(t, post(t, h, "/schools/brook-lane/families/fam-06/call", teacher, url.Values{"form": {"concern"}, "key": {"ic-1"},
		"pupil": {string(lan)}, "details": {"A man shouting at Lan in the background; she was crying."}}, now),
		"/schools/brook-lane/families/fam-06/call?done=concern")
	if n := w.items("concern"); n != before+1 {
		t.Fatalf("%d concerns, want %d", n, before+1)
	}
	dash, err := w.h.Concerns.DashboardPage(context.Background(), safeguarding.Caller{Email: dsl, At: now}, seed.BrookLane, concerns.DashboardQuery{})
	if err != nil || len(dash.Rows) == 0 {
		t.Fatal(dash, err)
	}
	found := false
	for _, r := range dash.Rows {
		c := r.Concern
		if strings.Contains(c.Details(), "Immediate concern on a phone call to family FAM-06") {
			found = true
			if !c.HighPriority() || c.Category() != safeguarding.CategorySafeguarding || len(c.Pupils()) != 1 || c.Pupils()[0].ID != lan {
				t.Errorf("the concern: high %v, category %s, pupils %v", c.HighPriority(), c.Category(), c.Pupils())
			}
		}
	}
	if !found {
		t.Error("the immediate concern is not on the DSL's dashboard")
	}
	// High priority (C4): each DSL is alerted by text and by email, at once.
	if to := w.alerts("concern"); slices.Index(to, dsl) < 0 || len(slices.DeleteFunc(slices.Clone(to), func(e string) bool { return e != dsl })) != 2 {
		t.Errorf("the DSL was not alerted twice (text and email): %v", to)
	}
}
