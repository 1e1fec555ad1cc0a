package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact/contacttest"
)

// rule P3, P4: contact details live in a partition of their own; each version is kept.
func TestRule_P4_ContactDetailsVersionsAreKeptApartFromTheFamily(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	fam := contact.RestoreFamily(contact.FamilySnapshot{ID: "fam-01", School: school, Children: []contact.FamilyChild{{Pupil: "bl-01", ClassName: "Acorns"}}})
	if err := s.PutFamily(ctx, fam); err != nil {
		t.Fatal(err)
	}
	empty, err := s.ContactDetails(ctx, school, "fam-01")
	if err != nil || empty.Version() != 0 || len(empty.Phones()) != 0 {
		t.Fatalf("before any: %+v %v", empty, err)
	}
	v1 := contact.RestoreContactDetails(contact.ContactDetailsSnapshot{School: school, Family: "fam-01", Pupils: []safeguarding.PupilID{"bl-01"}, Version: 1,
		Phones:    []contact.ContactPhone{{Label: "Mum", Number: "07700 900100", ConfirmedAt: at}},
		Address:   contact.ContactAddress{Lines: []string{"3 Alder Road", "Brookhill"}, Postcode: "ZZ1 1AA"},
		ChangedAt: at, ChangedBy: "office@x", Reason: "form"})
	audit := func(id string) safeguarding.AuditEntry {
		return safeguarding.AuditEntry{ID: id, School: school, Actor: "office@x", Action: "contacts.changed", Subject: "family/fam-01/contacts", At: at}
	}
	if err := s.SaveContactDetails(ctx, contact.ContactDetailsWrite{Details: v1, Audit: audit("a1")}); err != nil {
		t.Fatal(err)
	}
	// A second "first version" from someone who read none loses.
	if err := s.SaveContactDetails(ctx, contact.ContactDetailsWrite{Details: v1, Audit: audit("a2")}); !errors.Is(err, safeguarding.ErrConflict) {
		t.Fatalf("second version 1: %v", err)
	}
	v2 := contacttest.Details(v1, func(s *contact.ContactDetailsSnapshot) {
		s.Version, s.Reason = 2, "new mobile"
		s.Phones = append(s.Phones, contact.ContactPhone{Label: "Dad", Number: "07700 900101", ConfirmedAt: at})
	})
	if err := s.SaveContactDetails(ctx, contact.ContactDetailsWrite{Details: v2, Audit: audit("a3")}); err != nil {
		t.Fatal(err)
	}
	got, err := s.ContactDetails(ctx, school, "fam-01")
	if err != nil || got.Version() != 2 || len(got.Phones()) != 2 || got.Address().Postcode != "ZZ1 1AA" {
		t.Fatalf("current %+v %v", got, err)
	}
	versions, err := s.ContactDetailsVersions(ctx, school, "fam-01")
	if err != nil || len(versions) != 2 || versions[0].Reason() != "form" || len(versions[0].Phones()) != 1 || versions[1].Reason() != "new mobile" {
		t.Fatalf("versions %+v %v", versions, err)
	}
	// The family item, which lists and engagement read, has no number in it.
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: familyKey(school, "fam-01").av()})
	if err != nil {
		t.Fatal(err)
	}
	var plain map[string]any
	if err := attributevalue.UnmarshalMap(out.Item, &plain); err != nil {
		t.Fatal(err)
	}
	if text := strings.ToLower(fmt.Sprint(plain)); strings.Contains(text, "07700") || strings.Contains(text, "alder") {
		t.Errorf("family item carries contact details: %s", text)
	}
	// The H1 report's read: every family, with a summary and no number; one without details too.
	if err := s.PutFamily(ctx, contact.RestoreFamily(contact.FamilySnapshot{ID: "fam-02", School: school})); err != nil {
		t.Fatal(err)
	}
	rows, err := s.ContactFamilies(ctx, school)
	if err != nil || len(rows) != 2 || rows[0].Family.ID() != "fam-01" || len(rows[0].Family.Children()) != 1 || !rows[0].HasDetails ||
		rows[0].Version != 2 || rows[0].Numbers != 2 || len(rows[0].Confirmed) != 2 || !rows[0].HasAddress || rows[1].HasDetails {
		t.Fatalf("report rows %+v %v", rows, err)
	}
}

func TestClosureContactDesignationIsVersioned(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	c := contact.ClosureContact{School: school, Email: "t@x", Active: true, Version: 1,
		History: []contact.ClosureContactEvent{{At: at, By: "dsl@x", Active: true}}}
	a := safeguarding.AuditEntry{ID: "a1", School: school, Actor: "dsl@x", Action: "closure-contact.designated", Subject: "staff/t@x", At: at}
	// A designation's person has a profile: the designation is never saved without one.
	if err := s.SaveClosureContact(ctx, c, a, nil); !errors.Is(err, safeguarding.ErrConflict) {
		t.Fatalf("a designation of someone with no profile: %v", err)
	}
	if err := s.PutUser(ctx, safeguarding.Principal{Email: "t@x", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleTeacher}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveClosureContact(ctx, c, a, nil); err != nil {
		t.Fatal(err)
	}
	// The profile carries the designation, so the Principal read on every page knows it.
	if p, err := s.Principal(ctx, "t@x"); err != nil || !p.IsClosureContact(school) || !p.Has(school, safeguarding.RoleTeacher) {
		t.Fatalf("the designated person's profile %+v %v", p, err)
	}
	a.ID = "a2"
	if err := s.SaveClosureContact(ctx, c, a, nil); !errors.Is(err, safeguarding.ErrConflict) {
		t.Fatalf("repeat of version 1: %v", err)
	}
	off := c
	off.Active, off.Version = false, 2
	off.History = append(off.History, contact.ClosureContactEvent{At: at.Add(time.Hour), By: "dsl@x"})
	a.ID = "a3"
	if err := s.SaveClosureContact(ctx, off, a, nil); err != nil {
		t.Fatal(err)
	}
	list, err := s.ClosureContacts(ctx, school)
	if err != nil || len(list) != 1 || list[0].Active || len(list[0].History) != 2 {
		t.Fatalf("designations %+v %v", list, err)
	}
	if p, err := s.Principal(ctx, "t@x"); err != nil || p.IsClosureContact(school) || len(p.ClosureContact) != 0 || p.Name != "" || !p.IsMember(school) {
		t.Fatalf("the profile after the designation ended %+v %v", p, err)
	}
}

// rule H3, D8: actions agreed on a call are due items the engine finds, until completed.
func TestRule_H3_AgreedActionsAreOnTheDueIndexUntilCompleted(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	fam := contact.RestoreFamily(contact.FamilySnapshot{ID: "fam-01", School: school, Children: []contact.FamilyChild{{Pupil: "bl-01"}}, Version: 1})
	if err := s.PutFamily(ctx, fam); err != nil {
		t.Fatal(err)
	}
	if err := s.PutUser(ctx, safeguarding.Principal{Email: "t@x", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleTeacher}}}); err != nil {
		t.Fatal(err)
	}
	next := contacttest.Family(fam, func(s *contact.FamilySnapshot) { s.Version = 2 })
	a := contact.FamilyAction{ID: "01JCALL-A1", School: school, Family: "fam-01", Reference: "FAM-01", Description: "books",
		Assignee: "t@x", Status: safeguarding.ActionOpen, CreatedAt: now, CreatedBy: "t@x", Version: 1,
		Due: safeguarding.NewDueState(now.Add(26*time.Hour), now)}
	if err := s.SaveFamily(ctx, contact.FamilyWrite{Family: next, PrevVersion: 1, Actions: []contact.FamilyAction{a}, At: now}); err != nil {
		t.Fatal(err)
	}
	due, err := s.DueItems(ctx, school, now, now.Add(25*time.Hour))
	if err != nil || len(due) != 1 || due[0].Kind != safeguarding.DueFamilyAction || due[0].Subject != "fam-01" || due[0].Assignee != "t@x" {
		t.Fatalf("due %+v %v", due, err)
	}
	list, err := s.FamilyActions(ctx, school, "fam-01")
	if err != nil || len(list) != 1 || list[0].Description != "books" || !list[0].Due.Active {
		t.Fatalf("actions %+v %v", list, err)
	}
	e, err := s.LoadFamilyAction(ctx, "t@x", school, "fam-01", "01JCALL-A1", safeguarding.RequestKey{})
	if err != nil || e.Action.ID != a.ID {
		t.Fatalf("load %+v %v", e, err)
	}
	done, err := e.Action.Complete(e.Viewer, "posted", now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	audit := safeguarding.AuditEntry{ID: "a1", School: school, Actor: "t@x", Action: "family-action.completed", Subject: "x", At: now}
	if err := s.SaveFamilyActionChange(ctx, done, 1, audit, nil); err != nil {
		t.Fatal(err)
	}
	audit.ID = "a2"
	if err := s.SaveFamilyActionChange(ctx, done, 1, audit, nil); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a second completion on the old version: %v", err)
	}
	if due, err := s.DueItems(ctx, school, now, now.Add(25*time.Hour)); err != nil || len(due) != 0 {
		t.Errorf("a completed action is still due: %+v %v", due, err)
	}
}
