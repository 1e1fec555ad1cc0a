package main

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Brook Lane's closure of these tests starts on Monday 11 January 2027: its school days are
// Mon 11 - Fri 15 (the 1st to the 5th), Mon 18 (the 6th), Tue 19 (the 7th).

func (w *world) closures() engagement.Closures {
	return engagement.Closures{Store: w.st, NewID: store.NewID}
}

// startClosure starts Brook Lane's closure as its Senior DSL, Helen, on the morning of from.
func (w *world) startClosure(from string) safeguarding.Closure {
	w.t.Helper()
	c, err := w.closures().Start(context.Background(), safeguarding.Caller{Email: head, At: local(from + " 07:45")}, seed.BrookLane, local(from+" 00:00"), safeguarding.RequestKey{}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return c
}

func (w *world) calls(who, at string) []engagement.Call {
	w.t.Helper()
	calls, err := w.eng.CallsFor(context.Background(), safeguarding.Caller{Email: who, At: local(at)}, seed.BrookLane)
	if err != nil {
		w.t.Fatal(err)
	}
	return calls
}

// A family never heard from (fam-01, the Ahmeds) is logged MISSING by the check on the
// closure's 7th school day (6 silent school days), not by the check on its 6th (5); a family
// that acknowledged on the closure's 3rd day (fam-03) is not.
func TestRule_E0_E2_ANeverAcknowledgingFamilyIsLoggedMissingOnTheClosuresSeventhSchoolDay(t *testing.T) {
	w := newWorldWithoutClosure(t)
	// Before any closure nothing is counted, however long the silence.
	w.run("2027-01-08")
	if f := w.family("fam-01"); f.Status() != contact.FamilyEngaged {
		t.Fatalf("missing before any closure: %+v", f)
	}
	w.startClosure("2027-01-11")
	w.ack(dsl, local("2027-01-13 16:00"), contact.Acknowledgement{FamilyID: "fam-03"})
	for _, day := range []string{"2027-01-11", "2027-01-12", "2027-01-15", "2027-01-18"} {
		w.run(day)
		if f := w.family("fam-01"); f.Status() != contact.FamilyEngaged {
			t.Fatalf("missing by the check on %s, before the closure's 7th school day: %+v", day, f)
		}
	}
	w.run("2027-01-19")
	f := w.family("fam-01")
	if f.Status() != contact.FamilyMissing || f.CallDueAt().IsZero() || f.CallOwner() != "" {
		t.Fatalf("not missing on the closure's 7th school day: %+v", f)
	}
	if got := w.family("fam-03"); got.Status() != contact.FamilyEngaged {
		t.Errorf("a family that acknowledged on the 3rd day is missing: %+v", got)
	}
	if got := w.scan("chronology", "pupil", "entryType"); !slices.Contains(got, "[bl-01 missing]") {
		t.Errorf("no missing entry in the child's chronology: %v", got)
	}
	// The look at every family is taken once, recorded on the school's closure.
	if c, err := w.st.LatestClosure(context.Background(), seed.BrookLane); err != nil || !c.Swept {
		t.Errorf("the closure's look at every family is not recorded: %+v %v", c, err)
	}
}

// A family added during the closure counts its silent school days from the day it was added.
func TestRule_E0_AFamilyAddedDuringTheClosureCountsFromTheDayItWasAdded(t *testing.T) {
	w := newWorldWithoutClosure(t)
	w.startClosure("2027-01-11")
	// A new family arrives with the MIS import on Thursday 14 January, as the import writes it.
	f := contact.RestoreFamily(contact.FamilySnapshot{ID: "fam-new", School: seed.BrookLane, Status: contact.FamilyEngaged,
		Children: []contact.FamilyChild{{Pupil: "bl-01", ClassName: "Acorns"}}, Version: 1})
	f.StartTracking(safeguarding.Weekdays{}, local("2027-01-14 11:00"))
	apitest.Must(t, w.st.PutFamily(context.Background(), f))
	w.run("2027-01-19") // the closure's 7th day: Thu 14, Fri 15, Mon 18 for the new family
	if got := w.family("fam-new"); got.Status() == contact.FamilyMissing {
		t.Fatalf("the new family counted from before it was added: %+v", got)
	}
	w.run("2027-01-21") // Thu 14 - Wed 20: five
	if got := w.family("fam-new"); got.Status() == contact.FamilyMissing {
		t.Fatalf("missing after five school days: %+v", got)
	}
	w.run("2027-01-22") // Thu 14 - Thu 21: six
	if got := w.family("fam-new"); got.Status() != contact.FamilyMissing {
		t.Fatalf("not missing after six school days from the day it was added: %+v", got)
	}
}

// Nothing is counted after the closure ends: a family silent through a closure of five school
// days is never logged MISSING, however long it stays silent afterwards; one MISSING when it
// ends stays on the list, with its call on the ladder, until contact is made.
func TestRule_E0_NothingIsCountedAfterTheClosureEnds(t *testing.T) {
	w := newWorldWithoutClosure(t)
	c := w.startClosure("2027-01-11")
	w.run("2027-01-19")
	if f := w.family("fam-01"); f.Status() != contact.FamilyMissing {
		t.Fatalf("%+v", f)
	}
	// fam-03 acknowledged on the 7th day: silent from Wed 20 on.
	w.ack(dsl, local("2027-01-19 16:00"), contact.Acknowledgement{FamilyID: "fam-03"})
	ended, err := w.closures().End(context.Background(), safeguarding.Caller{Email: head, At: local("2027-01-22 15:00")}, seed.BrookLane, c.ID, local("2027-01-22 00:00"), safeguarding.RequestKey{}, "")
	if err != nil || !ended.LastDay.Equal(local("2027-01-22 00:00")) {
		t.Fatal(ended, err)
	}
	for _, day := range []string{"2027-01-25", "2027-02-01", "2027-02-15", "2027-03-01"} {
		w.run(day)
	}
	if f := w.family("fam-03"); f.Status() != contact.FamilyEngaged {
		t.Errorf("counted after the closure: %+v", f)
	}
	f := w.family("fam-01")
	if f.Status() != contact.FamilyMissing || !f.LARaisedAt().IsZero() || f.CallKey() == "" {
		t.Fatalf("a family missing when the closure ended: %+v", f)
	}
	if got := w.scan("call", "family", "dueActive"); !slices.Contains(got, "[fam-01 true]") {
		t.Errorf("the call left the ladder: %v", got)
	}
	rows, err := w.eng.MissingFamilies(context.Background(), safeguarding.Caller{Email: dsl, At: local("2027-03-01 09:00")}, seed.BrookLane)
	if err != nil || !slices.ContainsFunc(rows, func(r engagement.FamilyRow) bool { return r.Family.ID() == "fam-01" && r.SchoolDaysSilent == 10 }) {
		t.Errorf("the missing list after the closure (10 silent days, the closure's): %+v %v", rows, err)
	}
}

// The E3 call belongs to the DSLs as a group: it is in the work of each of them (Daniel, the
// DSL, and Helen, the Senior DSL) and in nobody else's, and its ladder's first step alerts the
// DSLs; once Tom, designated for closure contact, takes it, it is in his work only and the
// ladder alerts him.
func TestRule_E3_TheCallIsInEachDSLsWorkUntilSomeoneTakesIt(t *testing.T) {
	w := newWorldWithoutClosure(t)
	w.startClosure("2027-01-11")
	w.run("2027-01-19")
	for _, who := range []string{dsl, head} {
		if calls := w.calls(who, "2027-01-19 08:00"); !slices.ContainsFunc(calls, func(c engagement.Call) bool { return c.Family == "fam-01" && c.Owner == "" }) {
			t.Errorf("%s's work has no call to fam-01: %+v", who, calls)
		}
	}
	if calls := w.calls(tom, "2027-01-19 08:00"); len(calls) != 0 {
		t.Errorf("Tom's work before he took a call: %+v", calls)
	}
	// Overdue the next morning, nobody having taken it: the DSLs are told.
	engine := deadlines.Deadlines{Store: w.st, Parallel: 1}
	if _, err := engine.Run(context.Background(), local("2027-01-20 06:00")); err != nil {
		t.Fatal(err)
	}
	if got := w.scan("outbox", "kind", "recipient", "reference"); !slices.Contains(got, "[overdue "+dsl+" FAM-01]") {
		t.Errorf("the overdue call did not reach the DSLs: %v", got)
	}
	// Priya, neither a DSL nor designated, cannot take it; Tom can, once.
	if _, err := w.eng.TakeCall(context.Background(), safeguarding.Caller{Email: apitest.Priya, At: local("2027-01-20 08:00")}, seed.BrookLane, "fam-01"); err == nil {
		t.Error("Priya took the call")
	}
	f, err := w.eng.TakeCall(context.Background(), safeguarding.Caller{Email: tom, At: local("2027-01-20 08:00")}, seed.BrookLane, "fam-01")
	if err != nil || f.CallOwner() != tom {
		t.Fatal(f, err)
	}
	if _, err := w.eng.TakeCall(context.Background(), safeguarding.Caller{Email: dsl, At: local("2027-01-20 08:05")}, seed.BrookLane, "fam-01"); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a call taken twice: %v", err)
	}
	if calls := w.calls(tom, "2027-01-20 08:10"); len(calls) != 1 || calls[0].Family != "fam-01" || calls[0].Owner != tom {
		t.Errorf("Tom's work: %+v", calls)
	}
	if calls := w.calls(dsl, "2027-01-20 08:10"); slices.ContainsFunc(calls, func(c engagement.Call) bool { return c.Family == "fam-01" }) {
		t.Errorf("the DSL's work still has the call Tom took: %+v", calls)
	}
	if got := w.scan("call", "family", "dueAssignee"); !slices.Contains(got, "[fam-01 "+tom+"]") {
		t.Errorf("the call's ladder is not Tom's: %v", got)
	}
	if got := w.scan("audit", "actor", "action", "subject"); !slices.Contains(got, "["+tom+" family.call-taken family/fam-01]") {
		t.Errorf("taking the call was not audited: %v", got)
	}
}
