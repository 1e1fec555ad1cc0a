package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Rule S7: "Records to review" on a phone (360 px, nothing wider than the screen): the Senior
// DSL places a legal hold on Jordan Hale's records (a reason forgotten first, then given), sees
// him marked among the held, and lifts it; every state passes axe.
func TestRule_S7_BrowserPages_RecordsToReviewOnAPhone(t *testing.T) {
	w := retentionWorld(t)
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(head)))
	page := srv.URL + "/schools/" + school + "/retention?before=2027-02-28"
	b.do(t, "opening the list", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("retention-list")))
	b.checkAxe(t, "the records to review")
	if wide := b.eval(t, `String(document.documentElement.scrollWidth > 360)`); wide != "false" {
		t.Error("the page is wider than a phone")
	}
	if list := b.text(t, "#retention-list"); !strings.Contains(list, "Riley Stone") || !strings.Contains(list, "Jordan Hale") {
		t.Errorf("the list: %s", list)
	}
	jordan := "brook-lane-former-01"
	b.do(t, "a hold without a reason", chromedp.Click(chromedp.ID("hold-summary-"+jordan)), chromedp.WaitVisible(chromedp.ID("hold-button-"+jordan)),
		chromedp.Click(chromedp.ID("hold-button-"+jordan)), chromedp.WaitVisible(chromedp.ID("reason-"+jordan+"-error")))
	b.checkAxe(t, "the list with a problem")
	b.do(t, "the hold with its reason", chromedp.SetValue(chromedp.ID("reason-"+jordan), "Family court proceedings"),
		chromedp.Click(chromedp.ID("hold-button-"+jordan)), chromedp.WaitVisible(chromedp.ID("done")))
	b.checkAxe(t, "the list after a hold")
	if list := b.text(t, "#retention-list"); !strings.Contains(list, "Legal hold") || !strings.Contains(list, "Family court proceedings") {
		t.Errorf("the held ones: %s", list)
	}
	// The page after the hold has its own "done" message: wait for the next page, not that one.
	b.do(t, "lifting it", chromedp.Click(chromedp.ID("hold-summary-"+jordan)), chromedp.WaitVisible(chromedp.ID("lift-button-"+jordan)),
		chromedp.SetValue(chromedp.ID("reason-"+jordan), "Proceedings ended"))
	submitAndWait(t, b, "#lift-button-"+jordan, "the list after the lift")
	if done := b.text(t, "#done"); !strings.Contains(done, "lifted") {
		t.Errorf("after the lift: %s", done)
	}
}
