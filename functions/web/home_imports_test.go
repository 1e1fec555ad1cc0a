package main

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

// cleanExport is an export of two new pupils with nothing wrong, their UPNs starting upn.
func cleanExport(upn string) string {
	return "UPN,Legal Surname,Legal Forename,DOB,Year Group,Reg Group," +
		"Contact 1 Forename,Contact 1 Surname,Contact 1 Relationship,Contact 1 Responsibility,Contact 1 Mobile\r\n" +
		upn + "1,Oakhampton,Ivy,02/10/2018,Year 3,Otters,Rose,Oakhampton,Mother,Y,07700 900621\r\n" +
		upn + "2,Larkspur,Finn,03/11/2017,Year 4,Otters,Ben,Larkspur,Father,Y,07700 900622\r\n"
}

// imported runs an import as who at the time, as the import page and the API do.
func imported(t *testing.T, h *Handler, who string, at time.Time, file string, preview bool) imports.Record {
	t.Helper()
	rec, err := h.Imports.Import(context.Background(), safeguarding.Caller{Email: who, At: at}, safeguarding.SchoolID(school),
		imports.Request{Data: []byte(file), MediaType: "text/csv", Preview: preview, ValidRows: true}, "")
	apitest.Must(t, err)
	return rec
}

// Rule P1: the office's and the Senior DSL's homes say when the last import was and how it went,
// linked to its result; the DSLs' and the Senior DSL's count the imports of the last 30 days
// with rows with errors, linked to the list of recent imports, which names who imported, when
// and how it went, newest first; a check of a file (a preview) is no import and is not listed.
func TestRule_P1_TheHomesSayTheLastImportAndCountImportsWithErrors(t *testing.T) {
	w := newHomeWorld(t)
	h := w.h
	// Before any import: said plainly.
	_, body, _ := w.home(office)
	wantBody(t, "the office's home before any import", evOK(body), http.StatusOK, "No pupils imported yet", `href="/schools/brook-lane/imports"`)
	got, _, _ := w.home(dsl)
	if n, ok := got["imports-errors"]; !ok || n != 0 {
		t.Errorf("the DSL's home before any import: imports with errors %d (shown %v)", n, ok)
	}

	old := imported(t, h, office, monday1030.AddDate(0, 0, -40), mixedExport, false) // with errors, but over 30 days ago
	imported(t, h, head, monday1030.AddDate(0, 0, -10), cleanExport("K1"), false)
	last := imported(t, h, office, monday1030.AddDate(0, 0, -2), mixedExport, false) // 2 rows in, 1 left out
	imported(t, h, office, monday1030.Add(-time.Hour), cleanExport("K2"), true)      // a check only
	if old.ErrorRows != 1 || last.ErrorRows != 1 || !last.Applied {
		t.Fatalf("the imports made: %+v %+v", old, last)
	}
	result := "/schools/brook-lane/imports/" + last.ID
	lastLine := "Last import, " + when(last.At) + ": 2 rows imported, 1 row with errors left out"

	for _, who := range []string{office, head} {
		got, body, calls := w.home(who)
		wantBody(t, who+"'s home", evOK(body), http.StatusOK, lastLine, `href="`+result+`"`)
		noRuleIDs(t, who+"'s home", body)
		if who == head && got["imports-errors"] != 1 {
			t.Errorf("the Senior DSL's home counts %d imports with errors, want 1", got["imports-errors"])
		}
		if who == office {
			if _, ok := got["imports-errors"]; ok {
				t.Error("the office's home counts imports with errors")
			}
		}
		t.Logf("%s: %v", who, calls)
	}
	got, body, _ = w.home(dsl)
	if got["imports-errors"] != 1 {
		t.Errorf("the DSL's home counts %d imports with errors, want 1", got["imports-errors"])
	}
	wantBody(t, "the DSL's home", evOK(body), http.StatusOK, "1 import with errors in the last 30 days", `href="/schools/brook-lane/import-history"`)
	if strings.Contains(body, "Last import") {
		t.Error("the DSL, who does not import, is told of the last import")
	}
	if _, body, _ := w.home(teacher); strings.Contains(body, "import") {
		t.Error("a teacher's home speaks of imports")
	}

	// The list the count links to: newest first, who by name, when and how it went; the
	// check not on it; a link to each result only for those who may open it.
	list := call(t, h, "GET", "/schools/brook-lane/import-history", tokenFor(dsl), nil, monday1030)
	wantBody(t, "the recent imports for the DSL", list, http.StatusOK, "Recent imports", "Grace Bennett", "Helen Carter",
		"2 rows imported, none with errors", "With errors")
	text := words(list.Body)
	if i, j, k := strings.Index(text, when(last.At)), strings.Index(text, when(monday1030.AddDate(0, 0, -10))), strings.Index(text, when(old.At)); i < 0 || j < i || k < j {
		t.Errorf("the imports are not newest first: %s", text)
	}
	if n := strings.Count(list.Body, "With errors</strong>"); n != 2 {
		t.Errorf("%d imports marked with errors, want 2", n)
	}
	if strings.Contains(list.Body, "/imports/") || strings.Contains(text, when(monday1030.Add(-time.Hour))) {
		t.Error("the DSL's list links to results they cannot open, or lists the check")
	}
	noRuleIDs(t, "the recent imports", list.Body)
	wantBody(t, "the recent imports for the office", call(t, h, "GET", "/schools/brook-lane/import-history", tokenFor(office), nil, monday1030),
		http.StatusOK, `href="`+result+`"`, `href="/schools/brook-lane/imports/`+old.ID+`"`)
	for _, who := range []string{teacher, staff, outsider} {
		if resp := call(t, h, "GET", "/schools/brook-lane/import-history", tokenFor(who), nil, monday1030); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s opens the recent imports: %d", who, resp.StatusCode)
		}
	}
	// The import page lists them too, newest first, each linked to its result.
	page := call(t, h, "GET", "/schools/brook-lane/imports", tokenFor(office), nil, monday1030)
	wantBody(t, "the import page", page, http.StatusOK, `id="recent-imports"`, `href="`+result+`"`, "1 row with errors left out")
	if strings.Index(page.Body, result) > strings.Index(page.Body, old.ID) {
		t.Error("the import page does not list the newest first")
	}
}

// Rule E1: a teacher's home says, for each class they mark, how many of its families were not
// heard from today, linked to the class's sheet, which shows the others "Acknowledged today";
// a family heard from through a sibling in another class counts as heard from, one heard from
// yesterday does not.
func TestRule_E1_ATeachersHomeCountsEachClasssFamiliesNotHeardFromToday(t *testing.T) {
	w := newHomeWorld(t)
	ctx := context.Background()
	sheet, err := w.h.Classes.Sheet(ctx, safeguarding.Caller{Email: teacher, At: monday1030}, safeguarding.SchoolID(school), "Acorns")
	apitest.Must(t, err)
	if len(sheet.Families) < 3 {
		t.Fatalf("Acorns has %d families: the test needs three", len(sheet.Families))
	}
	got, body, _ := w.home(teacher)
	all := len(sheet.Families)
	if got["class-a"] != all {
		t.Errorf("before any acknowledgement the home counts %d of Acorns' %d families", got["class-a"], all)
	}
	href := `href="` + strings.ReplaceAll(acknowledgementsPath(safeguarding.SchoolID(school), "Acorns"), "&", "&amp;") + `"`
	wantBody(t, "the teacher's home", evOK(body), http.StatusOK, strconv.Itoa(all)+" families in Acorns not heard from today", href)

	// Today: one family by Tom on the sheet, another through a sibling in another class (by the
	// DSL); yesterday: a third.
	ack := func(who string, f int, pupil safeguarding.PupilID, at time.Time) {
		t.Helper()
		fam := sheet.Families[f].Family
		if pupil == "" {
			pupil = sheet.Families[f].InClass[0].ID
		}
		_, err := w.h.Engagement.Acknowledge(ctx, safeguarding.Caller{Email: who, At: at}, safeguarding.SchoolID(school),
			[]contact.Acknowledgement{{FamilyID: fam.ID(), PupilID: pupil, At: at, Kind: contact.AckThumbsUp}}, safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
	}
	ack(teacher, 0, "", monday1030.Add(-time.Hour))
	sibling := -1
	for i, f := range sheet.Families[1:] {
		if len(f.Siblings) > 0 {
			sibling = i + 1
			break
		}
	}
	heardToday := 1
	if sibling > 0 {
		ack(dsl, sibling, sheet.Families[sibling].Siblings[0].ID, monday1030.Add(-30*time.Minute))
		heardToday++
	}
	yesterday := 1
	if yesterday == sibling {
		yesterday = 2
	}
	ack(teacher, yesterday, "", monday1030.AddDate(0, 0, -1))

	got, body, calls := w.home(teacher)
	want := all - heardToday
	if got["class-a"] != want {
		t.Errorf("the home counts %d of Acorns' families not heard from today, want %d", got["class-a"], want)
	}
	wantBody(t, "the teacher's home", evOK(body), http.StatusOK, strconv.Itoa(want)+" "+plural(want, "family", "families")+" in Acorns not heard from today")
	noRuleIDs(t, "the teacher's home", body)
	wantCalls(t, "the teacher", got, calls, 18)
	// The class's page the count links to shows as many not yet acknowledged today.
	page := call(t, w.h, "GET", "/schools/brook-lane/acknowledgements?class=Acorns", tokenFor(teacher), nil, monday1030)
	if n := strings.Count(words(page.Body), "Acknowledged today"); n != all-want {
		t.Errorf("the class's page shows %d families acknowledged today, the home counts %d not heard from of %d", n, want, all)
	}
	// Every family heard from: said plainly, still linked to the class.
	for i := range sheet.Families {
		ack(teacher, i, "", monday1030)
	}
	got, body, _ = w.home(teacher)
	if _, ok := got["class-a"]; ok {
		t.Errorf("the home still counts %d families not heard from", got["class-a"])
	}
	wantBody(t, "the teacher's home with every family heard from", evOK(body), http.StatusOK, "Every family in Acorns heard from today", href)
}

// How an import went, in plain words, for each way it can end.
func TestImportOutcomeInPlainWords(t *testing.T) {
	for _, c := range []struct {
		r    imports.Record
		want string
	}{
		{imports.Record{Status: imports.StatusRunning}, "Still being read"},
		{imports.Record{Status: imports.StatusFailed, ErrorRows: 1}, "The file could not be read: nothing changed"},
		{imports.Record{Status: imports.StatusDone, Rows: 3, ErrorRows: 1}, "Not imported: 1 row with errors"},
		{imports.Record{Status: imports.StatusDone, Applied: true, Rows: 3, ErrorRows: 2}, "1 row imported, 2 rows with errors left out"},
		{imports.Record{Status: imports.StatusDone, Applied: true, Rows: 540}, "540 rows imported, none with errors"},
	} {
		if got := importOutcome(c.r); got != c.want {
			t.Errorf("%+v: %q, want %q", c.r, got, c.want)
		}
	}
	now := monday1030
	list := []imports.Record{{At: now.Add(-time.Hour), ErrorRows: 1}, {At: now.Add(-imports.RecentWithin + time.Minute), Status: imports.StatusFailed},
		{At: now.Add(-imports.RecentWithin - time.Minute), ErrorRows: 3}, {At: now.Add(-2 * time.Hour), Applied: true}}
	if n := imports.WithErrors(list, now); n != 2 {
		t.Errorf("%d imports with errors in the last 30 days, want 2", n)
	}
}
