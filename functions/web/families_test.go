package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// The pages of families who go quiet (E1-E6, H2) and of the school calendar, on the real use
// cases and store against DynamoDB Local, with the demo families and classes. At Brook Lane Tom
// Hughes teaches Acorns (Reception), Sam Ellis Saplings (Year 1) and the DSL Daniel Reyes
// Willows (Year 2). The Nguyens (fam-06) have Lan in Acorns and Minh in Willows; the Kowalskis
// (fam-03) have Zofia and Jakub, both in Willows.

// withFamilies adds the demo classes and families to a world, and the engagement use cases to
// its handler, as main wires them.
func withFamilies(t *testing.T) *world {
	t.Helper()
	w := withFamiliesNoClosure(t)
	// Brook Lane in a full closure since the start of the autumn term (rule E0), its look at
	// every family taken: the job reads only the families due a look.
	if err := w.st.PutClosure(context.Background(), safeguarding.Closure{ID: "autumn", School: seed.BrookLane,
		From: london(t, "2026-09-03 00:00"), StartedBy: head, StartedAt: london(t, "2026-09-03 08:00"), Swept: true, Version: 1}); err != nil {
		t.Fatal(err)
	}
	return w
}

// withFamiliesNoClosure is withFamilies before any closure: nothing is counted.
func withFamiliesNoClosure(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	if err := seed.ApplyFamilies(context.Background(), w.st, seed.Demo()); err != nil {
		t.Fatal(err)
	}
	w.h.Engagement = engagement.Engagement{Store: w.st, BankHolidays: calendar.EnglandAndWales(), NewID: store.NewID}
	w.h.Classes = engagement.ClassLists{Store: w.st}
	w.h.Closures = engagement.Closures{Store: w.st, NewID: store.NewID}
	w.h.Contacts = contact.Contacts{Store: w.st, NewID: store.NewID}
	return w
}

func (w *world) family(id string) contact.Family {
	w.t.Helper()
	_, f, err := w.st.Family(context.Background(), dsl, seed.BrookLane, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

// escalate runs the daily families job for Brook Lane at 05:30 on a local date (rules E2-E5).
func (w *world) escalate(date string) engagement.EscalationRun {
	w.t.Helper()
	job := engagement.FamilyEscalation{Store: w.st, BankHolidays: calendar.EnglandAndWales(), NewID: store.NewID}
	run, err := job.RunSchool(context.Background(), safeguarding.SchoolDue{ID: seed.BrookLane}, london(w.t, date+" 05:30"))
	if err != nil {
		w.t.Fatal(err)
	}
	return run
}

func london(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, safeguarding.London)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var (
	sheetKey = regexp.MustCompile(`name="key" value="([^"]+)"`)
	sheetAt  = regexp.MustCompile(`name="at" value="([^"]+)"`)
)

// sheet opens email's class sheet at when and returns the form it would send, nothing marked.
func sheet(t *testing.T, h *Handler, email, class string, when time.Time) url.Values {
	t.Helper()
	target := "/schools/brook-lane/acknowledgements"
	if class != "" {
		target += "?class=" + url.QueryEscape(class)
	}
	page := call(t, h, "GET", target, tokenFor(email), nil, when)
	k, a := sheetKey.FindStringSubmatch(page.Body), sheetAt.FindStringSubmatch(page.Body)
	if page.StatusCode != http.StatusOK || k == nil || a == nil {
		t.Fatalf("%s's sheet of %q: %d\n%s", email, class, page.StatusCode, page.Body)
	}
	return url.Values{"key": {k[1]}, "at": {a[1]}, "class": {cmpOr(class, "Acorns")}}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func noContactDetails(t *testing.T, what string, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	// Rule P3: the demo numbers are 07700 900xxx; the demo addresses are in postcode area ZZ.
	for _, bad := range []string{"07700", "ZZ1", "ZZ9", "Brookhill"} {
		if strings.Contains(resp.Body, bad) {
			t.Errorf("%s shows contact details (%q)", what, bad)
		}
	}
}

func TestRule_E1_ATeacherMarksTheirClassInOneSubmission(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	fri := london(t, "2026-11-06 15:30")

	// Tom has one class: the sheet opens at once, one line per family, siblings elsewhere named.
	page := call(t, h, "GET", "/schools/brook-lane/acknowledgements", tokenFor(teacher), nil, fri)
	wantBody(t, "Tom's sheet", page, http.StatusOK, "Acknowledgements: Acorns", "Friday 6 November 2026",
		"Alfie Whitfield", "Also at this school: Poppy Whitfield (Saplings)", "Lan Nguyen", "Minh Nguyen (Willows)",
		"Mason Fletcher", "Rory Campbell", "Niamh Doherty", `id="ack-fam-06-thumbs-up"`, `value="none" checked`,
		`href="/schools/brook-lane/acknowledgements" aria-current="page"`)
	if strings.Contains(page.Body, "Chidi") || strings.Contains(page.Body, "Zofia") {
		t.Error("Tom's sheet lists pupils of another class")
	}
	noContactDetails(t, "the class sheet", page)

	form := sheet(t, h, teacher, "", fri)
	form.Set("ack-fam-06", "thumbs-up")
	form.Set("ack-fam-05", "message")
	form.Set("ack-fam-02", "none")
	wantRedirect(t, post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri.Add(time.Minute)),
		"/schools/brook-lane/acknowledgements?class=Acorns&saved=2")
	nguyen, fletcher, whitfield := w.family("fam-06"), w.family("fam-05"), w.family("fam-02")
	if nguyen.LastContactHow() != "thumbs-up" || !nguyen.LastContactAt().Equal(fri) || fletcher.LastContactHow() != "message" {
		t.Errorf("recorded %+v and %+v", nguyen, fletcher)
	}
	if !whitfield.LastContactAt().IsZero() {
		t.Errorf("a family left at 'nothing today' was recorded: %+v", whitfield)
	}

	// A double submit or a retry records nothing twice.
	wantRedirect(t, post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri.Add(2*time.Minute)),
		"/schools/brook-lane/acknowledgements?class=Acorns&saved=2")
	if again := w.family("fam-06"); again.Version() != nguyen.Version() {
		t.Errorf("the second submission wrote the family again: version %d, was %d", again.Version(), nguyen.Version())
	}

	// After the redirect, the sheet confirms and shows the families acknowledged today.
	page = call(t, h, "GET", "/schools/brook-lane/acknowledgements?class=Acorns&saved=2", tokenFor(teacher), nil, fri.Add(3*time.Minute))
	wantBody(t, "the sheet after saving", page, http.StatusOK, "Saved: 2 families acknowledged today.",
		`id="ack-fam-06-today"`, "Acknowledged today at 15:30: thumbs up", "Acknowledged today at 15:30: message",
		// What was saved shows as saved, not back at "Not heard from".
		`id="ack-fam-06-thumbs-up" name="ack-fam-06" type="radio" value="thumbs-up" checked`,
		`id="ack-fam-05-message" name="ack-fam-05" type="radio" value="message" checked`,
		`name="saved-fam-06" value="thumbs-up"`)
	// Saving that sheet again as it is records nothing and says so.
	again := sheet(t, h, teacher, "", fri.Add(3*time.Minute))
	again.Set("ack-fam-06", "thumbs-up")
	again.Set("saved-fam-06", "thumbs-up")
	wantRedirect(t, post(t, h, "/schools/brook-lane/acknowledgements", teacher, again, fri.Add(4*time.Minute)),
		"/schools/brook-lane/acknowledgements?class=Acorns&saved=0")
	if f := w.family("fam-06"); f.Version() != nguyen.Version() {
		t.Errorf("an unchanged saved choice wrote the family again: version %d, was %d", f.Version(), nguyen.Version())
	}
	page = call(t, h, "GET", "/schools/brook-lane/acknowledgements?class=Acorns&saved=0", tokenFor(teacher), nil, fri.Add(5*time.Minute))
	wantBody(t, "the sheet saved unchanged", page, http.StatusOK, "Nothing new to save: every choice was saved already.")

	// One sibling's acknowledgement counts for the family: Minh's teacher sees it done.
	page = call(t, h, "GET", "/schools/brook-lane/acknowledgements?class=Willows", tokenFor(dsl), nil, fri.Add(4*time.Minute))
	wantBody(t, "the Willows sheet", page, http.StatusOK, "Acknowledgements: Willows", "Minh Nguyen", "Lan Nguyen (Acorns)",
		"Acknowledged today at 15:30: thumbs up", "Jakub Kowalski and Zofia Kowalski")
	if n := strings.Count(page.Body, `id="family-fam-03"`); n != 1 {
		t.Errorf("the Kowalskis, two children in Willows, have %d lines; a family counts once", n)
	}
	// The next day it is no longer "today".
	page = call(t, h, "GET", "/schools/brook-lane/acknowledgements?class=Willows", tokenFor(dsl), nil, london(t, "2026-11-09 09:00"))
	wantBody(t, "the Willows sheet on Monday", page, http.StatusOK, "Last heard from on Friday 6 November")
}

func TestRule_E1_AllHeardFromMarksEveryFamilyThenTheFewAreChangedBack(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	fri := london(t, "2026-11-06 15:30")

	// "All heard from" saves nothing: the sheet comes back with every family marked.
	form := sheet(t, h, teacher, "", fri)
	form.Set("all", "thumbs-up")
	page := post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri)
	wantBody(t, "the sheet, all heard from", page, http.StatusOK,
		`id="ack-fam-06-thumbs-up" name="ack-fam-06" type="radio" value="thumbs-up" checked`,
		`id="ack-fam-02-thumbs-up" name="ack-fam-02" type="radio" value="thumbs-up" checked`, `name="key" value="`+form.Get("key")+`"`)
	if f := w.family("fam-06"); !f.LastContactAt().IsZero() {
		t.Errorf("all heard from recorded a family before saving: %+v", f)
	}
	// The teacher changes the Whitfields back, then saves: every other family is recorded.
	marked := 0
	for _, m := range regexp.MustCompile(`name="(ack-[^"]+)" type="radio" value="thumbs-up" checked`).FindAllStringSubmatch(page.Body, -1) {
		form.Set(m[1], "thumbs-up")
		marked++
	}
	form.Del("all")
	form.Set("ack-fam-02", "none")
	wantRedirect(t, post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri.Add(time.Minute)),
		"/schools/brook-lane/acknowledgements?class=Acorns&saved="+strconv.Itoa(marked-1))
	if f := w.family("fam-06"); f.LastContactHow() != "thumbs-up" {
		t.Errorf("the Nguyens: %+v", f)
	}
	if f := w.family("fam-02"); !f.LastContactAt().IsZero() {
		t.Errorf("the Whitfields, changed back, were recorded: %+v", f)
	}
}

func TestRule_E1_AnEarlierDayIsRecordedOnThatDay(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	fri := london(t, "2026-11-06 15:30")

	page := call(t, h, "GET", "/schools/brook-lane/acknowledgements", tokenFor(teacher), nil, fri)
	wantBody(t, "the day choice", page, http.StatusOK, "Which day are you recording?", `value="today" checked`,
		`value="2026-11-05"`, "Thursday 5 November", `value="2026-11-02"`)
	if strings.Contains(page.Body, `value="2026-10-30"`) {
		t.Error("the sheet offers a day more than four weekdays back")
	}
	form := sheet(t, h, teacher, "", fri)
	form.Set("day", "2026-11-04")
	form.Set("ack-fam-06", "message")
	wantRedirect(t, post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri),
		"/schools/brook-lane/acknowledgements?class=Acorns&on=2026-11-04&saved=1")
	if f := w.family("fam-06"); !f.LastContactAt().Equal(london(t, "2026-11-04 12:00")) || f.LastContactHow() != "message" {
		t.Errorf("recorded for Wednesday: %v %s", f.LastContactAt(), f.LastContactHow())
	}
	page = call(t, h, "GET", "/schools/brook-lane/acknowledgements?class=Acorns&on=2026-11-04&saved=1", tokenFor(teacher), nil, fri)
	wantBody(t, "the sheet after an earlier day", page, http.StatusOK, "Saved: 1 family acknowledged on Wednesday 4 November.",
		"Last heard from on Wednesday 4 November")

	// A day the sheet does not offer is refused, naming the choice, and nothing is written.
	form = sheet(t, h, teacher, "", fri)
	form.Set("day", "2026-11-07")
	form.Set("ack-fam-05", "message")
	resp := post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri)
	wantBody(t, "a day not offered", resp, http.StatusBadRequest, `href="#day"`, "Choose today or one of the days shown")
	if f := w.family("fam-05"); !f.LastContactAt().IsZero() {
		t.Errorf("recorded for a day not offered: %+v", f)
	}
}

func TestRule_E1_OnlyTheClassTeacherDSLsAndTheOfficeMarkAClass(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	fri := london(t, "2026-11-06 15:30")
	office := seed.Email("Grace", "Bennett")

	// Tom may not open or mark Willows; the tampered form writes nothing.
	if page := call(t, h, "GET", "/schools/brook-lane/acknowledgements?class=Willows", tokenFor(teacher), nil, fri); page.StatusCode != http.StatusNotFound {
		t.Errorf("Tom opens Willows: %d", page.StatusCode)
	}
	form := sheet(t, h, teacher, "", fri)
	form.Set("class", "Willows")
	form.Set("ack-fam-03", "thumbs-up")
	if resp := post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri); resp.StatusCode != http.StatusNotFound {
		t.Errorf("Tom marks a Willows family: %d", resp.StatusCode)
	}
	if f := w.family("fam-03"); !f.LastContactAt().IsZero() {
		t.Errorf("a family of another class was recorded: %+v", f)
	}
	// Staff without a class, and anyone from another school, get "not found".
	for _, who := range []string{staff, outsider} {
		if page := call(t, h, "GET", "/schools/brook-lane/acknowledgements", tokenFor(who), nil, fri); page.StatusCode != http.StatusNotFound {
			t.Errorf("%s opens the acknowledgements: %d", who, page.StatusCode)
		}
	}
	// The office and the DSLs choose among every class.
	for _, who := range []string{office, dsl, head} {
		page := call(t, h, "GET", "/schools/brook-lane/acknowledgements", tokenFor(who), nil, fri)
		wantBody(t, who+"'s classes", page, http.StatusOK, `?class=Acorns"`, `?class=Saplings"`, `?class=Willows"`)
	}
	form = sheet(t, h, office, "Saplings", fri)
	form.Set("ack-fam-02", "work-seen")
	wantRedirect(t, post(t, h, "/schools/brook-lane/acknowledgements", office, form, fri), "/schools/brook-lane/acknowledgements?class=Saplings&saved=1")
	if f := w.family("fam-02"); f.LastContactHow() != "work-seen" {
		t.Errorf("the office's mark: %+v", f)
	}
}

func TestRule_E1_ASheetWithProblemsComesBackAsSentAndWritesNothing(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	fri := london(t, "2026-11-06 15:30")

	form := sheet(t, h, teacher, "", fri)
	resp := post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri)
	wantBody(t, "nothing marked", resp, http.StatusBadRequest, "There is a problem", "Mark at least one family that acknowledged", `href="#class-sheet"`)

	form.Set("ack-fam-06", "phoned")
	form.Set("ack-fam-05", "message")
	resp = post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri)
	wantBody(t, "a choice not on the sheet", resp, http.StatusBadRequest, `href="#ack-fam-06"`, "Choose how the family acknowledged",
		`id="ack-fam-05-message" name="ack-fam-05" type="radio" value="message" checked`)

	// A sheet left open overnight is not today's: it comes back dated today, choices kept.
	form.Set("ack-fam-06", "thumbs-up")
	monday := london(t, "2026-11-09 08:50")
	resp = post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, monday)
	wantBody(t, "yesterday's sheet", resp, http.StatusBadRequest, "This page was opened on Friday 6 November",
		`id="ack-fam-06-thumbs-up" name="ack-fam-06" type="radio" value="thumbs-up" checked`, monday.UTC().Format(time.RFC3339Nano))
	for _, id := range []string{"fam-05", "fam-06"} {
		if f := w.family(id); !f.LastContactAt().IsZero() {
			t.Errorf("%s was recorded from a sheet with problems: %+v", id, f)
		}
	}
	// The same key with another sheet is refused, never replayed as the first.
	form = sheet(t, h, teacher, "", fri)
	form.Set("ack-fam-06", "thumbs-up")
	wantRedirect(t, post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri), "/schools/brook-lane/acknowledgements?class=Acorns&saved=1")
	form.Set("ack-fam-05", "message")
	resp = post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri)
	wantBody(t, "the same key, another sheet", resp, http.StatusConflict, "Reload the page")
	if f := w.family("fam-05"); !f.LastContactAt().IsZero() {
		t.Errorf("a changed sheet under a used key was recorded: %+v", f)
	}
}

// missingNguyens has Tom mark the Nguyens and the Campbells on Friday 6 November 2026 and runs
// the job on Tuesday 17 November, the sixth silent school day: both are missing (E2).
func missingNguyens(t *testing.T, w *world) {
	t.Helper()
	fri := london(t, "2026-11-06 15:30")
	form := sheet(t, w.h, teacher, "", fri)
	form.Set("ack-fam-06", "thumbs-up")
	form.Set("ack-fam-08", "message")
	wantRedirect(t, post(t, w.h, "/schools/brook-lane/acknowledgements", teacher, form, fri), "/schools/brook-lane/acknowledgements?")
	if r := w.escalate("2026-11-16"); r.Missing != 0 {
		t.Fatalf("missing after five silent school days: %+v", r)
	}
	if r := w.escalate("2026-11-17"); r.Missing != 2 {
		t.Fatalf("not missing after six silent school days: %+v", r)
	}
}

func TestRule_E2_E3_DSLsSeeTheMissingFamiliesAndOnlyThey(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	missingNguyens(t, w)
	tue := london(t, "2026-11-17 09:00")

	page := call(t, h, "GET", "/schools/brook-lane/families", tokenFor(dsl), nil, tue)
	wantBody(t, "the families view", page, http.StatusOK, "Families who have gone quiet",
		`href="/schools/brook-lane/families/fam-06"`, "Minh Nguyen, Lan Nguyen",
		`href="/schools/brook-lane/families/fam-08"`, "Isla Campbell, Rory Campbell",
		"Missing since", "Tuesday 17 November 2026 at 05:30", `<dd class="govuk-summary-list__value app-silent">6</dd>`,
		"A phone call, due by Wednesday 18 November 2026 at 05:30",
		`href="/schools/brook-lane/families" aria-current="page"`)
	if strings.Contains(page.Body, "inform the LA") {
		t.Error("a family six days silent is marked for the LA")
	}
	noContactDetails(t, "the families view", page)
	// The next day the call is overdue (E3).
	page = call(t, h, "GET", "/schools/brook-lane/families", tokenFor(dsl), nil, london(t, "2026-11-18 09:00"))
	wantBody(t, "the families view a day later", page, http.StatusOK, "Overdue")

	// Nobody but the school's DSLs sees them: a teacher, the office, another school's DSL.
	for _, who := range []string{teacher, staff, seed.Email("Grace", "Bennett"), outsider} {
		for _, target := range []string{"/schools/brook-lane/families", "/schools/brook-lane/families/fam-06"} {
			if page := call(t, h, "GET", target, tokenFor(who), nil, tue); page.StatusCode != http.StatusNotFound {
				t.Errorf("%s opens %s: %d", who, target, page.StatusCode)
			}
		}
	}
	if page := call(t, h, "GET", "/schools/brook-lane/families/fam-99", tokenFor(dsl), nil, tue); page.StatusCode != http.StatusNotFound {
		t.Errorf("a family that does not exist: %d", page.StatusCode)
	}
	// The Senior DSL sees them too, with the menu's Families.
	page = call(t, h, "GET", "/schools/brook-lane/families/fam-06", tokenFor(head), nil, tue)
	wantBody(t, "the family page", page, http.StatusOK, "Family of ", "Missing", "Lan Nguyen", "Minh Nguyen",
		`href="/schools/brook-lane/pupils/`, "Family missing", "Record a contact attempt", "Decide about social care")
	noContactDetails(t, "the family page", page)
}

func TestRule_H2_E6_ADSLRecordsContactAttemptsAndAnEstablishedContactEndsMissing(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	missingNguyens(t, w)
	tue := london(t, "2026-11-17 09:00")
	family := "/schools/brook-lane/families/fam-06"

	// Problems only the form sees: no outcome chosen, a date that is not one. Nothing written.
	bad := url.Values{"key": {"c-0"}, "method": {"phone-call"}, "contact-day": {"31"}, "contact-month": {"2"}, "contact-year": {"2026"},
		"contact-time": {"09:00"}, "notes": {"No answer."}}
	resp := post(t, h, family+"/contacts", dsl, bad, tue)
	wantBody(t, "an attempt with problems", resp, http.StatusBadRequest, "Say what happened", `href="#outcome"`,
		"The date must be a real date", "No answer.")
	bad.Set("outcome", "no-answer")
	bad.Set("contact-day", "17")
	bad.Set("contact-month", "11")
	bad.Set("method", "pigeon")
	resp = post(t, h, family+"/contacts", dsl, bad, tue)
	wantBody(t, "an unknown method", resp, http.StatusBadRequest, `href="#method"`)
	if f := w.family("fam-06"); f.Attempts() != 0 {
		t.Fatalf("an attempt with problems was recorded: %+v", f)
	}

	// H2: a phone call, no answer. Sent twice, it is recorded once; the call of E3 is done.
	call1 := url.Values{"key": {"c-1"}, "method": {"phone-call"}, "outcome": {"no-answer"}, "contact-day": {"17"}, "contact-month": {"11"},
		"contact-year": {"2026"}, "contact-time": {"08:45"}, "notes": {"No answer; voicemail left asking them to call the office."}}
	for range 2 {
		wantRedirect(t, post(t, h, family+"/contacts", dsl, call1, tue), family+"?done=contact#done")
	}
	f := w.family("fam-06")
	if f.Attempts() != 1 || f.Status() != contact.FamilyMissing || f.CallKey() != "" {
		t.Errorf("after one unanswered call: %+v", f)
	}
	page := call(t, h, "GET", family+"?done=contact", tokenFor(dsl), nil, tue)
	wantBody(t, "the family after an attempt", page, http.StatusOK, "Contact attempt recorded in each child",
		"Phone call on Tue 17 Nov 2026 08:45: no answer. No answer; voicemail left", "The Senior DSL decides whether to contact social care")
	if strings.Contains(page.Body, `id="decide"`) {
		t.Error("a DSL who is not the Senior DSL is offered the decision")
	}
	// E4 is the Senior DSL's: a DSL's decision is refused.
	if resp := post(t, h, family+"/decision", dsl, url.Values{"key": {"d-0"}, "decision": {"contact-social-care"}, "reason": {"x"}}, tue); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a DSL records the decision: %d", resp.StatusCode)
	}

	// E6: a message back from the family ends MISSING, and the chronology says when and how.
	back := url.Values{"key": {"c-2"}, "method": {"message"}, "outcome": {"established"}, "contact-day": {"17"}, "contact-month": {"11"},
		"contact-year": {"2026"}, "contact-time": {"10:15"}, "notes": {"Mother replied by text: all well, the router was broken."}}
	wantRedirect(t, post(t, h, family+"/contacts", dsl, back, tue.Add(2*time.Hour)), family+"?done=contact-established#done")
	if f := w.family("fam-06"); f.Status() != contact.FamilyEngaged {
		t.Errorf("still missing after an established contact: %+v", f)
	}
	page = call(t, h, "GET", family+"?done=contact-established", tokenFor(dsl), nil, tue.Add(2*time.Hour))
	wantBody(t, "the family after contact", page, http.StatusOK, "In contact", "no longer missing", "Contact restored on Tue 17 Nov 2026 10:15")
	// Who recorded each entry, by name (the entry keeps the email).
	if !strings.Contains(page.Body, "By Daniel Reyes") || strings.Contains(page.Body, "By "+dsl) {
		t.Error("the family's page does not name who recorded its entries")
	}
	page = call(t, h, "GET", "/schools/brook-lane/families", tokenFor(dsl), nil, tue.Add(2*time.Hour))
	if strings.Contains(page.Body, `id="family-fam-06"`) || !strings.Contains(page.Body, `id="family-fam-08"`) || !strings.Contains(page.Body, `id="counting-fam-06"`) {
		t.Error("the families view does not follow the contact: fam-06 is to be counted again, not missing")
	}
	// The chronology of each child has the attempts and the restored contact (H2, E6).
	for _, pupil := range w.family("fam-06").Pupils() {
		page := call(t, h, "GET", "/schools/brook-lane/pupils/"+string(pupil)+"/chronology", tokenFor(dsl), nil, tue.Add(2*time.Hour))
		wantBody(t, "the chronology of "+string(pupil), page, http.StatusOK, "Family missing", "voicemail left", "router was broken", "Contact restored")
	}
}

func TestRule_E4_E5_TheSeniorDSLInformsTheLAAndDecidesWithAReason(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	missingNguyens(t, w)
	family := "/schools/brook-lane/families/fam-08"
	// Twenty silent school days after Friday 6 November: Monday 9 November to Friday 4
	// December. The check on Monday 7 December raises the LA (E5).
	if r := w.escalate("2026-12-07"); r.LARaised != 2 {
		t.Fatalf("the LA at 20 silent school days: %+v", r)
	}
	mon := london(t, "2026-12-07 09:00")

	// A DSL sees what is to be sent, but the record is the Senior DSL's.
	page := call(t, h, "GET", "/schools/brook-lane/families", tokenFor(dsl), nil, mon)
	wantBody(t, "the families view at 20 days", page, http.StatusOK, "20 school days: inform the LA")
	page = call(t, h, "GET", family, tokenFor(dsl), nil, mon)
	wantBody(t, "a DSL's family page at 20 days", page, http.StatusOK, "The Senior DSL informs the local authority with: Family FAM-08")
	if strings.Contains(page.Body, `id="la-notification"`) {
		t.Error("a DSL is offered the LA form")
	}
	if resp := post(t, h, family+"/la-notification", dsl, url.Values{"key": {"l-0"}, "sent-day": {"7"}, "sent-month": {"12"}, "sent-year": {"2026"}, "sent-time": {"08:30"}}, mon); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a DSL records the LA notification: %d", resp.StatusCode)
	}

	page = call(t, h, "GET", family, tokenFor(head), nil, mon)
	wantBody(t, "the Senior DSL's family page", page, http.StatusOK, "Inform the local authority", `id="la-brief"`,
		"Family FAM-08: last acknowledgement or contact 6 Nov 2026 (message); 20 school days without contact")
	if brief := page.Body[strings.Index(page.Body, `id="la-brief"`):]; strings.Contains(brief[:strings.Index(brief, "</div>")], "Campbell") {
		t.Error("the brief for the LA names the family")
	}
	// A sending time in the future is refused; then the real one is recorded once.
	future := url.Values{"key": {"l-1"}, "sent-day": {"8"}, "sent-month": {"12"}, "sent-year": {"2026"}, "sent-time": {"08:30"}}
	wantBody(t, "a future sending time", post(t, h, family+"/la-notification", head, future, mon), http.StatusBadRequest, `href="#sent-day"`)
	sent := url.Values{"key": {"l-2"}, "sent-day": {"7"}, "sent-month": {"12"}, "sent-year": {"2026"}, "sent-time": {"08:40"},
		"notes": {"Emailed the LA's children missing education officer."}}
	wantRedirect(t, post(t, h, family+"/la-notification", head, sent, mon), family+"?done=la#done")
	if f := w.family("fam-08"); f.LANotifiedAt().IsZero() {
		t.Errorf("the LA notification was not recorded: %+v", f)
	}

	// E4: the decision needs its reason.
	resp := post(t, h, family+"/decision", head, url.Values{"key": {"d-1"}, "decision": {"contact-social-care"}}, mon)
	wantBody(t, "a decision without a reason", resp, http.StatusBadRequest, `href="#decision-reason"`, "Record the reason")
	decided := url.Values{"key": {"d-2"}, "decision": {"contact-social-care"}, "reason": {"No contact for four weeks despite calls and a letter."}}
	wantRedirect(t, post(t, h, family+"/decision", head, decided, mon), family+"?done=decision#done")
	page = call(t, h, "GET", family, tokenFor(head), nil, mon)
	wantBody(t, "the family after the decision", page, http.StatusOK, "Informed on 7 December 2026 at 08:40",
		"Contact children&#39;s social care", "Decision (Senior DSL): contact social care. Reason: No contact for four weeks",
		"Local authority informed", "children missing education officer")
	if strings.Contains(page.Body, `id="la-notification"`) {
		t.Error("the LA form is still offered once it was sent")
	}
}

func TestRule_E2_AnINSETDayEnteredOnTheCalendarPageIsNotASchoolDay(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	fri := london(t, "2026-11-06 15:30")

	page := call(t, h, "GET", "/schools/brook-lane/calendar", tokenFor(head), nil, fri)
	wantBody(t, "the calendar form", page, http.StatusOK, "School calendar", `name="version" value="0"`, `id="save-calendar"`,
		`href="/schools/brook-lane/calendar" aria-current="page"`)
	cal := url.Values{"version": {"0"}, "intent": {"save"},
		"term-name": {"Autumn term 2026", ""}, "term-from": {"2026-09-03", ""}, "term-to": {"2026-12-18", ""},
		"off-kind": {"holiday", "inset", "holiday"}, "off-from": {"2026-10-26", "9/11/2026", ""}, "off-to": {"2026-10-30", "", ""},
		"off-note": {"Half term", "Staff training", ""}}
	wantRedirect(t, post(t, h, "/schools/brook-lane/calendar", head, cal, fri), "/schools/brook-lane/calendar?done=saved")
	page = call(t, h, "GET", "/schools/brook-lane/calendar?done=saved", tokenFor(head), nil, fri)
	wantBody(t, "the saved calendar", page, http.StatusOK, "Calendar saved", `value="Autumn term 2026"`, `value="2026-11-09"`,
		`value="Staff training"`, `name="version" value="1"`)

	// A DSL reads it; a teacher does not see it.
	page = call(t, h, "GET", "/schools/brook-lane/calendar", tokenFor(dsl), nil, fri)
	wantBody(t, "a DSL's calendar", page, http.StatusOK, "Autumn term 2026: Thu 3 Sep 2026 to Fri 18 Dec 2026",
		"INSET (staff training) day: Mon 9 Nov 2026 (Staff training)")
	if strings.Contains(page.Body, `id="save-calendar"`) {
		t.Error("a DSL is offered the calendar form")
	}
	if page := call(t, h, "GET", "/schools/brook-lane/calendar", tokenFor(teacher), nil, fri); page.StatusCode != http.StatusNotFound {
		t.Errorf("a teacher opens the calendar: %d", page.StatusCode)
	}
	if resp := post(t, h, "/schools/brook-lane/calendar", dsl, cal, fri); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a DSL saves the calendar: %d", resp.StatusCode)
	}
	// The same version again is someone else's save first: 409, nothing overwritten.
	cal.Set("version", "0")
	if resp := post(t, h, "/schools/brook-lane/calendar", head, cal, fri); resp.StatusCode != http.StatusConflict {
		t.Errorf("a stale calendar: %d", resp.StatusCode)
	}
	// Dates that are not dates are named; nothing is saved.
	badCal := url.Values{"version": {"1"}, "term-name": {"Spring"}, "term-from": {"2027-02-30"}, "term-to": {"2027-03-26"}}
	wantBody(t, "a calendar with problems", post(t, h, "/schools/brook-lane/calendar", head, badCal, fri), http.StatusBadRequest,
		`href="#term-from-0"`, "Term 1: enter its first day as a date")

	// With Monday 9 November an INSET day, the Nguyens marked on Friday are not missing on
	// Tuesday 17 November (five silent school days), but are on Wednesday 18.
	form := sheet(t, h, teacher, "", fri)
	form.Set("ack-fam-06", "thumbs-up")
	wantRedirect(t, post(t, h, "/schools/brook-lane/acknowledgements", teacher, form, fri), "/schools/brook-lane/acknowledgements?")
	w.escalate("2026-11-17")
	if f := w.family("fam-06"); f.Status() != contact.FamilyEngaged {
		t.Errorf("missing after five school days and an INSET day: %+v", f)
	}
	w.escalate("2026-11-18")
	if f := w.family("fam-06"); f.Status() != contact.FamilyMissing {
		t.Errorf("not missing after six school days: %+v", f)
	}
}

func TestCalendarFormAddsRowsWithoutSaving(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	fri := london(t, "2026-11-06 15:30")
	more := url.Values{"version": {"0"}, "intent": {"more"}, "term-name": {"Autumn"}, "term-from": {"3/9/2026"}, "term-to": {"18/12/2026"}}
	page := post(t, h, "/schools/brook-lane/calendar", head, more, fri)
	wantBody(t, "more rows", page, http.StatusOK, `value="Autumn"`, `value="2026-09-03"`, `id="term-name-2"`, `id="off-note-3"`)
	if c, err := h.Engagement.Calendar(context.Background(), safeguarding.Caller{Email: head, At: fri}, seed.BrookLane); err != nil || c.Version != 0 {
		t.Errorf("asking for more rows saved the calendar: %+v %v", c, err)
	}
}

func TestRule_H3_AnAnsweredPhoneCallIsRecordedWithTheWholeCallRecord(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	missingNguyens(t, w)
	tue := london(t, "2026-11-17 09:30")
	family := "/schools/brook-lane/families/fam-06"

	// The attempt form does not take an answered phone call: it has its own record.
	answered := url.Values{"key": {"c-1"}, "method": {"phone-call"}, "outcome": {"established"}, "contact-day": {"17"}, "contact-month": {"11"},
		"contact-year": {"2026"}, "contact-time": {"09:10"}}
	wantBody(t, "an answered call on the attempt form", post(t, h, family+"/contacts", dsl, answered, tue), http.StatusBadRequest,
		"Record a phone call that was answered with its call record below")

	record := url.Values{"form": {"call"}, "key": {"call-1"}, "call-day": {"17"}, "call-month": {"11"}, "call-year": {"2026"}, "call-time": {"09:10"},
		"spoken-to": {"Linh Nguyen, mother"}, "identified-by": {""}, "is-ok": {"yes"}, "worries": {"Minh is not sleeping."},
		"background": {"Children laughing."}, "quote-speaker": {"", "Linh Nguyen"}, "quote-words": {"", ""},
		"action-description": {"Post a reading book to Minh.", ""}, "action-assignee": {staff, ""}, "action-due-date": {"2026-11-19", ""},
		"action-due-time": {"15:00", ""}, "further-contact": {"Daniel calls weekly on Tuesdays."}, "happy": {"yes"},
		"next-call-date": {"2026-11-24"}, "next-call-time": {"09:00"}}
	// Problems of the record, each at its field, the quote in the row it was typed in; nothing written.
	resp := post(t, h, family+"/contacts", dsl, record, tue)
	wantBody(t, "a call record with problems", resp, http.StatusBadRequest, `href="#identified-by"`, `href="#agreed-carer"`,
		`href="#quote-words-1"`, `<details class="govuk-details govuk-!-margin-top-6" id="answered-call" open>`, "Minh is not sleeping.")
	if f := w.family("fam-06"); f.Status() != contact.FamilyMissing {
		t.Fatalf("a call record with problems was recorded: %+v", f)
	}

	record.Set("identified-by", "Knew Minh's date of birth and the class teacher's name.")
	record.Set("agreed-carer", "yes")
	record["quote-words"] = []string{"", "We are fine, the internet was down."}
	for range 2 {
		wantRedirect(t, post(t, h, family+"/contacts", dsl, record, tue), family+"?done=call#done")
	}
	f := w.family("fam-06")
	if f.Status() != contact.FamilyEngaged || !f.CallDueAt().Equal(london(t, "2026-11-24 09:00")) {
		t.Errorf("after an answered call: %+v", f)
	}
	page := call(t, h, "GET", family+"?done=call", tokenFor(dsl), nil, tue)
	wantBody(t, "the family after the call", page, http.StatusOK, "Phone call recorded", "Spoke to Linh Nguyen, mother",
		"Linh Nguyen said: &#34;We are fine, the internet was down.&#34;", "Agreed action: Post a reading book to Minh (", "In contact")
}

// Rule E1: a pupil of the class with no family record cannot be acknowledged for; the sheet
// names them and says who can link them, rather than leaving them out in silence.
func TestRule_E1_PupilsWithoutAFamilyAreNamedOnTheSheet(t *testing.T) {
	w := withFamilies(t)
	for _, p := range []safeguarding.Pupil{
		{ID: "bl-90", School: seed.BrookLane, Name: "Nia Newcomer", YearGroup: "Reception", ClassName: "Acorns"},
		{ID: "bl-91", School: seed.BrookLane, Name: "Olu Unlisted", YearGroup: "Reception", ClassName: "Acorns", FamilyID: "fam-99"},
	} {
		if err := w.st.PutPupil(context.Background(), p); err != nil {
			t.Fatal(err)
		}
	}
	page := call(t, w.h, "GET", "/schools/brook-lane/acknowledgements", tokenFor(teacher), nil, london(t, "2026-11-06 15:30"))
	wantBody(t, "the sheet with unlinked pupils", page, http.StatusOK, `id="unlinked"`, "Nia Newcomer", "Olu Unlisted", "Ask the school office to link them",
		`id="family-fam-06"`)
	if strings.Contains(page.Body, `name="ack-fam-99"`) || strings.Contains(page.Body, `name="ack-"`) {
		t.Error("a pupil without a family record can be marked")
	}
}

// Rule P4: an entry keeps who recorded it; the family's page names them, after they have left
// the school too (their profile keeps their name).
func TestRule_P4_AFamilysPageNamesWhoRecordedAnEntryAfterTheyLeft(t *testing.T) {
	w := withFamilies(t)
	tue := london(t, "2026-11-17 09:00")
	family := "/schools/brook-lane/families/fam-06"
	back := url.Values{"key": {"c-1"}, "method": {"message"}, "outcome": {"established"}, "contact-day": {"17"}, "contact-month": {"11"},
		"contact-year": {"2026"}, "contact-time": {"08:45"}, "notes": {"Mother replied by text."}}
	wantRedirect(t, post(t, w.h, family+"/contacts", dsl, back, tue), family+"?done=contact-established#done")
	ctx := context.Background()
	sc, err := w.st.School(ctx, seed.BrookLane)
	if err != nil {
		t.Fatal(err)
	}
	sc.Roster = slices.DeleteFunc(sc.Roster, func(m safeguarding.StaffMember) bool { return m.Email == dsl })
	if err := w.st.PutSchool(ctx, sc); err != nil {
		t.Fatal(err)
	}
	page := call(t, w.h, "GET", family, tokenFor(head), nil, tue.Add(time.Hour))
	wantBody(t, "the family's page", page, http.StatusOK, "Mother replied by text.", "By Daniel Reyes")
	if strings.Contains(page.Body, dsl) {
		t.Error("the family's page shows an email")
	}
}
