package concerns

import (
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func newConcern(mut func(*NewConcern)) NewConcern {
	in := NewConcern{
		PupilIDs: []safeguarding.PupilID{"p1"}, Category: "safeguarding", Subcategories: []string{"physical-related"},
		ObservedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, safeguarding.London), Details: "Ava had a bruise on her left arm at 9:00.",
		PupilWords: "I fell off my bike.",
	}
	if mut != nil {
		mut(&in)
	}
	return in
}

func record(t *testing.T, by safeguarding.Principal, in NewConcern, at time.Time) (Concern, error) {
	t.Helper()
	return RecordConcern("01JCONCERN0000000000ABCDEF", in, by, brookLane, pupils, PolicyCatalogue(), safeguarding.Weekdays{}, at)
}
