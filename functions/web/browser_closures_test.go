package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// Rules E0, E3 and V5 through the local stack, on a phone and a laptop: Helen Carter, Brook
// Lane's Senior DSL, starts a full closure on the calendar page; on its 7th school day the
// schedule logs the families never heard from MISSING; Daniel Reyes, a DSL, finds their calls
// in his work and the families view; Tom Hughes, designated for closure contact, takes a call
// on its call screen, which has the duty team's number one tap away, and raises an immediate
// concern.
func TestRule_E0_E3_V5_BrowserLocalStack_AClosureOnAPhoneAndALaptop(t *testing.T) {
	s := startLocalStack(t) // before the browser, whose time limit starts with it
	b := newBrowser(t)
	school := "/schools/" + string(seed.BrookLane)
	screen := school + "/families/fam-01/call"

	pinStackClock(t, "2027-01-08 16:00")
	signInAs(t, b, s.URL, seed.Email("Helen", "Carter"), school+"/calendar")
	b.do(t, "opening the calendar", chromedp.WaitVisible(chromedp.ID("start-closure")))
	b.checkAxe(t, "the calendar with the closure form")
	b.do(t, "entering the first day", chromedp.SetValue(chromedp.ID("closure-from"), "2027-01-11"))
	submitAndWait(t, b, "#start-closure-button", "starting the closure")
	if got := b.text(t, "#closure-status"); !strings.Contains(got, "in a full closure since Monday 11 January 2027") {
		t.Errorf("the closure on the calendar: %q", got)
	}
	b.checkAxe(t, "the calendar in a closure")

	pinStackClock(t, "2027-01-19 05:30")
	familiesAPIPost(t, s.URL, "", "/dev/schedules/escalation/run", nil)
	pinStackClock(t, "2027-01-19 09:00")
	signInAs(t, b, s.URL, seed.Email("Daniel", "Reyes"), school+"/work")
	b.do(t, "opening his work", chromedp.WaitVisible(chromedp.ID("work-calls")))
	if got := b.eval(t, `document.querySelector('#work-calls a[href="`+screen+`"]') ? "yes" : "no"`); got != "yes" {
		t.Errorf("the DSL's work has no link to the Ahmeds' call screen:\n%s", b.text(t, "#work-calls"))
	}
	b.checkAxe(t, "the work list with calls")
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(s.URL+school+"/families"), chromedp.WaitVisible(chromedp.ID("families")))
	if got := b.text(t, "#closure-status"); !strings.Contains(got, "full closure since Monday 11 January 2027") {
		t.Errorf("the families view in a closure: %q", got)
	}
	b.checkAxeAt(t, "the families view in a closure on a laptop", "1280")
	noNumbersOnScreen(t, b, "the families view in a closure")

	b.do(t, "a phone's width", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch))
	signInAs(t, b, s.URL, seed.Email("Tom", "Hughes"), screen)
	b.do(t, "opening the call screen", chromedp.WaitVisible(chromedp.ID("call-duty-team")))
	if href := b.eval(t, `document.getElementById("call-duty-team").getAttribute("href")`); href != "tel:01632960100" {
		t.Errorf("the duty team button dials %q", href)
	}
	b.checkAxe(t, "the call screen in a closure")
	submitAndWait(t, b, "#take-call", "taking the call")
	if got := b.text(t, "#done"); !strings.Contains(got, "The call is yours") {
		t.Errorf("after taking the call: %q", got)
	}
	b.do(t, "writing the concern", chromedp.SendKeys(chromedp.ID("immediate-details"), "Shouting in the background; a child crying."))
	submitAndWait(t, b, "#immediate-concern-button", "raising the concern")
	if got := b.text(t, "#done"); !strings.Contains(got, "High-priority concern recorded") {
		t.Errorf("after the concern: %q", got)
	}
	b.checkAxe(t, "the call screen after the concern")
}
