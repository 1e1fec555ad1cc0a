package main

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The demo federation's people at Brook Lane.
var (
	teacher = apitest.Tom
	staff   = apitest.Priya
	dsl     = apitest.Daniel
	head    = apitest.Helen
	other   = apitest.Chloe // a DSL of Hillcrest only
)

type world struct {
	t     *testing.T
	db    *dynamodb.Client
	table string
	st    *store.Store
	h     handler
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	apitest.SeedDemo(t, db, table)
	return &world{t: t, db: db, table: table, st: st, h: newHandler(st)}
}

var (
	at  = apitest.At // a school-local time on Monday 23 November 2026
	api = apitest.For("cases")
)

// concern records a concern by the teacher about two Brook Lane pupils.
func (w *world) concern(high bool, now time.Time) safeguarding.ConcernID {
	w.t.Helper()
	uc := concerns.Concerns{Store: w.st, Catalogue: concerns.PolicyCatalogue(), Calendar: calendar.EnglandAndWales(), NewID: store.NewID}
	r, err := uc.Record(context.Background(), safeguarding.Caller{Email: teacher, At: now}, seed.BrookLane, concerns.NewConcern{
		PupilIDs: []safeguarding.PupilID{"bl-01", "bl-02"}, Category: "safeguarding", HighPriority: high, ObservedAt: now.Add(-10 * time.Minute),
		Details: "Test concern.",
	}, safeguarding.RequestKey{}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return safeguarding.ConcernID(r.ID)
}

// call serves a request (path as sent, with any query) and reads its JSON answer.
func (w *world) call(method, path, email, body string, now time.Time, headers map[string]string) (int, map[string]any) {
	w.t.Helper()
	resp := apitest.Serve(w.t, w.h.Handle, api.Event(method, path, email, body, now, headers))
	return resp.StatusCode, apitest.Object(w.t, resp)
}

func (w *world) addAction(email string, concern safeguarding.ConcernID, body string, now time.Time, headers map[string]string) (int, map[string]any) {
	return w.call("POST", "/api/schools/brook-lane/concerns/"+string(concern)+"/actions", email, body, now, headers)
}

func (w *world) onAction(verb, email, id, body string, now time.Time) (int, map[string]any) {
	return w.call("POST", "/api/schools/brook-lane/actions/"+id+"/"+verb, email, body, now, nil)
}

func (w *world) myWork(email, assignee string, now time.Time) (int, []any) {
	query := url.Values{"assignee": {assignee}, "status": {"open"}}.Encode()
	status, body := w.call("GET", "/api/schools/brook-lane/actions?"+query, email, "", now, nil)
	list, _ := body["actions"].([]any)
	return status, list
}

// items counts the test table's items by type, outbox items also by kind.
func (w *world) items() map[string]int {
	w.t.Helper()
	return apitest.CountItems(w.t, w.db, w.table, map[string]string{"outbox": "kind"})
}
