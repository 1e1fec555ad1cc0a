package safeguarding

import (
	_ "embed"
	"time"
)

// London is school-local time (Europe/London, with BST).
var London = mustLoad("Europe/London", europeLondon)

// europeLondon is the IANA time zone database's Europe/London (TZif, with its rule for dates
// past its last transition): Lambda's provided.al2023 image has no zoneinfo, and reading the
// one zone from these bytes spares every cold start the search of the system's folders and the
// whole embedded database (time/tzdata, 450 KB). The UK's rule has been the same since 1996;
// TestLondonIsTheTimeZoneDatabasesEuropeLondon compares it with the time zone database.
//
//go:embed europe-london.tzif
var europeLondon []byte

func mustLoad(name string, tzif []byte) *time.Location {
	loc, err := time.LoadLocationFromTZData(name, tzif)
	if err != nil {
		panic(err)
	}
	return loc
}

// Calendar answers whether a local date is a school day for one school: Monday to Friday, not
// a bank holiday of England and Wales, not a holiday, INSET or closure day of that school.
type Calendar interface {
	IsSchoolDay(day time.Time) bool
}

// Weekdays is the plainest calendar: every Monday to Friday is a school day.
type Weekdays struct{}

func (Weekdays) IsSchoolDay(day time.Time) bool {
	wd := day.Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

// LocalDay returns local midnight of the day t falls on, in school time.
func LocalDay(t time.Time) time.Time {
	l := t.In(London)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, London)
}

// At returns the instant h:m local time on the local day of day.
func At(day time.Time, minutes int) time.Time {
	d := LocalDay(day)
	return time.Date(d.Year(), d.Month(), d.Day(), minutes/60, minutes%60, 0, 0, London)
}

// NextSchoolDay returns local midnight of the first school day after day.
func NextSchoolDay(cal Calendar, day time.Time) time.Time {
	d := LocalDay(day)
	for i := 0; i < 366; i++ {
		d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, London)
		if cal.IsSchoolDay(d) {
			return d
		}
	}
	return d // a calendar with no school day in a year; the rules then count a year as enough.
}
