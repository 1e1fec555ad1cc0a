package safeguarding

import (
	"testing"
	"time"
	_ "time/tzdata" // the reference where the system has no time zone database
)

// London, read from the one zone the package embeds, tells the same local time as the time zone
// database (the system's, else Go's own copy), every six hours from 1990 to 2100: both sides of
// every clock change.
func TestLondonIsTheTimeZoneDatabasesEuropeLondon(t *testing.T) {
	ref, err := time.LoadLocation("Europe/London")
	if err != nil {
		t.Fatal(err)
	}
	for at := time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC); at.Year() < 2100; at = at.Add(6 * time.Hour) {
		got, want := at.In(London), at.In(ref)
		if got.Format(time.RFC3339) != want.Format(time.RFC3339) {
			t.Fatalf("%s is %s in London, want %s", at.Format(time.RFC3339), got.Format(time.RFC3339), want.Format(time.RFC3339))
		}
	}
}
