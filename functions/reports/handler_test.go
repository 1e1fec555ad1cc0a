package main

import (
	"context"
	"encoding/csv"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

var (
	local = apitest.Local
	api   = apitest.For("reports")
)

type world struct {
	t     *testing.T
	st    *store.Store
	calls *dynamotest.Counter
	h     handler
	uc    concerns.Concerns
	cases casework.Cases
	eng   engagement.Engagement
	job   engagement.FamilyEscalation
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table, calls := dynamotest.NewCountingClient(t)
	st := store.New(db, table)
	apitest.SeedDemoWithFamilies(t, db, table)
	bank := calendar.EnglandAndWales()
	return &world{t: t, st: st, calls: calls, h: newHandler(st),
		uc:    concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(), Calendar: bank, NewID: store.NewID},
		cases: casework.Cases{Store: st, Calendar: bank, NewID: store.NewID},
		eng:   engagement.Engagement{Store: st, BankHolidays: bank, NewID: store.NewID},
		job:   engagement.FamilyEscalation{Store: st, BankHolidays: bank, NewID: store.NewID}}
}

// concern records a concern by Tom about a Brook Lane pupil at a local time.
func (w *world) concern(at string, category string, high bool) safeguarding.ConcernID {
	w.t.Helper()
	now := local(at)
	r, err := w.uc.Record(context.Background(), safeguarding.Caller{Email: apitest.Tom, At: now}, seed.BrookLane, concerns.NewConcern{
		PupilIDs: []safeguarding.PupilID{"bl-01"}, Category: category, HighPriority: high, ObservedAt: now.Add(-10 * time.Minute),
		Details: "Test concern."}, safeguarding.RequestKey{}, "")
	apitest.Must(w.t, err)
	return safeguarding.ConcernID(r.ID)
}

func (w *world) action(c safeguarding.ConcernID, at, typ string) {
	w.t.Helper()
	in := casework.NewAction{Type: typ, AssigneeEmail: apitest.Daniel, Notes: "Next step."}
	if typ == string(casework.ActionReferral) {
		in.ReferralTo = "early-help"
	}
	_, err := w.cases.AddAction(context.Background(), safeguarding.Caller{Email: apitest.Helen, At: local(at)}, seed.BrookLane, c, in, safeguarding.RequestKey{}, "")
	apitest.Must(w.t, err)
}

func (w *world) get(email, path string, now time.Time) reply {
	w.t.Helper()
	w.calls.Reset()
	resp := apitest.Serve(w.t, w.h.Handle, api.Event("GET", path, email, "", now, nil))
	return reply{status: resp.StatusCode, body: resp.Body, headers: resp.Headers}
}

type reply struct {
	status  int
	body    string
	headers map[string]string
}

// assertReads: a report reads a handful of items by key, never a Scan or a Query.
func (w *world) assertReads(what string, batches int) {
	w.t.Helper()
	c := w.calls.Counts()
	if c["Scan"] != 0 || c["Query"] != 0 {
		w.t.Errorf("%s: %v, want no Scan and no Query", what, c)
	}
	if c["BatchGetItem"] != batches {
		w.t.Errorf("%s: %d BatchGetItem, want %d (%v)", what, c["BatchGetItem"], batches, c)
	}
	if total := c["BatchGetItem"] + c["GetItem"] + c["PutItem"] + c["TransactWriteItems"]; total > batches+2 {
		w.t.Errorf("%s: %d round trips (%v), want a handful", what, total, c)
	}
}

func monthOfReport(t *testing.T, body map[string]any, period, month string) map[string]any {
	t.Helper()
	p := body[period].(map[string]any)
	for _, m := range p["months"].([]any) {
		if mm := m.(map[string]any); mm["month"] == month {
			return mm
		}
	}
	t.Fatalf("no month %s in %s", month, period)
	return nil
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// Rule D10: the governors' report gives, month by month, the concerns recorded by category
// and priority, how soon the DSLs first acted (on time, late, not yet), the referrals made,
// and the families heard from and gone missing during a closure, exactly as the records made
// here; it reads three batches of items by key (no Scan, no Query) and its reading is audited.
func TestRule_D10_GovernorsReportFiguresAreTheRecordsMadeAndReadByKey(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	// October, the autumn term: one concern, acted on late by a referral.
	oct := w.concern("2026-10-05 10:00", "wellbeing", false)
	w.action(oct, "2026-10-07 09:00", string(casework.ActionReferral))
	// November: three concerns; one acted on in time, one closed the same day, one waiting.
	a := w.concern("2026-11-23 09:00", "safeguarding", true)
	b := w.concern("2026-11-23 09:30", "safeguarding", false)
	w.concern("2026-11-24 11:00", "behaviour", false)
	w.action(a, "2026-11-23 10:00", string(casework.ActionDSL))
	w.action(a, "2026-11-23 10:30", string(casework.ActionReferral)) // a second referral, not a second D1
	_, err := w.cases.ChangeCase(ctx, safeguarding.Caller{Email: apitest.Daniel, At: local("2026-11-23 12:00")}, seed.BrookLane, b,
		casework.ChangeClose, "", "Nothing more to do.", safeguarding.RequestKey{}, "")
	apitest.Must(t, err)
	// A closure from Monday 2 November: one family acknowledges; the others go missing.
	apitest.Must(t, w.st.PutClosure(ctx, safeguarding.Closure{ID: "nov", School: seed.BrookLane, From: local("2026-11-02 00:00"),
		StartedBy: apitest.Helen, StartedAt: local("2026-11-02 08:00"), Version: 1}))
	_, err = w.eng.Acknowledge(ctx, safeguarding.Caller{Email: apitest.Daniel, At: local("2026-11-03 10:00")}, seed.BrookLane,
		[]contact.Acknowledgement{{PupilID: "bl-01", At: local("2026-11-03 09:55"), Kind: contact.AckThumbsUp}}, safeguarding.RequestKey{}, "")
	apitest.Must(t, err)
	// A second acknowledgement the same month is the same family heard from: counted once.
	_, err = w.eng.Acknowledge(ctx, safeguarding.Caller{Email: apitest.Daniel, At: local("2026-11-04 10:00")}, seed.BrookLane,
		[]contact.Acknowledgement{{PupilID: "bl-01", At: local("2026-11-04 09:55"), Kind: contact.AckMessage}}, safeguarding.RequestKey{}, "")
	apitest.Must(t, err)
	run, err := w.job.RunSchool(ctx, safeguarding.SchoolDue{ID: seed.BrookLane}, local("2026-11-11 05:30"))
	apitest.Must(t, err)
	if run.Missing == 0 {
		t.Fatalf("no family went missing: %+v", run)
	}
	// The family heard from on the 4th goes missing later: counted missing, not heard from again.
	later, err := w.job.RunSchool(ctx, safeguarding.SchoolDue{ID: seed.BrookLane}, local("2026-11-13 05:30"))
	apitest.Must(t, err)
	if later.Missing != 1 {
		t.Fatalf("the family heard from on the 4th: %+v", later)
	}
	run.Missing += later.Missing

	now := local("2026-11-25 16:00")
	resp := w.get(apitest.Martin, "/api/schools/brook-lane/reports/governors?term=2026-autumn", now)
	if resp.status != http.StatusOK {
		t.Fatalf("governor: %d %s", resp.status, resp.body)
	}
	w.assertReads("the governors' report", 2)
	if c := w.calls.Counts(); c["PutItem"] != 1 {
		t.Errorf("the reading's audit entry: %v", c)
	}
	body := apitest.Object(t, apitest.Serve(t, w.h.Handle, api.Event("GET", "/api/schools/brook-lane/reports/governors?term=2026-autumn", apitest.Martin, "", now, nil)))
	if body["period"].(map[string]any)["name"] != "Autumn term 2026" || body["previous"].(map[string]any)["name"] != "Summer term 2026" {
		t.Errorf("periods %v / %v", body["period"], body["previous"])
	}
	o := monthOfReport(t, body, "period", "2026-10")
	if num(o["concerns"]) != 1 || num(o["normalPriority"]) != 1 || num(o["actedLate"]) != 1 || num(o["actedOnTime"]) != 0 ||
		num(o["referrals"]) != 1 || num(o["byCategory"].(map[string]any)["wellbeing"]) != 1 || num(o["onTimePercent"]) != 0 {
		t.Errorf("October: %v", o)
	}
	n := monthOfReport(t, body, "period", "2026-11")
	cats := n["byCategory"].(map[string]any)
	if num(n["concerns"]) != 3 || num(n["highPriority"]) != 1 || num(n["normalPriority"]) != 2 || num(cats["safeguarding"]) != 2 ||
		num(cats["behaviour"]) != 1 || num(n["actedOnTime"]) != 2 || num(n["actedLate"]) != 0 || num(n["notYetActedOn"]) != 1 ||
		num(n["onTimePercent"]) != 66 || num(n["referrals"]) != 1 {
		t.Errorf("November: %v", n)
	}
	if num(n["familiesAcknowledged"]) != 1 || num(n["familiesMissing"]) != run.Missing || num(n["familiesContacted"]) != 0 {
		t.Errorf("November's families: %v, want 1 acknowledged and %d missing", n, run.Missing)
	}
	total := body["period"].(map[string]any)["total"].(map[string]any)
	if num(total["concerns"]) != 4 || num(total["referrals"]) != 2 {
		t.Errorf("the term's total %v", total)
	}
	if strings.Contains(resp.body, "bl-01") || strings.Contains(resp.body, "@") || strings.Contains(resp.body, string(a)) {
		t.Errorf("the report names someone or something: %s", resp.body)
	}

	// The same figures as CSV, both ways of asking.
	for _, path := range []string{"/api/schools/brook-lane/reports/governors.csv?term=2026-autumn", "/api/schools/brook-lane/reports/governors?term=2026-autumn&format=csv"} {
		resp := w.get(apitest.Helen, path, now)
		if resp.status != http.StatusOK || !strings.HasPrefix(resp.headers["Content-Type"], "text/csv") {
			t.Fatalf("%s: %d %v", path, resp.status, resp.headers)
		}
		rows, err := csv.NewReader(strings.NewReader(resp.body)).ReadAll()
		apitest.Must(t, err)
		header := rows[0]
		col := map[string]int{}
		for i, h := range header {
			col[h] = i
		}
		var nov []string
		for _, r := range rows[1:] {
			if r[col["month"]] == "2026-11" {
				nov = r
			}
		}
		if nov == nil || nov[col["concerns"]] != "3" || nov[col["category: Safeguarding"]] != "2" || nov[col["first action on time"]] != "2" ||
			nov[col["not yet acted on"]] != "1" || nov[col["referrals"]] != "1" || nov[col["families heard from by acknowledgement"]] != "1" {
			t.Errorf("%s: November's row %v of %v", path, nov, header)
		}
		if len(rows) != 1+4+5 { // summer (April to August) then autumn (September to December)
			t.Errorf("%s: %d rows", path, len(rows))
		}
		if strings.Contains(resp.body, "@") || strings.Contains(resp.body, "bl-01") {
			t.Errorf("the CSV names someone: %s", resp.body)
		}
	}

	// Ofsted's year: September 2026 to August 2027, with the year before; two batches again.
	resp = w.get(apitest.Helen, "/api/schools/brook-lane/reports/ofsted?year=2026", now)
	if resp.status != http.StatusOK {
		t.Fatalf("ofsted: %d %s", resp.status, resp.body)
	}
	w.assertReads("Ofsted's report", 2)
	body = apitest.Object(t, apitest.Serve(t, w.h.Handle, api.Event("GET", "/api/schools/brook-lane/reports/ofsted?year=2026", apitest.Helen, "", now, nil)))
	if p := body["period"].(map[string]any); len(p["months"].([]any)) != 12 || num(p["total"].(map[string]any)["concerns"]) != 4 {
		t.Errorf("ofsted's year %v", p)
	}

	// Each reading is in the audit trail, by who read it.
	_, entries, _, err := w.st.AuditTrail(ctx, apitest.Helen, seed.BrookLane, audit.Query{Person: apitest.Martin,
		From: safeguarding.LocalDay(now), To: safeguarding.LocalDay(now).AddDate(0, 0, 1), Limit: 50})
	apitest.Must(t, err)
	read := 0
	for _, e := range entries {
		if e.Action == "report.read" && e.Actor == apitest.Martin && e.Subject == "report/governors/2026-autumn" {
			read++
		}
	}
	if read != 2 {
		t.Errorf("%d audit entries of the governor's readings, want 2", read)
	}
}

// Rule P2: a school's governors read its anonymised reports and nothing else; a teacher, the
// office and a stranger may not read them; a bad term or year is a problem naming the field.
func TestRule_P2_GovernorsReadTheReportsTeachersAndTheOfficeDoNot(t *testing.T) {
	w := newWorld(t)
	now := local("2026-11-25 16:00")
	for _, who := range []string{apitest.Martin, apitest.Helen, apitest.Daniel} {
		if r := w.get(who, "/api/schools/brook-lane/reports/governors", now); r.status != http.StatusOK {
			t.Errorf("%s: %d %s", who, r.status, r.body)
		}
	}
	for _, who := range []string{apitest.Tom, apitest.Grace, apitest.Priya, apitest.Ruth, apitest.Stranger} {
		for _, path := range []string{"/api/schools/brook-lane/reports/governors", "/api/schools/brook-lane/reports/ofsted.csv"} {
			if r := w.get(who, path, now); r.status != http.StatusForbidden && r.status != http.StatusNotFound {
				t.Errorf("%s %s: %d, want 403 or 404", who, path, r.status)
			}
		}
	}
	for path, field := range map[string]string{
		"/api/schools/brook-lane/reports/governors?term=2026-winter": "term",
		"/api/schools/brook-lane/reports/ofsted?year=26":             "year",
		"/api/schools/brook-lane/reports/governors?format=pdf":       "format",
	} {
		resp := apitest.Serve(t, w.h.Handle, api.Event("GET", path, apitest.Helen, "", now, nil))
		if resp.StatusCode != http.StatusBadRequest || !apitest.NamesField(apitest.JSON(t, resp), field) {
			t.Errorf("%s: %d %s", path, resp.StatusCode, resp.Body)
		}
	}
	// The federation's view: Sam is a DSL at Hillcrest only (a teacher at Brook Lane), so his
	// report holds Hillcrest alone; Helen's holds Brook Lane.
	resp := apitest.Serve(t, w.h.Handle, api.Event("GET", "/api/reports/governors?term=2026-autumn", apitest.Sam, "", now, nil))
	body := apitest.Object(t, resp)
	if schools, _ := body["schools"].([]any); len(schools) != 1 || schools[0].(map[string]any)["school"] != string(seed.Hillcrest) {
		t.Errorf("Sam's federation report: %v", body["schools"])
	}
	if r := w.get(apitest.Tom, "/api/reports/governors", now); r.status != http.StatusForbidden {
		t.Errorf("a teacher's federation report: %d", r.status)
	}
}
