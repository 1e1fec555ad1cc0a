package reports

import (
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// FuzzTerm feeds the term and year of a report's address (outside input) to their readers:
// either a validation error naming the field, or a period of whole months in order, never a
// panic.
func FuzzTerm(f *testing.F) {
	for _, s := range []string{"2026-autumn", "2027-spring", "2026-summer", "2026", "", "-", "9999-autumn", "2026-", "２０２６-autumn"} {
		f.Add(s)
	}
	cal := safeguarding.SchoolCalendar{Terms: []safeguarding.Term{{Name: "Autumn", From: day("2026-09-03"), To: day("2026-12-18")}}}
	f.Fuzz(func(t *testing.T, s string) {
		for _, c := range []safeguarding.SchoolCalendar{{}, cal} {
			p, err := Term(c, s)
			if err != nil {
				continue
			}
			if ms := p.Months(); len(ms) == 0 || len(ms) > 12 || p.To.Before(p.From) {
				t.Errorf("%q: %+v", s, p)
			}
			_ = Previous(c, p)
		}
		if y, err := ParseYear(s); err == nil && len(SchoolYear(y).Months()) != 12 {
			t.Errorf("%q: year %d", s, y)
		}
	})
}
