package main

import (
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// FuzzContactEditForm feeds any posted body to the contact details form's decoder: it never
// panics, gives the domain at most one number more than it allows, every field the domain may
// name has an element on the form, and the same body always gives the same fingerprint.
func FuzzContactEditForm(f *testing.F) {
	f.Add("version=1&phone-0-label=Mum&phone-0-number=07700+900123&phone-0-confirmed=yes&address-line-0=1+Road&address-postcode=zz1+1aa&reason=x")
	f.Add("version=-1&phone-3-confirmed=yes&phone-6-label=%00&phone-7-number=1&address-line-3=%FF")
	f.Add("version=x&phone-0-confirmed-at=2026-13-01&phone-1-confirmed-at=2026-11-20T14%3A00%3A00Z&phone-1-number=%2B33")
	f.Add("key=&version=99999999999999999999&phone-0-label=&phone-0-number=&address-line-1=%20")
	now := time.Date(2026, 11, 20, 14, 0, 0, 0, safeguarding.London)
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := readContactEditForm(v)
		in, anchors, own := form.input(now)
		if len(in.Phones) > contact.MaxContactPhones+1 || len(in.Address.Lines) > contact.MaxAddressLines {
			t.Fatalf("%d numbers, %d address lines from %q", len(in.Phones), len(in.Address.Lines), body)
		}
		for i := range in.Phones {
			for _, part := range []string{".label", ".number", ".confirmedAt"} {
				if anchors["phones["+strconv.Itoa(i)+"]"+part] == "" {
					t.Fatalf("number %d's %s has no element", i, part)
				}
			}
		}
		for _, p := range own {
			if p.Anchor == "" || p.Message == "" {
				t.Fatalf("a problem without its field: %+v", p)
			}
		}
		if form.fingerprint("s", "f") != readContactEditForm(v).fingerprint("s", "f") {
			t.Fatalf("fingerprint differs for the same body %q", body)
		}
	})
}

// FuzzContactPatchForm feeds any posted body to the office's form decoder: it never panics,
// gives the domain at most one number more than it allows, every field the domain may name
// has an element on the form, and the same body always gives the same fingerprint.
func FuzzContactPatchForm(f *testing.F) {
	f.Add("form=patch&version=1&held-0-label=Mum&held-0-confirmed=yes&new-0-label=Gran&new-0-number=07700+900555&reason=x&step=check")
	f.Add("version=2&held-0-label=Mum&held-0-number=07700+900556&held-0-remove=yes&held-0-remove-reason=&step=save&checked=abc")
	f.Add("version=x&change-address=yes&address-line-0=1+Road&address-line-3=%FF&address-postcode=zz1+1aa")
	f.Add("held-0-label=&held-1-label=%00&held-7-label=x&new-6-number=1&new-7-label=y")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := readContactPatchForm(v)
		in, anchors, own := form.patch()
		if len(in.Phones) > 2*(contact.MaxContactPhones+1) || len(in.Remove) > contact.MaxContactPhones+1 ||
			in.Address != nil && len(in.Address.Lines) > contact.MaxAddressLines {
			t.Fatalf("%d numbers, %d removals from %q", len(in.Phones), len(in.Remove), body)
		}
		for i := range in.Phones {
			for _, part := range []string{".label", ".number"} {
				if anchors["phones["+strconv.Itoa(i)+"]"+part] == "" {
					t.Fatalf("number %d's %s has no element", i, part)
				}
			}
		}
		for i := range in.Remove {
			if anchors["remove["+strconv.Itoa(i)+"].label"] == "" || anchors["remove["+strconv.Itoa(i)+"].reason"] == "" {
				t.Fatalf("removal %d has no element", i)
			}
		}
		for i := range in.Confirm {
			if anchors["confirm["+strconv.Itoa(i)+"]"] == "" {
				t.Fatalf("confirmation %d has no element", i)
			}
		}
		for _, p := range own {
			if p.Anchor == "" || p.Message == "" {
				t.Fatalf("a problem without its field: %+v", p)
			}
		}
		if form.fingerprint("s", "f") != readContactPatchForm(v).fingerprint("s", "f") {
			t.Fatalf("fingerprint differs for the same body %q", body)
		}
	})
}
