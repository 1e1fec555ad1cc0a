package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// recordFor records a concern by the teacher about Zofia (bl-04) at at.
func recordFor(t *testing.T, w *world, at time.Time) safeguarding.Receipt {
	t.Helper()
	r, err := w.h.Concerns.Record(context.Background(), safeguarding.Caller{Email: teacher, At: at}, safeguarding.SchoolID(school),
		concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"bl-04"}, Category: "safeguarding", ObservedAt: at.Add(-10 * time.Minute),
			Details: "Came in without a coat."}, safeguarding.RequestKey{}, "")
	apitest.Must(t, err)
	return r
}

// Rule P4: the audit page is for the Senior DSL and the DSLs, in the menu; it shows who did
// what by name, in plain words, without an id; a pupil is found by name, never in the URL.
func TestRule_P4_TheAuditPageIsForTheDSLsAndFindsAPupilByName(t *testing.T) {
	w := newWorld(t)
	recordFor(t, w, monday1030.Add(-time.Hour))
	for _, who := range []string{teacher, staff, outsider} {
		if resp := call(t, w.h, "GET", "/schools/"+school+"/audit", tokenFor(who), nil, monday1030); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", who, resp.StatusCode)
		}
	}
	resp := call(t, w.h, "GET", "/schools/"+school+"/audit", tokenFor(head), nil, monday1030)
	if resp.StatusCode != 200 {
		t.Fatalf("%d", resp.StatusCode)
	}
	for _, want := range []string{`href="/schools/brook-lane/audit"`, "Recorded a concern", "Tom Hughes", "Zofia Kowalski", `<option value="` + teacher + `">Tom Hughes</option>`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if text := visibleText(resp.Body); strings.Contains(text, "bl-04") || strings.Contains(text, "@") {
		t.Errorf("the page shows an id or an email: %s", text)
	}
	search := url.Values{"csrf": {sessionFor(tokenFor(head)).csrf()}, "q": {"zofia"}, "person": {teacher}}
	resp = call(t, w.h, "POST", "/schools/"+school+"/audit", tokenFor(head), search, monday1030)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, `name="pupil" type="radio" value="bl-04"`) || strings.Contains(resp.Body, "audit-table") {
		t.Errorf("the search: %d, no radio for Zofia or entries shown", resp.StatusCode)
	}
	resp = call(t, w.h, "GET", "/schools/"+school+"/audit?from=2026-01-01&to=2026-05-29", tokenFor(dsl), nil, monday1030)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "The start date is more than 31 days before the end date") ||
		!strings.Contains(resp.Body, `href="#from"`) {
		t.Errorf("a range too long: %d", resp.StatusCode)
	}
}

// Rule P4: the audit page on a phone (360 px: one block an entry) and a laptop (1280 px: a
// table), a pupil chosen by name and a member of staff from the list, then the next page.
func TestRule_P4_BrowserPages_TheAuditPageOnAPhoneAndALaptop(t *testing.T) {
	w := newWorld(t)
	now := time.Now()
	for i := range 21 {
		recordFor(t, w, now.Add(-time.Duration(30+i)*time.Minute))
	}
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(head)))
	page := srv.URL + "/schools/" + school + "/audit"
	b.do(t, "opening the audit page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("audit-list")))
	b.checkAxe(t, "the audit page")
	if b.eval(t, `String(getComputedStyle(document.getElementById("audit-table")).display)`) != "none" {
		t.Error("the table shows on a phone")
	}
	b.do(t, "finding Zofia by name", chromedp.SendKeys(chromedp.ID("q"), "Zofia"), chromedp.Click(chromedp.ID("search-pupils")),
		chromedp.WaitVisible(chromedp.ID("pupil-bl-04")))
	b.checkAxe(t, "the audit page with a pupil found")
	b.do(t, "choosing Zofia and Tom", chromedp.Click(chromedp.ID("pupil-bl-04")),
		chromedp.SetValue(chromedp.ID("person"), teacher), chromedp.Click(chromedp.ID("show-entries")),
		chromedp.WaitVisible(chromedp.ID("audit-next")))
	if list := b.text(t, "#audit-list"); !strings.Contains(list, "Recorded a concern") || !strings.Contains(list, "Tom Hughes") {
		t.Errorf("the entries: %s", list)
	}
	b.do(t, "the older entries", chromedp.Click(chromedp.ID("audit-next")), chromedp.WaitVisible(chromedp.ID("audit-first")))
	if n := b.eval(t, `String(document.querySelectorAll("#audit-list li").length)`); n != "1" {
		t.Errorf("the second page shows %s entries, want 1", n)
	}
	if loc := b.eval(t, `location.href`); strings.Contains(strings.ToLower(loc), "zofia") {
		t.Errorf("the address holds the pupil's name: %s", loc)
	}
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("audit-table")))
	if b.eval(t, `String(getComputedStyle(document.getElementById("audit-list")).display)`) != "none" {
		t.Error("the list shows beside the table on a laptop")
	}
	if w := b.eval(t, `String(document.documentElement.scrollWidth)`); w != "1280" {
		t.Errorf("the page is %s px wide on a 1280 px screen", w)
	}
}
