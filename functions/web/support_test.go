package main

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/template"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/identity"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/attendance"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/reports"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/retention"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/settings"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// The handler tests run the real use cases on the real store, against DynamoDB Local (one
// per test binary, or those `make test` shares; a fresh table per test) with the demo
// federation seeded. Only the identity provider is a stand-in: fakeVerifier reads the email
// from the token. A test's world is its own, so the tests that make one run in parallel.

func TestMain(m *testing.M) {
	code := m.Run()
	stopSharedBrowser()
	if localStack != nil {
		localStack.Close()
	}
	dynamotest.Stop()
	os.Exit(code)
}

// The demo federation's people at Brook Lane, and a DSL of Hillcrest only.
var (
	school   = string(seed.BrookLane)
	teacher  = apitest.Tom
	staff    = apitest.Priya
	dsl      = apitest.Daniel
	head     = apitest.Helen
	outsider = apitest.Chloe
)

// world is one test's Keepsafe: a fresh table with the demo data, and the web handler on it.
type world struct {
	t     *testing.T
	db    *dynamodb.Client
	table string
	st    *store.Store
	h     *Handler
	// calls counts the handler's DynamoDB calls, per operation.
	calls *dynamotest.Counter
}

// newWorld makes the test parallel (t.Parallel), so a test calls it once: what the test does
// after it runs beside other tests, each with its own table, store, handler and call counter.
func newWorld(t *testing.T) *world {
	t.Helper()
	t.Parallel()
	db, table, calls := dynamotest.NewCountingClient(t)
	st := store.New(db, table)
	apitest.SeedDemo(t, db, table)
	cal := calendar.EnglandAndWales()
	h := &Handler{
		Config: Config{AppURL: "https://keepsafe.example", ClientID: "client-1",
			SignInURL: "https://auth.example/oauth2/authorize", TokenURL: "https://auth.example/oauth2/token"},
		Concerns:  concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(), Calendar: cal, NewID: store.NewID},
		Cases:     casework.Cases{Store: st, Calendar: cal, NewID: store.NewID},
		Audit:     audit.Trail{Store: st, NewID: store.NewID},
		Calendar:  cal,
		Directory: st,
		Verifier:  fakeVerifier{},
		Sessions:  st,
		Logger:    slog.New(slog.DiscardHandler),
		// The school's own categories (rule C2).
		Catalogues: concerns.Catalogues{Store: st, NewID: store.NewID},
		// A concern's files (rule C6), signed for a bucket these tests never send to.
		Attachments: concerns.Attachments{Store: st, Signer: testBucket(), NewID: store.NewID},
		// The school's MIS export (rule P1).
		Imports: imports.Imports{Store: st, NewID: store.NewID},
		// The pupils below 90% attendance (rule C9).
		Attendance: attendance.List{Store: st, NewID: store.NewID},
		// The school's settings and who teaches its classes.
		Settings: settings.Service{Store: st, NewID: store.NewID},
		// A pupil's record off the screen (rule D10).
		Exports: exports.Exports{Store: st, NewID: store.NewID},
		// The governors' and Ofsted's reports (rule D10).
		Reports: reports.Reports{Store: st, NewID: store.NewID},
		// Records reaching the 25th birthday and legal holds (rule S7).
		Retention: retention.Service{Store: st, NewID: store.NewID},
	}
	return &world{t: t, db: db, table: table, st: st, h: h, calls: calls}
}

// items counts the test table's items of one type. A test may Scan; the product never does.
func (w *world) items(typ string) int {
	w.t.Helper()
	return apitest.CountItems(w.t, w.db, w.table, nil)[typ]
}

// fakeVerifier stands in for the identity provider's token check: it accepts
// "token-for:<email>", with ";nonce=<nonce>" after it when the sign-in asked for one.
type fakeVerifier struct{}

func (fakeVerifier) Verify(_ context.Context, token string) (identity.Claims, error) {
	token, nonce, _ := strings.Cut(token, ";nonce=")
	email, ok := strings.CutPrefix(token, "token-for:")
	if !ok || email == "" {
		return identity.Claims{}, identity.ErrInvalidToken
	}
	return identity.Claims{Subject: seed.Subject(email), Email: email, EmailVerified: true, Name: email, Nonce: nonce}, nil
}

// tokenFor names a signed-in person in a test: call gives the handler the cookie of a session
// opened for them (testSession).
func tokenFor(email string) string { return "token-for:" + email }

// testSessionID is the id of the session a test opens for the holder of token, in any world.
func testSessionID(token string) string { return "test-session:" + token }

// testSession opens (once per handler) the session that tokenFor's holder signs in with: it
// starts far in the future, so that it is open at every time a test sends a request and never
// needs marking as used, and the store's calls a test counts are the page's own.
func testSession(t *testing.T, h *Handler, token string) string {
	t.Helper()
	id := testSessionID(token)
	if _, done := testSessions.LoadOrStore(sessionOf{h, id}, true); done {
		return id
	}
	email, _ := strings.CutPrefix(token, "token-for:")
	never := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
	err := h.Sessions.StartSession(context.Background(), id, store.Session{Email: email, Subject: seed.Subject(email), Name: email,
		Started: never, Idle: 100 * 365 * 24 * time.Hour, Ends: never.Add(100 * 365 * 24 * time.Hour)})
	if err != nil {
		t.Fatalf("open a test session: %v", err)
	}
	return id
}

type sessionOf struct {
	h  *Handler
	id string
}

var testSessions sync.Map

// webRoutes are the handler's routes, which the template test holds to template.yaml's.
func webRoutes() []string {
	return slices.Concat(slices.Sorted(maps.Keys(routes)), publicRoutes)
}

func TestTemplateRoutesAreTheHandlersRoutes(t *testing.T) {
	template.CheckRoutes(t, "web", webRoutes())
}

// toEvent turns an HTTP request into the event API Gateway would send for it, as the
// handler tests' small stand-in for the gateway (the browser tests use the local stack's).
func toEvent(r *http.Request, now time.Time) (events.APIGatewayV2HTTPRequest, bool) {
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Headers: map[string]string{}, QueryStringParameters: map[string]string{},
	}
	for k, v := range r.Header {
		if strings.EqualFold(k, "Cookie") {
			for _, c := range v {
				ev.Cookies = append(ev.Cookies, strings.Split(c, "; ")...)
			}
			continue
		}
		ev.Headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	ev.Headers["host"] = r.Host
	for k, v := range r.URL.Query() {
		ev.QueryStringParameters[k] = strings.Join(v, ",")
	}
	if r.Body != nil {
		b, _ := io.ReadAll(r.Body)
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(b), true
	}
	ev.RequestContext.HTTP.Method = r.Method
	ev.RequestContext.HTTP.Path = r.URL.Path
	ev.RequestContext.HTTP.SourceIP = "192.0.2.1"
	ev.RequestContext.RequestID = "req-1"
	ev.RequestContext.TimeEpoch = now.UnixMilli()
	// The most specific route first, as API Gateway matches: /concerns/new before /concerns/{id}.
	keys := webRoutes()
	slices.SortFunc(keys, func(a, b string) int { return strings.Count(a, "{") - strings.Count(b, "{") })
	for _, rk := range keys {
		method, pattern, _ := strings.Cut(rk, " ")
		if method != r.Method {
			continue
		}
		if params, ok := matchPath(pattern, r.URL.Path); ok {
			ev.RouteKey, ev.PathParameters = rk, params
			return ev, true
		}
	}
	return ev, false
}

func matchPath(pattern, path string) (map[string]string, bool) {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	params := map[string]string{}
	for i, p := range ps {
		if i >= len(xs) {
			return nil, false
		}
		if name, ok := strings.CutSuffix(strings.TrimPrefix(p, "{"), "+}"); ok && strings.HasPrefix(p, "{") {
			params[name] = strings.Join(xs[i:], "/")
			return params, xs[i] != ""
		}
		if strings.HasPrefix(p, "{") {
			if xs[i] == "" {
				return nil, false
			}
			params[strings.Trim(p, "{}")] = xs[i]
			continue
		}
		if p != xs[i] {
			return nil, false
		}
	}
	return params, len(ps) == len(xs)
}

// httpHandler serves h over HTTP for the browser tests that need a handler setting of their
// own, with "now" from clock.
func httpHandler(h *Handler, clock func() time.Time) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ev, ok := toEvent(r, clock())
		if !ok {
			http.NotFound(w, r)
			return
		}
		resp, err := h.Handle(r.Context(), ev)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		for k, v := range resp.Headers {
			w.Header().Set(k, v)
		}
		for _, c := range resp.Cookies {
			w.Header().Add("Set-Cookie", c)
		}
		w.WriteHeader(resp.StatusCode)
		body := []byte(resp.Body)
		if resp.IsBase64Encoded {
			body, _ = base64.StdEncoding.DecodeString(resp.Body)
		}
		w.Write(body)
	})
}
