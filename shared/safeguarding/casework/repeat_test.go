package casework

import (
	"errors"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/safeguardingtest"
)

// halfTerm is a school calendar with the autumn term of 2026 and its half term (26-30 October).
func halfTerm(t *testing.T) safeguarding.SchoolCalendar {
	return safeguarding.SchoolCalendar{School: brookLane.ID,
		Terms: []safeguarding.Term{{Name: "Autumn", From: london(t, "2026-09-03 00:00:00"), To: london(t, "2026-12-18 00:00:00")}},
		DaysOff: []safeguarding.DayOff{{Kind: safeguarding.DayOffHoliday, From: london(t, "2026-10-26 00:00:00"), To: london(t, "2026-10-30 00:00:00")},
			{Kind: safeguarding.DayOffINSET, From: london(t, "2026-11-02 00:00:00"), To: london(t, "2026-11-02 00:00:00")}}}
}

func TestRule_D1_DueTimeByTheSchoolsOwnCalendar(t *testing.T) {
	// Recorded after the end of the day on the last day before half term (Friday 23 October):
	// due by the end of the first day back, Tuesday 3 November (Monday is an INSET day).
	at := london(t, "2026-10-23 17:30:00")
	c, err := concerns.RecordConcern("01JCONCERN0000000000HALFTM", newConcern(func(n *concerns.NewConcern) { n.ObservedAt = at.Add(-time.Hour) }),
		teacher, brookLane, safeguardingtest.Pupils, concerns.PolicyCatalogue(), halfTerm(t), at)
	if err != nil {
		t.Fatal(err)
	}
	if want := london(t, "2026-11-03 17:00:00"); !c.ResponseDueAt().Equal(want) {
		t.Errorf("D1 due %s, want %s", c.ResponseDueAt().In(safeguarding.London), want)
	}
	item := c.ResponseDueItem()
	if item.Kind != safeguarding.DueConcernResponse || !item.Due.Active || !item.Due.NextAt.Equal(c.ResponseDueAt()) {
		t.Errorf("D1 item %+v", item)
	}
	a := addActionOn(t, c, ActionDSL, halfTerm(t), "2026-10-23 18:00:00")
	if !a.DueAt().Equal(c.ResponseDueAt()) {
		t.Errorf("DSL action due %s, want the concern's %s", a.DueAt(), c.ResponseDueAt())
	}
	if !c.ResponseOverdue(london(t, "2026-11-03 17:01:00")) || c.ResponseOverdue(london(t, "2026-11-03 16:59:00")) {
		t.Error("overdue at the wrong time")
	}
}

func TestRule_D1_ConcernAboutStaffIsDueToTheSeniorDSLNeverItsSubject(t *testing.T) {
	at := london(t, "2026-11-23 10:00:00")
	c, err := record(t, teacher, newConcern(func(n *concerns.NewConcern) {
		n.ObservedAt, n.AboutStaff, n.SubjectStaffEmail = at.Add(-time.Hour), true, dsl.Email
	}), at)
	if err != nil {
		t.Fatal(err)
	}
	item := c.ResponseDueItem()
	if item.Kind != safeguarding.DueStaffConcernResponse || len(item.Exclude) != 1 || item.Exclude[0] != dsl.Email {
		t.Fatalf("D1 item %+v", item)
	}
	next, e, ok := item.Advance(c.ResponseDueAt())
	if !ok || e.Audience != safeguarding.AudienceSeniorDSL || len(e.Also) != 0 {
		t.Fatalf("first step %+v %v", e, ok)
	}
	for _, a := range safeguarding.EscalationAlerts(item, e, brookLane, c.ResponseDueAt()) {
		if a.Recipient == dsl.Email {
			t.Errorf("the subject is alerted: %+v", a)
		}
	}
	item.Due = next
	if _, _, ok := item.Advance(next.NextAt.Add(-time.Minute)); ok {
		t.Error("a second step within the day")
	}
	if _, e, ok := item.Advance(next.NextAt); !ok || e.Audience != safeguarding.AudienceSeniorDSL || e.Priority != safeguarding.PriorityHigh {
		t.Errorf("second step %+v %v", e, ok)
	}
}

func addActionOn(t *testing.T, c concerns.Concern, typ ActionType, cal safeguarding.Calendar, now string, freq ...string) Action {
	t.Helper()
	in := NewAction{Type: string(typ), AssigneeEmail: colleague.Email}
	if len(freq) > 0 {
		in.Frequency = freq[0]
	}
	a, err := CreateAction(ActionID(string(c.ID())+"-A1"), in, c, dsl, brookLane, cal, london(t, now))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRule_D5_WeeklyCheckInFallsDueThreeWeeksRunning(t *testing.T) {
	cal := halfTerm(t)
	c := concernAt(t, "2026-11-09 10:00:00", false)
	a := addActionOn(t, c, ActionCheckIn, cal, "2026-11-09 11:00:00")
	if !a.Repeats() || a.Frequency() != FrequencyWeekly || a.Occurrence() != 1 {
		t.Fatalf("check-in repeats %v %q %d", a.Repeats(), a.Frequency(), a.Occurrence())
	}
	for i, want := range []string{"2026-11-16 11:00:00", "2026-11-23 11:00:00", "2026-11-30 11:00:00"} {
		if !a.DueAt().Equal(london(t, want)) || !a.Due().Active || a.Occurrence() != i+1 {
			t.Fatalf("week %d: due %s (want %s), occurrence %d", i+1, a.DueAt().In(safeguarding.London), want, a.Occurrence())
		}
		if !a.Overdue(a.DueAt().Add(time.Minute)) {
			t.Errorf("week %d not overdue after its due time", i+1)
		}
		if err := a.Complete(colleague, "Saw her at lunch; settled", cal, a.DueAt().Add(-time.Hour)); err != nil {
			t.Fatal(err)
		}
		if a.Status() != safeguarding.ActionOpen {
			t.Fatalf("week %d: an update closed the check-in", i+1)
		}
	}
	if n := len(a.History()); n != 4 || a.History()[3].Kind != EventUpdated {
		t.Errorf("history %+v", a.History())
	}
}

func TestRule_D5_CheckInOnADayOffMovesToTheNextSchoolDay(t *testing.T) {
	cal := halfTerm(t)
	c := concernAt(t, "2026-10-19 10:00:00", false)
	a := addActionOn(t, c, ActionCheckIn, cal, "2026-10-19 11:00:00")
	// Monday 26 October is half term and Monday 2 November an INSET day.
	if want := london(t, "2026-11-03 11:00:00"); !a.DueAt().Equal(want) {
		t.Fatalf("due %s, want %s", a.DueAt().In(safeguarding.London), want)
	}
	// The next occurrence counts from this one's due time: Tuesday 10 November.
	if err := a.Complete(colleague, "Fine", cal, london(t, "2026-11-03 09:00:00")); err != nil {
		t.Fatal(err)
	}
	if want := london(t, "2026-11-10 11:00:00"); !a.DueAt().Equal(want) {
		t.Errorf("next due %s, want %s", a.DueAt().In(safeguarding.London), want)
	}
}

func TestRule_D3_MonitoringWithAFrequencyFallsDueAgainUntilEnded(t *testing.T) {
	cal := halfTerm(t)
	c := concernAt(t, "2026-11-19 10:00:00", false) // a Thursday
	a := addActionOn(t, c, ActionMonitoring, cal, "2026-11-19 11:00:00", FrequencyDaily)
	if want := c.RecordedAt().Add(24 * time.Hour); !a.DueAt().Equal(want) {
		t.Fatalf("first due %s, want %s", a.DueAt(), want)
	}
	if err := a.Complete(colleague, "Ate lunch, played", cal, london(t, "2026-11-20 09:00:00")); err != nil {
		t.Fatal(err)
	}
	// Friday's occurrence done: the next is Monday 10:00, the weekend skipped.
	if want := london(t, "2026-11-23 10:00:00"); !a.DueAt().Equal(want) || a.Occurrence() != 2 {
		t.Fatalf("next due %s (want %s), occurrence %d", a.DueAt().In(safeguarding.London), want, a.Occurrence())
	}
	if err := a.End(colleague, "No longer needed", london(t, "2026-11-23 09:00:00")); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("the assignee ended monitoring: %v", err)
	}
	if err := a.End(dsl, " ", london(t, "2026-11-23 09:00:00")); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("ended without a reason: %v", err)
	}
	if err := a.End(dsl, "Settled for three weeks; review at the next meeting", london(t, "2026-11-23 09:00:00")); err != nil {
		t.Fatal(err)
	}
	if a.Status() != safeguarding.ActionCompleted || a.Due().Active || a.History()[len(a.History())-1].Kind != EventEnded {
		t.Errorf("ended: status %s, active %v", a.Status(), a.Due().Active)
	}
	once := addActionOn(t, c, ActionMonitoring, cal, "2026-11-19 11:00:00")
	if once.Repeats() {
		t.Error("monitoring without a frequency repeats")
	}
	if err := once.End(dsl, "x", london(t, "2026-11-19 12:00:00")); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("ending a one-off action: %v", err)
	}
	if _, err := CreateAction("x-A1", NewAction{Type: "referral", AssigneeEmail: dsl.Email, Frequency: "weekly"}, c, dsl, brookLane, cal, c.RecordedAt()); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("a referral with a frequency: %v", err)
	}
}

func TestRule_D9_ComplexCaseReviewedInEachHalfOfTheSchoolsTerm(t *testing.T) {
	cal := halfTerm(t) // Autumn: 3 September - 18 December; its second half begins 27 October
	c := concernAt(t, "2026-09-07 10:00:00", false)
	if err := c.MarkComplex(dsl, true, "Several agencies involved", london(t, "2026-09-08 10:00:00")); err != nil {
		t.Fatal(err)
	}
	// Seven weeks on, still the first half of the term: reviewed once already by marking it.
	if c.ReviewDue(london(t, "2026-10-23 10:00:00"), cal) {
		t.Error("due within the half of the term it was marked in")
	}
	if !c.ReviewDue(london(t, "2026-11-03 10:00:00"), cal) {
		t.Error("not due in the term's second half")
	}
	if err := c.Review(dsl, concerns.DecisionKeepOpen, "Plan running", london(t, "2026-11-03 10:00:00")); err != nil {
		t.Fatal(err)
	}
	if c.ReviewDue(london(t, "2026-12-17 10:00:00"), cal) || c.ReviewDue(london(t, "2026-12-28 10:00:00"), cal) {
		t.Error("due again in the same half, or in the holiday after it")
	}
	next := cal
	next.Terms = append(next.Terms, safeguarding.Term{Name: "Spring", From: london(t, "2027-01-05 00:00:00"), To: london(t, "2027-03-26 00:00:00")})
	if !c.ReviewDue(london(t, "2027-01-05 10:00:00"), next) {
		t.Error("not due in the next term")
	}
}

func TestRule_C3_D1_TheSchoolsOwnEndOfTheDay(t *testing.T) {
	school := brookLane
	school.EndOfDayMinutes = 15*60 + 30 // this school's day ends at 15:30
	cal := halfTerm(t)
	at := london(t, "2026-11-24 15:45:00")
	c, err := concerns.RecordConcern("01JCONCERN0000000000ENDDAY", newConcern(func(n *concerns.NewConcern) { n.ObservedAt = at.Add(-5 * time.Minute) }),
		teacher, school, safeguardingtest.Pupils, concerns.PolicyCatalogue(), cal, at)
	if err != nil {
		t.Fatal(err)
	}
	// Observed after this school's end of the day: recorded by 12:00 the next school day (C3),
	// acted on by the end of that day, 15:30 (D1).
	if want := london(t, "2026-11-25 12:00:00"); !c.Deadline().Equal(want) || c.Late() {
		t.Errorf("recording deadline %s (late %v), want %s", c.Deadline().In(safeguarding.London), c.Late(), want)
	}
	if want := london(t, "2026-11-25 15:30:00"); !c.ResponseDueAt().Equal(want) {
		t.Errorf("D1 due %s, want %s", c.ResponseDueAt().In(safeguarding.London), want)
	}
	a, err := CreateAction("x-A1", NewAction{Type: "parent-meeting", AssigneeEmail: dsl.Email}, c, dsl, school, cal, at)
	if err != nil || !a.DueAt().Equal(c.ResponseDueAt()) {
		t.Errorf("parent meeting due %v (%v), want the end of the next school day", a.DueAt(), err)
	}
}
