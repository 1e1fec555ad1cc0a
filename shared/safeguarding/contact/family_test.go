package contact

import (
	"testing"
	"time"
)

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
		f := RestoreFamily(FamilySnapshot{LastContactAt: c.last})
		if got := f.HeardFromOn(now); got != c.want {
			t.Errorf("last contact %v: heard from today %v, want %v", c.last, got, c.want)
		}
	}
}
