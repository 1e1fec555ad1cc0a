package exports

import (
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

const school = safeguarding.SchoolID("s1")

func person(email string, roles ...safeguarding.Role) safeguarding.Principal {
	return safeguarding.Principal{Email: email, Name: email, Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: roles}}
}

var (
	dsl     = person("dsl@s1", safeguarding.RoleStaff, safeguarding.RoleDSL)
	senior  = person("head@s1", safeguarding.RoleStaff, safeguarding.RoleSeniorDSL)
	teacher = person("t@s1", safeguarding.RoleStaff, safeguarding.RoleTeacher)
	sc      = safeguarding.School{ID: school, Name: "School One", Roster: []safeguarding.StaffMember{
		{Email: dsl.Email, Roles: []safeguarding.Role{safeguarding.RoleDSL}}, {Email: senior.Email, Roles: []safeguarding.Role{safeguarding.RoleSeniorDSL}},
		{Email: teacher.Email, Roles: []safeguarding.Role{safeguarding.RoleTeacher}}}}
	ava = safeguarding.Pupil{ID: "p1", School: school, Name: "Ava"}
	ben = safeguarding.Pupil{ID: "p2", School: school, Name: "Ben"}
)

func concern(t *testing.T, id string, at time.Time, in concerns.NewConcern) concerns.Concern {
	t.Helper()
	in.Category, in.ObservedAt = "behaviour", at.Add(-time.Hour)
	c, err := concerns.RecordConcern(safeguarding.ConcernID(id), in, teacher, sc,
		map[safeguarding.PupilID]safeguarding.Pupil{ava.ID: ava, ben.ID: ben}, concerns.PolicyCatalogue(), safeguarding.Weekdays{}, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// What a production holds (rules D10, C5): the entries oldest first, a concern about the DSL
// producing it left out (the Senior DSL's has it), the other pupil of a linked concern as
// "another pupil" unless named; only the DSLs and the Senior DSL produce one.
func TestRule_D10_C5_ARecordHoldsWhatItsProducerMaySeeAndNamesNoOtherPupil(t *testing.T) {
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	linked := concern(t, "c2", at.Add(2*time.Hour), concerns.NewConcern{Details: "A push.",
		Pupils: []safeguarding.LinkedPupil{{ID: ava.ID, Role: safeguarding.RoleSubject}, {ID: ben.ID, Role: safeguarding.RoleInvolved}}})
	aboutDSL := concern(t, "c1", at, concerns.NewConcern{Details: "About the DSL.", PupilIDs: []safeguarding.PupilID{ava.ID},
		AboutStaff: true, SubjectStaffEmail: dsl.Email})
	h := Held{School: sc, Pupil: ava, Pupils: map[safeguarding.PupilID]safeguarding.Pupil{ben.ID: ben},
		Concerns: []ConcernFile{{Concern: linked}, {Concern: aboutDSL}}}
	for _, c := range []concerns.Concern{linked, aboutDSL} {
		for _, e := range concerns.ConcernEntries(c) {
			if e.Pupil == ava.ID {
				h.Entries = append(h.Entries, e)
			}
		}
	}

	h.Viewer = dsl
	r := Build(h, Options{}, at.Add(5*time.Hour))
	if len(r.Concerns) != 1 || r.Concerns[0].Concern.ID() != "c2" || len(r.Entries) != 1 {
		t.Fatalf("the DSL's record holds %d concerns and %d entries, want the linked one only", len(r.Concerns), len(r.Entries))
	}
	if m := r.Concerns[0].Pupils; len(m) != 2 || m[0].Name != "Ava" || !m[0].Self || m[1].Name != AnotherPupil {
		t.Errorf("the pupils: %+v", m)
	}
	if len(r.Concerns[0].Revisions) != 1 || r.By != dsl.Email {
		t.Errorf("revisions %d, by %q", len(r.Concerns[0].Revisions), r.By)
	}
	if m := Build(h, Options{NameOtherPupils: true}, at).Concerns[0].Pupils; m[1].Name != "Ben" {
		t.Errorf("named: %+v", m)
	}

	h.Viewer = senior
	r = Build(h, Options{}, at)
	if len(r.Concerns) != 2 || len(r.Entries) != 2 || r.Entries[0].ConcernID != "c1" || r.Concerns[0].Concern.ID() != "c1" {
		t.Errorf("the Senior DSL's record: %d concerns, %d entries, oldest first", len(r.Concerns), len(r.Entries))
	}
	for _, p := range []safeguarding.Principal{dsl, senior} {
		if err := MayProduce(p, school); err != nil {
			t.Errorf("%s may not produce: %v", p.Email, err)
		}
	}
	if err := MayProduce(teacher, school); err == nil {
		t.Error("a teacher may produce a pupil's record")
	}
	if err := MayProduce(dsl, "s2"); err == nil {
		t.Error("a DSL may produce another school's record")
	}
}
