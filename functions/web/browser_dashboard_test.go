package main

import (
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rules P2, C5: the dashboard of a school with 130 concerns on a phone (360 px) and a laptop
// (1280 px), axe clean: "Next" and "Previous" page through them 50 at a time; "Recorded from"
// and "to" narrow them to those days, across pages; a date that is not one says so by its
// field.
func TestRule_P2_C5_BrowserPages_TheDashboardPagesAndFiltersByDate(t *testing.T) {
	w := newBusyWorld(t)
	srv := httptest.NewServer(httpHandler(w.h, func() time.Time { return monday1030 }))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(dsl)))
	listed := func(sel string) int {
		n, _ := strconv.Atoi(b.eval(t, `String(document.querySelectorAll("`+sel+`").length)`))
		return n
	}

	// A phone: the summaries, page by page.
	b.do(t, "the dashboard on a phone", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/schools/"+school+"/concerns"), chromedp.WaitVisible(chromedp.ID("dashboard-list")))
	b.checkAxe(t, "the dashboard's first page on a phone")
	if n := listed("#dashboard-list > li"); n != 50 {
		t.Errorf("the first page lists %d", n)
	}
	b.do(t, "following Next on a phone", chromedp.Click(chromedp.ID("page-next")),
		chromedp.WaitVisible(chromedp.CSS(`#dashboard-count[data-page="2"]`)))
	b.checkAxe(t, "the dashboard's second page on a phone")
	b.screenshot(t, "dashboard-page-2-360")
	if n := listed("#dashboard-list > li"); n != 50 {
		t.Errorf("the second page lists %d", n)
	}
	b.do(t, "following Next again", chromedp.Click(chromedp.ID("page-next")),
		chromedp.WaitVisible(chromedp.CSS(`#dashboard-count[data-page="3"]`)))
	if n := listed("#dashboard-list > li"); n != busyConcerns-1-100 {
		t.Errorf("the last page lists %d, want %d", n, busyConcerns-1-100)
	}
	if listed("#page-next") != 0 {
		t.Error("the last page has a Next")
	}
	b.do(t, "following Previous", chromedp.Click(chromedp.ID("page-prev")),
		chromedp.WaitVisible(chromedp.CSS(`#dashboard-count[data-page="2"]`)))
	noRuleIDs(t, "the dashboard's pages", b.eval(t, `document.documentElement.outerHTML`))

	// A date that is not one, on a phone.
	b.do(t, "a date that is not one", chromedp.Navigate(srv.URL+"/schools/"+school+"/concerns"),
		chromedp.WaitVisible(chromedp.ID("from-day")),
		chromedp.SendKeys(chromedp.ID("from-day"), "31"), chromedp.SendKeys(chromedp.ID("from-month"), "2"),
		chromedp.SendKeys(chromedp.ID("from-year"), "2026"), chromedp.Click(chromedp.ID("filter-apply")),
		chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	if msg := b.text(t, ".govuk-error-summary"); !strings.Contains(msg, "Recorded from must be a real date") {
		t.Errorf("the error summary: %s", msg)
	}
	b.checkAxe(t, "the dashboard's date error on a phone")

	// A laptop: the table, narrowed to 10 to 24 May.
	from := time.Date(2026, 5, 10, 0, 0, 0, 0, safeguarding.London)
	to := time.Date(2026, 5, 25, 0, 0, 0, 0, safeguarding.London)
	want := 0
	for id, at := range w.at {
		if !at.Before(from) && at.Before(to) && id != w.aboutDSL {
			want++
		}
	}
	b.do(t, "the dashboard on a laptop", chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(srv.URL+"/schools/"+school+"/concerns"), chromedp.WaitVisible(chromedp.ID("dashboard-table")),
		chromedp.SendKeys(chromedp.ID("from-day"), "10"), chromedp.SendKeys(chromedp.ID("from-month"), "5"),
		chromedp.SendKeys(chromedp.ID("from-year"), "2026"), chromedp.SendKeys(chromedp.ID("to-day"), "24"),
		chromedp.SendKeys(chromedp.ID("to-month"), "5"), chromedp.SendKeys(chromedp.ID("to-year"), "2026"),
		chromedp.Click(chromedp.ID("filter-apply")), chromedp.WaitVisible(chromedp.CSS(`#dashboard-count[data-filtered="yes"]`)))
	b.checkAxeAt(t, "the dashboard narrowed to two weeks on a laptop", "1280")
	b.screenshot(t, "dashboard-dates-1280")
	got := listed("#dashboard-table tbody tr")
	for page := 2; listed("#page-next") > 0; page++ {
		b.do(t, "following Next on a laptop", chromedp.Click(chromedp.ID("page-next")),
			chromedp.WaitVisible(chromedp.CSS(`#dashboard-count[data-page="`+strconv.Itoa(page)+`"][data-filtered="yes"]`)))
		b.checkAxeAt(t, "a later page of the two weeks on a laptop", "1280")
		got += listed("#dashboard-table tbody tr")
	}
	if got != want {
		t.Errorf("10 to 24 May: the pages list %d, want %d", got, want)
	}
}
