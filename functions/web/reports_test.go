package main

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// reportSeed records three concerns at Brook Lane in June 2026 (the summer term), one of
// them high priority.
func reportSeed(t *testing.T, w *world) {
	t.Helper()
	ctx := context.Background()
	for i, cat := range []string{"safeguarding", "safeguarding", "wellbeing"} {
		at := monday1030.Add(time.Duration(i) * time.Hour)
		_, err := w.h.Concerns.Record(ctx, safeguarding.Caller{Email: apitest.Tom, At: at}, safeguarding.SchoolID(school),
			concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"bl-01"}, Category: cat, HighPriority: i == 0, ObservedAt: at.Add(-time.Hour),
				Details: "Seen in the playground."}, safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
	}
}

// Rule D10, P2: the governors' report page is the DSLs', the Senior DSL's and the governors'
// ("Reports" in their menu), with a chart and its table for each figure and the CSV of the
// figures; a teacher, the office and staff get "Page not found"; no name is on it.
func TestRule_D10_P2_TheReportPagesAreForTheDSLsAndTheGovernors(t *testing.T) {
	w := newWorld(t)
	reportSeed(t, w)
	page := "/schools/" + school + "/reports/governors?term=2026-summer"
	for _, who := range []string{apitest.Tom, apitest.Grace, apitest.Priya, apitest.Ruth} {
		if resp := call(t, w.h, "GET", page, tokenFor(who), nil, monday1030.Add(6*time.Hour)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", who, resp.StatusCode)
		}
		if resp := call(t, w.h, "GET", "/schools/"+school+"/concerns/new", tokenFor(who), nil, monday1030); strings.Contains(resp.Body, "/reports/governors") {
			t.Errorf("%s has Reports in the menu", who)
		}
	}
	for _, who := range []string{apitest.Martin, apitest.Helen, apitest.Daniel} {
		w.calls.Reset()
		resp := call(t, w.h, "GET", page, tokenFor(who), nil, monday1030.Add(6*time.Hour))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d", who, resp.StatusCode)
		}
		if c := w.calls.Counts(); c["Scan"] != 0 || c["Query"] != 0 {
			t.Errorf("%s: the page read %v", who, c)
		}
		body := resp.Body
		for _, want := range []string{`>Reports<`, "Report for governors: Summer term 2026", `role="img"`, "Concerns by category",
			"How quickly the DSLs acted", "Download the figures (CSV)", "3 concerns recorded"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the page has no %q", who, want)
			}
		}
		if n := strings.Count(body, `role="img"`); n != 6 || strings.Count(body, `<table class="govuk-table"`) != 6 {
			t.Errorf("%s: %d charts", who, n)
		}
		for _, never := range []string{apitest.Tom, "Seen in the playground", "bl-01"} {
			if strings.Contains(body, never) {
				t.Errorf("%s: the report shows %q", who, never)
			}
		}
	}
	resp := call(t, w.h, "GET", "/schools/"+school+"/reports/governors.csv?term=2026-summer", tokenFor(apitest.Martin), nil, monday1030.Add(6*time.Hour))
	csv := resp.Body
	if resp.IsBase64Encoded {
		b, _ := base64.StdEncoding.DecodeString(resp.Body)
		csv = string(b)
	}
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Headers["Content-Type"], "text/csv") ||
		!strings.Contains(csv, "Summer term 2026,2026-06,3,1,2,") {
		t.Errorf("the CSV: %d %v\n%s", resp.StatusCode, resp.Headers, csv)
	}
	if resp := call(t, w.h, "GET", "/schools/"+school+"/reports/ofsted?year=2025", tokenFor(apitest.Helen), nil, monday1030.Add(6*time.Hour)); resp.StatusCode != http.StatusOK ||
		!strings.Contains(resp.Body, "Report for Ofsted: School year 2025 to 2026") || !strings.Contains(resp.Body, "3 concerns recorded") {
		t.Errorf("Ofsted's report: %d", resp.StatusCode)
	}
	if resp := call(t, w.h, "GET", "/schools/"+school+"/reports/governors?term=2026-winter", tokenFor(apitest.Helen), nil, monday1030); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a term that is not one: %d", resp.StatusCode)
	}
}
