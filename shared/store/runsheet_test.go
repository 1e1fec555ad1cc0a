package store

import (
	"context"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
)

// The registry's run sheet of a school (data.md A97) follows every write of what it copies: the
// school and its roster, its calendar, its latest closure started, swept and ended. Whatever
// the order, the sheet the fan-out reads is what the school's own items say; a school whose
// copies are missing has none, and the run reads them itself.
func TestEscalationSheetsFollowTheItemsTheyCopy(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	day := func(d string) time.Time {
		t, _ := time.ParseInLocation(time.DateOnly, d, safeguarding.London)
		return t
	}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	audit := func(n int, action string) safeguarding.AuditEntry {
		return safeguarding.AuditEntry{ID: NewID(at.Add(time.Duration(n) * time.Second)), School: school, Actor: "head@school.example", Action: action, At: at}
	}
	sheet := func() engagement.SchoolSheet {
		t.Helper()
		all, err := s.EscalationSheets(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, es := range all {
			if es.ID == school {
				return es.Sheet
			}
		}
		t.Fatalf("%s not in the registry: %+v", school, all)
		return engagement.SchoolSheet{}
	}
	// A calendar saved before the school is listed: its copy waits on an entry with no type,
	// which no reader lists.
	cal := safeguarding.SchoolCalendar{School: school, Version: 1,
		Terms: []safeguarding.Term{{Name: "Autumn", From: day("2026-09-02"), To: day("2026-12-18")}}}
	if err := s.SaveSchoolCalendar(ctx, cal, audit(1, "calendar")); err != nil {
		t.Fatal(err)
	}
	if all, err := s.EscalationSheets(ctx); err != nil || len(all) != 0 {
		t.Fatalf("a registry with no school listed: %+v %v", all, err)
	}
	head := safeguarding.StaffMember{Email: "head@school.example", Roles: []safeguarding.Role{safeguarding.RoleSeniorDSL}}
	teacher := safeguarding.StaffMember{Email: "t@school.example", Roles: []safeguarding.Role{safeguarding.RoleTeacher}}
	roster := []safeguarding.StaffMember{head, teacher}
	if err := s.PutSchool(ctx, safeguarding.School{ID: school, Name: "Brook Lane", Roster: roster}); err != nil {
		t.Fatal(err)
	}
	got := sheet()
	if got.Calendar == nil || len(got.Calendar.Terms) != 1 || !got.Calendar.Terms[0].To.Equal(day("2026-12-18")) || got.Calendar.Version != 1 {
		t.Errorf("calendar copy %+v", got.Calendar)
	}
	if got.School == nil || got.School.Name != "Brook Lane" || len(got.School.Roster) != 1 || got.School.Roster[0].Email != head.Email {
		t.Errorf("school copy (name and the people alerted only) %+v", got.School)
	}
	if got.Closure != nil {
		t.Errorf("no closure yet, copy %+v", got.Closure)
	}
	// A DSL joins: the roster's copy follows in the same transaction.
	dsl := safeguarding.StaffMember{Email: "dsl@school.example", Roles: []safeguarding.Role{safeguarding.RoleDSL}}
	p := safeguarding.Principal{Email: dsl.Email, Subject: "s-dsl", Name: "DSL", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: dsl.Roles}}
	after := append(append([]safeguarding.StaffMember(nil), roster...), dsl)
	if err := s.SaveStaff(ctx, staff.Change{School: school, People: []staff.PersonChange{{After: p}}, RosterBefore: roster, RosterAfter: after},
		audit(2, staff.AuditAdded), nil); err != nil {
		t.Fatal(err)
	}
	if got := sheet(); got.School == nil || len(got.School.Roster) != 2 || !got.School.HasStaff(dsl.Email) || got.School.Name != "Brook Lane" {
		t.Errorf("school copy after a DSL joined %+v", got.School)
	}
	// A closure starts, is swept by a run, ends.
	c := safeguarding.Closure{ID: "c1", School: school, From: day("2026-11-02"), StartedBy: head.Email, StartedAt: at, Version: 1}
	if err := s.StartClosure(ctx, c, audit(3, "closure"), nil); err != nil {
		t.Fatal(err)
	}
	if got := sheet(); got.Closure == nil || got.Closure.ID != "c1" || !got.Closure.From.Equal(day("2026-11-02")) || got.Closure.Swept || !got.Closure.Covers(at) {
		t.Errorf("closure copy %+v", got.Closure)
	}
	if err := s.ClosureSwept(ctx, c); err != nil {
		t.Fatal(err)
	}
	latest, err := s.LatestClosure(ctx, school)
	if err != nil || !latest.Swept {
		t.Fatalf("closure swept %+v %v", latest, err)
	}
	if got := sheet(); got.Closure == nil || !got.Closure.Swept {
		t.Errorf("closure copy after the sweep %+v", got.Closure)
	}
	ended := latest
	ended.LastDay, ended.EndedBy, ended.EndedAt, ended.Version = day("2026-11-27"), head.Email, at.Add(time.Hour), latest.Version+1
	if err := s.EndClosure(ctx, ended, audit(4, "closure ended"), nil); err != nil {
		t.Fatal(err)
	}
	got = sheet()
	if got.Closure == nil || !got.Closure.LastDay.Equal(day("2026-11-27")) || got.Closure.Covers(day("2026-11-30")) || !got.Closure.Swept {
		t.Errorf("closure copy after its end %+v", got.Closure)
	}
	// A run handed the closure as it was before it ended marks nothing: neither the closure
	// nor its copy goes back to open.
	if err := s.ClosureSwept(ctx, latest); err != nil {
		t.Fatal(err)
	}
	if got := sheet(); got.Closure == nil || got.Closure.LastDay.IsZero() || got.Closure.Version != ended.Version {
		t.Errorf("closure copy after a stale sweep %+v", got.Closure)
	}
	// The calendar's next version.
	cal.Version = 2
	cal.DaysOff = []safeguarding.DayOff{{Kind: "inset", From: day("2026-11-30"), To: day("2026-11-30")}}
	if err := s.SaveSchoolCalendar(ctx, cal, audit(5, "calendar")); err != nil {
		t.Fatal(err)
	}
	if got := sheet(); got.Calendar == nil || got.Calendar.Version != 2 || len(got.Calendar.DaysOff) != 1 || got.Calendar.IsSchoolDay(day("2026-11-30")) {
		t.Errorf("calendar copy, version 2 %+v", got.Calendar)
	}
	// A school registered before the registry kept copies (its entry as PutSchool wrote it
	// then) has no sheet: the run reads its items.
	if _, err := db.PutItem(ctx, putInput(table, registryItem{key: schoolsKey("hillcrest"), Type: typeRegistry, School: "hillcrest"})); err != nil {
		t.Fatal(err)
	}
	all, err := s.EscalationSheets(ctx)
	if err != nil || len(all) != 2 {
		t.Fatalf("%+v %v", all, err)
	}
	for _, es := range all {
		if es.ID == "hillcrest" && (es.Sheet.Calendar != nil || es.Sheet.Closure != nil || es.Sheet.School != nil) {
			t.Errorf("an old entry's sheet %+v", es.Sheet)
		}
	}
	// Its first run, which read them, leaves their copies with the day reached: no calendar,
	// no closure, the school's name and DSL.
	hill := safeguarding.School{ID: "hillcrest", Name: "Hillcrest", Roster: []safeguarding.StaffMember{dsl}}
	if err := s.EscalationReached(ctx, "hillcrest", at, engagement.SchoolSheet{Calendar: &safeguarding.SchoolCalendar{School: "hillcrest"},
		Closure: &safeguarding.Closure{}, School: &hill}); err != nil {
		t.Fatal(err)
	}
	// A run that read Brook Lane's calendar before its version 2 leaves the copy of version 2.
	old := cal
	old.Version, old.DaysOff = 1, nil
	if err := s.EscalationReached(ctx, school, at, engagement.SchoolSheet{Calendar: &old}); err != nil {
		t.Fatal(err)
	}
	all, err = s.EscalationSheets(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, es := range all {
		sh := es.Sheet
		switch es.ID {
		case "hillcrest":
			if sh.Calendar == nil || len(sh.Calendar.Terms) != 0 || sh.Closure == nil || sh.Closure.ID != "" || sh.Closure.Covers(at) ||
				sh.School == nil || sh.School.Name != "Hillcrest" || !sh.School.HasStaff(dsl.Email) || !es.From.Equal(day("2026-11-23")) {
				t.Errorf("the sheet a first run left: %+v %+v %+v from %v", sh.Calendar, sh.Closure, sh.School, es.From)
			}
		case school:
			if sh.Calendar == nil || sh.Calendar.Version != 2 {
				t.Errorf("a run's copy replaced a newer one: %+v", sh.Calendar)
			}
		}
	}
}
