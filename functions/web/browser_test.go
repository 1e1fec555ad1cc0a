package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's chromium at a phone's width (360 px) through the pages,
// and run axe-core on every page they visit. They need chromium and `npm ci` (for axe-core):
// without them a test is skipped on a laptop and fails in CI (env CI set).

const chromiumPath = "/usr/bin/chromium"

// needOrSkip fails in CI and skips elsewhere, for a tool the browser tests need.
func needOrSkip(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("browser tests: "+format+" (CI is set, so this is a failure)", args...)
	}
	t.Skipf("browser tests: "+format+"; skipped (set CI to make this a failure)", args...)
}

// repoRoot is the folder of go.mod, where node_modules lives.
func repoRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's folder")
		}
		dir = parent
	}
}

// browser is one headless chromium with a fresh profile, and axe-core's source.
type browser struct {
	ctx context.Context
	axe string
}

// shared is the chromium most tests share: started by the first test that needs it and
// stopped by TestMain. Each test has a browser context of its own in it (like a private
// window: its own cookies, storage and cache), which saves starting a chromium per test.
var shared struct {
	once   sync.Once
	ctx    context.Context
	err    error
	cancel func()
}

// stopSharedBrowser stops the shared chromium, if a test started it.
func stopSharedBrowser() {
	if shared.cancel != nil {
		shared.cancel()
	}
}

// chromiumOptions are the command line of a test's chromium, extra last.
func chromiumOptions(path, profile string, extra ...chromedp.ExecAllocatorOption) []chromedp.ExecAllocatorOption {
	return append([]chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(360, 800),
	}, extra...)
}

// newBrowser gives the test a browser context of its own in the shared chromium; extra
// (command-line options, such as a feature turned off) starts a chromium for the test alone.
func newBrowser(t *testing.T, extra ...chromedp.ExecAllocatorOption) *browser {
	t.Helper()
	path, err := exec.LookPath(chromiumPath)
	if err != nil {
		if path, err = exec.LookPath("chromium"); err != nil {
			needOrSkip(t, "chromium is not installed (apt-get install chromium): %v", err)
		}
	}
	axe, err := os.ReadFile(filepath.Join(repoRoot(t), "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		needOrSkip(t, "axe-core is not installed (run npm ci at the repository root): %v", err)
	}
	var ctx context.Context
	var cancelCtx context.CancelFunc
	if len(extra) > 0 {
		actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromiumOptions(path, t.TempDir(), extra...)...)
		t.Cleanup(cancelAlloc)
		ctx, cancelCtx = chromedp.NewContext(actx)
	} else {
		shared.once.Do(func() {
			profile, err := os.MkdirTemp("", "keepsafe-chromium-")
			if err != nil {
				shared.err = err
				return
			}
			actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromiumOptions(path, profile)...)
			bctx, cancelBrowser := chromedp.NewContext(actx)
			shared.ctx, shared.cancel = bctx, func() {
				cancelBrowser()
				cancelAlloc()
				_ = os.RemoveAll(profile)
			}
			// The first run starts chromium, with no deadline.
			shared.err = chromedp.Do(bctx)
		})
		if shared.err != nil {
			t.Fatalf("starting chromium: %v", shared.err)
		}
		ctx, cancelCtx = chromedp.NewContext(shared.ctx, chromedp.WithNewBrowserContext())
	}
	t.Cleanup(cancelCtx)
	// Open the test's tab with no deadline, then bound the whole test.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	tctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancel)
	return &browser{ctx: tctx, axe: string(axe)}
}

func (b *browser) do(t *testing.T, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		t.Fatalf("%s: %v%s", what, err, b.where())
	}
}

func (b *browser) text(t *testing.T, sel string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		t.Fatalf("reading %s: %v%s", sel, err, b.where())
	}
	return s
}

func (b *browser) eval(t *testing.T, js string) string {
	t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](js))
	if err != nil {
		t.Fatalf("evaluating %s: %v%s", js, err, b.where())
	}
	return s
}

// where says which page the browser is on, for a failure message.
func (b *browser) where() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	body, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText.slice(0, 1500) : ""`))
	return fmt.Sprintf("\n(at %s)\n%s", loc, body)
}

// setCookie puts the session cookie into the browser for base's site.
func (b *browser) setCookie(t *testing.T, base, name, value string) {
	t.Helper()
	b.do(t, "setting the session cookie", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, network.SetCookie, network.SetCookieParams{
			Name: name, Value: value, URL: base + "/", HTTPOnly: new(true), Secure: new(true), SameSite: network.CookieSameSiteLax,
		})
		return err
	}))
}

type axeResult struct {
	Violations []struct {
		ID     string `json:"id"`
		Impact string `json:"impact"`
		Help   string `json:"help"`
		Nodes  []struct {
			Target []any `json:"target"`
		} `json:"nodes"`
	} `json:"violations"`
}

// checkAxe runs axe-core on the page and fails on any serious or critical violation. It also
// checks that the page fits the phone's width, with nothing to scroll sideways.
func (b *browser) checkAxe(t *testing.T, page string) {
	t.Helper()
	b.checkAxeAt(t, page, "360")
}

// checkAxeAt is checkAxe on a screen width px wide (a laptop's, after EmulateViewport).
func (b *browser) checkAxeAt(t *testing.T, page, width string) {
	t.Helper()
	if w := b.eval(t, `String(document.documentElement.scrollWidth)`); w != width {
		t.Errorf("%s is %s px wide on a %s px screen", page, w, width)
	}
	b.eval(t, `(() => { if (!window.axe) { (0, eval)(`+jsString(b.axe)+`); } return "ok"; })()`)
	raw, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](
		`axe.run(document, {resultTypes: ["violations"]}).then(r => JSON.stringify(r))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("axe on %s: %v", page, err)
	}
	var res axeResult
	if err := json.Unmarshal([]byte(raw), &res); err != nil {
		t.Fatalf("axe result on %s: %v", page, err)
	}
	for _, v := range res.Violations {
		if v.Impact == "serious" || v.Impact == "critical" {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, fmt.Sprint(n.Target...))
			}
			t.Errorf("axe on %s: %s (%s): %s at %s", page, v.ID, v.Impact, v.Help, strings.Join(where, ", "))
		}
	}
}

func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// site is a running Keepsafe to drive: its address, a member of staff who can sign in, and a
// pupil of their school to record a concern about.
type site struct {
	base      string
	school    string
	pupilName string
	// pupilQuery finds the pupil by name in the form's search.
	pupilQuery string
	// signIn leaves the browser signed in as the member of staff.
	signIn func(t *testing.T, b *browser)
}

// rowsInChronology opens a pupil's chronology and counts its entries.
func rowsInChronology(t *testing.T, b *browser, s site, pupilID string) int {
	t.Helper()
	b.do(t, "opening the chronology", chromedp.Navigate(s.base+"/schools/"+s.school+"/pupils/"+pupilID+"/chronology"),
		chromedp.WaitVisible(chromedp.ID("chronology")))
	b.checkAxe(t, "the chronology")
	n := b.eval(t, `String(document.querySelectorAll("#chronology > li").length)`)
	var rows int
	fmt.Sscan(n, &rows)
	return rows
}

// recordConcernFlow is a member of staff recording a concern on a phone: the home page, the
// form, a pupil found by name, a category and sub-category, high priority, what happened and
// the pupil's words; then the concern page and the pupil's chronology (rules C1, C2, C3, C7, D10).
func recordConcernFlow(t *testing.T, b *browser, s site) {
	s.signIn(t, b)
	b.do(t, "opening the home page", chromedp.Navigate(s.base+"/"),
		chromedp.WaitVisible(chromedp.CSS(`main a[href="/schools/`+s.school+`/concerns/new"]`)))
	b.checkAxe(t, "the home page")

	b.do(t, "opening the form", chromedp.Click(chromedp.CSS(`main a[href="/schools/`+s.school+`/concerns/new"]`)),
		chromedp.WaitVisible(chromedp.ID("details")))
	b.checkAxe(t, "the concern form")

	b.eval(t, `window.sameFormPage = "yes"`)
	b.do(t, "searching for the pupil", chromedp.SendKeys(chromedp.ID("q"), s.pupilQuery),
		chromedp.Click(chromedp.ID("search-pupils")), chromedp.WaitVisible(chromedp.ID("pupil-results")))
	b.checkAxe(t, "the form with search results")
	// The results come in place, under the search box, without loading the page again: they
	// are in sight on a phone.
	if got := b.eval(t, `String(window.sameFormPage === "yes" && document.getElementById("pupil-results").getBoundingClientRect().top < window.innerHeight)`); got != "true" {
		t.Errorf("after searching, the page was loaded again or the results are out of sight (scrolled %s)", b.eval(t, `String(window.scrollY)`))
	}
	pupilID := b.eval(t, `(() => {
		for (const l of document.querySelectorAll("#pupil-results label")) {
			if (l.textContent.trim() === `+jsString(s.pupilName)+`) return document.getElementById(l.htmlFor).value;
		}
		return "";
	})()`)
	if pupilID == "" {
		t.Fatalf("the search for %q did not list %q%s", s.pupilQuery, s.pupilName, b.where())
	}
	b.do(t, "filling in the form",
		chromedp.Click(chromedp.ID("pupil-"+pupilID)),
		chromedp.Click(chromedp.ID("category-wellbeing")),
		chromedp.WaitVisible(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.Click(chromedp.ID("sub-wellbeing-clothing-or-footwear")),
		chromedp.Click(chromedp.ID("high-priority")),
		chromedp.Click(chromedp.ID("observed-when")),
		chromedp.SendKeys(chromedp.ID("details"), "Came to school without a coat in heavy rain and was shivering at 8:50."),
		chromedp.SendKeys(chromedp.ID("pupil-words"), `"My coat is at my dad's house."`),
		chromedp.SendKeys(chromedp.ID("people-involved"), "Jane Example"),
	)
	b.do(t, "submitting the form", chromedp.Click(chromedp.ID("record-concern")), chromedp.WaitVisible(chromedp.ID("reference")))
	ref := strings.TrimSpace(b.text(t, "#reference"))
	if !strings.HasPrefix(ref, "C-") {
		t.Errorf("the concern page shows reference %q", ref)
	}
	page := b.eval(t, `document.querySelector("main").innerText`)
	for _, want := range []string{"Concern recorded", s.pupilName, "Wellbeing", "Clothing or footwear", "High priority",
		"without a coat", "My coat is at my dad's house.", "Jane Example"} {
		if !strings.Contains(page, want) {
			t.Errorf("the concern page lacks %q:\n%s", want, page)
		}
	}
	b.checkAxe(t, "the concern page")

	chron := `a[href="/schools/` + s.school + `/pupils/` + pupilID + `/chronology"]`
	b.do(t, "opening the pupil's chronology", chromedp.Click(chromedp.CSS(chron)), chromedp.WaitVisible(chromedp.ID("chronology")))
	table := b.text(t, "#chronology")
	if !strings.Contains(table, ref) || !strings.Contains(table, "without a coat") {
		t.Errorf("the chronology lacks the concern %s:\n%s", ref, table)
	}
	b.checkAxe(t, "the chronology")
}

// missingFieldsFlow sends the form with the category and what happened left out: the page
// comes back with an error summary naming them, keeps what was typed, and nothing is written.
func missingFieldsFlow(t *testing.T, b *browser, s site) {
	s.signIn(t, b)
	b.do(t, "searching for the pupil", chromedp.Navigate(s.base+"/schools/"+s.school+"/concerns/new"),
		chromedp.WaitVisible(chromedp.ID("q")), chromedp.SendKeys(chromedp.ID("q"), s.pupilQuery),
		chromedp.Click(chromedp.ID("search-pupils")), chromedp.WaitVisible(chromedp.ID("pupil-results")))
	pupilID := b.eval(t, `(() => { const i = document.querySelector("#pupil-results input"); return i ? i.value : ""; })()`)
	if pupilID == "" {
		t.Fatalf("the search for %q found nobody%s", s.pupilQuery, b.where())
	}
	before := rowsInChronology(t, b, s, pupilID)

	b.do(t, "sending the form without a category or what happened",
		chromedp.Navigate(s.base+"/schools/"+s.school+"/concerns/new?pupil="+pupilID),
		chromedp.WaitVisible(chromedp.ID("pupil-"+pupilID)),
		chromedp.SendKeys(chromedp.ID("pupil-words"), "I don't want to say."),
		chromedp.Click(chromedp.ID("record-concern")),
		chromedp.WaitVisible(chromedp.CSS(".govuk-error-summary")))
	summary := b.text(t, ".govuk-error-summary")
	for _, want := range []string{"There is a problem", "Choose the category that fits best", "Write what happened"} {
		if !strings.Contains(summary, want) {
			t.Errorf("the error summary lacks %q:\n%s", want, summary)
		}
	}
	if got := b.eval(t, `document.activeElement && document.activeElement.closest(".govuk-error-summary") ? "yes" : "no"`); got != "yes" {
		t.Error("the error summary does not take the focus")
	}
	if got := b.text(t, "#details-error"); !strings.Contains(got, "Write what happened") {
		t.Errorf("the details field says %q", got)
	}
	if v, _ := chromedp.Run(b.ctx, chromedp.Value(chromedp.ID("pupil-words"))); v != "I don't want to say." {
		t.Errorf("the pupil's words were not kept: %q", v)
	}
	if title := b.eval(t, `document.title`); !strings.HasPrefix(title, "Error:") {
		t.Errorf("title %q does not start with Error:", title)
	}
	b.checkAxe(t, "the form with errors")

	b.do(t, "following the summary's link", chromedp.Click(chromedp.CSS(`.govuk-error-summary a[href="#details"]`)))
	if got := b.eval(t, `document.activeElement ? document.activeElement.id : ""`); got != "details" {
		t.Errorf("the summary's link focused %q, want the details field", got)
	}

	if after := rowsInChronology(t, b, s, pupilID); after != before {
		t.Errorf("the chronology went from %d to %d entries: an invalid form was written", before, after)
	}
}

// hideFlow checks rule S3: Escape hides the page at once, and the page can be shown again.
func hideFlow(t *testing.T, b *browser, s site) {
	s.signIn(t, b)
	b.do(t, "opening the form", chromedp.Navigate(s.base+"/schools/"+s.school+"/concerns/new"),
		chromedp.WaitVisible(chromedp.ID("details")))
	b.do(t, "pressing Escape", chromedp.KeyEvent("\u001b"), chromedp.WaitNotVisible(chromedp.ID("details")),
		chromedp.WaitVisible(chromedp.ID("screen-show")))
	if title := b.eval(t, `document.title`); strings.Contains(title, "concern") {
		t.Errorf("the hidden page's title still says %q", title)
	}
	b.checkAxe(t, "the hidden page")
	b.do(t, "showing the page again", chromedp.Click(chromedp.ID("screen-show")), chromedp.WaitVisible(chromedp.ID("details")))
}

// idleFlow checks rule S3's other half: a page left alone hides by itself.
func idleFlow(t *testing.T, b *browser, s site) {
	s.signIn(t, b)
	b.do(t, "opening the form and leaving it", chromedp.Navigate(s.base+"/schools/"+s.school+"/concerns/new"),
		chromedp.WaitVisible(chromedp.ID("details")), chromedp.WaitNotVisible(chromedp.ID("details")),
		chromedp.WaitVisible(chromedp.ID("screen-show")))
}

// notFoundAndSignOutFlow visits a concern that does not exist, then signs out: the session
// cookie is gone and the pages ask for sign-in again.
func notFoundAndSignOutFlow(t *testing.T, b *browser, s site) {
	s.signIn(t, b)
	b.do(t, "opening a concern that does not exist", chromedp.Navigate(s.base+"/schools/"+s.school+"/concerns/NO-SUCH-CONCERN"),
		chromedp.WaitVisible(chromedp.CSS(`main h1`)))
	if h := b.text(t, "main h1"); h != "Page not found" {
		t.Errorf("a missing concern shows %q", h)
	}
	b.checkAxe(t, "the not-found page")
	b.do(t, "signing out", chromedp.Click(chromedp.CSS(`form[action="/sign-out"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/sign-in"]`)))
	if h := b.text(t, "main h1"); h != "You have signed out" {
		t.Errorf("after signing out the page says %q", h)
	}
	b.checkAxe(t, "the signed-out page")
	b.do(t, "opening the form again", chromedp.Navigate(s.base+"/schools/"+s.school+"/concerns/new"))
	if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); !strings.Contains(loc, "/dev/sign-in") {
		t.Errorf("after signing out the form opened at %s, not the sign-in page", loc)
	}
}
