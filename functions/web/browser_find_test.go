package main

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Finding people by name in a browser, on a phone (360 px) and a laptop (1280 px), with axe
// on every page: the handler on the demo data with its families, contact details, visits and
// Chidi Okafor's UPN, at a Friday afternoon before a visit is planned.

type findSite struct {
	w    *world
	b    *browser
	base string
}

func newFindSite(t *testing.T) findSite {
	t.Helper()
	w := withContacts(t)
	w.h.Visits = visits.Visits{Store: w.st, Calendar: calendar.EnglandAndWales(), Catalogue: concerns.PolicyCatalogue(), NewID: store.NewID}
	withRoll(t, w)
	at := visitAt("2027-02-26 15:00")
	srv := httptest.NewServer(httpHandler(w.h, func() time.Time { return at }))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	return findSite{w: w, b: newBrowser(t), base: srv.URL}
}

// as opens path for email, and waits for the element of id.
func (s findSite) as(t *testing.T, email, path, id string) {
	t.Helper()
	s.b.setCookie(t, s.base, SessionCookie, testSession(t, s.w.h, tokenFor(email)))
	s.b.do(t, "opening "+path, chromedp.Navigate(s.base+path), chromedp.WaitVisible(chromedp.ID(id)))
}

// laptop turns the screen to a laptop's width.
func (s findSite) laptop(t *testing.T) {
	t.Helper()
	s.b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900))
}

// search types q into the search box of the page and sends it, waiting for the results.
func (s findSite) search(t *testing.T, q, button, results string) string {
	t.Helper()
	s.b.do(t, "searching for "+q, chromedp.SetValue(chromedp.ID("q"), q), chromedp.Click(chromedp.ID(button)),
		chromedp.WaitVisible(chromedp.ID(results)))
	return s.b.text(t, "#"+results)
}

// clickLabel ticks or chooses the box whose label, within the element of id, says text.
func clickLabel(t *testing.T, b *browser, id, text string) {
	t.Helper()
	got := b.eval(t, `(() => { const scope = document.getElementById(`+jsString(id)+`); if (!scope) return "no list";
		const l = [...scope.querySelectorAll("label")].find((l) => l.innerText.trim() === `+jsString(text)+`);
		if (!l) return "no label"; l.scrollIntoView({block: "center"}); l.click(); return "ok"; })()`)
	if got != "ok" {
		t.Fatalf("ticking %q in #%s: %s%s", text, id, got, b.where())
	}
}

// chooseOption chooses the option of the select of id that says text.
func chooseOption(t *testing.T, b *browser, id, text string) {
	t.Helper()
	got := b.eval(t, `(() => { const s = document.getElementById(`+jsString(id)+`); if (!s) return "no select";
		const o = [...s.options].find((o) => o.text.trim() === `+jsString(text)+`); if (!o) return "no option";
		s.value = o.value; s.dispatchEvent(new Event("change", {bubbles: true})); return "ok"; })()`)
	if got != "ok" {
		t.Fatalf("choosing %q in #%s: %s%s", text, id, got, b.where())
	}
}

func TestRule_P1_D10_BrowserPages_ADSLFindsAPupilByNameUPNOrClassAndOpensTheChronology(t *testing.T) {
	s := newFindSite(t)
	b := s.b
	s.as(t, dsl, "/schools/brook-lane/pupils", "pupil-search")
	b.checkAxe(t, "the pupil search")
	if found := s.search(t, "chidi", "find-pupil", "pupils-found"); !strings.Contains(found, "Chidi Okafor") || !strings.Contains(found, "Willows") {
		t.Errorf("found by name: %q", found)
	}
	b.checkAxe(t, "the pupil found")
	b.do(t, "opening the chronology", chromedp.Click(chromedp.CSS(`#pupils-found a`)))
	waitFor(t, b, "the chronology", `location.pathname.endsWith("/chronology") && document.readyState === "complete"`)
	if h := b.text(t, "main h1"); h != "Chidi Okafor" {
		t.Errorf("the chronology is %q%s", h, b.where())
	}
	b.checkAxe(t, "the chronology")

	s.laptop(t)
	b.do(t, "the search again", chromedp.Navigate(s.base+"/schools/brook-lane/pupils"), chromedp.WaitVisible(chromedp.ID("pupil-search")))
	if found := s.search(t, "Willows", "find-pupil", "pupils-found"); !strings.Contains(found, "Minh Nguyen") || !strings.Contains(found, "Chidi Okafor") {
		t.Errorf("found by class: %q", found)
	}
	b.checkAxeAt(t, "a class found on a laptop", "1280")
	b.do(t, "the search again", chromedp.Navigate(s.base+"/schools/brook-lane/pupils"), chromedp.WaitVisible(chromedp.ID("pupil-search")))
	if found := s.search(t, strings.ToLower(upnOfChidi), "find-pupil", "pupils-found"); !strings.Contains(found, "Chidi Okafor") || strings.Contains(found, "Minh") {
		t.Errorf("found by UPN: %q", found)
	}
	b.checkAxeAt(t, "a pupil found by UPN on a laptop", "1280")
}

func TestRule_P3_BrowserPages_TheOfficeFindsAFamilyByAChildsName(t *testing.T) {
	s := newFindSite(t)
	b := s.b
	s.as(t, apitest.Grace, "/schools/brook-lane/family-search", "family-search")
	b.checkAxe(t, "the family search")
	found := s.search(t, "Whitfield", "find-family", "families-found")
	if !strings.Contains(found, "Alfie Whitfield, Poppy Whitfield") || strings.Contains(found, "07700") || strings.Contains(found, "The family's page") {
		t.Errorf("the office found %q", found)
	}
	b.checkAxe(t, "the family found")
	b.do(t, "opening the contact details form", chromedp.Click(chromedp.CSS(`#families-found a.app-family-contact`)),
		chromedp.WaitVisible(chromedp.CSS(`input[name="reason"], textarea[name="reason"]`)))
	if h := b.text(t, "main h1"); h != "Change contact details" || !strings.Contains(b.eval(t, `location.pathname`), "/contact-details/edit") {
		t.Errorf("the link led to %q%s", h, b.where())
	}
	s.laptop(t)
	b.do(t, "the search on a laptop", chromedp.Navigate(s.base+"/schools/brook-lane/family-search"), chromedp.WaitVisible(chromedp.ID("family-search")))
	s.search(t, "poppy", "find-family", "families-found")
	b.checkAxeAt(t, "the family found on a laptop", "1280")
}

func TestRule_V1_V2_BrowserPages_AVisitIsPlannedWithItsFamilyAndStaffChosenByName(t *testing.T) {
	s := newFindSite(t)
	b := s.b
	s.as(t, dsl, "/schools/brook-lane/visits/new", "plan-form")
	b.checkAxe(t, "the plan form")
	b.do(t, "searching for the family", chromedp.SetValue(chromedp.ID("family"), "poppy"), chromedp.Click(chromedp.ID("find-family")),
		chromedp.WaitVisible(chromedp.ID("family-choices")))
	b.checkAxe(t, "the plan form with the families found")
	clickLabel(t, b, "family-choices", "Alfie Whitfield, Poppy Whitfield")
	clickLabel(t, b, "plan-form", "Tom Hughes (teacher)")
	clickLabel(t, b, "plan-form", "Priya Shah (staff)")
	chooseOption(t, b, "line-manager", "Sam Ellis (teacher)")
	b.do(t, "the day and times", chromedp.SetValue(chromedp.ID("day"), "1"), chromedp.SetValue(chromedp.ID("month"), "3"),
		chromedp.SetValue(chromedp.ID("year"), "2027"), chromedp.SetValue(chromedp.ID("start"), "10:00"), chromedp.SetValue(chromedp.ID("end"), "11:00"),
		chromedp.SetValue(chromedp.ID("reason"), "No answer to three calls this week."))
	s.laptop(t)
	b.checkAxeAt(t, "the plan form filled in on a laptop", "1280")
	b.do(t, "planning", chromedp.Click(chromedp.ID("plan-button")), chromedp.WaitVisible(chromedp.ID("done")))
	if st := b.text(t, "#visit-status"); !strings.Contains(st, "Waiting for the Senior DSL") {
		t.Errorf("the visit is %q%s", st, b.where())
	}
	if page := b.eval(t, `document.querySelector("main").innerText`); !strings.Contains(page, "Alfie Whitfield") {
		t.Errorf("the planned visit does not name the children:%s", b.where())
	}
	b.checkAxeAt(t, "the planned visit on a laptop", "1280")
}

func TestRule_C1_C5_BrowserPages_StaffToTellAndTheSubjectChosenByName(t *testing.T) {
	s := newFindSite(t)
	b := s.b
	s.as(t, teacher, "/schools/brook-lane/concerns/new?pupil=bl-01", "tag-staff-list")
	b.checkAxe(t, "the concern form")
	// The filter box narrows the list to the names that hold what is typed.
	b.do(t, "filtering the staff", chromedp.WaitVisible(chromedp.ID("tag-staff-filter")), chromedp.SendKeys(chromedp.ID("tag-staff-filter"), "pri"))
	shown := b.eval(t, `[...document.querySelectorAll("#tag-staff-list .govuk-checkboxes__item")].filter((i) => i.offsetParent !== null).map((i) => i.innerText.trim()).join("|")`)
	if shown != "Priya Shah" {
		t.Errorf("the filtered list shows %q", shown)
	}
	clickLabel(t, b, "tag-staff-list", "Priya Shah")
	b.do(t, "filling in the concern",
		chromedp.Click(chromedp.ID("category-wellbeing")), chromedp.WaitVisible(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.Click(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.SendKeys(chromedp.ID("details"), "Overheard shouting at Chidi Okafor in the corridor at 12:15."),
		chromedp.Click(chromedp.ID("about-staff")), chromedp.WaitVisible(chromedp.ID("subject-staff-email")))
	chooseOption(t, b, "subject-staff-email", "Daniel Reyes")
	b.checkAxe(t, "the concern form about a member of staff")
	s.laptop(t)
	b.checkAxeAt(t, "the concern form on a laptop", "1280")
	b.do(t, "recording", chromedp.Click(chromedp.ID("observed-when")), chromedp.Click(chromedp.ID("record-concern")), chromedp.WaitVisible(chromedp.ID("reference")))
	concern := b.eval(t, `location.pathname`)
	s.as(t, staff, concern, "reference") // Priya, told, reads it
	s.b.setCookie(t, s.base, SessionCookie, testSession(t, s.w.h, tokenFor(dsl)))
	b.do(t, "the DSL it is about", chromedp.Navigate(s.base+concern), chromedp.WaitVisible(chromedp.CSS("main h1")))
	if h := b.text(t, "main h1"); h != "Page not found" {
		t.Errorf("the DSL the concern is about sees %q", h)
	}
}
