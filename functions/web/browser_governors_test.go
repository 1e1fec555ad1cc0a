package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
)

// Rule P2: a governor's home on a phone (360 px, nothing wider than the screen, axe clean): the
// concern routed to them, the link to the governors' report, and a menu of links that open.
func TestRule_P2_BrowserPages_AGovernorsHomeOnAPhone(t *testing.T) {
	w := newWorld(t)
	_, plainRef, routedLink, routedRef := governorSeed(t, w)
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(apitest.Martin)))
	b.do(t, "opening the governors' home", chromedp.Navigate(srv.URL+"/schools/"+school+"/governors"), chromedp.WaitVisible(chromedp.ID("routed-concerns")))
	b.checkAxe(t, "the governors' home")
	if wide := b.eval(t, `String(document.documentElement.scrollWidth > 360)`); wide != "false" {
		t.Error("the page is wider than a phone")
	}
	if list := b.text(t, "#routed-concerns"); !strings.Contains(list, routedRef) || strings.Contains(list, plainRef) {
		t.Errorf("the routed concerns: %s", list)
	}
	if link := b.text(t, "#governors-report"); link != "The governors' report for this term" {
		t.Errorf("the report's link: %q", link)
	}
	b.do(t, "opening the routed concern", chromedp.Navigate(srv.URL+routedLink), chromedp.WaitVisible(chromedp.ID("main-content")))
	if h1 := b.text(t, "h1"); strings.Contains(h1, "Page not found") {
		t.Errorf("the routed concern: %s", h1)
	}
	b.checkAxe(t, "the routed concern for a governor")
}
