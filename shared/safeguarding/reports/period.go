package reports

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Season is one of the three terms of the English school year.
type Season string

const (
	Autumn Season = "autumn"
	Spring Season = "spring"
	Summer Season = "summer"
)

// Period is a span of whole local months a report covers: a term, or a school year.
type Period struct {
	// Key names it in an address: "2026-autumn" (the calendar year it starts in), or "2026"
	// for the school year from September 2026 to August 2027.
	Key  string
	Name string // in plain words: "Autumn term 2026", "School year 2026 to 2027"
	// From and To are the first days of its first and last months.
	From, To time.Time
}

// Months are the first days of the period's months, in order.
func (p Period) Months() []time.Time {
	var out []time.Time
	for m := p.From; !m.After(p.To); m = time.Date(m.Year(), m.Month()+1, 1, 0, 0, 0, 0, safeguarding.London) {
		out = append(out, m)
	}
	return out
}

func month(y int, m time.Month) time.Time { return time.Date(y, m, 1, 0, 0, 0, 0, safeguarding.London) }

// seasonOf is the term a term of the school's calendar starting on day is.
func seasonOf(day time.Time) Season {
	switch m := day.Month(); {
	case m >= time.September:
		return Autumn
	case m <= time.March:
		return Spring
	}
	return Summer
}

// usual are the months of the three usual English terms when a school entered none: the
// autumn term from September to December, the spring term from January to March (Easter
// moves), the summer term from April to August.
func usual(year int, s Season) Period {
	switch s {
	case Autumn:
		return term(year, s, month(year, time.September), month(year, time.December))
	case Spring:
		return term(year, s, month(year, time.January), month(year, time.March))
	}
	return term(year, s, month(year, time.April), month(year, time.August))
}

func term(year int, s Season, from, to time.Time) Period {
	return Period{Key: fmt.Sprintf("%d-%s", year, s), Name: fmt.Sprintf("%s term %d", strings.ToUpper(string(s[:1]))+string(s[1:]), year),
		From: from, To: to}
}

// Term is the term key names ("2026-autumn") by the school's calendar: the months of the
// school's own term of that season starting in that year, or the usual term's when it
// entered none. An unknown key is a validation error naming the field "term".
func Term(cal safeguarding.SchoolCalendar, key string) (Period, error) {
	y, s, ok := parseTerm(key)
	if !ok {
		return Period{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "term",
			Message: "a term as a year and autumn, spring or summer, such as 2026-autumn"}}}
	}
	for _, t := range cal.Terms {
		from := safeguarding.LocalDay(t.From)
		if from.Year() == y && seasonOf(from) == s {
			return term(y, s, MonthOf(from), MonthOf(t.To)), nil
		}
	}
	return usual(y, s), nil
}

func parseTerm(key string) (int, Season, bool) {
	ys, ss, ok := strings.Cut(key, "-")
	y, err := strconv.Atoi(ys)
	s := Season(ss)
	if !ok || err != nil || len(ys) != 4 || y < 2000 || y > 2200 || (s != Autumn && s != Spring && s != Summer) {
		return 0, "", false
	}
	return y, s, true
}

// TermAt is the term now falls in (or, in a holiday, the latest term begun before it).
func TermAt(cal safeguarding.SchoolCalendar, now time.Time) Period {
	day := safeguarding.LocalDay(now)
	var best *safeguarding.Term
	for i, t := range cal.Terms {
		if !safeguarding.LocalDay(t.From).After(day) && (best == nil || t.From.After(best.From)) {
			best = &cal.Terms[i]
		}
	}
	if best != nil && !day.After(safeguarding.LocalDay(best.To).AddDate(0, 0, 120)) {
		from := safeguarding.LocalDay(best.From)
		return term(from.Year(), seasonOf(from), MonthOf(from), MonthOf(best.To))
	}
	return usual(day.Year(), seasonOf(day))
}

// Previous is the term before p, for the trend.
func Previous(cal safeguarding.SchoolCalendar, p Period) Period {
	y, s, _ := parseTerm(p.Key)
	switch s {
	case Autumn:
		p, _ := Term(cal, fmt.Sprintf("%d-%s", y, Summer))
		return p
	case Spring:
		p, _ := Term(cal, fmt.Sprintf("%d-%s", y-1, Autumn))
		return p
	}
	p, _ = Term(cal, fmt.Sprintf("%d-%s", y, Spring))
	return p
}

// NeighbourTerms are the terms before and after p, for the page's choice of term.
func NeighbourTerms(cal safeguarding.SchoolCalendar, p Period) (prev, next Period) {
	prev = Previous(cal, p)
	y, s, _ := parseTerm(p.Key)
	switch s {
	case Autumn:
		next, _ = Term(cal, fmt.Sprintf("%d-%s", y+1, Spring))
	case Spring:
		next, _ = Term(cal, fmt.Sprintf("%d-%s", y, Summer))
	default:
		next, _ = Term(cal, fmt.Sprintf("%d-%s", y, Autumn))
	}
	return prev, next
}

// SchoolYear is the school year starting in September of year, to August.
func SchoolYear(year int) Period {
	return Period{Key: strconv.Itoa(year), Name: fmt.Sprintf("School year %d to %d", year, year+1),
		From: month(year, time.September), To: month(year+1, time.August)}
}

// ParseYear reads a school year's starting year ("2026"); a bad one is a validation error
// naming the field "year".
func ParseYear(s string) (int, error) {
	y, err := strconv.Atoi(s)
	if err != nil || len(s) != 4 || y < 2000 || y > 2200 {
		return 0, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "year",
			Message: "the year the school year starts in, such as 2026"}}}
	}
	return y, nil
}

// YearAt is the school year now falls in.
func YearAt(now time.Time) int {
	l := now.In(safeguarding.London)
	if l.Month() >= time.September {
		return l.Year()
	}
	return l.Year() - 1
}
