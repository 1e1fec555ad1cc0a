package main

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// office is Brook Lane's office (admin): not a DSL, not designated for closure contact.
var office = seed.Email("Grace", "Bennett")

// withContacts adds the demo families and the contacts use cases to a world, as main wires
// them.
func withContacts(t *testing.T) *world {
	t.Helper()
	w := withFamilies(t)
	w.h.Contacts = contact.Contacts{Store: w.st, NewID: store.NewID}
	return w
}

// nov20 is a Friday afternoon of the autumn term: the demo numbers confirmed in September
// are up to date, except the Fletchers' (fam-05) second, last confirmed in 2024.
var nov20 = time.Date(2026, 11, 20, 14, 0, 0, 0, safeguarding.London)

// Rule H1: the office and the DSLs see the families with fewer than two up-to-date numbers,
// each linking to its form, and no number or address (P3); the read is audited (P4). Anyone
// else, a designated teacher included, gets "not found".
func TestRule_H1_TheReportListsFamiliesShortOfNumbersWithoutThem(t *testing.T) {
	w := withContacts(t)
	h := w.h
	const report = "/schools/brook-lane/contact-details/report"
	for _, who := range []string{office, dsl, head} {
		before := w.items("audit")
		resp := call(t, h, "GET", report, tokenFor(who), nil, nov20)
		wantBody(t, "the report for "+who, resp, http.StatusOK, "Families short of contact numbers", "Mason Fletcher",
			`href="/schools/brook-lane/families/fam-05/contact-details/edit"`, "1 of 2", "1 family")
		noContactDetails(t, "the report", resp)
		if resp.Headers["Cache-Control"] != "no-store" {
			t.Errorf("the report may be cached: %q", resp.Headers["Cache-Control"])
		}
		if strings.Contains(resp.Body, "Chidi Okafor") || strings.Contains(resp.Body, "Ngozi") {
			t.Error("the report lists a family with two up-to-date numbers, or another school's pupil")
		}
		if w.items("audit") != before+1 {
			t.Errorf("the report read by %s was not audited", who)
		}
	}
	for _, who := range []string{teacher, staff, outsider} {
		resp := call(t, h, "GET", report, tokenFor(who), nil, nov20)
		wantBody(t, "the report for "+who, resp, http.StatusNotFound, "Page not found")
		if strings.Contains(resp.Body, "Fletcher") {
			t.Errorf("the refusal to %s names a family", who)
		}
	}

	// In March the September check is over 183 days old: every Brook Lane family is listed.
	march := time.Date(2027, 3, 15, 9, 0, 0, 0, safeguarding.London)
	resp := call(t, h, "GET", report, tokenFor(office), nil, march)
	wantBody(t, "the report in March", resp, http.StatusOK, "Chidi Okafor", "Mason Fletcher", "0 of 2", "Last confirmed")
	noContactDetails(t, "the report in March", resp)

	// The menu leads the office and the DSLs to it, not other staff.
	link := `href="` + report + `"`
	for who, want := range map[string]bool{office: true, dsl: true, teacher: false, staff: false} {
		page := call(t, h, "GET", "/schools/brook-lane/work", tokenFor(who), nil, nov20)
		if strings.Contains(page.Body, link) != want {
			t.Errorf("menu link to the report for %s: %v, want %v", who, !want, want)
		}
	}
}
