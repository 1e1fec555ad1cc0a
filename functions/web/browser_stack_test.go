package main

import (
	"context"
	"io"
	"log/slog"
	"os"
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

func TestMain(m *testing.M) {
	code := m.Run()
	if localStack != nil {
		localStack.Close()
	}
	os.Exit(code)
}

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
