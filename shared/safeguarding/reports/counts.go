package reports

import (
	"maps"
	"slices"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Counts are one school's figures for one calendar month (Europe/London), as the counters
// the store keeps hold them: every figure is a count of records written in that month, but
// the D1 figures, which count the concerns recorded in the month by when the DSLs first acted.
type Counts struct {
	// Month is the first day of the month, local midnight.
	Month time.Time
	// Concerns recorded in the month, by category and by priority.
	Concerns   int
	ByCategory map[safeguarding.Category]int
	High       int
	Normal     int
	// D1OnTime and D1Late count the concerns recorded in the month whose first DSL action (or
	// first decision on the case) came by its due time, or after it.
	D1OnTime int
	D1Late   int
	// Referrals made in the month (actions of the type referral).
	Referrals int
	// Families first heard from in the month by an acknowledgement, or by a contact
	// established by the school; families logged missing in the month (only during a closure).
	Acknowledged int
	Contacted    int
	Missing      int
}

// Plus is c with o's figures added (the month is c's).
func (c Counts) Plus(o Counts) Counts {
	out := c
	out.ByCategory = maps.Clone(c.ByCategory)
	if out.ByCategory == nil {
		out.ByCategory = map[safeguarding.Category]int{}
	}
	for k, v := range o.ByCategory {
		out.ByCategory[k] += v
	}
	out.Concerns += o.Concerns
	out.High += o.High
	out.Normal += o.Normal
	out.D1OnTime += o.D1OnTime
	out.D1Late += o.D1Late
	out.Referrals += o.Referrals
	out.Acknowledged += o.Acknowledged
	out.Contacted += o.Contacted
	out.Missing += o.Missing
	return out
}

// D1Share is the percentage of the concerns recorded whose first DSL action came on time,
// rounded down; ok is false when no concern was recorded.
func (c Counts) D1Share() (pct int, ok bool) {
	if c.Concerns == 0 {
		return 0, false
	}
	return c.D1OnTime * 100 / c.Concerns, true
}

// D1Waiting are the concerns recorded that no DSL has acted on yet.
func (c Counts) D1Waiting() int { return max(0, c.Concerns-c.D1OnTime-c.D1Late) }

// Categories are the categories with a concern in any of counts, in the policy's order
// first, then any other by name.
func Categories(counts ...Counts) []safeguarding.Category {
	seen := map[safeguarding.Category]bool{}
	for _, c := range counts {
		for k, v := range c.ByCategory {
			if v != 0 {
				seen[k] = true
			}
		}
	}
	var out []safeguarding.Category
	for _, k := range policyOrder {
		if seen[k] {
			out = append(out, k)
			delete(seen, k)
		}
	}
	rest := slices.Sorted(maps.Keys(seen))
	return append(out, rest...)
}

var policyOrder = []safeguarding.Category{safeguarding.CategorySafeguarding, safeguarding.CategoryBehaviour,
	safeguarding.CategoryWellbeing, safeguarding.CategoryAttendance, safeguarding.CategoryCommunication,
	safeguarding.CategoryOutsideAgency}

// CategoryName is a category in plain words.
func CategoryName(c safeguarding.Category) string {
	switch c {
	case safeguarding.CategoryCommunication:
		return "Communication with parents"
	case safeguarding.CategoryOutsideAgency:
		return "Outside agency"
	}
	s := string(c)
	if s == "" {
		return "Other"
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	for i := range b {
		if b[i] == '-' {
			b[i] = ' '
		}
	}
	return string(b)
}

// MonthOf is the first day of t's local month.
func MonthOf(t time.Time) time.Time {
	l := t.In(safeguarding.London)
	return time.Date(l.Year(), l.Month(), 1, 0, 0, 0, 0, safeguarding.London)
}

// MonthKey names a month as the counters do: "2026-11".
func MonthKey(m time.Time) string { return m.In(safeguarding.London).Format("2006-01") }
