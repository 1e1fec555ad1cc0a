package main

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

// A school's run sheet crosses the queue as the registry held it: the same school days, the
// same closure, the same people alerted; a sheet with no copies is no sheet.
func TestRunSheetCrossesTheQueueUnchanged(t *testing.T) {
	day := func(d string) time.Time {
		t, _ := time.ParseInLocation(time.DateOnly, d, safeguarding.London)
		return t
	}
	cal := safeguarding.SchoolCalendar{School: "brook-lane", Version: 3,
		Terms:   []safeguarding.Term{{Name: "Autumn", From: day("2026-09-02"), To: day("2026-12-18")}},
		DaysOff: []safeguarding.DayOff{{Kind: "inset", From: day("2026-11-30"), To: day("2026-11-30"), Note: "training"}}}
	closure := safeguarding.Closure{ID: "c1", School: "brook-lane", From: day("2026-11-02"), LastDay: day("2026-11-27"),
		EndedAt: time.Date(2026, 11, 27, 15, 0, 0, 0, time.UTC), Swept: true, Version: 2}
	school := safeguarding.School{ID: "brook-lane", Name: "Brook Lane",
		Roster: []safeguarding.StaffMember{{Email: "dsl@school.example", Roles: []safeguarding.Role{safeguarding.RoleDSL}}}}
	in := engagement.SchoolSheet{Calendar: &cal, Closure: &closure, School: &school}
	body, err := json.Marshal(message{School: "brook-lane", Time: "2026-11-24T05:30:00Z", Sheet: sheetOf(in)})
	if err != nil {
		t.Fatal(err)
	}
	var m message
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	out, err := m.Sheet.forSchool("brook-lane")
	if err != nil {
		t.Fatal(err)
	}
	for d := day("2026-08-30"); d.Before(day("2027-01-05")); d = d.AddDate(0, 0, 1) {
		if out.Calendar.IsSchoolDay(d) != cal.IsSchoolDay(d) || out.Closure.Covers(d) != closure.Covers(d) {
			t.Errorf("%s: school day %v, closure %v after the queue", d.Format(time.DateOnly), out.Calendar.IsSchoolDay(d), out.Closure.Covers(d))
		}
	}
	if out.Calendar.Version != 3 || out.Closure.ID != "c1" || !out.Closure.Swept || !out.Closure.EndedAt.Equal(closure.EndedAt) ||
		out.School.Name != "Brook Lane" || len(out.School.Roster) != 1 || !out.School.Roster[0].Has(safeguarding.RoleDSL) {
		t.Errorf("after the queue: %+v %+v %+v", out.Calendar, out.Closure, out.School)
	}
	if sheetOf(engagement.SchoolSheet{}) != nil {
		t.Error("an empty sheet went into the message")
	}
	if none, err := (*sheet)(nil).forSchool("brook-lane"); err != nil || none.Calendar != nil || none.Closure != nil || none.School != nil {
		t.Errorf("no sheet: %+v %v", none, err)
	}
}
