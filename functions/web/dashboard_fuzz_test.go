package main

import (
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// FuzzDashboardFilter: any query gives a filter of the form's own choices, never a panic.
func FuzzDashboardFilter(f *testing.F) {
	for _, seed := range []string{"", "status=open&priority=high&category=safeguarding&show=unread&pupil=chidi",
		"status=shut&show=%00&pupil=" + url.QueryEscape("   Ann   Lee "), "pupil=%ff%fe", "category=../../x"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		q, _ := url.ParseQuery(raw)
		got := readDashboardFilter(q)
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
	})
}
