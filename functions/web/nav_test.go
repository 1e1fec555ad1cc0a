package main

import (
	"context"
	"maps"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Rule P3: staff a DSL designated for closure contact find the families to call from the menu
// of every page, though the designation is not a role; the link comes with the profile every
// page reads already, so a designated person's page costs the same reads as anyone's.
func TestRule_P3_DesignatedStaffHaveTheFamiliesToCallInTheMenu(t *testing.T) {
	w := withFamilies(t)
	contacts := contact.Contacts{Store: w.st, NewID: store.NewID}
	w.h.Contacts = contacts
	h := w.h
	at := time.Date(2027, 2, 26, 15, 0, 0, 0, safeguarding.London)
	link := `href="/schools/brook-lane/calls"`
	page := func(who string, at time.Time) (string, map[string]int) {
		t.Helper()
		testSession(t, h, tokenFor(who))
		w.calls.Reset()
		resp := call(t, h, "GET", "/schools/brook-lane/work", tokenFor(who), nil, at)
		got := w.calls.Counts()
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("the My work page for %s: %d", who, resp.StatusCode)
		}
		return resp.Body, got
	}

	// The seed designates Tom Hughes (a teacher) at Brook Lane; Priya Shah is not designated.
	tom, tomReads := page(teacher, at)
	if !strings.Contains(tom, link) || !strings.Contains(tom, "Families to call") {
		t.Error("a designated teacher has no menu link to the families to call")
	}
	priya, priyaReads := page(staff, at)
	if strings.Contains(priya, link) {
		t.Error("staff who are not designated have a menu link to the families to call")
	}
	if !maps.Equal(tomReads, priyaReads) {
		t.Errorf("the designated person's page made other DynamoDB calls: %v, the undesignated one's %v", tomReads, priyaReads)
	}
	if d, _ := page(dsl, at); !strings.Contains(d, link) {
		t.Error("a DSL has no menu link to the families to call")
	}

	// A DSL designates Priya: the link shows on her next page; ending it takes it away.
	designate := func(active bool, key string, at time.Time) {
		t.Helper()
		_, err := contacts.Designate(context.Background(), safeguarding.Caller{Email: dsl, At: at, Source: "test"},
			safeguarding.SchoolID(school), staff, active, "Calls Willows families", safeguarding.RequestKey{}, key)
		if err != nil {
			t.Fatalf("designating (%v): %v", active, err)
		}
	}
	designate(true, "on", at.Add(time.Minute))
	if p, _ := page(staff, at.Add(2*time.Minute)); !strings.Contains(p, link) {
		t.Error("a newly designated member of staff has no menu link to the families to call")
	}
	if list := call(t, h, "GET", "/schools/brook-lane/calls", tokenFor(staff), nil, at.Add(2*time.Minute)); list.StatusCode != http.StatusOK {
		t.Errorf("the link leads a designated member of staff to %d", list.StatusCode)
	}
	designate(false, "off", at.Add(3*time.Minute))
	if p, _ := page(staff, at.Add(4*time.Minute)); strings.Contains(p, link) {
		t.Error("a member of staff no longer designated still has the menu link to the families to call")
	}
	if p, err := w.st.Principal(context.Background(), staff); err != nil || p.IsClosureContact(safeguarding.SchoolID(school)) || !p.IsMember(safeguarding.SchoolID(school)) {
		t.Errorf("the profile after the designation ended: %+v, %v", p, err)
	}
}
