package safeguarding

import (
	"testing"
	"time"
)

// The kernel's own tests keep the people they need here: they cannot import safeguardingtest,
// which imports the kernel.
const school SchoolID = "brook-lane"

var (
	teacher   = Principal{Email: "t.jones@brook.example", Name: "Tia Jones", Memberships: map[SchoolID][]Role{school: {RoleStaff, RoleTeacher}}}
	colleague = Principal{Email: "a.patel@brook.example", Name: "Amir Patel", Memberships: map[SchoolID][]Role{school: {RoleStaff, RoleTeacher}}}
	dsl       = Principal{Email: "d.okafor@brook.example", Name: "Dami Okafor", Memberships: map[SchoolID][]Role{school: {RoleStaff, RoleDSL}}}
	head      = Principal{Email: "h.reid@brook.example", Name: "Helen Reid", Memberships: map[SchoolID][]Role{school: {RoleStaff, RoleSeniorDSL}}}
	governor  = Principal{Email: "g.shaw@brook.example", Name: "Gail Shaw", Memberships: map[SchoolID][]Role{school: {RoleGovernor}}}
	office    = Principal{Email: "g.bennett@brook.example", Name: "Grace Bennett", Memberships: map[SchoolID][]Role{school: {RoleAdmin}}}
	outsider  = Principal{Email: "o.dsl@hill.example", Name: "Omar Dsl", Memberships: map[SchoolID][]Role{"hillcrest": {RoleStaff, RoleDSL}}}

	brookLane = School{ID: school, Name: "Brook Lane Primary", Roster: []StaffMember{
		{Email: teacher.Email, Roles: teacher.Memberships[school]},
		{Email: colleague.Email, Roles: colleague.Memberships[school]},
		{Email: dsl.Email, Roles: dsl.Memberships[school]},
		{Email: head.Email, Roles: head.Memberships[school]},
		{Email: governor.Email, Roles: governor.Memberships[school]},
	}}
)

// london parses a school-local time "2006-01-02 15:04:05".
func london(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation(time.DateTime, s, London)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
