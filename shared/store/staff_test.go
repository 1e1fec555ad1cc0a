package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
)

// Rule P1: two changes of a school's staff read from the same roster cannot both land: the
// second is a conflict (409), never a roster that forgets the first. Nor can a change of a
// profile whose roles changed since it was read.
func TestRule_P1_AStaleStaffChangeIsAConflict(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	head := safeguarding.Principal{Email: "head@school.example", Subject: "s-head", Name: "Head",
		Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleSeniorDSL}}}
	roster := []safeguarding.StaffMember{{Email: head.Email, Roles: []safeguarding.Role{safeguarding.RoleSeniorDSL}}}
	if err := s.PutUser(ctx, head); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSchool(ctx, safeguarding.School{ID: school, Name: "Brook Lane", Roster: roster}); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	add := func(email string, n int) error {
		p := safeguarding.Principal{Email: email, Subject: "s-" + email, Name: email,
			Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleStaff}}}
		after := append(append([]safeguarding.StaffMember(nil), roster...), safeguarding.StaffMember{Email: email, Roles: []safeguarding.Role{safeguarding.RoleStaff}})
		return s.SaveStaff(ctx, staff.Change{School: school, People: []staff.PersonChange{{After: p}}, RosterBefore: roster, RosterAfter: after},
			safeguarding.AuditEntry{ID: NewID(at.Add(time.Duration(n) * time.Second)), School: school, Actor: head.Email, Action: staff.AuditAdded, At: at}, nil)
	}
	if err := add("a@school.example", 1); err != nil {
		t.Fatal(err)
	}
	if err := add("b@school.example", 2); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a change from a stale roster: %v, want a conflict", err)
	}
	sc, err := s.School(ctx, school)
	if err != nil || len(sc.Roster) != 2 || !sc.HasStaff("a@school.example") {
		t.Errorf("roster %+v %v", sc.Roster, err)
	}
	stale := head
	stale.Memberships = map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleStaff}}
	after := stale
	after.Memberships = map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleDSL}}
	err = s.SaveStaff(ctx, staff.Change{School: school, People: []staff.PersonChange{{Before: stale, After: after}}, RosterBefore: sc.Roster, RosterAfter: sc.Roster},
		safeguarding.AuditEntry{ID: NewID(at.Add(3 * time.Second)), School: school, Actor: head.Email, Action: staff.AuditRolesChanged, At: at}, nil)
	if !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a change of a profile read before its roles changed: %v, want a conflict", err)
	}
}

// A leaver's web sessions are found through their index items, with no Scan, and all end.
func TestRule_P1_EndSessionsEndsEveryOneOfThePersonsSessions(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for _, id := range []string{"phone", "laptop"} {
		if err := s.StartSession(ctx, id, Session{Email: "leaver@school.example", Started: now, Idle: time.Hour, Ends: now.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.StartSession(ctx, "other", Session{Email: "stays@school.example", Started: now, Idle: time.Hour, Ends: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.EndSessions(ctx, "leaver@school.example", now); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"phone", "laptop"} {
		if _, err := s.OpenSession(ctx, id, now.Add(time.Minute)); !errors.Is(err, ErrNoSession) {
			t.Errorf("session %s: %v, want ended", id, err)
		}
	}
	if _, err := s.OpenSession(ctx, "other", now.Add(time.Minute)); err != nil {
		t.Errorf("someone else's session: %v, want it open", err)
	}
}
