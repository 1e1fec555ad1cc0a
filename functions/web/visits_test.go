package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// visitWorld is the handler on the demo data with its families, and the visits' use cases.
func visitWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	if err := seed.ApplyFamilies(context.Background(), w.st, seed.Demo()); err != nil {
		t.Fatal(err)
	}
	w.h.Visits = visits.Visits{Store: w.st, Calendar: calendar.EnglandAndWales(), Catalogue: concerns.PolicyCatalogue(), NewID: store.NewID}
	return w
}

func visitAt(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, safeguarding.London)
	if err != nil {
		panic(err)
	}
	return t
}

var sam = seed.Email("Sam", "Ellis")

// plannedVisit has the DSL plan the Whitfields' visit for Monday 1 March 2027, 10:00 to 11:00:
// its page's path.
func plannedVisit(t *testing.T, h *Handler) string {
	t.Helper()
	loc := wantRedirect(t, post(t, h, "/schools/brook-lane/visits", dsl, url.Values{"key": {"plan-1"}, "family": {"fam-02"},
		"staff": {teacher, staff}, "line-manager": {sam}, "day": {"1"}, "month": {"3"}, "year": {"2027"}, "start": {"10:00"}, "end": {"11:00"},
		"reason": {"No answer to three calls this week.\nAlfie has not been seen since the closure began."}},
		visitAt("2027-02-26 15:00")), "/schools/brook-lane/visits/")
	return loc[:strings.Index(loc, "?")]
}

func TestRule_V1_V8_TheVisitPagesFromPlanToCheckOut(t *testing.T) {
	w := visitWorld(t)
	h := w.h
	form := call(t, h, "GET", "/schools/brook-lane/visits/new?family=fam-02", tokenFor(dsl), nil, visitAt("2027-02-26 14:55"))
	wantBody(t, "the plan form", form, http.StatusOK, `value="fam-02"`, `autocomplete="off"`, `name="staff" type="checkbox" value="`+teacher+`"`)
	if status := call(t, h, "GET", "/schools/brook-lane/visits/new", tokenFor(teacher), nil, visitAt("2027-02-26 14:55")).StatusCode; status != http.StatusNotFound {
		t.Errorf("a teacher opened the plan form: %d", status)
	}
	// Not with one member of staff (V2): the form comes back saying so, with what was typed.
	alone := post(t, h, "/schools/brook-lane/visits", dsl, url.Values{"key": {"plan-0"}, "family": {"fam-02"}, "staff": {teacher},
		"line-manager": {sam}, "day": {"1"}, "month": {"3"}, "year": {"2027"}, "start": {"10:00"}, "end": {"11:00"}, "reason": {"No answer to three calls this week."}}, visitAt("2027-02-26 14:58"))
	wantBody(t, "a plan with one member of staff", alone, http.StatusBadRequest, "never alone", `href="#staff"`, `value="fam-02"`)

	visit := plannedVisit(t, h)
	page := call(t, h, "GET", visit, tokenFor(dsl), nil, visitAt("2027-02-26 15:01"))
	wantBody(t, "the planned visit", page, http.StatusOK, "Waiting for the Senior DSL", "Alfie Whitfield", "Sam Ellis")
	if page.Headers["Cache-Control"] != "no-store" {
		t.Errorf("the visit page may be cached: %q", page.Headers["Cache-Control"])
	}
	if strings.Contains(page.Body, `id="authorise-form"`) {
		t.Error("a DSL who is not the Senior DSL is offered the authorisation")
	}
	if status := call(t, h, "GET", visit, tokenFor(seed.Email("Grace", "Bennett")), nil, visitAt("2027-02-26 15:02")).StatusCode; status != http.StatusNotFound {
		t.Errorf("the office sees a visit it is not on: %d", status)
	}

	// Tom calls ahead; starting before the Senior DSL authorises is refused on the page (V1).
	wantRedirect(t, post(t, h, visit+"/call-ahead", teacher, url.Values{"key": {"c1"}, "outcome": {"agreed"}}, visitAt("2027-02-26 16:00")), visit+"?done=call-ahead")
	early := post(t, h, visit+"/start", teacher, url.Values{"key": {"s0"}, "going": {teacher, staff}}, visitAt("2027-03-01 09:55"))
	wantBody(t, "an unauthorised start", early, http.StatusBadRequest, "has not authorised this visit")
	wantBody(t, "the Senior DSL's view", call(t, h, "GET", visit, tokenFor(head), nil, visitAt("2027-02-26 16:05")), http.StatusOK, `id="authorise-form"`)
	wantRedirect(t, post(t, h, visit+"/authorise", head, url.Values{"key": {"a1"}}, visitAt("2027-02-26 16:06")), visit+"?done=authorise")

	// Not alone either at the start (V2), then the two of them set off.
	one := post(t, h, visit+"/start", teacher, url.Values{"key": {"s1"}, "going": {teacher}}, visitAt("2027-03-01 09:55"))
	wantBody(t, "a start alone", one, http.StatusBadRequest, "cannot start with one", `href="#going"`)
	wantRedirect(t, post(t, h, visit+"/start", teacher, url.Values{"key": {"s2"}, "going": {teacher, staff}}, visitAt("2027-03-01 09:56")), visit+"?done=start")
	out := call(t, h, "GET", visit, tokenFor(staff), nil, visitAt("2027-03-01 10:05"))
	wantBody(t, "the visit in progress", out, http.StatusOK, `id="checkout-button"`, "01632 960100", `id="visit-address"`, `id="doorstep-form"`)

	// The doorstep (V4): every child must be answered for; an immediate concern goes at once (V5).
	missing := post(t, h, visit+"/doorstep", staff, url.Values{"key": {"d0"}, "child": {"bl-02", "bl-03"}, "seen-bl-02": {"yes"}}, visitAt("2027-03-01 10:10"))
	wantBody(t, "a doorstep record with a child left out", missing, http.StatusBadRequest, "Say for every child", `href="#children"`)
	before := w.items("concern")
	wantRedirect(t, post(t, h, visit+"/doorstep", staff, url.Values{"key": {"d1"}, "child": {"bl-02", "bl-03"}, "seen-bl-02": {"yes"},
		"seen-bl-03": {"no"}, "notes-bl-03": {"Mum said she was asleep."}, "concern": {"yes"}, "details": {"Shouting from upstairs."}},
		visitAt("2027-03-01 10:15")), visit+"?done=concern")
	if w.items("concern") != before+1 {
		t.Error("the immediate concern was not recorded")
	}
	after := call(t, h, "GET", visit, tokenFor(teacher), nil, visitAt("2027-03-01 10:16"))
	wantBody(t, "the visit after the doorstep", after, http.StatusOK, "Alfie Whitfield: Seen", "Poppy Whitfield: Not seen: Mum said she was asleep.", `id="visit-concerns"`)
	if strings.Contains(after.Body, `id="doorstep-form"`) {
		t.Error("the doorstep form is offered again")
	}

	// Sam, the line manager, takes their call and checks them out (V8).
	wantRedirect(t, post(t, h, visit+"/checkout", sam, url.Values{"key": {"o1"}}, visitAt("2027-03-01 10:58")), visit+"?done=checkout")
	wantBody(t, "the visit checked out", call(t, h, "GET", visit, tokenFor(teacher), nil, visitAt("2027-03-01 11:00")), http.StatusOK,
		"Checked out", `id="observations-form"`, `id="next-form"`)
	if n := w.items("visit-due"); n != 3 {
		t.Errorf("%d due items", n)
	}
}

func TestVisitPagesRefuseWhatTheyDoNotKnow(t *testing.T) {
	w := visitWorld(t)
	visit := plannedVisit(t, w.h)
	if status := post(t, w.h, visit+"/dance", teacher, url.Values{"key": {"x"}}, visitAt("2027-02-26 16:00")).StatusCode; status != http.StatusNotFound {
		t.Errorf("an unknown step: %d", status)
	}
	if status := post(t, w.h, visit+"/authorise", teacher, url.Values{"key": {"x"}}, visitAt("2027-02-26 16:00")).StatusCode; status != http.StatusNotFound {
		t.Errorf("a teacher authorised: %d", status)
	}
	if status := call(t, w.h, "GET", "/schools/brook-lane/visits/01JNOSUCHVISIT000000000000", tokenFor(dsl), nil, visitAt("2027-02-26 16:00")).StatusCode; status != http.StatusNotFound {
		t.Errorf("no such visit: %d", status)
	}
	list := call(t, w.h, "GET", "/schools/brook-lane/visits", tokenFor(teacher), nil, visitAt("2027-02-26 16:00"))
	wantBody(t, "Tom's visits", list, http.StatusOK, "Home visit V-")
	if strings.Contains(list.Body, "Plan a home visit") {
		t.Error("a teacher is offered to plan visits")
	}
}

// A DSL calls off a visit that has not started, with a reason (the reason is required, and
// the form keeps the page); the visit then says so, offers no further step, and a teacher on
// the visit cannot cancel one.
func TestVisitPageCancelsAVisitThatHasNotStarted(t *testing.T) {
	w := visitWorld(t)
	h := w.h
	visit := plannedVisit(t, h)
	wantBody(t, "the DSL's view", call(t, h, "GET", visit, tokenFor(dsl), nil, visitAt("2027-02-26 15:01")), http.StatusOK,
		`id="cancel-form"`, "Cancel this visit")
	if page := call(t, h, "GET", visit, tokenFor(teacher), nil, visitAt("2027-02-26 15:01")); strings.Contains(page.Body, `id="cancel-form"`) {
		t.Error("a teacher on the visit is offered to cancel it")
	}
	if status := post(t, h, visit+"/cancel", teacher, url.Values{"key": {"x0"}, "reason": {"Not needed"}}, visitAt("2027-02-26 15:02")).StatusCode; status != http.StatusNotFound {
		t.Errorf("a teacher cancelled: %d", status)
	}
	blank := post(t, h, visit+"/cancel", dsl, url.Values{"key": {"x1"}, "reason": {"  "}}, visitAt("2027-02-26 15:03"))
	wantBody(t, "a cancel without a reason", blank, http.StatusBadRequest, `href="#cancel-reason"`, "Say why the visit is cancelled", `id="cancel" open`)

	wantRedirect(t, post(t, h, visit+"/cancel", dsl, url.Values{"key": {"x2"}, "reason": {"The family moved to another school"}}, visitAt("2027-02-26 15:04")), visit+"?done=cancel")
	page := call(t, h, "GET", visit+"?done=cancel", tokenFor(dsl), nil, visitAt("2027-02-26 15:05"))
	wantBody(t, "the cancelled visit", page, http.StatusOK, "Visit cancelled.", "Cancelled", "The family moved to another school")
	for _, form := range []string{`id="cancel-form"`, `id="call-form"`, `id="authorise-form"`} {
		if strings.Contains(page.Body, form) {
			t.Errorf("a cancelled visit offers %s", form)
		}
	}
	// The same form sent again changes nothing; a fresh one is refused by the domain.
	wantRedirect(t, post(t, h, visit+"/cancel", dsl, url.Values{"key": {"x2"}, "reason": {"The family moved to another school"}}, visitAt("2027-02-26 15:06")), visit+"?done=cancel")
	wantBody(t, "cancelling again", post(t, h, visit+"/cancel", dsl, url.Values{"key": {"x3"}, "reason": {"again"}}, visitAt("2027-02-26 15:07")),
		http.StatusBadRequest, "Only a visit that has not started can be cancelled")
}

// kept reports whether an item of the type holds the text in the attribute.
func (w *world) kept(typ, attr, text string) bool {
	w.t.Helper()
	for _, it := range apitest.Items(w.t, w.db, w.table) {
		if apitest.Attr(it, "type") == typ && strings.Contains(apitest.Attr(it, attr), text) {
			return true
		}
	}
	return false
}

// Rule V1: the plan says why a visit, and why now. The page refuses a plan without one, or too
// long, or with characters no one types, writing nothing; the reason is kept on the visit, in
// each child's chronology and in the plan's audit entry, and shown to the Senior DSL where they
// authorise it and on the visit's page.
func TestRule_V1_ThePlansReasonIsRequiredKeptAndShownToTheSeniorDSL(t *testing.T) {
	w := visitWorld(t)
	h := w.h
	at := visitAt("2027-02-26 15:00")
	plan := func(key, reason string) url.Values {
		return url.Values{"key": {key}, "family": {"fam-02"}, "staff": {teacher, staff}, "line-manager": {sam},
			"day": {"1"}, "month": {"3"}, "year": {"2027"}, "start": {"10:00"}, "end": {"11:00"}, "reason": {reason}}
	}
	for _, c := range []struct{ what, reason, want string }{
		{"no reason", "   ", "Say why a home visit, and why now"},
		{"a reason too long", strings.Repeat("x", visits.MaxReasonChars+1), "2000 characters or fewer"},
		{"a control character", "No answer\x07 since Monday", "Write the reason as plain text"},
	} {
		resp := post(t, h, "/schools/brook-lane/visits", dsl, plan("r-"+c.what, c.reason), at)
		wantBody(t, "a plan with "+c.what, resp, http.StatusBadRequest, c.want, `href="#reason"`, `id="reason-error"`, `value="fam-02"`)
		if n := w.items("visit"); n != 0 {
			t.Fatalf("a plan with %s wrote %d visits", c.what, n)
		}
	}
	// What was typed comes back with the other problems.
	typed := plan("r-x", "Alfie not seen since the closure began")
	typed.Set("end", "")
	wantBody(t, "a plan without its end", post(t, h, "/schools/brook-lane/visits", dsl, typed, at), http.StatusBadRequest,
		">Alfie not seen since the closure began</textarea>")

	visit := plannedVisit(t, h)
	why := "No answer to three calls this week."
	if !w.kept("visit", "reason", why) {
		t.Error("the reason is not on the visit's record")
	}
	if !w.kept("chronology", "summary", "Why a visit, and why now: "+why) {
		t.Error("the reason is not in the children's chronology")
	}
	if !w.kept("audit", "reason", why) {
		t.Error("the reason is not on the plan's audit entry")
	}
	senior := call(t, h, "GET", visit, tokenFor(head), nil, visitAt("2027-02-26 16:00"))
	wantBody(t, "the Senior DSL's view", senior, http.StatusOK, `id="authorise-form"`, `id="authorise-reason"`, why, "Alfie has not been seen since the closure began.")
	form := senior.Body[strings.Index(senior.Body, `id="authorise-form"`):]
	if !strings.Contains(form[:strings.Index(form, "</form>")], why) {
		t.Error("the reason is not beside the authorisation")
	}
	wantBody(t, "the staff's view", call(t, h, "GET", visit, tokenFor(teacher), nil, visitAt("2027-02-26 16:00")), http.StatusOK,
		`id="visit-reason"`, why)
}

// Rule V4: once the observations are recorded, the visit's page shows them, each child's by
// name and the adults', as written, to the people who may see the visit; no one else.
func TestRule_V4_TheVisitPageShowsTheObservations(t *testing.T) {
	w := visitWorld(t)
	h := w.h
	visit := plannedVisit(t, h)
	wantRedirect(t, post(t, h, visit+"/authorise", head, url.Values{"key": {"a1"}}, visitAt("2027-02-26 16:00")), visit+"?done=authorise")
	wantRedirect(t, post(t, h, visit+"/call-ahead", teacher, url.Values{"key": {"c1"}, "outcome": {"agreed"}}, visitAt("2027-02-26 16:05")), visit+"?done=call-ahead")
	wantRedirect(t, post(t, h, visit+"/start", teacher, url.Values{"key": {"s1"}, "going": {teacher, staff}}, visitAt("2027-03-01 09:56")), visit+"?done=start")
	wantRedirect(t, post(t, h, visit+"/checkout", teacher, url.Values{"key": {"o1"}}, visitAt("2027-03-01 10:50")), visit+"?done=checkout")
	wantRedirect(t, post(t, h, visit+"/observations", teacher, url.Values{"key": {"ob1"}, "child": {"bl-02", "bl-03"},
		"emotional-bl-02": {"Smiling, chatty, waved from the door."}, "physical-bl-02": {"Clean clothes, looked well."},
		"emotional-bl-03": {"Quiet, stayed behind Mum."}, "adults-emotional": {"Mum tired but friendly."},
		"adults-physical": {"Dad not seen."}}, visitAt("2027-03-01 18:07")), visit+"?done=observations")

	for _, who := range []string{teacher, staff, sam, dsl, head} {
		page := call(t, h, "GET", visit, tokenFor(who), nil, visitAt("2027-03-01 18:10"))
		wantBody(t, "the observations for "+who, page, http.StatusOK, `id="visit-observations"`, `id="observations-recorded"`,
			"Tom Hughes, 1 March 2027 at 18:07", "Alfie Whitfield", "Smiling, chatty, waved from the door.", "Clean clothes, looked well.",
			"Poppy Whitfield", "Quiet, stayed behind Mum.", "Nothing written", "The adults", "Mum tired but friendly.", "Dad not seen.")
		if strings.Contains(page.Body, "Recorded 18:07") || strings.Contains(page.Body, `id="observations-form"`) {
			t.Errorf("%s: the page shows only when the observations were recorded, or offers the form again", who)
		}
		obs := page.Body[strings.Index(page.Body, `id="visit-observations"`):]
		obs = obs[:strings.Index(obs, "</dl>")]
		if strings.Index(obs, "Alfie Whitfield") > strings.Index(obs, "Poppy Whitfield") || strings.Index(obs, "Poppy Whitfield") > strings.Index(obs, "The adults") {
			t.Error("the observations are not each child's in order, then the adults'")
		}
	}
	if page := call(t, h, "GET", visit, tokenFor(seed.Email("Grace", "Bennett")), nil, visitAt("2027-03-01 18:10")); page.StatusCode != http.StatusNotFound ||
		strings.Contains(page.Body, "Smiling") {
		t.Errorf("the office, not on the visit, sees it: %d", page.StatusCode)
	}
}
