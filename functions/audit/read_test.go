package main

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/anchor"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

var (
	at  = apitest.At // a school-local time on Monday 23 November 2026
	api = apitest.For("audit")
)

type world struct {
	t     *testing.T
	st    *store.Store
	calls *dynamotest.Counter
	h     handler
	uc    concerns.Concerns
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table, calls := dynamotest.NewCountingClient(t)
	st := store.New(db, table)
	apitest.SeedDemo(t, db, table)
	return &world{t: t, st: st, calls: calls, h: newHandler(st, anchor.Anchors{}),
		uc: concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(), Calendar: calendar.EnglandAndWales(), NewID: store.NewID}}
}

// concern records a concern by Tom about the two first pupils of Brook Lane; with about, a
// concern about that member of staff (C5).
func (w *world) concern(now time.Time, about string) concerns.Concern {
	w.t.Helper()
	r, err := w.uc.Record(context.Background(), safeguarding.Caller{Email: apitest.Tom, At: now}, seed.BrookLane, concerns.NewConcern{
		PupilIDs: []safeguarding.PupilID{"bl-01", "bl-02"}, Category: "safeguarding", ObservedAt: now.Add(-10 * time.Minute),
		Details: "Test concern.", AboutStaff: about != "", SubjectStaffEmail: about,
	}, safeguarding.RequestKey{}, "")
	apitest.Must(w.t, err)
	c, err := w.uc.Concern(context.Background(), safeguarding.Caller{Email: apitest.Helen, At: now.Add(time.Minute)}, seed.BrookLane, safeguarding.ConcernID(r.ID))
	apitest.Must(w.t, err)
	return c
}

// read reads the trail as email at now with query, and its entries.
func (w *world) read(email string, now time.Time, query url.Values) (int, map[string]any, []map[string]any) {
	w.t.Helper()
	path := "/api/schools/brook-lane/audit"
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	resp := apitest.Serve(w.t, w.h.Handle, api.Event("GET", path, email, "", now, nil))
	body := apitest.Object(w.t, resp)
	var entries []map[string]any
	list, _ := body["entries"].([]any)
	for _, e := range list {
		entries = append(entries, e.(map[string]any))
	}
	return resp.StatusCode, body, entries
}

func find(entries []map[string]any, action, on string) map[string]any {
	for _, e := range entries {
		if e["action"] == action && e["on"] == on {
			return e
		}
	}
	return nil
}

// Rule P4: the Senior DSL reads who opened or changed a pupil's record, what a member of staff
// read or wrote, and between dates, by name and in plain words; an entry with two pupils is
// found by each.
func TestRule_P4_TheSeniorDSLReadsTheTrailByPupilPersonAndDates(t *testing.T) {
	w := newWorld(t)
	c := w.concern(at("09:00").AddDate(0, 0, -3), "")
	_, _, err := w.uc.Chronology(context.Background(), safeguarding.Caller{Email: apitest.Daniel, At: at("09:30")}, seed.BrookLane, "bl-01")
	apitest.Must(t, err)
	on := "Concern " + c.Reference()

	for _, pupil := range []string{"bl-01", "bl-02"} {
		status, _, entries := w.read(apitest.Helen, at("10:00"), url.Values{"pupil": {pupil}})
		recorded := find(entries, "concern.recorded", on)
		if status != 200 || recorded == nil || recorded["who"] != "Tom Hughes" || recorded["what"] != "Recorded a concern" {
			t.Fatalf("by %s: %d %v", pupil, status, entries)
		}
		if ps, _ := recorded["pupils"].([]any); len(ps) != 2 {
			t.Errorf("by %s: the entry names pupils %v, want both", pupil, ps)
		}
		if opened := find(entries, "chronology.read", "The chronology"); (opened != nil) != (pupil == "bl-01") {
			t.Errorf("by %s: the reading of bl-01's chronology: %v", pupil, opened)
		}
	}
	_, _, entries := w.read(apitest.Helen, at("10:00"), url.Values{"person": {apitest.Daniel}})
	if len(entries) != 1 || entries[0]["who"] != "Daniel Reyes" || entries[0]["what"] != "Opened a chronology" {
		t.Errorf("by Daniel: %v", entries)
	}
	day := at("09:00").AddDate(0, 0, -3).Format(time.DateOnly)
	_, body, entries := w.read(apitest.Helen, at("10:00"), url.Values{"from": {day}, "to": {day}})
	if body["from"] != day || body["to"] != day || find(entries, "concern.recorded", on) == nil || find(entries, "chronology.read", "The chronology") != nil {
		t.Errorf("on %s: %v", day, body)
	}
	_, _, entries = w.read(apitest.Helen, at("10:00"), url.Values{"from": {"2026-11-01"}, "to": {"2026-11-10"}})
	if len(entries) != 0 {
		t.Errorf("before anything happened: %v", entries)
	}
}

// Rule P4: each reading of the trail is itself audited, with its filters: the next reading
// shows it first.
func TestRule_P4_EachReadingOfTheTrailIsAudited(t *testing.T) {
	w := newWorld(t)
	w.read(apitest.Daniel, at("10:00"), url.Values{"pupil": {"bl-03"}})
	_, _, entries := w.read(apitest.Helen, at("10:01"), url.Values{"pupil": {"bl-03"}})
	if len(entries) != 1 || entries[0]["action"] != "audit.read" || entries[0]["who"] != "Daniel Reyes" ||
		entries[0]["what"] != "Read the audit trail" || entries[0]["on"] != "The audit trail" {
		t.Errorf("the reading's entry: %v", entries)
	}
}

// Rule P4: a page of the trail by person is four round trips: the reader, one Query, one
// BatchGetItem of the names it shows and the reading's own audit entry.
func TestRule_P4_APageOfTheTrailIsFourRoundTrips(t *testing.T) {
	w := newWorld(t)
	w.concern(at("09:00"), "")
	w.calls.Reset()
	status, _, entries := w.read(apitest.Helen, at("10:00"), url.Values{"person": {apitest.Tom}})
	want := map[string]int{"GetItem": 1, "Query": 1, "BatchGetItem": 1, "PutItem": 1}
	if got := w.calls.Counts(); status != 200 || len(entries) != 1 || len(got) != len(want) || got["GetItem"] != 1 || got["Query"] != 1 ||
		got["BatchGetItem"] != 1 || got["PutItem"] != 1 {
		t.Errorf("%d, %d entries, calls %v, want %v", status, len(entries), got, want)
	}
}

// Rule P4: a long day is read a page at a time, newest first, each entry once.
func TestRule_P4_TheTrailIsPagedAcrossPagesAndDays(t *testing.T) {
	w := newWorld(t)
	for i := range 25 {
		_, _, err := w.uc.Chronology(context.Background(), safeguarding.Caller{Email: apitest.Daniel, At: at("09:00").AddDate(0, 0, -(i % 2)).Add(time.Duration(i) * time.Minute)}, seed.BrookLane, "bl-01")
		apitest.Must(t, err)
	}
	seen := map[string]bool{}
	q := url.Values{"person": {apitest.Daniel}}
	var last time.Time
	for page := 0; page < 5; page++ {
		status, body, entries := w.read(apitest.Helen, at("10:00"), q)
		if status != 200 {
			t.Fatalf("page %d: %d %v", page, status, body)
		}
		for _, e := range entries {
			ts, _ := time.Parse(time.RFC3339, e["at"].(string))
			if seen[e["at"].(string)] || (!last.IsZero() && ts.After(last)) {
				t.Errorf("page %d: %v out of order or twice", page, e)
			}
			seen[e["at"].(string)], last = true, ts
		}
		next, _ := body["next"].(string)
		if next == "" {
			break
		}
		q.Set("cursor", next)
	}
	if len(seen) != 25 {
		t.Errorf("read %d entries over the pages, want 25", len(seen))
	}
}

// Rule C5: a DSL never sees who read or changed a concern about themselves; the Senior DSL,
// to whom it is routed, does.
func TestRule_C5_ADSLNeverSeesTheEntriesAboutAConcernAboutThemselves(t *testing.T) {
	w := newWorld(t)
	c := w.concern(at("09:00"), apitest.Daniel)
	on := "Concern " + c.Reference()
	for _, query := range []url.Values{nil, {"pupil": {"bl-01"}}, {"person": {apitest.Tom}}} {
		_, _, entries := w.read(apitest.Daniel, at("10:00"), query)
		for _, e := range entries {
			if e["on"] == on {
				t.Errorf("Daniel (%v) sees %v", query, e)
			}
		}
		_, _, entries = w.read(apitest.Helen, at("10:00"), query)
		if find(entries, "concern.recorded", on) == nil || query.Get("person") == "" && find(entries, "concern.read", on) == nil {
			t.Errorf("Helen (%v) does not see the concern's entries: %v", query, entries)
		}
	}
}

// Rule P4: the trail is for the Senior DSL and the DSLs of the school; everyone else is
// refused, and every filter is checked, naming the field.
func TestRule_P4_OnlyTheDSLsReadTheTrailAndEveryFilterIsChecked(t *testing.T) {
	w := newWorld(t)
	for _, who := range []string{apitest.Tom, apitest.Priya, apitest.Grace, apitest.Martin, apitest.Chloe} {
		if status, body, _ := w.read(who, at("10:00"), nil); status != 403 || body["entries"] != nil {
			t.Errorf("%s: %d %v", who, status, body)
		}
	}
	for field, query := range map[string]url.Values{
		"from":   {"from": {"2026-10-01"}, "to": {"2026-11-20"}},
		"to":     {"to": {"2026-11-24"}},
		"pupil":  {"pupil": {"bl 01/../x"}},
		"person": {"person": {"not an email"}},
		"cursor": {"cursor": {"bm90IGEgcGFnZQ"}},
		"when":   {"when": {"today"}},
	} {
		status, body, _ := w.read(apitest.Helen, at("10:00"), query)
		if status != 400 || !apitest.NamesField(body, field) {
			t.Errorf("%s: %d %v", field, status, body)
		}
	}
	if status, _, _ := w.read(apitest.Daniel, at("10:00"), url.Values{"person": {"system:escalation"}, "from": {"2026-10-24"}, "to": {"2026-11-23"}}); status != 200 {
		t.Errorf("a job over 31 days: %d", status)
	}
}
