package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
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
