package main

import (
	"net/url"
	"testing"
	"unicode/utf8"
)

// FuzzAmendmentForm feeds any posted body to the correction form's decoder (rule P4): it
// never panics; a body without problems of its own has a version and a reason, and sends the
// domain a time only when the date and time were changed, and then a real one; the same body
// always gives the same fingerprint.
func FuzzAmendmentForm(f *testing.F) {
	f.Add("key=k&version=3&category=wellbeing&sub-wellbeing=clothing-or-footwear&observed-day=1&observed-month=6&observed-year=2026&observed-time=09%3A40&details=x&reason=typo&category-was=wellbeing&subcategories-was=clothing-or-footwear&observed-was=1%7C6%7C2026%7C09%3A40")
	f.Add("version=-1&observed-day=31&observed-month=2&observed-year=2026&observed-time=2400&reason=%20")
	f.Add("version=1&category=behaviour&sub-behaviour=a&sub-behaviour=a&subcategories-was=a,,b&people-involved=%0A%0AJane&reason=r")
	f.Add("version=99999999999999999999&category=%FF&observed-was=||||&pupil-words=%00")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := readAmendForm(v)
		version, a, own := form.toAmendment()
		if len(own) == 0 {
			if version < 0 || a.Reason == "" {
				t.Fatalf("no problem found, yet version %d and reason %q, for %q", version, a.Reason, body)
			}
			if a.Details == nil || a.PupilWords == nil || a.PeopleInvolved == nil {
				t.Fatalf("the text fields are not all sent, for %q", body)
			}
			if (a.ObservedAt != nil) != (form.observedText() != form.ObservedWas) {
				t.Fatalf("a time sent %v though the date was changed %v, for %q", a.ObservedAt != nil, form.observedText() != form.ObservedWas, body)
			}
			if a.ObservedAt != nil && a.ObservedAt.IsZero() {
				t.Fatalf("a zero time for %q", body)
			}
			if (a.Category == nil) != (a.Subcategories == nil) {
				t.Fatalf("a category without its sub-categories or back, for %q", body)
			}
		}
		for _, e := range amendErrors(own, nil) {
			if !utf8.ValidString(e.Message) || e.Message == "" || amendAnchors[e.Field] == "" {
				t.Fatalf("bad problem %+v", e)
			}
		}
		if form.fingerprint("s", "c") != readAmendForm(v).fingerprint("s", "c") {
			t.Fatalf("the fingerprint differs for the same body %q", body)
		}
	})
}
