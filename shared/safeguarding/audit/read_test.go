package audit

import (
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rule C5: an entry is tied to a concern by its subject (the concern, its files, its actions),
// and hidden with it; an entry about anything else is not.
func TestRule_C5_AnEntryIsTiedToItsConcernByItsSubject(t *testing.T) {
	for subject, want := range map[string]safeguarding.ConcernID{
		"concern/C1": "C1", "concern/C1/attachment/F1": "C1", "action/C1-A2": "C1",
		"pupil/p1": "", "dashboard": "", "action/C1": "", "family/f1/action/A1": "", "concern/": "",
	} {
		got, ok := ConcernOf(safeguarding.AuditEntry{Subject: subject})
		if got != want || ok != (want != "") {
			t.Errorf("%q: %q %v, want %q", subject, got, ok, want)
		}
		if want != "" && Shows(safeguarding.Principal{}, safeguarding.AuditEntry{Subject: subject}, nil) {
			t.Errorf("%q: shown without its concern", subject)
		}
	}
}

// Rule P4: the dates are school-local and both included; the last 7 days by default; at most
// 31; none after today.
func TestRule_P4_TheDatesOfAReading(t *testing.T) {
	now := time.Date(2026, 3, 29, 0, 30, 0, 0, time.UTC) // 00:30 GMT, the night the clocks go forward
	q, err := Filter{}.Check(now)
	if err != nil || q.From.Format(time.DateOnly) != "2026-03-23" || !q.To.Equal(time.Date(2026, 3, 30, 0, 0, 0, 0, safeguarding.London)) {
		t.Errorf("default: %v %v %v", q.From, q.To, err)
	}
	for _, f := range []Filter{{From: "2026-02-26", To: "2026-03-29"}, {To: "2026-03-30"}, {From: "2026-03-29", To: "2026-03-28"}, {From: "29/03/2026"}} {
		if _, err := f.Check(now); err == nil {
			t.Errorf("%+v was accepted", f)
		}
	}
	if _, err := (Filter{From: "2026-02-27", To: "2026-03-29", Person: "system:escalation"}).Check(now); err != nil {
		t.Errorf("31 days of a job: %v", err)
	}
}

// A reading of a report is said in words, the term or year it covered included.
func TestAReportsReadingIsSaidInWords(t *testing.T) {
	for subject, want := range map[string]string{
		"report/governors/2026-autumn": "The report for governors, autumn term 2026",
		"report/ofsted/2026":           "The report for Ofsted, school year starting 2026",
	} {
		if got := On(safeguarding.AuditEntry{Action: "report.read", Subject: subject}, Names{}); got != want {
			t.Errorf("%s: %q, want %q", subject, got, want)
		}
	}
	if got := What("report.read"); got != "Read a report of the school's figures" {
		t.Errorf("what: %q", got)
	}
}
