package main

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// post sends a form as email from this site, with the session's form token.
func post(t *testing.T, h *Handler, target, email string, form url.Values, at time.Time) events.APIGatewayV2HTTPResponse {
	t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", sessionFor(tokenFor(email)).csrf())
	return call(t, h, "POST", target, tokenFor(email), form, at, "Sec-Fetch-Site", "same-origin")
}

func wantRedirect(t *testing.T, resp events.APIGatewayV2HTTPResponse, prefix string) string {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Headers["Location"], prefix) {
		t.Fatalf("status %d to %q, want 303 to %s...\n%s", resp.StatusCode, resp.Headers["Location"], prefix, resp.Body)
	}
	return resp.Headers["Location"]
}

func wantBody(t *testing.T, what string, resp events.APIGatewayV2HTTPResponse, status int, wants ...string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: status %d, want %d\n%s", what, resp.StatusCode, status, resp.Body)
	}
	for _, want := range wants {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("%s lacks %q", what, want)
		}
	}
}

// recorded is a concern the teacher recorded about Chidi Okafor at monday1030: its page's path.
func recorded(t *testing.T, h *Handler) string {
	t.Helper()
	loc := wantRedirect(t, post(t, h, "/schools/brook-lane/concerns", teacher, validForm(h, tokenFor(teacher)), monday1030), "/schools/brook-lane/concerns/")
	return loc[:strings.Index(loc, "?")]
}

var actionIDs = regexp.MustCompile(`id="action-([0-9A-Z]+-A[0-9]+)"`)

// addMonitoring has the DSL add a monitoring action for Priya Shah; it returns the action's id.
func addMonitoring(t *testing.T, h *Handler, concern string, at time.Time) string {
	t.Helper()
	wantRedirect(t, post(t, h, concern+"/actions", dsl, url.Values{"key": {"add-1"}, "type": {"monitoring"},
		"assignee": {staff}, "notes": {"Check Chidi has a coat at home time."}}, at), concern+"?done=action-added")
	page := call(t, h, "GET", concern, tokenFor(dsl), nil, at)
	m := actionIDs.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("the concern page lists no action:\n%s", page.Body)
	}
	return m[1]
}

func TestRule_D3_DSLAddsAnActionDueByTheRule(t *testing.T) {
	h := newWorld(t).h
	concern := recorded(t, h)
	at := monday1030.Add(30 * time.Minute)

	page := call(t, h, "GET", concern, tokenFor(dsl), nil, at)
	wantBody(t, "the DSL's concern page", page, http.StatusOK,
		"Case work", `id="case-status"`, "Open", "No actions yet",
		// The rules' due times, in school time (D1-D5).
		"By the end of the day the concern was recorded.", "Due by Monday 1 June 2026 at 17:00", "Completed within 24 hours of the first alert.", "Due by Tuesday 2 June 2026 at 10:30", "Made within 24 hours", "Updated weekly",
		// The roster to choose from, and the referral destinations.
		`<option value="`+staff+`">`, "Children&#39;s social care", "Close the case", "Mark it complex",
		// The menu, with the DSL's review.
		`href="/schools/brook-lane/work"`, `href="/schools/brook-lane/review"`, `href="/schools/brook-lane/concerns/new"`)

	id := addMonitoring(t, h, concern, at)
	page = call(t, h, "GET", concern+"?done=action-added", tokenFor(dsl), nil, at)
	wantBody(t, "the concern page with the action", page, http.StatusOK, "Action added", "Monitoring", staff,
		"Tuesday 2 June 2026 at 10:30", "Check Chidi has a coat", "Assigned to "+staff, "Complete this action")
	if !strings.HasSuffix(id, "-A1") {
		t.Errorf("action id %q", id)
	}

	// The teacher who recorded it sees the concern, not the case work (P2).
	if page := call(t, h, "GET", concern, tokenFor(teacher), nil, at); page.StatusCode != http.StatusOK ||
		strings.Contains(page.Body, "Case work") || strings.Contains(page.Body, `href="/schools/brook-lane/review"`) {
		t.Errorf("the teacher's concern page: %d, with case work or the review", page.StatusCode)
	}
	// Only a DSL adds actions: for anyone else the concern is not there.
	resp := post(t, h, concern+"/actions", teacher, url.Values{"type": {"monitoring"}, "assignee": {staff}}, at)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a teacher adding an action: %d", resp.StatusCode)
	}
}

func TestAddActionProblemsAreShownAgainWithWhatWasTyped(t *testing.T) {
	h := newWorld(t).h
	concern := recorded(t, h)
	at := monday1030.Add(time.Hour)
	resp := post(t, h, concern+"/actions", dsl, url.Values{"notes": {"Speak to mum."}}, at)
	wantBody(t, "no type or assignee", resp, http.StatusBadRequest, "There is a problem", `href="#action-type"`,
		`href="#assignee"`, "Speak to mum.", "<title>Error: Concern")

	resp = post(t, h, concern+"/actions", dsl, url.Values{"type": {"monitoring"}, "assignee": {staff},
		"due-day": {"30"}, "due-month": {"6"}, "due-year": {"2026"}, "due-time": {"12:00"}}, at)
	wantBody(t, "a later due time without a reason", resp, http.StatusBadRequest, `href="#due-reason"`, `value="30"`)

	resp = post(t, h, concern+"/actions", dsl, url.Values{"type": {"monitoring"}, "assignee": {staff},
		"due-day": {"31"}, "due-month": {"2"}, "due-year": {"2026"}, "due-time": {"12:00"}}, at)
	wantBody(t, "a date that is not a date", resp, http.StatusBadRequest, `href="#due-day"`, "The date must be a real date")

	resp = post(t, h, concern+"/actions", dsl, url.Values{"type": {"monitoring"}, "assignee": {outsider}}, at)
	wantBody(t, "someone of another school", resp, http.StatusBadRequest, `href="#assignee"`, "not on the staff of this school")

	// An earlier due time needs no reason.
	wantRedirect(t, post(t, h, concern+"/actions", dsl, url.Values{"type": {"referral"}, "assignee": {dsl}, "referral-to": {"early-help"},
		"due-day": {"1"}, "due-month": {"6"}, "due-year": {"2026"}, "due-time": {"15:00"}}, at), concern)
	page := call(t, h, "GET", concern, tokenFor(dsl), nil, at)
	wantBody(t, "the referral", page, http.StatusOK, "Referral", "Early help", "Monday 1 June 2026 at 15:00")
}

func TestRule_D6_AssigneeWorksFromMyWorkAndTheSeniorDSLReallocates(t *testing.T) {
	h := newWorld(t).h
	concern := recorded(t, h)
	at := monday1030.Add(time.Hour)
	id := addMonitoring(t, h, concern, at)

	// Priya may not see the concern (P2), but sees her action on My work.
	if page := call(t, h, "GET", concern, tokenFor(staff), nil, at); page.StatusCode != http.StatusNotFound {
		t.Errorf("the assignee opened the concern: %d", page.StatusCode)
	}
	work := call(t, h, "GET", "/schools/brook-lane/work", tokenFor(staff), nil, at)
	wantBody(t, "Priya's work", work, http.StatusOK, "My work", "Monitoring", "Check Chidi has a coat",
		"Complete this action", "I cannot follow this up", `action="/schools/brook-lane/actions/`+id+`/complete"`)
	if strings.Contains(work.Body, `href="`+concern+`"`) || strings.Contains(work.Body, "Show everyone") ||
		strings.Contains(work.Body, `href="/schools/brook-lane/review"`) {
		t.Error("My work links a member of staff to the concern, everyone's work or the review")
	}
	if resp := call(t, h, "GET", "/schools/brook-lane/work?who=all", tokenFor(staff), nil, at); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a member of staff asking for everyone's work: %d", resp.StatusCode)
	}

	// She cannot follow it up: a reason is needed, then the Senior DSL is told.
	resp := post(t, h, "/schools/brook-lane/actions/"+id+"/unable", staff, url.Values{"back": {"work"}}, at)
	wantBody(t, "no reason", resp, http.StatusBadRequest, `href="#unable-reason-`+id+`"`)
	wantRedirect(t, post(t, h, "/schools/brook-lane/actions/"+id+"/unable", staff,
		url.Values{"back": {"work"}, "key": {"u1"}, "reason": {"Off sick from tomorrow."}}, at), "/schools/brook-lane/work?done=action-unable")

	// The Senior DSL sees it to reallocate, and gives it to Tom.
	work = call(t, h, "GET", "/schools/brook-lane/work", tokenFor(head), nil, at)
	wantBody(t, "the Senior DSL's work", work, http.StatusOK, "To reallocate", "Needs reallocating", `id="realloc-to-`+id+`"`)
	wantRedirect(t, post(t, h, "/schools/brook-lane/actions/"+id+"/reallocate", head,
		url.Values{"back": {"work"}, "key": {"r1"}, "assignee": {teacher}, "reason": {"Priya is off."}}, at),
		"/schools/brook-lane/work?done=action-reallocated")

	// Tom completes it with an outcome.
	work = call(t, h, "GET", "/schools/brook-lane/work", tokenFor(teacher), nil, at)
	wantBody(t, "Tom's work", work, http.StatusOK, "Monitoring", "Complete this action")
	resp = post(t, h, "/schools/brook-lane/actions/"+id+"/complete", teacher, url.Values{"back": {"work"}}, at)
	wantBody(t, "no outcome", resp, http.StatusBadRequest, `href="#outcome-`+id+`"`, "Record what was done")
	wantRedirect(t, post(t, h, "/schools/brook-lane/actions/"+id+"/complete", teacher,
		url.Values{"back": {"work"}, "key": {"c1"}, "outcome": {"Coat seen at home time."}}, at.Add(time.Hour)),
		"/schools/brook-lane/work?done=action-completed")
	if work := call(t, h, "GET", "/schools/brook-lane/work", tokenFor(teacher), nil, at); strings.Contains(work.Body, id) {
		t.Error("a completed action is still on My work")
	}

	// The DSL sees both assignees in its history and the outcome (D6).
	page := call(t, h, "GET", concern, tokenFor(dsl), nil, at.Add(2*time.Hour))
	wantBody(t, "the concern page", page, http.StatusOK, "Completed", "Coat seen at home time.", staff+" cannot follow it up",
		"Off sick from tomorrow.", "Reallocated from "+staff+" to "+teacher, "Priya is off.")

	// Completing it again is a change someone else already made: reload.
	resp = post(t, h, "/schools/brook-lane/actions/"+id+"/complete", dsl,
		url.Values{"back": {"concern"}, "key": {"c2"}, "outcome": {"Again."}}, at.Add(3*time.Hour))
	wantBody(t, "a second completion", resp, http.StatusConflict, "Someone else changed this", `href="`+concern+`"`, "Reload the page")
}

func TestRule_D8_MyWorkIsDueSoonestFirstWithOverdueMarked(t *testing.T) {
	h := newWorld(t).h
	concern := recorded(t, h)
	at := monday1030.Add(time.Hour)
	wantRedirect(t, post(t, h, concern+"/actions", dsl, url.Values{"type": {"monitoring"}, "assignee": {staff}, "notes": {"later one"}}, at), concern)
	wantRedirect(t, post(t, h, concern+"/actions", dsl, url.Values{"type": {"dsl-action"}, "assignee": {staff}, "notes": {"sooner one"}}, at), concern)
	// Monday 18:00: the DSL action (due 17:00) is overdue, the monitoring (Tuesday 10:30) is not.
	evening := time.Date(2026, 6, 1, 18, 0, 0, 0, monday1030.Location())
	work := call(t, h, "GET", "/schools/brook-lane/work", tokenFor(staff), nil, evening)
	i, j := strings.Index(work.Body, "sooner one"), strings.Index(work.Body, "later one")
	if i < 0 || j < 0 || i > j {
		t.Fatalf("My work is not due soonest first (%d, %d)", i, j)
	}
	if n := strings.Count(work.Body, ">Overdue<"); n != 1 {
		t.Errorf("%d actions marked overdue, want 1", n)
	}
	// A DSL switches to everyone's work.
	all := call(t, h, "GET", "/schools/brook-lane/work?who=all", tokenFor(dsl), nil, evening)
	wantBody(t, "everyone's work", all, http.StatusOK, "Everyone&#39;s work", "sooner one", "later one", "Show only my actions", `href="`+concern+`"`)
}

func TestRule_D9_CloseWithAReasonReopenAndTheReview(t *testing.T) {
	h := newWorld(t).h
	concern := recorded(t, h)
	ref := concern[strings.LastIndex(concern, "/")+1:]
	at := monday1030.Add(time.Hour)

	review := call(t, h, "GET", "/schools/brook-lane/review", tokenFor(dsl), nil, at)
	wantBody(t, "the review", review, http.StatusOK, "Case review", `id="open-cases"`, `href="`+concern+`"`)
	if resp := call(t, h, "GET", "/schools/brook-lane/review", tokenFor(teacher), nil, at); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a teacher's review: %d", resp.StatusCode)
	}

	resp := post(t, h, concern+"/case", dsl, url.Values{"change": {"close"}}, at)
	wantBody(t, "closing without a reason", resp, http.StatusBadRequest, `href="#case-reason"`, "Record the reason")
	resp = post(t, h, concern+"/case", dsl, url.Values{"reason": {"why"}}, at)
	wantBody(t, "no change chosen", resp, http.StatusBadRequest, `href="#change"`)

	wantRedirect(t, post(t, h, concern+"/case", dsl, url.Values{"key": {"k1"}, "change": {"close"}, "reason": {"Coat found; no further worry."}}, at),
		concern+"?done=case-close")
	page := call(t, h, "GET", concern, tokenFor(dsl), nil, at)
	wantBody(t, "the closed case", page, http.StatusOK, "Closed", "Case closed", "Coat found; no further worry.", "Reopen the case")
	if strings.Contains(page.Body, `id="add-action"`) {
		t.Error("a closed case offers to add an action")
	}
	review = call(t, h, "GET", "/schools/brook-lane/review", tokenFor(dsl), nil, at)
	if strings.Contains(review.Body, `href="`+concern+`"`) {
		t.Errorf("the review still lists the closed case %s", ref)
	}

	// Reopened and marked complex, it is due its review six weeks on (twice a term).
	wantRedirect(t, post(t, h, concern+"/case", dsl, url.Values{"key": {"k2"}, "change": {"reopen"}, "reason": {"New information."}}, at), concern)
	wantRedirect(t, post(t, h, concern+"/case", dsl, url.Values{"key": {"k3"}, "change": {"complex"}, "reason": {"Several agencies."}}, at), concern)
	later := at.Add(43 * 24 * time.Hour)
	review = call(t, h, "GET", "/schools/brook-lane/review", tokenFor(dsl), nil, later)
	if i := strings.Index(review.Body, `id="complex-due"`); i < 0 || !strings.Contains(review.Body[i:strings.Index(review.Body, "Pupils with several")], `href="`+concern+`"`) {
		t.Errorf("the complex case is not due its review:\n%s", review.Body)
	}
	page = call(t, h, "GET", concern, tokenFor(dsl), nil, later)
	wantBody(t, "the complex case", page, http.StatusOK, "Complex", "Review due", "Record its review: keep it open")
	wantRedirect(t, post(t, h, concern+"/case", dsl, url.Values{"key": {"k4"}, "change": {"review-keep-open"}, "reason": {"Still working with early help."}}, later), concern)
	page = call(t, h, "GET", concern, tokenFor(dsl), nil, later)
	wantBody(t, "the reviewed case", page, http.StatusOK, "Reviewed: kept open", "Still working with early help.")

	// Reopening an open case is a change already made: reload.
	resp = post(t, h, concern+"/case", dsl, url.Values{"key": {"k5"}, "change": {"reopen"}, "reason": {"x"}}, later)
	wantBody(t, "reopening an open case", resp, http.StatusConflict, "Someone else changed this")
}

func TestRule_D9_ReviewFlagsAPupilWithSeveralConcerns(t *testing.T) {
	h := newWorld(t).h
	for i, key := range []string{"f1", "f2", "f3"} {
		f := validForm(h, tokenFor(teacher))
		f.Set("key", key)
		f.Set("details", "Entry "+key)
		wantRedirect(t, post(t, h, "/schools/brook-lane/concerns", teacher, f, monday1030.Add(time.Duration(i)*time.Minute)), "/schools/")
	}
	review := call(t, h, "GET", "/schools/brook-lane/review", tokenFor(dsl), nil, monday1030.Add(time.Hour))
	wantBody(t, "the review", review, http.StatusOK, `id="frequent-pupils"`, `href="/schools/brook-lane/pupils/bl-01/chronology">Chidi Okafor`, "3 concerns")
}

func TestCaseWorkPostsNeedTheFormToken(t *testing.T) {
	h := newWorld(t).h
	concern := recorded(t, h)
	f := url.Values{"csrf": {sessionFor(tokenFor(teacher)).csrf()}, "change": {"close"}, "reason": {"x"}}
	if resp := call(t, h, "POST", concern+"/case", tokenFor(dsl), f, monday1030); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another session's token: %d", resp.StatusCode)
	}
	f.Set("csrf", sessionFor(tokenFor(dsl)).csrf())
	if resp := call(t, h, "POST", concern+"/case", tokenFor(dsl), f, monday1030, "Sec-Fetch-Site", "cross-site"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site post: %d", resp.StatusCode)
	}
}

func TestEveryTemplateParses(t *testing.T) {
	all, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"home", "concern-form", "concern", "chronology", "work", "review", "error", "signed-out"} {
		if all[name] == nil {
			t.Errorf("no page template %q", name)
		}
	}
}

// Rules D9 and C9: the printable SLT review opens with a count line, then lists the work past
// its due time and the pupils below 90% attendance with the reasons logged, by name.
func TestRule_D9_C9_TheReviewPageCountsAndListsOverdueWorkAndLowAttendance(t *testing.T) {
	w := newWorld(t)
	names, byOffice, _ := attendanceSeed(t, w)
	h := w.h
	concern := recorded(t, h)
	wantRedirect(t, post(t, h, concern+"/actions", dsl, url.Values{"type": {"dsl-action"}, "assignee": {staff}, "key": {"a1"}}, monday1030), concern)
	review := call(t, h, "GET", "/schools/brook-lane/review", tokenFor(dsl), nil, monday1030.Add(8*time.Hour))
	wantBody(t, "the review", review, http.StatusOK, `id="review-counts"`, "1 overdue action", "2 pupils below 90% attendance",
		`id="overdue-work"`, "Overdue", `id="review-attendance"`, names["bl-02"], names["bl-01"], byOffice, "print.css", "Confidential")
	text := visibleText(review.Body)
	if strings.Contains(text, "@") || strings.Contains(text, "bl-0") {
		t.Errorf("the review shows an email or an id: %s", text)
	}
}
