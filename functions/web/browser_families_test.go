package main

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Families who go quiet on a phone (360 px), through the local stack: the web function's real
// bootstrap, the engagement API, the local clock and /dev/schedules/escalation/run. Each test
// pins the clock and frees it when done.

func pinStackClock(t *testing.T, local string) {
	t.Helper()
	at, err := time.ParseInLocation("2006-01-02 15:04", local, safeguarding.London)
	if err != nil {
		t.Fatal(err)
	}
	localStack.Clock().Pin(at)
	t.Cleanup(localStack.Clock().Release)
}

// familiesAPIPost sends a JSON command to the local stack as email (or to /dev without a token).
func familiesAPIPost(t *testing.T, base, email, path string, body any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	if email != "" {
		req.Header.Set("Authorization", "Bearer "+devToken(t, base, email))
		req.Header.Set("Idempotency-Key", rand.Text())
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var out any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		t.Fatalf("POST %s: %d %v", path, resp.StatusCode, out)
	}
}

// tapTarget taps an element as a finger would, after checking it is a target a thumb can hit:
// at least 38 px high, GOV.UK's button (a radio's target is its whole item, 40 px), well above
// WCAG 2.2's 24 px minimum.
func tapTarget(t *testing.T, b *browser, sel string) {
	t.Helper()
	h := b.eval(t, `(() => { const e = document.querySelector(`+jsString(sel)+`); if (!e) return "none";
		e.scrollIntoView({block: "center"}); const box = e.closest(".govuk-radios__item, .govuk-checkboxes__item") || e;
		return String(Math.round(box.getBoundingClientRect().height)); })()`)
	if h == "none" {
		t.Fatalf("no %s to tap%s", sel, b.where())
	}
	if n, _ := json.Number(h).Int64(); n < 38 {
		t.Errorf("%s is %s px high: too small a target for a thumb", sel, h)
	}
	b.do(t, "tapping "+sel, chromedp.Click(chromedp.CSS(sel)))
}

func noNumbersOnScreen(t *testing.T, b *browser, page string) {
	t.Helper()
	if body := b.eval(t, `document.body.innerHTML`); strings.Contains(body, "07700") || strings.Contains(body, "Brookhill") {
		t.Errorf("%s shows a family's phone number or address (P3)", page)
	}
}

// Rule E1 on a phone: the DSL Daniel Reyes, who teaches Willows, marks two families of his
// class in three taps and one save; Tom Hughes then opens Acorns and sees the Nguyens, whose
// Minh is in Willows, already acknowledged for their Lan, and marks another family.
func TestRule_E1_BrowserLocalStack_MarkAClassOnAPhone(t *testing.T) {
	s := startLocalStack(t) // before the browser, whose time limit starts with it
	b := newBrowser(t)
	pinStackClock(t, "2027-03-03 10:05")
	school := "/schools/" + string(seed.BrookLane)

	signInAs(t, b, s.URL, seed.Email("Daniel", "Reyes"), school+"/acknowledgements")
	b.do(t, "opening the classes", chromedp.WaitVisible(chromedp.ID("classes")))
	b.checkAxe(t, "the classes to mark")
	tapTarget(t, b, `#classes a[href$="class=Willows"]`)
	b.do(t, "opening Willows", chromedp.WaitVisible(chromedp.ID("class-sheet")))
	if h := b.text(t, "main h1"); h != "Acknowledgements: Willows" {
		t.Fatalf("the sheet is %q", h)
	}
	b.checkAxe(t, "the Willows sheet")
	noNumbersOnScreen(t, b, "the Willows sheet")
	tapTarget(t, b, `label[for="ack-fam-06-thumbs-up"]`)
	tapTarget(t, b, `label[for="ack-fam-03-work-seen"]`)
	submitAndWait(t, b, `#save-acknowledgements`, "saving")
	if got := b.text(t, "#done"); !strings.Contains(got, "Saved: 2 families acknowledged today.") {
		t.Errorf("after saving the page says %q", got)
	}
	if got := b.text(t, "#family-fam-03"); !strings.Contains(got, "Acknowledged today at 10:05: work seen") {
		t.Errorf("the Kowalskis after saving: %q", got)
	}
	if got := b.eval(t, `String(document.getElementById("ack-fam-03-work-seen").checked)`); got != "true" {
		t.Error("the Kowalskis' saved choice is not shown as chosen after saving")
	}
	b.checkAxe(t, "the Willows sheet after saving")

	signInAs(t, b, s.URL, seed.Email("Tom", "Hughes"), school+"/acknowledgements")
	b.do(t, "opening Tom's class", chromedp.WaitVisible(chromedp.ID("class-sheet")))
	if h := b.text(t, "main h1"); h != "Acknowledgements: Acorns" {
		t.Fatalf("Tom's only class opens as %q", h)
	}
	if got := b.text(t, "#family-fam-06"); !strings.Contains(got, "Lan Nguyen") || !strings.Contains(got, "Minh Nguyen (Willows)") ||
		!strings.Contains(got, "Acknowledged today at 10:05: thumbs up") {
		t.Errorf("the Nguyens on Tom's sheet: %q", got)
	}
	// "All heard from", then the Whitfields changed back to "Not heard from" and Mason
	// Fletcher's family to a message, then one save.
	b.eval(t, `(() => { document.documentElement.dataset.left = "yes"; return "ok"; })()`)
	tapTarget(t, b, `#all-heard-from`)
	waitFor(t, b, "marking every family", `(() => document.documentElement.dataset.left !== "yes" && document.readyState === "complete" && !!document.getElementById("class-sheet"))()`)
	if got := b.eval(t, `String(document.getElementById("ack-fam-02-thumbs-up").checked)`); got != "true" {
		t.Fatal("all heard from did not mark the Whitfields")
	}
	b.checkAxe(t, "the Acorns sheet, all heard from")
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900))
	b.checkAxeAt(t, "the Acorns sheet at a laptop's width", "1280")
	b.do(t, "a phone's width", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch))
	tapTarget(t, b, `label[for="ack-fam-02"]`)
	tapTarget(t, b, `label[for="ack-fam-05-message"]`)
	submitAndWait(t, b, `#save-acknowledgements`, "saving")
	if got := b.text(t, "#family-fam-05"); !strings.Contains(got, "Acknowledged today at 10:05: message") {
		t.Errorf("Mason Fletcher's family after saving: %q", got)
	}
	if got := b.text(t, "#family-fam-02"); strings.Contains(got, "Acknowledged today") {
		t.Errorf("the Whitfields, changed back, were recorded: %q", got)
	}
	b.checkAxe(t, "the Acorns sheet after saving")
}

// Rules E2-E6 and H2 on a phone, at Hillcrest: the Ali family (fam-13, three children) last
// acknowledged on Tuesday 8 June 2027 is missing on Thursday 17 June (six silent school days);
// the DSL Chloe Adams records an unanswered call; at 20 silent school days (Wednesday 7 July)
// the Senior DSL Robert King records that the LA was informed, from the brief the page gives,
// and his decision about social care with its reason; a message back from the family, recorded
// by Chloe, ends MISSING.
func TestRule_E6_BrowserLocalStack_FamiliesWhoGoQuietOnAPhone(t *testing.T) {
	s := startLocalStack(t) // before the browser, whose time limit starts with it
	b := newBrowser(t)
	var (
		chloe  = seed.Email("Chloe", "Adams")
		robert = seed.Email("Robert", "King")
		school = "/schools/" + string(seed.Hillcrest)
		family = school + "/families/fam-13"
	)
	// E0: Hillcrest's Senior DSL starts a full closure; from then every family is counted.
	pinStackClock(t, "2027-06-01 08:00")
	familiesAPIPost(t, s.URL, robert, "/api"+school+"/closures", map[string]any{"from": "2027-06-01"})
	pinStackClock(t, "2027-06-08 15:30")
	familiesAPIPost(t, s.URL, seed.Email("Owen", "Price"), "/api"+school+"/engagement", map[string]any{
		"acknowledgements": []map[string]string{{"familyId": "fam-13", "at": "2027-06-08T14:00:00Z", "kind": "thumbs-up"}}})
	pinStackClock(t, "2027-06-17 05:30")
	familiesAPIPost(t, s.URL, "", "/dev/schedules/escalation/run", nil)

	pinStackClock(t, "2027-06-17 09:00")
	signInAs(t, b, s.URL, chloe, school+"/families")
	b.do(t, "opening the families", chromedp.WaitVisible(chromedp.ID("families")))
	got := b.text(t, "#family-fam-13")
	for _, want := range []string{"Amina Ali", "Hamza Ali", "Ilhan Ali", "Missing", "Thursday 17 June 2027 at 05:30", "A phone call, due by"} {
		if !strings.Contains(got, want) {
			t.Errorf("the Alis on the families view lack %q:\n%s", want, got)
		}
	}
	b.checkAxe(t, "the families view")
	noNumbersOnScreen(t, b, "the families view")
	tapTarget(t, b, `#family-fam-13 a[href="`+family+`"]`)
	b.do(t, "opening the family", chromedp.WaitVisible(chromedp.ID("record-contact")))
	b.checkAxe(t, "the family page")
	noNumbersOnScreen(t, b, "the family page")
	tapTarget(t, b, `label[for="method"]`)
	tapTarget(t, b, `label[for="outcome-no-answer"]`)
	b.do(t, "writing the notes", chromedp.SendKeys(chromedp.ID("contact-notes"), "Rang the first number at 08:55: no answer."))
	submitAndWait(t, b, `#record-contact-button`, "recording the attempt")
	if got := b.text(t, "#family-history"); !strings.Contains(got, "Phone call on Thu 17 Jun 2027 09:00: no answer. Rang the first number") {
		t.Errorf("the history after the attempt: %q", got)
	}
	b.checkAxe(t, "the family page after an attempt")

	// E5: 20 silent school days to Tuesday 6 July; the LA is raised with the Senior DSL.
	pinStackClock(t, "2027-07-07 05:30")
	familiesAPIPost(t, s.URL, "", "/dev/schedules/escalation/run", nil)
	pinStackClock(t, "2027-07-07 09:00")
	signInAs(t, b, s.URL, robert, school+"/families")
	b.do(t, "opening the families", chromedp.WaitVisible(chromedp.ID("families")))
	if got := b.text(t, "#family-fam-13"); !strings.Contains(got, "20 school days: inform the LA") {
		t.Errorf("the Alis at 20 days: %q", got)
	}
	tapTarget(t, b, `#family-fam-13 a[href="`+family+`"]`)
	b.do(t, "opening the family", chromedp.WaitVisible(chromedp.ID("la-brief")))
	brief := b.text(t, "#la-brief")
	if !strings.Contains(brief, "Family FAM-13") || !strings.Contains(brief, "20 school days without contact") || strings.Contains(brief, "Ali") {
		t.Errorf("what to send the LA: %q", brief)
	}
	b.checkAxe(t, "the Senior DSL's family page")
	b.do(t, "noting how it was sent", chromedp.SendKeys(chromedp.ID("sent-notes"), "Emailed to the LA's children missing education team."))
	submitAndWait(t, b, `#la-button`, "recording the LA")
	if got := b.text(t, "#la-status"); !strings.Contains(got, "Informed on 7 July 2027 at 09:00") {
		t.Errorf("the LA status: %q", got)
	}
	tapTarget(t, b, `label[for="decision"]`)
	b.do(t, "giving the reason", chromedp.SendKeys(chromedp.ID("decision-reason"), "No contact for four weeks despite calls."))
	submitAndWait(t, b, `#decide-button`, "recording the decision")
	if got := b.text(t, "#decision-status"); got != "Contact children's social care" {
		t.Errorf("the decision shows as %q", got)
	}
	b.checkAxe(t, "the family page after the decision")

	// E6: a message back from the family ends MISSING.
	pinStackClock(t, "2027-07-07 11:00")
	signInAs(t, b, s.URL, chloe, family)
	b.do(t, "opening the family", chromedp.WaitVisible(chromedp.ID("record-contact")))
	tapTarget(t, b, `label[for="method-message"]`)
	tapTarget(t, b, `label[for="outcome"]`)
	b.do(t, "writing the notes", chromedp.SendKeys(chromedp.ID("contact-notes"), "Hodan Ali replied by text: they were away."))
	submitAndWait(t, b, `#record-contact-button`, "recording the contact")
	if got := b.text(t, "#family-status"); !strings.Contains(got, "In contact") {
		t.Errorf("the family after contact: %q", got)
	}
	if got := b.text(t, "#family-history"); !strings.Contains(got, "Contact restored on Wed 7 Jul 2027 11:00") {
		t.Errorf("the history does not say when and how contact was restored: %q", got)
	}
	b.checkAxe(t, "the family page after contact")
	b.do(t, "opening the families", chromedp.Navigate(s.URL+school+"/families"), chromedp.WaitVisible(chromedp.ID("families")))
	// Still in the closure, they are counted again with the other families, not missing.
	if html := b.eval(t, `document.querySelector("main").innerHTML`); strings.Contains(html, `id="family-fam-13"`) || !strings.Contains(html, `id="counting-fam-13"`) {
		t.Error("the Alis are still listed as missing, or not counted again")
	}
	b.checkAxe(t, "the families view during a closure")
}

// The school calendar on a phone: the Senior DSL adds an INSET day and saves; the page shows
// it kept.
func TestRule_E2_BrowserLocalStack_TheSeniorDSLKeepsTheCalendar(t *testing.T) {
	s := startLocalStack(t) // before the browser, whose time limit starts with it
	b := newBrowser(t)
	pinStackClock(t, "2027-03-03 10:00")
	school := "/schools/" + string(seed.BrookLane)
	signInAs(t, b, s.URL, seed.Email("Helen", "Carter"), school+"/calendar")
	b.do(t, "opening the calendar", chromedp.WaitVisible(chromedp.ID("calendar")))
	b.checkAxe(t, "the calendar")
	b.do(t, "entering an INSET day",
		chromedp.SetValue(chromedp.ID("off-kind-0"), "inset"),
		chromedp.SetValue(chromedp.ID("off-from-0"), "2027-04-19"),
		chromedp.SendKeys(chromedp.ID("off-note-0"), "Staff training"))
	submitAndWait(t, b, `#save-calendar`, "saving")
	if got := b.eval(t, `document.getElementById("off-from-0").value + " " + document.getElementById("off-to-0").value + " " + document.getElementById("off-kind-0").value`); got != "2027-04-19 2027-04-19 inset" {
		t.Errorf("the saved day off reads %q", got)
	}
	b.checkAxe(t, "the calendar after saving")
}

// submitAndWait taps the button sel and waits for the page its form leads to, with its "done"
// banner: the page before is marked first, so a banner it shows already does not count.
func submitAndWait(t *testing.T, b *browser, sel, what string) {
	t.Helper()
	submitAndWaitFor(t, b, sel, what, "done")
}

// submitAndWaitFor is submitAndWait for a page known by the element with the given id.
func submitAndWaitFor(t *testing.T, b *browser, sel, what, id string) {
	t.Helper()
	b.eval(t, `(() => { document.documentElement.dataset.left = "yes"; return "ok"; })()`)
	tapTarget(t, b, sel)
	waitFor(t, b, what, `(() => document.documentElement.dataset.left !== "yes" && document.readyState === "complete" && !!document.getElementById(`+jsString(id)+`))()`)
}
