package main

import (
	"net/url"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// FuzzDashboardFilter: any query gives a filter of the form's own choices and real dates, or
// problems naming the date fields, never a panic; any page token but the one made for the
// list is refused.
func FuzzDashboardFilter(f *testing.F) {
	for _, seed := range []string{"", "status=open&priority=high&category=safeguarding&show=unread&pupil=chidi",
		"status=shut&show=%00&pupil=" + url.QueryEscape("   Ann   Lee "), "pupil=%ff%fe", "category=../../x",
		"from-day=1&from-month=3&from-year=2026&to-day=31&to-month=3&to-year=2026", "from-day=31&from-month=2&from-year=2026",
		"to-day=1&to-month=1&to-year=2026&from-day=2&from-month=1&from-year=2026", "from-day=-1&from-month=%C2%BD&from-year=99999",
		"page=MjAyNi0wMS0wMVQwMDowMDowMC4wMDAwMDAwMDBaI2E.AAAA", "page=..", "page=%ff"} {
		f.Add(seed)
	}
	s := session{id: "a session"}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw)
		got, problems := readDashboardFilter(q)
		if got.Status != "" && got.Status != "open" && got.Status != "closed" {
			t.Errorf("status %q", got.Status)
		}
		if got.Priority != "" && got.Priority != "high" {
			t.Errorf("priority %q", got.Priority)
		}
		if got.Show != "" && got.Show != "unread" && got.Show != "overdue" {
			t.Errorf("show %q", got.Show)
		}
		if _, ok := concerns.PolicyCatalogue().Find(safeguarding.Category(got.Category)); got.Category != "" && !ok {
			t.Errorf("category %q is not one of the policy's", got.Category)
		}
		if utf8.RuneCountInString(got.Pupil) > maxPupilFilter {
			t.Errorf("a pupil's name of %d characters", utf8.RuneCountInString(got.Pupil))
		}
		for _, p := range problems.List {
			if p.Anchor != "from-day" && p.Anchor != "to-day" {
				t.Errorf("a problem at %q", p.Anchor)
			}
		}
		if len(problems.List) > 0 && (!got.From.IsZero() || !got.To.IsZero()) {
			t.Errorf("dates %v to %v kept with problems %v", got.From, got.To, problems.List)
		}
		for _, d := range []time.Time{got.From, got.To} {
			if !d.IsZero() && (d.In(safeguarding.London).Hour() != 0 || d.In(safeguarding.London).Minute() != 0) {
				t.Errorf("a date %v that is not the start of a school day", d)
			}
		}
		if !got.From.IsZero() && !got.To.IsZero() && !got.To.After(got.From) {
			t.Errorf("to %v not after from %v", got.To, got.From)
		}
		if tok := q.Get("page"); tok != "" {
			if trail, err := s.readPageToken("dashboard", tok); err == nil {
				t.Errorf("a page token not made here was read: %q", trail)
			}
		}
		again, _ := readDashboardFilter(got.values())
		if again.Status != got.Status || again.Category != got.Category || again.Pupil != got.Pupil || !again.From.Equal(got.From) || !again.To.Equal(got.To) {
			t.Errorf("the filter's links do not give it back: %+v, then %+v", got, again)
		}
	})
}
