package contact

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// holidays is a calendar of weekends and a few bank holidays of England and Wales, enough for
// these tests (shared/calendar tests the real list, substitute days included).
type holidays map[string]bool

func (h holidays) IsSchoolDay(d time.Time) bool {
	return safeguarding.Weekdays{}.IsSchoolDay(d) && !h[safeguarding.LocalDay(d).Format(time.DateOnly)]
}

var bankHolidays = holidays{"2026-12-25": true, "2026-12-28": true, "2027-01-01": true, "2027-03-26": true, "2027-03-29": true}

// closure is a full closure open since Monday 5 January 2026 (rule E0): every check of these
// tests falls in it, so every family is counted.
var closure = safeguarding.Closure{ID: "cl-1", School: school, From: time.Date(2026, 1, 5, 0, 0, 0, 0, safeguarding.London), Version: 1}

func family(lastContact time.Time) Family {
	return RestoreFamily(FamilySnapshot{ID: "fam-07", School: school, Status: FamilyEngaged, LastContactAt: lastContact, LastContactHow: AckThumbsUp,
		Children: []FamilyChild{{Pupil: "p1", ClassName: "Willows"}, {Pupil: "p2", ClassName: "Acorns"}}, Version: 3})
}

// check runs the job's look at a family at 06:00 on a local date.
func check(t *testing.T, f Family, cal safeguarding.Calendar, date string) (FamilyWrite, bool) {
	t.Helper()
	return f.Check(cal, bankHolidays, closure, brookLane, "01JRUN", london(t, date+" 06:00:00"))
}

func TestRule_E2_FamilySilentFiveSchoolDaysIsNotMissing(t *testing.T) {
	// Acknowledged Friday 6 Nov 2026; Monday 16 Nov's check counts Mon 9 - Fri 13: five days.
	f := family(london(t, "2026-11-06 18:30:00"))
	if n := f.SilentSchoolDays(bankHolidays, closure, london(t, "2026-11-16 06:00:00")); n != 5 {
		t.Fatalf("silent %d, want 5", n)
	}
	w, ok := check(t, f, bankHolidays, "2026-11-16")
	if ok && w.Family.Status() == FamilyMissing {
		t.Fatalf("five silent school days is not missing: %+v", w.Family)
	}
}

func TestRule_E2_FamilySilentSixSchoolDaysIsMissing(t *testing.T) {
	f := family(london(t, "2026-11-06 18:30:00"))
	w, ok := check(t, f, bankHolidays, "2026-11-17") // Tuesday: Mon 9 - Mon 16 is six days
	if !ok || w.Family.Status() != FamilyMissing || w.PrevVersion != 3 || w.Family.Version() != 4 {
		t.Fatalf("six silent school days: %+v", w)
	}
	if len(w.Entries) != 2 || w.Entries[0].Type != safeguarding.EntryMissing || w.Entries[0].Pupil != "p1" || w.Entries[1].Pupil != "p2" {
		t.Errorf("a missing entry in each child's chronology: %+v", w.Entries)
	}
	var dsls []string
	for _, a := range w.Alerts {
		dsls = append(dsls, a.Recipient)
		if a.Kind != "missing" || a.Audience != safeguarding.AudienceDSL || a.Reference != "FAM-07" {
			t.Errorf("alert %+v", a)
		}
	}
	if strings.Join(dsls, ",") != dsl.Email {
		t.Errorf("the DSLs are alerted: %v", dsls)
	}
}

// Rule P4 for a job: the escalation job's MISSING entries, and its raising of the LA, commit
// with audit entries naming the job as the actor, the family and its children; a look that
// changes nothing audits nothing.
func TestRule_P4_E2_TheEscalationJobIsAuditedAsTheActorOfWhatItWrites(t *testing.T) {
	f := family(london(t, "2026-11-06 18:30:00"))
	w, ok := check(t, f, bankHolidays, "2026-11-17")
	if !ok || len(w.Audits) != 1 {
		t.Fatalf("no audit entry with the MISSING entries: %+v", w)
	}
	a := w.Audits[0]
	if a.Actor != EscalationActor || a.Action != AuditFamilyMissing || a.Subject != "family/fam-07" || a.School != school ||
		len(a.Pupils) != 2 || a.ID == "" || !a.At.Equal(london(t, "2026-11-17 06:00:00")) {
		t.Errorf("audit entry %+v", a)
	}
	quiet := family(london(t, "2026-11-13 18:30:00"))
	if w, ok := check(t, quiet, bankHolidays, "2026-11-17"); ok && len(w.Audits) != 0 {
		t.Errorf("a look that writes no chronology audited %+v", w.Audits)
	}
	// Twenty school days and more without a word, looked at for the first time: MISSING and
	// the LA raised in one look, each audited.
	long := family(london(t, "2026-10-01 18:30:00"))
	w, ok = check(t, long, bankHolidays, "2026-11-17")
	if !ok || len(w.Audits) != 2 || w.Audits[1].Action != AuditFamilyLARaised || w.Audits[1].Actor != EscalationActor || w.Audits[1].ID == w.Audits[0].ID {
		t.Errorf("audit entries %+v", w.Audits)
	}
}

func TestRule_E2_WeekendsBankHolidaysINSETAndHalfTermAreNotCounted(t *testing.T) {
	cal := safeguarding.SchoolCalendar{School: school, BankHolidays: bankHolidays, DaysOff: []safeguarding.DayOff{
		{Kind: safeguarding.DayOffINSET, From: london(t, "2027-01-04 00:00:00"), To: london(t, "2027-01-04 00:00:00")},
		{Kind: safeguarding.DayOffHoliday, From: london(t, "2026-12-21 00:00:00"), To: london(t, "2027-01-01 00:00:00")},
		{Kind: safeguarding.DayOffHoliday, From: london(t, "2027-02-15 00:00:00"), To: london(t, "2027-02-19 00:00:00")},
	}}
	for _, tc := range []struct {
		name, last, check string
		want              int
	}{
		{"a weekend", "2026-11-13 15:00:00", "2026-11-17", 1},
		{"Christmas holidays, bank holidays and an INSET day", "2026-12-18 15:00:00", "2027-01-12", 5},
		{"half term", "2027-02-12 15:00:00", "2027-02-23", 1},
		{"Good Friday and Easter Monday, no school holiday entered", "2027-03-25 15:00:00", "2027-04-02", 3},
	} {
		f := family(london(t, tc.last))
		if got := f.SilentSchoolDays(cal, closure, london(t, tc.check+" 06:00:00")); got != tc.want {
			t.Errorf("%s: silent %d, want %d", tc.name, got, tc.want)
		}
	}
}

func TestRule_E2_ClocksChangingCountNeitherMoreNorFewerDays(t *testing.T) {
	// Acknowledged at 23:30 on Friday 23 Oct 2026 (BST; 22:30 UTC); the clocks go back on the
	// Sunday. The check on Tuesday 3 Nov at 00:30 GMT counts Mon 26 Oct - Mon 2 Nov: six days.
	f := family(time.Date(2026, 10, 23, 22, 30, 0, 0, time.UTC))
	if n := f.SilentSchoolDays(bankHolidays, closure, time.Date(2026, 11, 3, 0, 30, 0, 0, time.UTC)); n != 6 {
		t.Errorf("across the end of BST: %d, want 6", n)
	}
	// An acknowledgement at 00:30 BST on Saturday 28 Mar 2026 is 23:30 UTC on Friday: a Saturday.
	f = family(time.Date(2026, 3, 27, 23, 30, 0, 0, time.UTC))
	if n := f.SilentSchoolDays(bankHolidays, closure, london(t, "2026-04-07 06:00:00")); n != 6 {
		t.Errorf("across the start of BST: %d, want 6 (Mon 30 Mar - Mon 6 Apr, none a holiday here)", n)
	}
}

// The call belongs to the DSLs as a group (no assignee) until one of them takes it.
func TestRule_E3_AMissingFamilyGetsAPhoneCallDueWithin24Hours(t *testing.T) {
	w, _ := check(t, family(london(t, "2026-11-06 18:30:00")), bankHolidays, "2026-11-17")
	c := w.OpenCall
	if c == nil || c.Kind != "phone-call" || !c.Due.DueAt.Equal(london(t, "2026-11-18 06:00:00")) || !c.Due.Active || c.Assignee != "" {
		t.Fatalf("call %+v", c)
	}
	if w.Family.CallOwner() != "" {
		t.Errorf("the call has an owner before anyone took it: %q", w.Family.CallOwner())
	}
	if !w.Family.CallDueAt().Equal(c.Due.DueAt) {
		t.Errorf("the family shows the call due: %v", w.Family.CallDueAt())
	}
}

func TestRule_E5_NineteenSilentSchoolDaysIsNotYetTheLA(t *testing.T) {
	missing, _ := check(t, family(london(t, "2026-11-06 18:30:00")), bankHolidays, "2026-11-17")
	// Mon 9 Nov + 19 school days is Thursday 3 Dec; the check on Friday 4 Dec counts 19.
	w, ok := check(t, missing.Family, bankHolidays, "2026-12-04")
	if ok && !w.Family.LARaisedAt().IsZero() {
		t.Fatal("19 silent school days raised the LA")
	}
	w, ok = check(t, missing.Family, bankHolidays, "2026-12-07")
	if !ok || w.Family.LARaisedAt().IsZero() || len(w.Alerts) != 1 || w.Alerts[0].Kind != "la-notification" ||
		w.Alerts[0].Audience != safeguarding.AudienceSeniorDSL || w.Alerts[0].Recipient != head.Email {
		t.Fatalf("20 silent school days: %+v", w)
	}
	brief := w.Family.LABrief(bankHolidays, closure, london(t, "2026-12-07 09:00:00"))
	for _, want := range []string{"FAM-07", "6 Nov 2026", "20 school days", "logged missing 17 Nov 2026", "0 attempts"} {
		if !strings.Contains(brief, want) {
			t.Errorf("the brief %q lacks %q", brief, want)
		}
	}
}

func TestRule_E2_E5_ARerunTheSameDayChangesNothing(t *testing.T) {
	w, _ := check(t, family(london(t, "2026-11-06 18:30:00")), bankHolidays, "2026-11-17")
	if again, ok := check(t, w.Family, bankHolidays, "2026-11-17"); ok {
		t.Errorf("a second run wrote %+v", again)
	}
}

func TestRule_E2_E5_AMissedRunIsCaughtUpWithoutSkippingAStep(t *testing.T) {
	// No run from 17 Nov until 8 Dec: MISSING and the LA in one look, in that order.
	w, ok := check(t, family(london(t, "2026-11-06 18:30:00")), bankHolidays, "2026-12-08")
	if !ok || w.Family.Status() != FamilyMissing || w.Family.LARaisedAt().IsZero() || w.OpenCall == nil {
		t.Fatalf("%+v", w.Family)
	}
	if len(w.Alerts) != 2 || w.Alerts[0].Kind != "missing" || w.Alerts[1].Kind != "la-notification" {
		t.Errorf("alerts %+v", w.Alerts)
	}
}

func TestRule_E2_TheNextLookIsTheDayAfterTheSixthSilentSchoolDay(t *testing.T) {
	f := family(london(t, "2026-11-06 18:30:00"))
	w, ok := check(t, f, bankHolidays, "2026-11-10")
	if !ok || !w.Family.NextLook().Equal(london(t, "2026-11-17 00:00:00")) {
		t.Fatalf("next look %v", w.Family.NextLook())
	}
	w, _ = check(t, f, bankHolidays, "2026-11-17")
	if !w.Family.NextLook().Equal(london(t, "2026-12-05 00:00:00")) { // the day after the 20th: Fri 4 Dec
		t.Errorf("after missing, the next look %v", w.Family.NextLook())
	}
}

func TestRule_E1_OneSiblingsAcknowledgementCountsForTheFamily(t *testing.T) {
	f := family(london(t, "2026-11-06 18:30:00"))
	willows := teacher
	if !CanAcknowledge(willows, f, []string{"Willows"}) || CanAcknowledge(willows, f, []string{"Oaks"}) {
		t.Error("a teacher acknowledges for the families of their own class only")
	}
	w, ok, err := f.Acknowledge(Acknowledgement{FamilyID: f.ID(), At: london(t, "2026-11-16 10:00:00"), Kind: AckWorkSeen}, teacher.Email, "01JACK", london(t, "2026-11-16 12:00:00"))
	if err != nil || !ok || !w.Family.LastContactAt().Equal(london(t, "2026-11-16 10:00:00")) {
		t.Fatalf("%+v %v", w, err)
	}
	if n := w.Family.SilentSchoolDays(bankHolidays, closure, london(t, "2026-11-17 06:00:00")); n != 0 {
		t.Errorf("both children's family is silent %d days after one child's acknowledgement", n)
	}
	if _, ok, _ := w.Family.Acknowledge(Acknowledgement{At: london(t, "2026-11-16 10:00:00"), Kind: AckWorkSeen}, teacher.Email, "x", london(t, "2026-11-16 12:05:00")); ok {
		t.Error("the same acknowledgement again changed the family")
	}
	if _, _, err := f.Acknowledge(Acknowledgement{At: london(t, "2026-11-16 10:00:00"), Kind: "emoji"}, teacher.Email, "x", london(t, "2026-11-16 12:05:00")); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("an unknown kind: %v", err)
	}
}

func TestRule_E6_AnAcknowledgementEndsMissingWithAContactRestoredEntry(t *testing.T) {
	m, _ := check(t, family(london(t, "2026-11-06 18:30:00")), bankHolidays, "2026-11-17")
	missing := m.Family
	missing.s.CallKey = "CALL#1"
	w, ok, err := missing.Acknowledge(Acknowledgement{At: london(t, "2026-11-17 08:10:00"), Kind: AckMessage}, teacher.Email, "01JACK", london(t, "2026-11-17 08:15:00"))
	if err != nil || !ok || w.Family.Status() != FamilyEngaged || w.CloseCall != "CALL#1" || w.Family.CallKey() != "" {
		t.Fatalf("%+v %v", w, err)
	}
	if len(w.Entries) != 2 || w.Entries[0].Type != safeguarding.EntryContactRestored || !strings.Contains(w.Entries[0].Summary, "message") {
		t.Errorf("entries %+v", w.Entries)
	}
	c, err := missing.RecordContact(dsl, false, ContactAttempt{At: london(t, "2026-11-17 09:00:00"), Method: "phone-call", Established: true,
		Call: answeredCall(london(t, "2026-11-18 09:00:00"))}, "01JC", london(t, "2026-11-17 09:05:00"))
	if err != nil || c.Family.Status() != FamilyEngaged || len(c.Entries) != 4 || c.Entries[0].Type != safeguarding.EntryContact || c.Entries[2].Type != safeguarding.EntryContactRestored {
		t.Errorf("an established contact: %+v %v", c, err)
	}
}

func TestRule_E5_AttemptsAreCountedAndAPhoneCallAttemptClosesTheCall(t *testing.T) {
	m, _ := check(t, family(london(t, "2026-11-06 18:30:00")), bankHolidays, "2026-11-17")
	f := m.Family
	f.s.CallKey = "CALL#1"
	w, err := f.RecordContact(dsl, false, ContactAttempt{At: london(t, "2026-11-17 10:00:00"), Method: "phone-call", Notes: "No answer."}, "01JC", london(t, "2026-11-17 10:01:00"))
	if err != nil || w.Family.Status() != FamilyMissing || w.Family.Attempts() != 1 || w.CloseCall != "CALL#1" || len(w.Entries) != 2 {
		t.Fatalf("%+v %v", w, err)
	}
	if _, err := f.RecordContact(teacher, false, ContactAttempt{At: london(t, "2026-11-17 10:00:00"), Method: "phone-call"}, "x", london(t, "2026-11-17 10:01:00")); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher records contact attempts: %v", err)
	}
}

func TestRule_E4_TheSeniorDSLsDecisionWithItsReasonIsADecisionEntry(t *testing.T) {
	m, _ := check(t, family(london(t, "2026-11-06 18:30:00")), bankHolidays, "2026-11-17")
	if _, err := m.Family.Decide(dsl, "contact-social-care", "x", "id", london(t, "2026-11-18 10:00:00")); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a DSL decides: %v", err)
	}
	if _, err := m.Family.Decide(head, "contact-social-care", " ", "id", london(t, "2026-11-18 10:00:00")); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("without a reason: %v", err)
	}
	w, err := m.Family.Decide(head, "contact-social-care", "Known to early help; no answer in two days.", "id", london(t, "2026-11-18 10:00:00"))
	if err != nil || len(w.Entries) != 2 || w.Entries[0].Type != safeguarding.EntryDecision || !strings.Contains(w.Entries[0].Summary, "early help") {
		t.Fatalf("%+v %v", w, err)
	}
}

func TestRule_E5_TheSeniorDSLRecordsWhenTheLAWasInformed(t *testing.T) {
	m, _ := check(t, family(london(t, "2026-11-06 18:30:00")), bankHolidays, "2026-11-17")
	if _, err := m.Family.RecordLANotification(head, london(t, "2026-11-18 10:00:00"), "", "id", london(t, "2026-11-18 10:00:00")); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("before 20 days: %v", err)
	}
	la, _ := check(t, m.Family, bankHolidays, "2026-12-07")
	w, err := la.Family.RecordLANotification(head, london(t, "2026-12-07 11:00:00"), "Emailed the LA's inclusion team.", "id", london(t, "2026-12-07 11:30:00"))
	if err != nil || len(w.Entries) != 2 || w.Entries[0].Type != safeguarding.EntryLANotification || w.Family.LANotifiedAt().IsZero() {
		t.Fatalf("%+v %v", w, err)
	}
}

func TestRule_S2_FamilyAlertsNameNoOne(t *testing.T) {
	w, _ := check(t, family(london(t, "2026-11-06 18:30:00")), bankHolidays, "2026-12-08")
	for _, a := range w.Alerts {
		if a.Reference != "FAM-07" || a.Category != "" || strings.Contains(a.ID+a.Subject, "p1") {
			t.Errorf("alert %+v", a)
		}
	}
}

func TestSchoolCalendarTermsAndEditors(t *testing.T) {
	in := safeguarding.CalendarInput{Terms: []safeguarding.Term{{Name: "Autumn", From: london(t, "2026-09-03 00:00:00"), To: london(t, "2026-12-18 00:00:00")}}}
	if _, err := safeguarding.NewSchoolCalendar(teacher, safeguarding.SchoolCalendar{School: school}, in); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher edits the calendar: %v", err)
	}
	cal, err := safeguarding.NewSchoolCalendar(head, safeguarding.SchoolCalendar{School: school, BankHolidays: bankHolidays, Version: 2}, in)
	if err != nil || cal.Version != 3 {
		t.Fatalf("%+v %v", cal, err)
	}
	if cal.IsSchoolDay(london(t, "2026-09-02 12:00:00")) || !cal.IsSchoolDay(london(t, "2026-09-03 12:00:00")) || cal.IsSchoolDay(london(t, "2026-12-21 12:00:00")) {
		t.Error("outside a term is not a school day")
	}
	bad := safeguarding.CalendarInput{DaysOff: []safeguarding.DayOff{{Kind: "party", From: london(t, "2026-09-04 00:00:00"), To: london(t, "2026-09-03 00:00:00")}}}
	if _, err := safeguarding.NewSchoolCalendar(head, safeguarding.SchoolCalendar{School: school}, bad); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("a backwards period of an unknown kind: %v", err)
	}
}
