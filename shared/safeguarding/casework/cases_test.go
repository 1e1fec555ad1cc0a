package casework

import (
	"errors"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/safeguardingtest"
)

func concernAt(t *testing.T, recorded string, high bool) concerns.Concern {
	t.Helper()
	at := london(t, recorded)
	c, err := record(t, teacher, newConcern(func(n *concerns.NewConcern) { n.ObservedAt = at.Add(-10 * time.Minute); n.HighPriority = high }), at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func addAction(t *testing.T, c concerns.Concern, typ ActionType, now string) Action {
	t.Helper()
	a, err := CreateAction(ActionID(string(c.ID())+"-A1"), NewAction{Type: string(typ), AssigneeEmail: colleague.Email}, c, dsl, brookLane, safeguarding.Weekdays{}, london(t, now))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestRule_D1_DSLActionDueByTheEndOfTheDayTheConcernWasRecorded(t *testing.T) {
	a := addAction(t, concernAt(t, "2026-11-23 10:00:00", false), ActionDSL, "2026-11-23 11:00:00")
	if want := london(t, "2026-11-23 17:00:00"); !a.DueAt().Equal(want) {
		t.Errorf("due %s, want %s", a.DueAt().In(safeguarding.London), want)
	}
	// A concern recorded after the end of Friday's school day: the end of Monday.
	a = addAction(t, concernAt(t, "2026-11-27 18:30:00", false), ActionDSL, "2026-11-27 19:00:00")
	if want := london(t, "2026-11-30 17:00:00"); !a.DueAt().Equal(want) {
		t.Errorf("due %s, want %s", a.DueAt().In(safeguarding.London), want)
	}
}

func TestRule_D2_ParentMeetingArrangedByTheEndOfTheDay(t *testing.T) {
	a := addAction(t, concernAt(t, "2026-06-15 09:00:00", false), ActionParentMeeting, "2026-06-15 09:30:00")
	if want := london(t, "2026-06-15 17:00:00"); !a.DueAt().Equal(want) { // BST
		t.Errorf("due %s, want %s", a.DueAt().In(safeguarding.London), want)
	}
}

func TestRule_D3_MonitoringWithin24HoursOfTheFirstAlert(t *testing.T) {
	c := concernAt(t, "2026-11-23 10:00:00", false)
	a := addAction(t, c, ActionMonitoring, "2026-11-23 15:00:00")
	if want := c.RecordedAt().Add(24 * time.Hour); !a.DueAt().Equal(want) {
		t.Errorf("due %s, want %s", a.DueAt(), want)
	}
}

func TestRule_D4_ReferralWithin24Hours(t *testing.T) {
	c := concernAt(t, "2026-10-24 16:30:00", true) // the day before the clock change: 24 real hours
	a, err := CreateAction(ActionID(string(c.ID())+"-A1"), NewAction{Type: "referral", AssigneeEmail: dsl.Email, ReferralTo: "childrens-social-care"},
		c, dsl, brookLane, safeguarding.Weekdays{}, london(t, "2026-10-24 17:00:00"))
	if err != nil {
		t.Fatal(err)
	}
	if want := c.RecordedAt().Add(24 * time.Hour); !a.DueAt().Equal(want) || a.ReferralTo() != "childrens-social-care" {
		t.Errorf("due %s (want %s), referral %q", a.DueAt(), want, a.ReferralTo())
	}
	_, err = CreateAction("x-A1", NewAction{Type: "referral", AssigneeEmail: dsl.Email, ReferralTo: "the vicar"}, c, dsl, brookLane, safeguarding.Weekdays{}, c.RecordedAt())
	if !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("unknown referral destination: %v", err)
	}
}

func TestRule_D5_CheckInWeeklyOrByTheEndOfTheDayWhenThereIsAConcern(t *testing.T) {
	weekly := addAction(t, concernAt(t, "2026-11-23 10:00:00", false), ActionCheckIn, "2026-11-23 11:00:00")
	if want := london(t, "2026-11-30 11:00:00"); !weekly.DueAt().Equal(want) {
		t.Errorf("weekly check-in due %s, want %s", weekly.DueAt().In(safeguarding.London), want)
	}
	urgent := addAction(t, concernAt(t, "2026-11-23 10:00:00", true), ActionCheckIn, "2026-11-23 11:00:00")
	if want := london(t, "2026-11-23 17:00:00"); !urgent.DueAt().Equal(want) {
		t.Errorf("check-in on a high-priority concern due %s, want %s", urgent.DueAt().In(safeguarding.London), want)
	}
}

func TestRule_D1_EarlierDueTimeAllowedLaterNeedsAReason(t *testing.T) {
	c := concernAt(t, "2026-11-23 10:00:00", false)
	now := london(t, "2026-11-23 11:00:00")
	earlier, later := london(t, "2026-11-23 14:00:00"), london(t, "2026-11-24 17:00:00")
	a, err := CreateAction("c-A1", NewAction{Type: "dsl-action", AssigneeEmail: dsl.Email, DueAt: &earlier}, c, dsl, brookLane, safeguarding.Weekdays{}, now)
	if err != nil || !a.DueAt().Equal(earlier) {
		t.Fatalf("earlier: %v %s", err, a.DueAt())
	}
	_, err = CreateAction("c-A1", NewAction{Type: "dsl-action", AssigneeEmail: dsl.Email, DueAt: &later}, c, dsl, brookLane, safeguarding.Weekdays{}, now)
	var ve *safeguarding.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "dueReason" {
		t.Fatalf("later without reason: %v", err)
	}
	a, err = CreateAction("c-A1", NewAction{Type: "dsl-action", AssigneeEmail: dsl.Email, DueAt: &later, DueReason: "Family away until Tuesday"}, c, dsl, brookLane, safeguarding.Weekdays{}, now)
	if err != nil || a.DueReason() != "Family away until Tuesday" {
		t.Fatalf("later with reason: %v", err)
	}
}

func TestRule_D1_OnlyDSLsRecordActions(t *testing.T) {
	c := concernAt(t, "2026-11-23 10:00:00", false)
	_, err := CreateAction("c-A1", NewAction{Type: "dsl-action", AssigneeEmail: dsl.Email}, c, teacher, brookLane, safeguarding.Weekdays{}, c.RecordedAt())
	if !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("teacher adding an action: %v", err)
	}
}

func TestRule_D6_ReallocationByTheSeniorDSLKeepsBothInTheHistory(t *testing.T) {
	c := concernAt(t, "2026-11-23 10:00:00", false)
	a := addAction(t, c, ActionMonitoring, "2026-11-23 11:00:00")
	now := london(t, "2026-11-23 12:00:00")
	if err := a.CannotFollowUp(dsl, "not mine", now); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("someone else saying the assignee cannot: %v", err)
	}
	if err := a.CannotFollowUp(colleague, "Off sick until Friday", now); err != nil || !a.NeedsReallocation() {
		t.Fatalf("cannot follow up: %v", err)
	}
	if err := a.Reallocate(dsl, dsl.Email, "", c, brookLane, now); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a DSL who is not the Senior DSL reallocating: %v", err)
	}
	if err := a.Reallocate(head, dsl.Email, "Covering", c, brookLane, now); err != nil {
		t.Fatal(err)
	}
	h := a.History()
	last := h[len(h)-1]
	if a.Assignee() != dsl.Email || a.NeedsReallocation() || last.From != colleague.Email || last.To != dsl.Email || len(h) != 3 {
		t.Errorf("assignee %s, history %+v", a.Assignee(), h)
	}
	if a.DueItem().Assignee != dsl.Email {
		t.Error("the deadline engine would still chase the old assignee")
	}
}

func TestParseActionID(t *testing.T) {
	for id, ok := range map[ActionID]bool{"01JABC-A1": true, "01JABC-A12": true, "01JABC-A0": false, "01JABC-A01": false, "-A1": false, "01JABC": false, "01JABC-Ax": false} {
		if _, _, got := ParseActionID(id); got != ok {
			t.Errorf("%s: %v", id, got)
		}
	}
}

func TestRule_D9_ClosedCaseKeepsItsReasonWhenReopened(t *testing.T) {
	c := concernAt(t, "2026-11-23 10:00:00", false)
	now := london(t, "2026-11-24 10:00:00")
	if err := c.Close(teacher, "x", now); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher closing a case: %v", err)
	}
	if err := c.Close(dsl, "", now); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("closing without a reason: %v", err)
	}
	if err := c.Close(dsl, "Support in place; no further concerns", now); err != nil || c.Status() != concerns.CaseClosed {
		t.Fatal(err)
	}
	if err := c.Close(dsl, "again", now); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("closing a closed case: %v", err)
	}
	if err := c.Reopen(dsl, "New disclosure", now.Add(time.Hour)); err != nil || c.Status() != concerns.CaseOpen {
		t.Fatal(err)
	}
	ev := c.CaseEvents()
	if len(ev) != 2 || ev[0].Kind != concerns.CaseClosedEvent || ev[0].Reason != "Support in place; no further concerns" || ev[1].Kind != concerns.CaseReopened {
		t.Errorf("history %+v", ev)
	}
}

func TestRule_D9_ComplexCaseReviewedTwiceATerm(t *testing.T) {
	c := concernAt(t, "2026-09-07 10:00:00", false)
	marked := london(t, "2026-09-08 10:00:00")
	if err := c.MarkComplex(dsl, true, "Several agencies involved", marked); err != nil {
		t.Fatal(err)
	}
	none := safeguarding.SchoolCalendar{} // a school that entered no terms: six weeks
	if c.ReviewDue(marked.Add(41*24*time.Hour), none) {
		t.Error("review due before six weeks")
	}
	due := marked.Add(concerns.ComplexReviewEvery)
	if !c.ReviewDue(due, none) {
		t.Error("review not due after six weeks")
	}
	if err := c.Review(dsl, "maybe", "x", due); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("unknown decision: %v", err)
	}
	if err := c.Review(dsl, concerns.DecisionKeepOpen, "Plan still running", due); err != nil {
		t.Fatal(err)
	}
	if c.ReviewDue(due.Add(time.Hour), none) || c.Status() != concerns.CaseOpen {
		t.Error("a reviewed case is still due, or was closed")
	}
	if err := c.Review(dsl, concerns.DecisionClose, "Plan complete", due.Add(concerns.ComplexReviewEvery)); err != nil || c.Status() != concerns.CaseClosed {
		t.Errorf("review closing the case: %v %s", err, c.Status())
	}
}

func TestRule_D9_ThreeConcernsWithinTenSchoolDaysFlagAPupil(t *testing.T) {
	mk := func(day string, pupil safeguarding.PupilID) concerns.Concern {
		at := london(t, day+" 10:00:00")
		c, err := record(t, teacher, newConcern(func(n *concerns.NewConcern) { n.PupilIDs = []safeguarding.PupilID{pupil}; n.ObservedAt = at }), at)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	now := london(t, "2026-11-27 15:00:00") // Friday
	cs := []concerns.Concern{
		mk("2026-11-16", "p1"), // Monday of the week before: the 10th school day back
		mk("2026-11-20", "p1"),
		mk("2026-11-27", "p1"),
		mk("2026-11-13", "p2"), // 11 school days back: outside the window
		mk("2026-11-20", "p2"),
		mk("2026-11-26", "p2"),
	}
	got := FrequentPupils(cs, safeguarding.Weekdays{}, now, FrequentThreshold, FrequentWindow)
	if len(got) != 1 || got["p1"] != 3 {
		t.Errorf("flagged %v, want p1 with 3", got)
	}
}

// Rule D7 with P2: in a pupil's chronology, the concern is the reporter's to read but the
// actions and case decisions on it are the DSLs', however an entry was written (entries
// written before case work had a visibility of its own carry the concern's).
func TestRule_D7_CaseWorkEntriesAreForTheDSLsNotTheReporter(t *testing.T) {
	c := concernAt(t, "2026-11-23 10:00:00", false)
	entries := concerns.ConcernEntries(c)
	pupil := entries[0].Pupil
	old := safeguarding.ChronologyEntry{ID: "old-action", Pupil: pupil, Type: safeguarding.EntryAction, ConcernID: c.ID(), Visibility: c.Visibility()}
	action := safeguarding.ChronologyEntry{ID: "action", Pupil: pupil, Type: safeguarding.EntryAction, ConcernID: c.ID(), Visibility: c.CaseWorkVisibility()}
	decision := safeguarding.ChronologyEntry{ID: "decision", Pupil: pupil, Type: safeguarding.EntryDecision, ConcernID: c.ID(), Visibility: c.CaseWorkVisibility()}
	all := append(entries[:1:1], old, action, decision)
	ids := func(es []safeguarding.ChronologyEntry) (out []string) {
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	if got := ids(safeguarding.Visible(all, teacher)); len(got) != 1 || got[0] != entries[0].ID {
		t.Errorf("the reporter sees %v, want the concern only", got)
	}
	for _, p := range []safeguarding.Principal{dsl, head} {
		if got := safeguarding.Visible(all, p); len(got) != 4 {
			t.Errorf("%s sees %v, want all four", p.Name, ids(got))
		}
	}
	if c.CanSeeCaseWork(teacher) || !c.CanSeeCaseWork(dsl) || c.CanSeeCaseWork(safeguardingtest.Outsider) {
		t.Error("case work: the DSLs of the school only")
	}
}

// Rule C5: the case work of a concern about a member of staff is for the governor and the
// Senior DSL, not for its subject (a DSL here), nor for another DSL, nor its reporter; and an
// action on it is never reallocated to its subject.
func TestRule_C5_CaseWorkOfAConcernAboutStaffIsRouted(t *testing.T) {
	at := london(t, "2026-11-23 10:00:00")
	c, err := record(t, teacher, newConcern(func(n *concerns.NewConcern) {
		n.ObservedAt = at.Add(-10 * time.Minute)
		n.AboutStaff, n.SubjectStaffEmail = true, dsl.Email
	}), at)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range []struct {
		who  safeguarding.Principal
		sees bool
	}{{safeguardingtest.Governor, true}, {head, true}, {dsl, false}, {teacher, false}, {colleague, false}} {
		if got := c.CanSeeCaseWork(x.who); got != x.sees {
			t.Errorf("%s sees the case work: %v, want %v", x.who.Name, got, x.sees)
		}
	}
	a, err := CreateAction("c-A1", NewAction{Type: "monitoring", AssigneeEmail: head.Email}, c, head, brookLane, safeguarding.Weekdays{}, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Reallocate(head, dsl.Email, "Cover", c, brookLane, at.Add(time.Hour)); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("reallocating to the concern's subject: %v", err)
	}
}
