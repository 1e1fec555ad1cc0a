// Package concernstest records the concern the tests of the capabilities above concerns
// start from (case work): a concern about Ava at Brook Lane, as safeguardingtest's people
// record it. Only tests import it; the tests of concerns itself keep their own, beside the
// code it exercises, since they cannot import a package that imports concerns.
package concernstest

import (
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/safeguardingtest"
)

// NewConcern is a concern about Ava, changed by mut.
func NewConcern(mut func(*concerns.NewConcern)) concerns.NewConcern {
	in := concerns.NewConcern{
		PupilIDs: []safeguarding.PupilID{"p1"}, Category: "safeguarding", Subcategories: []string{"physical-related"},
		ObservedAt: time.Date(2026, 11, 23, 9, 0, 0, 0, safeguarding.London), Details: "Ava had a bruise on her left arm at 9:00.",
		PupilWords: "I fell off my bike.",
	}
	if mut != nil {
		mut(&in)
	}
	return in
}

// Record records in by at Brook Lane at, with the policy's categories and weekdays as the
// calendar.
func Record(t *testing.T, by safeguarding.Principal, in concerns.NewConcern, at time.Time) (concerns.Concern, error) {
	t.Helper()
	return concerns.RecordConcern("01JCONCERN0000000000ABCDEF", in, by, safeguardingtest.BrookLane, safeguardingtest.Pupils, concerns.PolicyCatalogue(), safeguarding.Weekdays{}, at)
}
