package main

import (
	"crypto/rand"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Rule S5 in a browser, on a phone and a laptop: Daniel Reyes, a DSL of Brook Lane, records
// from a pupil's chronology that they moved (a school outside the federation without its DSL's
// email is refused in plain words at the field), chooses Hillcrest Juniors by name, and sends
// the file from the transfers page; Chloe Adams, a DSL of Hillcrest, confirms its receipt on
// hers. Every page is checked with axe.
func TestRule_S5_BrowserPages_ADSLRecordsAMoveSendsTheFileAndTheNewSchoolConfirmsIt(t *testing.T) {
	w := newWorld(t)
	w.h.Transfers = transfers.Transfers{Store: w.st, NewID: store.NewID, Random: rand.Reader, Calendar: calendar.EnglandAndWales()}
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.do(t, "a phone's width", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(dsl)))

	b.do(t, "opening the chronology", chromedp.Navigate(srv.URL+"/schools/brook-lane/pupils/bl-01/chronology"), chromedp.WaitVisible(chromedp.ID("record-move")))
	tapTarget(t, b, "#record-move")
	b.do(t, "opening the form", chromedp.WaitVisible(chromedp.ID("move")))
	b.checkAxe(t, "the form that records a move")

	tapTarget(t, b, "#where-outside")
	b.do(t, "naming a school outside", chromedp.WaitVisible(chromedp.ID("to-school-name")), chromedp.SendKeys(chromedp.ID("to-school-name"), "St Anne's"))
	tapTarget(t, b, "#record-move-button")
	waitFor(t, b, "the problem", `!!document.getElementById("to-dsl-email-error")`)
	if got := b.text(t, "#to-dsl-email-error"); !strings.Contains(got, "email of the new school's designated safeguarding lead") {
		t.Errorf("the missing email: %q", got)
	}
	b.checkAxe(t, "the form with a problem")

	tapTarget(t, b, "#where-federation")
	b.do(t, "choosing Hillcrest", chromedp.WaitVisible(chromedp.ID("to-school")), chromedp.SetValue(chromedp.ID("to-school"), "hillcrest"))
	if got := b.text(t, "#to-school"); !strings.Contains(got, "Hillcrest Juniors") || strings.Contains(got, "Brook Lane") {
		t.Errorf("the schools offered: %q", got)
	}
	submitAndWait(t, b, "#record-move-button", "recording the move")
	if got := b.text(t, "#transfers"); !strings.Contains(got, "To Hillcrest Juniors") || !strings.Contains(got, "To send") || !strings.Contains(got, "Due by") {
		t.Errorf("the transfers after recording: %q", got)
	}
	b.checkAxe(t, "the transfers with one to send")
	submitAndWait(t, b, "#transfers button[id^=send-]", "sending the file")
	if got := b.text(t, "#transfers"); !strings.Contains(got, "Sent, not yet confirmed") {
		t.Errorf("the transfers after sending: %q", got)
	}

	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900))
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(seed.Email("Chloe", "Adams"))))
	b.do(t, "opening Hillcrest's transfers", chromedp.Navigate(srv.URL+"/schools/hillcrest/transfers"), chromedp.WaitVisible(chromedp.ID("transfers")))
	if got := b.text(t, "#transfers"); !strings.Contains(got, "From Brook Lane") {
		t.Errorf("Hillcrest's transfers: %q", got)
	}
	b.checkAxeAt(t, "the transfers to confirm on a laptop", "1280")
	submitAndWait(t, b, "#transfers button[id^=receipt-]", "confirming the receipt")
	if got := b.text(t, "#transfers"); !strings.Contains(got, "Received") {
		t.Errorf("after the receipt: %q", got)
	}
	b.checkAxeAt(t, "the transfers after the receipt", "1280")
}
