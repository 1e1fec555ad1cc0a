package main

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

const fletchers = "/schools/brook-lane/families/fam-05/contact-details/edit"

func (w *world) contactDetails(family string) contact.ContactDetails {
	w.t.Helper()
	d, err := w.st.ContactDetails(context.Background(), seed.BrookLane, family)
	if err != nil {
		w.t.Fatal(err)
	}
	return d
}

// newNumbers is the office's form for the Fletchers, both numbers confirmed today.
func newNumbers(key, version string) url.Values {
	return url.Values{"key": {key}, "version": {version},
		"phone-0-label": {"Mum, mobile"}, "phone-0-number": {"07700 900555"}, "phone-0-confirmed": {"yes"},
		"phone-1-label": {"Dad, work"}, "phone-1-number": {"0117 496 0123"}, "phone-1-confirmed": {"yes"},
		"address-line-0": {"5 New Street"}, "address-line-1": {""}, "address-postcode": {"zz1 1aa"},
		"reason": {"Confirmed by phone with Mum"}}
}

// Rule P3: the office keeps a family's details up to date without seeing them: its form lists
// each number by whose it is, never its digits, and says so; the opening is audited (P4).
// Anyone but the office and the DSLs gets "not found", and what they send writes nothing.
func TestRule_P3_TheOfficeChangesContactDetailsWithoutSeeingThem(t *testing.T) {
	w := withContacts(t)
	h := w.h
	before := w.items("audit")
	resp := call(t, h, "GET", fletchers, tokenFor(office), nil, nov20)
	wantBody(t, "the office's form", resp, http.StatusOK, "Change contact details", "Mason Fletcher",
		"the numbers and the address, so they are not shown", "The family has 2 numbers (1 up to date) and an address",
		"Saving changes only what you change below", `name="version" value="1"`, "Kelly Fletcher, mobile", "Dean Fletcher, mobile",
		`name="held-0-number"`, "New number for Kelly Fletcher, mobile", "Remove this number", "Confirmed up to date today",
		"Change the address", "Check the changes", `autocomplete="off"`)
	if strings.Contains(resp.Body, "Earlier versions") {
		t.Error("the office is offered the earlier versions")
	}
	noContactDetails(t, "the office's form", resp)
	if resp.Headers["Cache-Control"] != "no-store" {
		t.Errorf("the form may be cached: %q", resp.Headers["Cache-Control"])
	}
	if w.items("audit") != before+1 {
		t.Error("opening the form was not audited")
	}

	for _, who := range []string{teacher, staff, outsider} {
		wantBody(t, "the form for "+who, call(t, h, "GET", fletchers, tokenFor(who), nil, nov20), http.StatusNotFound, "Page not found")
		wantBody(t, "a save by "+who, post(t, h, fletchers, who, newNumbers("k-"+who, "1"), nov20), http.StatusNotFound, "Page not found")
	}
	wantBody(t, "another school's family", call(t, h, "GET", "/schools/brook-lane/families/fam-13/contact-details/edit", tokenFor(office), nil, nov20),
		http.StatusNotFound, "Page not found")
	if d := w.contactDetails("fam-05"); d.Version() != 1 || w.items("contacts-version") != len(seed.ContactDetails(seed.Demo())) {
		t.Errorf("refused saves wrote: version %d", d.Version())
	}

	// A DSL designates the office for closure contact: it may see the details, so its form
	// starts from them, as a DSL's does.
	if _, err := h.Contacts.Designate(context.Background(), safeguarding.Caller{Email: dsl, At: nov20, Source: "test"}, seed.BrookLane,
		office, true, "Calls families during the closure", safeguarding.RequestKey{}, "d"); err != nil {
		t.Fatal(err)
	}
	wantBody(t, "the designated office's form", call(t, h, "GET", fletchers, tokenFor(office), nil, nov20), http.StatusOK,
		`value="07700 900108"`, "Opening this page is recorded")
}

// Rule P4: a DSL's save is a new version with its reason, against the version the page was
// opened at. A form with problems names each and writes nothing; a stale one gets 409 with
// what was typed; a repeated one does the work once. A DSL's form starts from the details
// (P3). The office may not replace what it cannot see.
func TestRule_P4_ContactDetailsAreSavedAsANewVersionAgainstTheOneRead(t *testing.T) {
	w := withContacts(t)
	h := w.h
	versions := w.items("contacts-version")

	bad := newNumbers("k-bad", "1")
	bad.Set("phone-0-label", "")
	bad.Set("phone-1-number", "12")
	bad.Set("phone-2-confirmed", "yes")
	bad.Set("address-postcode", "nope")
	bad.Set("reason", "")
	resp := post(t, h, fletchers, dsl, bad, nov20)
	wantBody(t, "a form with problems", resp, http.StatusBadRequest, "There is a problem",
		`href="#phone-0-label"`, `href="#phone-1-number"`, `href="#phone-2-label"`, `href="#phone-2-number"`,
		`href="#address-postcode"`, `href="#reason"`, "Say whose number it is", "A UK phone number", "A UK postcode",
		"Say why the details change", `value="nope"`, `value="07700 900555"`)
	if w.items("contacts-version") != versions || w.contactDetails("fam-05").Version() != 1 {
		t.Error("a form with problems wrote a version")
	}

	good := newNumbers("k-1", "1")
	wantBody(t, "the office's save of a whole form", post(t, h, fletchers, office, good, nov20), http.StatusNotFound, "Page not found")
	wantRedirect(t, post(t, h, fletchers, head, good, nov20), "/schools/brook-lane/contact-details/report?done=saved")
	wantRedirect(t, post(t, h, fletchers, head, good, nov20.Add(time.Minute)), "/schools/brook-lane/contact-details/report?done=saved")
	d := w.contactDetails("fam-05")
	if d.Version() != 2 || w.items("contacts-version") != versions+1 || len(d.Phones()) != 2 || d.Phones()[1].Number != "0117 4960123" ||
		!d.Phones()[0].ConfirmedAt.Equal(nov20) || d.Address().Postcode != "ZZ1 1AA" || d.Reason() != "Confirmed by phone with Mum" || d.ChangedBy() != head {
		t.Errorf("saved: %+v (%d versions, want %d)", d, w.items("contacts-version"), versions+1)
	}
	report := call(t, h, "GET", "/schools/brook-lane/contact-details/report?done=saved", tokenFor(office), nil, nov20)
	wantBody(t, "the report after the save", report, http.StatusOK, "Contact details saved", "Every family has at least 2 up-to-date numbers")

	// The DSL sees the saved numbers on their form (an audited view); the DSL, still on a
	// page opened at version 1, saves over it: 409, and what they typed stays.
	page := call(t, h, "GET", fletchers, tokenFor(dsl), nil, nov20)
	wantBody(t, "the DSL's form", page, http.StatusOK, `value="07700 900555"`, `value="Dad, work"`, `value="5 New Street"`,
		`value="ZZ1 1AA"`, "Last confirmed", `name="version" value="2"`)
	// A form opened at version 1 and sent back with a problem keeps version 1, so its next save
	// still conflicts.
	unsure := newNumbers("k-2a", "1")
	unsure.Set("reason", "")
	wantBody(t, "a stale form with a problem", post(t, h, fletchers, dsl, unsure, nov20), http.StatusBadRequest,
		"Say why the details change", `name="version" value="1"`)
	stale := newNumbers("k-2", "1")
	stale.Set("phone-0-number", "07700 900666")
	resp = post(t, h, fletchers, dsl, stale, nov20)
	wantBody(t, "a stale save", resp, http.StatusConflict, "Someone else changed these details", `value="07700 900666"`, `name="version" value="2"`,
		"Check it against the details saved now")
	if w.contactDetails("fam-05").Version() != 2 {
		t.Error("a stale save wrote")
	}

	// The DSL saves their form as it came, unticked: each number keeps its confirmation.
	keep := newNumbers("k-3", "2")
	keep.Del("phone-0-confirmed")
	keep.Del("phone-1-confirmed")
	keep.Set("phone-0-confirmed-at", nov20.UTC().Format(time.RFC3339))
	keep.Set("reason", "Tidied the labels")
	later := nov20.Add(48 * time.Hour)
	wantRedirect(t, post(t, h, fletchers, dsl, keep, later), "/schools/brook-lane/contact-details/report?done=saved")
	if d := w.contactDetails("fam-05"); d.Version() != 3 || !d.Phones()[0].ConfirmedAt.Equal(nov20) || !d.Phones()[1].ConfirmedAt.IsZero() {
		t.Errorf("the DSL's save: %+v", d)
	}
}

// officeChange is the office's form for the Fletchers: Gran's new number added and confirmed,
// Kelly's confirmed, nothing else touched.
func officeChange(key, version string) url.Values {
	return url.Values{"form": {"patch"}, "key": {key}, "version": {version},
		"held-0-label": {"Kelly Fletcher, mobile"}, "held-0-confirmed": {"yes"}, "held-0-number": {""}, "held-0-remove-reason": {""},
		"held-1-label": {"Dean Fletcher, mobile"}, "held-1-number": {""}, "held-1-remove-reason": {""},
		"new-0-label": {"Gran, mobile"}, "new-0-number": {"07700 900555"}, "new-0-confirmed": {"yes"},
		"new-1-label": {""}, "new-1-number": {""},
		"address-line-0": {""}, "address-line-1": {""}, "address-line-2": {""}, "address-line-3": {""}, "address-postcode": {""},
		"reason": {"Gran phoned the office"}, "step": {"check"}}
}

var checkedField = regexp.MustCompile(`name="checked" value="([^"]+)"`)

// Rule P4: the office's form changes only what it names. The page first says what saving
// will do, and saves only the form it checked; the address and the numbers not named stay as
// they were; a removal needs its reason; a form opened before someone else's save is 409. The
// earlier versions are for the DSLs to read back (P3), not the office.
func TestRule_P4_TheOfficesFormChangesOnlyWhatItNamesAfterSayingWhat(t *testing.T) {
	w := withContacts(t)
	h := w.h
	before := w.contactDetails("fam-05")

	form := officeChange("k-office", "1")
	resp := post(t, h, fletchers, office, form, nov20)
	wantBody(t, "the check", resp, http.StatusOK, "Check before saving",
		"Saving adds 1 number, confirms 1 number, keeps 1 number and the address.", "Gran, mobile", "Save these changes", `value="07700 900555"`)
	for _, held := range append(before.Address().Lines, before.Phones()[0].Number, before.Phones()[1].Number, before.Address().Postcode) {
		if strings.Contains(resp.Body, held) {
			t.Errorf("the check shows what the family has: %q", held)
		}
	}
	if w.contactDetails("fam-05").Version() != 1 {
		t.Fatal("checking saved")
	}
	m := checkedField.FindStringSubmatch(resp.Body)
	if m == nil {
		t.Fatal("the check page has no checked form")
	}

	// Changed after the check: checked again, not saved.
	changed := officeChange("k-office", "1")
	changed.Set("step", "save")
	changed.Set("checked", m[1])
	changed.Del("held-0-confirmed")
	wantBody(t, "a form changed after its check", post(t, h, fletchers, office, changed, nov20), http.StatusOK,
		"You changed the form after checking it", "Saving adds 1 number, keeps 2 numbers and the address.")
	if w.contactDetails("fam-05").Version() != 1 {
		t.Fatal("a form changed after its check was saved")
	}

	form.Set("step", "save")
	form.Set("checked", m[1])
	wantRedirect(t, post(t, h, fletchers, office, form, nov20), "/schools/brook-lane/contact-details/report?done=saved")
	wantRedirect(t, post(t, h, fletchers, office, form, nov20.Add(time.Minute)), "/schools/brook-lane/contact-details/report?done=saved")
	d := w.contactDetails("fam-05")
	if d.Version() != 2 || len(d.Phones()) != 3 || d.ChangedBy() != office || d.Reason() != "Gran phoned the office" {
		t.Fatalf("saved %+v", d)
	}
	if d.Address().Postcode != before.Address().Postcode || strings.Join(d.Address().Lines, "|") != strings.Join(before.Address().Lines, "|") {
		t.Errorf("the address was %+v, now %+v", before.Address(), d.Address())
	}
	if d.Phones()[0].Number != before.Phones()[0].Number || !d.Phones()[0].ConfirmedAt.Equal(nov20) || d.Phones()[1] != before.Phones()[1] ||
		d.Phones()[2].Label != "Gran, mobile" || d.Phones()[2].Number != "07700 900555" {
		t.Errorf("numbers were %+v, now %+v", before.Phones(), d.Phones())
	}

	// A removal without its reason is named; with it, only that number goes.
	remove := officeChange("k-remove", "2")
	remove.Set("held-0-label", "Kelly Fletcher, mobile")
	remove.Del("held-0-confirmed")
	remove.Set("held-1-remove", "yes")
	remove.Set("new-0-label", "")
	remove.Set("new-0-number", "")
	remove.Del("new-0-confirmed")
	remove.Set("held-2-label", "Gran, mobile")
	resp = post(t, h, fletchers, office, remove, nov20)
	wantBody(t, "a removal without why", resp, http.StatusBadRequest, "There is a problem", `href="#held-1-remove-reason"`, "Say why the number is removed")
	remove.Set("held-1-remove-reason", "Dad's phone was stolen")
	resp = post(t, h, fletchers, office, remove, nov20)
	wantBody(t, "the removal's check", resp, http.StatusOK, "Saving removes 1 number, keeps 2 numbers and the address.", "Dad&#39;s phone was stolen")
	remove.Set("step", "save")
	remove.Set("checked", checkedField.FindStringSubmatch(resp.Body)[1])
	wantRedirect(t, post(t, h, fletchers, office, remove, nov20), "/schools/brook-lane/contact-details/report?done=saved")
	if d := w.contactDetails("fam-05"); d.Version() != 3 || len(d.Phones()) != 2 || d.Phones()[1].Label != "Gran, mobile" || d.Address().IsZero() {
		t.Errorf("after the removal: %+v", d)
	}

	// A form opened at version 2, checked now that the details are at 3: someone else saved.
	stale := officeChange("k-stale", "2")
	stale.Set("held-1-label", "Gran, mobile")
	resp = post(t, h, fletchers, office, stale, nov20)
	wantBody(t, "a stale check", resp, http.StatusConflict, "Someone else changed these details", `name="version" value="3"`, `value="07700 900555"`)

	// The DSLs read every version back, with who, when and why; the office may not.
	const versions = "/schools/brook-lane/families/fam-05/contact-details/versions"
	wantBody(t, "the office's versions page", call(t, h, "GET", versions, tokenFor(office), nil, nov20), http.StatusNotFound, "Page not found")
	page := call(t, h, "GET", versions, tokenFor(dsl), nil, nov20)
	wantBody(t, "the DSL's versions page", page, http.StatusOK, "Earlier contact details", "Version 3", "Version 2", "Version 1",
		"Grace Bennett", "Gran phoned the office", "Removed Dean Fletcher, mobile: Dad&#39;s phone was stolen", "Data collection sheet, autumn term",
		before.Phones()[1].Number)
	if strings.Index(page.Body, "Version 3") > strings.Index(page.Body, "Version 1") {
		t.Error("the versions are not newest first")
	}
	wantBody(t, "the DSL's form", call(t, h, "GET", fletchers, tokenFor(dsl), nil, nov20), http.StatusOK, `href="`+versions+`"`)
}
