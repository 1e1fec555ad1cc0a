package casework

import (
	"context"
	"slices"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/attendance"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Review is the list for the SLT meeting (rule D9): the open cases, the complex ones due their
// review, the pupils with several concerns in a short time, the work past its due time, and
// the pupils below 90% attendance with the reasons logged (C9).
type Review struct {
	Open           []concerns.Concern
	ComplexDue     []concerns.Concern
	FrequentPupils map[safeguarding.PupilID]int
	// Overdue is the work past its due time: the open actions (soonest due first) and the
	// open concerns no DSL has acted on by their due time (D1), as the reader may see them.
	OverdueActions  []Action
	OverdueConcerns []concerns.Concern
	// LowAttendance is rule C9's list: the pupils below 90% with the reasons logged, as the
	// reader may see them.
	LowAttendance []attendance.Row
}

// ReviewList builds the SLT review for a DSL of the school, leaving out any case about them,
// counting school days and terms by the school's own calendar.
func (s Cases) ReviewList(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (Review, error) {
	stored, err := s.Store.SchoolCalendar(ctx, school)
	if err != nil {
		return Review{}, err
	}
	cal := s.schoolCalendar(stored, school)
	since := SchoolDaysBefore(cal, who.At, FrequentWindow)
	p, open, recent, err := s.Store.ReviewData(ctx, who.Email, school, since)
	if err != nil {
		return Review{}, err
	}
	if !p.IsDSL(school) {
		return Review{}, safeguarding.ErrForbidden
	}
	var r Review
	for _, c := range open {
		if !c.CanView(p) {
			continue
		}
		r.Open = append(r.Open, c)
		if c.ReviewDue(who.At, cal) {
			r.ComplexDue = append(r.ComplexDue, c)
		}
	}
	visible := recent[:0:0]
	for _, c := range recent {
		if c.CanView(p) {
			visible = append(visible, c)
		}
	}
	r.FrequentPupils = FrequentPupils(visible, cal, who.At, FrequentThreshold, FrequentWindow)
	for _, c := range r.Open {
		if c.ResponseOverdue(who.At) {
			r.OverdueConcerns = append(r.OverdueConcerns, c)
		}
	}
	overdue, err := s.Store.OverdueActions(ctx, school, who.At)
	if err != nil {
		return Review{}, err
	}
	for _, a := range overdue {
		// C5: never the work on a concern about the reader, unless it is theirs.
		if a.assignee == who.Email || !slices.Contains(a.exclude, who.Email) {
			r.OverdueActions = append(r.OverdueActions, a)
		}
	}
	low, err := s.Store.LowAttendance(ctx, school, attendance.Threshold)
	if err != nil {
		return Review{}, err
	}
	var reasons []safeguarding.ChronologyEntry
	if len(low) > 0 {
		if reasons, err = s.Store.AttendanceReasons(ctx, school); err != nil {
			return Review{}, err
		}
	}
	r.LowAttendance = attendance.Rows(p, low, reasons, attendance.Threshold)
	var listed []safeguarding.PupilID
	for _, c := range r.Open {
		listed = append(listed, safeguarding.PupilIDs(c.Pupils())...)
	}
	for _, row := range r.LowAttendance {
		listed = append(listed, row.Pupil.ID)
	}
	for id := range r.FrequentPupils {
		listed = append(listed, id)
	}
	slices.Sort(listed)
	listed = slices.Compact(listed)
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "review.read",
		Subject: "review", Pupils: listed, At: who.At, Source: who.Source})
	return r, err
}

// ReviewsDue lists the complex cases due their review (rule D9) as the SLT review shows them
// to the reader, a DSL of the school, leaving out any case about them: the review's first
// list alone, for the Senior DSL's home to count. The read is audited with the cases' pupils.
func (s Cases) ReviewsDue(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]concerns.Concern, error) {
	stored, err := s.Store.SchoolCalendar(ctx, school)
	if err != nil {
		return nil, err
	}
	cal := s.schoolCalendar(stored, school)
	p, open, err := s.Store.OpenCases(ctx, who.Email, school)
	if err != nil {
		return nil, err
	}
	if !p.IsDSL(school) {
		return nil, safeguarding.ErrForbidden
	}
	var due []concerns.Concern
	var listed []safeguarding.PupilID
	for _, c := range open {
		if c.CanView(p) && c.ReviewDue(who.At, cal) {
			due = append(due, c)
			listed = append(listed, safeguarding.PupilIDs(c.Pupils())...)
		}
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "review.due.read",
		Subject: "review", Pupils: listed, At: who.At, Source: who.Source})
	return due, err
}

// FrequentPupils flags the pupils with at least threshold concerns recorded in the last
// window school days up to now (rule D9: by default 3 within 10 school days).
func FrequentPupils(cs []concerns.Concern, cal safeguarding.Calendar, now time.Time, threshold, window int) map[safeguarding.PupilID]int {
	from := SchoolDaysBefore(cal, now, window)
	counts := map[safeguarding.PupilID]int{}
	for _, c := range cs {
		if c.RecordedAt().Before(from) || c.RecordedAt().After(now) {
			continue
		}
		for _, p := range c.Pupils() {
			counts[p.ID]++
		}
	}
	for p, n := range counts {
		if n < threshold {
			delete(counts, p)
		}
	}
	return counts
}

// Defaults of rule D9's flag: 3 entries within 10 school days.
const (
	FrequentThreshold = 3
	FrequentWindow    = 10
)

// SchoolDaysBefore is local midnight of the school day n school days back from now's day,
// counting now's day as the first when it is a school day.
func SchoolDaysBefore(cal safeguarding.Calendar, now time.Time, n int) time.Time {
	d := safeguarding.LocalDay(now)
	counted := 0
	for i := 0; i < 366*2; i++ {
		if cal.IsSchoolDay(d) {
			counted++
			if counted == n {
				return d
			}
		}
		d = time.Date(d.Year(), d.Month(), d.Day()-1, 0, 0, 0, 0, safeguarding.London)
	}
	return d
}
