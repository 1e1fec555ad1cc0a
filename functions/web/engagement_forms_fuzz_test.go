package main

import (
	"net/url"
	"slices"
	"strconv"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// The decoders of the families and calendar forms take any posted body: they never panic,
// keep within a batch's bounds, accept only what the domain can take, and give the same
// fingerprint for the same body.

var fuzzNow = time.Date(2026, 11, 6, 15, 30, 0, 0, safeguarding.London)

func checkProblems(t *testing.T, body string, ps []problem) {
	t.Helper()
	for _, p := range ps {
		if p.Anchor == "" || p.Message == "" || !utf8.ValidString(p.Message) {
			t.Fatalf("a problem without a place or message %+v for %q", p, body)
		}
	}
}

func FuzzAckForm(f *testing.F) {
	f.Add("key=k&class=Acorns&at=2026-11-06T15%3A30%3A00Z&ack-fam-06=thumbs-up&ack-fam-05=none&ack-fam-02=message")
	f.Add("at=2026-11-05T15%3A30%3A00Z&ack-fam-06=work-seen")
	f.Add("at=2027-11-06T15%3A30%3A00Z&ack-=thumbs-up&ack-x=&ack-%00=phoned")
	f.Add("at=not-a-time&ack-fam-01=thumbs-up&ack-fam-01=message")
	f.Add("at=2026-11-06T15%3A30%3A00Z&day=2026-11-04&ack-fam-06=work-seen&saved-fam-06=work-seen")
	f.Add("at=2026-11-06T15%3A30%3A00Z&day=2026-11-07&ack-fam-06=message&all=thumbs-up")
	f.Add("at=2026-11-06T15%3A30%3A00Z&ack-fam-06=message&saved-fam-06=message&ack-fam-05=thumbs-up")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := readAckForm(v)
		if len(form.Kinds) > contact.MaxAcknowledgements+1 {
			t.Fatalf("%d families kept from %q", len(form.Kinds), body)
		}
		acks, ps := form.acknowledgements(fuzzNow)
		checkProblems(t, body, ps)
		if len(ps) == 0 {
			if len(acks) == 0 && len(form.Saved) == 0 || len(acks) > contact.MaxAcknowledgements {
				t.Fatalf("no problem, yet %d acknowledgements from %q", len(acks), body)
			}
			day := safeguarding.LocalDay(fuzzNow)
			if form.Day != "" {
				day = safeguarding.LocalDay(acks[0].At)
				if !slices.ContainsFunc(sheetDays(fuzzNow), day.Equal) {
					t.Fatalf("recorded for %s from %q", day, body)
				}
			}
			for _, a := range acks {
				if a.FamilyID == "" || !slices.Contains(contact.AckKinds, a.Kind) || a.At.After(fuzzNow.Add(5*time.Minute)) ||
					!safeguarding.LocalDay(a.At).Equal(day) || form.Day == "" && form.Saved[a.FamilyID] == a.Kind {
					t.Fatalf("accepted %+v from %q", a, body)
				}
			}
		}
		if form.fingerprint("s") != readAckForm(v).fingerprint("s") {
			t.Fatalf("the fingerprint differs for the same body %q", body)
		}
	})
}

func FuzzFamilyForms(f *testing.F) {
	f.Add("key=c&method=phone-call&outcome=no-answer&contact-day=17&contact-month=11&contact-year=2026&contact-time=08%3A45&notes=No+answer")
	f.Add("outcome=established&method=phone-call&contact-day=31&contact-month=2&contact-year=2026&contact-time=25%3A00")
	f.Add("sent-day=7&sent-month=12&sent-year=2026&sent-time=0840&notes=x&decision=contact-social-care&reason=why")
	f.Add("sent-day=&sent-month=&sent-year=&sent-time=&decision=%00&reason=")
	f.Add("form=call&call-day=17&call-month=11&call-year=2026&call-time=09%3A10&spoken-to=Linh&agreed-carer=yes&is-ok=yes&quote-speaker=Linh&quote-words=fine" +
		"&action-description=Send+work&action-assignee=a%40b.c&action-due-date=2026-11-18&action-due-time=1500&action-description=&action-due-date=31%2F2%2F2026" +
		"&happy=yes&next-call-date=2026-11-24&next-call-time=9.30")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		c := readContactForm(v)
		in, ps := c.attempt()
		checkProblems(t, body, ps)
		if len(ps) == 0 && (in.At.IsZero() || in.Outcome == "" || in.Call != nil ||
			in.Method == "phone-call" && in.Outcome == contact.OutcomeEstablished) {
			t.Fatalf("no problem, yet %+v from %q", in, body)
		}
		call := readCallForm(v)
		if len(call.Quotes) > contact.MaxCallQuotes+1 || len(call.Actions) > contact.MaxCallActions+1 {
			t.Fatalf("%d quotes and %d actions kept from %q", len(call.Quotes), len(call.Actions), body)
		}
		answered, ps := call.attempt()
		checkProblems(t, body, ps)
		if answered.Call == nil || answered.Method != "phone-call" || answered.Outcome != contact.OutcomeEstablished {
			t.Fatalf("a call record that is not an answered phone call: %+v", answered)
		}
		if len(ps) == 0 && answered.At.IsZero() {
			t.Fatalf("no problem, yet no time of the call from %q", body)
		}
		for i, a := range call.Actions {
			if _, ok := dayAndTime(a.DueDate, a.DueTime); !ok && (a.DueDate != "" || a.DueTime != "") &&
				!slices.ContainsFunc(ps, func(p problem) bool { return p.Anchor == "action-due-date-"+strconv.Itoa(i) }) {
				t.Fatalf("action %d's due time %q %q is not a time, yet no problem from %q", i, a.DueDate, a.DueTime, body)
			}
		}
		if call.fingerprint("s", "f") != readCallForm(v).fingerprint("s", "f") {
			t.Fatalf("the call fingerprint differs for %q", body)
		}
		if c.fingerprint("s", "f") != readContactForm(v).fingerprint("s", "f") {
			t.Fatalf("the contact fingerprint differs for %q", body)
		}
		la := readLAForm(v)
		sent, ps := la.sentAt()
		checkProblems(t, body, ps)
		if len(ps) == 0 && sent.IsZero() {
			t.Fatalf("no problem, yet no sending time from %q", body)
		}
		d := readDecisionForm(v)
		if la.fingerprint("s", "f") != readLAForm(v).fingerprint("s", "f") || d.fingerprint("s", "f") != readDecisionForm(v).fingerprint("s", "f") {
			t.Fatalf("a fingerprint differs for %q", body)
		}
	})
}

func FuzzCalendarForm(f *testing.F) {
	f.Add("version=0&intent=save&term-name=Autumn&term-from=2026-09-03&term-to=2026-12-18&off-kind=inset&off-from=9%2F11%2F2026&off-to=&off-note=Training")
	f.Add("version=x&term-name=&term-from=2027-02-30&term-to=26+3+2027&term-remove=0&off-kind=holiday&off-from=1-2-3")
	f.Add("version=-1&term-to=2027&off-note=a&off-remove=7&off-remove=0")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := readCalendarForm(v)
		if len(form.Terms) > safeguarding.MaxCalendarPeriods+1 || len(form.DaysOff) > safeguarding.MaxCalendarPeriods+1 {
			t.Fatalf("%d terms and %d days off kept from %q", len(form.Terms), len(form.DaysOff), body)
		}
		in, version, ps := form.input()
		checkProblems(t, body, ps)
		if len(ps) > 0 {
			return
		}
		if version < 0 {
			t.Fatalf("version %d accepted from %q", version, body)
		}
		for _, term := range in.Terms {
			if term.From.IsZero() || term.To.IsZero() {
				t.Fatalf("a term without dates accepted from %q: %+v", body, term)
			}
		}
		for _, o := range in.DaysOff {
			if o.From.IsZero() || o.To.IsZero() {
				t.Fatalf("days off without dates accepted from %q: %+v", body, o)
			}
		}
	})
}
