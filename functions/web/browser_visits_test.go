package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// A home visit on a phone (360 px) through the local stack (rules V1-V8): the DSL plans it,
// the Senior DSL authorises it, and the two staff call ahead, set off, record the doorstep
// and check out, each step one big tap that posts and comes back to the visit's page.

func pinVisitClock(t *testing.T, local string) {
	t.Helper()
	at, err := time.ParseInLocation("2006-01-02 15:04", local, safeguarding.London)
	if err != nil {
		t.Fatal(err)
	}
	localStack.Clock().Pin(at)
	t.Cleanup(localStack.Clock().Release)
}

// tapBig taps a step's button after checking it is a big target across the screen: at least
// 48 px high and nearly the page's width, for a thumb on a phone held in one hand.
func tapBig(t *testing.T, b *browser, sel string) {
	t.Helper()
	size := b.eval(t, `(() => { const e = document.querySelector(`+jsString(sel)+`); if (!e) return "none";
		e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect();
		return JSON.stringify([Math.round(r.height), Math.round(r.width)]); })()`)
	if size == "none" {
		t.Fatalf("no %s to tap%s", sel, b.where())
	}
	var hw [2]int
	if err := json.Unmarshal([]byte(size), &hw); err != nil || hw[0] < 48 || hw[1] < 300 {
		t.Errorf("%s is %v (height, width) px: too small a target for a thumb", sel, size)
	}
	b.do(t, "tapping "+sel, chromedp.Click(chromedp.CSS(sel)))
}

// planOnPage fills in the open plan form for a visit on a day of March 2027 with staff and
// their line manager, sends it, and waits for the planned visit's page.
func planOnPage(t *testing.T, b *browser, staff []string, manager, day, start, end string) {
	t.Helper()
	var steps []chromedp.Action[chromedp.Void]
	for _, e := range staff {
		steps = append(steps, chromedp.Click(chromedp.CSS(`input[name="staff"][value="`+e+`"]`)))
	}
	steps = append(steps, chromedp.SetValue(chromedp.ID("line-manager"), manager),
		chromedp.SetValue(chromedp.ID("day"), day), chromedp.SetValue(chromedp.ID("month"), "3"), chromedp.SetValue(chromedp.ID("year"), "2027"),
		chromedp.SetValue(chromedp.ID("start"), start), chromedp.SetValue(chromedp.ID("end"), end),
		chromedp.SetValue(chromedp.ID("reason"), "No answer to three calls this week, and Alfie has not been seen since the closure began."))
	b.do(t, "planning the visit", steps...)
	tapBig(t, b, "#plan-button")
	b.do(t, "seeing the planned visit", chromedp.WaitVisible(chromedp.ID("done")))
}

// nothingKept checks that a page keeps nothing typed: it is the page the post redirected to,
// and no form of the page lets the browser remember what is typed in it.
func nothingKept(t *testing.T, b *browser, page string) {
	t.Helper()
	if q := b.eval(t, `location.search`); !strings.Contains(q, "done=") {
		t.Errorf("%s: the post did not redirect back (search %q)", page, q)
	}
	if n := b.eval(t, `String(document.querySelectorAll("main form:not([autocomplete=off])").length)`); n != "0" {
		t.Errorf("%s: %s forms let the browser remember what is typed", page, n)
	}
}

func TestRule_V1_V8_BrowserLocalStack_AHomeVisitOnAPhone(t *testing.T) {
	b := newBrowser(t)
	s := startLocalStack(t)
	var (
		dsl     = seed.Email("Daniel", "Reyes")
		head    = seed.Email("Helen", "Carter")
		tom     = seed.Email("Tom", "Hughes")
		priya   = seed.Email("Priya", "Shah")
		sam     = seed.Email("Sam", "Ellis")
		visits  = "/schools/" + string(seed.BrookLane) + "/visits"
		planned = "2027-03-01"
	)
	pinVisitClock(t, "2027-02-26 15:00")

	// The DSL plans it (V2): the Whitfields, Tom and Priya, Sam their line manager.
	signInAs(t, b, s.URL, dsl, visits+"/new?family=fam-02")
	b.do(t, "opening the plan", chromedp.WaitVisible(chromedp.ID("plan-form")))
	b.checkAxe(t, "the plan form")
	planOnPage(t, b, []string{tom, priya}, sam, "1", "10:00", "11:00")
	visit := b.eval(t, `location.pathname`)
	if !strings.HasPrefix(visit, visits+"/") || !strings.Contains(b.text(t, "#visit-status"), "Waiting for the Senior DSL") {
		t.Fatalf("after planning: %s %q%s", visit, b.text(t, "#visit-status"), b.where())
	}
	nothingKept(t, b, "the planned visit")
	b.checkAxe(t, "a planned visit")

	// The Senior DSL authorises it (V1), reading why a visit, and why now, beside the button.
	signInAs(t, b, s.URL, head, visit)
	b.do(t, "opening the visit", chromedp.WaitVisible(chromedp.ID("authorise-form")))
	if why := b.text(t, "#authorise-reason"); !strings.Contains(why, "Alfie has not been seen since the closure began") {
		t.Errorf("the Senior DSL does not see why the visit is planned: %q", why)
	}
	b.checkAxe(t, "the visit the Senior DSL authorises")
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("authorise-reason")))
	b.checkAxeAt(t, "the visit the Senior DSL authorises on a laptop", "1280")
	b.do(t, "a phone's width", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("authorise-form")))
	tapBig(t, b, "#authorise-button")
	b.do(t, "authorised", chromedp.WaitVisible(chromedp.ID("done")))
	if st := b.text(t, "#visit-status"); !strings.Contains(st, "Authorised") {
		t.Fatalf("status %q", st)
	}

	// Tom calls ahead (V3) and, on the day, sets off with Priya.
	signInAs(t, b, s.URL, tom, visit)
	b.do(t, "opening the visit", chromedp.WaitVisible(chromedp.ID("call-form")))
	if addr := b.text(t, "#visit-address"); addr == "" {
		t.Error("the staff going do not see the address (V2)")
	}
	b.do(t, "recording the call", chromedp.Click(chromedp.CSS(`#outcome`)))
	tapBig(t, b, "#call-button")
	b.do(t, "called", chromedp.WaitVisible(chromedp.ID("start-form")))
	nothingKept(t, b, "the visit after the call")
	pinVisitClock(t, planned+" 09:55")
	tapBig(t, b, "#start-button")
	b.do(t, "out on the visit", chromedp.WaitVisible(chromedp.ID("checkout-form")))
	if d := b.text(t, "#duty-team"); !strings.Contains(d, "01632 960100") {
		t.Errorf("the duty team's number is not shown (V5): %q", d)
	}
	b.checkAxe(t, "the visit in progress")

	// On the doorstep (V4): Alfie seen, Poppy not seen.
	b.do(t, "recording the doorstep",
		chromedp.Click(chromedp.ID("seen-bl-02")), chromedp.Click(chromedp.ID("not-seen-bl-03")),
		chromedp.SendKeys(chromedp.ID("notes-bl-03"), "Mum said she was asleep."))
	tapBig(t, b, "#doorstep-button")
	b.do(t, "doorstep saved", chromedp.WaitVisible(chromedp.ID("doorstep-record")))
	if rec := b.text(t, "#doorstep-record"); !strings.Contains(rec, "Alfie Whitfield: Seen") || !strings.Contains(rec, "Poppy Whitfield: Not seen") {
		t.Errorf("doorstep record %q", rec)
	}
	if v := b.eval(t, `String(document.querySelector("#notes-bl-03"))`); v != "null" {
		t.Error("the doorstep form is still on the page with what was typed")
	}
	nothingKept(t, b, "the visit after the doorstep")

	// They leave and check out in time (V8).
	pinVisitClock(t, planned+" 10:55")
	tapBig(t, b, "#checkout-button")
	// The page before already says "done" (the doorstep's): wait for the one the check-out leads to.
	waitFor(t, b, "the visit checked out", `(() => { const s = document.getElementById("visit-status"); return document.readyState === "complete" && !!s && s.innerText.includes("Checked out"); })()`)
	nothingKept(t, b, "the visit after the check-out")
	b.checkAxe(t, "a visit checked out")

	// That evening Tom writes the observations (V4, V6): the page then shows them, as written.
	pinVisitClock(t, planned+" 18:07")
	b.do(t, "writing the observations", chromedp.WaitVisible(chromedp.ID("observations-form")),
		chromedp.SendKeys(chromedp.ID("emotional-bl-02"), "Smiling and chatty."),
		chromedp.SendKeys(chromedp.ID("physical-bl-02"), "Clean clothes, looked well."),
		chromedp.SendKeys(chromedp.ID("adults-emotional"), "Mum tired but friendly."))
	tapBig(t, b, "#observations-button")
	b.do(t, "the observations saved", chromedp.WaitVisible(chromedp.ID("visit-observations")))
	obs := b.text(t, "#visit-observations")
	for _, want := range []string{"Alfie Whitfield", "Smiling and chatty.", "Clean clothes, looked well.", "Poppy Whitfield", "The adults", "Mum tired but friendly."} {
		if !strings.Contains(obs, want) {
			t.Errorf("the observations on the page lack %q: %q", want, obs)
		}
	}
	if strings.Contains(b.text(t, "main"), "Recorded 18:07") {
		t.Error("the page says when the observations were recorded rather than what they say")
	}
	if w := b.eval(t, `String(document.documentElement.scrollWidth)`); w != "360" {
		t.Errorf("the observations do not fit a phone: the page is %s px wide", w)
	}
	b.checkAxe(t, "the visit with its observations")
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("visit-observations")))
	b.checkAxeAt(t, "the visit with its observations on a laptop", "1280")
}

// On a phone, the DSL calls off a visit that has not started: the reason is asked for, then
// the visit says it is cancelled, by whom and why, and offers no step.
func TestBrowserLocalStack_ADSLCancelsAVisit(t *testing.T) {
	b := newBrowser(t)
	s := startLocalStack(t)
	var (
		dsl    = seed.Email("Daniel", "Reyes")
		tom    = seed.Email("Tom", "Hughes")
		priya  = seed.Email("Priya", "Shah")
		sam    = seed.Email("Sam", "Ellis")
		visits = "/schools/" + string(seed.BrookLane) + "/visits"
	)
	pinVisitClock(t, "2027-02-26 15:30")
	signInAs(t, b, s.URL, dsl, visits+"/new?family=fam-02")
	b.do(t, "opening the plan", chromedp.WaitVisible(chromedp.ID("plan-form")))
	planOnPage(t, b, []string{tom, priya}, sam, "3", "14:00", "15:00")

	b.do(t, "cancelling without a reason", chromedp.Click(chromedp.CSS("#cancel summary")),
		chromedp.WaitVisible(chromedp.ID("cancel-button")), chromedp.Click(chromedp.ID("cancel-button")),
		chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	if got := b.text(t, ".govuk-error-summary"); !strings.Contains(got, "Say why the visit is cancelled") {
		t.Errorf("the error summary says %q", got)
	}
	b.checkAxe(t, "the cancel form with a problem")
	b.do(t, "cancelling with a reason", chromedp.SendKeys(chromedp.ID("cancel-reason"), "The family moved away"),
		chromedp.Click(chromedp.ID("cancel-button")), chromedp.WaitVisible(chromedp.ID("done")))
	if got := b.text(t, "#visit-cancelled"); !strings.Contains(got, "Daniel Reyes") || !strings.Contains(got, "The family moved away") {
		t.Errorf("the visit says %q", got)
	}
	if n := b.eval(t, `String(document.querySelectorAll("main form").length)`); n != "0" {
		t.Errorf("a cancelled visit offers %s forms", n)
	}
	nothingKept(t, b, "the cancelled visit")
	b.checkAxe(t, "a cancelled visit")
}
