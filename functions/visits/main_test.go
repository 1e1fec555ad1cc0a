package main

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	deadlinespkg "github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The demo federation's people at Brook Lane.
var (
	tom    = apitest.Tom    // a teacher, goes on the visit
	priya  = apitest.Priya  // staff, goes on the visit
	sam    = apitest.Sam    // a teacher, their line manager
	dsl    = apitest.Daniel // a DSL, plans visits
	head   = apitest.Helen  // the Senior DSL
	gov    = apitest.Martin // the safeguarding governor
	office = apitest.Grace
	chloe  = apitest.Chloe // a DSL of Hillcrest only
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
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table, counter := dynamotest.NewCountingClient(t)
	st := store.New(db, table)
	apitest.SeedDemoWithFamilies(t, db, table)
	counter.Reset()
	return &world{t: t, db: db, table: table, st: st, counter: counter, h: newHandler(st)}
}

var (
	local = apitest.Local // a school-local time "2006-01-02 15:04"
	api   = apitest.For("visits")
	// problemOn reports whether a problem lists a field among its errors.
	problemOn = apitest.NamesField
)

// call sends a request through the route table of template.yaml, as API Gateway would, at a
// local time; headers are name, value pairs.
func (w *world) call(method, path, email, body string, at string, headers ...string) (int, map[string]any) {
	w.t.Helper()
	h := map[string]string{}
	for i := 0; i+1 < len(headers); i += 2 {
		h[headers[i]] = headers[i+1]
	}
	resp := apitest.Serve(w.t, w.h.Handle, api.Event(method, path, email, body, local(at), h))
	return resp.StatusCode, apitest.JSON(w.t, resp)
}

const visitsPath = "/api/schools/brook-lane/visits"

// plan plans the usual visit: Tom and Priya go to the Whitfields on Monday 1 March 2027 from
// 10:00 to 11:00, Sam is their line manager.
func (w *world) plan(at string) string {
	w.t.Helper()
	status, v := w.call("POST", visitsPath, dsl, planBody(family, "2027-03-01T10:00:00Z", "2027-03-01T11:00:00Z"), at)
	if status != 201 {
		w.t.Fatalf("plan: %d %v", status, v)
	}
	return v["id"].(string)
}

func planBody(fam, start, end string) string {
	return `{"familyId":"` + fam + `","staffEmails":["` + tom + `","` + priya + `"],"lineManagerEmail":"` + sam +
		`","plannedStart":"` + start + `","plannedEnd":"` + end + `","reason":"No answer to three calls this week."}`
}

// started plans, authorises, calls ahead and starts the usual visit.
func (w *world) started() string {
	w.t.Helper()
	id := w.plan("2027-02-26 15:00")
	w.ok("POST", visitsPath+"/"+id+"/authorise", head, "", "2027-02-26 16:00")
	w.ok("POST", visitsPath+"/"+id+"/call-ahead", tom, `{"outcome":"agreed"}`, "2027-03-01 09:30")
	w.ok("POST", visitsPath+"/"+id+"/start", tom, "", "2027-03-01 09:55")
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
// action, chronology entries by their type.
func (w *world) items() map[string]int {
	w.t.Helper()
	return apitest.CountItems(w.t, w.db, w.table, map[string]string{"outbox": "kind", "audit": "action", "chronology": "entryType"})
}

// alerts lists the outbox items of a kind as "audience recipient channel priority".
func (w *world) alerts(kind string) []string {
	w.t.Helper()
	var out []string
	for _, it := range apitest.Items(w.t, w.db, w.table) {
		s := func(k string) string { return apitest.Attr(it, k) }
		if s("type") == "outbox" && s("kind") == kind {
			out = append(out, s("audience")+" "+s("recipient")+" "+s("channel")+" "+s("priority"))
		}
	}
	return out
}

// deadlines runs the deadline engine at a local time, as the schedule would.
func (w *world) deadlines(at string) deadlinespkg.DeadlineRun {
	w.t.Helper()
	run, err := deadlinespkg.Deadlines{Store: w.st, Parallel: 2}.Run(context.Background(), local(at))
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
