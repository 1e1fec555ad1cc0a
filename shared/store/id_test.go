package store

import (
	"testing"
	"time"

	"github.com/oklog/ulid/v2"
)

// NewID writes ULIDs: a ULID library reads each back with its time to the millisecond, and
// IDs sort by time.
func TestNewIDIsAULID(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 11, 23, 9, 5, 0, 123_456_789, time.UTC),
		time.Date(2026, 11, 23, 9, 5, 0, 124_000_000, time.UTC),
		time.Date(2027, 3, 28, 1, 0, 0, 0, time.UTC),
		time.UnixMilli(0),
		time.UnixMilli(1<<48 - 1),
	}
	seen := map[string]bool{}
	for i, at := range times {
		for range 50 {
			id := NewID(at)
			parsed, err := ulid.ParseStrict(id)
			if err != nil {
				t.Fatalf("%s: %v", id, err)
			}
			if got := ulid.Time(parsed.Time()); !got.Equal(at.Truncate(time.Millisecond)) {
				t.Errorf("%s holds %s, want %s", id, got, at.Truncate(time.Millisecond))
			}
			if parsed.String() != id {
				t.Errorf("%s reads back as %s", id, parsed)
			}
			if seen[id] {
				t.Errorf("%s made twice", id)
			}
			seen[id] = true
		}
		if i > 0 && times[i-1].Before(at) && NewID(times[i-1]) >= NewID(at) {
			t.Errorf("an ID of %s does not sort before one of %s", times[i-1], at)
		}
	}
}
