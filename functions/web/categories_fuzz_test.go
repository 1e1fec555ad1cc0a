package main

import (
	"net/url"
	"reflect"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// FuzzCategoryForm feeds any posted body to the categories page's decoder (rule C2): it never
// panics; a form it accepts has a version and a change that, run on the policy's catalogue,
// either changes it as the domain allows or says what is wrong, never leaving it half changed.
func FuzzCategoryForm(f *testing.F) {
	f.Add("version=0&title=Young+carer", "wellbeing", "")
	f.Add("version=3&intent=rename&title=%20", "wellbeing", "clothing-or-footwear")
	f.Add("version=-1&intent=retire", "behaviour", "cyberbullying")
	f.Add("version=1&intent=restore&title=%FF%00", "nonsense", "x")
	f.Add("version=99999999999999999999&intent=delete", "wellbeing", "forgotten-lunch")
	f.Fuzz(func(t *testing.T, body, category, id string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := readCategoryForm(v)
		version, change, msg := form.change(safeguarding.Category(category), id)
		if msg != "" {
			if change != nil {
				t.Fatalf("a change despite the problem %q, for %q", msg, body)
			}
			return
		}
		if change == nil || version < 0 {
			t.Fatalf("no change or version %d without a problem, for %q", version, body)
		}
		before := concerns.PolicyCatalogue()
		after, _, err := change(before)
		if err != nil && !reflect.DeepEqual(after, before) {
			t.Fatalf("a refused change altered the catalogue, for %q", body)
		}
		if !reflect.DeepEqual(before, concerns.PolicyCatalogue()) {
			t.Fatal("the catalogue it was given was changed in place")
		}
		_ = form.alreadyDone(after, safeguarding.Category(category), id)
	})
}
