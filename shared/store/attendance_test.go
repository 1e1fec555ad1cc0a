package store

import (
	"context"
	"slices"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rule C9 against DynamoDB Local: the index of pupils below 90% follows each write of the
// pupil item (a figure that rises to 90, a leaver, a pupil without a figure are out of it),
// holds no name-search copy, and reads lowest first in one Query.
func TestRule_C9_ThePupilsBelow90AreIndexedAsTheirItemIsWritten(t *testing.T) {
	db, table, calls := dynamotest.NewCountingClient(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	pupil := func(id string, a float64, has, left bool) safeguarding.Pupil {
		return safeguarding.Pupil{ID: safeguarding.PupilID(id), School: school, Name: "Pupil " + id, ClassName: "Oaks",
			Attendance: a, HasAttendance: has, Left: left}
	}
	for _, p := range []safeguarding.Pupil{
		pupil("p1", 89.9996, true, false), pupil("p2", 5.5, true, false), pupil("p3", 90, true, false),
		pupil("p4", 72, true, true), pupil("p5", 0, false, false), pupil("p6", 88, true, false),
		{ID: "h1", School: "hillcrest", Name: "Other School", Attendance: 50, HasAttendance: true},
	} {
		if err := s.PutPupil(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	ids := func(below float64) []string {
		t.Helper()
		calls.Reset()
		ps, err := s.LowAttendance(ctx, school, below)
		if err != nil {
			t.Fatal(err)
		}
		if n := calls.Total(); n != 1 {
			t.Errorf("%d round trips, want one Query", n)
		}
		var out []string
		for _, p := range ps {
			out = append(out, string(p.ID))
		}
		return out
	}
	if got := ids(90); !slices.Equal(got, []string{"p2", "p6", "p1"}) {
		t.Errorf("below 90: %v, want p2, p6, p1 (lowest first; no one at 90, no leaver, no one without a figure)", got)
	}
	if got := ids(88); !slices.Equal(got, []string{"p2"}) {
		t.Errorf("below 88: %v", got)
	}
	// The next import's figure takes a pupil off the list, and a leaver goes with their class.
	if err := s.PutPupil(ctx, pupil("p6", 93, true, false)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutPupil(ctx, pupil("p2", 5.5, true, true)); err != nil {
		t.Fatal(err)
	}
	if got := ids(90); !slices.Equal(got, []string{"p1"}) {
		t.Errorf("after the changes: %v, want p1", got)
	}
}
