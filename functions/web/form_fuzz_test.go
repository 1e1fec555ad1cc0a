package main

import (
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// FuzzConcernForm feeds any posted body to the form decoder: it never panics, a date it
// accepts is a real one, and the same body always gives the same fingerprint.
func FuzzConcernForm(f *testing.F) {
	f.Add("pupil=p1&category=wellbeing&sub-wellbeing=forgotten-lunch&observed-day=1&observed-month=6&observed-year=2026&observed-time=09%3A40&details=x")
	f.Add("observed-day=31&observed-month=2&observed-year=2026&observed-time=2400")
	f.Add("observed-time=9.5&people-involved=%0A%0AJane&tag-staff=a%40b.c,%20d%40e.f;g")
	f.Add("pupil=&pupil=%00&category=%FF&about-staff=yes&subject-staff-email=%20")
	f.Add("mark-side=front&mark-x=0.25&mark-y=0.5&mark-note=bruise&mark-side=back&mark-x=NaN&mark-y=x")
	f.Add("observed-when=just-now&details=x")
	f.Add("observed-when=earlier-today&observed-today-time=0915")
	f.Add("observed-when=earlier-today&observed-today-time=25:99&observed-day=1")
	f.Add("observed-when=another-day&observed-day=&observed-time=")
	f.Add("observed-when=%FF")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := readForm(v)
		in, own := form.toNewConcern(fuzzNow)
		if len(own) == 0 && in.ObservedAt.IsZero() {
			t.Fatalf("no problem found, yet no observation time, for %q", body)
		}
		for _, e := range fieldErrors(own, nil) {
			if !utf8.ValidString(e.Message) || e.Message == "" {
				t.Fatalf("bad message %q", e.Message)
			}
		}
		if fingerprint("s", in) != fingerprint("s", readForm(v).mustNew()) {
			t.Fatalf("fingerprint differs for the same body %q", body)
		}
	})
}

func (f concernForm) mustNew() concerns.NewConcern {
	in, _ := f.toNewConcern(fuzzNow)
	return in
}
