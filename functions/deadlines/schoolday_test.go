package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func (w *world) concernsUC() concerns.Concerns {
	return concerns.Concerns{Store: w.st, Catalogue: concerns.PolicyCatalogue(), Calendar: calendar.EnglandAndWales(), NewID: store.NewID}
}

func (w *world) cases() casework.Cases {
	return casework.Cases{Store: w.st, Calendar: calendar.EnglandAndWales(), NewID: store.NewID}
}

// concern records a concern about pupil by Tom at at (observed a minute before).
func (w *world) concern(pupil safeguarding.PupilID, at string, mut ...func(*concerns.NewConcern)) safeguarding.Receipt {
	w.t.Helper()
	recorded := local(at)
	in := concerns.NewConcern{PupilIDs: []safeguarding.PupilID{pupil}, Category: "wellbeing", ObservedAt: recorded.Add(-time.Minute), Details: "x"}
	for _, m := range mut {
		m(&in)
	}
	r, err := w.concernsUC().Record(context.Background(), safeguarding.Caller{Email: teacher, At: recorded}, seed.BrookLane, in, safeguarding.RequestKey{}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// responseAlerts lists the overdue alerts of rule D1 about the concern with reference ref, as
// "audience recipient channel".
func (w *world) responseAlerts(ref string) []string {
	w.t.Helper()
	var out []string
	for _, it := range apitest.Items(w.t, w.db, w.table) {
		s := func(k string) string { return apitest.Attr(it, k) }
		if s("type") == "outbox" && s("kind") == "overdue" && s("reference") == ref && strings.Contains(s("id"), "-D1#") {
			out = append(out, s("audience")+" "+s("recipient")+" "+s("channel"))
		}
	}
	slices.Sort(out)
	return out
}

// halfTermCalendar gives Brook Lane the autumn term of 2026 with its half term (26-30 October).
func (w *world) halfTermCalendar() {
	w.t.Helper()
	err := w.st.PutSchoolCalendar(context.Background(), safeguarding.SchoolCalendar{School: seed.BrookLane, Version: 1,
		Terms:   []safeguarding.Term{{Name: "Autumn", From: local("2026-09-03 00:00:00"), To: local("2026-12-18 00:00:00")}},
		DaysOff: []safeguarding.DayOff{{Kind: safeguarding.DayOffHoliday, From: local("2026-10-26 00:00:00"), To: local("2026-10-30 00:00:00"), Note: "Half term"}}})
	if err != nil {
		w.t.Fatal(err)
	}
}

func TestRule_D1_ConcernWithNoDSLActionIsOverdueAtTheEndOfItsDay(t *testing.T) {
	w := newWorld(t)
	idle := w.concern("bl-01", "2026-11-23 10:00:00")
	acted := w.concern("bl-02", "2026-11-23 10:05:00")
	if _, err := w.cases().AddAction(context.Background(), safeguarding.Caller{Email: dsl, At: local("2026-11-23 16:00:00")}, seed.BrookLane,
		safeguarding.ConcernID(acted.ID), casework.NewAction{Type: "monitoring", AssigneeEmail: staff}, safeguarding.RequestKey{}, ""); err != nil {
		t.Fatal(err)
	}
	// A DSL's decision on the case (here closing it) is something recorded on it too.
	closed := w.concern("bl-03", "2026-11-23 10:10:00")
	if _, err := w.cases().ChangeCase(context.Background(), safeguarding.Caller{Email: dsl, At: local("2026-11-23 15:00:00")}, seed.BrookLane,
		safeguarding.ConcernID(closed.ID), casework.ChangeClose, "", "Spoke to the class teacher: a misunderstanding.", safeguarding.RequestKey{}, ""); err != nil {
		t.Fatal(err)
	}
	w.run(local("2026-11-23 16:45:00"))
	if got := w.responseAlerts(idle.Reference); len(got) != 0 {
		t.Fatalf("alerted before the end of the day: %v", got)
	}
	w.run(local("2026-11-23 17:00:00"))
	want := []string{"dsl " + dsl + " email", "senior_dsl " + head + " email"}
	if got := w.responseAlerts(idle.Reference); !slices.Equal(got, want) {
		t.Fatalf("at the end of the day: %v, want %v", got, want)
	}
	w.run(local("2026-11-23 17:15:00"))
	w.run(local("2026-11-24 17:00:00"))
	want = append(want, "senior_dsl "+head+" email", "senior_dsl "+head+" sms")
	slices.Sort(want)
	if got := w.responseAlerts(idle.Reference); !slices.Equal(got, want) {
		t.Errorf("a day later: %v, want %v", got, want)
	}
	if got := w.responseAlerts(acted.Reference); len(got) != 0 {
		t.Errorf("a concern with an action is overdue: %v", got)
	}
	if got := w.responseAlerts(closed.Reference); len(got) != 0 {
		t.Errorf("a concern a DSL closed is overdue: %v", got)
	}
	// The dashboard marks the one nobody acted on, for the DSLs.
	dash, err := w.concernsUC().DashboardPage(context.Background(), safeguarding.Caller{Email: dsl, At: local("2026-11-23 17:01:00")}, seed.BrookLane, concerns.DashboardQuery{})
	if err != nil {
		t.Fatal(err)
	}
	marked := map[string]bool{}
	for _, r := range dash.Rows {
		marked[r.Concern.Reference()] = r.Overdue
	}
	if !marked[idle.Reference] || marked[acted.Reference] || marked[closed.Reference] {
		t.Errorf("dashboard overdue marks %v", marked)
	}
}

func TestRule_D1_FirstActionAfterTheAlertTakesTheConcernOffTheLadder(t *testing.T) {
	w := newWorld(t)
	r := w.concern("bl-01", "2026-11-23 10:00:00")
	w.run(local("2026-11-23 17:00:00"))
	if _, err := w.cases().AddAction(context.Background(), safeguarding.Caller{Email: head, At: local("2026-11-24 09:00:00")}, seed.BrookLane,
		safeguarding.ConcernID(r.ID), casework.NewAction{Type: "parent-meeting", AssigneeEmail: dsl}, safeguarding.RequestKey{}, ""); err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{"2026-11-24 17:00:00", "2026-11-25 17:00:00"} {
		w.run(local(at))
	}
	if got := w.responseAlerts(r.Reference); len(got) != 2 {
		t.Errorf("alerts after the Senior DSL acted: %v", got)
	}
}

func TestRule_D1_C5_ConcernAboutADSLIsDueToTheSeniorDSLAndNeverAlertsItsSubject(t *testing.T) {
	w := newWorld(t)
	r := w.concern("bl-01", "2026-11-23 10:00:00", func(n *concerns.NewConcern) { n.AboutStaff, n.SubjectStaffEmail = true, dsl })
	for _, at := range []string{"2026-11-23 17:00:00", "2026-11-24 17:00:00"} {
		w.run(local(at))
	}
	want := []string{"senior_dsl " + head + " email", "senior_dsl " + head + " email", "senior_dsl " + head + " sms"}
	if got := w.responseAlerts(r.Reference); !slices.Equal(got, want) {
		t.Errorf("alerts %v, want %v", got, want)
	}
}

func TestRule_D1_RecordedAfterTheEndOfTheLastDayBeforeHalfTermIsDueByTheEndOfTheFirstDayBack(t *testing.T) {
	w := newWorld(t)
	w.halfTermCalendar()
	r := w.concern("bl-01", "2026-10-23 17:30:00") // Friday, after the end of the day
	for _, at := range []string{"2026-10-26 17:00:00", "2026-10-30 17:00:00", "2026-11-02 16:45:00"} {
		w.run(local(at))
	}
	if got := w.responseAlerts(r.Reference); len(got) != 0 {
		t.Fatalf("alerted during half term: %v", got)
	}
	w.run(local("2026-11-02 17:00:00"))
	if got := w.responseAlerts(r.Reference); len(got) != 2 {
		t.Errorf("at the end of the first day back: %v", got)
	}
}

func TestRule_C3_RecordingDeadlineByTheSchoolsOwnCalendar(t *testing.T) {
	w := newWorld(t)
	w.halfTermCalendar()
	// Observed on the Friday after the end of the day: due by 12:00 of the first day back.
	r := w.concern("bl-01", "2026-11-02 12:10:00", func(n *concerns.NewConcern) { n.ObservedAt = local("2026-10-23 17:30:00") })
	if !r.Late || r.MinutesLate != 10 {
		t.Errorf("late %v by %d minutes, want 10", r.Late, r.MinutesLate)
	}
	on := w.concern("bl-02", "2026-11-02 11:55:00", func(n *concerns.NewConcern) { n.ObservedAt = local("2026-10-28 10:00:00") })
	if on.Late {
		t.Errorf("observed in half term, recorded before noon of the first day back: late by %d minutes", on.MinutesLate)
	}
}

// checkIn records a concern on Monday 9 November and a weekly check-in on it for Priya.
func (w *world) checkIn() casework.Action {
	w.t.Helper()
	r := w.concern("bl-01", "2026-11-09 10:00:00")
	a, err := w.cases().AddAction(context.Background(), safeguarding.Caller{Email: dsl, At: local("2026-11-09 11:00:00")}, seed.BrookLane,
		safeguarding.ConcernID(r.ID), casework.NewAction{Type: "check-in", AssigneeEmail: staff}, safeguarding.RequestKey{}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

// overdue lists the overdue alerts to the assignee of action a, by the local day they went.
func (w *world) overdueDays(a casework.Action) []string {
	w.t.Helper()
	var out []string
	for _, it := range apitest.Items(w.t, w.db, w.table) {
		s := func(k string) string { return apitest.Attr(it, k) }
		if s("type") == "outbox" && s("kind") == "overdue" && s("audience") == "assignee" && strings.HasPrefix(s("id"), string(a.ID())) {
			out = append(out, strings.Split(s("id"), "#")[2])
		}
	}
	slices.Sort(out)
	return out
}

func TestRule_D5_WeeklyCheckInFallsDueThreeWeeksRunning(t *testing.T) {
	w := newWorld(t)
	a := w.checkIn()
	for i, due := range []string{"2026-11-16 11:00:00", "2026-11-23 11:00:00", "2026-11-30 11:00:00"} {
		w.run(local(due))
		got := w.overdueDays(a)
		if len(got) != i+1 || got[i] != due[:10] {
			t.Fatalf("week %d: overdue alerts on %v", i+1, got)
		}
		up, err := w.cases().Complete(context.Background(), safeguarding.Caller{Email: staff, At: local(due).Add(2 * time.Hour)}, seed.BrookLane,
			a.ID(), "Seen at lunch; settled.", safeguarding.RequestKey{}, "")
		if err != nil {
			t.Fatal(err)
		}
		if up.Status() != safeguarding.ActionOpen || up.Occurrence() != i+2 {
			t.Fatalf("week %d: after the update %s, occurrence %d", i+1, up.Status(), up.Occurrence())
		}
	}
	list, err := w.cases().MyWork(context.Background(), safeguarding.Caller{Email: staff, At: local("2026-12-01 09:00:00")}, seed.BrookLane, "me", safeguarding.ActionOpen)
	if err != nil || len(list) != 1 || !list[0].DueAt().Equal(local("2026-12-07 11:00:00")) {
		t.Errorf("My work after three weeks: %v %v", list, err)
	}
}

func TestRule_D3_D5_EndingMonitoringStopsIt(t *testing.T) {
	w := newWorld(t)
	a := w.checkIn()
	w.run(local("2026-11-16 11:00:00"))
	ctx := context.Background()
	if _, err := w.cases().End(ctx, safeguarding.Caller{Email: staff, At: local("2026-11-16 12:00:00")}, seed.BrookLane, a.ID(), "Fine now", safeguarding.RequestKey{}, ""); err == nil {
		t.Error("the assignee ended the check-ins")
	}
	ended, err := w.cases().End(ctx, safeguarding.Caller{Email: dsl, At: local("2026-11-16 12:00:00")}, seed.BrookLane, a.ID(),
		"Settled; the family is working with early help.", safeguarding.RequestKey{}, "")
	if err != nil || ended.Status() != safeguarding.ActionCompleted {
		t.Fatalf("end: %v %v", ended.Status(), err)
	}
	for _, at := range []string{"2026-11-17 11:00:00", "2026-11-23 11:00:00", "2026-11-30 11:00:00"} {
		if r := w.run(local(at)); r.Escalated != 0 {
			t.Errorf("run at %s escalated an ended check-in: %+v", at, r)
		}
	}
	if got := w.overdueDays(a); len(got) != 1 {
		t.Errorf("overdue alerts %v: only the first week's", got)
	}
}
