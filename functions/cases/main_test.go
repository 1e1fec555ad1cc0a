package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/openapitest"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The demo federation's people at Brook Lane.
var (
	teacher = seed.Email("Tom", "Hughes")
	staff   = seed.Email("Priya", "Shah")
	dsl     = seed.Email("Daniel", "Reyes")
	head    = seed.Email("Helen", "Carter")
	other   = seed.Email("Chloe", "Adams") // a DSL of Hillcrest only
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
	if err := seed.Apply(context.Background(), st, seed.Demo()); err != nil {
		t.Fatal(err)
	}
	return &world{t: t, db: db, table: table, st: st, h: newHandler(st)}
}

// at is a school-local time on Monday 23 November 2026.
func at(hhmm string) time.Time {
	t, _ := time.ParseInLocation("2006-01-02 15:04", "2026-11-23 "+hhmm, safeguarding.London)
	return t
}

// concern records a concern by the teacher about two Brook Lane pupils.
func (w *world) concern(high bool, now time.Time) safeguarding.ConcernID {
	w.t.Helper()
	uc := safeguarding.Concerns{Store: w.st, Catalogue: safeguarding.PolicyCatalogue(), Calendar: calendar.EnglandAndWales(), NewID: store.NewID}
	r, err := uc.Record(context.Background(), safeguarding.Caller{Email: teacher, At: now}, seed.BrookLane, safeguarding.NewConcern{
		PupilIDs: []safeguarding.PupilID{"bl-01", "bl-02"}, Category: "safeguarding", HighPriority: high, ObservedAt: now.Add(-10 * time.Minute),
		Details: "Test concern.",
	}, safeguarding.RequestKey{}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return safeguarding.ConcernID(r.ID)
}

func (w *world) call(method, route, path, email, body string, params, query map[string]string, now time.Time, headers map[string]string) (int, map[string]any) {
	w.t.Helper()
	h := map[string]string{"content-type": "application/json"}
	for k, v := range headers {
		h[strings.ToLower(k)] = v
	}
	if params == nil {
		params = map[string]string{}
	}
	params["school"] = string(seed.BrookLane)
	req := httpapi.Request{RouteKey: method + " " + route, RawPath: path, Headers: h, Body: body, PathParameters: params, QueryStringParameters: query,
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "r", TimeEpoch: now.UnixMilli(),
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{"email": email}}}}}
	resp, err := w.h.Handle(context.Background(), req)
	if err != nil {
		w.t.Fatal(err)
	}
	openapitest.Check(w.t, req, resp)
	var out map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		w.t.Fatalf("%d %q: %v", resp.StatusCode, resp.Body, err)
	}
	return resp.StatusCode, out
}

func (w *world) addAction(email string, concern safeguarding.ConcernID, body string, now time.Time, headers map[string]string) (int, map[string]any) {
	return w.call("POST", "/api/schools/{school}/concerns/{id}/actions", "/api/schools/brook-lane/concerns/"+string(concern)+"/actions",
		email, body, map[string]string{"id": string(concern)}, nil, now, headers)
}

func (w *world) onAction(verb, email, id, body string, now time.Time) (int, map[string]any) {
	return w.call("POST", "/api/schools/{school}/actions/{id}/"+verb, "/api/schools/brook-lane/actions/"+id+"/"+verb,
		email, body, map[string]string{"id": id}, nil, now, nil)
}

func (w *world) myWork(email, assignee string, now time.Time) (int, []any) {
	status, body := w.call("GET", "/api/schools/{school}/actions", "/api/schools/brook-lane/actions", email, "", nil,
		map[string]string{"assignee": assignee, "status": "open"}, now, nil)
	list, _ := body["actions"].([]any)
	return status, list
}

// items counts the test table's items by type. A test may Scan; the product never does.
func (w *world) items() map[string]int {
	w.t.Helper()
	out := map[string]int{}
	p := dynamodb.NewScanPaginator(w.db, &dynamodb.ScanInput{TableName: &w.table})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		for _, it := range page.Items {
			if s, ok := it["type"].(*types.AttributeValueMemberS); ok {
				out[s.Value]++
				if s.Value == "outbox" {
					out["outbox:"+it["kind"].(*types.AttributeValueMemberS).Value]++
				}
			}
		}
	}
	return out
}
