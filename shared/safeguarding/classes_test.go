package safeguarding

import (
	"testing"
	"time"
)

// Rule E1: a teacher marks their own class only; DSLs, the Senior DSL and the office any
// class of their school; nobody another school's.
func TestRule_E1_WhoMayMarkAClass(t *testing.T) {
	admin := Principal{Email: "o.office@brook.example", Memberships: map[SchoolID][]Role{school: {RoleStaff, RoleAdmin}}}
	acorns := Class{School: school, Name: "Acorns", Teachers: []string{teacher.Email}}
	for _, c := range []struct {
		who  Principal
		want bool
	}{{teacher, true}, {colleague, false}, {dsl, true}, {head, true}, {admin, true}, {governor, false}, {outsider, false}} {
		if got := CanMarkClass(c.who, acorns); got != c.want {
			t.Errorf("%s may mark Acorns: %v, want %v", c.who.Email, got, c.want)
		}
	}
	// A teacher's class of another school is no class of theirs here.
	if CanMarkClass(teacher, Class{School: "hillcrest", Name: "Acorns", Teachers: []string{teacher.Email}}) {
		t.Error("a teacher of Brook Lane marks a Hillcrest class")
	}
}

// Rule E1: a family heard from today (by any of its children's teachers) shows as
// acknowledged today, in school time: 23:30 UTC in summer is already tomorrow in London.
func TestRule_E1_AFamilyHeardFromTodayInSchoolTime(t *testing.T) {
	now := london(t, "2027-06-08 10:00:00")
	for _, c := range []struct {
		last time.Time
		want bool
	}{
		{time.Time{}, false},
		{london(t, "2027-06-08 00:05:00"), true},
		{london(t, "2027-06-07 23:55:00"), false},
		{time.Date(2027, 6, 7, 23, 30, 0, 0, time.UTC), true},
	} {
		f := Family{LastContactAt: c.last}
		if got := f.HeardFromOn(now); got != c.want {
			t.Errorf("last contact %v: heard from today %v, want %v", c.last, got, c.want)
		}
	}
}
