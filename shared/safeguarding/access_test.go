package safeguarding

import (
	"testing"
	"time"
)

// Rules P1, P2, P3, H1, E1, D6, D9, C2, V1, C9: what each role (the office and the Senior DSL
// import the school's MIS export and say who teaches each class, P1; the office and the DSLs
// read the pupils below 90% attendance, C9; the Senior DSL changes the school's settings; the
// DSLs find pupils, the office and the DSLs families; the DSLs and the governors read the
// reports, D10) may open in a school, decided once for the pages and the API alike. A role in another school opens nothing here.
func TestRule_P2_EachRoleOpensOnlyWhatTheRulesGiveIt(t *testing.T) {
	designated := Principal{Email: "s.cole@brook.example", Memberships: map[SchoolID][]Role{school: {RoleStaff}},
		ClosureContact: []SchoolID{school}}
	for _, c := range []struct {
		who  Principal
		want Access
	}{
		{teacher, Access{Member: true, Work: true, Teacher: true, Acknowledgements: true}},
		{office, Access{Member: true, Work: true, Acknowledgements: true, AnyClass: true, ContactNumbers: true, Calendar: true, CalendarEdit: true, Imports: true, ImportList: true, Attendance: true,
			ClassTeachers: true, Staff: true, FindFamilies: true}},
		{dsl, Access{Member: true, Work: true, Acknowledgements: true, AnyClass: true, Dashboard: true, Review: true, EveryonesWork: true,
			Families: true, Categories: true, Designations: true, PlanVisits: true, ContactVersions: true, Audit: true, CallFamilies: true,
			ContactNumbers: true, Calendar: true, Attendance: true, FindPupils: true, FindFamilies: true, Reports: true, Transfers: true, ImportList: true}},
		{head, Access{Member: true, Work: true, Acknowledgements: true, AnyClass: true, Dashboard: true, Review: true, EveryonesWork: true,
			Families: true, Categories: true, Designations: true, PlanVisits: true, ContactVersions: true, Audit: true, Reallocations: true,
			CallFamilies: true, ContactNumbers: true, Calendar: true, CalendarEdit: true, Closures: true, Imports: true, ImportList: true, Attendance: true,
			Settings: true, ClassTeachers: true, Staff: true, FindPupils: true, FindFamilies: true, Retention: true, Reports: true, Transfers: true, SeniorDuties: true}},
		{governor, Access{Member: true, Governors: true, Reports: true}},
		{designated, Access{Member: true, Work: true, CallFamilies: true}},
		{outsider, Access{}},
	} {
		if got := AccessFor(c.who, school); got != c.want {
			t.Errorf("%s:\n got %+v\nwant %+v", c.who.Email, got, c.want)
		}
	}
}

// Rule S3: a session lasts as long as the strictest of its person's schools allows, and 30
// minutes without use and 10 hours at most where no school says otherwise.
func TestRule_S3_SessionLimitsAreTheStrictestSchools(t *testing.T) {
	if idle, life := SessionLimits(nil); idle != 30*time.Minute || life != 10*time.Hour {
		t.Errorf("no school: %v %v", idle, life)
	}
	relaxed := School{ID: "a", SessionIdleMinutes: 60}
	strict := School{ID: "b", SessionIdleMinutes: 15, SessionLifetimeMinutes: 240}
	if idle, life := SessionLimits([]School{relaxed, strict}); idle != 15*time.Minute || life != 4*time.Hour {
		t.Errorf("two schools: %v %v, want 15m and 4h", idle, life)
	}
	if idle, life := SessionLimits([]School{relaxed}); idle != time.Hour || life != 10*time.Hour {
		t.Errorf("one school that sets its idle time: %v %v", idle, life)
	}
}
