package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
)

// Rule C9: the attendance page on a phone (360 px: one block a pupil) and a laptop (1280 px:
// a table), a lower figure asked for, and one the list does not take.
func TestRule_C9_BrowserPages_TheAttendancePageOnAPhoneAndALaptop(t *testing.T) {
	w := newWorld(t)
	names, byOffice, _ := attendanceSeed(t, w)
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(apitest.Grace)))
	page := srv.URL + "/schools/" + school + "/attendance"
	b.do(t, "opening the attendance page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("attendance-list")))
	b.checkAxe(t, "the attendance page")
	if b.eval(t, `String(getComputedStyle(document.getElementById("attendance-table")).display)`) != "none" {
		t.Error("the table shows on a phone")
	}
	if list := b.text(t, "#attendance-list"); !strings.Contains(list, names["bl-01"]) || !strings.Contains(list, byOffice) ||
		!strings.Contains(list, "A reason was logged on 1 June 2026.") {
		t.Errorf("the list: %s", list)
	}
	b.do(t, "a figure the list does not take", chromedp.SetValue(chromedp.ID("below"), "95"), chromedp.Click(chromedp.ID("show-pupils")),
		chromedp.WaitVisible(chromedp.ID("below-error")))
	b.checkAxe(t, "the attendance page with a problem")
	b.do(t, "below 80%", chromedp.SetValue(chromedp.ID("below"), "80"), chromedp.Click(chromedp.ID("show-pupils")),
		chromedp.WaitVisible(chromedp.ID("attendance-list")))
	if list := b.text(t, "#attendance-list"); !strings.Contains(list, names["bl-02"]) || strings.Contains(list, names["bl-01"]) {
		t.Errorf("below 80%%: %s", list)
	}
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("attendance-table")))
	b.checkAxeAt(t, "the attendance page on a laptop", "1280")
	if b.eval(t, `String(getComputedStyle(document.getElementById("attendance-list")).display)`) != "none" {
		t.Error("the list shows beside the table on a laptop")
	}
	if table := b.text(t, "#attendance-table"); !strings.Contains(table, names["bl-01"]) || !strings.Contains(table, "84.5%") {
		t.Errorf("the table: %s", table)
	}
}
