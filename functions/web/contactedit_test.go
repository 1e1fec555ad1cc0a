package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

const fletchers = "/schools/brook-lane/families/fam-05/contact-details/edit"

func (w *world) contactDetails(family string) safeguarding.ContactDetails {
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

// Rule P3: the office keeps a family's details up to date without seeing them: its form is
// blank and says so, with how many numbers the family has; the opening is audited (P4).
// Anyone but the office and the DSLs gets "not found", and what they send writes nothing.
func TestRule_P3_TheOfficeChangesContactDetailsWithoutSeeingThem(t *testing.T) {
	w := withContacts(t)
	h := w.h
	before := w.items("audit")
	resp := call(t, h, "GET", fletchers, tokenFor(office), nil, nov20)
	wantBody(t, "the office's form", resp, http.StatusOK, "Change contact details", "Mason Fletcher",
		"the numbers and the address are not shown", "The family has 2 numbers (1 up to date) and an address",
		"Saving replaces all of them", `name="version" value="1"`, `name="phone-0-number"`, "Confirmed up to date today",
		`autocomplete="off"`)
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
	if d := w.contactDetails("fam-05"); d.Version != 1 || w.items("contacts-version") != len(seed.ContactDetails(seed.Demo())) {
		t.Errorf("refused saves wrote: version %d", d.Version)
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

// Rule P4: a save is a new version with its reason, against the version the page was opened
// at. A form with problems names each and writes nothing; a stale one gets 409 with what was
// typed; a repeated one does the work once. A DSL's form starts from the details (P3).
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
	resp := post(t, h, fletchers, office, bad, nov20)
	wantBody(t, "a form with problems", resp, http.StatusBadRequest, "There is a problem",
		`href="#phone-0-label"`, `href="#phone-1-number"`, `href="#phone-2-label"`, `href="#phone-2-number"`,
		`href="#address-postcode"`, `href="#reason"`, "Say whose number it is", "A UK phone number", "A UK postcode",
		"Say why the details change", `value="nope"`, `value="07700 900555"`)
	if w.items("contacts-version") != versions || w.contactDetails("fam-05").Version != 1 {
		t.Error("a form with problems wrote a version")
	}

	good := newNumbers("k-1", "1")
	wantRedirect(t, post(t, h, fletchers, office, good, nov20), "/schools/brook-lane/contact-details/report?done=saved")
	wantRedirect(t, post(t, h, fletchers, office, good, nov20.Add(time.Minute)), "/schools/brook-lane/contact-details/report?done=saved")
	d := w.contactDetails("fam-05")
	if d.Version != 2 || w.items("contacts-version") != versions+1 || len(d.Phones) != 2 || d.Phones[1].Number != "0117 4960123" ||
		!d.Phones[0].ConfirmedAt.Equal(nov20) || d.Address.Postcode != "ZZ1 1AA" || d.Reason != "Confirmed by phone with Mum" || d.ChangedBy != office {
		t.Errorf("saved: %+v (%d versions, want %d)", d, w.items("contacts-version"), versions+1)
	}
	report := call(t, h, "GET", "/schools/brook-lane/contact-details/report?done=saved", tokenFor(office), nil, nov20)
	wantBody(t, "the report after the save", report, http.StatusOK, "Contact details saved", "Every family has at least 2 up-to-date numbers")

	// The DSL sees the saved numbers on their form (an audited view); the office, still on a
	// page opened at version 1, saves over it: 409, and what it typed stays.
	page := call(t, h, "GET", fletchers, tokenFor(dsl), nil, nov20)
	wantBody(t, "the DSL's form", page, http.StatusOK, `value="07700 900555"`, `value="Dad, work"`, `value="5 New Street"`,
		`value="ZZ1 1AA"`, "Last confirmed", `name="version" value="2"`)
	// A form opened at version 1 and sent back with a problem keeps version 1, so its next save
	// still conflicts.
	unsure := newNumbers("k-2a", "1")
	unsure.Set("reason", "")
	wantBody(t, "a stale form with a problem", post(t, h, fletchers, office, unsure, nov20), http.StatusBadRequest,
		"Say why the details change", `name="version" value="1"`)
	stale := newNumbers("k-2", "1")
	stale.Set("phone-0-number", "07700 900666")
	resp = post(t, h, fletchers, office, stale, nov20)
	wantBody(t, "a stale save", resp, http.StatusConflict, "Someone else changed these details", `value="07700 900666"`, `name="version" value="2"`)
	if strings.Contains(resp.Body, "07700 900555") {
		t.Error("the office's conflict page shows the saved number")
	}
	if w.contactDetails("fam-05").Version != 2 {
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
	if d := w.contactDetails("fam-05"); d.Version != 3 || !d.Phones[0].ConfirmedAt.Equal(nov20) || !d.Phones[1].ConfirmedAt.IsZero() {
		t.Errorf("the DSL's save: %+v", d)
	}
}
