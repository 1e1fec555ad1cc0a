package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rule D10: the governors' report on a phone (360 px: each chart with its table below it) and a
// laptop (1280 px: the table beside its chart), every chart an image with its title and
// description, axe finding nothing; another term chosen without JavaScript.
func TestRule_D10_BrowserPages_TheGovernorsReportsChartsOnAPhoneAndALaptop(t *testing.T) {
	w := newWorld(t)
	reportSeed(t, w)
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(apitest.Martin)))
	page := srv.URL + "/schools/" + school + "/reports/governors?term=2026-summer"
	b.do(t, "opening the governors' report", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("chart-months-svg")))
	b.checkAxe(t, "the governors' report")
	if n := b.eval(t, `String(document.querySelectorAll('svg[role="img"] > title').length)`); n != "6" {
		t.Errorf("%s charts with a title", n)
	}
	below := `String((() => { const s = document.getElementById("chart-categories-svg").getBoundingClientRect();
		const t = document.getElementById("chart-categories-table").getBoundingClientRect(); return t.top >= s.bottom - 1 })())`
	if b.eval(t, below) != "true" {
		t.Error("on a phone the table is not below its chart")
	}
	if b.eval(t, `String(document.documentElement.scrollWidth <= window.innerWidth)`) != "true" {
		t.Error("the page is wider than a phone")
	}
	if table := b.text(t, "#chart-categories-table"); !strings.Contains(table, "Safeguarding") || !strings.Contains(table, "2") {
		t.Errorf("the categories' table: %s", table)
	}
	if desc := b.eval(t, `document.getElementById("chart-months-desc").textContent`); !strings.Contains(desc, "Jun 2026: 3") {
		t.Errorf("the chart's description: %s", desc)
	}
	b.do(t, "choosing the spring term", chromedp.SetValue(chromedp.ID("report-period"), "2026-spring"), chromedp.Click(chromedp.ID("report-show")))
	b.do(t, "the spring term's report", chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Spring term 2026")]`)))
	if h := b.text(t, "#report-heading"); !strings.Contains(h, "Spring term 2026") {
		t.Errorf("the heading after choosing: %s", h)
	}
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("chart-months-svg")))
	b.checkAxeAt(t, "the governors' report on a laptop", "1280")
	beside := `String((() => { const s = document.getElementById("chart-categories-svg").getBoundingClientRect();
		const t = document.getElementById("chart-categories-table").getBoundingClientRect(); return t.left >= s.right - 1 })())`
	if b.eval(t, beside) != "true" {
		t.Error("on a laptop the table is not beside its chart")
	}
}

// Rule D10 across a federation, on a phone and a laptop: a DSL of both schools opens the
// governors' report of one, follows the link to the report across the schools, and reads the
// concerns of both added together with each school's figures in a table that fits a phone. A
// governor of one school has no such link.
func TestRule_D10_BrowserPages_TheReportAcrossTheSchoolsAddsThemAndShowsEach(t *testing.T) {
	w := newWorld(t)
	reportSeed(t, w)
	both := "both.schools@keepsafe.example"
	apitest.Must(t, w.st.PutUser(context.Background(), safeguarding.Principal{Email: both, Subject: seed.Subject(both), Name: "Jo Both", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{
		seed.BrookLane: {safeguarding.RoleDSL}, seed.Hillcrest: {safeguarding.RoleDSL}}}))
	if resp := call(t, w.h, "GET", "/schools/"+school+"/reports/governors?term=2026-summer", tokenFor(apitest.Martin), nil, monday1030.Add(6*time.Hour)); strings.Contains(resp.Body, "report-federation") {
		t.Error("a governor of one school is offered the report across the schools")
	}
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.do(t, "a phone's width", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(both)))
	b.do(t, "opening the governors' report", chromedp.Navigate(srv.URL+"/schools/"+school+"/reports/governors?term=2026-summer"), chromedp.WaitVisible(chromedp.ID("report-federation")))
	b.do(t, "following the link", chromedp.Click(chromedp.ID("report-federation")), chromedp.WaitVisible(chromedp.ID("report-schools")))
	b.do(t, "choosing the summer term", chromedp.SetValue(chromedp.ID("report-period"), "2026-summer"), chromedp.Click(chromedp.ID("report-show")))
	b.do(t, "the summer term's report", chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Summer term 2026")]`)))
	b.checkAxe(t, "the report across the schools")
	table := b.text(t, "#report-schools")
	if !strings.Contains(table, "Brook Lane") || !strings.Contains(table, "Hillcrest") {
		t.Errorf("each school's figures: %s", table)
	}
	if got := b.text(t, "#chart-months-table"); !strings.Contains(got, "Total") || !strings.Contains(got, "3") {
		t.Errorf("the schools' concerns added together: %s", got)
	}
	if b.eval(t, `String(document.documentElement.scrollWidth <= window.innerWidth)`) != "true" {
		t.Error("the page is wider than a phone")
	}
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("report-schools")))
	b.checkAxeAt(t, "the report across the schools on a laptop", "1280")
}
