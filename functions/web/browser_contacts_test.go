package main

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// Rules H1, P3, P4 on a phone, through the local stack: Grace Bennett, Brook Lane's office,
// finds the families short of contact numbers in the menu and opens them (no number on it),
// opens the Fletchers' form (each number by whose it is, never its digits), asks to remove a
// number and sees the reason it needs, then changes her mind; confirms Kelly's number and adds
// Gran's without a reason and is told so; with the reason, the page says what saving will do
// ("adds 1 number, confirms 1 number, keeps 1 number and the address"), and the save is
// redirected to the report, which no longer lists the family. Daniel Reyes, a DSL, then reads
// every version back from his form.
func TestRule_H1_BrowserLocalStack_TheOfficeUpdatesContactNumbersOnAPhone(t *testing.T) {
	s := startLocalStack(t) // first: the browser's deadline starts with it
	b := newBrowser(t)
	school := "/schools/" + string(seed.BrookLane)
	report := school + "/contact-details/report"
	form := school + "/families/fam-05/contact-details/edit"

	signInAs(t, b, s.URL, seed.Email("Grace", "Bennett"), school+"/work")
	if n := b.eval(t, `String(document.querySelectorAll('a[href="`+report+`"]').length)`); n == "0" {
		t.Error("the office's menu has no link to the report")
	}
	b.do(t, "opening the report", chromedp.Navigate(s.URL+report), chromedp.WaitVisible(chromedp.ID("contact-report")))
	if list := b.text(t, "#contact-report"); !strings.Contains(list, "Mason Fletcher") || strings.Contains(list, "07700") {
		t.Errorf("the report: %q", list)
	}
	b.checkAxe(t, "the report")

	b.do(t, "opening the Fletchers' form", chromedp.Click(chromedp.CSS(`a[href="`+form+`"]`), chromedp.NodeReady),
		chromedp.WaitVisible(chromedp.ID("contact-edit")))
	if sum := b.text(t, "#edit-summary"); !strings.Contains(sum, "not shown") || !strings.Contains(sum, "2 numbers") {
		t.Errorf("the office's form says %q", sum)
	}
	page := b.eval(t, `document.body.innerText`)
	if strings.Contains(page, "07700") || !strings.Contains(page, "Kelly Fletcher, mobile") || !strings.Contains(page, "Dean Fletcher, mobile") {
		t.Errorf("the office's form shows a number, or not whose they are: %q", page)
	}
	if ac := b.eval(t, `document.getElementById("contact-edit").getAttribute("autocomplete")`); ac != "off" {
		t.Errorf("the form's autocomplete: %q", ac)
	}
	b.checkAxe(t, "the office's form")

	reasonShown := `String(document.getElementById("held-0-remove-reason").offsetParent !== null)`
	if v := b.eval(t, reasonShown); v != "false" {
		t.Error("the reason for a removal shows before anyone asks to remove a number")
	}
	b.do(t, "asking to remove Kelly's number", chromedp.Click(chromedp.ID("held-0-remove")))
	if v := b.eval(t, reasonShown); v != "true" {
		t.Error("removing a number does not ask why")
	}
	b.do(t, "changing her mind", chromedp.Click(chromedp.ID("held-0-remove")))

	b.do(t, "checking a change without a reason",
		chromedp.Click(chromedp.ID("held-0-confirmed")),
		chromedp.SendKeys(chromedp.ID("new-0-label"), "Gran, mobile"),
		chromedp.SendKeys(chromedp.ID("new-0-number"), "07700 900555"),
		chromedp.Click(chromedp.ID("contact-check-button")),
		chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	if summary := b.text(t, ".govuk-error-summary"); !strings.Contains(summary, "Say why the details change") {
		t.Errorf("the error summary: %q", summary)
	}
	if v := b.eval(t, `document.getElementById("new-0-number").value`); v != "07700 900555" {
		t.Errorf("the form lost what was typed: %q", v)
	}
	b.checkAxe(t, "the form with a problem")

	b.do(t, "checking the change",
		chromedp.SendKeys(chromedp.ID("reason"), "Confirmed by phone with Kelly"),
		chromedp.Click(chromedp.ID("contact-check-button")),
		chromedp.WaitVisible(chromedp.ID("check-summary")))
	if sum := b.text(t, "#check-sentence"); sum != "Saving adds 1 number, confirms 1 number, keeps 1 number and the address." {
		t.Errorf("the check says %q", sum)
	}
	b.checkAxe(t, "the check")

	b.do(t, "saving it", chromedp.Click(chromedp.ID("contact-edit-button")), chromedp.WaitVisible(chromedp.ID("done")))
	if loc := b.eval(t, `location.pathname + location.search`); loc != report+"?done=saved" {
		t.Errorf("after the save the browser is at %q", loc)
	}
	if list := b.text(t, "#contact-report"); strings.Contains(list, "Mason Fletcher") {
		t.Errorf("the family is still short of numbers: %q", list)
	}

	// A DSL reads the versions back from their form: the office's, with its reason, and the first.
	signInAs(t, b, s.URL, seed.Email("Daniel", "Reyes"), form)
	b.do(t, "opening the earlier versions", chromedp.Click(chromedp.ID("versions-link"), chromedp.NodeReady),
		chromedp.WaitVisible(chromedp.ID("versions")))
	if v := b.text(t, "#versions"); !strings.Contains(v, "Version 2") || !strings.Contains(v, "Grace Bennett") ||
		!strings.Contains(v, "Confirmed by phone with Kelly") || !strings.Contains(v, "Version 1") || !strings.Contains(v, "07700 900555") {
		t.Errorf("the versions: %q", v)
	}
	b.checkAxe(t, "the earlier versions")
}

// Rule P3 on a phone, through the local stack: Daniel Reyes, a DSL at Brook Lane, designates
// Sam Ellis for closure contact from the menu's page, with a reason, then ends it, leaving the
// demo's designations as they were.
func TestRule_P3_BrowserLocalStack_ADSLDesignatesStaffOnAPhone(t *testing.T) {
	s := startLocalStack(t) // first: the browser's deadline starts with it
	b := newBrowser(t)
	page := "/schools/" + string(seed.BrookLane) + "/closure-contacts"
	sam := seed.Email("Sam", "Ellis")

	signInAs(t, b, s.URL, seed.Email("Daniel", "Reyes"), "/schools/"+string(seed.BrookLane)+"/work")
	if n := b.eval(t, `String(document.querySelectorAll('a[href="`+page+`"]').length)`); n == "0" {
		t.Error("the DSL's menu has no link to the designations")
	}
	b.do(t, "opening the designations", chromedp.Navigate(s.URL+page), chromedp.WaitVisible(chromedp.ID("designate")))
	if d := b.text(t, "#designated"); !strings.Contains(d, "Tom Hughes") {
		t.Errorf("designated now: %q", d)
	}
	b.checkAxe(t, "the designations")

	b.do(t, "designating nobody", chromedp.Click(chromedp.ID("designate-button")), chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	b.checkAxe(t, "the designations with a problem")

	b.do(t, "designating Sam Ellis",
		chromedp.SetValue(chromedp.ID("email"), sam),
		chromedp.SendKeys(chromedp.ID("reason"), "Calls the Saplings families"),
		chromedp.Click(chromedp.ID("designate-button")),
		chromedp.WaitVisible(chromedp.ID("done")))
	if d := b.text(t, "#designated"); !strings.Contains(d, "Sam Ellis") || !strings.Contains(d, "Calls the Saplings families") {
		t.Errorf("after designating: %q", d)
	}
	b.do(t, "ending it",
		chromedp.Click(chromedp.CSS(`form:has(input[name="email"][value="`+sam+`"]) button`)),
		chromedp.WaitVisible(chromedp.ID("ended")))
	if d := b.text(t, "#designated"); strings.Contains(d, "Sam Ellis") {
		t.Errorf("still designated: %q", d)
	}
	if loc := b.eval(t, `location.pathname + location.search`); loc != page+"?done=ended" {
		t.Errorf("after ending the browser is at %q", loc)
	}
}
