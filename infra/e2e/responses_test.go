package e2e

import (
	"fmt"
	"regexp"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
)

// designatedView is the answers that may carry a family's number or address: a successful GET
// of a family's contact details, which only designated staff get, or of their earlier versions,
// which only the DSLs and the Senior DSL get (rule P3).
var designatedView = regexp.MustCompile(`^GET .*/api/schools/[^/]+/families/[^/]+/contact-details(?:/versions)?$`)

// familyNumber matches every demo family's numbers (07700 900100-133), however written.
var familyNumber = regexp.MustCompile(`(?:0|\+44\s?|\\u002b44)7700\s?900\s?1[0-3]\d`)

// visitAnswer is a home visit's record: rule V2 has the visiting pair and their line manager
// know the address, so a visit may carry it (never a number).
var visitAnswer = regexp.MustCompile(`/api/schools/[^/]+/visits(?:/|$)`)

// familyAddresses match the first line and the postcode of every demo family's address.
func familyAddresses() []*regexp.Regexp {
	var out []*regexp.Regexp
	for _, f := range seed.Demo().Families {
		for _, l := range append(f.Address[:1:1], f.Postcode) {
			out = append(out, regexp.MustCompile(regexp.QuoteMeta(l)))
		}
	}
	return out
}

// contactDetailLeaks lists the answers the suite saw that carry a family's contact details,
// other than a designated person's view of them.
func contactDetailLeaks() []string {
	seenMu.Lock()
	defer seenMu.Unlock()
	addresses := familyAddresses()
	var out []string
	for _, r := range seen {
		if r.status == 200 && designatedView.MatchString(r.method+" "+r.url) {
			continue
		}
		patterns := []*regexp.Regexp{familyNumber}
		if !visitAnswer.MatchString(r.url) {
			patterns = append(patterns, addresses...)
		}
		for _, p := range patterns {
			if loc := p.FindIndex(r.body); loc != nil {
				out = append(out, fmt.Sprintf("%s %s answered %d with %q", r.method, r.url, r.status, r.body[loc[0]:loc[1]]))
				break
			}
		}
	}
	return out
}

// Rule P3: no answer the suite has seen so far, through the local stack, carries a family's
// number, or an address outside a home visit's record (rule V2), except a designated person's
// view of one family's contact details.
// TestMain repeats the scan after every test of the package has run.
func TestRule_P3_NoAnswerButTheDesignatedViewCarriesAFamilysContactDetails(t *testing.T) {
	seenMu.Lock()
	n, views := len(seen), 0
	for _, r := range seen {
		// The patterns find the numbers where they are allowed, so they would find a leak.
		if r.status == 200 && designatedView.MatchString(r.method+" "+r.url) && familyNumber.Match(r.body) {
			views++
		}
	}
	seenMu.Unlock()
	if n == 0 || views == 0 {
		t.Fatalf("%d answers seen, %d designated views with a number: nothing to scan", n, views)
	}
	for _, l := range contactDetailLeaks() {
		t.Error(l)
	}
}
