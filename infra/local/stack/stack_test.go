package stack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// The whole suite shares one stack: in-memory DynamoDB Local, the fixture template of
// testdata/ and its echo function built by Start.
var (
	shared    *Stack
	startErr  error
	startOnce sync.Once
	sink      = &streamSink{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

func testStack(t *testing.T) *Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("starts DynamoDB Local and builds a function")
	}
	startOnce.Do(func() {
		sinkSrv := httptest.NewServer(sink)
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		wd, _ := os.Getwd()
		testdata := filepath.Join(wd, "..", "testdata")
		shared, startErr = Start(ctx, Config{
			InMemory:           true,
			Template:           filepath.Join(testdata, "template.yaml"),
			SourceDir:          testdata,
			Env:                map[string]string{"ECHO_SINK": sinkSrv.URL},
			DisableScheduler:   true,
			StreamPollInterval: 50 * time.Millisecond,
			StreamRetryDelay:   20 * time.Millisecond,
			FunctionOutput:     io.Discard,
			Logger:             slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})),
		})
	})
	if startErr != nil {
		t.Fatalf("start: %v", startErr)
	}
	return shared
}

func do(t *testing.T, method, url, token string, body io.Reader, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func tokenFor(t *testing.T, s *Stack, email string) string {
	t.Helper()
	resp, b := do(t, "POST", s.URL+"/dev/token", "", strings.NewReader(`{"email":"`+email+`"}`))
	if resp.StatusCode != 200 {
		t.Fatalf("token: %d %s", resp.StatusCode, b)
	}
	var out struct{ Token string }
	if err := json.Unmarshal(b, &out); err != nil || out.Token == "" {
		t.Fatalf("token: %s", b)
	}
	return out.Token
}

const dslEmail = "daniel.reyes@brookhill.example.org"

func TestDevUsers(t *testing.T) {
	s := testStack(t)
	resp, b := do(t, "GET", s.URL+"/dev/users", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	var users []struct {
		Email string
		Name  string
		Roles map[string][]string
	}
	if err := json.Unmarshal(b, &users); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, u := range users {
		if u.Email == dslEmail {
			found = true
			if fmt.Sprint(u.Roles["brook-lane"]) != "[teacher dsl]" || u.Name != "Daniel Reyes" {
				t.Errorf("dsl = %+v", u)
			}
		}
	}
	if !found || len(users) < 12 {
		t.Errorf("users = %s", b)
	}
	if !s.Seeded {
		t.Error("a fresh in-memory table should have been seeded")
	}
}

func TestTokenAndAuthorizer(t *testing.T) {
	s := testStack(t)
	for name, body := range map[string]string{"no email": `{}`, "unknown field": `{"email":"a@b.example","admin":true}`, "not JSON": `email=x`} {
		resp, b := do(t, "POST", s.URL+"/dev/token", "", strings.NewReader(body))
		if resp.StatusCode != 400 || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s: %d %s", name, resp.StatusCode, b)
		}
	}

	for name, tok := range map[string]string{"no token": "", "bad token": "not.a.jwt"} {
		resp, b := do(t, "GET", s.URL+"/echo/42", tok, nil)
		if resp.StatusCode != 401 || string(b) != `{"message":"Unauthorized"}` {
			t.Errorf("%s: %d %s", name, resp.StatusCode, b)
		}
	}

	tok := tokenFor(t, s, strings.ToUpper(dslEmail))
	resp, b := do(t, "GET", s.URL+"/echo/42?q=a&q=b&x=1", tok, nil,
		"Cookie", "a=1; b=2", "X-Two", "one", "X-Two", "two", "User-Agent", "stack-test")
	if resp.StatusCode != 200 {
		t.Fatalf("status %d %s", resp.StatusCode, b)
	}
	if resp.Header.Get("X-Echo") != "1" || strings.Join(resp.Header.Values("X-Multi"), ",") != "a,b" ||
		!strings.HasPrefix(resp.Header.Get("Set-Cookie"), "echo=1") {
		t.Errorf("response headers = %v", resp.Header)
	}
	var ev events.APIGatewayV2HTTPRequest
	if err := json.Unmarshal(b, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Version != "2.0" || ev.RouteKey != "GET /echo/{id}" || ev.RawPath != "/echo/42" || ev.RawQueryString != "q=a&q=b&x=1" {
		t.Errorf("event = %+v", ev)
	}
	if ev.PathParameters["id"] != "42" || ev.QueryStringParameters["q"] != "a,b" || ev.QueryStringParameters["x"] != "1" {
		t.Errorf("parameters = %v %v", ev.PathParameters, ev.QueryStringParameters)
	}
	if strings.Join(ev.Cookies, "|") != "a=1|b=2" || ev.Headers["x-two"] != "one,two" || ev.Headers["cookie"] != "" {
		t.Errorf("cookies %v, headers %v", ev.Cookies, ev.Headers)
	}
	rc := ev.RequestContext
	if rc.Stage != "$default" || rc.RequestID == "" || rc.HTTP.Method != "GET" || rc.HTTP.Path != "/echo/42" ||
		rc.HTTP.SourceIP != "127.0.0.1" || rc.HTTP.UserAgent != "stack-test" || rc.TimeEpoch == 0 || rc.Time == "" {
		t.Errorf("request context = %+v", rc)
	}
	if rc.Authorizer == nil || rc.Authorizer.JWT == nil {
		t.Fatal("no JWT authorizer context")
	}
	c := rc.Authorizer.JWT.Claims
	if c["email"] != dslEmail || c["name"] != "Daniel Reyes" || c["sub"] != seed.Subject(dslEmail) || c["iss"] != s.Issuer ||
		c["aud"] != Audience || c["token_use"] != "id" || c["email_verified"] != "true" {
		t.Errorf("claims = %v", c)
	}
}

// The local identity provider signs for any email, and forges what a real one could issue
// (the contract's optional fields), so that the product's refusals can be tried (rule S8).
func TestRule_S8_LocalTokensCanBeForged(t *testing.T) {
	s := testStack(t)
	claims := func(body string) map[string]string {
		t.Helper()
		resp, b := do(t, "POST", s.URL+"/dev/token", "", strings.NewReader(body))
		if resp.StatusCode != 200 {
			t.Fatalf("token %s: %d %s", body, resp.StatusCode, b)
		}
		var out struct{ Token string }
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatal(err)
		}
		resp, b = do(t, "GET", s.URL+"/echo/1", out.Token, nil)
		if resp.StatusCode != 200 {
			t.Fatalf("echo: %d %s", resp.StatusCode, b)
		}
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatal(err)
		}
		return ev.RequestContext.Authorizer.JWT.Claims
	}
	if c := claims(`{"email":"Nobody@Example.org"}`); c["email"] != "nobody@example.org" || c["sub"] != seed.Subject("nobody@example.org") || c["email_verified"] != "true" {
		t.Errorf("an unknown email: %v", c)
	}
	upper := strings.ToUpper(dslEmail[:1]) + dslEmail[1:]
	c := claims(`{"email":"` + upper + `","sub":"another-subject","emailVerified":false,"emailAsWritten":true}`)
	if c["email"] != upper || c["sub"] != "another-subject" || c["email_verified"] != "false" {
		t.Errorf("forged: %v", c)
	}
}

func TestRoutesWithoutAuth(t *testing.T) {
	s := testStack(t)
	resp, b := do(t, "GET", s.URL+"/nowhere", "", nil)
	if resp.StatusCode != 404 || string(b) != `{"message":"Not Found"}` {
		t.Errorf("no route: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "GET", s.URL+"/open/css/site.css", "", nil)
	var ev events.APIGatewayV2HTTPRequest
	if resp.StatusCode != 200 || json.Unmarshal(b, &ev) != nil {
		t.Fatalf("greedy: %d %s", resp.StatusCode, b)
	}
	if ev.PathParameters["file"] != "css/site.css" || ev.RouteKey != "GET /open/{file+}" || ev.RequestContext.Authorizer != nil {
		t.Errorf("greedy event = %+v", ev)
	}

	bin := []byte{0, 1, 2, 255}
	resp, b = do(t, "POST", s.URL+"/open", "", bytes.NewReader(bin), "Content-Type", "application/octet-stream")
	ev = events.APIGatewayV2HTTPRequest{}
	if resp.StatusCode != 200 || json.Unmarshal(b, &ev) != nil {
		t.Fatalf("binary: %d %s", resp.StatusCode, b)
	}
	if !ev.IsBase64Encoded || ev.Body != base64.StdEncoding.EncodeToString(bin) {
		t.Errorf("binary body = %q (base64 %v)", ev.Body, ev.IsBase64Encoded)
	}
	resp, b = do(t, "POST", s.URL+"/open", "", strings.NewReader(`{"a":1}`), "Content-Type", "application/json")
	ev = events.APIGatewayV2HTTPRequest{}
	if resp.StatusCode != 200 || json.Unmarshal(b, &ev) != nil || ev.IsBase64Encoded || ev.Body != `{"a":1}` {
		t.Errorf("json body: %d %+v", resp.StatusCode, ev)
	}

	// Over Lambda's 6 MB event limit once base64-encoded, though under API Gateway's 10 MB.
	resp, _ = do(t, "POST", s.URL+"/open", "", bytes.NewReader(make([]byte, 5<<20)), "Content-Type", "application/octet-stream")
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("over the event limit: %d", resp.StatusCode)
	}
	big := bytes.Repeat([]byte("a"), MaxPayloadBytes+1)
	resp, _ = do(t, "POST", s.URL+"/open", "", bytes.NewReader(big), "Content-Type", "text/plain")
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("over 10 MB: %d", resp.StatusCode)
	}
}

func TestFunctionErrorsAndRestarts(t *testing.T) {
	s := testStack(t)
	tok := tokenFor(t, s, dslEmail)
	for _, path := range []string{"/echo/fail", "/echo/crash"} {
		resp, b := do(t, "GET", s.URL+path, tok, nil)
		if resp.StatusCode != 500 || string(b) != `{"message":"Internal Server Error"}` {
			t.Errorf("%s: %d %s", path, resp.StatusCode, b)
		}
	}
	// Concurrent requests are served by a pool of processes, a dead one replaced.
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("GET", s.URL+"/echo/slow", nil)
			req.Header.Set("Authorization", "Bearer "+tok)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- resp.Status
			}
		}()
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}

func TestClockMovesRequestTime(t *testing.T) {
	s := testStack(t)
	tok := tokenFor(t, s, dslEmail)
	pinned := time.Date(2025, 1, 6, 8, 45, 0, 0, time.UTC)
	resp, b := do(t, "POST", s.URL+"/dev/clock", "", strings.NewReader(`{"now":"`+pinned.Format(time.RFC3339)+`"}`))
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"pinned":true`) {
		t.Fatalf("pin: %d %s", resp.StatusCode, b)
	}
	defer do(t, "DELETE", s.URL+"/dev/clock", "", nil)

	epoch := func() int64 {
		_, b := do(t, "GET", s.URL+"/echo/clock", tok, nil)
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(b, &ev); err != nil {
			t.Fatalf("%v: %s", err, b)
		}
		return ev.RequestContext.TimeEpoch
	}
	if got := epoch(); got != pinned.UnixMilli() {
		t.Errorf("timeEpoch = %d, want %d", got, pinned.UnixMilli())
	}
	if got := epoch(); got != pinned.UnixMilli() {
		t.Errorf("a pinned clock ticked: %d", got)
	}
	resp, b = do(t, "POST", s.URL+"/dev/clock", "", strings.NewReader(`{"now":"yesterday"}`))
	if resp.StatusCode != 400 {
		t.Errorf("bad time: %d %s", resp.StatusCode, b)
	}
	do(t, "DELETE", s.URL+"/dev/clock", "", nil)
	if got := epoch(); time.Since(time.UnixMilli(got)).Abs() > time.Minute {
		t.Errorf("after DELETE timeEpoch = %d, want about now", got)
	}
}

func TestScheduleRun(t *testing.T) {
	s := testStack(t)
	pinned := time.Date(2025, 3, 3, 6, 30, 0, 0, time.UTC)
	do(t, "POST", s.URL+"/dev/clock", "", strings.NewReader(`{"now":"`+pinned.Format(time.RFC3339)+`"}`))
	defer do(t, "DELETE", s.URL+"/dev/clock", "", nil)

	resp, b := do(t, "POST", s.URL+"/dev/schedules/tick/run", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("run: %d %s", resp.StatusCode, b)
	}
	var out struct {
		Event    events.CloudWatchEvent
		Function string
	}
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	if out.Function != "EchoFunction" || out.Event.Source != "aws.scheduler" || out.Event.DetailType != "Scheduled Event" ||
		!out.Event.Time.Equal(pinned) || string(out.Event.Detail) != "{}" || out.Event.ID == "" {
		t.Errorf("schedule event = %s", b)
	}

	resp, b = do(t, "POST", s.URL+"/dev/schedules/Nightly/run", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"at":"2025-03-03T06:30:00Z"`) {
		t.Errorf("input schedule: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "POST", s.URL+"/dev/schedules/nope/run", "", nil)
	if resp.StatusCode != 404 || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("unknown schedule: %d %s", resp.StatusCode, b)
	}
	resp, b = do(t, "GET", s.URL+"/dev/schedules", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"name":"tick"`) {
		t.Errorf("list: %d %s", resp.StatusCode, b)
	}
}

// The local sign-in is an authorization code flow with PKCE and a nonce, as Cognito's hosted
// sign-in is: a code for this site's /auth/callback, exchanged once, with the right verifier,
// for an ID token that carries the nonce back.
func TestSignInIsTheAuthorizationCodeFlow(t *testing.T) {
	s := testStack(t)
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(s.URL + "/dev/sign-in?next=//evil.example")
	if err != nil || resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/sign-in?return=%2F" {
		t.Fatalf("a visit without an authorization request should go through the web's /sign-in: %v %v", err, resp.Header)
	}
	resp.Body.Close()

	verifier := "a-verifier-long-enough-for-pkce-0123456789abcdef"
	sum := sha256.Sum256([]byte(verifier))
	req := url.Values{"client_id": {Audience}, "response_type": {"code"}, "scope": {"openid email profile"},
		"redirect_uri": {s.URL + "/auth/callback"}, "state": {"S1"}, "nonce": {"N1"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	resp, b := do(t, "GET", s.URL+"/dev/sign-in?"+req.Encode(), "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), dslEmail) || !strings.Contains(string(b), `name="nonce" value="N1"`) {
		t.Fatalf("page: %d %s", resp.StatusCode, b)
	}
	signIn := func(form url.Values) *http.Response {
		t.Helper()
		resp, err := noRedirect.PostForm(s.URL+"/dev/sign-in", form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	form := url.Values{"email": {dslEmail}}
	for k, v := range req {
		form[k] = v
	}
	hostile := url.Values{}
	for k, v := range form {
		hostile[k] = v
	}
	hostile.Set("redirect_uri", "https://evil.example/auth/callback")
	if resp := signIn(hostile); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a code for another site: %d %v", resp.StatusCode, resp.Header)
	}
	resp = signIn(form)
	back, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || err != nil || back.Path != "/auth/callback" || back.Query().Get("state") != "S1" || back.Query().Get("code") == "" {
		t.Fatalf("sign in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	exchange := func(code, verifier string) (int, map[string]any) {
		t.Helper()
		resp, err := http.PostForm(s.URL+"/dev/oauth2/token", url.Values{"grant_type": {"authorization_code"}, "client_id": {Audience},
			"code": {code}, "redirect_uri": {s.URL + "/auth/callback"}, "code_verifier": {verifier}})
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	code := back.Query().Get("code")
	if status, _ := exchange(code, "another-verifier"); status != http.StatusBadRequest {
		t.Errorf("a wrong verifier: %d", status)
	}
	// A code is spent by its first exchange, right or wrong; sign in again for a new one.
	if status, _ := exchange(code, verifier); status != http.StatusBadRequest {
		t.Errorf("a code used twice: %d", status)
	}
	back, _ = url.Parse(signIn(form).Header.Get("Location"))
	status, out := exchange(back.Query().Get("code"), verifier)
	tok, _ := out["id_token"].(string)
	if status != 200 || tok == "" {
		t.Fatalf("exchange: %d %v", status, out)
	}
	resp, b = do(t, "GET", s.URL+"/echo/me", tok, nil)
	var ev events.APIGatewayV2HTTPRequest
	if resp.StatusCode != 200 || json.Unmarshal(b, &ev) != nil {
		t.Fatalf("the ID token at the gateway: %d %s", resp.StatusCode, b)
	}
	if c := ev.RequestContext.Authorizer.JWT.Claims; c["nonce"] != "N1" || c["email"] != dslEmail || c["sub"] != seed.Subject(dslEmail) {
		t.Errorf("claims %v", c)
	}
}

func TestSNSPublishAppearsInAlerts(t *testing.T) {
	s := testStack(t)
	client := sns.New(sns.Options{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(s.SNSEndpoint),
	})
	ctx := context.Background()
	attr := func(v string) snstypes.MessageAttributeValue {
		return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
	}
	out, err := client.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(AlertsTopicARN),
		Subject:  aws.String("New concern"),
		Message:  aws.String("A concern was recorded at Brook Lane Primary."),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"school": attr("brook-lane"), "audience": attr("dsl"), "priority": attr("high"),
			"kind": attr("concern"), "channel": attr("sms"), "recipient": attr(dslEmail),
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.MessageId) == "" {
		t.Error("no message id")
	}
	batch, err := client.PublishBatch(ctx, &sns.PublishBatchInput{
		TopicArn: aws.String(AlertsTopicARN),
		PublishBatchRequestEntries: []snstypes.PublishBatchRequestEntry{
			{Id: aws.String("one"), Message: aws.String("first"), MessageAttributes: map[string]snstypes.MessageAttributeValue{"kind": attr("overdue")}},
			{Id: aws.String("two"), Message: aws.String("second")},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(batch.Successful) != 2 || len(batch.Failed) != 0 {
		t.Errorf("batch = %+v", batch)
	}
	if _, err := client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(AlertsTopicARN)}); err == nil {
		t.Error("a publish without a message was accepted")
	}

	resp, b := do(t, "GET", s.URL+"/dev/alerts", "", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("alerts: %d", resp.StatusCode)
	}
	var alerts []struct {
		ID, Subject, Message string
		At                   time.Time
		Attributes           map[string]string
	}
	if err := json.Unmarshal(b, &alerts); err != nil {
		t.Fatal(err)
	}
	var i int
	for i = range alerts {
		if alerts[i].ID == aws.ToString(out.MessageId) {
			break
		}
	}
	if i+2 >= len(alerts) || alerts[i].ID != aws.ToString(out.MessageId) {
		t.Fatalf("alerts = %s", b)
	}
	a := alerts[i]
	if a.Subject != "New concern" || a.At.IsZero() || a.Attributes["school"] != "brook-lane" || a.Attributes["recipient"] != dslEmail ||
		a.Attributes["kind"] != "concern" || a.Attributes["channel"] != "sms" || a.Attributes["priority"] != "high" {
		t.Errorf("alert = %+v", a)
	}
	if alerts[i+1].Message != "first" || alerts[i+1].Attributes["kind"] != "overdue" || alerts[i+2].Message != "second" {
		t.Errorf("batch alerts out of order: %s", b)
	}
}

// streamSink plays the function's side of stream delivery: it records every batch and
// answers with the failures the test asks for.
type streamSink struct {
	mu      sync.Mutex
	batches [][]string               // the "id" attribute of each record, per batch
	fail    map[string]int           // id -> how many more deliveries fail (-1: always)
	crash   map[string]int           // id -> how many more deliveries fail the whole batch (-1: always)
	hold    map[string]chan struct{} // id -> a delivery of it waits until the channel is closed
	holding map[string]bool          // id -> a delivery of it is waiting
}

func (k *streamSink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var ev events.DynamoDBEvent
	if err := json.NewDecoder(r.Body).Decode(&ev); err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	var ids []string
	var resp events.DynamoDBEventResponse
	crash := false
	for _, rec := range ev.Records {
		id := rec.Change.NewImage["id"].String()
		ids = append(ids, id)
		if n := k.crash[id]; n != 0 {
			if n > 0 {
				k.crash[id] = n - 1
			}
			crash = true
		}
		if ch := k.hold[id]; ch != nil {
			if k.holding == nil {
				k.holding = map[string]bool{}
			}
			k.holding[id] = true
			k.mu.Unlock()
			<-ch
			k.mu.Lock()
		}
		if n := k.fail[id]; n != 0 {
			if n > 0 {
				k.fail[id] = n - 1
			}
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		}
	}
	k.batches = append(k.batches, ids)
	if crash {
		http.Error(w, "crash", 500)
		return
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func (k *streamSink) seen() [][]string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return append([][]string{}, k.batches...)
}

func putItem(t *testing.T, db *dynamodb.Client, typ, id string) {
	t.Helper()
	_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{
		TableName: aws.String(TableName),
		Item: map[string]dbtypes.AttributeValue{
			"PK":   &dbtypes.AttributeValueMemberS{Value: "TEST#" + id},
			"SK":   &dbtypes.AttributeValueMemberS{Value: "TEST"},
			"type": &dbtypes.AttributeValueMemberS{Value: typ},
			"id":   &dbtypes.AttributeValueMemberS{Value: id},
			"n":    &dbtypes.AttributeValueMemberN{Value: "7"},
			"tags": &dbtypes.AttributeValueMemberSS{Value: []string{"x", "y"}},
			"m": &dbtypes.AttributeValueMemberM{Value: map[string]dbtypes.AttributeValue{
				"ok": &dbtypes.AttributeValueMemberBOOL{Value: true},
				"l":  &dbtypes.AttributeValueMemberL{Value: []dbtypes.AttributeValue{&dbtypes.AttributeValueMemberNULL{Value: true}}},
			}},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestStreamsDeliverFilteredBatchesWithRetries(t *testing.T) {
	s := testStack(t)
	db := s.DynamoDB()
	sink.mu.Lock()
	before := len(s.DeadLetters())
	sink.fail = map[string]int{"o2": 1, "poison": -1}
	sink.crash = map[string]int{"o5": 1}
	sink.batches = nil
	sink.mu.Unlock()

	// o1..o3 make one batch (BatchSize 3); o2 fails once, so the retry starts at o2.
	putItem(t, db, "outbox", "o1")
	putItem(t, db, "user", "not-outbox")
	putItem(t, db, "outbox", "o2")
	putItem(t, db, "outbox", "o3")
	waitFor(t, "o1..o3 delivered", func() bool {
		for _, b := range sink.seen() {
			if strings.Join(b, ",") == "o2,o3" {
				return true
			}
		}
		return false
	})
	for _, b := range sink.seen() {
		for _, id := range b {
			if id == "not-outbox" {
				t.Error("the filter let a non-outbox record through")
			}
		}
	}
	// A function error retries the whole batch; a record that always fails is dead-lettered
	// after MaximumRetryAttempts (2) retries.
	putItem(t, db, "outbox", "o5")
	putItem(t, db, "outbox", "poison")
	waitFor(t, "poison dead-lettered", func() bool { return len(s.DeadLetters()) > before })
	dl := s.DeadLetters()[before:]
	// As AWS's on-failure destination, it gets where the record was, not the record.
	if len(dl) != 1 || dl[0].StreamInfo.BatchSize != 1 || dl[0].StreamInfo.StartSequenceNumber == "" ||
		dl[0].StreamInfo.ShardID == "" || dl[0].Condition != "RetryAttemptsExhausted" || dl[0].Attempts != 3 || dl[0].Function != "echo" {
		t.Errorf("dead letters = %+v", dl)
	}
	count := map[string]int{}
	for _, b := range sink.seen() {
		for _, id := range b {
			count[id]++
		}
	}
	if count["o1"] != 1 || count["o2"] != 2 || count["o5"] != 2 || count["poison"] != 3 {
		t.Errorf("deliveries = %v (batches %v)", count, sink.seen())
	}
	resp, b := do(t, "GET", s.URL+"/dev/dead-letters", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"shardId"`) || strings.Contains(string(b), "poison") {
		t.Errorf("dead letters: %d %s", resp.StatusCode, b)
	}
}

// POST /dev/settle answers once what was written has gone through the stream to its function
// (here after the source's one-second batching window), so a test can check what did not
// happen without waiting a fixed time.
func TestSettleWaitsUntilTheStreamIsDelivered(t *testing.T) {
	s := testStack(t)
	db := s.DynamoDB()
	sink.mu.Lock()
	sink.fail, sink.crash, sink.batches = nil, nil, nil
	sink.mu.Unlock()

	putItem(t, db, "outbox", "settle-1")
	putItem(t, db, "user", "settle-not-outbox")
	resp, b := do(t, "POST", s.URL+"/dev/settle", "", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"settled":true`) {
		t.Fatalf("settle: %d %s", resp.StatusCode, b)
	}
	delivered := map[string]int{}
	for _, batch := range sink.seen() {
		for _, id := range batch {
			delivered[id]++
		}
	}
	if delivered["settle-1"] != 1 || delivered["settle-not-outbox"] != 0 {
		t.Errorf("settled with deliveries %v", sink.seen())
	}
	// Settling again with nothing new written answers too.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.Settle(ctx); err != nil {
		t.Errorf("settle again: %v", err)
	}
}

type everyFew time.Duration

func (e everyFew) next(after time.Time) (time.Time, bool) { return after.Add(time.Duration(e)), true }

func TestSchedulesFireOnTheirCadence(t *testing.T) {
	s := testStack(t)
	sc := &scheduler{clock: s.clock, log: slog.New(slog.NewTextHandler(io.Discard, nil)), schedules: map[string]*schedule{
		"fast": {def: template.Schedule{Name: "fast", Enabled: true}, fn: s.functions["EchoFunction"], cadence: everyFew(50 * time.Millisecond)},
		"off":  {def: template.Schedule{Name: "off", Enabled: false}, fn: s.functions["EchoFunction"], cadence: everyFew(50 * time.Millisecond)},
	}}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sc.start(ctx, time.Now)
	runs := func(name string) int {
		s := sc.schedules[name]
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.runs
	}
	waitFor(t, "three runs", func() bool { return runs("fast") >= 3 })
	if runs("off") != 0 {
		t.Error("a disabled schedule fired")
	}
}

// children are the processes this test process has started and not yet reaped (Linux).
func children(t *testing.T) map[string]bool {
	t.Helper()
	files, _ := filepath.Glob("/proc/self/task/*/children")
	if len(files) == 0 {
		t.Skip("no /proc/self/task/*/children here")
	}
	out := map[string]bool{}
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, pid := range strings.Fields(string(b)) {
			out[pid] = true
		}
	}
	return out
}

// A step of Start that fails (here a schedule the local stack cannot run, the last step but
// the gateway) fails the start with the expression named, and stops all that went before:
// DynamoDB Local, s3rver and the listeners.
func TestStartFailingLateStopsWhatItStarted(t *testing.T) {
	testStack(t) // the shared stack's processes are running before, and still after
	wd, _ := os.Getwd()
	testdata := filepath.Join(wd, "..", "testdata")
	src, err := os.ReadFile(filepath.Join(testdata, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tplPath := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(tplPath, bytes.Replace(src, []byte("rate(1 day)"), []byte("rate(1 week)"), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	// s3rver is found from the template's folder up.
	if err := os.Symlink(filepath.Join(wd, "..", "..", "..", "node_modules"), filepath.Join(dir, "node_modules")); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	before := children(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	s, err := Start(ctx, Config{InMemory: true, Port: port, Template: tplPath, SourceDir: testdata, DisableScheduler: true,
		FunctionOutput: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		s.Close()
		t.Fatal("a template with rate(1 week) started")
	}
	if !strings.Contains(err.Error(), "rate(1 week)") {
		t.Errorf("the error does not name the expression: %v", err)
	}
	waitFor(t, "the processes Start started to stop", func() bool {
		for pid := range children(t) {
			if !before[pid] {
				return false
			}
		}
		return true
	})
	ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		t.Fatalf("the gateway's port is still held: %v", err)
	}
	_ = ln.Close()
}
