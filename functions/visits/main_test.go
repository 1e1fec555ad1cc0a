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
	"github.com/keepsafe-schools/keepsafe/infra/template"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The demo federation's people at Brook Lane.
var (
	tom    = seed.Email("Tom", "Hughes")   // a teacher, goes on the visit
	priya  = seed.Email("Priya", "Shah")   // staff, goes on the visit
	sam    = seed.Email("Sam", "Ellis")    // a teacher, their line manager
	dsl    = seed.Email("Daniel", "Reyes") // a DSL, plans visits
	head   = seed.Email("Helen", "Carter") // the Senior DSL
	gov    = seed.Email("Martin", "Doyle") // the safeguarding governor
	office = seed.Email("Grace", "Bennett")
	chloe  = seed.Email("Chloe", "Adams") // a DSL of Hillcrest only
)

// The Whitfield family (fam-02) has two children at Brook Lane, Alfie (bl-02) and Poppy (bl-03).
const family = "fam-02"

type world struct {
	t       *testing.T
	db      *dynamodb.Client
	table   string
	st      *store.Store
	counter *dynamotest.Counter
	h       handler
	routes  []template.Route
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table, counter := dynamotest.NewCountingClient(t)
	st := store.New(db, table)
	d := seed.Demo()
	if err := seed.Apply(context.Background(), st, d); err != nil {
		t.Fatal(err)
	}
	if err := seed.ApplyFamilies(context.Background(), st, d); err != nil {
		t.Fatal(err)
	}
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	fn, _ := tpl.FunctionByFolder("visits")
	counter.Reset()
	return &world{t: t, db: db, table: table, st: st, counter: counter, h: newHandler(st), routes: fn.Routes}
}

// local is a school-local time "2006-01-02 15:04".
func local(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, safeguarding.London)
	if err != nil {
		panic(err)
	}
	return t
}

// call sends a request through the route table of template.yaml, as API Gateway would.
func (w *world) call(method, path, email, body string, at string, headers ...string) (int, map[string]any) {
	w.t.Helper()
	r, params, ok := template.MatchRoute(w.routes, method, path)
	if !ok {
		w.t.Fatalf("no route for %s %s", method, path)
	}
	h := map[string]string{"content-type": "application/json"}
	for i := 0; i+1 < len(headers); i += 2 {
		h[strings.ToLower(headers[i])] = headers[i+1]
	}
	now := local(at)
	req := httpapi.Request{Version: "2.0", RouteKey: r.RouteKey(), RawPath: path, Headers: h, Body: body, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{RequestID: "r", TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path, SourceIP: "192.0.2.7"},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{"email": email}}}}}
	resp, err := w.h.Handle(context.Background(), req)
	if err != nil {
		w.t.Fatal(err)
	}
	openapitest.Check(w.t, req, resp)
	var out map[string]any
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
			w.t.Fatalf("%d %q: %v", resp.StatusCode, resp.Body, err)
		}
	}
	return resp.StatusCode, out
}

const visits = "/api/schools/brook-lane/visits"

// plan plans the usual visit: Tom and Priya go to the Whitfields on Monday 1 March 2027 from
// 10:00 to 11:00, Sam is their line manager.
func (w *world) plan(at string) string {
	w.t.Helper()
	status, v := w.call("POST", visits, dsl, planBody(family, "2027-03-01T10:00:00Z", "2027-03-01T11:00:00Z"), at)
	if status != 201 {
		w.t.Fatalf("plan: %d %v", status, v)
	}
	return v["id"].(string)
}

func planBody(fam, start, end string) string {
	return `{"familyId":"` + fam + `","staffEmails":["` + tom + `","` + priya + `"],"lineManagerEmail":"` + sam +
		`","plannedStart":"` + start + `","plannedEnd":"` + end + `"}`
}

// started plans, authorises, calls ahead and starts the usual visit.
func (w *world) started() string {
	w.t.Helper()
	id := w.plan("2027-02-26 15:00")
	w.ok("POST", visits+"/"+id+"/authorise", head, "", "2027-02-26 16:00")
	w.ok("POST", visits+"/"+id+"/call-ahead", tom, `{"outcome":"agreed"}`, "2027-03-01 09:30")
	w.ok("POST", visits+"/"+id+"/start", tom, "", "2027-03-01 09:55")
	return id
}

// ok sends a request that must answer 200.
func (w *world) ok(method, path, email, body, at string) map[string]any {
	w.t.Helper()
	status, out := w.call(method, path, email, body, at)
	if status != 200 {
		w.t.Fatalf("%s %s by %s: %d %v", method, path, email, status, out)
	}
	return out
}

// items counts the test table's items by type, outbox items also by kind, audit items also by
// action. A test may Scan; the product never does.
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
			s := func(k string) string {
				v, _ := it[k].(*types.AttributeValueMemberS)
				if v == nil {
					return ""
				}
				return v.Value
			}
			out[s("type")]++
			switch s("type") {
			case "outbox":
				out["outbox:"+s("kind")]++
			case "audit":
				out["audit:"+s("action")]++
			case "chronology":
				out["chronology:"+s("entryType")]++
			}
		}
	}
	return out
}

// alerts lists the outbox items of a kind as "audience recipient channel priority".
func (w *world) alerts(kind string) []string {
	w.t.Helper()
	var out []string
	p := dynamodb.NewScanPaginator(w.db, &dynamodb.ScanInput{TableName: &w.table})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		for _, it := range page.Items {
			s := func(k string) string {
				v, _ := it[k].(*types.AttributeValueMemberS)
				if v == nil {
					return ""
				}
				return v.Value
			}
			if s("type") == "outbox" && s("kind") == kind {
				out = append(out, s("audience")+" "+s("recipient")+" "+s("channel")+" "+s("priority"))
			}
		}
	}
	return out
}

// deadlines runs the deadline engine at a local time, as the schedule would.
func (w *world) deadlines(at string) safeguarding.DeadlineRun {
	w.t.Helper()
	run, err := safeguarding.Deadlines{Store: w.st, Parallel: 2}.Run(context.Background(), local(at))
	if err != nil {
		w.t.Fatal(err)
	}
	return run
}

func diff(before, after map[string]int) map[string]int {
	out := map[string]int{}
	for k, v := range after {
		if v != before[k] {
			out[k] = v - before[k]
		}
	}
	for k, v := range before {
		if _, ok := after[k]; !ok {
			out[k] = -v
		}
	}
	return out
}
