package reports

import (
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func day(s string) time.Time {
	t, err := time.ParseInLocation(time.DateOnly, s, safeguarding.London)
	if err != nil {
		panic(err)
	}
	return t
}

// Rule D10: a report's terms are the school's own (by the months they touch) or, when it
// entered none, the three usual English terms; the term before is beside it for the trend,
// and Ofsted's year runs from September to August.
func TestRule_D10_TermsAreTheSchoolsOwnOrTheUsualThree(t *testing.T) {
	var none safeguarding.SchoolCalendar
	p, err := Term(none, "2026-autumn")
	if err != nil || p.Name != "Autumn term 2026" || MonthKey(p.From) != "2026-09" || MonthKey(p.To) != "2026-12" || len(p.Months()) != 4 {
		t.Errorf("the usual autumn term: %+v %v", p, err)
	}
	if prev := Previous(none, p); prev.Key != "2026-summer" || MonthKey(prev.From) != "2026-04" || MonthKey(prev.To) != "2026-08" {
		t.Errorf("the term before autumn: %+v", prev)
	}
	if prev := Previous(none, mustTerm(t, none, "2027-spring")); prev.Key != "2026-autumn" {
		t.Errorf("the term before spring 2027: %+v", prev)
	}
	own := safeguarding.SchoolCalendar{Terms: []safeguarding.Term{
		{Name: "Autumn", From: day("2026-09-03"), To: day("2026-12-18")},
		{Name: "Spring", From: day("2027-01-05"), To: day("2027-04-01")},
	}}
	if s := mustTerm(t, own, "2027-spring"); MonthKey(s.From) != "2027-01" || MonthKey(s.To) != "2027-04" {
		t.Errorf("the school's own spring term: %+v", s)
	}
	if at := TermAt(own, day("2026-12-25")); at.Key != "2026-autumn" {
		t.Errorf("Christmas Day falls after the autumn term: %+v", at)
	}
	if at := TermAt(none, day("2027-05-10")); at.Key != "2027-summer" {
		t.Errorf("May, with no terms entered: %+v", at)
	}
	for _, bad := range []string{"2026", "2026-winter", "26-autumn", "autumn-2026", ""} {
		if _, err := Term(none, bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	y := SchoolYear(2026)
	if len(y.Months()) != 12 || MonthKey(y.From) != "2026-09" || MonthKey(y.To) != "2027-08" || YearAt(day("2027-03-01")) != 2026 || YearAt(day("2026-09-01")) != 2026 {
		t.Errorf("the school year %+v", y)
	}
	if _, err := ParseYear("20x6"); err == nil {
		t.Error("a year that is not one accepted")
	}
}

func mustTerm(t *testing.T, cal safeguarding.SchoolCalendar, key string) Period {
	t.Helper()
	p, err := Term(cal, key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Rule D10, P2: the CSV holds counts only, a row a month of the term before and of the term,
// with a column per category any month counted; the share on time is of the concerns recorded.
func TestRule_D10_P2_TheCSVHoldsCountsOnly(t *testing.T) {
	var none safeguarding.SchoolCalendar
	p := mustTerm(t, none, "2026-autumn")
	found := map[string]Counts{
		"2026-11": {Concerns: 4, High: 1, Normal: 3, D1OnTime: 3, D1Late: 0, Referrals: 2, Missing: 1,
			ByCategory: map[safeguarding.Category]int{safeguarding.CategorySafeguarding: 3, safeguarding.CategoryCommunication: 1}},
		"2026-05": {Concerns: 1, Normal: 1, D1Late: 1, ByCategory: map[safeguarding.Category]int{safeguarding.CategoryWellbeing: 1}},
	}
	r := Build(Governors, "brook-lane", "Brook Lane", p, Previous(none, p), found)
	if r.Total.Concerns != 4 || r.PreviousTotal.Concerns != 1 || Trend(r.Total.Concerns, r.PreviousTotal.Concerns) != "up 3" {
		t.Errorf("totals %+v / %+v", r.Total, r.PreviousTotal)
	}
	if pct, ok := r.Months[2].D1Share(); !ok || pct != 75 || r.Months[2].D1Waiting() != 1 {
		t.Errorf("November's share %d %v", pct, ok)
	}
	if _, ok := r.Months[0].D1Share(); ok {
		t.Error("a month with no concern has a share")
	}
	out := string(CSV(r))
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1+5+4 {
		t.Fatalf("%d lines:\n%s", len(lines), out)
	}
	if !strings.Contains(lines[0], "category: Safeguarding,category: Wellbeing,category: Communication with parents") {
		t.Errorf("header %s", lines[0])
	}
	if !strings.Contains(out, "Autumn term 2026,2026-11,4,1,3,3,0,1,3,0,1,2,0,0,1") {
		t.Errorf("November's row:\n%s", out)
	}
	sum := Sum([]Report{r, r})
	if sum.Total.Concerns != 8 || sum.Months[2].ByCategory[safeguarding.CategorySafeguarding] != 6 || sum.Name != "2 schools" {
		t.Errorf("the federation's sum %+v", sum.Total)
	}
}
