// Package safeguardingtest holds what the tests of the domain's packages share: one school,
// its people and pupils and a school-local clock (concerns/concernstest adds a recorded
// concern, contact/contacttest a family's state). Only tests import it (infra/depcheck checks).
package safeguardingtest

import (
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// School is Brook Lane's id.
const School safeguarding.SchoolID = "brook-lane"

// Brook Lane's people, one of another school, its roster and its pupils.
var (
	Teacher   = safeguarding.Principal{Email: "t.jones@brook.example", Name: "Tia Jones", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{School: {safeguarding.RoleStaff, safeguarding.RoleTeacher}}}
	Colleague = safeguarding.Principal{Email: "a.patel@brook.example", Name: "Amir Patel", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{School: {safeguarding.RoleStaff, safeguarding.RoleTeacher}}}
	DSL       = safeguarding.Principal{Email: "d.okafor@brook.example", Name: "Dami Okafor", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{School: {safeguarding.RoleStaff, safeguarding.RoleDSL}}}
	Head      = safeguarding.Principal{Email: "h.reid@brook.example", Name: "Helen Reid", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{School: {safeguarding.RoleStaff, safeguarding.RoleSeniorDSL}}}
	Governor  = safeguarding.Principal{Email: "g.shaw@brook.example", Name: "Gail Shaw", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{School: {safeguarding.RoleGovernor}}}
	Office    = safeguarding.Principal{Email: "g.bennett@brook.example", Name: "Grace Bennett", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{School: {safeguarding.RoleAdmin}}}
	Outsider  = safeguarding.Principal{Email: "o.dsl@hill.example", Name: "Omar Dsl", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"hillcrest": {safeguarding.RoleStaff, safeguarding.RoleDSL}}}

	BrookLane = safeguarding.School{ID: School, Name: "Brook Lane Primary", Roster: []safeguarding.StaffMember{
		{Email: Teacher.Email, Roles: Teacher.Memberships[School]},
		{Email: Colleague.Email, Roles: Colleague.Memberships[School]},
		{Email: DSL.Email, Roles: DSL.Memberships[School]},
		{Email: Head.Email, Roles: Head.Memberships[School]},
		{Email: Governor.Email, Roles: Governor.Memberships[School]},
	}}
	Pupils = map[safeguarding.PupilID]safeguarding.Pupil{
		"p1": {ID: "p1", School: School, Name: "Ava Brown"},
		"p2": {ID: "p2", School: School, Name: "Ben Brown"},
		"x1": {ID: "x1", School: "hillcrest", Name: "Cara Hill"},
	}
)

// London parses a school-local time "2006-01-02 15:04:05".
func London(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation(time.DateTime, s, safeguarding.London)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
