package engagement

import (
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rule E1: a teacher marks their own class only; DSLs, the Senior DSL and the office any
// class of their school; nobody another school's.
func TestRule_E1_WhoMayMarkAClass(t *testing.T) {
	admin := safeguarding.Principal{Email: "o.office@brook.example", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleStaff, safeguarding.RoleAdmin}}}
	acorns := Class{School: school, Name: "Acorns", Teachers: []string{teacher.Email}}
	for _, c := range []struct {
		who  safeguarding.Principal
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
