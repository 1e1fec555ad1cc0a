package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rules P1, S4: on a phone (360 px: one block a person) the Senior DSL adds a member of staff
// with their roles, sees them on the list by name, and on a laptop (1280 px: a table) opens
// their page to change their roles; every page passes axe.
func TestRule_P1_S4_BrowserPages_TheSeniorDSLAddsAMemberOfStaffOnAPhoneAndALaptop(t *testing.T) {
	w, pool := withStaff(t)
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(head)))
	page := srv.URL + "/schools/" + school + "/staff"
	b.do(t, "opening the staff page", chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("staff-list")))
	b.checkAxe(t, "the staff page")
	if b.eval(t, `String(getComputedStyle(document.getElementById("staff-table")).display)`) != "none" {
		t.Error("the table shows on a phone")
	}
	b.do(t, "a form with a problem", chromedp.Click(chromedp.ID("add-staff-button")), chromedp.WaitVisible(chromedp.ID("name-error")))
	b.checkAxe(t, "the staff page with problems")
	b.do(t, "adding a member of staff",
		chromedp.SetValue(chromedp.ID("name"), "Nina Okafor"),
		chromedp.SetValue(chromedp.ID("email"), "nina.okafor@brook-lane.example"),
		chromedp.SetValue(chromedp.ID("mobile"), "07700 900456"),
		chromedp.Click(chromedp.ID("role-teacher")))
	submitAndWaitFor(t, b, "#add-staff-button", "the list after adding", "staff-list")
	if list := b.text(t, "#staff-list"); !strings.Contains(list, "Nina Okafor") || !strings.Contains(list, "Teacher") {
		t.Errorf("the list after adding: %s", list)
	}
	if enabled, ok := pool.Enabled("nina.okafor@brook-lane.example"); !ok || !enabled {
		t.Error("no account was made")
	}
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(page), chromedp.WaitVisible(chromedp.ID("staff-table")))
	b.checkAxeAt(t, "the staff page on a laptop", "1280")
	b.do(t, "opening her page", chromedp.Navigate(page+"/"+seed.Subject("nina.okafor@brook-lane.example")), chromedp.WaitVisible(chromedp.ID("change-roles")))
	b.checkAxeAt(t, "a member of staff's page", "1280")
	b.do(t, "making her a DSL", chromedp.Click(chromedp.ID("role-dsl")), chromedp.Click(chromedp.ID("save-roles")), chromedp.WaitVisible(chromedp.ID("staff-table")))
	if p := w.profile("nina.okafor@brook-lane.example"); !p.Has(seed.BrookLane, safeguarding.RoleDSL) || !p.Has(seed.BrookLane, safeguarding.RoleTeacher) {
		t.Errorf("her roles after the change: %v", p.Memberships)
	}
}
