package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
)

var (
	st       *stack.Stack
	startErr error
	once     sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	// Rule P3 over every answer of the whole suite, whichever test came last.
	if leaks := contactDetailLeaks(); code == 0 && len(leaks) > 0 {
		for _, l := range leaks {
			fmt.Fprintln(os.Stderr, "rule P3:", l)
		}
		code = 1
	}
	if st != nil {
		st.Close()
	}
	os.Exit(code)
}

// product starts the whole product once for the package.
func product(t *testing.T) string {
	t.Helper()
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		st, startErr = stack.Start(ctx, stack.Config{InMemory: true, DisableScheduler: true})
	})
	if startErr != nil {
		t.Fatal(startErr)
	}
	return st.URL
}

// call sends a request and decodes a JSON answer.
func call(t *testing.T, method, url, token string, body any, headers ...string) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	record(method, url, resp.StatusCode, raw)
	var out map[string]any
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s %s: %d %s", method, url, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

func token(t *testing.T, email string) string {
	t.Helper()
	status, body := call(t, "POST", product(t)+"/dev/token", "", map[string]string{"email": email})
	if status != 200 {
		t.Fatalf("token for %s: %d %v", email, status, body)
	}
	return body["token"].(string)
}

func pinClock(t *testing.T, at time.Time) {
	t.Helper()
	if status, body := call(t, "POST", product(t)+"/dev/clock", "", map[string]string{"now": at.UTC().Format(time.RFC3339)}); status != 200 {
		t.Fatalf("clock: %d %v", status, body)
	}
}

type alert struct {
	ID         string            `json:"id"`
	At         string            `json:"at"`
	Subject    string            `json:"subject"`
	Message    string            `json:"message"`
	Attributes map[string]string `json:"attributes"`
}

func alerts(t *testing.T) []alert {
	t.Helper()
	resp, err := http.Get(product(t) + "/dev/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out []alert
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// waitAlerts polls /dev/alerts until match finds n alerts (the stream and SNS take a moment),
// or until the stack has settled (POST /dev/settle: all that follows from what the test did
// has been delivered) with fewer, or 20 seconds have passed. A test that expects fewer than n
// reads them once nothing more can come, not after a fixed wait.
func waitAlerts(t *testing.T, n int, match func(alert) bool) []alert {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	settled := false
	for {
		var got []alert
		for _, a := range alerts(t) {
			if match(a) {
				got = append(got, a)
			}
		}
		if len(got) >= n || settled || time.Now().After(deadline) {
			return got
		}
		if settled = settle(t, time.Until(deadline)); !settled {
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// settle asks the stack to settle within d and reports whether it did.
func settle(t *testing.T, d time.Duration) bool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), max(d, time.Second))
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, product(t)+"/dev/settle", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode == http.StatusOK
}

// Every response the suite sees, for the personal-data scan.
var (
	seenMu sync.Mutex
	seen   []seenResponse
)

type seenResponse struct {
	method, url string
	status      int
	body        []byte
}

func record(method, url string, status int, b []byte) {
	seenMu.Lock()
	defer seenMu.Unlock()
	seen = append(seen, seenResponse{method: method, url: url, status: status, body: b})
}

func local(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, time.FixedZone("GMT", 0))
	if err != nil {
		panic(err)
	}
	return t
}

var (
	teacher = seed.Email("Tom", "Hughes")
	staff   = seed.Email("Priya", "Shah")
	dsl     = seed.Email("Daniel", "Reyes")
	head    = seed.Email("Helen", "Carter")
)

func concernsURL(t *testing.T) string { return product(t) + "/api/schools/brook-lane/concerns" }

func TestRule_C4_HighPriorityConcernReachesTheDSLsBySMSAndEmailThroughTheStream(t *testing.T) {
	pinClock(t, local("2026-11-23 09:30"))
	status, rec := call(t, "POST", concernsURL(t), token(t, teacher), map[string]any{
		"pupilIds": []string{"bl-01"}, "category": "safeguarding", "subcategories": []string{"physical-related"},
		"highPriority": true, "observedAt": "2026-11-23T09:00:00Z", "details": "Chidi Okafor had a bruise on his arm.",
		"pupilWords": "Dad was cross.",
	}, "Idempotency-Key", "e2e-c4")
	if status != 201 {
		t.Fatalf("%d %v", status, rec)
	}
	ref := rec["reference"].(string)
	got := waitAlerts(t, 4, func(a alert) bool { return a.Attributes["reference"] == ref })
	byWho := map[string][]string{}
	for _, a := range got {
		byWho[a.Attributes["recipient"]] = append(byWho[a.Attributes["recipient"]], a.Attributes["channel"])
		if a.Attributes["school"] != "brook-lane" || a.Attributes["priority"] != "high" || a.Attributes["kind"] != "concern" {
			t.Errorf("alert attributes %v", a.Attributes)
		}
	}
	for _, who := range []string{dsl, head} {
		if len(byWho[who]) != 2 {
			t.Errorf("%s got %v, want sms and email", who, byWho[who])
		}
	}
	if len(got) != 4 {
		t.Errorf("alerts %v", byWho)
	}
}

func TestRule_P2_ThroughTheGateway(t *testing.T) {
	pinClock(t, local("2026-11-23 10:00"))
	_, rec := call(t, "POST", concernsURL(t), token(t, teacher), map[string]any{
		"pupilIds": []string{"bl-02"}, "category": "wellbeing", "observedAt": "2026-11-23T09:50:00Z", "details": "Tired and hungry.",
	})
	url := concernsURL(t) + "/" + rec["id"].(string)
	for _, tc := range []struct {
		who    string
		status int
	}{{"", 401}, {teacher, 200}, {dsl, 200}, {staff, 404}, {seed.Email("Chloe", "Adams"), 403}} {
		tok := ""
		if tc.who != "" {
			tok = token(t, tc.who)
		}
		if status, body := call(t, "GET", url, tok, nil); status != tc.status {
			t.Errorf("%q: %d %v, want %d", tc.who, status, body, tc.status)
		}
	}
	if status, _ := call(t, "GET", url, "not-a-token", nil); status != 401 {
		t.Errorf("bad token: %d", status)
	}
}

func TestRule_C3_LateConcernThroughTheLocalClock(t *testing.T) {
	pinClock(t, local("2026-11-23 12:45")) // GMT: noon deadline missed by 45 minutes
	status, rec := call(t, "POST", concernsURL(t), token(t, teacher), map[string]any{
		"pupilIds": []string{"bl-03"}, "category": "behaviour", "observedAt": "2026-11-23T09:00:00Z", "details": "Pushed a classmate.",
	})
	if status != 201 || rec["late"] != true || rec["minutesLate"] != float64(45) {
		t.Fatalf("%d %v", status, rec)
	}
}

func TestRule_D8_DeadlineScheduleThroughTheLocalStack(t *testing.T) {
	pinClock(t, local("2026-11-24 10:00"))
	_, rec := call(t, "POST", concernsURL(t), token(t, teacher), map[string]any{
		"pupilIds": []string{"bl-04"}, "category": "wellbeing", "observedAt": "2026-11-24T09:55:00Z", "details": "Upset at drop-off.",
	})
	status, action := call(t, "POST", concernsURL(t)+"/"+rec["id"].(string)+"/actions", token(t, dsl),
		map[string]any{"type": "dsl-action", "assigneeEmail": staff})
	if status != 201 || action["dueAt"] != "2026-11-24T17:00:00Z" {
		t.Fatalf("%d %v", status, action)
	}
	ref := action["reference"].(string)
	run := func(at string) map[string]any {
		pinClock(t, local(at))
		status, body := call(t, "POST", product(t)+"/dev/schedules/deadlines/run", "", nil)
		if status != 200 {
			t.Fatalf("run: %d %v", status, body)
		}
		return body
	}
	overdue := func(a alert) bool { return a.Attributes["reference"] == ref && a.Attributes["kind"] == "overdue" }
	run("2026-11-24 16:00")
	if got := waitAlerts(t, 1, overdue); len(got) != 0 {
		t.Fatalf("overdue before the due time: %v", got)
	}
	run("2026-11-24 17:05")
	run("2026-11-24 17:20") // a repeat within the day sends nothing more
	got := waitAlerts(t, 2, overdue)
	if len(got) != 1 || got[0].Attributes["recipient"] != staff || got[0].Attributes["audience"] != "assignee" {
		t.Fatalf("overdue alerts %v", got)
	}
	run("2026-11-25 17:05")
	if got := waitAlerts(t, 2, overdue); len(got) != 2 || got[1].Attributes["audience"] != "dsl" {
		t.Errorf("next day: %v", got)
	}
}

func TestRule_C5_ConcernAboutADSLIsHiddenFromThatDSLAndNeverAlertsThem(t *testing.T) {
	pinClock(t, local("2026-11-25 10:00"))
	status, rec := call(t, "POST", concernsURL(t), token(t, teacher), map[string]any{
		"pupilIds": []string{"bl-05"}, "category": "safeguarding", "highPriority": true,
		"observedAt": "2026-11-25T09:40:00Z", "details": "Saw a member of staff grab a pupil's wrist.",
		"aboutStaff": true, "subjectStaffEmail": dsl,
	})
	if status != 201 {
		t.Fatalf("%d %v", status, rec)
	}
	id, ref := rec["id"].(string), rec["reference"].(string)
	if status, _ := call(t, "GET", concernsURL(t)+"/"+id, token(t, dsl), nil); status != 404 {
		t.Errorf("the DSL it is about reads it: %d", status)
	}
	_, chron := call(t, "GET", product(t)+"/api/schools/brook-lane/pupils/bl-05/chronology", token(t, dsl), nil)
	for _, e := range chron["entries"].([]any) {
		if e.(map[string]any)["concernId"] == id {
			t.Errorf("the DSL it is about sees it in the chronology: %v", e)
		}
	}
	_, work := call(t, "GET", product(t)+"/api/schools/brook-lane/review", token(t, dsl), nil)
	for _, c := range work["openCases"].([]any) {
		if c.(map[string]any)["concernId"] == id {
			t.Error("the DSL it is about sees it in the SLT review")
		}
	}
	for _, who := range []string{head, seed.Email("Martin", "Doyle")} { // the Senior DSL and the governor
		if status, _ := call(t, "GET", concernsURL(t)+"/"+id, token(t, who), nil); status != 200 {
			t.Errorf("%s cannot read it: %d", who, status)
		}
	}
	got := waitAlerts(t, 4, func(a alert) bool { return a.Attributes["reference"] == ref })
	audiences := map[string]bool{}
	for _, a := range got {
		if a.Attributes["recipient"] == dsl {
			t.Errorf("the DSL it is about was alerted: %v", a.Attributes)
		}
		audiences[a.Attributes["audience"]] = true
	}
	if !audiences["governor"] || !audiences["senior_dsl"] || audiences["dsl"] {
		t.Errorf("audiences %v: want the governor and the Senior DSL only", audiences)
	}
}

// Runs last (Go runs tests in source order): no alert the suite produced names a pupil,
// quotes a record or holds a phone number (rule S2).
func TestRule_S2_NoAlertCarriesPersonalData(t *testing.T) {
	all := alerts(t)
	if len(all) == 0 {
		t.Fatal("no alerts to scan")
	}
	phone := regexp.MustCompile(`0\d{3} ?\d{3} ?\d{3,4}`)
	var forbidden []string
	for _, p := range seed.Demo().Pupils {
		forbidden = append(forbidden, p.Name, strings.Fields(p.Name)[0])
	}
	forbidden = append(forbidden, "bruise", "Dad was cross", "Tired and hungry", "Pushed", "Upset")
	for _, a := range all {
		text := a.Subject + " " + a.Message
		for _, f := range forbidden {
			if regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(f) + `\b`).MatchString(text) {
				t.Errorf("alert %s contains %q: %s", a.ID, f, text)
			}
		}
		if phone.MatchString(text) {
			t.Errorf("alert %s contains a phone number: %s", a.ID, text)
		}
	}
}

// Rule S8 through the local stack, with tokens its identity provider forges: the Senior DSL's
// email on another account (as written, or in other capitals), and the Senior DSL's own account
// with an unverified email, are each refused; the Senior DSL's own token works.
func TestRule_S8_TokensForAnotherAccountAreRefused(t *testing.T) {
	forged := func(fields map[string]any) string {
		t.Helper()
		status, body := call(t, "POST", product(t)+"/dev/token", "", fields)
		if status != 200 {
			t.Fatalf("token %v: %d %v", fields, status, body)
		}
		return body["token"].(string)
	}
	upper := strings.ToUpper(head[:1]) + head[1:]
	for name, fields := range map[string]map[string]any{
		"the email, another account":                   {"email": head, "sub": "an-account-of-someone-else"},
		"the email in other capitals, another account": {"email": upper, "emailAsWritten": true, "sub": "an-account-of-someone-else"},
		"the account, its email not verified":          {"email": head, "emailVerified": false},
	} {
		tok := forged(fields)
		for _, url := range []string{"/api/me", "/api/schools/brook-lane/families?status=missing"} {
			if status, body := call(t, "GET", product(t)+url, tok, nil); status != 401 && status != 403 {
				t.Errorf("%s: GET %s answered %d %v", name, url, status, body)
			}
		}
	}
	if status, body := call(t, "GET", product(t)+"/api/me", token(t, head), nil); status != 200 || body["email"] != head {
		t.Errorf("the Senior DSL's own token: %d %v", status, body)
	}
}
