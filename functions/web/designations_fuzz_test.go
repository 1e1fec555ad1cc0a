package main

import (
	"net/url"
	"testing"
)

// FuzzDesignationForm feeds any posted body to the designation form's decoder: it never
// panics, a form it takes is one of the two, and the same body gives the same fingerprint.
func FuzzDesignationForm(f *testing.F) {
	f.Add("form=designate&email=priya%40example.org&reason=Calls+Willows&key=k")
	f.Add("form=end&email=%20&reason=%00")
	f.Add("form=&form=end&email=a&email=b")
	f.Add("form=x&email=%FF%FE")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := readDesignationForm(v)
		if active, ok := form.active(); ok && active != (form.Form == "designate") || ok && form.Form != "designate" && form.Form != "end" {
			t.Fatalf("form %q taken as active=%v", form.Form, active)
		}
		if form.fingerprint("s") != readDesignationForm(v).fingerprint("s") {
			t.Fatalf("fingerprint differs for the same body %q", body)
		}
	})
}
