package store

import (
	"context"
	"slices"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

// Rule P1: a school's pupils are found by a UPN its import brought (a GetItem of the roll,
// then of the pupil), by a class's name (any capitals) or by words of a name, each school its
// own: the same UPN or class at another school finds nothing here.
func TestRule_P1_PupilsAreFoundByUPNClassOrName(t *testing.T) {
	db, table, calls := dynamotest.NewCountingClient(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	pupils := []safeguarding.Pupil{
		{ID: "p1", School: school, Name: "Lan Nguyen", YearGroup: "Reception", ClassName: "Acorns", FamilyID: "f1"},
		{ID: "p2", School: school, Name: "Minh Nguyen", YearGroup: "Year 2", ClassName: "Willows", FamilyID: "f1"},
		{ID: "p3", School: school, Name: "Ava Acorns", YearGroup: "Year 2", ClassName: "Willows", FamilyID: "f2"},
		{ID: "p4", School: "hillcrest", Name: "Amy Brown", ClassName: "Acorns", FamilyID: "f9"},
	}
	if err := s.ApplyImport(ctx, imports.Write{School: school, Pupils: pupils[:3], Classes: []string{"Acorns", "Willows"},
		Roll: []imports.Existing{{UPN: "A123456789012", Pupil: "p1"}, {UPN: "B123456789012", Pupil: "p2"}, {UPN: "C123456789012", Pupil: "p3"}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.ApplyImport(ctx, imports.Write{School: "hillcrest", Pupils: pupils[3:], Classes: []string{"Acorns"},
		Roll: []imports.Existing{{UPN: "D123456789012", Pupil: "p4"}}}); err != nil {
		t.Fatal(err)
	}
	find := func(q string) []string {
		t.Helper()
		found, err := s.FindPupils(ctx, school, q, 50)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, p := range found {
			ids = append(ids, string(p.ID))
		}
		return ids
	}
	calls.Reset()
	if got := find("b123456789012"); !slices.Equal(got, []string{"p2"}) {
		t.Errorf("by UPN: %v", got)
	}
	if got := calls.Counts(); got["GetItem"] != 2 || len(got) != 1 {
		t.Errorf("a UPN took %v, want two GetItems", got)
	}
	if got := find("D123456789012"); len(got) != 0 {
		t.Errorf("another school's UPN found %v", got)
	}
	if got := find("Z999999999999"); len(got) != 0 {
		t.Errorf("an unknown UPN found %v", got)
	}
	// The class's pupils in name order, then the pupils whose name has the word.
	if got := find("acorns"); !slices.Equal(got, []string{"p1", "p3"}) {
		t.Errorf("by class: %v", got)
	}
	if got := find("Willows"); !slices.Equal(got, []string{"p3", "p2"}) {
		t.Errorf("by class: %v", got)
	}
	if got := find("nguyen"); !slices.Equal(got, []string{"p1", "p2"}) {
		t.Errorf("by name: %v", got)
	}
	for _, p := range pupils[:3] {
		if ps, err := s.Pupils(ctx, school, []safeguarding.PupilID{p.ID}); err != nil || ps[p.ID].ClassName != p.ClassName {
			t.Errorf("%s: %+v %v", p.ID, ps, err)
		}
	}
}
