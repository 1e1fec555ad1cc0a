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
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
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
	for _, want := range []string{"Monitoring", "Priya Shah", "Open", "Check her shoes"} {
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

// Rule S3 on a phone, which has no Escape key: the Hide button hides the page at once. Shown
// again while the session is open, the page comes back as it was; once the session has ended
// on the server (here: its idle time passed), showing it leads to signing in instead.
func TestRule_S3_BrowserPages_HideOnAPhoneAndShowOnlyWhileTheSessionIsOpen(t *testing.T) {
	w := newWorld(t)
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	now := time.Now()
	if err := w.h.Sessions.StartSession(context.Background(), "a-session-of-the-hide-test", store.Session{Email: teacher, Subject: seed.Subject(teacher),
		Name: "Tom Hughes", Started: now, Idle: safeguarding.DefaultSessionIdle, Ends: now.Add(safeguarding.DefaultSessionLifetime)}); err != nil {
		t.Fatal(err)
	}
	b.setCookie(t, srv.URL, SessionCookie, "a-session-of-the-hide-test")
	form := srv.URL + "/schools/" + school + "/concerns/new"
	b.do(t, "opening the form", chromedp.Navigate(form), chromedp.WaitVisible(chromedp.ID("details")))
	b.checkAxe(t, "the form with its Hide button")
	b.do(t, "hiding the page", chromedp.Click(chromedp.ID("screen-hide")),
		chromedp.WaitNotVisible(chromedp.ID("details")), chromedp.WaitVisible(chromedp.ID("screen-show")))
	b.do(t, "showing it again", chromedp.Click(chromedp.ID("screen-show")), chromedp.WaitVisible(chromedp.ID("details")))

	// The session's idle time passes while the page is hidden.
	w.h.SessionClock = func() time.Time { return time.Now().Add(safeguarding.DefaultSessionIdle + time.Minute) }
	b.do(t, "hiding the page again", chromedp.Click(chromedp.ID("screen-hide")), chromedp.WaitVisible(chromedp.ID("screen-show")))
	b.do(t, "showing it after the session ended", chromedp.Click(chromedp.ID("screen-show")))
	// The browser leaves the form for the way to sign in (the identity provider's site, which
	// this test does not serve).
	left := false
	for deadline := time.Now().Add(10 * time.Second); !left && time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		left = err == nil && !strings.Contains(loc, "/schools/")
	}
	if !left {
		t.Errorf("the form stayed after the session ended; its text shown: %v",
			b.eval(t, `String(!document.body.classList.contains("app-screen-hidden"))`))
	}
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
		signIn: func(t *testing.T, b *browser) {
			b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(teacher)))
		}})
}

// devToken is an API token for email from the local identity provider.
func devToken(t *testing.T, base, email string) string {
	t.Helper()
	b, _ := json.Marshal(map[string]string{"email": email})
	resp, err := http.Post(base+"/dev/token", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		t.Fatalf("no token from /dev/token: %d %v", resp.StatusCode, err)
	}
	return out.Token
}

// apiGet reads a JSON resource of the API as email.
func apiGet(t *testing.T, base, email, path string, out any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, base+path, nil)
	req.Header.Set("Authorization", "Bearer "+devToken(t, base, email))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// tapOn taps the element id at fractions fx, fy of its box.
func tapOn(t *testing.T, b *browser, id string, fx, fy float64) {
	t.Helper()
	raw := b.eval(t, `(() => { const e = document.getElementById(`+jsString(id)+`); e.scrollIntoView({block: "center"});
		const r = e.getBoundingClientRect(); return JSON.stringify([r.left, r.top, r.width, r.height]); })()`)
	var box [4]float64
	if err := json.Unmarshal([]byte(raw), &box); err != nil {
		t.Fatalf("the box of %s: %v", id, err)
	}
	b.do(t, "tapping "+id, chromedp.MouseClickXY(box[0]+fx*box[2], box[1]+fy*box[3]))
}

// Rule C1 on a phone: two marks on the front of the body map and one on the back, each with a
// note; the concern page draws the three and the API holds their places as fractions 0 to 1.
func TestRule_C1_BrowserLocalStack_BodyMap(t *testing.T) {
	b := newBrowser(t)
	s := startLocalStack(t)
	teacher := seed.Email("Tom", "Hughes")
	school := "/schools/" + string(seed.BrookLane)
	signInAs(t, b, s.URL, teacher, school+"/concerns/new?pupil=bl-03")
	b.do(t, "opening the form", chromedp.WaitVisible(chromedp.ID("body-map-front")))
	if b.eval(t, `document.getElementById("body-map-nojs").hidden ? "hidden" : "shown"`) != "hidden" {
		t.Error("the body map still says it needs JavaScript")
	}
	b.do(t, "filling in the form",
		chromedp.Click(chromedp.ID("category-wellbeing")),
		chromedp.WaitVisible(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.Click(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.SendKeys(chromedp.ID("details"), "Bruising seen on both arms and the back when changing for PE."))
	tapOn(t, b, "body-map-front", 0.2, 0.3)
	tapOn(t, b, "body-map-front", 0.8, 0.35)
	tapOn(t, b, "body-map-back", 0.5, 0.4)
	b.do(t, "writing the notes", chromedp.WaitVisible(chromedp.ID("mark-note-2")),
		chromedp.SendKeys(chromedp.ID("mark-note-0"), "Bruise on the right forearm"),
		chromedp.SendKeys(chromedp.ID("mark-note-1"), "Bruise on the left upper arm"),
		chromedp.SendKeys(chromedp.ID("mark-note-2"), "Red mark between the shoulder blades"))
	if n := b.eval(t, `String(document.querySelectorAll("#body-map-outlines circle.app-mark").length)`); n != "3" {
		t.Errorf("the form draws %s marks, want 3", n)
	}
	b.checkAxe(t, "the form with a body map")
	b.do(t, "submitting the form", chromedp.Click(chromedp.ID("observed-when")),
		chromedp.Click(chromedp.ID("record-concern")), chromedp.WaitVisible(chromedp.ID("reference")))
	if n := b.eval(t, `String(document.querySelectorAll("#body-map circle.app-mark").length)`); n != "3" {
		t.Errorf("the concern page draws %s marks, want 3%s", n, b.where())
	}
	marks := b.text(t, "#body-marks")
	for _, want := range []string{"1. Front, the child's right arm: Bruise on the right forearm", "2. Front, the child's left arm: Bruise on the left upper arm", "3. Back, body, middle: Red mark between"} {
		if !strings.Contains(marks, want) {
			t.Errorf("the body map lacks %q:\n%s", want, marks)
		}
	}
	b.checkAxe(t, "the concern page with a body map")

	id := b.eval(t, `location.pathname.split("/").pop()`)
	var got struct {
		BodyMap []struct {
			Side string
			X, Y float64
			Note string
		} `json:"bodyMap"`
	}
	apiGet(t, s.URL, teacher, "/api"+school+"/concerns/"+id, &got)
	if len(got.BodyMap) != 3 {
		t.Fatalf("the API holds %d marks: %+v", len(got.BodyMap), got.BodyMap)
	}
	for i, m := range got.BodyMap {
		if m.X < 0 || m.X > 1 || m.Y < 0 || m.Y > 1 {
			t.Errorf("mark %d is at %v, %v: not fractions of the outline", i+1, m.X, m.Y)
		}
	}
	if got.BodyMap[0].Side != "front" || got.BodyMap[2].Side != "back" || got.BodyMap[0].X > 0.3 || got.BodyMap[1].X < 0.7 {
		t.Errorf("the marks are not where they were tapped: %+v", got.BodyMap)
	}
}

// Rule C5 on a phone: a teacher records a concern about the DSL Daniel Reyes; the page says
// the safeguarding governor and the Senior DSL are told. Daniel gets "Page not found" on it and
// does not see it in the pupil's chronology; the Senior DSL Helen Carter can open it.
func TestRule_C5_BrowserLocalStack_AConcernAboutADSL(t *testing.T) {
	b := newBrowser(t)
	s := startLocalStack(t)
	var (
		teacher = seed.Email("Tom", "Hughes")
		dsl     = seed.Email("Daniel", "Reyes")
		senior  = seed.Email("Helen", "Carter")
		school  = "/schools/" + string(seed.BrookLane)
	)
	signInAs(t, b, s.URL, teacher, school+"/concerns/new?pupil=bl-03")
	b.do(t, "opening the form", chromedp.WaitVisible(chromedp.ID("about-staff")))
	if b.eval(t, `getComputedStyle(document.getElementById("subject-staff-email")).display === "none" || document.getElementById("subject-staff-email").offsetParent === null ? "hidden" : "shown"`) != "hidden" {
		t.Error("the choice of the member of staff shows before the box is ticked")
	}
	b.do(t, "recording a concern about Daniel Reyes",
		chromedp.Click(chromedp.ID("category-wellbeing")),
		chromedp.WaitVisible(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.Click(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.SendKeys(chromedp.ID("details"), "Overheard shouting at the pupil in the corridor at 12:15 and grabbing her coat."),
		chromedp.Click(chromedp.ID("about-staff")),
		chromedp.WaitVisible(chromedp.ID("subject-staff-email")))
	b.checkAxe(t, "the form about a member of staff")
	b.do(t, "submitting", chromedp.SetValue(chromedp.ID("subject-staff-email"), dsl), chromedp.Click(chromedp.ID("observed-when")),
		chromedp.Click(chromedp.ID("record-concern")), chromedp.WaitVisible(chromedp.ID("reference")))
	ref := strings.TrimSpace(b.text(t, "#reference"))
	if told := b.text(t, "#told"); !strings.Contains(told, "safeguarding governor and the Senior DSL") {
		t.Errorf("the page says %q about who is told", told)
	}
	b.checkAxe(t, "the concern about a member of staff")
	concern := b.eval(t, `location.pathname`)

	signInAs(t, b, s.URL, dsl, concern)
	if h := b.text(t, "main h1"); h != "Page not found" {
		t.Errorf("the DSL it is about sees %q on the concern", h)
	}
	if strings.Contains(b.eval(t, `document.body.innerText`), ref) {
		t.Error("the not-found page shows the reference")
	}
	b.do(t, "opening the pupil's chronology as Daniel", chromedp.Navigate(s.URL+school+"/pupils/bl-03/chronology"),
		chromedp.WaitVisible(chromedp.CSS("main h1")))
	if strings.Contains(b.eval(t, `document.querySelector("main").innerText`), ref) {
		t.Errorf("Daniel sees %s in the pupil's chronology", ref)
	}

	signInAs(t, b, s.URL, senior, concern)
	if got := strings.TrimSpace(b.text(t, "#reference")); got != ref {
		t.Errorf("the Senior DSL sees %q, want the concern %s%s", got, ref, b.where())
	}
}
