package contact

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// answeredCall is a complete record of rule H3 with the next call at next.
func answeredCall(next time.Time) *PhoneCall {
	yes := true
	return &PhoneCall{SpokenTo: "Adaeze Okafor, mother", IdentifiedBy: "Agreed carer on the form; confirmed the children's dates of birth",
		AgreedCarer: true, IsOK: "yes", Worries: "none", Background: "children laughing",
		Quotes:         []Quote{{Speaker: "Chidi", Words: "I made a den"}},
		FurtherContact: "Weekly call on the mobile", NextCallAt: next, HappyToBeContacted: &yes}
}

func problemFields(err error) []string {
	var v *safeguarding.ValidationError
	if !errors.As(err, &v) {
		return nil
	}
	var out []string
	for _, p := range v.Problems {
		out = append(out, p.Field)
	}
	return out
}

func TestRule_P3_OnlyDSLsTheSeniorDSLAndDesignatedStaffSeeContactDetails(t *testing.T) {
	for _, c := range []struct {
		who        safeguarding.Principal
		designated bool
		want       bool
	}{
		{dsl, false, true}, {head, false, true}, {teacher, true, true},
		{teacher, false, false}, {office, false, false}, {governor, false, false},
		{outsider, false, false}, {outsider, true, false}, // a designation elsewhere counts for nothing here
	} {
		if got := safeguarding.CanSeeContactDetails(c.who, school, c.designated); got != c.want {
			t.Errorf("%s designated=%v: %v, want %v", c.who.Email, c.designated, got, c.want)
		}
	}
	if !safeguarding.CanEditContactDetails(office, school) || !safeguarding.CanEditContactDetails(dsl, school) || safeguarding.CanEditContactDetails(teacher, school) {
		t.Error("the office and the DSLs keep details up to date, nobody else")
	}
}

func TestRule_H1_TwoNumbersConfirmedWithinThePeriod(t *testing.T) {
	now := london(t, "2026-11-23 09:00:00")
	within := DefaultUpToDateDays * 24 * time.Hour
	recent, old := london(t, "2026-09-07 09:00:00"), london(t, "2024-09-09 09:00:00")
	for _, c := range []struct {
		confirmed []time.Time
		short     bool
	}{
		{[]time.Time{recent, recent}, false},
		{[]time.Time{recent, old}, true},
		{[]time.Time{recent}, true},
		{[]time.Time{recent, {}}, true}, // never confirmed
		{nil, true},
		{[]time.Time{now.Add(-within), recent}, false}, // the edge of the period counts
	} {
		var d ContactDetails
		for _, at := range c.confirmed {
			d.s.Phones = append(d.s.Phones, ContactPhone{Label: "x", Number: "07700 900100", ConfirmedAt: at})
		}
		if got := d.ShortOfNumbers(now, within); got != c.short {
			t.Errorf("%v: short %v, want %v", c.confirmed, got, c.short)
		}
		if got := (ContactCheck{Confirmed: c.confirmed}).UpToDateNumbers(now, within) < MinUpToDateNumbers; got != c.short {
			t.Errorf("check %v: short %v, want %v", c.confirmed, got, c.short)
		}
	}
}

func TestNormalisePhoneAndPostcode(t *testing.T) {
	for in, want := range map[string]string{
		"07700 900123": "07700 900123", "07700900123": "07700 900123", "+44 7700 900123": "07700 900123",
		"0044 (7700) 900-123": "07700 900123", "0117 496 0123": "0117 4960123", "020 7946 0123": "020 79460123",
		"+33 1 23 45 67 89": "+33123456789", "01632 960123": "01632 960123",
	} {
		if got, ok := safeguarding.NormalisePhone(in); !ok || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{"", "999", "07700 900 12a", "7700900123", "+0 123", "0044", "00 7700 900123", "07700 900123 ext 4"} {
		if got, ok := safeguarding.NormalisePhone(bad); ok {
			t.Errorf("%q accepted as %q", bad, got)
		}
	}
	if pc, ok := NormalisePostcode(" zz1  1aa "); !ok || pc != "ZZ1 1AA" {
		t.Errorf("postcode %q %v", pc, ok)
	}
	for _, bad := range []string{"ZZ", "123 456", "ZZ1 1A"} {
		if _, ok := NormalisePostcode(bad); ok {
			t.Errorf("postcode %q accepted", bad)
		}
	}
}

func TestRule_P4_AChangeOfContactDetailsIsANewVersionWithItsReason(t *testing.T) {
	now := london(t, "2026-11-23 09:00:00")
	prev := RestoreContactDetails(ContactDetailsSnapshot{School: school, Family: "fam-07", Version: 1, Pupils: []safeguarding.PupilID{"p1"}})
	in := ContactInput{Version: 1, Reason: "Confirmed by phone with Mum",
		Phones:  []ContactPhone{{Label: "Mum, mobile", Number: "+44 7700 900100", ConfirmedAt: now}, {Label: "Home", Number: "0117 496 0123"}},
		Address: ContactAddress{Lines: []string{" 3 Alder Road ", "Brookhill"}, Postcode: "zz1 1aa"}}
	next, err := ReviseContactDetails(office, prev, in, now)
	if err != nil {
		t.Fatal(err)
	}
	if next.Version() != 2 || next.Reason() != in.Reason || next.ChangedBy() != office.Email || next.Phones()[0].Number != "07700 900100" ||
		!next.Phones()[1].ConfirmedAt.IsZero() || next.Address().Lines[0] != "3 Alder Road" || next.Address().Postcode != "ZZ1 1AA" ||
		!slices.Equal(next.Pupils(), prev.Pupils()) {
		t.Errorf("next %+v", next)
	}
	if _, err := ReviseContactDetails(teacher, prev, in, now); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher edits: %v", err)
	}
	stale := in
	stale.Version = 0
	if _, err := ReviseContactDetails(dsl, prev, stale, now); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a stale edit: %v", err)
	}
	bad := ContactInput{Version: 1, Phones: []ContactPhone{{Label: "", Number: "12"}, {Label: "Dad", Number: "07700900101", ConfirmedAt: now.Add(time.Hour)},
		{Label: "Dad again", Number: "07700 900 101"}}, Address: ContactAddress{Lines: []string{""}, Postcode: "nowhere"}}
	got := problemFields(func() error { _, err := ReviseContactDetails(dsl, prev, bad, now); return err }())
	for _, f := range []string{"phones[0].label", "phones[0].number", "phones[1].confirmedAt", "phones[2].number", "address.lines[0]", "address.postcode", "reason"} {
		if !slices.Contains(got, f) {
			t.Errorf("no problem for %s in %v", f, got)
		}
	}
}

func TestRule_P3_ADSLDesignatesStaffForClosureContact(t *testing.T) {
	now := london(t, "2026-11-23 09:00:00")
	c := ClosureContact{School: school, Email: teacher.Email}
	on, err := c.Designate(dsl, teacher, true, "Calls Acorns families", now)
	if err != nil || !on.Active || on.Version != 1 || len(on.History) != 1 || on.History[0].By != dsl.Email {
		t.Fatalf("%+v %v", on, err)
	}
	off, err := on.Designate(head, teacher, false, "", now.Add(time.Hour))
	if err != nil || off.Active || off.Version != 2 || len(off.History) != 2 || len(on.History) != 1 {
		t.Fatalf("%+v %v", off, err)
	}
	if _, err := c.Designate(office, teacher, true, "", now); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("the office designates: %v", err)
	}
	if _, err := c.Designate(dsl, outsider, true, "", now); !slices.Contains(problemFields(err), "email") {
		t.Errorf("someone of another school designated: %v", err)
	}
}

func TestRule_H2_EveryAttemptIsAContactEntryInEachChildsChronology(t *testing.T) {
	f := family(london(t, "2026-11-06 18:30:00"))
	now := london(t, "2026-11-23 10:05:00")
	at := london(t, "2026-11-23 10:00:00")
	for _, c := range []struct {
		method, outcome, says string
		reached               bool
	}{
		{"phone-call", OutcomeNoAnswer, "no answer", false},
		{"message", OutcomeMessageLeft, "message left", false},
		{"phone-call", OutcomeRefused, "the family refused contact", true},
		{"home-visit", OutcomeNotEstablished, "no contact established", false},
		{"email", OutcomeEstablished, "contact established", true},
	} {
		w, err := f.RecordContact(dsl, false, ContactAttempt{At: at, Method: c.method, Outcome: c.outcome}, "01JC", now)
		if err != nil {
			t.Fatalf("%s %s: %v", c.method, c.outcome, err)
		}
		if len(w.Entries) != 2 || w.Entries[0].Type != safeguarding.EntryContact || w.Entries[1].Pupil != "p2" || !strings.Contains(w.Entries[0].Summary, c.says) {
			t.Errorf("%s: entries %+v", c.outcome, w.Entries)
		}
		if reached := w.Family.LastContactAt().Equal(at); reached != c.reached {
			t.Errorf("%s: reached %v, want %v", c.outcome, reached, c.reached)
		}
		if declined := !w.Family.ContactDeclinedAt().IsZero(); declined != (c.outcome == OutcomeRefused) {
			t.Errorf("%s: declined %v", c.outcome, declined)
		}
	}
	// Staff designated for closure contact record calls too; other staff do not.
	if _, err := f.RecordContact(teacher, true, ContactAttempt{At: at, Method: "phone-call", Outcome: OutcomeNoAnswer}, "x", now); err != nil {
		t.Errorf("a designated teacher: %v", err)
	}
	if _, err := f.RecordContact(teacher, false, ContactAttempt{At: at, Method: "phone-call", Outcome: OutcomeNoAnswer}, "x", now); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher not designated: %v", err)
	}
	if _, err := f.RecordContact(dsl, false, ContactAttempt{At: at, Method: "phone-call", Outcome: "maybe"}, "x", now); !slices.Contains(problemFields(err), "outcome") {
		t.Errorf("an unknown outcome: %v", err)
	}
}

func TestRule_H3_AnAnsweredPhoneCallNeedsEveryFieldOfTheRecord(t *testing.T) {
	f := family(london(t, "2026-11-06 18:30:00"))
	now := london(t, "2026-11-23 10:05:00")
	at := london(t, "2026-11-23 10:00:00")
	_, err := f.RecordContact(dsl, false, ContactAttempt{At: at, Method: "phone-call", Outcome: OutcomeEstablished}, "x", now)
	if !slices.Contains(problemFields(err), "call") {
		t.Errorf("an answered call without its record: %v", err)
	}
	empty := &PhoneCall{Quotes: []Quote{{}}, Actions: []AgreedAction{{Assignee: "nobody"}}}
	_, err = f.RecordContact(dsl, false, ContactAttempt{At: at, Method: "phone-call", Established: true, Call: empty}, "x", now)
	got := problemFields(err)
	for _, field := range []string{"call.spokenTo", "call.identifiedBy", "call.agreedCarer", "call.isOk", "call.worries", "call.background",
		"call.quotes[0].speaker", "call.quotes[0].words", "call.actions[0].description", "call.actions[0].assigneeEmail", "call.actions[0].dueAt",
		"call.furtherContact", "call.happyToBeContacted"} {
		if !slices.Contains(got, field) {
			t.Errorf("no problem for %s in %v", field, got)
		}
	}
	c := answeredCall(time.Time{})
	_, err = f.RecordContact(dsl, false, ContactAttempt{At: at, Method: "phone-call", Established: true, Call: c}, "x", now)
	if !slices.Contains(problemFields(err), "call.nextCallAt") {
		t.Errorf("happy to be contacted with no next call: %v", err)
	}
	c = answeredCall(now.AddDate(0, 3, 0))
	if _, err = f.RecordContact(dsl, false, ContactAttempt{At: at, Method: "phone-call", Established: true, Call: c}, "x", now); !slices.Contains(problemFields(err), "call.nextCallAt") {
		t.Errorf("a next call three months away: %v", err)
	}
	c = answeredCall(now.AddDate(0, 0, 7))
	if _, err = f.RecordContact(dsl, false, ContactAttempt{At: at, Method: "phone-call", Outcome: OutcomeNoAnswer, Call: c}, "x", now); !slices.Contains(problemFields(err), "call") {
		t.Errorf("a call record on an unanswered call: %v", err)
	}
}

func TestRule_H3_AgreedActionsAndTheNextCallAreDueItems(t *testing.T) {
	f := family(london(t, "2026-11-06 18:30:00"))
	f.s.Status, f.s.MissingSince, f.s.CallKey = FamilyMissing, london(t, "2026-11-17 05:30:00"), "CALL#old"
	now := london(t, "2026-11-23 10:05:00")
	at := london(t, "2026-11-23 10:00:00")
	c := answeredCall(london(t, "2026-11-30 10:00:00"))
	c.Actions = []AgreedAction{{Description: "Send the reading books", Assignee: " T.Jones@brook.example ", DueAt: london(t, "2026-11-25 15:00:00")},
		{Description: "Ask the school nurse to call", Assignee: dsl.Email, DueAt: london(t, "2026-11-24 12:00:00")}}
	w, err := f.RecordContact(teacher, true, ContactAttempt{At: at, Method: "phone-call", Established: true, Call: c}, "01JCALL", now)
	if err != nil {
		t.Fatal(err)
	}
	if len(w.Actions) != 2 || w.Actions[0].Assignee != teacher.Email || w.Actions[0].DueItem().Kind != safeguarding.DueFamilyAction ||
		!w.Actions[0].Due.Active || !w.Actions[0].Due.DueAt.Equal(c.Actions[0].DueAt) || w.Actions[1].ID != "01JCALL-A2" || w.Actions[1].Status != safeguarding.ActionOpen {
		t.Errorf("actions %+v", w.Actions)
	}
	if w.OpenCall == nil || w.OpenCall.Kind != "phone-call" || w.OpenCall.Assignee != teacher.Email || !w.OpenCall.Due.DueAt.Equal(c.NextCallAt) ||
		!w.Family.CallDueAt().Equal(c.NextCallAt) || w.CloseCall != "CALL#old" {
		t.Errorf("next call %+v, close %q", w.OpenCall, w.CloseCall)
	}
	if w.Family.Status() != FamilyEngaged || !w.Family.ContactDeclinedAt().IsZero() {
		t.Errorf("family %+v", w.Family)
	}
	var contact safeguarding.ChronologyEntry
	for _, e := range w.Entries {
		if e.Type == safeguarding.EntryContact && e.Pupil == "p1" {
			contact = e
		}
	}
	for _, s := range []string{"Adaeze Okafor, mother", "confirmed the children's dates of birth", "Are they ok: yes", "Worries: none",
		"children laughing", "Chidi said: \"I made a den\"", "Send the reading books", "Weekly call", "Next call: Mon 30 Nov 2026 10:00", "still happy"} {
		if !strings.Contains(contact.Summary, s) {
			t.Errorf("the chronology entry does not say %q: %s", s, contact.Summary)
		}
	}
	if contact.Visibility.Author != teacher.Email {
		t.Errorf("the caller cannot see their own entry: %+v", contact.Visibility)
	}
}

func TestRule_H3_TheCallsEntryEndsEachAnswerWithOneFullStop(t *testing.T) {
	f := family(london(t, "2026-11-06 18:30:00"))
	now := london(t, "2026-11-23 10:05:00")
	c := answeredCall(london(t, "2026-11-30 10:00:00"))
	c.Background, c.Worries, c.FurtherContact = "Children laughing.", "None noted. ", "Weekly call."
	w, err := f.RecordContact(dsl, false, ContactAttempt{At: london(t, "2026-11-23 10:00:00"), Method: "phone-call", Established: true, Call: c}, "01JCALL", now)
	if err != nil {
		t.Fatal(err)
	}
	summary := w.Entries[0].Summary
	if strings.Contains(summary, "..") || !strings.Contains(summary, "Worries: None noted. Heard in the background: Children laughing. ") ||
		!strings.Contains(summary, "Further contact: Weekly call. ") {
		t.Errorf("the entry reads %q", summary)
	}
}

func TestRule_H3_AFamilyNoLongerHappyToBeContactedIsRecordedAndGetsNoNextCall(t *testing.T) {
	f := family(london(t, "2026-11-06 18:30:00"))
	now := london(t, "2026-11-23 10:05:00")
	no := false
	c := answeredCall(time.Time{})
	c.HappyToBeContacted = &no
	w, err := f.RecordContact(dsl, false, ContactAttempt{At: london(t, "2026-11-23 10:00:00"), Method: "phone-call", Established: true, Call: c}, "x", now)
	if err != nil {
		t.Fatal(err)
	}
	if w.OpenCall != nil || w.Family.ContactDeclinedAt().IsZero() || !strings.Contains(w.Entries[0].Summary, "NOT happy to be contacted") {
		t.Errorf("%+v", w)
	}
	c.NextCallAt = now.AddDate(0, 0, 7)
	if _, err := f.RecordContact(dsl, false, ContactAttempt{At: now, Method: "phone-call", Established: true, Call: c}, "x", now); !slices.Contains(problemFields(err), "call.nextCallAt") {
		t.Errorf("a next call for a family that does not want one: %v", err)
	}
	// A later call where they are happy again clears it.
	w.Family.s.Version++
	again, err := w.Family.RecordContact(dsl, false, ContactAttempt{At: now, Method: "phone-call", Established: true, Call: answeredCall(now.AddDate(0, 0, 7))}, "y", now)
	if err != nil || !again.Family.ContactDeclinedAt().IsZero() {
		t.Errorf("%+v %v", again.Family, err)
	}
}

func TestRule_D8_AnActionAgreedWithAFamilyIsCompletedByItsAssigneeOrADSL(t *testing.T) {
	now := london(t, "2026-11-23 10:00:00")
	a := FamilyAction{ID: "01J-A1", School: school, Family: "fam-07", Assignee: teacher.Email, Status: safeguarding.ActionOpen, Version: 1,
		Due: safeguarding.NewDueState(now.Add(48*time.Hour), now)}
	if _, err := a.Complete(colleague, "done", now); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a colleague completes: %v", err)
	}
	if _, err := a.Complete(teacher, " ", now); !slices.Contains(problemFields(err), "outcome") {
		t.Errorf("no outcome: %v", err)
	}
	done, err := a.Complete(teacher, "Books posted", now)
	if err != nil || done.Status != safeguarding.ActionCompleted || done.Due.Active || done.Version != 2 || done.CompletedBy != teacher.Email {
		t.Fatalf("%+v %v", done, err)
	}
	if _, err := done.Complete(dsl, "again", now); !slices.Contains(problemFields(err), "outcome") {
		t.Errorf("completed twice: %v", err)
	}
}
