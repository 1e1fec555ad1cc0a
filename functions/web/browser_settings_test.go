package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
)

// Rules V5, C5, E1 and P1 in a browser, on a phone and a laptop: Helen Carter, the Senior DSL,
// changes the duty team's number (a number she mistypes first is named at its field) and the
// LADO's; the key contacts page gives the new numbers. She then ticks Tom Hughes as a teacher of
// Saplings, by name, and Tom, who had only Acorns, now chooses Saplings and marks a family of it.
func TestRule_V5_C5_E1_P1_BrowserPages_TheSeniorDSLSetsTheNumbersAndAClassTeacher(t *testing.T) {
	w := withFamilies(t)
	at := apitest.At("10:00")
	srv := httptest.NewServer(httpHandler(w.h, func() time.Time { return at }))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	base := srv.URL + "/schools/" + school
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(head)))

	// On a phone: the settings, a mistyped number named at its field, then saved.
	b.do(t, "opening the settings", chromedp.Navigate(base+"/settings"), chromedp.WaitVisible(chromedp.ID("settings-form")))
	b.checkAxe(t, "the settings")
	if got := b.eval(t, `document.getElementById("governor").selectedOptions[0].textContent`); got != "Martin Doyle" {
		t.Errorf("the safeguarding governor is shown as %q", got)
	}
	b.do(t, "mistyping the duty team's number", chromedp.SetValue(chromedp.ID("duty-team-number"), "duty team"))
	b.do(t, "saving", chromedp.Click(chromedp.ID("save-settings")), chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	if s := b.text(t, ".govuk-error-summary"); !strings.Contains(s, "Enter the duty team's number as a UK phone number") {
		t.Errorf("the error summary: %q", s)
	}
	if href := b.eval(t, `document.querySelector(".govuk-error-summary a").getAttribute("href")`); href != "#duty-team-number" {
		t.Errorf("the summary links to %q", href)
	}
	if got := b.text(t, "#duty-team-number-error"); !strings.Contains(got, "UK phone number") {
		t.Errorf("the field's error: %q", got)
	}
	b.checkAxe(t, "the settings with a problem")
	b.do(t, "correcting the numbers", chromedp.SetValue(chromedp.ID("duty-team-number"), "01632 960555"),
		chromedp.SetValue(chromedp.ID("lado-number"), "01632960777"))
	submitAndWait(t, b, "#save-settings", "saving the settings")
	if got := b.eval(t, `document.getElementById("duty-team-number").value`); got != "01632 960555" {
		t.Errorf("the saved number is %q", got)
	}
	b.checkAxe(t, "the settings saved")

	// On a laptop: the key contacts, then the classes.
	b.do(t, "a 1280 px screen", chromedp.EmulateViewport(1280, 800), chromedp.Navigate(base+"/key-contacts"), chromedp.WaitVisible(chromedp.ID("key-contacts")))
	if got := b.text(t, "#duty-team"); !strings.Contains(got, "01632 960555") {
		t.Errorf("the key contacts give the duty team as %q", got)
	}
	if got := b.text(t, "#lado"); !strings.Contains(got, "01632 960777") {
		t.Errorf("the key contacts give the LADO as %q", got)
	}
	b.checkAxeAt(t, "the key contacts", "1280")
	b.do(t, "the settings on a laptop", chromedp.Navigate(base+"/settings"), chromedp.WaitVisible(chromedp.ID("settings-form")))
	if wd := b.eval(t, `String(Math.round(document.getElementById("duty-team-number").getBoundingClientRect().width))`); wd == "0" {
		t.Error("the duty team's number is not shown at 1280 px")
	}
	b.checkAxeAt(t, "the settings", "1280")
	b.do(t, "opening the classes", chromedp.Navigate(base+"/classes"), chromedp.WaitVisible(chromedp.ID("form-class-1")))
	if got := b.text(t, "#form-class-1 legend"); got != "Saplings" {
		t.Fatalf("the second class is %q", got)
	}
	b.checkAxeAt(t, "the classes", "1280")
	label := b.eval(t, `(() => { const i = document.querySelector('#form-class-1 input[value="`+teacher+`"]');
		return i ? document.querySelector('label[for="' + i.id + '"]').textContent : "none"; })()`)
	if label != "Tom Hughes" {
		t.Fatalf("Tom's box is labelled %q", label)
	}
	b.do(t, "ticking Tom", chromedp.Click(chromedp.CSS(`#form-class-1 input[value="`+teacher+`"]`)))
	submitAndWait(t, b, "#form-class-1 button", "saving Saplings")
	if got := b.text(t, "#class-1-hint"); !strings.Contains(got, "Tom Hughes") {
		t.Errorf("Saplings is %q", got)
	}
	b.checkAxeAt(t, "the classes saved", "1280")

	// Tom, on a phone, now chooses between his two classes and marks a Saplings family.
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(teacher)))
	b.do(t, "a phone again", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(base+"/acknowledgements"), chromedp.WaitVisible(chromedp.ID("classes")))
	b.checkAxe(t, "Tom's classes")
	tapTarget(t, b, `#classes a[href$="class=Saplings"]`)
	b.do(t, "opening Saplings", chromedp.WaitVisible(chromedp.ID("class-sheet")))
	if h := b.text(t, "main h1"); h != "Acknowledgements: Saplings" {
		t.Fatalf("the sheet is %q", h)
	}
	tapTarget(t, b, `label[for="ack-fam-02-thumbs-up"]`)
	submitAndWait(t, b, "#save-acknowledgements", "saving the sheet")
	if got := b.text(t, "#done"); !strings.Contains(got, "Saved") {
		t.Errorf("after saving: %q", got)
	}
	b.checkAxe(t, "the Saplings sheet saved")
}
