package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// attendanceSeed gives three of Brook Lane's pupils an attendance figure (bl-01 at 84.5%,
// bl-02 at 71%, bl-03 at 90%) and logs two attendance reasons about bl-01: one by the office
// (Grace), one by Tom. It returns the pupils' names and the two concerns' references.
func attendanceSeed(t *testing.T, w *world) (names map[safeguarding.PupilID]string, byOffice, byTom string) {
	t.Helper()
	ctx := context.Background()
	figures := map[safeguarding.PupilID]float64{"bl-01": 84.5, "bl-02": 71, "bl-03": 90}
	names = map[safeguarding.PupilID]string{}
	for _, p := range seed.Demo().Pupils {
		if a, ok := figures[p.ID]; ok {
			p.Attendance, p.HasAttendance = a, true
			apitest.Must(t, w.st.PutPupil(ctx, p))
			names[p.ID] = p.Name
		}
	}
	record := func(by string, at time.Time, details string) string {
		t.Helper()
		r, err := w.h.Concerns.Record(ctx, safeguarding.Caller{Email: by, At: at}, safeguarding.SchoolID(school),
			concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"bl-01"}, Category: "attendance", ObservedAt: at.Add(-time.Hour),
				Details: details}, safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
		return r.Reference
	}
	byOffice = record(apitest.Grace, monday1030.Add(-48*time.Hour), "Absent: the family said a hospital appointment.")
	byTom = record(teacher, monday1030.Add(-time.Hour), "Late again: the bus was cancelled, his mother said.")
	return names, byOffice, byTom
}

// Rule C9: the office and the DSLs see the pupils below 90% by name, lowest first, with the
// reasons logged; the office sees in full the reason it wrote and only the day of Tom's (P2);
// anyone else gets "Page not found"; a figure the list does not take is said in plain words.
func TestRule_C9_TheAttendancePageListsThePupilsBelow90ForTheOfficeAndTheDSLs(t *testing.T) {
	w := newWorld(t)
	names, byOffice, byTom := attendanceSeed(t, w)
	page := "/schools/" + school + "/attendance"
	for _, who := range []string{teacher, staff, outsider} {
		if resp := call(t, w.h, "GET", page, tokenFor(who), nil, monday1030); resp.StatusCode != http.StatusNotFound ||
			!strings.Contains(resp.Body, "Page not found") {
			t.Errorf("%s: %d", who, resp.StatusCode)
		}
	}
	resp := call(t, w.h, "GET", page, tokenFor(apitest.Grace), nil, monday1030)
	if resp.StatusCode != 200 {
		t.Fatalf("the office: %d", resp.StatusCode)
	}
	text := visibleText(resp.Body)
	low, mid := strings.Index(text, names["bl-02"]), strings.Index(text, names["bl-01"])
	if low < 0 || mid < 0 || low > mid || strings.Contains(text, names["bl-03"]) {
		t.Errorf("the office's list: want %s (71%%) then %s (84.5%%), not %s at 90%%: %s", names["bl-02"], names["bl-01"], names["bl-03"], text)
	}
	for _, want := range []string{"71%", "84.5%", byOffice, "the family said a hospital appointment", "A reason was logged on 1 June 2026.",
		`href="/schools/brook-lane/attendance"`} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("the office's page lacks %q", want)
		}
	}
	if strings.Contains(text, byTom) || strings.Contains(text, "bus was cancelled") {
		t.Error("the office sees the details of a reason it may not read")
	}
	if strings.Contains(text, "bl-0") || strings.Contains(text, "@") || strings.Contains(text, "C9") {
		t.Errorf("the page shows an id, an email or a rule id: %s", text)
	}
	resp = call(t, w.h, "GET", page, tokenFor(dsl), nil, monday1030)
	if resp.StatusCode != 200 || !strings.Contains(resp.Body, byTom) || !strings.Contains(resp.Body, byOffice) ||
		strings.Contains(resp.Body, "A reason was logged on") {
		t.Errorf("the DSL: %d, not both reasons in full", resp.StatusCode)
	}
	resp = call(t, w.h, "GET", page+"?below=80", tokenFor(head), nil, monday1030)
	if text := visibleText(resp.Body); resp.StatusCode != 200 || !strings.Contains(text, "Pupils below 80%") ||
		!strings.Contains(text, names["bl-02"]) || strings.Contains(text, names["bl-01"]) {
		t.Errorf("below 80: %d %s", resp.StatusCode, text)
	}
	for _, bad := range []string{"abc", "95", "0"} {
		resp = call(t, w.h, "GET", page+"?below="+bad, tokenFor(head), nil, monday1030)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "govuk-error-summary") ||
			!strings.Contains(resp.Body, `href="#below"`) || !strings.Contains(resp.Body, "Enter a percentage above 0 and no higher than 90") {
			t.Errorf("below=%s: %d", bad, resp.StatusCode)
		}
	}
	home := call(t, w.h, "GET", "/", tokenFor(apitest.Grace), nil, monday1030)
	if !strings.Contains(home.Body, `href="/schools/brook-lane/attendance"`) {
		t.Error("the office's home has no link to the list")
	}
	if home := call(t, w.h, "GET", "/", tokenFor(teacher), nil, monday1030); strings.Contains(home.Body, "/attendance") {
		t.Error("a teacher's home links to the list")
	}
}
