package safeguarding

import (
	"slices"
	"strings"
	"time"
)

// Kinds of days a school is shut on besides weekends and bank holidays.
const (
	DayOffHoliday = "holiday" // a school holiday, half term
	DayOffINSET   = "inset"   // a staff training day: pupils are not in school
	DayOffClosure = "closure" // an unplanned closure (snow, a burst pipe...)
)

// DayOffKinds lists them, in the order screens show them.
var DayOffKinds = []string{DayOffHoliday, DayOffINSET, DayOffClosure}

// MaxCalendarPeriods bounds a school's terms and periods off, so one item holds them.
const MaxCalendarPeriods = 200

// Term is a period the school is open, both local dates included.
type Term struct {
	Name     string
	From, To time.Time
}

// DayOff is a period the school is shut, both local dates included.
type DayOff struct {
	Kind     string
	From, To time.Time
	Note     string
}

// SchoolCalendar is one school's calendar (the rules' definition of a school day): Monday to
// Friday, not a bank holiday of England and Wales (BankHolidays), inside a term when the
// school has entered terms, and not a holiday, INSET or closure day of the school.
type SchoolCalendar struct {
	School  SchoolID
	Terms   []Term
	DaysOff []DayOff
	// BankHolidays is the calendar underneath: weekends and bank holidays (shared/calendar).
	BankHolidays Calendar
	Version      int
}

var _ Calendar = SchoolCalendar{}

// IsSchoolDay reports whether the local date of day is a school day of this school.
func (c SchoolCalendar) IsSchoolDay(day time.Time) bool {
	base := c.BankHolidays
	if base == nil {
		base = Weekdays{}
	}
	d := LocalDay(day)
	if !base.IsSchoolDay(d) {
		return false
	}
	if len(c.Terms) > 0 && !slices.ContainsFunc(c.Terms, func(t Term) bool { return within(d, t.From, t.To) }) {
		return false
	}
	return !slices.ContainsFunc(c.DaysOff, func(o DayOff) bool { return within(d, o.From, o.To) })
}

func within(d, from, to time.Time) bool {
	return !d.Before(LocalDay(from)) && !d.After(LocalDay(to))
}

// SchoolDaysBetween counts the school days after the local day of from, up to and including
// the local day of to (0 when to is not after from). Counting walks local dates, never
// 24-hour steps, so a change of the clocks (BST) neither adds nor loses a day.
func SchoolDaysBetween(cal Calendar, from, to time.Time) int {
	d, end := LocalDay(from), LocalDay(to)
	n := 0
	for i := 0; i < 3660 && d.Before(end); i++ {
		d = time.Date(d.Year(), d.Month(), d.Day()+1, 0, 0, 0, 0, London)
		if cal.IsSchoolDay(d) {
			n++
		}
	}
	return n
}

// AddSchoolDays returns local midnight of the n-th school day after the local day of from.
func AddSchoolDays(cal Calendar, from time.Time, n int) time.Time {
	d := LocalDay(from)
	for i := 0; i < n; i++ {
		d = NextSchoolDay(cal, d)
	}
	return d
}

// CalendarInput is a calendar as the Senior DSL or admin enters it.
type CalendarInput struct {
	Terms   []Term
	DaysOff []DayOff
}

// CanEditCalendar: the Senior DSL or the office (admin) keeps a school's calendar.
func CanEditCalendar(p Principal, school SchoolID) bool {
	return p.Has(school, RoleSeniorDSL) || p.Has(school, RoleAdmin)
}

// NewSchoolCalendar checks a calendar entered by p and returns it as the next version of prev.
func NewSchoolCalendar(p Principal, prev SchoolCalendar, in CalendarInput) (SchoolCalendar, error) {
	if !CanEditCalendar(p, prev.School) {
		return SchoolCalendar{}, ErrForbidden
	}
	var ps Problems
	if len(in.Terms)+len(in.DaysOff) > MaxCalendarPeriods {
		ps.Add("terms", "at most %d terms and periods off in all", MaxCalendarPeriods)
	}
	out := SchoolCalendar{School: prev.School, BankHolidays: prev.BankHolidays, Version: prev.Version + 1}
	for _, t := range in.Terms {
		t.Name = strings.TrimSpace(t.Name)
		CheckText(&ps, "terms.name", t.Name, 100)
		if t.From.IsZero() || t.To.IsZero() || LocalDay(t.To).Before(LocalDay(t.From)) {
			ps.Add("terms", "each term needs a first day on or before its last day")
		}
		out.Terms = append(out.Terms, Term{Name: t.Name, From: LocalDay(t.From), To: LocalDay(t.To)})
	}
	for _, o := range in.DaysOff {
		o.Note = strings.TrimSpace(o.Note)
		CheckText(&ps, "daysOff.note", o.Note, 200)
		if !slices.Contains(DayOffKinds, o.Kind) {
			ps.Add("daysOff.kind", "must be one of %s", strings.Join(DayOffKinds, ", "))
		}
		if o.From.IsZero() || o.To.IsZero() || LocalDay(o.To).Before(LocalDay(o.From)) {
			ps.Add("daysOff", "each period needs a first day on or before its last day")
		}
		out.DaysOff = append(out.DaysOff, DayOff{Kind: o.Kind, From: LocalDay(o.From), To: LocalDay(o.To), Note: o.Note})
	}
	if err := ps.Err(); err != nil {
		return SchoolCalendar{}, err
	}
	return out, nil
}

// EndOfSchoolDay is "the end of the day" of rules D1, D2 and D5 for something that happens at
// from: the school's end of day (endOfDayMinutes after local midnight, 17:00 when unset) on
// from's day when that is a school day and from is before its end; otherwise the end of the
// next school day of cal.
func EndOfSchoolDay(cal Calendar, from time.Time, endOfDayMinutes int) time.Time {
	if endOfDayMinutes <= 0 {
		endOfDayMinutes = DefaultEndOfDayMinutes
	}
	day := LocalDay(from)
	if cal.IsSchoolDay(day) && from.Before(At(day, endOfDayMinutes)) {
		return At(day, endOfDayMinutes)
	}
	return At(NextSchoolDay(cal, day), endOfDayMinutes)
}

// OnSchoolDay is t, or, when t's local day is not a school day of cal, the same time of day on
// the next school day (the due time of a repeating check, rules D3 and D5).
func OnSchoolDay(cal Calendar, t time.Time) time.Time {
	day := LocalDay(t)
	if cal.IsSchoolDay(day) {
		return t.UTC()
	}
	l := t.In(London)
	return At(NextSchoolDay(cal, day), l.Hour()*60+l.Minute()).UTC()
}

// HalfTermStart is the first day of the half of a term that now falls in, or of the latest
// half that began before now when now is between terms (rule D9's "twice a term": each term
// entered in the calendar is reviewed in each of its two halves, split at its middle day).
// ok is false when the school has entered no term that began by now.
func (c SchoolCalendar) HalfTermStart(now time.Time) (start time.Time, ok bool) {
	today := LocalDay(now)
	for _, t := range c.Terms {
		from, to := LocalDay(t.From), LocalDay(t.To)
		days := int(to.Sub(from).Hours()/24+0.5) + 1
		mid := time.Date(from.Year(), from.Month(), from.Day()+(days+1)/2, 0, 0, 0, 0, London)
		for _, s := range []time.Time{from, mid} {
			if s.After(to) || s.After(today) {
				continue
			}
			if !ok || s.After(start) {
				start, ok = s, true
			}
		}
	}
	return start, ok
}
