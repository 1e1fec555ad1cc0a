package audit

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Reading bounds: a page of entries, the days a reading may span (both dates included), and
// the days it spans when none are given.
const (
	PageSize    = 20
	MaxDays     = 31
	DefaultDays = 7
)

// Filter is what a reader asks for: entries about one pupil, by one person, or both, between
// two school-local dates (both included), from a position of an earlier page.
type Filter struct {
	Pupil  safeguarding.PupilID
	Person string
	// From and To are school-local dates (YYYY-MM-DD), both included.
	From, To string
	// Cursor is where the previous page ended ("" for the first page); opaque to the reader.
	Cursor string
}

// Query is a checked Filter as the store reads it: the entries at or after From and before
// To, newest first.
type Query struct {
	Pupil    safeguarding.PupilID
	Person   string
	From, To time.Time
	Cursor   string
	Limit    int
}

// maxCursor bounds the opaque position a page hands back.
const maxCursor = 200

// Check validates f at now, naming each field that is wrong: a pupil id or a person as the
// product writes them, dates in order spanning at most MaxDays days and none after today
// (school-local); without dates, the last DefaultDays days up to today.
func (f Filter) Check(now time.Time) (Query, error) {
	var ps safeguarding.Problems
	q := Query{Pupil: safeguarding.PupilID(strings.TrimSpace(string(f.Pupil))), Person: strings.TrimSpace(f.Person), Cursor: f.Cursor, Limit: PageSize}
	if p := string(q.Pupil); p != "" && !isID(p) {
		ps.Add("pupil", "is not a pupil of this school")
	}
	if q.Person != "" {
		if email, ok := safeguarding.NormaliseEmail(q.Person); ok {
			q.Person = email
		} else if !IsJob(q.Person) {
			ps.Add("person", "is not a member of staff or a job of this product")
		}
	}
	if f.Cursor != "" && !isCursor(f.Cursor) {
		ps.Add("cursor", "is not a page of this list; start again from the first page")
	}
	today := civil(now)
	to, okTo := today, true
	if f.To != "" {
		to, okTo = parseDate(f.To)
		if !okTo {
			ps.Add("to", "is not a date (YYYY-MM-DD)")
		} else if to.After(today) {
			ps.Add("to", "is after today")
			okTo = false
		}
	}
	from, okFrom := to.AddDate(0, 0, -(DefaultDays-1)), true
	if f.From != "" {
		from, okFrom = parseDate(f.From)
		if !okFrom {
			ps.Add("from", "is not a date (YYYY-MM-DD)")
		}
	}
	if okFrom && okTo {
		switch {
		case from.After(to):
			ps.Add("from", "is after the end date")
		case from.AddDate(0, 0, MaxDays-1).Before(to):
			ps.Add("from", "is more than %d days before the end date", MaxDays)
		}
	}
	if err := ps.Err(); err != nil {
		return Query{}, err
	}
	q.From, q.To = from, to.AddDate(0, 0, 1)
	return q, nil
}

// IsJob reports whether an actor is one of the product's jobs ("system:escalation").
func IsJob(actor string) bool {
	job, ok := strings.CutPrefix(actor, "system:")
	return ok && job != "" && isID(job)
}

// isID: the letters, digits and dashes the product's ids are made of, at most 100.
func isID(s string) bool {
	if s == "" || len(s) > 100 || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

// isCursor: base64url without padding, as the store writes a page's position.
func isCursor(s string) bool {
	if len(s) > maxCursor {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// civil is the school-local midnight of t's day.
func civil(t time.Time) time.Time {
	l := t.In(safeguarding.London)
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, safeguarding.London)
}

func parseDate(s string) (time.Time, bool) {
	d, err := time.ParseInLocation(time.DateOnly, s, safeguarding.London)
	return d, err == nil && d.Year() >= 2000
}
