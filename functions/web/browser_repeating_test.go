package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Rules D1, D3 and D5 on a phone (360 px) and a laptop (1280 px): the dashboard marks a concern
// no DSL has acted on as overdue; on the concern's page a DSL adds weekly monitoring, which says
// it repeats, and ends it with the reason.
func TestRule_D1_D3_D5_BrowserPages_OverdueConcernsAndRepeatingMonitoring(t *testing.T) {
	w := newWorld(t)
	concern := recorded(t, w.h) // recorded on 1 June 2026: long overdue now
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(dsl)))

	dashboard := srv.URL + "/schools/brook-lane/concerns"
	b.do(t, "opening the dashboard", chromedp.Navigate(dashboard), chromedp.WaitVisible(chromedp.ID("dashboard")))
	if got := b.text(t, "#dashboard"); !strings.Contains(got, "No action by 1 June 2026 at 17:00") {
		t.Errorf("the dashboard: %s", got)
	}
	b.checkAxe(t, "the dashboard with an overdue concern")

	b.do(t, "opening the concern", chromedp.Navigate(srv.URL+concern), chromedp.WaitVisible(chromedp.ID("case-work")))
	b.do(t, "adding weekly monitoring for Priya Shah",
		chromedp.Click(chromedp.ID("action-type-monitoring")),
		chromedp.SetValue(chromedp.ID("assignee"), staff),
		chromedp.SetValue(chromedp.ID("frequency"), "weekly"),
		chromedp.SendKeys(chromedp.ID("action-notes"), "Check Chidi has eaten at lunch."),
		chromedp.Click(chromedp.ID("add-action-button")),
		chromedp.WaitVisible(chromedp.ID("done")))
	actions := b.text(t, "#actions")
	for _, want := range []string{"Monitoring", "Repeats", "Every week, until a designated safeguarding lead ends it", "End monitoring"} {
		if !strings.Contains(actions, want) {
			t.Errorf("the actions lack %q:\n%s", want, actions)
		}
	}
	b.checkAxe(t, "the concern page with repeating monitoring")
	id := strings.TrimPrefix(b.eval(t, `(() => { const li = document.querySelector("#actions li.app-action"); return li ? li.id : ""; })()`), "action-")
	// The page again, without the confirmation, so that the next one is the ending's.
	b.do(t, "opening the concern again", chromedp.Navigate(srv.URL+concern), chromedp.WaitVisible(chromedp.ID("case-work")))
	b.do(t, "ending the monitoring",
		chromedp.Click(chromedp.CSS(`#action-`+id+` details:has(form[action$="/end"]) summary`)),
		chromedp.WaitVisible(chromedp.ID("end-reason-"+id)),
		chromedp.SendKeys(chromedp.ID("end-reason-"+id), "Eating well for three weeks."),
		chromedp.Click(chromedp.ID("end-"+id)),
		chromedp.WaitVisible(chromedp.ID("done")))
	if got := b.text(t, "#action-"+id); !strings.Contains(got, "Ended because") || !strings.Contains(got, "Eating well for three weeks.") {
		t.Errorf("the ended action: %s", got)
	}
	b.checkAxe(t, "the concern page after ending monitoring")

	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+concern), chromedp.WaitVisible(chromedp.ID("case-work")))
	b.checkAxeAt(t, "the concern page on a laptop", "1280")
	b.do(t, "the dashboard on a laptop", chromedp.Navigate(dashboard), chromedp.WaitVisible(chromedp.ID("dashboard")))
	if got := b.text(t, "#dashboard"); strings.Contains(got, "No action by") {
		t.Errorf("a concern with an action is still overdue: %s", got)
	}
	b.checkAxeAt(t, "the dashboard on a laptop", "1280")
}
