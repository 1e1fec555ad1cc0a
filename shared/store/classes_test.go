package store

import (
	"context"
	"slices"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// Rule E1's class lists against DynamoDB Local: a school's classes with their teachers, the
// pupils of one class in name order (their name-search copies not repeated) and the families
// of a class read by id.
func TestRule_E1_ClassesTheirPupilsAndTheirFamilies(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	pupils := []safeguarding.Pupil{
		{ID: "p1", School: school, Name: "Lan Nguyen", ClassName: "Acorns", FamilyID: "f1"},
		{ID: "p2", School: school, Name: "Minh Nguyen", ClassName: "Willows", FamilyID: "f1"},
		{ID: "p3", School: school, Name: "Ava Brown", ClassName: "Acorns", FamilyID: "f2"},
		{ID: "p4", School: "hillcrest", Name: "Amy Acorn", ClassName: "Acorns", FamilyID: "f9"},
		{ID: "p5", School: school, Name: "No Class"},
	}
	for _, p := range pupils {
		if err := s.PutPupil(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ name, teacher string }{{"Willows", "b@x"}, {"Acorns", "a@x"}} {
		if err := s.PutClass(ctx, school, c.name, []string{c.teacher}); err != nil {
			t.Fatal(err)
		}
	}
	f1 := contact.RestoreFamily(contact.FamilySnapshot{ID: "f1", School: school, Children: []contact.FamilyChild{{Pupil: "p1", ClassName: "Acorns"}, {Pupil: "p2", ClassName: "Willows"}}})
	if err := s.PutFamily(ctx, f1); err != nil {
		t.Fatal(err)
	}

	classes, err := s.Classes(ctx, school)
	if err != nil {
		t.Fatal(err)
	}
	if len(classes) != 2 || classes[0].Name != "Acorns" || !classes[0].Teaches("a@x") || classes[1].Name != "Willows" || classes[0].School != school {
		t.Errorf("classes %+v", classes)
	}
	acorns, err := s.ClassPupils(ctx, school, "Acorns")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range acorns {
		names = append(names, p.Name+"/"+p.FamilyID)
	}
	if !slices.Equal(names, []string{"Ava Brown/f2", "Lan Nguyen/f1"}) {
		t.Errorf("Acorns at Brook Lane: %v", names)
	}
	fams, err := s.Families(ctx, school, []string{"f1", "f2", "bad#id", ""})
	if err != nil {
		t.Fatal(err)
	}
	if len(fams) != 1 || len(fams["f1"].Children()) != 2 {
		t.Errorf("families %+v", fams)
	}
}
