package main

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

const attendanceRoute = "GET /api/schools/{school}/attendance"

// attendanceWorld is the demo federation with attendance figures for three of Brook Lane's
// pupils (bl-01 at 84.5%, bl-02 at 71%, bl-03 at 90%) and one of Hillcrest's (hc-01 at 60%),
// and three attendance concerns about bl-01: one by the office (Grace), one by Tom, one about
// a member of staff (Priya) for the Senior DSL only (C5); and a wellbeing concern about bl-02.
func attendanceWorld(t *testing.T) *world {
	t.Helper()
	w := newWorld(t)
	ctx := context.Background()
	d := seed.Demo()
	figures := map[safeguarding.PupilID]float64{"bl-01": 84.5, "bl-02": 71, "bl-03": 90, "hc-01": 60}
	pupils := map[safeguarding.PupilID]safeguarding.Pupil{}
	for _, p := range d.Pupils {
		if a, ok := figures[p.ID]; ok {
			p.Attendance, p.HasAttendance = a, true
			apitest.Must(t, w.st.PutPupil(ctx, p))
		}
		pupils[p.ID] = p
	}
	people := map[string]safeguarding.Principal{}
	for _, u := range d.Users {
		people[u.Email] = u
	}
	school := d.Schools[0]
	at := local("2026-11-23 09:30")
	record := func(id, by, category string, in concerns.NewConcern) {
		t.Helper()
		in.Category, in.ObservedAt, in.Details = category, at.Add(-time.Hour), "Absent "+id+": the family said a hospital appointment"
		if len(in.PupilIDs) == 0 {
			in.PupilIDs = []safeguarding.PupilID{"bl-01"}
		}
		c, err := concerns.RecordConcern(safeguarding.ConcernID(id), in, people[by], school, pupils, concerns.PolicyCatalogue(), safeguarding.Weekdays{}, at)
		apitest.Must(t, err)
		apitest.Must(t, w.st.SaveConcern(ctx, concerns.ConcernWrite{Concern: c, Entries: concerns.ConcernEntries(c),
			Audit: safeguarding.AuditEntry{ID: "audit-" + id, School: school.ID, Actor: by, At: at}}))
		at = at.Add(time.Hour)
	}
	record("C-GRACE", office, "attendance", concerns.NewConcern{})
	record("C-TOM", tom, "attendance", concerns.NewConcern{})
	record("C-STAFF", tom, "attendance", concerns.NewConcern{AboutStaff: true, SubjectStaffEmail: priya})
	record("C-WELL", tom, "wellbeing", concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"bl-02"}})
	w.calls.Reset()
	return w
}

func (w *world) attendance(email, school string, query map[string]string) response {
	w.t.Helper()
	req := event("GET", attendanceRoute, email, "", local("2026-11-24 10:00"), map[string]string{"school": school}, nil)
	req.QueryStringParameters = query
	return w.do(req)
}

// reasonsOf lists, for each pupil on the list, their reasons as "concernId" or "withheld".
func reasonsOf(t *testing.T, r response) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, p := range r.body["pupils"].([]any) {
		row := p.(map[string]any)
		id := row["pupilId"].(string)
		out[id] = []string{}
		for _, x := range row["reasons"].([]any) {
			reason := x.(map[string]any)
			if reason["withheld"] == true {
				if len(reason) != 2 || reason["at"] == nil {
					t.Errorf("a withheld reason shows more than its time: %v", reason)
				}
				out[id] = append(out[id], "withheld")
				continue
			}
			out[id] = append(out[id], reason["concernId"].(string))
		}
	}
	return out
}

// Rule C9: the office and the DSLs list the pupils below 90%, lowest first, each with the
// attendance reasons logged so far; the office reads the reasons it wrote and only the time of
// the others (P2), nothing of one about a member of staff (C5); the reading is audited (P4)
// and takes four round trips whatever the number of pupils.
func TestRule_C9_PupilsBelow90ListedForTheOfficeAndTheDSLsWithTheirReasons(t *testing.T) {
	w := attendanceWorld(t)
	r := w.attendance(office, brook, nil)
	if r.status != 200 {
		t.Fatalf("office: %d %s", r.status, r.raw)
	}
	var order []string
	for _, p := range r.body["pupils"].([]any) {
		order = append(order, p.(map[string]any)["pupilId"].(string))
	}
	if len(order) != 2 || order[0] != "bl-02" || order[1] != "bl-01" {
		t.Fatalf("office's list %v, want bl-02 (71%%) then bl-01 (84.5%%); not bl-03 at 90%%, nor Hillcrest's", order)
	}
	first := r.body["pupils"].([]any)[0].(map[string]any)
	if first["attendance"] != 71.0 || first["name"] == "" || first["className"] == "" {
		t.Errorf("a row: %v", first)
	}
	got := reasonsOf(t, r)
	if want := []string{"C-GRACE", "withheld"}; !slices.Equal(got["bl-01"], want) || len(got["bl-02"]) != 0 {
		t.Errorf("the office sees %v, want bl-01 %v and bl-02 none (a wellbeing concern is no attendance reason)", got, want)
	}
	if c := w.calls.Counts(); w.calls.Total() != 4 || c["GetItem"] != 1 || c["Query"] != 2 {
		t.Errorf("round trips %v, want the viewer, one Query of the pupils, one of the reasons and the audit entry", c)
	}
	n := apitest.CountItems(t, w.db, w.table, map[string]string{"type": "audit", "action": "attendance.read"})
	if len(n) == 0 {
		t.Error("the reading was not audited")
	}

	dsl := w.attendance(dsl, brook, nil)
	if got := reasonsOf(t, dsl); !slices.Equal(got["bl-01"], []string{"C-GRACE", "C-TOM"}) {
		t.Errorf("the DSL sees %v, want both reasons in full and not the one about staff", got["bl-01"])
	}
	if got := reasonsOf(t, w.attendance(head, brook, nil)); !slices.Equal(got["bl-01"], []string{"C-GRACE", "C-TOM", "C-STAFF"}) {
		t.Errorf("the Senior DSL sees %v", got["bl-01"])
	}
	if got := reasonsOf(t, w.attendance(office, brook, map[string]string{"below": "80"})); len(got) != 1 || got["bl-02"] == nil {
		t.Errorf("below=80: %v", got)
	}

	for _, who := range []string{tom, priya, governor, stranger} {
		if r := w.attendance(who, brook, nil); r.status != 403 && r.status != 401 {
			t.Errorf("%s: %d, want refused", who, r.status)
		}
	}
	if r := w.attendance(office, hill, nil); r.status != 403 {
		t.Errorf("the office at another school: %d", r.status)
	}
	for _, below := range []string{"95", "0", "-3", "ninety", ""} {
		r := w.attendance(office, brook, map[string]string{"below": below})
		if r.status != 400 || !apitest.NamesField(r.body, "below") {
			t.Errorf("below=%q: %d %s, want 400 naming below", below, r.status, r.raw)
		}
	}
}
