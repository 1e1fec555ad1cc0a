package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/identity"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// monday1030 is a school day, mid-morning, in BST.
var monday1030 = time.Date(2026, 6, 1, 10, 30, 0, 0, safeguarding.London)

// call sends one request through the handler as API Gateway would.
func call(t *testing.T, h *Handler, method, target, session string, form url.Values, at time.Time, headers ...string) events.APIGatewayV2HTTPResponse {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	r := httptest.NewRequest(method, "https://keepsafe.example"+target, body)
	if strings.HasPrefix(session, "token-for:") {
		session = testSession(t, h, session)
	}
	if session != "" {
		r.AddCookie(&http.Cookie{Name: SessionCookie, Value: session})
	}
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	ev, ok := toEvent(r, at)
	if !ok {
		t.Fatalf("no route for %s %s", method, target)
	}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	if strings.HasPrefix(resp.Headers["Content-Type"], "text/html") && !resp.IsBase64Encoded {
		noRuleIDs(t, method+" "+target, resp.Body)
	}
	return resp
}

// validForm is a complete concern about pupil p1, observed at 09:40 on monday1030's day.
func validForm(h *Handler, session string) url.Values {
	return url.Values{
		"csrf": {(sessionFor(session)).csrf()}, "key": {"form-key-1"}, "intent": {"submit"},
		"pupil": {"bl-01"}, "category": {"wellbeing"}, "sub-wellbeing": {"clothing-or-footwear"},
		"high-priority": {"yes"}, "observed-day": {"1"}, "observed-month": {"6"}, "observed-year": {"2026"},
		"observed-time": {"09:40"}, "details": {"Chidi Okafor came in without a coat in the rain."},
		"pupil-words": {"\"Mum said I lost it.\""}, "people-involved": {"Jane Example\n"},
	}
}

func sessionFor(token string) session { return session{id: testSessionID(token)} }

func TestNoSessionRedirectsToSignIn(t *testing.T) {
	h := newWorld(t).h
	for _, target := range []string{"/", "/schools/brook-lane/concerns/new", "/schools/brook-lane/concerns/X"} {
		resp := call(t, h, "GET", target, "", nil, monday1030)
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Headers["Location"], "/sign-in") {
			t.Errorf("GET %s without a session: %d %q, want 303 to /sign-in", target, resp.StatusCode, resp.Headers["Location"])
		}
	}
	resp := call(t, h, "GET", "/", "forged", nil, monday1030)
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("an invalid token: %d, want a redirect to sign in", resp.StatusCode)
	}
}

func TestSignInRedirectsToTheProviderWithStateAndPKCE(t *testing.T) {
	h := newWorld(t).h
	resp := call(t, h, "GET", "/sign-in?return=/schools/brook-lane/concerns/C1", "", nil, monday1030)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("status %d", resp.StatusCode)
	}
	u, err := url.Parse(resp.Headers["Location"])
	if err != nil || u.Host != "auth.example" || u.Path != "/oauth2/authorize" {
		t.Fatalf("location %q", resp.Headers["Location"])
	}
	q := u.Query()
	for k, want := range map[string]string{"client_id": "client-1", "response_type": "code", "scope": "openid email profile",
		"redirect_uri": "https://keepsafe.example/auth/callback", "code_challenge_method": "S256"} {
		if q.Get(k) != want {
			t.Errorf("%s = %q, want %q", k, q.Get(k), want)
		}
	}
	if q.Get("state") == "" || q.Get("code_challenge") == "" {
		t.Errorf("no state or code challenge: %v", q)
	}
	if q.Get("nonce") == "" || !strings.Contains(resp.Cookies[0], "."+q.Get("nonce")+".") {
		t.Errorf("no nonce, or not kept for the callback: %v %v", q, resp.Cookies)
	}
	if len(resp.Cookies) != 1 || !strings.Contains(resp.Cookies[0], signInCookie+"="+q.Get("state")+".") ||
		!strings.Contains(resp.Cookies[0], "HttpOnly") || !strings.Contains(resp.Cookies[0], "Secure") {
		t.Errorf("state cookie %v", resp.Cookies)
	}
}

// signInThrough runs /auth/callback with a token server that answers idToken, for a sign-in
// whose cookie asked for nonce N1, at the given time; it returns the response and the token
// request the handler made.
func signInThrough(t *testing.T, h *Handler, idToken string, at time.Time) (events.APIGatewayV2HTTPResponse, url.Values) {
	t.Helper()
	var got url.Values
	tokenServer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		got = r.PostForm
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id_token": idToken, "access_token": "a", "expires_in": 3600, "token_type": "Bearer"})
	}))
	defer tokenServer.Close()
	h.Config.TokenURL = tokenServer.URL
	h.HTTP = tokenServer.Client()
	back := base64.RawURLEncoding.EncodeToString([]byte("/schools/brook-lane/concerns/new"))
	resp := call(t, h, "GET", "/auth/callback?code=the-code&state=S1", "", nil, at,
		"Cookie", signInCookie+"=S1.verifier1.N1."+back)
	return resp, got
}

// sessionCookie is the session id a response sets, or "".
func sessionCookie(resp events.APIGatewayV2HTTPResponse) string {
	for _, c := range resp.Cookies {
		if v, ok := strings.CutPrefix(c, SessionCookie+"="); ok {
			v, _, _ = strings.Cut(v, ";")
			return v
		}
	}
	return ""
}

func TestAuthCallbackExchangesTheCodeAndOpensASession(t *testing.T) {
	h := newWorld(t).h
	resp, got := signInThrough(t, h, tokenFor(teacher)+";nonce=N1", monday1030)
	if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != "/schools/brook-lane/concerns/new" {
		t.Fatalf("callback: %d %q", resp.StatusCode, resp.Headers["Location"])
	}
	if got.Get("grant_type") != "authorization_code" || got.Get("code") != "the-code" || got.Get("code_verifier") != "verifier1" ||
		got.Get("client_id") != "client-1" || got.Get("redirect_uri") != "https://keepsafe.example/auth/callback" {
		t.Errorf("token request %v", got)
	}
	joined := strings.Join(resp.Cookies, "\n")
	id := sessionCookie(resp)
	if len(id) < 40 || strings.Contains(id, teacher) || strings.Contains(id, "token") {
		t.Errorf("the session cookie should hold an opaque id, not the token: %q", joined)
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=36000"} {
		if !strings.Contains(joined, want) {
			t.Errorf("cookies %q lack %q", joined, want)
		}
	}
	if page := call(t, h, "GET", "/", "", nil, monday1030.Add(time.Minute), "Cookie", SessionCookie+"="+id); page.StatusCode != http.StatusOK {
		t.Errorf("the new session does not open the home page: %d", page.StatusCode)
	}

	for name, token := range map[string]string{
		"a wrong nonce": tokenFor(teacher) + ";nonce=other",
		"no nonce":      tokenFor(teacher),
	} {
		resp, _ := signInThrough(t, h, token, monday1030)
		if resp.StatusCode != http.StatusBadRequest || sessionCookie(resp) != "" {
			t.Errorf("%s: %d %v", name, resp.StatusCode, resp.Cookies)
		}
	}
	back := base64.RawURLEncoding.EncodeToString([]byte("/"))
	resp = call(t, h, "GET", "/auth/callback?code=the-code&state=other", "", nil, monday1030,
		"Cookie", signInCookie+"=S1.verifier1.N1."+back)
	if resp.StatusCode != http.StatusBadRequest || sessionCookie(resp) != "" {
		t.Errorf("a wrong state: %d %v", resp.StatusCode, resp.Cookies)
	}
}

// Rule S8: a sign-in whose email the provider has not verified opens no session.
func TestRule_S8_SignInNeedsAVerifiedEmail(t *testing.T) {
	h := newWorld(t).h
	h.Verifier = unverifiedEmails{}
	resp, _ := signInThrough(t, h, tokenFor(teacher)+";nonce=N1", monday1030)
	if resp.StatusCode != http.StatusForbidden || sessionCookie(resp) != "" {
		t.Errorf("an unverified email: %d %v", resp.StatusCode, resp.Cookies)
	}
}

// Rule S8: an account the identity provider gave the same email as someone on record (in other
// capitals too) is not them, and opens no session.
func TestRule_S8_AnotherAccountWithTheSameEmailCannotSignIn(t *testing.T) {
	h := newWorld(t).h
	h.Verifier = otherAccounts{}
	for _, email := range []string{dsl, strings.ToUpper(dsl[:1]) + dsl[1:]} {
		resp, _ := signInThrough(t, h, tokenFor(email)+";nonce=N1", monday1030)
		if resp.StatusCode != http.StatusForbidden || sessionCookie(resp) != "" {
			t.Errorf("another account with the email %s: %d %v", email, resp.StatusCode, resp.Cookies)
		}
	}
}

// otherAccounts verifies tokens as fakeVerifier does, for another account than the person's.
type otherAccounts struct{ fakeVerifier }

func (o otherAccounts) Verify(ctx context.Context, token string) (identity.Claims, error) {
	c, err := o.fakeVerifier.Verify(ctx, token)
	c.Subject = "another-account"
	c.Email = strings.ToLower(c.Email)
	return c, err
}

type unverifiedEmails struct{ fakeVerifier }

func (u unverifiedEmails) Verify(ctx context.Context, token string) (identity.Claims, error) {
	c, err := u.fakeVerifier.Verify(ctx, token)
	c.EmailVerified = false
	return c, err
}

// Rule S3: a session ends after its idle time without a request, at the end of its lifetime
// however busy, and at once on signing out; its old cookie then gets the way to sign in.
func TestRule_S3_SessionsEndOnTheServer(t *testing.T) {
	w := newWorld(t)
	h := w.h
	// Brook Lane keeps the default idle time and sets a lifetime of two hours.
	brook, err := w.st.School(context.Background(), "brook-lane")
	if err != nil {
		t.Fatal(err)
	}
	brook.SessionLifetimeMinutes = 120
	if err := w.st.PutSchool(context.Background(), brook); err != nil {
		t.Fatal(err)
	}
	var clock time.Time
	h.SessionClock = func() time.Time { return clock }
	open := func(at time.Time) string {
		t.Helper()
		clock = at
		resp, _ := signInThrough(t, h, tokenFor(teacher)+";nonce=N1", at)
		if id := sessionCookie(resp); id != "" {
			return id
		}
		t.Fatalf("no session: %d", resp.StatusCode)
		return ""
	}
	page := func(id string, at time.Time) int {
		t.Helper()
		clock = at
		return call(t, h, "GET", "/", "", nil, at, "Cookie", SessionCookie+"="+id).StatusCode
	}

	idle := open(monday1030)
	if got := page(idle, monday1030.Add(29*time.Minute)); got != http.StatusOK {
		t.Errorf("used within its idle time: %d", got)
	}
	if got := page(idle, monday1030.Add(29*time.Minute+31*time.Minute)); got != http.StatusSeeOther {
		t.Errorf("after 31 idle minutes: %d, want the way to sign in", got)
	}

	busy := open(monday1030)
	for at := monday1030.Add(20 * time.Minute); at.Before(monday1030.Add(2 * time.Hour)); at = at.Add(20 * time.Minute) {
		if got := page(busy, at); got != http.StatusOK {
			t.Fatalf("a busy session at %s: %d", at.Format(time.Kitchen), got)
		}
	}
	if got := page(busy, monday1030.Add(2*time.Hour+time.Minute)); got != http.StatusSeeOther {
		t.Errorf("past its lifetime: %d, want the way to sign in", got)
	}

	out := open(monday1030)
	form := url.Values{"csrf": {session{id: out}.csrf()}}
	clock = monday1030.Add(time.Minute)
	resp := call(t, h, "POST", "/sign-out", "", form, clock, "Cookie", SessionCookie+"="+out)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if got := page(out, monday1030.Add(2*time.Minute)); got != http.StatusSeeOther {
		t.Errorf("the cookie of a session signed out: %d, want the way to sign in", got)
	}
}

func TestPagesCarrySecurityHeaders(t *testing.T) {
	h := newWorld(t).h
	for _, target := range []string{"/", "/schools/brook-lane/concerns/new", "/schools/brook-lane/pupils/bl-01/chronology"} {
		resp := call(t, h, "GET", target, tokenFor(teacher), nil, monday1030)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", target, resp.StatusCode, resp.Body)
		}
		hd := resp.Headers
		if !strings.Contains(hd["Content-Security-Policy"], "script-src 'self'") || strings.Contains(hd["Content-Security-Policy"], "unsafe-inline") ||
			hd["X-Content-Type-Options"] != "nosniff" || hd["Referrer-Policy"] != "no-referrer" || hd["Cache-Control"] != "no-store" {
			t.Errorf("GET %s headers %v", target, hd)
		}
		if strings.Contains(resp.Body, "<script>") || strings.Contains(resp.Body, " onclick=") {
			t.Errorf("GET %s has inline script", target)
		}
	}
}

func TestAssetsAreServedWithTypeAndLongCache(t *testing.T) {
	h := newWorld(t).h
	for name, ctype := range map[string]string{"app.css": "text/css", "app.js": "text/javascript", "govuk-frontend.min.js": "text/javascript"} {
		resp := call(t, h, "GET", "/assets/"+assetVersion()+"/"+name, "", nil, monday1030)
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Headers["Content-Type"], ctype) ||
			!strings.Contains(resp.Headers["Cache-Control"], "max-age=31536000") || len(resp.Body) < 100 {
			t.Errorf("%s: %d %v", name, resp.StatusCode, resp.Headers)
		}
	}
	if resp := call(t, h, "GET", "/assets/"+assetVersion()+"/nothing.css", "", nil, monday1030); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a missing asset: %d", resp.StatusCode)
	}
	if resp := call(t, h, "GET", "/assets/old/app.css", "", nil, monday1030); resp.Headers["Cache-Control"] != "no-cache" {
		t.Errorf("an old version is cached: %v", resp.Headers)
	}
}

func TestHomeListsTheSchoolsWithRecordLinks(t *testing.T) {
	h := newWorld(t).h
	resp := call(t, h, "GET", "/", tokenFor(teacher), nil, monday1030)
	if !strings.Contains(resp.Body, "Brook Lane Primary") || !strings.Contains(resp.Body, `href="/schools/brook-lane/concerns/new"`) {
		t.Errorf("home page:\n%s", resp.Body)
	}
}

func TestRule_C7_FormOffersEveryFieldAndTheReminders(t *testing.T) {
	h := newWorld(t).h
	resp := call(t, h, "GET", "/schools/brook-lane/concerns/new?pupil=bl-04", tokenFor(teacher), nil, monday1030)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d", resp.StatusCode)
	}
	b := resp.Body
	for _, want := range []string{
		// C1, C2: pupils, the policy's categories and sub-categories, high priority.
		`name="q"`, `value="bl-04" checked`, "Zofia Kowalski", "Communication with parents", "Contact with an outside agency/professional",
		`name="sub-safeguarding" type="checkbox" value="peer-on-peer-abuse"`, "High priority (needs URGENT action)",
		// When: chosen by the reporter, nothing assumed.
		`id="observed-when" name="observed-when" type="radio" value="just-now">`, "Earlier today", "Another day",
		`name="observed-day" type="text" inputmode="numeric" value=""`,
		// C7: spelling, facts, full names, own words, deadlines.
		`id="details" name="details" rows="8" spellcheck="true"`, `id="pupil-words" name="pupil-words" rows="4" spellcheck="true"`,
		"Keep to the facts", "full names", "own words", "before 12:00", "before 16:00",
		// C5: about a member of staff, and who else to tell.
		"This concern is about a member of staff", "LADO", "safeguarding governor",
	} {
		if !strings.Contains(b, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
}

func TestSearchKeepsWhatWasTyped(t *testing.T) {
	w := newWorld(t)
	h := w.h
	f := validForm(h, tokenFor(teacher))
	f.Set("intent", "search")
	f.Set("q", "zofia")
	resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), f, monday1030)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%d", resp.StatusCode)
	}
	for _, want := range []string{"Zofia Kowalski", `name="pupil" type="checkbox" value="bl-04" aria-describedby`, `value="bl-01" checked`, "came in without a coat", "Jane Example"} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("after a search the form lacks %q", want)
		}
	}
	if w.items("concern") != 0 {
		t.Error("a search wrote a concern")
	}
}

func TestFormPostsNeedTheTokenAndThisSite(t *testing.T) {
	w := newWorld(t)
	h := w.h
	f := validForm(h, tokenFor(teacher))
	f.Set("csrf", sessionFor(tokenFor(dsl)).csrf())
	if resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), f, monday1030); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another session's token: %d", resp.StatusCode)
	}
	f = validForm(h, tokenFor(teacher))
	if resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), f, monday1030, "Sec-Fetch-Site", "cross-site"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a cross-site post: %d", resp.StatusCode)
	}
	if resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), f, monday1030, "Origin", "https://evil.example"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a post from another origin: %d", resp.StatusCode)
	}
	if w.items("concern") != 0 {
		t.Error("a refused post wrote a concern")
	}
}

func TestRule_C1_SubmitRecordsTheConcernAndShowsIt(t *testing.T) {
	w := newWorld(t)
	h := w.h
	resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), validForm(h, tokenFor(teacher)), monday1030,
		"Sec-Fetch-Site", "same-origin", "Origin", "https://keepsafe.example")
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("submit: %d\n%s", resp.StatusCode, resp.Body)
	}
	loc := resp.Headers["Location"]
	if !strings.HasPrefix(loc, "/schools/brook-lane/concerns/") {
		t.Fatalf("location %q", loc)
	}
	page := call(t, h, "GET", loc, tokenFor(teacher), nil, monday1030.Add(time.Minute))
	for _, want := range []string{"Concern recorded", "C-", "Chidi Okafor", "Wellbeing", "Clothing or footwear", "High priority",
		"came in without a coat", "Mum said I lost it.", "Jane Example", "1 June 2026 at 09:40", `href="/schools/brook-lane/pupils/bl-01/chronology"`} {
		if !strings.Contains(page.Body, strings.ReplaceAll(want, `"`, "&#34;")) && !strings.Contains(page.Body, want) {
			t.Errorf("the concern page lacks %q", want)
		}
	}
	if strings.Contains(page.Body, "Recorded late") {
		t.Error("an on-time concern says it is late")
	}

	// The same form sent twice (a double click) records one concern.
	again := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), validForm(h, tokenFor(teacher)), monday1030)
	if again.Headers["Location"] != loc || w.items("concern") != 1 {
		t.Errorf("a repeated post: %q (first %q), %d concerns", again.Headers["Location"], loc, w.items("concern"))
	}
}

func TestRule_C3_C7_WhenItWasSeenIsChosenNeverAssumed(t *testing.T) {
	w := newWorld(t)
	h := w.h
	undated := validForm(h, tokenFor(teacher))
	for _, k := range []string{"observed-day", "observed-month", "observed-year", "observed-time"} {
		undated.Del(k)
	}
	// An untouched "when" is a problem at the choice, and nothing is written.
	resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), undated, monday1030)
	wantBody(t, "no answer to when", resp, http.StatusBadRequest, `href="#observed-when"`, "Choose when you saw or heard it")
	if w.items("concern") != 0 {
		t.Fatal("a concern was written without its time")
	}
	// "Earlier today" without a time names the time field.
	undated.Set("observed-when", "earlier-today")
	resp = call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), undated, monday1030)
	wantBody(t, "earlier today without a time", resp, http.StatusBadRequest, `href="#observed-today-time"`, "Enter the time today",
		`value="earlier-today" checked`)

	cases := []struct {
		when, todayTime, key, want string
	}{
		{"just-now", "", "k-now", "1 June 2026 at 10:30"},
		{"earlier-today", "8.50", "k-earlier", "1 June 2026 at 08:50"},
	}
	for _, c := range cases {
		f := validForm(h, tokenFor(teacher))
		f.Set("key", c.key)
		for _, k := range []string{"observed-day", "observed-month", "observed-year", "observed-time"} {
			f.Del(k)
		}
		f.Set("observed-when", c.when)
		f.Set("observed-today-time", c.todayTime)
		loc := wantRedirect(t, call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), f, monday1030.Add(20*time.Second)),
			"/schools/brook-lane/concerns/")
		wantBody(t, c.when, call(t, h, "GET", loc, tokenFor(teacher), nil, monday1030.Add(time.Minute)), http.StatusOK, c.want)
	}
	// "Another day" is the date and time typed.
	f := validForm(h, tokenFor(teacher))
	f.Set("key", "k-another")
	f.Set("observed-when", "another-day")
	loc := wantRedirect(t, call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), f, monday1030), "/schools/brook-lane/concerns/")
	wantBody(t, "another day", call(t, h, "GET", loc, tokenFor(teacher), nil, monday1030), http.StatusOK, "1 June 2026 at 09:40")
}

func TestRule_C3_LateConcernSaysByHowManyMinutes(t *testing.T) {
	h := newWorld(t).h
	f := validForm(h, tokenFor(teacher))
	at := time.Date(2026, 6, 1, 12, 25, 0, 0, safeguarding.London) // observed 09:40, due 12:00
	resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), f, at)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("%d", resp.StatusCode)
	}
	page := call(t, h, "GET", resp.Headers["Location"], tokenFor(teacher), nil, at)
	if !strings.Contains(page.Body, "Recorded late by 25 minutes") {
		t.Errorf("the late concern's page:\n%s", page.Body)
	}
}

func TestSubmitWithProblemsShowsThemAndWritesNothing(t *testing.T) {
	w := newWorld(t)
	h := w.h
	f := url.Values{"csrf": {sessionFor(tokenFor(teacher)).csrf()}, "key": {"k"}, "intent": {"submit"},
		"observed-day": {"31"}, "observed-month": {"2"}, "observed-year": {"2026"}, "observed-time": {"9:00"},
		"pupil-words": {"I don't want to go home"}, "about-staff": {"yes"}}
	resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), f, monday1030)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("%d", resp.StatusCode)
	}
	for _, want := range []string{"There is a problem", `href="#q"`, "Choose at least one pupil", `href="#category"`,
		"Choose the category that fits best", `href="#observed-day"`, "The date must be a real date", `href="#details"`,
		"Write what happened", `href="#subject-staff-email"`, "I don&#39;t want to go home", "<title>Error: Record a concern"} {
		if !strings.Contains(resp.Body, want) {
			t.Errorf("the form with problems lacks %q", want)
		}
	}
	if i, j := strings.Index(resp.Body, "Choose at least one pupil"), strings.Index(resp.Body, "Write what happened"); i > j {
		t.Error("the error summary is not in the order of the page")
	}
	if w.items("concern") != 0 {
		t.Error("an invalid concern was written")
	}
}

func TestRule_P2_AConcernOthersMayNotSeeIsNotFound(t *testing.T) {
	h := newWorld(t).h
	resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), validForm(h, tokenFor(teacher)), monday1030)
	loc := resp.Headers["Location"]
	if page := call(t, h, "GET", loc, tokenFor(staff), nil, monday1030); page.StatusCode != http.StatusNotFound ||
		strings.Contains(page.Body, "Chidi") {
		t.Errorf("another member of staff: %d", page.StatusCode)
	}
	if page := call(t, h, "GET", loc, tokenFor(outsider), nil, monday1030); page.StatusCode != http.StatusNotFound {
		t.Errorf("a DSL of another school: %d", page.StatusCode)
	}
	if page := call(t, h, "GET", loc, tokenFor(dsl), nil, monday1030); page.StatusCode != http.StatusOK {
		t.Errorf("the DSL: %d", page.StatusCode)
	}
	if page := call(t, h, "GET", "/schools/brook-lane/concerns/NOPE", tokenFor(dsl), nil, monday1030); page.StatusCode != http.StatusNotFound {
		t.Errorf("no such concern: %d", page.StatusCode)
	}
	if page := call(t, h, "GET", "/schools/hillcrest/concerns/new", tokenFor(teacher), nil, monday1030); page.StatusCode != http.StatusNotFound {
		t.Errorf("another school's form: %d", page.StatusCode)
	}
	// The chronology shows the other member of staff nothing of it.
	chron := call(t, h, "GET", "/schools/brook-lane/pupils/bl-01/chronology", tokenFor(staff), nil, monday1030)
	if chron.StatusCode != http.StatusOK || strings.Contains(chron.Body, "without a coat") {
		t.Errorf("another member of staff's chronology: %d", chron.StatusCode)
	}
}

func TestRule_D10_ChronologyListsEntriesOldestFirstWithLinks(t *testing.T) {
	h := newWorld(t).h
	first := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), validForm(h, tokenFor(teacher)), monday1030)
	f := validForm(h, tokenFor(teacher))
	f.Set("key", "form-key-2")
	f.Set("details", "Second entry.")
	second := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), f, monday1030.Add(time.Hour))
	page := call(t, h, "GET", "/schools/brook-lane/pupils/bl-01/chronology", tokenFor(dsl), nil, monday1030.Add(2*time.Hour))
	i, j := strings.Index(page.Body, `href="`+first.Headers["Location"][:strings.Index(first.Headers["Location"], "?")]),
		strings.Index(page.Body, `href="`+second.Headers["Location"][:strings.Index(second.Headers["Location"], "?")])
	if i < 0 || j < 0 || i > j {
		t.Errorf("chronology order or links wrong (%d, %d):\n%s", i, j, page.Body)
	}
}

func TestSignOutClearsTheCookieAndEndsTheProvidersSession(t *testing.T) {
	h := newWorld(t).h
	form := url.Values{"csrf": {sessionFor(tokenFor(teacher)).csrf()}}
	resp := call(t, h, "POST", "/sign-out", tokenFor(teacher), form, monday1030)
	if !strings.Contains(strings.Join(resp.Cookies, ""), SessionCookie+"=; Path=/; Max-Age=0; HttpOnly; Secure") {
		t.Errorf("sign out keeps the cookie: %v", resp.Cookies)
	}
	want := "https://auth.example/logout?client_id=client-1&logout_uri=https%3A%2F%2Fkeepsafe.example%2F"
	if resp.StatusCode != http.StatusSeeOther || resp.Headers["Location"] != want {
		t.Errorf("sign out: %d to %q, want the provider's logout %q", resp.StatusCode, resp.Headers["Location"], want)
	}
	if page := call(t, h, "GET", "/", tokenFor(teacher), nil, monday1030); page.StatusCode != http.StatusSeeOther {
		t.Errorf("the session signed out still opens a page: %d", page.StatusCode)
	}
	page := call(t, h, "GET", "/", tokenFor(dsl), nil, monday1030)
	if !strings.Contains(page.Headers["Content-Security-Policy"], "form-action 'self' https://auth.example;") {
		t.Errorf("the pages' policy does not let the sign-out form go on to the provider: %q", page.Headers["Content-Security-Policy"])
	}

	// The local stack's sign-in page is on this site: signing out shows a page.
	h.Config.SignInURL = "/dev/sign-in"
	resp = call(t, h, "POST", "/sign-out", tokenFor(teacher), form, monday1030)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Body, "You have signed out") ||
		!strings.Contains(strings.Join(resp.Cookies, ""), SessionCookie+"=; Path=/; Max-Age=0; HttpOnly; Secure") {
		t.Errorf("local sign out: %d %v", resp.StatusCode, resp.Cookies)
	}
}

func TestLogsHoldNoPersonalData(t *testing.T) {
	var logs bytes.Buffer
	h := newWorld(t).h
	h.Logger = slog.New(slog.NewJSONHandler(&logs, nil))
	resp := call(t, h, "POST", "/schools/brook-lane/concerns", tokenFor(teacher), validForm(h, tokenFor(teacher)), monday1030)
	call(t, h, "GET", resp.Headers["Location"], tokenFor(teacher), nil, monday1030)
	out := logs.String()
	for _, secret := range []string{teacher, "Chidi", "coat", "Okafor", "bl-01"} {
		if strings.Contains(out, secret) {
			t.Errorf("logs hold %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, `"route":"POST /schools/{school}/concerns"`) || !strings.Contains(out, `"status":303`) {
		t.Errorf("logs lack route and status:\n%s", out)
	}
}

func TestParseClock(t *testing.T) {
	for in, want := range map[string][2]int{"14:30": {14, 30}, "9:05": {9, 5}, "0930": {9, 30}, "14.30": {14, 30}} {
		h, m, ok := parseClock(in)
		if !ok || h != want[0] || m != want[1] {
			t.Errorf("parseClock(%q) = %d, %d, %t", in, h, m, ok)
		}
	}
	for _, in := range []string{"", "24:00", "9:5", "noon", "12:60"} {
		if _, _, ok := parseClock(in); ok {
			t.Errorf("parseClock(%q) accepted", in)
		}
	}
}
