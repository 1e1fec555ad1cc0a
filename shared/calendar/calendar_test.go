package calendar

import (
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, safeguarding.London)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBankHolidaysOfEnglandAndWales(t *testing.T) {
	cal := EnglandAndWales()
	for _, tc := range []struct {
		date   string
		school bool
	}{
		{"2026-12-24", true},  // Thursday
		{"2026-12-25", false}, // Christmas Day, Friday
		{"2026-12-26", false}, // Saturday (Boxing Day)
		{"2026-12-28", false}, // Boxing Day substitute, Monday
		{"2026-12-29", true},
		{"2027-12-27", false}, // Christmas Day falls on Saturday: substitute Monday
		{"2027-12-28", false}, // Boxing Day on Sunday: substitute Tuesday
		{"2026-04-03", false}, // Good Friday
		{"2026-04-06", false}, // Easter Monday
		{"2026-04-07", true},
		{"2026-05-04", false}, // Early May
		{"2026-05-25", false}, // Spring
		{"2026-08-31", false}, // Summer (England and Wales: last Monday)
		{"2026-08-03", true},  // Scotland's summer holiday is not ours
		{"2026-11-23", true},
	} {
		if got := cal.IsSchoolDay(day(tc.date)); got != tc.school {
			t.Errorf("%s: school day = %v, want %v", tc.date, got, tc.school)
		}
	}
}

// rule E2 counts school days with the real bank holidays beneath each school's calendar.
func TestRule_E2_SchoolDaysBetweenSkipBankHolidaysAndSubstituteDays(t *testing.T) {
	open := safeguarding.SchoolCalendar{BankHolidays: EnglandAndWales()} // a school that enters no holidays
	for _, tc := range []struct {
		from, to string
		want     int
	}{
		{"2026-12-24", "2026-12-29", 1}, // Christmas (Fri) and Boxing Day's substitute (Mon 28)
		{"2027-12-24", "2027-12-29", 1}, // both substitutes: Mon 27 and Tue 28
		{"2026-04-02", "2026-04-07", 1}, // Good Friday and Easter Monday
		{"2026-11-20", "2026-11-30", 6},
		{"2026-11-30", "2026-11-20", 0},
	} {
		if got := safeguarding.SchoolDaysBetween(open, day(tc.from), day(tc.to)); got != tc.want {
			t.Errorf("school days after %s up to %s: %d, want %d", tc.from, tc.to, got, tc.want)
		}
	}
}
