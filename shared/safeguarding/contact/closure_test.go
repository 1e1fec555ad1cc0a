package contact

import (
	"errors"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// A closure from Monday 11 January 2027 (rule E0): its school days are Mon 11 - Fri 15, Mon 18...
func closureFrom(t *testing.T, day string) safeguarding.Closure {
	t.Helper()
	return safeguarding.Closure{ID: "cl-2", School: school, From: london(t, day+" 00:00:00"), Version: 1}
}

func neverHeardFrom() Family {
	return RestoreFamily(FamilySnapshot{ID: "fam-09", School: school, Status: FamilyEngaged,
		Children: []FamilyChild{{Pupil: "p9", ClassName: "Acorns"}}, Version: 1})
}

// A family never heard from counts its silent school days from the closure's first school day:
// the check on the closure's 6th school day (5 silent) does not log it MISSING, the check on
// its 7th (6 silent) does.
func TestRule_E0_E2_ANeverAcknowledgingFamilyIsMissingOnTheClosuresSeventhSchoolDay(t *testing.T) {
	c := closureFrom(t, "2027-01-11")
	f := neverHeardFrom()
	if w, ok := f.Check(bankHolidays, bankHolidays, c, brookLane, "R6", london(t, "2027-01-18 05:30:00")); ok && w.Family.Status() == FamilyMissing {
		t.Fatalf("logged MISSING on the closure's 6th school day (5 silent)")
	}
	if n := f.SilentSchoolDays(bankHolidays, c, london(t, "2027-01-18 05:30:00")); n != 5 {
		t.Errorf("6th school day: %d silent, want 5", n)
	}
	w, ok := f.Check(bankHolidays, bankHolidays, c, brookLane, "R7", london(t, "2027-01-19 05:30:00"))
	if !ok || w.Family.Status() != FamilyMissing || w.OpenCall == nil {
		t.Fatalf("not logged MISSING on the closure's 7th school day (6 silent): %+v", w)
	}
	// A closure that began on a Saturday counts from the Monday.
	if n := f.SilentSchoolDays(bankHolidays, closureFrom(t, "2027-01-09"), london(t, "2027-01-19 05:30:00")); n != 6 {
		t.Errorf("a closure from a Saturday: %d silent, want 6", n)
	}
}

// A family added during the closure counts from the day it was added, not from the first day.
func TestRule_E0_AFamilyAddedDuringTheClosureCountsFromTheDayItWasAdded(t *testing.T) {
	c := closureFrom(t, "2027-01-11")
	f := neverHeardFrom()
	f.StartTracking(bankHolidays, london(t, "2027-01-14 10:00:00")) // Thursday of the first week
	// The check on Tue 19 Jan counts Thu 14, Fri 15, Mon 18: three, not six.
	if n := f.SilentSchoolDays(bankHolidays, c, london(t, "2027-01-19 05:30:00")); n != 3 {
		t.Fatalf("added Thursday: %d silent on Tuesday, want 3", n)
	}
	if w, ok := f.Check(bankHolidays, bankHolidays, c, brookLane, "R", london(t, "2027-01-19 05:30:00")); ok && w.Family.Status() == FamilyMissing {
		t.Fatal("logged MISSING counting from before it was added")
	}
	// Thu 14 - Thu 21 is six school days: the check on Fri 22 logs it, and the look index
	// has the family on that day or before.
	if f.NextLook().IsZero() || f.NextLook().After(london(t, "2027-01-22 00:00:00")) {
		t.Errorf("next look %v, want on or before Fri 22 Jan", f.NextLook())
	}
	w, ok := f.Check(bankHolidays, bankHolidays, c, brookLane, "R", london(t, "2027-01-22 05:30:00"))
	if !ok || w.Family.Status() != FamilyMissing {
		t.Fatalf("not MISSING after six school days from the day it was added: %+v", w)
	}
}

// Outside a closure nothing is counted: before one, after its last day, or with none at all.
// A family still MISSING when it ends stays MISSING, with its call, until contact is made.
func TestRule_E0_NothingIsCountedOutsideAClosure(t *testing.T) {
	f := neverHeardFrom()
	checkAt := london(t, "2027-02-09 05:30:00")
	if w, ok := f.Check(bankHolidays, bankHolidays, safeguarding.Closure{}, brookLane, "R", checkAt); ok && w.Family.Status() == FamilyMissing {
		t.Fatal("MISSING without a closure")
	}
	if n := f.SilentSchoolDays(bankHolidays, safeguarding.Closure{}, checkAt); n != 0 {
		t.Errorf("%d silent days without a closure", n)
	}
	ended := closureFrom(t, "2027-01-11")
	ended.LastDay = london(t, "2027-01-15 00:00:00") // one week: five school days
	if n := f.SilentSchoolDays(bankHolidays, ended, checkAt); n != 5 {
		t.Errorf("after the closure: %d silent, want the closure's 5 and no more", n)
	}
	if w, ok := f.Check(bankHolidays, bankHolidays, ended, brookLane, "R", checkAt); ok && w.Family.Status() == FamilyMissing {
		t.Fatal("MISSING by a check after the closure ended")
	}
	// MISSING in the closure, still MISSING after it: no new step, the call stays.
	open := closureFrom(t, "2027-01-11")
	w, _ := f.Check(bankHolidays, bankHolidays, open, brookLane, "R", london(t, "2027-01-19 05:30:00"))
	missing := w.Family
	open.LastDay = london(t, "2027-01-20 00:00:00")
	if w, ok := missing.Check(bankHolidays, bankHolidays, open, brookLane, "R", london(t, "2027-03-01 05:30:00")); ok &&
		(w.Family.Status() != FamilyMissing || w.CloseCall != "" || !w.Family.LARaisedAt().IsZero() || len(w.Alerts) > 0) {
		t.Fatalf("a check after the closure changed a MISSING family: %+v", w)
	}
	if missing.Status() != FamilyMissing || missing.CallDueAt().IsZero() {
		t.Fatalf("%+v", missing)
	}
}

// A DSL, or staff designated for closure contact, takes the call the DSLs hold as a group;
// a call already taken is not taken again, and a colleague not designated cannot take it.
func TestRule_E3_TheCallIsTakenByADSLOrDesignatedStaff(t *testing.T) {
	w, _ := neverHeardFrom().Check(bankHolidays, bankHolidays, closureFrom(t, "2027-01-11"), brookLane, "R", london(t, "2027-01-19 05:30:00"))
	f := RestoreFamily(func() FamilySnapshot { s := w.Family.Snapshot(); s.CallKey = "CALL#x"; return s }())
	if _, err := f.TakeCall(colleague, false, london(t, "2027-01-19 09:00:00")); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a colleague not designated: %v", err)
	}
	taken, err := f.TakeCall(colleague, true, london(t, "2027-01-19 09:00:00"))
	if err != nil || taken.AssignCall != colleague.Email || taken.Family.CallOwner() != colleague.Email {
		t.Fatalf("designated staff: %+v %v", taken, err)
	}
	if _, err := taken.Family.TakeCall(dsl, false, london(t, "2027-01-19 09:05:00")); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("taken twice: %v", err)
	}
	if _, err := neverHeardFrom().TakeCall(dsl, false, london(t, "2027-01-19 09:00:00")); err == nil {
		t.Error("took a call of a family with none due")
	}
}
