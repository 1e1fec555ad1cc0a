package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// Rules P3 and P4 on a phone and a laptop: at a school that lets a person open two families'
// numbers an hour without a reason, Daniel (a DSL) opens two call screens; the third family's
// screen asks why he needs its numbers instead of showing them. Sent empty, the form names
// the problem; with a reason the numbers show, and the opening's audit entry keeps the
// reason. The form works on a 1280 px screen too.
func TestRule_P3_P4_BrowserPages_PastTheHoursFamiliesTheCallScreenAsksWhy(t *testing.T) {
	w, b, base := openingsBrowser(t)
	screen := func(family string) string { return base + "/schools/" + school + "/families/" + family + "/call" }

	for _, f := range []string{"fam-01", "fam-02"} {
		b.do(t, "opening "+f, chromedp.Navigate(screen(f)), chromedp.WaitVisible(chromedp.ID("call-numbers")))
	}
	b.do(t, "opening a third family", chromedp.Navigate(screen("fam-03")), chromedp.WaitVisible(chromedp.ID("reason-form")))
	if h := b.text(t, "main h1"); !strings.Contains(h, "Why do you need this family's numbers?") {
		t.Errorf("the page asks %q", h)
	}
	body := b.eval(t, `document.querySelector("main").innerText`)
	if strings.Contains(body, "07700") || !strings.Contains(body, "2 different families") {
		t.Errorf("the page says: %s", body)
	}
	for _, jargon := range []string{"P3", "P4", "threshold", "audit"} {
		if strings.Contains(body, jargon) {
			t.Errorf("the page says %q: %s", jargon, body)
		}
	}
	b.checkAxe(t, "the question why")

	b.do(t, "sending no reason", chromedp.Click(chromedp.ID("reason-button")), chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	if s := b.text(t, ".govuk-error-summary"); !strings.Contains(s, "Say why you need") {
		t.Errorf("the error summary: %q", s)
	}
	if href := b.eval(t, `document.querySelector(".govuk-error-summary a").getAttribute("href")`); href != "#reason" {
		t.Errorf("the summary links to %q", href)
	}
	b.checkAxe(t, "the question why, sent empty")

	reason := "Mum asked us to call back about the food parcel"
	b.do(t, "giving a reason", chromedp.SendKeys(chromedp.ID("reason"), reason), chromedp.Click(chromedp.ID("reason-button")),
		chromedp.WaitVisible(chromedp.ID("call-numbers")))
	if n := b.text(t, "#call-numbers"); !strings.Contains(n, "07700") {
		t.Errorf("the numbers after the reason: %q", n)
	}
	found := false
	for _, it := range apitest.Items(t, w.db, w.table) {
		if apitest.Attr(it, "type") == "audit" && apitest.Attr(it, "subject") == "family/fam-03/contact-details" {
			found = found || apitest.Attr(it, "action") == contact.AuditContactsViewed && apitest.Attr(it, "reason") == reason
		}
	}
	if !found {
		t.Error("rule P4: no audit entry of the opening holds its reason")
	}
	// Reopened in the same hour, the family needs no reason.
	b.do(t, "reopening the third family", chromedp.Navigate(screen("fam-03")), chromedp.WaitVisible(chromedp.ID("call-numbers")))

	// On a laptop.
	b.do(t, "a 1280 px screen", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(screen("fam-04")), chromedp.WaitVisible(chromedp.ID("reason-form")))
	if wd := b.eval(t, `String(document.documentElement.scrollWidth)`); wd != "1280" {
		t.Errorf("the question is %s px wide on a 1280 px screen", wd)
	}
	if wd := b.eval(t, `String(Math.round(document.getElementById("reason").getBoundingClientRect().width))`); wd == "0" {
		t.Error("the reason box is not shown at 1280 px")
	}
}

// openingsBrowser is a browser signed in as Daniel (a DSL) on a server whose clock stays in one
// hour, at a school that lets a person open two families' numbers an hour without a reason.
func openingsBrowser(t *testing.T) (*world, *browser, string) {
	t.Helper()
	w := withOpeningsPerHour(t, 2)
	start := time.Now()
	srv := httptest.NewServer(httpHandler(w.h, func() time.Time { return start })) // one hour throughout
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(dsl)))
	return w, b, srv.URL
}

// Rules P3 and P4 on the DSLs' page of earlier versions, on a phone and a laptop: every
// version holds the family's numbers, so the page counts toward the hour like the call screen.
// Daniel opens two families' call screens; a third family's versions ask why he needs them
// instead of showing a number. Sent empty, the form names the problem; with a reason the
// versions show, and the reading's audit entry keeps the reason. A family opened this hour
// shows its versions at once; the question works on a 1280 px screen too.
func TestRule_P3_P4_BrowserPages_PastTheHoursFamiliesTheEarlierVersionsAskWhy(t *testing.T) {
	w, b, base := openingsBrowser(t)
	page := func(family, rest string) string { return base + "/schools/" + school + "/families/" + family + rest }
	for _, f := range []string{"fam-01", "fam-02"} {
		b.do(t, "calling "+f, chromedp.Navigate(page(f, "/call")), chromedp.WaitVisible(chromedp.ID("call-numbers")))
	}
	b.do(t, "the earlier versions of a family opened this hour", chromedp.Navigate(page("fam-01", "/contact-details/versions")),
		chromedp.WaitVisible(chromedp.ID("versions")))
	b.do(t, "the earlier versions of a third family", chromedp.Navigate(page("fam-03", "/contact-details/versions")),
		chromedp.WaitVisible(chromedp.ID("reason-form")))
	if h := b.text(t, "main h1"); !strings.Contains(h, "Why do you need this family's numbers?") {
		t.Errorf("the page asks %q", h)
	}
	body := b.eval(t, `document.querySelector("main").innerText`)
	if strings.Contains(body, "07700") || !strings.Contains(body, "2 different families") || !strings.Contains(body, "Back to families short of contact numbers") {
		t.Errorf("the page says: %s", body)
	}
	for _, jargon := range []string{"P3", "P4", "threshold", "audit"} {
		if strings.Contains(body, jargon) {
			t.Errorf("the page says %q: %s", jargon, body)
		}
	}
	b.checkAxe(t, "the question why before the versions") // and its width on a 360 px screen

	b.do(t, "sending no reason", chromedp.Click(chromedp.ID("reason-button")), chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	if s := b.text(t, ".govuk-error-summary"); !strings.Contains(s, "Say why you need") {
		t.Errorf("the error summary: %q", s)
	}
	if strings.Contains(b.eval(t, `document.querySelector("main").innerText`), "07700") {
		t.Error("an empty reason shows the numbers")
	}

	reason := "Which number did the family give before the move?"
	b.do(t, "giving a reason", chromedp.SendKeys(chromedp.ID("reason"), reason), chromedp.Click(chromedp.ID("reason-button")),
		chromedp.WaitVisible(chromedp.ID("versions")))
	if n := b.text(t, "#versions"); !strings.Contains(n, "07700") {
		t.Errorf("the versions after the reason: %q", n)
	}
	if !w.openingAudit("family/fam-03/contact-details/versions", contact.AuditContactsVersionsRead, reason) {
		t.Error("rule P4: no audit entry of the reading holds its reason")
	}
	// Reopened in the same hour, the family's versions and its call screen need no reason.
	b.do(t, "reopening the third family's versions", chromedp.Navigate(page("fam-03", "/contact-details/versions")), chromedp.WaitVisible(chromedp.ID("versions")))
	b.do(t, "calling the third family", chromedp.Navigate(page("fam-03", "/call")), chromedp.WaitVisible(chromedp.ID("call-numbers")))

	// On a laptop.
	b.do(t, "a 1280 px screen", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(page("fam-04", "/contact-details/versions")),
		chromedp.WaitVisible(chromedp.ID("reason-form")))
	if wd := b.eval(t, `String(document.documentElement.scrollWidth)`); wd != "1280" {
		t.Errorf("the question is %s px wide on a 1280 px screen", wd)
	}
	if wd := b.eval(t, `String(Math.round(document.getElementById("reason").getBoundingClientRect().width))`); wd == "0" {
		t.Error("the reason box is not shown at 1280 px")
	}
}
