package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Rules D3 and D5 on the concern page: a monitoring action states how often it is updated, its
// assignee records each update and the next falls due, and a DSL ends it with the reason.
func TestRule_D3_D5_RepeatingMonitoringIsUpdatedAndEndedOnTheConcernPage(t *testing.T) {
	h := newWorld(t).h
	concern := recorded(t, h)
	at := monday1030.Add(30 * time.Minute)
	page := call(t, h, "GET", concern, tokenFor(dsl), nil, at)
	wantBody(t, "the add-an-action form", page, http.StatusOK, `id="frequency"`, "How often (for monitoring only)", "Every school day", "Every week")
	wantBody(t, "a referral that repeats", post(t, h, concern+"/actions", dsl, url.Values{"key": {"add-0"}, "type": {"referral"},
		"assignee": {staff}, "frequency": {"weekly"}}, at), http.StatusBadRequest, `href="#frequency"`)
	wantRedirect(t, post(t, h, concern+"/actions", dsl, url.Values{"key": {"add-1"}, "type": {"monitoring"}, "frequency": {"weekly"},
		"assignee": {staff}, "notes": {"Check Chidi has a coat at home time."}}, at), concern+"?done=action-added")
	page = call(t, h, "GET", concern, tokenFor(dsl), nil, at)
	m := actionIDs.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no action:\n%s", page.Body)
	}
	id := m[1]
	wantBody(t, "the DSL's view of the action", page, http.StatusOK, "Repeats", "Every week, until a designated safeguarding lead ends it",
		"Due by Tuesday 2 June 2026 at 10:30", "End monitoring", `action="/schools/brook-lane/actions/`+id+`/end"`)
	work := call(t, h, "GET", "/schools/brook-lane/work", tokenFor(staff), nil, at)
	wantBody(t, "the assignee's work", work, http.StatusOK, "Record this update", "What was seen or done this time")
	if strings.Contains(work.Body, "End monitoring") {
		t.Error("the assignee is offered to end monitoring")
	}
	wantRedirect(t, post(t, h, "/schools/brook-lane/actions/"+id+"/complete", staff, url.Values{"key": {"up-1"}, "outcome": {"Had a coat; walked home with mum."}},
		at.Add(20*time.Hour)), "/schools/brook-lane/work?done=action-updated")
	page = call(t, h, "GET", concern, tokenFor(dsl), nil, at.Add(21*time.Hour))
	wantBody(t, "after the update", page, http.StatusOK, "Last update: Had a coat; walked home with mum.", "Tuesday 9 June 2026 at 10:30", "Updated")

	wantBody(t, "ending without a reason", post(t, h, "/schools/brook-lane/actions/"+id+"/end", dsl, url.Values{"key": {"end-0"}, "back": {"concern"}},
		at.Add(22*time.Hour)), http.StatusBadRequest, `href="#end-reason-`+id+`"`, "Say why the monitoring ends")
	loc := wantRedirect(t, post(t, h, "/schools/brook-lane/actions/"+id+"/end", dsl, url.Values{"key": {"end-1"}, "back": {"concern"},
		"reason": {"Coat provided by the school; no further worries."}}, at.Add(22*time.Hour)), concern+"?done=action-ended")
	page = call(t, h, "GET", strings.TrimSuffix(loc, "#case-work"), tokenFor(dsl), nil, at.Add(23*time.Hour))
	wantBody(t, "after the end", page, http.StatusOK, "Monitoring ended. It no longer falls due.", "Ended because", "Coat provided by the school; no further worries.")
	if strings.Contains(page.Body, `/end"`) {
		t.Error("an ended action still offers to end it")
	}
}

// Rule D1 on the dashboard: a concern no DSL has acted on says when its first action is due,
// and is marked overdue after the end of its day; an action takes the mark away.
func TestRule_D1_TheDashboardMarksConcernsNoDSLHasActedOn(t *testing.T) {
	h := newWorld(t).h
	concern := recorded(t, h)
	dash := call(t, h, "GET", "/schools/brook-lane/concerns", tokenFor(dsl), nil, monday1030.Add(time.Hour))
	wantBody(t, "the dashboard before the end of the day", dash, http.StatusOK, "No action yet: due by 1 June 2026 at 17:00")
	dash = call(t, h, "GET", "/schools/brook-lane/concerns", tokenFor(dsl), nil, monday1030.Add(7*time.Hour))
	wantBody(t, "the dashboard after it", dash, http.StatusOK, "Overdue", "No action by 1 June 2026 at 17:00")
	addMonitoring(t, h, concern, monday1030.Add(7*time.Hour))
	dash = call(t, h, "GET", "/schools/brook-lane/concerns", tokenFor(dsl), nil, monday1030.Add(8*time.Hour))
	if strings.Contains(dash.Body, "No action by") || strings.Contains(dash.Body, "No action yet") {
		t.Errorf("a concern with an action is still marked:\n%s", dash.Body)
	}
}
