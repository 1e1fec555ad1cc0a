package main

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// media emulates a CSS media type in the browser's tab: "print" as the page prints, "" for the screen.
func media(t *testing.T, b *browser, m string) {
	t.Helper()
	b.do(t, "emulating "+m+" media", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: m})
		return err
	}))
}

// shown says whether the first element a selector finds is drawn ("none" when there is none).
func shown(t *testing.T, b *browser, sel string) string {
	t.Helper()
	return b.eval(t, `(() => { const e = document.querySelector(`+jsString(sel)+`); if (!e) return "none";
		const r = e.getBoundingClientRect(); return (r.width > 0 && r.height > 0 && getComputedStyle(e).visibility !== "hidden") ? "shown" : "hidden"; })()`)
}

// Rule D10 in a browser: the chronology printed on a phone's width shows the record with the
// school, the pupil and "Confidential", and no header, menu, button or form; on the screen the
// DSL has the PDF and the export; the export's review page at 360 and 1280 px with axe.
func TestRule_D10_BrowserPages_TheChronologyPrintsCleanlyAndTheExportIsReviewed(t *testing.T) {
	w := newWorld(t)
	recorded(t, w.h)
	other := recordAboutTwo(t, w, monday1030)
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(dsl)))
	chron := srv.URL + "/schools/brook-lane/pupils/bl-01/chronology"

	b.do(t, "opening the chronology", chromedp.Navigate(chron), chromedp.WaitVisible(chromedp.ID("chronology")))
	b.checkAxe(t, "the chronology with its downloads")
	for _, sel := range []string{"header.govuk-template__header", ".govuk-service-navigation", "#records-out", "main .govuk-button"} {
		if got := shown(t, b, sel); got != "shown" {
			t.Errorf("on the screen %s is %s", sel, got)
		}
	}
	if got := shown(t, b, "#print-heading"); got != "hidden" {
		t.Errorf("on the screen the print heading is %s", got)
	}

	media(t, b, "print")
	for _, sel := range []string{"header.govuk-template__header", ".govuk-service-navigation", "#records-out", "main .govuk-button",
		"form", "button", "footer"} {
		if got := shown(t, b, sel); got == "shown" {
			t.Errorf("printed, %s is shown", sel)
		}
	}
	if got := shown(t, b, "#print-heading"); got != "shown" {
		t.Errorf("printed, the heading with the school and Confidential is %s", got)
	}
	printed := b.text(t, "body")
	for _, want := range []string{"Confidential", "Brook Lane", "Chidi Okafor", "came in without a coat"} {
		if !strings.Contains(printed, want) {
			t.Errorf("the printed page lacks %q:\n%s", want, printed)
		}
	}
	media(t, b, "")

	b.do(t, "opening the export's review", chromedp.Click(chromedp.CSS(`#records-out a[href$="/export"]`)), chromedp.WaitVisible(chromedp.ID("export-download")))
	b.checkAxe(t, "the export's review")
	if page := b.text(t, "main"); !strings.Contains(page, "another pupil") || strings.Contains(page, other) {
		t.Errorf("the review names the other pupil, or does not say another pupil:\n%s", page)
	}
	b.do(t, "choosing to name them", chromedp.Click(chromedp.ID("names-yes")), chromedp.Click(chromedp.CSS(`#export-choice button`)),
		chromedp.WaitVisible(chromedp.CSS(`#export-download[href$="names=yes"]`)))
	if page := b.text(t, "main"); !strings.Contains(page, other) {
		t.Errorf("the review does not name the other pupil once chosen:\n%s", page)
	}
	if href := b.eval(t, `document.getElementById("export-download").getAttribute("href")`); !strings.HasSuffix(href, "/export.json?names=yes") {
		t.Errorf("the download is %s", href)
	}
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("export-download")))
	b.checkAxeAt(t, "the export's review on a laptop", "1280")
}
