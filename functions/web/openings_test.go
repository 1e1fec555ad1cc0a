package main

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// familyPage is the path of one of a Brook Lane family's pages.
func familyPage(family, page string) string { return "/schools/brook-lane/families/" + family + page }

// withOpeningsPerHour is withContacts at a school that lets a person open n families' numbers
// an hour without a reason.
func withOpeningsPerHour(t *testing.T, n int) *world {
	t.Helper()
	w := withContacts(t)
	sc, err := w.st.School(context.Background(), seed.BrookLane)
	apitest.Must(t, err)
	sc.ContactOpeningsPerHour = n
	apitest.Must(t, w.st.PutSchool(context.Background(), sc))
	return w
}

// openingAudit says whether an audit entry of action about subject keeps reason.
func (w *world) openingAudit(subject, action, reason string) bool {
	w.t.Helper()
	for _, it := range apitest.Items(w.t, w.db, w.table) {
		if apitest.Attr(it, "type") == "audit" && apitest.Attr(it, "subject") == subject &&
			apitest.Attr(it, "action") == action && apitest.Attr(it, "reason") == reason {
			return true
		}
	}
	return false
}

// Rule P3 on every page that shows a family's numbers: the call screen, the earlier versions
// and a DSL's form that changes them all count toward the same hour. At a school of 2 families
// an hour, a DSL's form for one family and the versions of another take the hour; a third
// family's form and its versions each ask why instead of showing a number, and with a reason
// show them, the reason kept in the opening's audit entry (P4). The office's form shows no
// number and counts nothing, however many families it opens.
func TestRule_P3_P4_TheFormThatChangesAFamilysNumbersAndItsVersionsCountTowardTheHour(t *testing.T) {
	w := withOpeningsPerHour(t, 2)
	h := w.h
	at := nov20.Truncate(time.Hour).Add(10 * time.Minute)
	wantBody(t, "a DSL's form", call(t, h, "GET", familyPage("fam-05", "/contact-details/edit"), tokenFor(dsl), nil, at), http.StatusOK, "07700")
	wantBody(t, "the versions of a second family", call(t, h, "GET", familyPage("fam-01", "/contact-details/versions"), tokenFor(dsl), nil, at),
		http.StatusOK, "07700")

	for _, page := range []string{"/contact-details/edit", "/contact-details/versions", "/call"} {
		resp := call(t, h, "GET", familyPage("fam-02", page), tokenFor(dsl), nil, at)
		wantBody(t, "a third family's "+page, resp, http.StatusOK, "Why do you need this family's numbers?",
			`action="`+familyPage("fam-02", page)+`"`, `name="form" value="reason"`, "2 different families")
		noContactDetails(t, "the question why on "+page, resp)
		resp = post(t, h, familyPage("fam-02", page), dsl, url.Values{"form": {"reason"}, "reason": {"  "}}, at)
		wantBody(t, "an empty reason on "+page, resp, http.StatusBadRequest, "There is a problem", `href="#reason"`)
		noContactDetails(t, "an empty reason on "+page, resp)
	}
	if w.openingAudit("family/fam-02/contact-details", contact.AuditContactsViewed, "") {
		t.Error("a third family was opened without a reason")
	}

	reason := "Checking the number the family gave the office"
	wantBody(t, "the versions with a reason", post(t, h, familyPage("fam-02", "/contact-details/versions"), dsl,
		url.Values{"form": {"reason"}, "reason": {reason}}, at), http.StatusOK, "Earlier contact details", "07700")
	if !w.openingAudit("family/fam-02/contact-details/versions", contact.AuditContactsVersionsRead, reason) {
		t.Error("rule P4: the reading of the versions does not keep its reason")
	}
	// Counted now, the family's form opens without a question; a fourth family's asks why.
	wantBody(t, "the form of a family counted", call(t, h, "GET", familyPage("fam-02", "/contact-details/edit"), tokenFor(dsl), nil, at),
		http.StatusOK, "Change contact details", "07700")
	wantBody(t, "a fourth family's form", call(t, h, "GET", familyPage("fam-03", "/contact-details/edit"), tokenFor(dsl), nil, at),
		http.StatusOK, "Why do you need this family's numbers?")
	wantBody(t, "the form with a reason", post(t, h, familyPage("fam-03", "/contact-details/edit"), dsl,
		url.Values{"form": {"reason"}, "reason": {reason}}, at), http.StatusOK, "Change contact details", "07700")
	if !w.openingAudit("family/fam-03/contact-details", contact.AuditContactsViewed, reason) {
		t.Error("rule P4: the form's opening does not keep its reason")
	}

	// The office sees no number, so its form counts nothing and never asks why.
	for _, family := range []string{"fam-01", "fam-02", "fam-03", "fam-04", "fam-05"} {
		resp := call(t, h, "GET", familyPage(family, "/contact-details/edit"), tokenFor(office), nil, at)
		wantBody(t, "the office's form of "+family, resp, http.StatusOK, "Change contact details")
		noContactDetails(t, "the office's form of "+family, resp)
	}
}
