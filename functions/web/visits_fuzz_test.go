package main

import (
	"net/url"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
)

// visitFormAnchors are the elements the visit pages have for a problem to point at.
var visitFormAnchors = []string{"family", "day", "end", "reason", "children", "next-day"}

// FuzzReadPlan: whatever a plan form holds, the decoder never panics, points every problem at
// a field of the form, and a plan it passes on is in school time with a family named.
func FuzzReadPlan(f *testing.F) {
	f.Add("family=fam-02&staff=a%40b.c&staff=d%40e.f&line-manager=g%40h.i&day=1&month=3&year=2027&start=10%3A00&end=11%3A00")
	f.Add("family=&day=31&month=2&year=2027&start=25%3A00&end=x")
	f.Add("day=%00&month=-1&year=99999999999999999999&start=10:00:00&end=")
	f.Add("%zz")
	f.Add("intent=find-family&family-q=poppy&staff=a%40b.c&start=10%3A00")
	f.Add("family=fam-02&day=1&month=3&year=2027&start=10%3A00&end=11%3A00&reason=No+answer%0D%0Asince+Monday")
	f.Add("family=fam-02&day=1&month=3&year=2027&start=10%3A00&end=11%3A00&reason=%E2%80%AEx%00%FF")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return // the handler answers a body that does not parse before any decoder
		}
		form, in, ps := readPlan(v)
		if form.Searching {
			// A search for the family is not a plan: nothing is checked, and nothing planned.
			if len(ps.List) > 0 || in.FamilyID != "" || utf8.RuneCountInString(form.FamilyQuery) > 100 {
				t.Fatalf("a search gave %+v, %+v", ps.List, in)
			}
			return
		}
		for _, p := range ps.List {
			if !slices.Contains(visitFormAnchors, p.Anchor) || p.Message == "" {
				t.Fatalf("problem %+v points at no field", p)
			}
		}
		if len(ps.List) == 0 && (in.FamilyID == "" || in.Reason == "" || !visits.PlainText(in.Reason) ||
			utf8.RuneCountInString(in.Reason) > visits.MaxReasonChars || in.PlannedStart.Location() != safeguarding.London || in.PlannedEnd.Location() != safeguarding.London) {
			t.Fatalf("passed on %+v from %+v", in, form)
		}
	})
}

// FuzzReadStep: whatever a step's form holds, the decoder never panics, knows only the
// visit's steps, points every problem at a field, and the doorstep's answers are the form's.
func FuzzReadStep(f *testing.F) {
	for _, s := range visitSteps {
		f.Add(s, "key=k1&outcome=agreed&going=a%40b.c&going=d%40e.f")
	}
	f.Add("doorstep", "child=bl-02&child=bl-03&seen-bl-02=yes&seen-bl-03=maybe&concern=yes&details=x")
	f.Add("next", "next-day=31&next-month=2&next-year=2027&next-time=10%3A00&support=x")
	f.Add("observations", "child=bl-02&emotional-bl-02=calm&adults-physical=tidy")
	f.Add("dance", "")
	f.Fuzz(func(t *testing.T, step, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		sf, ps, ok := readStep(step, v)
		if ok != slices.Contains(visitSteps, step) {
			t.Fatalf("step %q known: %v", step, ok)
		}
		for _, p := range ps.List {
			if !slices.Contains(visitFormAnchors, p.Anchor) {
				t.Fatalf("problem %+v points at no field", p)
			}
		}
		if step == "doorstep" && len(sf.Seen) != len(v["child"]) {
			t.Fatalf("%d children sent, %d read", len(v["child"]), len(sf.Seen))
		}
	})
}
