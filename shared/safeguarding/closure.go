package safeguarding

import (
	"fmt"
	"time"
)

// Closure is a full school closure (rule E0): the building closed to most pupils while
// teaching goes on remotely. Its days are school days. While it lasts every family of the
// school is tracked (E2); outside it no family is counted. A school has at most one open
// closure; its last day (inclusive) is given when it ends. The zero Closure is "none".
type Closure struct {
	ID     string
	School SchoolID
	// From is local midnight of the closure's first day; LastDay local midnight of its last
	// day, zero while it is open.
	From, LastDay      time.Time
	StartedBy, EndedBy string
	StartedAt, EndedAt time.Time
	Version            int
	// Swept says the escalation job has looked at every family of the school in this
	// closure, on or after the day those never heard from could first be missing.
	Swept bool
}

// DuePhoneCall is the deadline engine's kind of a phone call due to a family: the call of
// rule E3 within 24 hours of a family being logged MISSING, or the next call agreed (H3).
const DuePhoneCall = "phone-call"

// maxClosureDays bounds how far from today a closure's first or last day may be entered: a
// typing slip of a year is refused, a closure recorded a few weeks late is not.
const maxClosureDays = 366

// IsZero reports whether there is no closure.
func (c Closure) IsZero() bool { return c.ID == "" }

// Open reports whether the closure has not been ended.
func (c Closure) Open() bool { return c.ID != "" && c.LastDay.IsZero() }

// Covers reports whether the local day of t is a day of the closure: on or after its first
// day and, once it has ended, on or before its last.
func (c Closure) Covers(t time.Time) bool {
	if c.IsZero() {
		return false
	}
	d := LocalDay(t)
	return !d.Before(LocalDay(c.From)) && (c.LastDay.IsZero() || !d.After(LocalDay(c.LastDay)))
}

// CanManageClosures: the Senior DSL starts and ends a school's closures (rule E0).
func CanManageClosures(p Principal, school SchoolID) bool { return p.Has(school, RoleSeniorDSL) }

// StartClosure checks a closure p starts on the local day of from, given the school's latest
// closure (zero if none): ErrForbidden for anyone but the Senior DSL, ErrConflict while
// another is open, a problem on "from" when it is not after the last one's last day.
func StartClosure(p Principal, school SchoolID, latest Closure, id string, from, now time.Time) (Closure, error) {
	if !CanManageClosures(p, school) {
		return Closure{}, ErrForbidden
	}
	if latest.Open() {
		return Closure{}, fmt.Errorf("closure %s is open: end it before starting another: %w", latest.ID, ErrConflict)
	}
	var ps Problems
	day := LocalDay(from)
	switch {
	case from.IsZero():
		ps.Add("from", "the closure's first day, like 2027-01-11")
	case day.Before(LocalDay(now).AddDate(0, 0, -maxClosureDays)) || day.After(LocalDay(now).AddDate(0, 0, maxClosureDays)):
		ps.Add("from", "within a year of today")
	case !latest.IsZero() && !day.After(LocalDay(latest.LastDay)):
		ps.Add("from", "after the last day of the previous closure, %s", LocalDay(latest.LastDay).Format(time.DateOnly))
	}
	if err := ps.Err(); err != nil {
		return Closure{}, err
	}
	return Closure{ID: id, School: school, From: day, StartedBy: p.Email, StartedAt: now.UTC(), Version: 1}, nil
}

// End ends an open closure with its last day (inclusive, not before its first day), by p.
func (c Closure) End(p Principal, lastDay, now time.Time) (Closure, error) {
	if !CanManageClosures(p, c.School) {
		return Closure{}, ErrForbidden
	}
	if !c.Open() {
		return Closure{}, fmt.Errorf("closure %s has ended: %w", c.ID, ErrConflict)
	}
	var ps Problems
	day := LocalDay(lastDay)
	switch {
	case lastDay.IsZero():
		ps.Add("lastDay", "the closure's last day, like 2027-01-22")
	case day.Before(LocalDay(c.From)):
		ps.Add("lastDay", "not before the closure's first day, %s", LocalDay(c.From).Format(time.DateOnly))
	case day.After(LocalDay(now).AddDate(0, 0, maxClosureDays)):
		ps.Add("lastDay", "within a year of today")
	}
	if err := ps.Err(); err != nil {
		return Closure{}, err
	}
	c.LastDay, c.EndedBy, c.EndedAt = day, p.Email, now.UTC()
	c.Version++
	return c, nil
}

// ClosureSchoolDay is the n-th school day of the closure (1 for its first), local midnight.
func (c Closure) ClosureSchoolDay(cal Calendar, n int) time.Time {
	return AddSchoolDays(cal, LocalDay(c.From).AddDate(0, 0, -1), n)
}
