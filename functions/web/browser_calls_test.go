package main

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// Rules P3, H2, H3 on a phone, through the local stack: Tom Hughes, designated for closure
// contact at Brook Lane in the demo, opens the families to call and the Mensah family's call
// screen (its numbers, dialled with 141, and the reminder to withhold his number), records an
// unanswered attempt, then an answered call: an empty record names every missing field, a
// full one is recorded and the page comes back empty. Priya Shah, not designated, is shown
// nothing.
func TestRule_H3_BrowserLocalStack_CallThisFamilyOnAPhone(t *testing.T) {
	s := startLocalStack(t) // first: the browser's deadline starts with it
	b := newBrowser(t)
	school := "/schools/" + string(seed.BrookLane)
	screen := school + "/families/fam-09/call"

	signInAs(t, b, s.URL, seed.Email("Tom", "Hughes"), school+"/calls")
	b.do(t, "opening the families to call", chromedp.WaitVisible(chromedp.ID("call-families")))
	if list := b.text(t, "#call-families"); !strings.Contains(list, "Kofi Mensah") || strings.Contains(list, "07700") {
		t.Errorf("the list of families to call: %q", list)
	}
	b.checkAxe(t, "the families to call")

	b.do(t, "opening the call screen", chromedp.Click(chromedp.CSS(`a[href="`+screen+`"]`)), chromedp.WaitVisible(chromedp.ID("call-numbers")))
	numbers := b.text(t, "#call-numbers")
	if !strings.Contains(numbers, "07700 900116") || !strings.Contains(numbers, "07700 900117") {
		t.Errorf("the numbers: %q", numbers)
	}
	if href := b.eval(t, `document.getElementById("dial-0").getAttribute("href")`); href != "tel:14107700900116" {
		t.Errorf("the first number dials %q, want it withheld with 141", href)
	}
	if r := b.text(t, "#withhold-reminder"); !strings.Contains(r, "141") {
		t.Errorf("the reminder: %q", r)
	}
	// Big targets: the dial buttons are at least 44 px high (WCAG 2.5.5).
	if h, _ := strconv.ParseFloat(b.eval(t, `String(document.getElementById("dial-0").getBoundingClientRect().height)`), 64); h < 44 {
		t.Errorf("the dial button is %.0f px high", h)
	}
	// Nothing typed stays in the browser: no autocomplete on the forms.
	if ac := b.eval(t, `[...document.querySelectorAll("form#call-record, form#call-attempt")].map(f => f.getAttribute("autocomplete")).join(",")`); ac != "off,off" {
		t.Errorf("the forms' autocomplete: %q", ac)
	}
	b.checkAxe(t, "the call screen")

	b.do(t, "recording no answer",
		chromedp.Click(chromedp.ID("outcome")),
		chromedp.Click(chromedp.ID("call-attempt-button")),
		chromedp.WaitVisible(chromedp.ID("done")))
	if d := b.text(t, "#done"); !strings.Contains(d, "attempt recorded") {
		t.Errorf("after the attempt: %q", d)
	}

	b.do(t, "sending an empty call record",
		chromedp.Click(chromedp.ID("call-record-button")),
		chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	summary := b.text(t, ".govuk-error-summary")
	for _, want := range []string{"who you spoke to", "how you identified them", "agreed parent or carer", "worries", "background",
		"how contact will continue", "still happy to be contacted"} {
		if !strings.Contains(strings.ToLower(summary), want) {
			t.Errorf("the error summary does not name %q:\n%s", want, summary)
		}
	}
	b.checkAxe(t, "the call record with problems")

	next := time.Now().In(time.UTC).AddDate(0, 0, 7).Format(time.DateOnly)
	due := time.Now().In(time.UTC).AddDate(0, 0, 2).Format(time.DateOnly)
	b.do(t, "recording the answered call",
		chromedp.SendKeys(chromedp.ID("spoken-to"), "Abena Mensah, mother"),
		chromedp.SendKeys(chromedp.ID("identified-by"), "Agreed carer on the form; gave Kofi's date of birth"),
		chromedp.Click(chromedp.ID("agreed-carer")),
		chromedp.Click(chromedp.ID("is-ok")),
		chromedp.SendKeys(chromedp.ID("worries"), "none"),
		chromedp.SendKeys(chromedp.ID("background"), "Children laughing"),
		chromedp.SendKeys(chromedp.ID("quote-speaker-0"), "Kofi"),
		chromedp.SendKeys(chromedp.ID("quote-words-0"), "I read two books"),
		chromedp.SendKeys(chromedp.ID("action-description-0"), "Post the next reading book"),
		chromedp.SetValue(chromedp.ID("action-assignee-0"), seed.Email("Priya", "Shah")),
		chromedp.SetValue(chromedp.ID("action-due-date-0"), due),
		chromedp.SendKeys(chromedp.ID("action-due-time-0"), "15:00"),
		chromedp.SendKeys(chromedp.ID("further-contact"), "A call each week on Mum's mobile"),
		chromedp.Click(chromedp.ID("happy")),
		chromedp.SetValue(chromedp.ID("next-call-date"), next),
		chromedp.SendKeys(chromedp.ID("next-call-time"), "10:00"),
		chromedp.Click(chromedp.ID("call-record-button")),
		chromedp.WaitVisible(chromedp.ID("done")))
	if d := b.text(t, "#done"); !strings.Contains(d, "Call recorded") {
		t.Errorf("after the call: %q", d)
	}
	// Redirected after the post: the page is a fresh GET, its form empty.
	if loc := b.eval(t, `location.pathname + location.search`); loc != screen+"?done=call" {
		t.Errorf("after the post the browser is at %q", loc)
	}
	if v := b.eval(t, `document.getElementById("spoken-to").value + document.getElementById("worries").value`); v != "" {
		t.Errorf("the form still holds %q", v)
	}

	signInAs(t, b, s.URL, seed.Email("Priya", "Shah"), screen)
	if h := b.text(t, "main h1"); !strings.Contains(h, "Page not found") {
		t.Errorf("staff not designated see %q", h)
	}
	if strings.Contains(b.eval(t, `document.body.innerText`), "07700") {
		t.Error("staff not designated are shown a number")
	}
}
