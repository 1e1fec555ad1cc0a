package safeguarding

import (
	"errors"
	"testing"
	"time"
)

// Rule E0: only the Senior DSL starts and ends a closure; one is open at a time; a closure
// starts after the last one's last day and ends on a day not before its first.
func TestRule_E0_StartingAndEndingAClosure(t *testing.T) {
	day := func(s string) time.Time {
		d, _ := time.ParseInLocation(time.DateOnly, s, London)
		return d
	}
	now := day("2027-01-08").Add(16 * time.Hour)
	head := Principal{Email: "head@brook.example", Memberships: map[SchoolID][]Role{"brook": {RoleSeniorDSL}}}
	dsl := Principal{Email: "dsl@brook.example", Memberships: map[SchoolID][]Role{"brook": {RoleDSL}}}
	if _, err := StartClosure(dsl, "brook", Closure{}, "c1", day("2027-01-11"), now); !errors.Is(err, ErrForbidden) {
		t.Errorf("a DSL started a closure: %v", err)
	}
	c, err := StartClosure(head, "brook", Closure{}, "c1", day("2027-01-11"), now)
	if err != nil || !c.Open() || !c.From.Equal(day("2027-01-11")) || c.StartedBy != head.Email {
		t.Fatalf("%+v %v", c, err)
	}
	if _, err := StartClosure(head, "brook", c, "c2", day("2027-01-18"), now); !errors.Is(err, ErrConflict) {
		t.Errorf("a second open closure: %v", err)
	}
	if !c.Covers(day("2027-01-11")) || c.Covers(day("2027-01-10")) || !c.Covers(day("2028-01-10")) {
		t.Error("an open closure covers its first day and every day after")
	}
	if _, err := c.End(head, day("2027-01-10"), now); !errors.Is(err, ErrInvalid) {
		t.Errorf("a last day before the first: %v", err)
	}
	ended, err := c.End(head, day("2027-01-11"), now) // a one-day closure
	if err != nil || ended.Open() || !ended.Covers(day("2027-01-11")) || ended.Covers(day("2027-01-12")) || ended.Version != 2 {
		t.Fatalf("%+v %v", ended, err)
	}
	if _, err := ended.End(head, day("2027-01-12"), now); !errors.Is(err, ErrConflict) {
		t.Errorf("ended twice: %v", err)
	}
	if _, err := StartClosure(head, "brook", ended, "c2", day("2027-01-11"), now); !errors.Is(err, ErrInvalid) {
		t.Errorf("a closure starting on the last one's last day: %v", err)
	}
	if _, err := StartClosure(head, "brook", ended, "c2", day("2027-01-12"), now); err != nil {
		t.Errorf("the next closure: %v", err)
	}
}
