package safeguarding

import (
	"testing"
	"time"
)

func TestRule_C3_RecordingDeadlines(t *testing.T) {
	for _, tc := range []struct {
		name, observed, deadline string
	}{
		// GMT (winter).
		{"morning, GMT", "2026-11-23 08:10:00", "2026-11-23 12:00:00"},
		{"11:59:59 is morning", "2026-11-23 11:59:59", "2026-11-23 12:00:00"},
		{"12:00 is afternoon", "2026-11-23 12:00:00", "2026-11-23 16:00:00"},
		{"afternoon, GMT", "2026-11-23 14:30:00", "2026-11-23 16:00:00"},
		{"from 16:00, end of day", "2026-11-23 16:00:00", "2026-11-23 17:00:00"},
		{"after end of day, next school day noon", "2026-11-23 17:00:00", "2026-11-24 12:00:00"},
		{"Friday evening, Monday noon", "2026-11-27 18:00:00", "2026-11-30 12:00:00"},
		{"Saturday, Monday noon", "2026-11-28 10:00:00", "2026-11-30 12:00:00"},
		// BST (summer).
		{"morning, BST", "2026-06-15 09:00:00", "2026-06-15 12:00:00"},
		{"afternoon, BST", "2026-06-15 13:00:00", "2026-06-15 16:00:00"},
		// Across the clock change: Sunday 25 Oct 2026 BST ends; Monday is GMT.
		{"Sunday of the clock change", "2026-10-25 10:00:00", "2026-10-26 12:00:00"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := RecordingDeadline(london(t, tc.observed), Weekdays{}, 0)
			if want := london(t, tc.deadline); !got.Equal(want) {
				t.Errorf("deadline %s, want %s", got.In(London), want)
			}
		})
	}
}

func TestRule_C3_DeadlineIsNoonOrFourInUTCAcrossBSTAndGMT(t *testing.T) {
	summer := RecordingDeadline(time.Date(2026, 6, 15, 8, 0, 0, 0, time.UTC), Weekdays{}, 0) // 09:00 BST
	if want := time.Date(2026, 6, 15, 11, 0, 0, 0, time.UTC); !summer.Equal(want) {
		t.Errorf("BST noon = %s, want %s", summer.UTC(), want)
	}
	winter := RecordingDeadline(time.Date(2026, 12, 1, 13, 0, 0, 0, time.UTC), Weekdays{}, 0) // 13:00 GMT
	if want := time.Date(2026, 12, 1, 16, 0, 0, 0, time.UTC); !winter.Equal(want) {
		t.Errorf("GMT four o'clock = %s, want %s", winter.UTC(), want)
	}
}
