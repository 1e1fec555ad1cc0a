package main

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// concernForm is what the person typed into the concern form, kept as text so a form with
// errors comes back exactly as it was sent.
type concernForm struct {
	Key           string
	Query         string
	PupilIDs      []safeguarding.PupilID
	Category      string
	Subcategories []string
	HighPriority  bool
	// When is how the reporter answered "when did you see or hear it?": one of the whenChoices,
	// or "" for not answered. TodayTime is the clock time of "earlier today"; Day, Month,
	// Year and Time the date and time of "another day".
	When             string
	TodayTime        string
	Day, Month, Year string
	Time             string
	Details          string
	PupilWords       string
	PeopleInvolved   string
	// TagStaff are the staff ticked to tell; SubjectStaffEmail the one chosen that the concern
	// is about: the school's staff, chosen by name, sent as their emails.
	TagStaff          []string
	AboutStaff        bool
	SubjectStaffEmail string
	// Marks are the body map's marks as posted (rule C1): each a side, a place and a note.
	Marks []markForm
}

// markForm is one body map mark as the form posts it: the outline's side, x and y as
// fractions (0 to 1) of the outline's box from its top left, and the note.
type markForm struct {
	Side, X, Y, Note string
}

// The answers to "when did you see or hear it?". Nothing is chosen on a new form, so an
// untouched form never records a time nobody gave.
const (
	whenJustNow      = "just-now"
	whenEarlierToday = "earlier-today"
	whenAnotherDay   = "another-day"
)

// newForm is an empty form: when it was seen is for the reporter to say.
func newForm(key string) concernForm {
	return concernForm{Key: key}
}

// readForm reads the concern form's fields from a query or a posted body.
func readForm(v url.Values) concernForm {
	f := concernForm{
		Key:               strings.TrimSpace(v.Get("key")),
		Query:             strings.TrimSpace(v.Get("q")),
		Category:          v.Get("category"),
		HighPriority:      v.Get("high-priority") == "yes",
		When:              strings.TrimSpace(v.Get("observed-when")),
		TodayTime:         strings.TrimSpace(v.Get("observed-today-time")),
		Day:               strings.TrimSpace(v.Get("observed-day")),
		Month:             strings.TrimSpace(v.Get("observed-month")),
		Year:              strings.TrimSpace(v.Get("observed-year")),
		Time:              strings.TrimSpace(v.Get("observed-time")),
		Details:           v.Get("details"),
		PupilWords:        v.Get("pupil-words"),
		PeopleInvolved:    v.Get("people-involved"),
		AboutStaff:        v.Get("about-staff") == "yes",
		SubjectStaffEmail: strings.TrimSpace(v.Get("subject-staff-email")),
	}
	for _, e := range v["tag-staff"] {
		for _, addr := range emails(e) {
			if !slices.Contains(f.TagStaff, addr) {
				f.TagStaff = append(f.TagStaff, addr)
			}
		}
	}
	sides, xs, ys, notes := v["mark-side"], v["mark-x"], v["mark-y"], v["mark-note"]
	for i, side := range sides {
		if i >= concerns.MaxBodyMarks+1 {
			break // one over the limit is enough for the domain to say so
		}
		f.Marks = append(f.Marks, markForm{Side: side, X: at(xs, i), Y: at(ys, i), Note: at(notes, i)})
	}
	for _, id := range v["pupil"] {
		pid := safeguarding.PupilID(strings.TrimSpace(id))
		if pid != "" && !slices.Contains(f.PupilIDs, pid) {
			f.PupilIDs = append(f.PupilIDs, pid)
		}
	}
	if f.Category != "" {
		// Each category has its own sub-category boxes (some titles repeat across categories):
		// only the chosen category's count.
		f.Subcategories = v["sub-"+f.Category]
	}
	return f
}

// at is the i-th value of a repeated field, or "" when there are fewer.
func at(vs []string, i int) string {
	if i < len(vs) {
		return vs[i]
	}
	return ""
}

// fieldError is one problem, by the form field it belongs to.
type fieldError struct {
	Field   string
	Message string
}

// fieldOrder is the order of the fields on the page, which the error summary follows.
var fieldOrder = []string{"pupilIds", "category", "subcategories", "observedAt", "details", "pupilWords",
	"peopleInvolved", "tagStaff", "subjectStaffEmail", "bodyMap"}

// toNewConcern turns the form into the domain's command, sent at now. Problems only the form
// can see (a date that is not a date) come back as field errors; everything else is the
// domain's to check.
func (f concernForm) toNewConcern(now time.Time) (concerns.NewConcern, []fieldError) {
	var errs []fieldError
	in := concerns.NewConcern{
		PupilIDs:          f.PupilIDs,
		Category:          f.Category,
		Subcategories:     f.Subcategories,
		HighPriority:      f.HighPriority,
		Details:           f.Details,
		PupilWords:        f.PupilWords,
		PeopleInvolved:    lines(f.PeopleInvolved),
		TagStaff:          f.TagStaff,
		AboutStaff:        f.AboutStaff,
		SubjectStaffEmail: f.SubjectStaffEmail,
	}
	if !f.AboutStaff {
		in.SubjectStaffEmail = ""
	}
	for _, m := range f.Marks {
		x, errX := strconv.ParseFloat(strings.TrimSpace(m.X), 64)
		y, errY := strconv.ParseFloat(strings.TrimSpace(m.Y), 64)
		if errX != nil || errY != nil {
			errs = append(errs, fieldError{"bodyMap", "Place each mark on the body map again"})
			continue
		}
		in.BodyMap = append(in.BodyMap, concerns.BodyMark{Side: m.Side, X: x, Y: y, Note: m.Note})
	}
	if f.Category == "" {
		errs = append(errs, fieldError{"category", "Choose the category that fits best"})
	}
	at, msg := f.observedAt(now)
	if msg != "" {
		errs = append(errs, fieldError{"observedAt", msg})
	}
	in.ObservedAt = at
	return in, errs
}

// observedAt reads the answer to "when did you see or hear it?" as school time
// (Europe/London): just now (the minute the form is sent), a time earlier today, or a date and
// time. A date and time sent without a choice (a form from before the choice) is another day.
func (f concernForm) observedAt(now time.Time) (time.Time, string) {
	dated := f.Day != "" || f.Month != "" || f.Year != "" || f.Time != ""
	switch {
	case f.When == whenJustNow:
		return now.In(safeguarding.London).Truncate(time.Minute), ""
	case f.When == whenEarlierToday:
		hh, mm, ok := parseClock(f.TodayTime)
		if !ok {
			return time.Time{}, "Enter the time today as hours and minutes, for example 09:15"
		}
		l := now.In(safeguarding.London)
		return time.Date(l.Year(), l.Month(), l.Day(), hh, mm, 0, 0, safeguarding.London), ""
	case f.When == whenAnotherDay || f.When == "" && dated:
		if !dated {
			return time.Time{}, "Enter the date and time it was seen or heard"
		}
		return localTime(f.Day, f.Month, f.Year, f.Time)
	default:
		return time.Time{}, "Choose when you saw or heard it: just now, earlier today or another day"
	}
}

// observedAnchor is where an error about when it was seen takes the reader: the choice, or
// the field of the answer chosen.
func (f concernForm) observedAnchor() string {
	switch f.When {
	case whenEarlierToday:
		return "observed-today-time"
	case whenAnotherDay:
		return "observed-day"
	case "":
		if f.Day != "" || f.Month != "" || f.Year != "" || f.Time != "" {
			return "observed-day"
		}
	}
	return "observed-when"
}

// localTime reads a date's day, month and year and a clock time as school time
// (Europe/London), or says what is wrong with them.
func localTime(day, month, year, clock string) (time.Time, string) {
	d, errD := strconv.Atoi(day)
	m, errM := strconv.Atoi(month)
	y, errY := strconv.Atoi(year)
	if errD != nil || errM != nil || errY != nil || y < 2000 || y > 9999 {
		return time.Time{}, "The date must be a real date, for example 27 3 2026"
	}
	hh, mm, ok := parseClock(clock)
	if !ok {
		return time.Time{}, "Enter the time as hours and minutes, for example 14:30"
	}
	t := time.Date(y, time.Month(m), d, hh, mm, 0, 0, safeguarding.London)
	if t.Day() != d || int(t.Month()) != m {
		return time.Time{}, "The date must be a real date, for example 27 3 2026"
	}
	return t, ""
}

// parseClock reads "14:30", "9:05", "14.30" or "1430".
func parseClock(s string) (int, int, bool) {
	s = strings.TrimSpace(s)
	var hs, ms string
	if i := strings.IndexAny(s, ":."); i >= 0 {
		hs, ms = s[:i], s[i+1:]
	} else if len(s) == 3 || len(s) == 4 {
		hs, ms = s[:len(s)-2], s[len(s)-2:]
	} else {
		return 0, 0, false
	}
	h, err1 := strconv.Atoi(hs)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || len(ms) != 2 || h < 0 || h > 23 || m < 0 || m > 59 {
		return 0, 0, false
	}
	return h, m, true
}

// fieldErrors merges the form's own problems with the domain's, one message per field at most
// from the domain when the form already said what is wrong, in page order.
func fieldErrors(own []fieldError, err error) []fieldError {
	out := slices.Clone(own)
	if ve, ok := err.(*safeguarding.ValidationError); ok {
		for _, p := range ve.Problems {
			if slices.ContainsFunc(own, func(e fieldError) bool { return e.Field == p.Field }) {
				continue
			}
			out = append(out, fieldError{Field: p.Field, Message: sentence(p.Message)})
		}
	}
	slices.SortStableFunc(out, func(a, b fieldError) int {
		return cmp.Compare(orderOf(a.Field), orderOf(b.Field))
	})
	return out
}

func orderOf(field string) int {
	if i := slices.Index(fieldOrder, field); i >= 0 {
		return i
	}
	return len(fieldOrder)
}

// sentence starts a domain message with a capital letter, as the error summary shows it, and
// without the ids of the rules it names for developers ("never alone (V2)"): pages speak plain
// words.
func sentence(s string) string {
	s = domainRuleIDs.ReplaceAllString(s, "")
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}

// domainRuleIDs are the rule ids at the end of a domain message's clause: " (V2)", " (rule H3)".
var domainRuleIDs = regexp.MustCompile(`\s*\((?:rules? )?[PCDHVES]\d{1,2}(?:(?:-|, ?)[PCDHVES]?\d{1,2})*\)`)

// lines splits a textarea into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// emails splits a list of email addresses with commas, semicolons or spaces between them.
func emails(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
}

// fingerprint identifies the command a form sent, so sending the same form twice (a double
// click, a reload) records one concern and a changed form under the same key is refused.
func fingerprint(school safeguarding.SchoolID, in concerns.NewConcern) string {
	h := sha256.New()
	fmt.Fprintf(h, "%q|%q|%q|%q|%t|%s|%q|%q|%q|%q|%t|%q", school, in.PupilIDs, in.Category, in.Subcategories,
		in.HighPriority, in.ObservedAt.UTC().Format(time.RFC3339), in.Details, in.PupilWords, in.PeopleInvolved,
		in.TagStaff, in.AboutStaff, in.SubjectStaffEmail)
	for _, m := range in.BodyMap {
		fmt.Fprintf(h, "|%q,%v,%v,%q", m.Side, m.X, m.Y, m.Note)
	}
	return hex.EncodeToString(h.Sum(nil))
}
