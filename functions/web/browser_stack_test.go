package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
)

// The browser tests against the local stack run the web function's real bootstrap behind the
// local gateway, with DynamoDB Local (in memory), the demo data and the local sign-in page.
var (
	localStack    *stack.Stack
	localStackErr error
	localOnce     sync.Once
)

func startLocalStack(t *testing.T) *stack.Stack {
	t.Helper()
	localOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		localStack, localStackErr = stack.Start(ctx, stack.Config{
			InMemory:         true,
			DisableScheduler: true,
			FunctionOutput:   io.Discard,
			Logger:           slog.New(slog.DiscardHandler),
		})
	})
	if localStackErr != nil {
		t.Fatalf("starting the local stack: %v", localStackErr)
	}
	return localStack
}

// stackSite is Tom Hughes, a teacher at Brook Lane, signing in through the local sign-in page.
func stackSite(t *testing.T, b *browser, pupilName, query string) site {
	t.Helper()
	s := startLocalStack(t)
	email := seed.Email("Tom", "Hughes")
	return site{base: s.URL, school: string(seed.BrookLane), pupilName: pupilName, pupilQuery: query,
		signIn: func(t *testing.T, b *browser) {
			// The home page sends a signed-out browser to /sign-in, and that to the local
			// sign-in page, which sets the session cookie and comes back.
			b.do(t, "signing in", chromedp.Navigate(s.URL+"/"),
				chromedp.WaitReady(chromedp.CSS(`input[name="email"][value="`+email+`"]`)),
				chromedp.Click(chromedp.CSS(`form:has(input[name="email"][value="`+email+`"]) button`)),
				chromedp.WaitVisible(chromedp.CSS(`.govuk-generic-header__homepage-link`)))
			if h := b.text(t, "main h1"); !strings.Contains(h, "Your schools") {
				t.Fatalf("after signing in the page says %q%s", h, b.where())
			}
		}}
}

func TestBrowserLocalStack_RecordAConcernOnAPhone(t *testing.T) {
	b := newBrowser(t)
	s := stackSite(t, b, "Chidi Okafor", "chidi")
	before := len(localStack.Alerts())
	recordConcernFlow(t, b, s)

	// Rule C4: a high-priority concern reaches the DSLs by SMS; the message names nobody (S2).
	deadline := time.Now().Add(20 * time.Second)
	for {
		var sms bool
		for _, a := range localStack.Alerts()[before:] {
			if a.Attributes["channel"] == "sms" && a.Attributes["priority"] == "high" {
				sms = true
				if strings.Contains(a.Message, "Chidi") || strings.Contains(a.Message, "coat") {
					t.Errorf("an alert holds personal data: %q", a.Message)
				}
			}
		}
		if sms {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("no high-priority SMS alert after recording a high-priority concern: %+v", localStack.Alerts()[before:])
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestBrowserLocalStack_MissingFieldsAreNamedAndNothingIsWritten(t *testing.T) {
	b := newBrowser(t)
	missingFieldsFlow(t, b, stackSite(t, b, "Zofia Kowalski", "zofia"))
}

func TestRule_S3_BrowserLocalStack_EscapeHidesThePage(t *testing.T) {
	b := newBrowser(t)
	hideFlow(t, b, stackSite(t, b, "", ""))
}

func TestBrowserLocalStack_NotFoundAndSignOut(t *testing.T) {
	b := newBrowser(t)
	notFoundAndSignOutFlow(t, b, stackSite(t, b, "", ""))
}

// signInAs signs the browser in as email through the local sign-in page, which then opens next.
func signInAs(t *testing.T, b *browser, base, email, next string) {
	t.Helper()
	b.do(t, "signing in as "+email, chromedp.Navigate(base+"/dev/sign-in?"+url.Values{"next": {next}}.Encode()),
		chromedp.WaitReady(chromedp.CSS(`input[name="email"][value="`+email+`"]`)),
		chromedp.Click(chromedp.CSS(`form:has(input[name="email"][value="`+email+`"]) button`)),
		chromedp.WaitVisible(chromedp.CSS(`.govuk-generic-header__homepage-link`)))
}

// apiConcern records a concern through the API as the teacher, with a token from the local
// identity provider; it returns the concern's id.
func apiConcern(t *testing.T, base, email string) string {
	t.Helper()
	post := func(path, token string, body any) map[string]any {
		b, _ := json.Marshal(body)
		req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", rand.Text())
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode >= 300 {
			t.Fatalf("POST %s: %d %v %v", path, resp.StatusCode, out, err)
		}
		return out
	}
	token, _ := post("/dev/token", "", map[string]string{"email": email})["token"].(string)
	out := post("/api/schools/"+string(seed.BrookLane)+"/concerns", token, map[string]any{
		"pupilIds": []string{"bl-03"}, "category": "wellbeing", "subcategories": []string{"clothing-or-footwear"},
		"observedAt": time.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339),
		"details":    "Arrived without shoes that fit and said her feet hurt.",
	})
	id, _ := out["id"].(string)
	if id == "" {
		t.Fatalf("the API gave no concern id: %v", out)
	}
	return id
}

// Rules D3, D6, D9 on a phone: the DSL adds a monitoring action for Priya Shah; Priya sees it
// on My work and completes it with an outcome; the DSL sees it completed, closes the case with
// a reason, and the review no longer lists it among the open cases.
func TestBrowserLocalStack_CaseWorkFromActionToClosedCase(t *testing.T) {
	b := newBrowser(t)
	s := startLocalStack(t)
	var (
		dsl     = seed.Email("Daniel", "Reyes")
		staff   = seed.Email("Priya", "Shah")
		school  = "/schools/" + string(seed.BrookLane)
		concern = school + "/concerns/" + apiConcern(t, s.URL, seed.Email("Tom", "Hughes"))
	)

	signInAs(t, b, s.URL, dsl, concern)
	b.do(t, "opening the case work", chromedp.WaitVisible(chromedp.ID("case-work")))
	b.checkAxe(t, "the DSL's concern page")
	b.do(t, "adding a monitoring action for Priya Shah",
		chromedp.Click(chromedp.ID("action-type-monitoring")),
		chromedp.SetValue(chromedp.ID("assignee"), staff),
		chromedp.SendKeys(chromedp.ID("action-notes"), "Check her shoes at the start of each day."),
		chromedp.Click(chromedp.ID("add-action-button")),
		chromedp.WaitVisible(chromedp.ID("done")))
	actions := b.text(t, "#actions")
	for _, want := range []string{"Monitoring", staff, "Open", "Check her shoes"} {
		if !strings.Contains(actions, want) {
			t.Errorf("the actions lack %q:\n%s", want, actions)
		}
	}
	b.checkAxe(t, "the concern page with an action")

	signInAs(t, b, s.URL, staff, school+"/work")
	b.do(t, "opening My work", chromedp.WaitVisible(chromedp.ID("work")))
	b.checkAxe(t, "My work")
	id := strings.TrimPrefix(b.eval(t, `(() => { const li = document.querySelector("#work li.app-action"); return li ? li.id : ""; })()`), "action-")
	if id == "" {
		t.Fatalf("My work lists no action%s", b.where())
	}
	if strings.Contains(b.eval(t, `document.querySelector("main").innerHTML`), `href="`+concern+`"`) {
		t.Error("My work links the assignee to a concern they may not see (P2)")
	}
	b.do(t, "completing the action",
		chromedp.Click(chromedp.CSS(`#action-`+id+` details:has(form[action$="/complete"]) summary`)),
		chromedp.WaitVisible(chromedp.ID("outcome-"+id)),
		chromedp.SendKeys(chromedp.ID("outcome-"+id), "Shoes checked on Monday morning: they fit."),
		chromedp.Click(chromedp.ID("complete-"+id)),
		chromedp.WaitVisible(chromedp.ID("done")))
	if got := b.text(t, "#work"); !strings.Contains(got, "no open actions") {
		t.Errorf("after completing, My work says %q", got)
	}
	b.checkAxe(t, "My work after completing")

	signInAs(t, b, s.URL, dsl, concern)
	b.do(t, "opening the case work", chromedp.WaitVisible(chromedp.ID("case-work")))
	if got := b.text(t, "#action-"+id); !strings.Contains(got, "Completed") || !strings.Contains(got, "they fit") {
		t.Errorf("the DSL sees the action as %q", got)
	}
	b.do(t, "closing the case",
		chromedp.Click(chromedp.ID("change")),
		chromedp.SendKeys(chromedp.ID("case-reason"), "Shoes replaced by the family; no further concern."),
		chromedp.Click(chromedp.ID("change-case-button")),
		chromedp.WaitVisible(chromedp.ID("done")))
	if got := b.text(t, "#case-status"); !strings.Contains(got, "Closed") {
		t.Errorf("the case status is %q after closing", got)
	}
	if got := b.text(t, "#case-history"); !strings.Contains(got, "no further concern") {
		t.Errorf("the case history lacks the reason: %q", got)
	}
	b.checkAxe(t, "the closed case")

	b.do(t, "opening the review", chromedp.Navigate(s.URL+school+"/review"), chromedp.WaitVisible(chromedp.ID("open-cases")))
	if strings.Contains(b.eval(t, `document.querySelector("main").innerHTML`), `href="`+concern+`"`) {
		t.Error("the review still lists the closed case among the open ones")
	}
	b.checkAxe(t, "the review")
}

// Rule S3's other half: a page left alone hides by itself. The pages are served by the
// handler on DynamoDB Local with a short idle time, which the deployed function does not set.
func TestRule_S3_BrowserPages_APageLeftAloneHides(t *testing.T) {
	w := newWorld(t)
	w.h.IdleTimeout = 2 * time.Second
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	idleFlow(t, b, site{base: srv.URL, school: school,
		signIn: func(t *testing.T, b *browser) { b.setCookie(t, srv.URL, SessionCookie, tokenFor(teacher)) }})
}
