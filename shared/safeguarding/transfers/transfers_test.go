package transfers

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// holidays is a calendar of weekdays but the listed local dates (bank holidays).
type holidays map[string]bool

func (h holidays) IsSchoolDay(d time.Time) bool {
	l := d.In(safeguarding.London)
	return l.Weekday() != time.Saturday && l.Weekday() != time.Sunday && !h[l.Format(time.DateOnly)]
}

func london(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.ParseInLocation("2006-01-02 15:04", s, safeguarding.London)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// The late May bank holiday of 2027 is Monday 31 May.
var springBank = holidays{"2027-05-31": true}

func TestRule_S5_TransferDueByTheEndOfTheFifthSchoolDayAcrossAWeekendAndABankHoliday(t *testing.T) {
	cases := []struct {
		name, recorded, want string
		cal                  safeguarding.Calendar
		endOfDay             int
	}{
		// Thursday before the late May bank holiday: Fri 28, (weekend, Mon 31 bank holiday), Tue 1,
		// Wed 2, Thu 3, Fri 4 June.
		{"thursday before the bank holiday", "2027-05-27 10:00", "2027-06-04 17:00", springBank, 0},
		{"recorded after the end of the day counts from that day still", "2027-05-27 19:30", "2027-06-04 17:00", springBank, 0},
		{"recorded on the bank holiday itself", "2027-05-31 09:00", "2027-06-07 17:00", springBank, 0},
		{"the school's own end of day", "2027-05-27 10:00", "2027-06-04 18:30", springBank, 18*60 + 30},
		{"a school's own days off count too", "2027-05-27 10:00", "2027-06-07 17:00",
			safeguarding.SchoolCalendar{BankHolidays: springBank, DaysOff: []safeguarding.DayOff{{Kind: safeguarding.DayOffINSET,
				From: london(t, "2027-06-01 00:00"), To: london(t, "2027-06-01 00:00")}}}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := DueBy(c.cal, london(t, c.recorded), c.endOfDay)
			if want := london(t, c.want); !got.Equal(want) {
				t.Errorf("due by %s, want %s", got.In(safeguarding.London), want)
			}
		})
	}
}

func TestRule_S5_TheDueItemClimbsTheLadderUntilTheFileIsSent(t *testing.T) {
	now := london(t, "2027-05-27 10:00")
	tr := Transfer{ID: "t1", From: "brook-lane", RecordedBy: "dsl@school.example", Status: StatusDue, DueBy: DueBy(springBank, now, 0)}
	d := tr.DueItem(now)
	if d.Kind != DueKind || !d.Due.Active || d.Assignee != "dsl@school.example" || !d.Due.DueAt.Equal(tr.DueBy) {
		t.Fatalf("due item %+v", d)
	}
	// A day after the due time the assignee has been reminded and told; the DSLs are next.
	st := d.Due
	for _, at := range []time.Time{tr.DueBy.Add(-time.Hour), tr.DueBy.Add(time.Minute), tr.DueBy.Add(25 * time.Hour)} {
		next, _, ok := safeguarding.DueItem{Kind: DueKind, Due: st}.Advance(at)
		if !ok {
			t.Fatalf("nothing due at %s", at)
		}
		st = next
	}
	if st.Step != safeguarding.StepDSLs {
		t.Errorf("step %d, want the DSLs told", st.Step)
	}
	tr.Status = StatusSent
	if tr.DueItem(now).Due.Active {
		t.Error("a sent transfer is still on the ladder")
	}
}

func TestRule_S5_OnlyTheSchoolsDSLsRecordSendAndConfirm(t *testing.T) {
	person := func(school safeguarding.SchoolID, roles ...safeguarding.Role) safeguarding.Principal {
		return safeguarding.Principal{Email: "x@school.example", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: roles}}
	}
	tr := Transfer{ID: "t1", From: "brook-lane", To: Destination{School: "hill-top"}, Status: StatusSent}
	if err := MayRecord(person("brook-lane", safeguarding.RoleTeacher, safeguarding.RoleStaff), "brook-lane"); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher records a move: %v", err)
	}
	if err := MayRecord(person("brook-lane", safeguarding.RoleAdmin), "brook-lane"); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("the office records a move: %v", err)
	}
	for _, r := range []safeguarding.Role{safeguarding.RoleDSL, safeguarding.RoleSeniorDSL} {
		if err := MaySend(person("brook-lane", r), tr); err != nil {
			t.Errorf("%s may not send: %v", r, err)
		}
	}
	if err := MaySend(person("hill-top", safeguarding.RoleDSL), tr); err == nil {
		t.Error("the receiving school's DSL sends")
	}
	if err := MayConfirm(person("hill-top", safeguarding.RoleDSL), "hill-top", tr); err != nil {
		t.Errorf("the receiving DSL may not confirm: %v", err)
	}
	if err := MayConfirm(person("hill-top", safeguarding.RoleTeacher), "hill-top", tr); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher of the receiving school confirms: %v", err)
	}
	if err := MayConfirm(person("brook-lane", safeguarding.RoleDSL), "brook-lane", tr); err == nil {
		t.Error("the sending school confirms its own transfer")
	}
}

func TestRule_S5_AMoveNamesASchoolOfTheFederationOrOneOutsideWithItsDSL(t *testing.T) {
	bad := []struct {
		m     Move
		field string
	}{
		{Move{}, "toSchoolName"},
		{Move{ToSchoolName: "St Anne's"}, "toDslEmail"},
		{Move{ToSchoolName: "St Anne's", ToDSLEmail: "not an email"}, "toDslEmail"},
		{Move{ToSchool: "hill-top", ToSchoolName: "St Anne's"}, "toSchool"},
	}
	for _, c := range bad {
		_, err := c.m.Check()
		var v *safeguarding.ValidationError
		if !errors.As(err, &v) || v.Problems[0].Field != c.field {
			t.Errorf("%+v: %v, want a problem with %s", c.m, err, c.field)
		}
	}
	m, err := Move{ToSchoolName: " St Anne's ", ToDSLEmail: "J.Smith@StAnnes.example"}.Check()
	if err != nil || m.ToDSLEmail != "j.smith@stannes.example" || m.ToSchoolName != "St Anne's" {
		t.Errorf("%+v %v", m, err)
	}
}

// sentOutside is a transfer sent outside the federation at sent, with its token and code.
func sentOutside(t *testing.T, sent time.Time) (Transfer, string, string) {
	t.Helper()
	l, token, code, err := NewLink(bytes.NewReader(bytes.Repeat([]byte{7, 200, 13}, 40)), sent)
	if err != nil {
		t.Fatal(err)
	}
	return Transfer{ID: "t1", From: "brook-lane", Pupil: "p1", Status: StatusSent, SentAt: sent,
		To: Destination{SchoolName: "St Anne's", DSLEmail: "dsl@stannes.example"}, Link: l, Version: 2}, token, code
}

func TestRule_S5_TheLinksOneTimeCode(t *testing.T) {
	sent := london(t, "2027-06-01 10:00")
	tr, token, code := sentOutside(t, sent)
	if len(code) != CodeDigits || tr.Link.CodeHash == "" || bytes.Contains([]byte(tr.Link.CodeHash+tr.Link.TokenHash), []byte(code)) {
		t.Fatalf("code %q kept as %+v", code, tr.Link)
	}
	wrong := "00000000"
	if wrong == code {
		wrong = "11111111"
	}
	t.Run("another token is no link", func(t *testing.T) {
		if _, err := tr.Open("x"+token, code, sent.Add(time.Hour)); !errors.Is(err, ErrNoLink) {
			t.Errorf("%v", err)
		}
	})
	t.Run("a wrong code is counted and the link locks at the fifth", func(t *testing.T) {
		cur := tr
		for i := 1; i <= MaxTries; i++ {
			next, err := cur.Open(token, wrong, sent.Add(time.Hour))
			want := ErrWrongCode
			if i == MaxTries {
				want = ErrLinkLocked
			}
			if !errors.Is(err, want) || next.Link.Tries != i || next.Status != StatusSent {
				t.Fatalf("try %d: %v, tries %d, status %s", i, err, next.Link.Tries, next.Status)
			}
			cur = next
		}
		// Locked: even the right code is refused now.
		if next, err := cur.Open(token, code, sent.Add(2*time.Hour)); !errors.Is(err, ErrLinkLocked) || next.Status == StatusReceived {
			t.Errorf("the right code after the lock: %v", err)
		}
	})
	t.Run("an expired link refuses the right code", func(t *testing.T) {
		next, err := tr.Open(token, code, sent.Add(LinkValidity))
		if !errors.Is(err, ErrLinkExpired) || next.Status != StatusSent || next.History[len(next.History)-1].Kind != EventRefused {
			t.Errorf("%v %s", err, next.Status)
		}
		if _, err := tr.Open(token, code, sent.Add(LinkValidity-time.Minute)); err != nil {
			t.Errorf("a minute before it expires: %v", err)
		}
	})
	t.Run("the right code works once and is the receipt", func(t *testing.T) {
		next, err := tr.Open(token, CodeWords(code), sent.Add(time.Hour))
		if err != nil || next.Status != StatusReceived || next.ReceivedBy != "dsl@stannes.example" || !next.ReceivedAt.Equal(sent.Add(time.Hour)) {
			t.Fatalf("%v %+v", err, next)
		}
		if _, err := next.Open(token, code, sent.Add(2*time.Hour)); !errors.Is(err, ErrLinkUsed) {
			t.Errorf("a second download: %v", err)
		}
	})
}
