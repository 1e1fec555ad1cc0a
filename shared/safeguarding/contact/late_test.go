package contact

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Rule H2: every contact and attempt is recorded in each child's chronology within 24 hours.
// One recorded later is accepted, never refused (like a late concern, rule C3), and marked late
// with how late: recorded at, less the contact's time, less 24 hours.
func TestRule_H2_AContactRecordedMoreThan24HoursAfterIsMarkedLate(t *testing.T) {
	f := family(london(t, "2026-11-06 18:30:00"))
	at := london(t, "2026-11-20 10:00:00")
	for _, c := range []struct {
		name    string
		now     time.Time
		late    bool
		minutes int
	}{
		{"within the day", at.Add(23 * time.Hour), false, 0},
		{"exactly 24 hours", at.Add(24 * time.Hour), false, 0},
		{"90 minutes over", at.Add(25*time.Hour + 30*time.Minute), true, 90},
		{"part of a minute over counts as a minute", at.Add(24*time.Hour + 10*time.Second), true, 1},
		{"three days later", at.Add(72 * time.Hour), true, 48 * 60},
	} {
		w, err := f.RecordContact(dsl, false, ContactAttempt{At: at, Method: "phone-call", Outcome: OutcomeNoAnswer}, "01JC", c.now)
		if err != nil {
			t.Fatalf("%s: refused: %v", c.name, err)
		}
		if w.Late != c.late || w.MinutesLate != c.minutes {
			t.Errorf("%s: late %v by %d minutes, want %v by %d", c.name, w.Late, w.MinutesLate, c.late, c.minutes)
		}
		for _, e := range w.Entries {
			if e.Late != c.late {
				t.Errorf("%s: the entry of %s is late %v, want %v", c.name, e.Pupil, e.Late, c.late)
			}
			says := strings.Contains(e.Summary, "after the 24 hours allowed")
			if says != c.late || c.late && !strings.Contains(e.Summary, "Recorded "+strconv.Itoa(c.minutes)+" minutes after") {
				t.Errorf("%s: the entry's summary %q", c.name, e.Summary)
			}
			if !e.At.Equal(at) {
				t.Errorf("%s: the entry is dated %v, want the contact's time %v", c.name, e.At, at)
			}
		}
	}

	// A contact dated in the future beyond five minutes (a clock's drift) is refused, naming at.
	now := london(t, "2026-11-23 10:00:00")
	if _, err := f.RecordContact(dsl, false, ContactAttempt{At: now.Add(4 * time.Minute), Method: "message", Outcome: OutcomeMessageLeft}, "x", now); err != nil {
		t.Errorf("a contact four minutes ahead of the clock: %v", err)
	}
	_, err := f.RecordContact(dsl, false, ContactAttempt{At: now.Add(6 * time.Minute), Method: "message", Outcome: OutcomeMessageLeft}, "x", now)
	if fields := problemFields(err); !slices.Equal(fields, []string{"at"}) {
		t.Errorf("a contact six minutes in the future: %v (fields %v)", err, fields)
	}
}
