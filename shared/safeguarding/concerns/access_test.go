package concerns

import (
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rules P4, D7, C5: a concern's author corrects it and sees its status; a DSL corrects it and
// sees its case work instead; the Senior DSL is told unless the concern is about them.
func TestRule_P4_D7_C5_WhoCorrectsAConcernAndWhoSeesWhatOfIt(t *testing.T) {
	now := london(t, "2026-11-23 10:00:00")
	c, err := RecordConcern("c1", NewConcern{PupilIDs: []safeguarding.PupilID{"p1"}, Category: string(safeguarding.CategorySafeguarding), ObservedAt: now,
		Details: "Bruise on the arm"}, teacher, brookLane, pupils, PolicyCatalogue(), safeguarding.Weekdays{}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		who                     safeguarding.Principal
		amend, caseWork, status bool
	}{
		{teacher, true, false, true}, {dsl, true, true, false}, {head, true, true, false},
		{colleague, false, false, false}, {governor, false, false, false}, {outsider, false, false, false},
	} {
		if got := c.CanAmend(x.who); got != x.amend {
			t.Errorf("%s corrects it: %v", x.who.Email, got)
		}
		if got := c.CanSeeCaseWork(x.who); got != x.caseWork {
			t.Errorf("%s sees its case work: %v", x.who.Email, got)
		}
		if got := c.ShowsStatusTo(x.who); got != x.status {
			t.Errorf("%s sees its status: %v", x.who.Email, got)
		}
	}
	if !c.TellsSeniorDSL(brookLane) {
		t.Error("the Senior DSL is not told of a concern about a pupil")
	}
	about, err := RecordConcern("c2", NewConcern{PupilIDs: []safeguarding.PupilID{"p1"}, Category: string(safeguarding.CategorySafeguarding), ObservedAt: now,
		Details: "Said something", AboutStaff: true, SubjectStaffEmail: head.Email}, teacher, brookLane, pupils, PolicyCatalogue(), safeguarding.Weekdays{}, now)
	if err != nil {
		t.Fatal(err)
	}
	if about.TellsSeniorDSL(brookLane) {
		t.Error("the Senior DSL is told of a concern about themselves")
	}
}
