package main

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
)

// The browser tests of a concern's life after it is recorded: the reporter's status (D7),
// corrections (P4), attachments (C6) and the school's categories (C2), on a phone through the
// local stack.

// waitAlert waits for an alert the local SNS received after the first `after`, of kind to
// recipient.
func waitAlert(t *testing.T, s *stack.Stack, after int, kind, recipient string) stack.Alert {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // the stream, the alerts function, SNS: slower on a busy machine
	for {
		for _, a := range s.Alerts()[after:] {
			if a.Attributes["kind"] == kind && a.Attributes["recipient"] == recipient {
				return a
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s alert to %s after a minute: %+v (dead letters: %+v)", kind, recipient, s.Alerts()[after:], s.DeadLetters())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Rule D7 on a phone: the teacher sees their concern not yet opened; the DSL opens it; the
// teacher sees it opened, never the case work, and asks for an update, which emails the DSL.
func TestRule_D7_BrowserLocalStack_ReporterStatusAndAskForAnUpdate(t *testing.T) {
	b := newBrowser(t)
	s := startLocalStack(t)
	var (
		teacher = seed.Email("Tom", "Hughes")
		dsl     = seed.Email("Daniel", "Reyes")
		concern = "/schools/" + string(seed.BrookLane) + "/concerns/" + apiConcern(t, s.URL, teacher)
	)
	signInAs(t, b, s.URL, teacher, concern)
	b.do(t, "opening the concern", chromedp.WaitVisible(chromedp.ID("progress")))
	if got := b.text(t, "#progress-opened"); !strings.Contains(got, "Not yet") {
		t.Errorf("before the DSL opened it, the reporter sees %q", got)
	}
	b.checkAxe(t, "the reporter's concern page")

	signInAs(t, b, s.URL, dsl, concern)
	b.do(t, "the DSL opening it", chromedp.WaitVisible(chromedp.ID("case-work")))

	signInAs(t, b, s.URL, teacher, concern)
	b.do(t, "opening the concern again", chromedp.WaitVisible(chromedp.ID("progress")))
	if got := b.text(t, "#progress-opened"); !strings.Contains(got, "Yes") {
		t.Errorf("after the DSL opened it, the reporter sees %q", got)
	}
	if b.eval(t, `document.getElementById("case-work") ? "yes" : "no"`) != "no" {
		t.Error("the reporter sees the case work")
	}
	before := len(s.Alerts())
	b.do(t, "asking for an update", chromedp.Click(chromedp.ID("ask-update")), chromedp.WaitVisible(chromedp.ID("done")))
	if got := b.text(t, "#done"); !strings.Contains(got, "asked for an update") {
		t.Errorf("after asking, the page says %q", got)
	}
	b.checkAxe(t, "the reporter's page after asking for an update")
	a := waitAlert(t, s, before, "update-requested", dsl)
	if strings.Contains(a.Message, "shoes") || strings.Contains(a.Message, "Kowalski") {
		t.Errorf("the alert holds personal data: %q", a.Message)
	}
}
