package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// retentionWorld is a world with the demo's former pupils and their records (rule S7): at
// Brook Lane Riley Stone turns 25 on 3 November 2026, Jordan Hale on 20 January 2027 and Casey
// Marsh on 14 February 2027.
func retentionWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	apitest.Must(t, seed.ApplyFormerPupils(context.Background(), w.st, seed.Demo()))
	return w
}

// holdFormOnPage finds the form of a pupil's hold on the page: its address and version.
func holdFormOnPage(t *testing.T, body, name string) (action, version string) {
	t.Helper()
	i := strings.Index(body, ">"+name+"</a>")
	if i < 0 {
		t.Fatalf("%s is not on the page", name)
	}
	m := regexp.MustCompile(`action="([^"]+)"[\s\S]*?name="version" value="(\d+)"`).FindStringSubmatch(body[i:])
	if m == nil {
		t.Fatalf("no hold form for %s", name)
	}
	return strings.ReplaceAll(m[1], "&#43;", "+"), m[2]
}

// Rule S7: "Records to review" is the Senior DSL's (in their menu; anyone else finds nothing):
// the pupils turning 25 by the date chosen, soonest first, by name with their date of birth,
// 25th birthday and number of records; a legal hold placed with a reason keeps a pupil off the
// list (shown, marked, when asked), lifting it brings them back, and a form from a stale page
// asks to reload.
func TestRule_S7_TheSeniorDSLReviewsRecordsAndPlacesAndLiftsAHold(t *testing.T) {
	w := retentionWorld(t)
	page := "/schools/" + school + "/retention"
	for _, who := range []string{teacher, dsl, staff} {
		if resp := call(t, w.h, "GET", page, tokenFor(who), nil, monday1030); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", who, resp.StatusCode)
		}
	}
	home := call(t, w.h, "GET", "/", tokenFor(head), nil, monday1030)
	if !strings.Contains(call(t, w.h, "GET", page, tokenFor(head), nil, monday1030).Body, `href="`+page+`"`) {
		t.Errorf("no link to the page in the Senior DSL's menu (home %d)", home.StatusCode)
	}
	list := page + "?before=2027-02-28"
	resp := call(t, w.h, "GET", list, tokenFor(head), nil, monday1030)
	wantBody(t, "the list", resp, 200, "3 pupils turn 25 by 28 February 2027", "3 November 2001", "20 January 2027", "Place the hold")
	text := visibleText(resp.Body)
	r, j, c := strings.Index(text, "Riley Stone"), strings.Index(text, "Jordan Hale"), strings.Index(text, "Casey Marsh")
	if r < 0 || j < r || c < j || strings.Contains(text, "Morgan Reed") {
		t.Errorf("soonest first, Morgan (2029) left out: %s", text)
	}
	if strings.Contains(text, "brook-lane-former") || strings.Contains(text, "@") {
		t.Errorf("the page shows an id or an email: %s", text)
	}

	action, version := holdFormOnPage(t, resp.Body, "Jordan Hale")
	resp = post(t, w.h, action, head, url.Values{"version": {version}, "reason": {"  "}}, monday1030)
	wantBody(t, "a hold without a reason", resp, http.StatusBadRequest, "Say why")
	resp = post(t, w.h, action, head, url.Values{"version": {version}, "reason": {"Family court proceedings"}, "review-on": {"2027-09-01"}, "key": {"k1"}}, monday1030)
	wantRedirect(t, resp, page+"?done=held")
	if text := visibleText(call(t, w.h, "GET", list, tokenFor(head), nil, monday1030).Body); strings.Contains(text, "Jordan Hale") {
		t.Errorf("a held pupil is still listed: %s", text)
	}
	resp = call(t, w.h, "GET", list+"&held=include", tokenFor(head), nil, monday1030)
	wantBody(t, "with the held ones", resp, 200, "Legal hold", "Family court proceedings", "Review by 1 September 2027", "Lift the hold")
	if resp := post(t, w.h, action, head, url.Values{"version": {version}, "reason": {"Again"}}, monday1030); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(resp.Body, "Reload the page") {
		t.Errorf("a hold from the stale page: %d", resp.StatusCode)
	}
	lift, version := holdFormOnPage(t, resp.Body, "Jordan Hale")
	wantRedirect(t, post(t, w.h, lift, head, url.Values{"version": {version}, "reason": {"Proceedings ended"}}, monday1030), page+"?done=lifted")
	if text := visibleText(call(t, w.h, "GET", list, tokenFor(head), nil, monday1030).Body); !strings.Contains(text, "Jordan Hale") {
		t.Errorf("a lifted hold leaves the pupil off the list: %s", text)
	}
	if resp := post(t, w.h, lift, dsl, url.Values{"version": {"2"}, "reason": {"x"}}, monday1030); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a DSL's form: %d", resp.StatusCode)
	}
}
