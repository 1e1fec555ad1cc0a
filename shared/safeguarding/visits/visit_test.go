package visits

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// A family of two children at Brook Lane, and the visit plan the tests start from: the
// teacher and a colleague go on Monday 1 March 2027 from 10:00 to 11:00, the DSL is their
// line manager.
var visitFamily = func() *contact.Family {
	f := contact.RestoreFamily(contact.FamilySnapshot{ID: "fam-01", School: school, Children: []contact.FamilyChild{{Pupil: "p1"}, {Pupil: "p2"}}})
	return &f
}()

func planned(t *testing.T, mut func(*NewVisit)) (Visit, error) {
	t.Helper()
	in := NewVisit{FamilyID: "fam-01", StaffEmails: []string{teacher.Email, colleague.Email}, LineManagerEmail: dsl.Email,
		PlannedStart: london(t, "2027-03-01 10:00:00"), PlannedEnd: london(t, "2027-03-01 11:00:00"), Reason: "No answer to three calls this week."}
	if mut != nil {
		mut(&in)
	}
	return PlanVisit("01JVISIT00000000000ABCDEFG", in, dsl, brookLane, visitFamily, VisitBlock{}, london(t, "2027-02-26 15:00:00"))
}

// started is a visit planned, authorised, called ahead and started at 09:55.
func started(t *testing.T) Visit {
	t.Helper()
	v, err := planned(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	must(t, v.Authorise(head, london(t, "2027-02-26 16:00:00")))
	if _, err := v.RecordCall(teacher, CallAgreed, "", london(t, "2027-03-01 09:30:00")); err != nil {
		t.Fatal(err)
	}
	must(t, v.Start(teacher, nil, brookLane, london(t, "2027-03-01 09:55:00")))
	return v
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func invalidField(t *testing.T, err error, field string) {
	t.Helper()
	var v *safeguarding.ValidationError
	if !errors.As(err, &v) || !slices.ContainsFunc(v.Problems, func(p safeguarding.FieldProblem) bool { return p.Field == field }) {
		t.Errorf("got %v, want a problem with %s", err, field)
	}
}

func TestRule_V1_AVisitCannotStartUntilTheSeniorDSLAuthorisesIt(t *testing.T) {
	v, err := planned(t, nil)
	must(t, err)
	if _, err := v.RecordCall(teacher, CallAgreed, "", london(t, "2027-03-01 09:30:00")); err != nil {
		t.Fatal(err)
	}
	invalidField(t, v.Start(teacher, nil, brookLane, london(t, "2027-03-01 09:55:00")), "status")
	if v.Status() != VisitPlanned || v.DueItems() != nil {
		t.Fatalf("an unauthorised visit started: %s", v.Status())
	}
	if err := v.Authorise(dsl, london(t, "2027-03-01 09:40:00")); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a DSL who is not the Senior DSL authorised it: %v", err)
	}
	must(t, v.Authorise(head, london(t, "2027-03-01 09:45:00")))
	if err := v.Authorise(head, london(t, "2027-03-01 09:46:00")); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("authorised twice: %v", err)
	}
	must(t, v.Start(teacher, nil, brookLane, london(t, "2027-03-01 09:55:00")))
	if s := v.Snapshot(); s.Status != VisitInProgress || s.AuthorisedBy != head.Email {
		t.Errorf("visit %+v", s)
	}
}

func TestRule_V2_TwoStaffAndALineManagerWhoIsSomeoneElse(t *testing.T) {
	for name, tc := range map[string]struct {
		mut   func(*NewVisit)
		field string
	}{
		"one member of staff":            {func(in *NewVisit) { in.StaffEmails = []string{teacher.Email} }, "staffEmails"},
		"the same person twice":          {func(in *NewVisit) { in.StaffEmails = []string{teacher.Email, teacher.Email} }, "staffEmails"},
		"someone not on the staff":       {func(in *NewVisit) { in.StaffEmails = []string{teacher.Email, "x@elsewhere.example"} }, "staffEmails"},
		"the line manager goes too":      {func(in *NewVisit) { in.LineManagerEmail = teacher.Email }, "lineManagerEmail"},
		"no line manager":                {func(in *NewVisit) { in.LineManagerEmail = "" }, "lineManagerEmail"},
		"in the past":                    {func(in *NewVisit) { in.PlannedStart = in.PlannedStart.AddDate(0, 0, -5) }, "plannedStart"},
		"ends before it starts":          {func(in *NewVisit) { in.PlannedEnd = in.PlannedStart.Add(-time.Minute) }, "plannedEnd"},
		"longer than a working day":      {func(in *NewVisit) { in.PlannedEnd = in.PlannedStart.Add(9 * time.Hour) }, "plannedEnd"},
		"no time window":                 {func(in *NewVisit) { in.PlannedStart, in.PlannedEnd = time.Time{}, time.Time{} }, "plannedStart"},
		"further ahead than two months?": {func(in *NewVisit) { in.PlannedStart = in.PlannedStart.AddDate(0, 3, 0) }, "plannedStart"},
	} {
		_, err := planned(t, tc.mut)
		if err == nil {
			t.Errorf("%s: planned", name)
			continue
		}
		invalidField(t, err, tc.field)
	}
	in := NewVisit{FamilyID: "fam-01", StaffEmails: []string{dsl.Email, colleague.Email}, LineManagerEmail: head.Email,
		PlannedStart: london(t, "2027-03-01 10:00:00"), PlannedEnd: london(t, "2027-03-01 11:00:00"), Reason: "No answer to three calls this week."}
	if _, err := PlanVisit("v", in, teacher, brookLane, visitFamily, VisitBlock{}, london(t, "2027-02-26 15:00:00")); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher planned a visit: %v", err)
	}
	if _, err := PlanVisit("v", in, dsl, brookLane, nil, VisitBlock{}, london(t, "2027-02-26 15:00:00")); err == nil {
		t.Error("a visit to no family")
	}

	// The line manager knows (an alert to look at the visit, where the address is) and the
	// Senior DSL is asked to authorise; the planner is told of nothing they did.
	v, err := planned(t, nil)
	must(t, err)
	alerts := v.PlannedAlerts(brookLane)
	if len(alerts) != 1 || alerts[0].Recipient != head.Email || alerts[0].Kind != "visit-authorisation" {
		t.Errorf("the DSL planned and is the line manager: alerts %+v", alerts)
	}
	in.LineManagerEmail = teacher.Email
	v2, err := PlanVisit("01JVISIT00000000000ZZZZZZZ", in, dsl, brookLane, visitFamily, VisitBlock{}, london(t, "2027-02-26 15:00:00"))
	must(t, err)
	alerts = v2.PlannedAlerts(brookLane)
	if len(alerts) != 2 || alerts[0].Recipient != teacher.Email || alerts[0].Audience != safeguarding.AudienceLineManager || alerts[0].SubjectKind != safeguarding.SubjectVisit {
		t.Errorf("alerts %+v", alerts)
	}

	// It cannot start with one of them: who is going is confirmed at the start.
	must(t, v.Authorise(head, london(t, "2027-02-26 16:00:00")))
	if _, err := v.RecordCall(teacher, CallAgreed, "", london(t, "2027-03-01 09:30:00")); err != nil {
		t.Fatal(err)
	}
	invalidField(t, v.Start(teacher, []string{teacher.Email}, brookLane, london(t, "2027-03-01 09:55:00")), "staffEmails")
	invalidField(t, v.Start(teacher, []string{teacher.Email, head.Email}, brookLane, london(t, "2027-03-01 09:55:00")), "staffEmails")
	if err := v.Start(dsl, nil, brookLane, london(t, "2027-03-01 09:55:00")); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("the line manager started it: %v", err)
	}
	invalidField(t, v.Start(teacher, nil, brookLane, london(t, "2027-03-01 11:00:00")), "plannedEnd")
	invalidField(t, v.Start(teacher, nil, brookLane, london(t, "2027-03-01 08:30:00")), "plannedStart")
	if v.Status() != VisitAuthorised {
		t.Fatalf("status %s", v.Status())
	}
}

func TestRule_V2_OnlyTheStaffTheLineManagerAndTheDSLsSeeAVisit(t *testing.T) {
	v, err := planned(t, func(in *NewVisit) { in.LineManagerEmail = head.Email })
	must(t, err)
	for _, tc := range []struct {
		p    safeguarding.Principal
		sees bool
	}{{teacher, true}, {colleague, true}, {head, true}, {dsl, true}, {governor, false}, {outsider, false}} {
		if v.CanView(tc.p) != tc.sees {
			t.Errorf("%s sees it: %v", tc.p.Email, !tc.sees)
		}
	}
	other, err := PlanVisit("v2", NewVisit{FamilyID: "fam-01", StaffEmails: []string{dsl.Email, head.Email}, LineManagerEmail: governor.Email,
		PlannedStart: london(t, "2027-03-01 10:00:00"), PlannedEnd: london(t, "2027-03-01 11:00:00"), Reason: "No answer to three calls this week."}, dsl, brookLane, visitFamily, VisitBlock{}, london(t, "2027-02-26 15:00:00"))
	must(t, err)
	if other.CanView(teacher) {
		t.Error("a teacher not on the visit sees it")
	}
}

func TestRule_V3_CallAheadIsRecordedAndADeclineBlocksVisitsUntilADSLLiftsIt(t *testing.T) {
	v, err := planned(t, nil)
	must(t, err)
	must(t, v.Authorise(head, london(t, "2027-02-26 16:00:00")))
	invalidField(t, v.Start(teacher, nil, brookLane, london(t, "2027-03-01 09:55:00")), "calledAhead")
	if _, err := v.RecordCall(teacher, "maybe", "", london(t, "2027-03-01 09:30:00")); err == nil {
		t.Error("an unknown outcome")
	}
	if _, err := v.RecordCall(governor, CallAgreed, "", london(t, "2027-03-01 09:30:00")); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("someone not on the visit called ahead: %v", err)
	}
	block, err := v.RecordCall(colleague, CallDeclined, "Mum said please do not come.", london(t, "2027-03-01 09:30:00"))
	must(t, err)
	if block == nil || block.Kind != "blocked" || v.Status() != VisitDeclined {
		t.Fatalf("declined: %+v %s", block, v.Status())
	}
	invalidField(t, v.Start(teacher, nil, brookLane, london(t, "2027-03-01 09:55:00")), "status")
	if _, err := v.RecordCall(teacher, CallAgreed, "", london(t, "2027-03-01 09:40:00")); err == nil {
		t.Error("staff persisted after the family declined")
	}

	blocked := VisitBlock{School: school, Family: "fam-01", Blocked: true, History: []BlockEvent{*block}, Version: 1}
	_, err = PlanVisit("v2", NewVisit{FamilyID: "fam-01", StaffEmails: []string{teacher.Email, colleague.Email}, LineManagerEmail: dsl.Email,
		PlannedStart: london(t, "2027-03-08 10:00:00"), PlannedEnd: london(t, "2027-03-08 11:00:00"), Reason: "No answer to three calls this week."}, dsl, brookLane, visitFamily, blocked, london(t, "2027-03-01 12:00:00"))
	invalidField(t, err, "familyId")
	if _, err := blocked.Lift(teacher, "x", london(t, "2027-03-02 09:00:00")); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher lifted the block: %v", err)
	}
	_, err = blocked.Lift(dsl, " ", london(t, "2027-03-02 09:00:00"))
	invalidField(t, err, "reason")
	lifted, err := blocked.Lift(dsl, "Mum phoned and asked for a visit.", london(t, "2027-03-02 09:00:00"))
	must(t, err)
	if lifted.Blocked || len(lifted.History) != 2 || lifted.History[0].Kind != "blocked" || lifted.Version != 2 {
		t.Errorf("lifted %+v", lifted)
	}
	if _, err := lifted.Lift(dsl, "again", london(t, "2027-03-02 09:05:00")); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("lifted twice: %v", err)
	}
}

func TestRule_V4_TheRecordSaysForEachChildWhetherTheyWereSeenAndWhatWasObserved(t *testing.T) {
	v := started(t)
	at := london(t, "2027-03-01 10:20:00")
	for name, children := range map[string][]ChildSeen{
		"a child left out":    {{Pupil: "p1", Seen: true}},
		"a child twice":       {{Pupil: "p1", Seen: true}, {Pupil: "p1"}, {Pupil: "p2"}},
		"a child of another":  {{Pupil: "p1", Seen: true}, {Pupil: "p2"}, {Pupil: "x1"}},
		"no children at all:": nil,
	} {
		if err := v.RecordDoorstep(teacher, children, at); err == nil {
			t.Errorf("%s: recorded", name)
		}
	}
	if err := v.RecordDoorstep(dsl, []ChildSeen{{Pupil: "p1", Seen: true}, {Pupil: "p2"}}, at); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("someone not on the visit recorded the doorstep: %v", err)
	}
	// Staff stay on the doorstep and cannot insist: "not seen" is an answer.
	must(t, v.RecordDoorstep(colleague, []ChildSeen{{Pupil: "p2", Seen: false, Notes: "Mum said he was asleep."}, {Pupil: "p1", Seen: true}}, at))
	if err := v.RecordDoorstep(teacher, []ChildSeen{{Pupil: "p1", Seen: true}, {Pupil: "p2", Seen: true}}, at); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("the doorstep record was overwritten: %v", err)
	}
	entries := v.Entries("e1", at, colleague, v.doorstepSummary)
	if len(entries) != 2 || entries[0].Pupil != "p1" || entries[0].Type != safeguarding.EntryVisit ||
		entries[0].Summary != "Home visit V-0ABCDEFG, Mon 1 Mar 2027 10:20: the child was seen on the doorstep." ||
		entries[1].Summary != "Home visit V-0ABCDEFG, Mon 1 Mar 2027 10:20: the child was not seen on the doorstep. Mum said he was asleep." {
		t.Errorf("entries %+v", entries)
	}
	// The observations of the children's and the adults' emotional and physical appearance.
	invalidField(t, v.RecordObservations(teacher, []ChildObservation{{Pupil: "p1"}, {Pupil: "p2"}}, Appearance{}, at), "children")
	must(t, v.RecordObservations(teacher, []ChildObservation{{Pupil: "p1", Appearance: Appearance{Emotional: "Cheerful", Physical: "Clean clothes"}}, {Pupil: "p2"}},
		Appearance{Emotional: "Mum tired but calm"}, at))
	if s := v.observationsSummary("p1"); s != "Home visit V-0ABCDEFG, observations. The child, emotional appearance: Cheerful. The child, physical appearance: Clean clothes. The adults, emotional appearance: Mum tired but calm." {
		t.Errorf("summary %q", s)
	}
}

func TestRule_V5_AnImmediateConcernIsAHighPriorityConcernAboutTheChildren(t *testing.T) {
	v, err := planned(t, nil)
	must(t, err)
	if _, err := v.RaiseConcern("c", teacher, brookLane, ImmediateConcern{Details: "x"}, concerns.PolicyCatalogue(), safeguarding.Weekdays{}, london(t, "2027-02-26 15:00:00")); err == nil {
		t.Error("a concern on a visit that has not started")
	}
	v = started(t)
	at := london(t, "2027-03-01 10:25:00")
	_, err = v.RaiseConcern("c", teacher, brookLane, ImmediateConcern{Details: "  "}, concerns.PolicyCatalogue(), safeguarding.Weekdays{}, at)
	invalidField(t, err, "details")
	_, err = v.RaiseConcern("c", teacher, brookLane, ImmediateConcern{Pupils: []safeguarding.PupilID{"x1"}, Details: "x"}, concerns.PolicyCatalogue(), safeguarding.Weekdays{}, at)
	invalidField(t, err, "pupilIds")
	// A child not seen is a child like any other: the concern names them.
	c, err := v.RaiseConcern("01JCONCERN0000000000VISIT1", teacher, brookLane, ImmediateConcern{Pupils: []safeguarding.PupilID{"p2"}, Details: "Heard shouting; p2 not seen."},
		concerns.PolicyCatalogue(), safeguarding.Weekdays{}, at)
	must(t, err)
	if !c.HighPriority() || c.Category() != safeguarding.CategorySafeguarding || len(c.Pupils()) != 1 || c.Pupils()[0].ID != "p2" {
		t.Errorf("concern %+v", c.Snapshot())
	}
	alerts := concerns.ConcernAlerts(c, brookLane)
	sms := 0
	for _, a := range alerts {
		if a.Channel == safeguarding.ChannelSMS && a.Priority == safeguarding.PriorityHigh {
			sms++
		}
	}
	if sms != 2 { // the DSL and the Senior DSL (C4)
		t.Errorf("alerts %+v", alerts)
	}
	if s := v.Snapshot(); len(s.Concerns) != 1 || s.Concerns[0].Reference != c.Reference() {
		t.Errorf("the visit does not note the concern: %+v", s.Concerns)
	}
	withNumber := brookLane
	withNumber.DutyTeamNumber = "01632 960001"
	for _, a := range concerns.ConcernAlerts(c, withNumber) {
		if a.Reference == withNumber.DutyTeamNumber {
			t.Error("the duty number is in an alert")
		}
	}
}

func TestRule_V6_ObservationsAreDueWithin24HoursAndALateRecordIsMarked(t *testing.T) {
	v := started(t)
	items := v.DueItems()
	if len(items) != 3 || items[1].Kind != safeguarding.DueVisitObservations || items[1].Assignee != teacher.Email ||
		!items[1].Due.DueAt.Equal(london(t, "2027-03-02 11:00:00")) || !items[1].Due.Active {
		t.Fatalf("items %+v", items)
	}
	// On the ladder of rule D8: the assignee when overdue.
	next, e, ok := items[1].Advance(london(t, "2027-03-02 11:00:00"))
	if !ok || e.Audience != safeguarding.AudienceAssignee || e.Kind != "overdue" {
		t.Fatalf("%v %+v", ok, e)
	}
	alerts := safeguarding.EscalationAlerts(items[1], e, brookLane, london(t, "2027-03-02 11:00:00"))
	if len(alerts) != 1 || alerts[0].SubjectKind != safeguarding.SubjectVisit || alerts[0].Subject != v.ID() {
		t.Errorf("alerts %+v", alerts)
	}
	_ = next
	must(t, v.RecordObservations(colleague, []ChildObservation{{Pupil: "p1", Appearance: Appearance{Emotional: "Quiet"}}, {Pupil: "p2"}}, Appearance{}, london(t, "2027-03-02 11:30:00")))
	o := v.Snapshot().Observations
	if !o.Late || o.MinutesLate != 30 || v.DueItems()[1].Due.Active {
		t.Errorf("observations %+v, item %+v", o, v.DueItems()[1])
	}
	if err := v.RecordObservations(colleague, []ChildObservation{{Pupil: "p1", Appearance: Appearance{Emotional: "x"}}, {Pupil: "p2"}}, Appearance{}, london(t, "2027-03-02 11:40:00")); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("observations overwritten: %v", err)
	}
}

func TestRule_V7_TheNextVisitIsArrangedBeforeLeavingWithTheSupportOffered(t *testing.T) {
	v := started(t)
	item := v.DueItems()[2]
	if item.Kind != safeguarding.DueVisitNext || !item.Due.DueAt.Equal(london(t, "2027-03-01 11:00:00")) {
		t.Fatalf("item %+v", item)
	}
	at := london(t, "2027-03-01 10:40:00")
	invalidField(t, v.RecordNext(teacher, NextVisit{SupportOffered: "Food bank details"}, at), "nextVisitAt")
	invalidField(t, v.RecordNext(teacher, NextVisit{NextAt: london(t, "2027-03-08 10:00:00")}, at), "supportOffered")
	invalidField(t, v.RecordNext(teacher, NextVisit{NextAt: london(t, "2027-03-08 10:00:00"), NoneReason: "x", SupportOffered: "x"}, at), "noNextVisitReason")
	invalidField(t, v.RecordNext(teacher, NextVisit{NextAt: london(t, "2027-02-28 10:00:00"), SupportOffered: "x"}, at), "nextVisitAt")
	must(t, v.RecordNext(teacher, NextVisit{NextAt: london(t, "2027-03-08 10:00:00"), SupportOffered: "Signposted to the food bank"}, at))
	if v.DueItems()[2].Due.Active {
		t.Error("the next visit is still on the ladder")
	}
	if s := v.nextSummary(); s != "Home visit V-0ABCDEFG: next visit arranged for Mon 8 Mar 2027 10:00. Support offered or signposted: Signposted to the food bank" {
		t.Errorf("summary %q", s)
	}
}

func TestRule_V8_NoCheckOutAlertsTheLineManagerAndTheSeniorDSLAtOnceBySMS(t *testing.T) {
	v := started(t)
	item := v.DueItems()[0]
	due := london(t, "2027-03-01 11:30:00") // planned end 11:00 + 30 minutes
	if item.Kind != safeguarding.DueVisitCheckout || item.Assignee != dsl.Email || !item.Due.DueAt.Equal(due) || !item.Due.NextAt.Equal(due) {
		t.Fatalf("item %+v", item)
	}
	// Silent until the moment it is missed: no reminder.
	if _, _, ok := item.Advance(due.Add(-time.Minute)); ok {
		t.Fatal("an alarm before the due time")
	}
	next, e, ok := item.Advance(due)
	if !ok || e.Kind != "lone-worker" || e.Priority != safeguarding.PriorityHigh || !slices.Contains(e.Channels, safeguarding.ChannelSMS) {
		t.Fatalf("%v %+v", ok, e)
	}
	alerts := safeguarding.EscalationAlerts(item, e, brookLane, due)
	got := map[string][]safeguarding.Channel{}
	for _, a := range alerts {
		got[a.Recipient+" "+string(a.Audience)] = append(got[a.Recipient+" "+string(a.Audience)], a.Channel)
		if a.Kind != "lone-worker" || a.SubjectKind != safeguarding.SubjectVisit || a.Reference != v.Reference() {
			t.Errorf("alert %+v", a)
		}
	}
	if len(got) != 2 || len(got[dsl.Email+" line_manager"]) != 2 || len(got[head.Email+" senior_dsl"]) != 2 {
		t.Errorf("alerts %v: want the line manager and the Senior DSL, by SMS and email", got)
	}
	// A repeat within the step sends nothing; half an hour on, the DSLs too; then daily.
	item.Due = next
	if _, _, ok := item.Advance(due.Add(15 * time.Minute)); ok {
		t.Error("the same alarm twice within half an hour")
	}
	next, e, ok = item.Advance(due.Add(safeguarding.LoneWorkerWiden))
	if !ok || e.Step != 2 || !slices.Contains(e.Also, safeguarding.AudienceDSL) {
		t.Fatalf("widened: %v %+v", ok, e)
	}
	item.Due = next
	if _, _, ok := item.Advance(due.Add(2 * time.Hour)); ok {
		t.Error("step 2 repeated within the day")
	}
	if _, _, ok := item.Advance(due.Add(safeguarding.LoneWorkerWiden + 24*time.Hour)); !ok {
		t.Error("no repeat the next day")
	}

	// The staff check out at last: whoever the alarm reached is told, and it stops.
	v.s.Checkout = next
	step, err := v.CheckOut(colleague, due.Add(50*time.Minute))
	must(t, err)
	safe := v.SafeAlerts(step, brookLane, due.Add(50*time.Minute))
	if step != 2 || len(safe) != 4 || safe[0].Kind != "lone-worker-safe" || v.DueItems()[0].Due.Active {
		t.Errorf("step %d, safe %+v", step, safe)
	}
}

func TestRule_V8_CheckOutInTimeAlertsNobody(t *testing.T) {
	v := started(t)
	if _, err := v.CheckOut(governor, london(t, "2027-03-01 10:58:00")); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("someone else checked them out: %v", err)
	}
	step, err := v.CheckOut(dsl, london(t, "2027-03-01 10:58:00")) // the line manager takes their call
	must(t, err)
	if step != 0 || v.SafeAlerts(step, brookLane, london(t, "2027-03-01 10:58:00")) != nil {
		t.Errorf("step %d", step)
	}
	if _, _, ok := v.DueItems()[0].Advance(london(t, "2027-03-01 11:30:00")); ok {
		t.Error("an alarm after the check-out")
	}
	if _, err := v.CheckOut(teacher, london(t, "2027-03-01 10:59:00")); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("checked out twice: %v", err)
	}
}

func TestRule_V8_TheAlarmGoesAtTheFirstScheduleTickAfterTheSchoolsSetting(t *testing.T) {
	sc := brookLane
	sc.LoneWorkerMinutes = 40
	v, err := planned(t, func(in *NewVisit) { in.PlannedEnd = london(t, "2027-03-01 11:05:00") })
	must(t, err)
	must(t, v.Authorise(head, london(t, "2027-02-26 16:00:00")))
	_, err = v.RecordCall(teacher, CallNoAnswer, "", london(t, "2027-03-01 09:30:00"))
	must(t, err)
	must(t, v.Start(teacher, nil, sc, london(t, "2027-03-01 09:55:00")))
	due := london(t, "2027-03-01 11:45:00")
	item := v.DueItems()[0]
	if !item.Due.DueAt.Equal(due) {
		t.Fatalf("due %s", item.Due.DueAt)
	}
	// The deadline engine runs every 15 minutes: the first run at or after the due time alarms.
	var fired time.Time
	for tick := london(t, "2027-03-01 10:00:00"); tick.Before(due.Add(time.Hour)); tick = tick.Add(15 * time.Minute) {
		if _, _, ok := item.Advance(tick); ok {
			fired = tick
			break
		}
	}
	if fired.Before(due) || fired.Sub(due) >= 15*time.Minute {
		t.Errorf("alarm at %s for a check-out due %s", fired, due)
	}
}

func TestRule_D8_OtherKindsKeepTheirLadder(t *testing.T) {
	s := safeguarding.NewDueState(london(t, "2026-11-23 17:00:00"), london(t, "2026-11-23 10:00:00"))
	for _, at := range []string{"2026-11-23 15:00:00", "2026-11-23 17:00:00", "2026-11-24 17:00:00"} {
		want, we, wok := s.Advance(london(t, at))
		got, ge, gok := safeguarding.DueItem{Kind: "action", Due: s}.Advance(london(t, at))
		if want != got || wok != gok || we.Audience != ge.Audience || we.Kind != ge.Kind {
			t.Errorf("at %s: %+v %+v, want %+v %+v", at, got, ge, want, we)
		}
		s = want
	}
}

func TestRule_V1_APlanSaysWhyAVisitAndWhyNowForTheSeniorDSLToAuthoriseOn(t *testing.T) {
	for name, tc := range map[string]string{
		"no reason":                "",
		"only spaces":              "  \n\t ",
		"too long":                 strings.Repeat("a", MaxReasonChars+1),
		"a control character":      "No answer\x00 this week",
		"a bidirectional override": "No answer \u202e this week",
		"not UTF-8":                "No answer \xff this week",
	} {
		_, err := planned(t, func(in *NewVisit) { in.Reason = tc })
		if err == nil {
			t.Errorf("%s: planned", name)
			continue
		}
		invalidField(t, err, "reason")
	}
	v, err := planned(t, func(in *NewVisit) {
		in.Reason = "  No answer to three calls.\nAlfie not seen since the closure began  "
	})
	must(t, err)
	if got := v.Reason(); got != "No answer to three calls.\nAlfie not seen since the closure began" {
		t.Errorf("reason kept as %q", got)
	}
	if _, err := planned(t, func(in *NewVisit) { in.Reason = strings.Repeat("é", MaxReasonChars) }); err != nil {
		t.Errorf("a reason of %d characters was refused: %v", MaxReasonChars, err)
	}
	// A plan through the API without the field is kept without a reason; one sent blank is not.
	v, err = planned(t, func(in *NewVisit) { in.Reason, in.WithoutReason = "", true })
	must(t, err)
	if v.Reason() != "" {
		t.Errorf("reason %q", v.Reason())
	}
	_, err = planned(t, func(in *NewVisit) { in.Reason, in.WithoutReason = "  ", true })
	invalidField(t, err, "reason")
}
