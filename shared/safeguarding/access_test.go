package safeguarding

import (
	"testing"
)

// Rules P1, P2, P3, H1, E1, D6, D9, C2, V1: what each role may open in a school, decided once
// for the pages and the API alike. A role in another school opens nothing here.
func TestRule_P2_EachRoleOpensOnlyWhatTheRulesGiveIt(t *testing.T) {
	designated := Principal{Email: "s.cole@brook.example", Memberships: map[SchoolID][]Role{school: {RoleStaff}},
		ClosureContact: []SchoolID{school}}
	for _, c := range []struct {
		who  Principal
		want Access
	}{
		{teacher, Access{Member: true, Teacher: true, Acknowledgements: true}},
		{office, Access{Member: true, Acknowledgements: true, AnyClass: true, ContactNumbers: true, Calendar: true, CalendarEdit: true}},
		{dsl, Access{Member: true, Acknowledgements: true, AnyClass: true, Dashboard: true, Review: true, EveryonesWork: true,
			Families: true, Categories: true, Designations: true, PlanVisits: true, ContactVersions: true, CallFamilies: true,
			ContactNumbers: true, Calendar: true}},
		{head, Access{Member: true, Acknowledgements: true, AnyClass: true, Dashboard: true, Review: true, EveryonesWork: true,
			Families: true, Categories: true, Designations: true, PlanVisits: true, ContactVersions: true, Reallocations: true,
			CallFamilies: true, ContactNumbers: true, Calendar: true, CalendarEdit: true}},
		{governor, Access{Member: true}},
		{designated, Access{Member: true, CallFamilies: true}},
		{outsider, Access{}},
	} {
		if got := AccessFor(c.who, school); got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.who.Email, got, c.want)
		}
	}
}
