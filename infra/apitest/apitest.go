// Package apitest is what the functions' handler tests share, so that each function's tests
// keep only what is their own.
//
// For the API functions: Event builds the event API Gateway (HTTP API, payload 2.0) sends a
// function for a request to one of its routes in template.yaml (the route key and path
// parameters as API Gateway matches them, the query, the headers, the body, the caller's JWT
// claims and the time of the request), and Serve hands it to the handler and holds the request
// and the answer to the API document (openapitest.Check). Path fills a route's path with its
// parameters; JSON and Object read an answer; NamesField and Refusal look at refusals.
//
//	var event = apitest.For("concerns").Event
//	...
//	req := event("POST", "/api/schools/brook-lane/concerns", apitest.Tom, body, apitest.At("09:30"), nil)
//	resp := apitest.Serve(t, h.Handle, req)
//
// For every handler test: Must, a school-local clock (At, Local), the demo federation's people
// (Tom, Daniel, Helen ...) and its seeding (SeedDemo, SeedDemoWithFamilies, and School for a
// test's own small school), and a look at the table a test ran against (Items, CountItems,
// Attr): a test may Scan; the product never does.
package apitest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/openapitest"
	"github.com/keepsafe-schools/keepsafe/infra/template"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// sourceIP is the address every request comes from (TEST-NET-1, never a real client).
const sourceIP = "192.0.2.10"

// API is the HTTP API routes template.yaml gives one function.
type API struct{ folder string }

// For is the API of the function in functions/<folder>. Its routes are read from template.yaml
// on first use, once per test binary.
func For(folder string) API { return API{folder: folder} }

var (
	routesMu sync.Mutex
	routes   = map[string][]template.Route{}
)

// routes returns the function's routes; a template that cannot be read, or has no such
// function, is a broken test set-up and panics.
func (a API) routes() []template.Route {
	routesMu.Lock()
	defer routesMu.Unlock()
	if r, ok := routes[a.folder]; ok {
		return r
	}
	tpl, err := template.LoadDefault()
	if err != nil {
		panic("apitest: " + err.Error())
	}
	fn, ok := tpl.FunctionByFolder(a.folder)
	if !ok {
		panic("apitest: no function of functions/" + a.folder + " in " + tpl.Path)
	}
	routes[a.folder] = fn.Routes
	return fn.Routes
}

// Event is the event API Gateway sends the function for method and path (as sent: escaped,
// with any ?query) by the holder of a token for email (no email claim when "") at now. The
// route key and path parameters are those of the route template.yaml matches; the query string
// comes with its parameters; headers are lower-cased as API Gateway does, with content-type
// application/json unless given. A path that matches none of the function's routes is a
// mistake in the test and panics.
func (a API) Event(method, path, email, body string, now time.Time, headers map[string]string) httpapi.Request {
	rawPath, query, _ := strings.Cut(path, "?")
	route, params, ok := template.MatchRoute(a.routes(), method, rawPath)
	if !ok {
		panic(fmt.Sprintf("apitest: no route of functions/%s in template.yaml serves %s %s", a.folder, method, rawPath))
	}
	h := map[string]string{"content-type": "application/json"}
	for k, v := range headers {
		h[strings.ToLower(k)] = v
	}
	decoded, err := url.PathUnescape(rawPath)
	if err != nil {
		decoded = rawPath
	}
	claims := map[string]string{"sub": seed.Subject(email), "email_verified": "true"}
	if email != "" {
		claims["email"] = email
	}
	return httpapi.Request{
		Version: "2.0", RouteKey: route.RouteKey(), RawPath: rawPath, RawQueryString: query,
		QueryStringParameters: queryParameters(query), PathParameters: params, Headers: h, Body: body,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey: route.RouteKey(), RequestID: fmt.Sprint(now.UnixNano()), TimeEpoch: now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: strings.ToUpper(method), Path: decoded, SourceIP: sourceIP},
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
				JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims},
			},
		},
	}
}

// queryParameters are a query string's parameters as API Gateway passes them: decoded, a
// repeated parameter's values joined with commas; nil for none.
func queryParameters(query string) map[string]string {
	if query == "" {
		return nil
	}
	values, _ := url.ParseQuery(query)
	out := make(map[string]string, len(values))
	for k, v := range values {
		out[k] = strings.Join(v, ",")
	}
	return out
}

// Path is a route's path with its parameters put in, escaped: Path("GET
// /api/schools/{school}/families/{id}", map[string]string{"school": "brook-lane", "id": "fam-01"})
// is "/api/schools/brook-lane/families/fam-01". The route may be a route key or a bare path.
func Path(route string, params map[string]string) string {
	if _, p, ok := strings.Cut(route, " "); ok {
		route = p
	}
	for k, v := range params {
		route = strings.ReplaceAll(route, "{"+k+"}", url.PathEscape(v))
	}
	return route
}

// Handler serves a function's API requests.
type Handler func(context.Context, httpapi.Request) (httpapi.Response, error)

// Serve hands req to h as Lambda would, fails t when h returns an error instead of an answer,
// and fails it when the request the handler accepted or its answer is not as docs/openapi.yaml
// says (openapitest.Check). It returns the answer.
func Serve(t testing.TB, h Handler, req httpapi.Request) httpapi.Response {
	t.Helper()
	resp, err := h(context.Background(), req)
	if err != nil {
		t.Fatalf("%s %s: the handler failed instead of answering: %v", req.RequestContext.HTTP.Method, req.RawPath, err)
	}
	openapitest.Check(t, req, resp)
	return resp
}

// JSON is an answer's JSON object; nil when the body is empty. A body that is not a JSON
// object fails t.
func JSON(t testing.TB, resp httpapi.Response) map[string]any {
	t.Helper()
	if resp.Body == "" {
		return nil
	}
	return Object(t, resp)
}

// Object is an answer's JSON object. A body that is not one, an empty body too, fails t.
func Object(t testing.TB, resp httpapi.Response) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(resp.Body), &out); err != nil {
		t.Fatalf("%d %q is not a JSON object: %v", resp.StatusCode, resp.Body, err)
	}
	return out
}

// NamesField reports whether a problem answer lists field among its errors.
func NamesField(problem map[string]any, field string) bool {
	list, _ := problem["errors"].([]any)
	for _, e := range list {
		if m, ok := e.(map[string]any); ok && m["field"] == field {
			return true
		}
	}
	return false
}

// Refusal fails t unless err is nil or what the API answers with a 4xx problem: a
// *httpapi.ProblemError of a 4xx status, or a *safeguarding.ValidationError. The fuzz tests of
// the decoders call it with whatever a decoder returned.
func Refusal(t testing.TB, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var p *httpapi.ProblemError
	var v *safeguarding.ValidationError
	if !errors.As(err, &p) && !errors.As(err, &v) {
		t.Fatalf("decode error %T %v is not a problem", err, err)
	}
	if p != nil && (p.Status < 400 || p.Status > 499) {
		t.Fatalf("status %d", p.Status)
	}
}

// Must fails t on an error.
func Must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// At is a school-local time ("15:04") on Monday 23 November 2026.
func At(hhmm string) time.Time {
	return Local("2026-11-23 " + hhmm)
}

// Local is a school-local (Europe/London) time, "2006-01-02 15:04" or "2006-01-02 15:04:05".
// A time it cannot read is a mistake in the test and panics.
func Local(s string) time.Time {
	layout := "2006-01-02 15:04"
	if strings.Count(s, ":") == 2 {
		layout += ":05"
	}
	t, err := time.ParseInLocation(layout, s, safeguarding.London)
	if err != nil {
		panic(err)
	}
	return t
}

// The demo federation's people (infra/local/seed), by first name, with their roles.
var (
	Helen    = seed.Email("Helen", "Carter")   // Brook Lane's Senior DSL
	Daniel   = seed.Email("Daniel", "Reyes")   // a Brook Lane DSL, teaches Willows
	Tom      = seed.Email("Tom", "Hughes")     // teaches Acorns at Brook Lane
	Priya    = seed.Email("Priya", "Shah")     // Brook Lane staff, no class, no mobile
	Grace    = seed.Email("Grace", "Bennett")  // Brook Lane admin (the office)
	Martin   = seed.Email("Martin", "Doyle")   // Brook Lane's governor
	Sam      = seed.Email("Sam", "Ellis")      // teaches Saplings at Brook Lane; teacher and DSL at Hillcrest
	Robert   = seed.Email("Robert", "King")    // Hillcrest's Senior DSL
	Chloe    = seed.Email("Chloe", "Adams")    // a Hillcrest DSL, no role at Brook Lane
	Owen     = seed.Email("Owen", "Price")     // teaches Kestrels and Falcons at Hillcrest
	Leah     = seed.Email("Leah", "Morgan")    // Hillcrest staff
	Fatima   = seed.Email("Fatima", "Begum")   // Hillcrest admin, no mobile
	Ruth     = seed.Email("Ruth", "Palmer")    // Hillcrest's governor
	Stranger = "someone@elsewhere.example.org" // no role anywhere
)

// SeedDemo writes the demo federation's schools, staff and pupils into table, as the store
// writes them (seedInto).
func SeedDemo(t testing.TB, db *dynamodb.Client, table string) {
	t.Helper()
	seedInto(t, db, table, "demo", func(st *store.Store) error { return seed.Apply(context.Background(), st, seed.Demo()) })
}

// SeedDemoWithFamilies writes the demo federation and its classes, family records and
// contact details into table, as the store writes them (seedInto).
func SeedDemoWithFamilies(t testing.TB, db *dynamodb.Client, table string) {
	t.Helper()
	seedInto(t, db, table, "demo with families", func(st *store.Store) error {
		d := seed.Demo()
		if err := seed.Apply(context.Background(), st, d); err != nil {
			return err
		}
		return seed.ApplyFamilies(context.Background(), st, d)
	})
}

// seeds keeps the items each kind of seeding wrote, the first time a test binary asked for it.
var seeds = struct {
	sync.Mutex
	items map[string][]map[string]types.AttributeValue
}{items: map[string][]map[string]types.AttributeValue{}}

// seedInto gives table the items that write puts through the store. Written through the store,
// the demo takes some fifty calls, most of them transactions, which DynamoDB Local is slow at,
// and hundreds of tests start from it: so the first test of a binary to ask for a kind of
// seeding has write run through the store (the product's own path, as `make run` seeds) into a
// table of its own, whose items are kept, and every test's table, the first's too, gets those
// items with BatchWriteItem, through a client of its own so that no test's call counter sees
// them.
func seedInto(t testing.TB, db *dynamodb.Client, table, kind string, write func(*store.Store) error) {
	t.Helper()
	endpoint := aws.ToString(db.Options().BaseEndpoint)
	copier := dynamodblocal.NewClient(endpoint)
	seeds.Lock()
	items, ok := seeds.items[kind]
	if !ok {
		source, name := dynamotest.New(t)
		if err := write(store.New(source, name)); err != nil {
			seeds.Unlock()
			t.Fatalf("seeding %s: %v", kind, err)
		}
		items = Items(t, source, name)
		seeds.items[kind] = items
	}
	seeds.Unlock()
	ctx := context.Background()
	for batch := range slices.Chunk(items, 25) {
		req := make([]types.WriteRequest, 0, len(batch))
		for _, it := range batch {
			req = append(req, types.WriteRequest{PutRequest: &types.PutRequest{Item: it}})
		}
		pending := map[string][]types.WriteRequest{table: req}
		for len(pending[table]) > 0 {
			out, err := copier.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			Must(t, err)
			pending = out.UnprocessedItems
		}
	}
}

// School writes a test's own school with staff on its roster, each a user named by their
// email with those roles in this school only; it returns the school as written.
func School(t testing.TB, st seed.Writer, school safeguarding.School, staff map[string][]safeguarding.Role) safeguarding.School {
	t.Helper()
	ctx := context.Background()
	emails := make([]string, 0, len(staff))
	for email := range staff {
		emails = append(emails, email)
	}
	slices.Sort(emails)
	for _, email := range emails {
		roles := staff[email]
		school.Roster = append(school.Roster, safeguarding.StaffMember{Email: email, Roles: roles})
		Must(t, st.PutUser(ctx, safeguarding.Principal{Email: email, Subject: seed.Subject(email), Name: email,
			Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school.ID: roles}}))
	}
	Must(t, st.PutSchool(ctx, school))
	return school
}

// Items is every item of a table, read with Scan (a test may; the product never does).
func Items(t testing.TB, db dynamodb.ScanAPIClient, table string) []map[string]types.AttributeValue {
	t.Helper()
	var out []map[string]types.AttributeValue
	p := dynamodb.NewScanPaginator(db, &dynamodb.ScanInput{TableName: &table})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		Must(t, err)
		out = append(out, page.Items...)
	}
	return out
}

// CountItems counts a table's items by type and, for each type that by names, by that type and
// the attribute by gives for it as well: with by {"outbox": "kind"}, an outbox item of kind
// action-taken counts under "outbox" and under "outbox:action-taken".
func CountItems(t testing.TB, db dynamodb.ScanAPIClient, table string, by map[string]string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, it := range Items(t, db, table) {
		typ := Attr(it, "type")
		out[typ]++
		if attr, ok := by[typ]; ok {
			out[typ+":"+Attr(it, attr)]++
		}
	}
	return out
}

// Attr is an item's string attribute, "" when it has none.
func Attr(item map[string]types.AttributeValue, name string) string {
	if s, ok := item[name].(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}
