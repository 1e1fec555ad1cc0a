package staff

import (
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func person(roles ...safeguarding.Role) safeguarding.Principal {
	return safeguarding.Principal{Email: "x@school.example", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"s": roles}}
}

// Rule P1: the Senior DSL gives and takes away any role; the office every role but DSL,
// Senior DSL and governor; no one else any.
func TestRule_P1_TheOfficeNeverGivesOrTakesAwayADSLSeniorDSLOrGovernor(t *testing.T) {
	const (
		staff, teacher, admin = safeguarding.RoleStaff, safeguarding.RoleTeacher, safeguarding.RoleAdmin
		dsl, senior, governor = safeguarding.RoleDSL, safeguarding.RoleSeniorDSL, safeguarding.RoleGovernor
	)
	type roles = []safeguarding.Role
	for _, tc := range []struct {
		name          string
		who           safeguarding.Principal
		before, after roles
		want          bool
	}{
		{"the Senior DSL makes a DSL", person(senior), nil, roles{dsl}, true},
		{"the Senior DSL makes a governor", person(senior, staff), roles{staff}, roles{governor}, true},
		{"the Senior DSL marks a DSL as leaving", person(senior), roles{dsl}, nil, true},
		{"the office adds a teacher", person(admin), nil, roles{teacher}, true},
		{"the office makes a teacher office staff too", person(admin), roles{teacher}, roles{teacher, admin}, true},
		{"the office changes a DSL's other roles", person(admin), roles{dsl, staff}, roles{dsl, teacher}, true},
		{"the office makes a DSL", person(admin), roles{staff}, roles{staff, dsl}, false},
		{"the office adds a DSL", person(admin), nil, roles{dsl}, false},
		{"the office makes a Senior DSL", person(admin), nil, roles{senior}, false},
		{"the office makes a governor", person(admin), nil, roles{governor}, false},
		{"the office takes away a DSL's role", person(admin), roles{dsl, staff}, roles{staff}, false},
		{"the office marks a DSL as leaving", person(admin), roles{dsl}, nil, false},
		{"the office marks a teacher as leaving", person(admin), roles{teacher}, nil, true},
		{"a DSL adds a teacher", person(dsl), nil, roles{teacher}, false},
		{"a teacher adds staff", person(teacher), nil, roles{staff}, false},
		{"the office of another school", safeguarding.Principal{Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"t": {admin}}}, nil, roles{staff}, false},
	} {
		if got := CanChange(tc.who, "s", tc.before, tc.after); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	if got := Givable(person(admin), "s"); len(got) != 3 || got[0] != staff || got[1] != teacher || got[2] != admin {
		t.Errorf("the office may give %v, want staff, teacher, admin", got)
	}
	if got := Givable(person(senior), "s"); len(got) != len(safeguarding.Roles) {
		t.Errorf("the Senior DSL may give %v, want every role", got)
	}
	if a := safeguarding.AccessFor(person(admin), "s"); !a.Staff {
		t.Error("the office has no staff page")
	}
	if a := safeguarding.AccessFor(person(dsl), "s"); a.Staff {
		t.Error("a DSL who is not the Senior DSL has the staff page")
	}
}
