package main

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/identity"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// memStore keeps a school's people, pupils and records in memory: the use cases of
// safeguarding.Concerns run on it unchanged, so the handler tests exercise the real rules.
type memStore struct {
	mu       sync.Mutex
	users    map[string]safeguarding.Principal
	schools  map[safeguarding.SchoolID]safeguarding.School
	pupils   map[safeguarding.PupilID]safeguarding.Pupil
	concerns map[safeguarding.ConcernID]safeguarding.Concern
	entries  []safeguarding.ChronologyEntry
	requests map[safeguarding.RequestKey]safeguarding.PriorRequest
	audits   int
	writes   int
}

var _ safeguarding.ConcernStore = (*memStore)(nil)
var _ directory = (*memStore)(nil)

const (
	schoolA  = safeguarding.SchoolID("oak")
	teacher  = "tess.teacher@oak.example"
	dsl      = "dan.dsl@oak.example"
	outsider = "olly.other@oak.example"
)

func newMemStore() *memStore {
	return &memStore{
		users: map[string]safeguarding.Principal{
			teacher:  {Email: teacher, Name: "Tess Teacher", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{schoolA: {safeguarding.RoleStaff, safeguarding.RoleTeacher}}},
			dsl:      {Email: dsl, Name: "Dan Lead", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{schoolA: {safeguarding.RoleStaff, safeguarding.RoleDSL}}},
			outsider: {Email: outsider, Name: "Olly Other", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{schoolA: {safeguarding.RoleStaff}}},
		},
		schools: map[safeguarding.SchoolID]safeguarding.School{
			schoolA: {ID: schoolA, Name: "Oak Primary", Roster: []safeguarding.StaffMember{
				{Email: teacher, Roles: []safeguarding.Role{safeguarding.RoleStaff}},
				{Email: dsl, Roles: []safeguarding.Role{safeguarding.RoleDSL}},
				{Email: outsider, Roles: []safeguarding.Role{safeguarding.RoleStaff}},
			}},
		},
		pupils: map[safeguarding.PupilID]safeguarding.Pupil{
			"p1": {ID: "p1", School: schoolA, Name: "Amara Okafor", YearGroup: "Year 4", ClassName: "Willow"},
			"p2": {ID: "p2", School: schoolA, Name: "Ben Carter", YearGroup: "Year 2", ClassName: "Ash"},
		},
		concerns: map[safeguarding.ConcernID]safeguarding.Concern{},
		requests: map[safeguarding.RequestKey]safeguarding.PriorRequest{},
	}
}

func (m *memStore) LoadRecording(_ context.Context, author string, school safeguarding.SchoolID, pupils []safeguarding.PupilID, key safeguarding.RequestKey) (safeguarding.Recording, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.users[author]
	u.Email = author
	sc, ok := m.schools[school]
	if !ok || !u.IsMember(school) {
		return safeguarding.Recording{}, safeguarding.ErrForbidden
	}
	rec := safeguarding.Recording{Author: u, School: sc, Pupils: map[safeguarding.PupilID]safeguarding.Pupil{}}
	for _, id := range pupils {
		if p, ok := m.pupils[id]; ok && p.School == school {
			rec.Pupils[id] = p
		}
	}
	if prior, ok := m.requests[key]; ok && key.Key != "" {
		rec.Prior = &prior
	}
	return rec, nil
}

func (m *memStore) SaveConcern(_ context.Context, w safeguarding.ConcernWrite) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w.Request != nil {
		if _, ok := m.requests[w.Request.Key]; ok {
			return safeguarding.ErrDuplicateRequest
		}
		m.requests[w.Request.Key] = safeguarding.PriorRequest{Fingerprint: w.Request.Fingerprint, Receipt: w.Request.Receipt}
	}
	m.concerns[w.Concern.ID()] = w.Concern
	m.entries = append(m.entries, w.Entries...)
	m.writes++
	return nil
}

func (m *memStore) PriorRequest(_ context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.requests[key]
	if !ok {
		return p, safeguarding.ErrNotFound
	}
	return p, nil
}

func (m *memStore) ConcernFor(_ context.Context, viewer string, _ safeguarding.SchoolID, id safeguarding.ConcernID) (safeguarding.Principal, safeguarding.Concern, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.concerns[id]
	if !ok {
		return m.users[viewer], c, safeguarding.ErrNotFound
	}
	return m.users[viewer], c, nil
}

func (m *memStore) ChronologyFor(_ context.Context, viewer string, school safeguarding.SchoolID, pupil safeguarding.PupilID) (safeguarding.Principal, safeguarding.Pupil, []safeguarding.ChronologyEntry, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pupils[pupil]
	if !ok || p.School != school {
		return m.users[viewer], p, nil, safeguarding.ErrNotFound
	}
	var out []safeguarding.ChronologyEntry
	for _, e := range m.entries {
		if e.Pupil == pupil {
			out = append(out, e)
		}
	}
	return m.users[viewer], p, out, nil
}

func (m *memStore) Audit(context.Context, safeguarding.AuditEntry) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.audits++
	return nil
}

func (m *memStore) Principal(_ context.Context, email string) (safeguarding.Principal, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.users[email]
	p.Email = email
	return p, nil
}

func (m *memStore) School(_ context.Context, id safeguarding.SchoolID) (safeguarding.School, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.schools[id]
	if !ok {
		return s, safeguarding.ErrNotFound
	}
	return s, nil
}

func (m *memStore) SearchPupils(_ context.Context, school safeguarding.SchoolID, q string, limit int) ([]safeguarding.Pupil, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []safeguarding.Pupil
	for _, p := range m.pupils {
		if p.School == school && strings.Contains(strings.ToLower(p.Name), strings.ToLower(q)) {
			out = append(out, p)
		}
	}
	slices.SortFunc(out, func(a, b safeguarding.Pupil) int { return strings.Compare(a.Name, b.Name) })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

func (m *memStore) Pupils(ctx context.Context, viewer string, school safeguarding.SchoolID, ids []safeguarding.PupilID) (map[safeguarding.PupilID]safeguarding.Pupil, error) {
	rec, err := m.LoadRecording(ctx, viewer, school, ids, safeguarding.RequestKey{})
	return rec.Pupils, err
}

func (m *memStore) writeCount() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.writes
}

// fakeVerifier accepts "token-for:<email>".
type fakeVerifier struct{}

func (fakeVerifier) Verify(_ context.Context, token string) (identity.Claims, error) {
	email, ok := strings.CutPrefix(token, "token-for:")
	if !ok || email == "" {
		return identity.Claims{}, identity.ErrInvalidToken
	}
	return identity.Claims{Subject: "sub-" + email, Email: email, Name: email}, nil
}

func tokenFor(email string) string { return "token-for:" + email }

var ids atomic.Int64

func newTestHandler(st *memStore) *Handler {
	return &Handler{
		Config: Config{AppURL: "https://keepsafe.example", ClientID: "client-1",
			SignInURL: "https://auth.example/oauth2/authorize", TokenURL: "https://auth.example/oauth2/token"},
		Concerns: safeguarding.Concerns{Store: st, Catalogue: safeguarding.PolicyCatalogue(), Calendar: safeguarding.Weekdays{},
			NewID: func(at time.Time) string { return fmt.Sprintf("%013dABCDEFGH%04d", at.UnixMilli(), ids.Add(1)) }},
		Directory: st,
		Verifier:  fakeVerifier{},
		Logger:    slog.New(slog.DiscardHandler),
	}
}

// webRoutes are the WebFunction's routes of template.yaml.
var webRoutes = []string{
	"GET /", "GET /assets/{file+}", "GET /sign-in", "GET /auth/callback", "POST /sign-out",
	"GET /schools/{school}/concerns/new", "POST /schools/{school}/concerns",
	"GET /schools/{school}/concerns/{id}", "GET /schools/{school}/pupils/{pupil}/chronology",
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
	for _, rk := range webRoutes {
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

// httpHandler serves h over HTTP for tests, with "now" from clock.
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
