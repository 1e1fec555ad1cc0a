// Package safeguardingtest holds what the tests of the domain's packages share: one school,
// its people and pupils, a school-local clock and a recorded concern. Only tests import it
// (infra/depcheck checks).
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

// NewConcern is a concern about Ava, changed by mut.
func NewConcern(mut func(*safeguarding.NewConcern)) safeguarding.NewConcern {
	in := safeguarding.NewConcern{
		PupilIDs: []safeguarding.PupilID{"p1"}, Category: "safeguarding", Subcategories: []string{"physical-related"},
		ObservedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, safeguarding.London), Details: "Ava had a bruise on her left arm at 9:00.",
		PupilWords: "I fell off my bike.",
	}
	if mut != nil {
		mut(&in)
	}
	return in
}

// Record records in by at Brook Lane at, with the policy's categories and weekdays as the
// calendar.
func Record(t *testing.T, by safeguarding.Principal, in safeguarding.NewConcern, at time.Time) (safeguarding.Concern, error) {
	t.Helper()
	return safeguarding.RecordConcern("01JCONCERN0000000000ABCDEF", in, by, BrookLane, Pupils, safeguarding.PolicyCatalogue(), safeguarding.Weekdays{}, at)
}
