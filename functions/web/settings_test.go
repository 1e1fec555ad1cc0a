package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// settingsForm is the whole settings form as the Senior DSL sends it, against version, with
// change applied.
func settingsFormValues(version string, change func(url.Values)) url.Values {
	v := url.Values{"key": {"k-" + version}, "version": {version}, "end-of-day": {"17:00"}, "lone-worker-minutes": {"30"},
		"session-idle-minutes": {"30"}, "session-lifetime-minutes": {"600"}, "contact-openings": {"30"},
		"duty-team-number": {"01632 960100"}, "lado-number": {"01632 960110"}, "governor": {apitest.Martin},
		"childrens-social-care-name": {"Children's front door"}, "childrens-social-care-number": {"01632 960100"},
		"police-name": {"Police, not an emergency"}, "police-number": {"101"}}
	if change != nil {
		change(v)
	}
	return v
}

var settingsDay = apitest.At("09:00")

// Rules V5, V8, S3, C5: only the Senior DSL has the settings page; the DSLs, the office, a
// teacher and the governor get "not found" and change nothing. A form with problems comes back
// with each named at its field in plain words, and what was typed kept.
func TestRule_V5_V8_S3_C5_OnlyTheSeniorDSLHasTheSettingsPage(t *testing.T) {
	w := newWorld(t)
	h := w.h
	for _, who := range []string{dsl, office, teacher, staff, apitest.Martin, outsider} {
		if got := call(t, h, "GET", "/schools/brook-lane/settings", tokenFor(who), nil, settingsDay).StatusCode; got != http.StatusNotFound {
			t.Errorf("%s opened the settings page: %d", who, got)
		}
		if got := post(t, h, "/schools/brook-lane/settings", who, settingsFormValues("0", func(v url.Values) { v.Set("duty-team-number", "01632 960999") }), settingsDay).StatusCode; got != http.StatusNotFound {
			t.Errorf("%s sent the settings form: %d", who, got)
		}
	}
	if sc, _ := w.st.School(context.Background(), seed.BrookLane); sc.DutyTeamNumber != "01632 960100" || sc.SettingsVersion != 0 {
		t.Fatalf("someone other than the Senior DSL changed the settings: %+v", sc)
	}
	form := call(t, h, "GET", "/schools/brook-lane/settings", tokenFor(head), nil, settingsDay)
	wantBody(t, "the Senior DSL's settings", form, http.StatusOK, `id="duty-team-number"`, `value="01632 960100"`, `value="17:00"`,
		`<option value="`+apitest.Martin+`" selected>Martin Doyle</option>`, `name="version" value="0"`, "Early help")
	if strings.Contains(form.Body, apitest.Martin+"</option>") {
		t.Error("the governor is shown by email")
	}

	bad := post(t, h, "/schools/brook-lane/settings", head, settingsFormValues("0", func(v url.Values) {
		v.Set("duty-team-number", "ring the council")
		v.Set("lone-worker-minutes", "half an hour")
		v.Set("end-of-day", "15:00")
		v.Set("session-idle-minutes", "500")
		v.Set("police-name", "")
		v.Set("early-help-email", "not an email")
		v.Set("early-help-name", "Hub")
		v.Set("early-help-number", "01632 960120")
	}), settingsDay)
	wantBody(t, "a form with problems", bad, http.StatusBadRequest, "There is a problem",
		`href="#lone-worker-minutes"`, "Enter the minutes to wait for a check-out as a whole number from 5 to 240",
		`value="ring the council"`, `value="half an hour"`)
	again := post(t, h, "/schools/brook-lane/settings", head, settingsFormValues("0", func(v url.Values) {
		v.Set("duty-team-number", "ring the council")
		v.Set("end-of-day", "15:00")
		v.Set("session-idle-minutes", "500")
		v.Set("police-name", "")
		v.Set("early-help-email", "not an email")
		v.Set("early-help-name", "Hub")
		v.Set("early-help-number", "01632 960120")
	}), settingsDay)
	wantBody(t, "the domain's problems", again, http.StatusBadRequest,
		`href="#duty-team-number"`, "Enter the duty team&#39;s number as a UK phone number, like 01632 960100",
		`href="#end-of-day"`, `href="#session-idle-minutes"`, `href="#police-name"`, "Enter the name of the team or person for police",
		`href="#early-help-email"`, `id="early-help-email-error"`)
	if strings.Contains(again.Body, "keyContacts") || strings.Contains(again.Body, "dutyTeamNumber") {
		t.Error("the page names a field by its name in the API")
	}
	if sc, _ := w.st.School(context.Background(), seed.BrookLane); sc.SettingsVersion != 0 {
		t.Errorf("a form with problems changed the settings: %+v", sc)
	}

	// Saved, then a form opened before the change is stale: the page shows the settings now.
	wantRedirect(t, post(t, h, "/schools/brook-lane/settings", head, settingsFormValues("0", func(v url.Values) { v.Set("lone-worker-minutes", "45") }), settingsDay),
		"/schools/brook-lane/settings?done=saved")
	stale := post(t, h, "/schools/brook-lane/settings", head, settingsFormValues("0", func(v url.Values) {
		v.Set("key", "other")
		v.Set("lone-worker-minutes", "20")
	}), settingsDay)
	wantBody(t, "a stale form", stale, http.StatusConflict, "Someone else changed the settings", `value="45"`, `name="version" value="1"`)
}

// Rule V5: the duty team's number on a home visit is the school's setting: when the Senior DSL
// changes it, the visit screen shows the new number.
func TestRule_V5_TheVisitScreenShowsTheDutyTeamsNumberFromTheSettings(t *testing.T) {
	w := visitWorld(t)
	h := w.h
	visit := plannedVisit(t, h)
	wantRedirect(t, post(t, h, visit+"/call-ahead", teacher, url.Values{"key": {"c1"}, "outcome": {"agreed"}}, visitAt("2027-02-26 16:00")), visit+"?done=call-ahead")
	wantRedirect(t, post(t, h, visit+"/authorise", head, url.Values{"key": {"a1"}}, visitAt("2027-02-26 16:06")), visit+"?done=authorise")
	wantRedirect(t, post(t, h, visit+"/start", teacher, url.Values{"key": {"s2"}, "going": {teacher, staff}}, visitAt("2027-03-01 09:56")), visit+"?done=start")
	wantBody(t, "the visit before", call(t, h, "GET", visit, tokenFor(staff), nil, visitAt("2027-03-01 10:05")), http.StatusOK,
		`id="duty-team"`, `href="tel:01632%20960100"`)

	wantRedirect(t, post(t, h, "/schools/brook-lane/settings", head, settingsFormValues("0", func(v url.Values) { v.Set("duty-team-number", "01632960 555") }),
		visitAt("2027-03-01 10:06")), "/schools/brook-lane/settings?done=saved")
	after := call(t, h, "GET", visit, tokenFor(staff), nil, visitAt("2027-03-01 10:07"))
	wantBody(t, "the visit after", after, http.StatusOK, `id="duty-team"`, `href="tel:01632%20960555"`, "01632 960555")
	if strings.Contains(after.Body, "01632 960100") {
		t.Error("the visit screen still shows the old number")
	}
}

// Rules C5, C7: the concern form's section for a concern about a member of staff gives the
// LADO's number and names the safeguarding governor, as the school's settings say.
func TestRule_C5_C7_TheConcernFormGivesTheLADOsNumberForAConcernAboutStaff(t *testing.T) {
	w := newWorld(t)
	h := w.h
	form := call(t, h, "GET", "/schools/brook-lane/concerns/new", tokenFor(staff), nil, settingsDay)
	wantBody(t, "the concern form", form, http.StatusOK, "This concern is about a member of staff",
		`id="lado-number" href="tel:01632%20960110"`, "the safeguarding governor, Martin Doyle,", `href="/schools/brook-lane/key-contacts"`)

	wantRedirect(t, post(t, h, "/schools/brook-lane/settings", head, settingsFormValues("0", func(v url.Values) {
		v.Set("lado-number", "01632 960777")
		v.Set("governor", "")
	}), settingsDay), "/schools/brook-lane/settings?done=saved")
	form = call(t, h, "GET", "/schools/brook-lane/concerns/new", tokenFor(staff), nil, settingsDay)
	wantBody(t, "the concern form after", form, http.StatusOK, `id="lado-number" href="tel:01632%20960777"`)
	// Martin Doyle is still on the form's list of staff a concern may be about: not as its governor.
	if strings.Contains(form.Body, "the safeguarding governor, Martin Doyle,") || strings.Contains(form.Body, "01632 960110") {
		t.Error("the form still gives the old LADO's number or governor")
	}
}

// Rules V5, C5: every member of staff reaches the key contacts from the menu: the duty team,
// the LADO, the safeguarding governor by name and the agencies of the school's policy.
func TestRule_V5_C5_EveryMemberOfStaffHasTheKeyContacts(t *testing.T) {
	w := newWorld(t)
	h := w.h
	page := call(t, h, "GET", "/schools/brook-lane/key-contacts", tokenFor(staff), nil, settingsDay)
	wantBody(t, "the key contacts", page, http.StatusOK, `href="/schools/brook-lane/key-contacts"`, "call 999",
		`href="tel:01632%20960100"`, `href="tel:01632%20960110"`, "Martin Doyle", "Early help", "Brookhill early help hub",
		"mailto:earlyhelp@brookhill-council.example.org", `href="tel:101"`)
	if strings.Contains(page.Body, "Change these numbers") {
		t.Error("staff are offered to change the numbers")
	}
	wantBody(t, "the Senior DSL's key contacts", call(t, h, "GET", "/schools/brook-lane/key-contacts", tokenFor(head), nil, settingsDay),
		http.StatusOK, `href="/schools/brook-lane/settings"`, "Change these numbers")
	if got := call(t, h, "GET", "/schools/brook-lane/key-contacts", tokenFor(outsider), nil, settingsDay).StatusCode; got != http.StatusNotFound {
		t.Errorf("someone of another school read the key contacts: %d", got)
	}
}

// Rules E1, P1: the office (or the Senior DSL) ticks a class's teachers by name; the teacher
// then has that class to mark. Anyone else gets "not found".
func TestRule_E1_P1_TheOfficeGivesAClassItsTeacherByName(t *testing.T) {
	w := withFamilies(t)
	h := w.h
	for _, who := range []string{dsl, teacher, staff, apitest.Martin, outsider} {
		if got := call(t, h, "GET", "/schools/brook-lane/classes", tokenFor(who), nil, settingsDay).StatusCode; got != http.StatusNotFound {
			t.Errorf("%s opened the classes page: %d", who, got)
		}
		if got := post(t, h, "/schools/brook-lane/classes", who, url.Values{"class": {"Saplings"}, "version": {"0"}, "teacher": {teacher}}, settingsDay).StatusCode; got != http.StatusNotFound {
			t.Errorf("%s gave a class its teacher: %d", who, got)
		}
	}
	page := call(t, h, "GET", "/schools/brook-lane/classes", tokenFor(office), nil, settingsDay)
	wantBody(t, "the classes", page, http.StatusOK, "Saplings", "Taught by Sam Ellis", ">Tom Hughes</label>", `name="teacher" type="checkbox" value="`+teacher+`"`)
	if strings.Contains(page.Body, ">"+teacher+"<") {
		t.Error("a teacher is shown by email")
	}
	// Tom's classes to mark: his one class's sheet at once, or the list of his classes.
	marks := func() string {
		return call(t, h, "GET", "/schools/brook-lane/acknowledgements", tokenFor(teacher), nil, settingsDay).Body
	}
	if strings.Contains(marks(), "class=Saplings") {
		t.Fatal("Tom has Saplings before he is given it")
	}
	wantRedirect(t, post(t, h, "/schools/brook-lane/classes", office, url.Values{"key": {"c1"}, "class": {"Saplings"}, "version": {"0"}, "teacher": {teacher, apitest.Sam}}, settingsDay),
		"/schools/brook-lane/classes?done=Saplings")
	if m := marks(); !strings.Contains(m, "class=Saplings") || !strings.Contains(m, "class=Acorns") {
		t.Error("Tom cannot mark Saplings once he teaches it")
	}
	stale := post(t, h, "/schools/brook-lane/classes", head, url.Values{"key": {"c2"}, "class": {"Saplings"}, "version": {"0"}, "teacher": {apitest.Sam}}, settingsDay)
	wantBody(t, "a stale form", stale, http.StatusConflict, "Someone else changed who teaches Saplings", "Taught by Sam Ellis, Tom Hughes")
	wrong := post(t, h, "/schools/brook-lane/classes", head, url.Values{"key": {"c3"}, "class": {"Saplings"}, "version": {"1"}, "teacher": {staff}}, settingsDay)
	wantBody(t, "someone who does not teach", wrong, http.StatusBadRequest, "Choose Saplings&#39;s teachers from the list")
}
