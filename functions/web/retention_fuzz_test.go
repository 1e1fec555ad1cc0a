package main

import (
	"net/url"
	"testing"
)

// FuzzHoldForm feeds any posted body to the legal hold form's decoder (rule S7): it never
// panics, a version it takes is a whole number from 0, a review date it reads is a date, and
// the same body gives the same fingerprint.
func FuzzHoldForm(f *testing.F) {
	f.Add("version=0&reason=Court+proceedings&review-on=2027-09-01&key=k")
	f.Add("version=-1&reason=%00&review-on=31%2F02%2F2027")
	f.Add("version=1&version=2&review-on=99999-99-99")
	f.Add("version=%FF&reason=&key=" + string(make([]byte, 70)))
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form, ok := readHoldForm(v)
		if !ok {
			return
		}
		if form.Version < 0 || len(form.Key) == 0 || len(form.Key) > 64 {
			t.Fatalf("version %d, key %q", form.Version, form.Key)
		}
		if form.ReviewOK && form.ReviewOn != "" && form.Review.IsZero() {
			t.Fatalf("review date %q read as no date", form.ReviewOn)
		}
		again, _ := readHoldForm(v)
		again.Key = form.Key
		if form.fingerprint("hold", "s", "p", "") != again.fingerprint("hold", "s", "p", "") {
			t.Fatalf("fingerprint differs for the same body %q", body)
		}
	})
}
