package main

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
)

// screenshotsEnv, set to 1, makes the browser tests save the screenshots the README shows
// into docs/screenshots; without it nothing is written.
const screenshotsEnv = "KEEPSAFE_SCREENSHOTS"

// screenshot saves the browser's screen as docs/screenshots/name.png when screenshotsEnv is 1.
func (b *browser) screenshot(t *testing.T, name string) {
	t.Helper()
	if os.Getenv(screenshotsEnv) != "1" {
		return
	}
	png, err := chromedp.Run(b.ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join(repoRoot(t), "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Rule P2: each role's home on a phone (360 px) and a laptop (1280 px),
// axe clean, nothing wider than the screen, in plain words: "Needs you now" with the counts
// of the records made in the test, each count a link that opens; the menu in a few headed
// groups that stays on one line of a laptop and opens from the Menu button on a phone.
func TestRule_P2_BrowserPages_EachRolesHomeOnAPhoneAndALaptop(t *testing.T) {
	w := newHomeWorld(t)
	srv := httptest.NewServer(httpHandler(w.h, func() time.Time { return monday1030 }))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	roles := []struct {
		who, name string
		// want is a line the home shows; shot names the screenshot taken at that width.
		want         string
		shot360      string
		shot1280     string
		shotMenu360  string
		menuOneLine  bool
		wantGroups   []string
		hiddenGroups []string
	}{
		{who: dsl, name: "the DSL", want: "3 concerns not yet read", shot1280: "home-dsl-1280", shotMenu360: "menu-dsl-360", menuOneLine: true,
			wantGroups: []string{"Your work", "Concerns", "Families and closure", "School"}},
		{who: head, name: "the Senior DSL", want: "1 home visit waiting for you to authorise it", menuOneLine: true,
			wantGroups: []string{"Your work", "Concerns", "Families and closure", "School"}},
		{who: teacher, name: "the teacher", want: "3 concerns you raised", shot360: "home-teacher-360", menuOneLine: true,
			wantGroups: []string{"Your work", "School"}, hiddenGroups: []string{"Concerns"}},
		{who: staff, name: "a member of staff", want: "1 piece of work for you", menuOneLine: true,
			wantGroups: []string{"Your work", "School"}, hiddenGroups: []string{"Concerns", "Families and closure"}},
		{who: apitest.Grace, name: "the office", want: "short of contact numbers", menuOneLine: true,
			wantGroups: []string{"Your work", "Families and closure", "School"}, hiddenGroups: []string{"Concerns"}},
		{who: apitest.Martin, name: "the governor", want: "1 concern routed to you", menuOneLine: true,
			wantGroups: []string{"Your work", "School"}, hiddenGroups: []string{"Concerns", "Families and closure"}},
	}
	for _, role := range roles {
		b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(role.who)))

		// A phone.
		b.do(t, role.name+"'s home on a phone", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch),
			chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("needs-"+school)))
		b.checkAxe(t, role.name+"'s home on a phone")
		needs := b.text(t, "#needs-"+school)
		if !strings.Contains(needs, "Needs you now") || !strings.Contains(needs, role.want) {
			t.Errorf("%s's needs on a phone: %s", role.name, needs)
		}
		noRuleIDs(t, role.name+"'s home", b.eval(t, `document.documentElement.outerHTML`))
		if role.shot360 != "" {
			b.screenshot(t, role.shot360)
		}
		// The menu opens from its button and each group from its heading.
		b.do(t, "opening the menu on a phone", chromedp.Click(chromedp.CSS(".govuk-service-navigation__toggle")),
			chromedp.WaitVisible(chromedp.ID("menu-school")), chromedp.Click(chromedp.CSS("#menu-school summary")),
			chromedp.WaitVisible(chromedp.CSS(`#menu-school a[href="/schools/brook-lane/key-contacts"]`)))
		b.checkAxe(t, role.name+"'s menu open on a phone")
		if role.shotMenu360 != "" {
			b.do(t, "opening every group", chromedp.Click(chromedp.CSS("#menu-mine summary")), chromedp.Click(chromedp.CSS("#menu-concerns summary")),
				chromedp.Click(chromedp.CSS("#menu-families summary")))
			b.screenshot(t, role.shotMenu360)
		}
		groups := b.eval(t, `[...document.querySelectorAll(".app-nav-group__summary")].map(s => s.textContent.trim()).join("|")`)
		for _, g := range role.wantGroups {
			if !strings.Contains("|"+groups+"|", "|"+g+"|") {
				t.Errorf("%s's menu lacks the group %q: %s", role.name, g, groups)
			}
		}
		for _, g := range role.hiddenGroups {
			if strings.Contains("|"+groups+"|", "|"+g+"|") {
				t.Errorf("%s's menu has the group %q: %s", role.name, g, groups)
			}
		}

		// A laptop.
		b.do(t, role.name+"'s home on a laptop", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/"),
			chromedp.WaitVisible(chromedp.ID("needs-"+school)))
		b.checkAxeAt(t, role.name+"'s home on a laptop", "1280")
		rows := b.eval(t, `String(new Set([...document.querySelectorAll("#navigation > li")].map(li => Math.round(li.getBoundingClientRect().top))).size)`)
		if role.menuOneLine && rows != "1" {
			t.Errorf("%s's menu takes %s lines on a laptop", role.name, rows)
		}
		if role.shot1280 != "" {
			b.screenshot(t, role.shot1280)
		}
		b.do(t, "opening the last group on a laptop", chromedp.Click(chromedp.CSS("#menu-school summary")),
			chromedp.WaitVisible(chromedp.CSS(`#menu-school a[href="/schools/brook-lane/key-contacts"]`)))
		b.checkAxeAt(t, role.name+"'s menu open on a laptop", "1280")

		// Every count's link opens its page.
		links := b.eval(t, `[...document.querySelectorAll("#needs-`+school+` a")].map(a => a.getAttribute("href")).join(" ")`)
		seen := map[string]bool{}
		for _, l := range strings.Fields(links) {
			if seen[l] {
				continue
			}
			seen[l] = true
			b.do(t, role.name+" following "+l, chromedp.Navigate(srv.URL+l), chromedp.WaitVisible(chromedp.ID("main-content")))
			if h1 := b.text(t, "h1"); strings.Contains(h1, "Page not found") || strings.Contains(h1, "problem") {
				t.Errorf("%s's link %s: %s", role.name, l, h1)
			}
		}
	}

	// The dashboard the DSL's counts lead to: a summary per concern on a phone, a table with
	// the reporter on a laptop, narrowed by the form.
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(head)))
	b.do(t, "the dashboard on a phone", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/schools/"+school+"/concerns"), chromedp.WaitVisible(chromedp.ID("dashboard-list")))
	b.checkAxe(t, "the dashboard on a phone")
	if b.eval(t, `getComputedStyle(document.getElementById("dashboard-table")).display`) != "none" {
		t.Error("the dashboard's table shows on a phone")
	}
	b.do(t, "narrowing the dashboard to a pupil", chromedp.SendKeys(chromedp.ID("filter-pupil"), "chidi"),
		chromedp.Click(chromedp.ID("filter-apply")), chromedp.WaitVisible(chromedp.CSS(`#dashboard-count[data-filtered="yes"]`)))
	if n := b.eval(t, `String(document.querySelectorAll("#dashboard-list > li").length)`); n != "1" {
		t.Errorf("narrowed to Chidi, the dashboard lists %s", n)
	}
	if list := b.text(t, "#dashboard-list"); !strings.Contains(list, "Tom Hughes") {
		t.Errorf("the summary does not name the reporter: %s", list)
	}
	b.checkAxe(t, "the narrowed dashboard on a phone")
	b.do(t, "the dashboard on a laptop", chromedp.EmulateViewport(1280, 900), chromedp.Navigate(srv.URL+"/schools/"+school+"/concerns"),
		chromedp.WaitVisible(chromedp.ID("dashboard-table")))
	b.checkAxeAt(t, "the dashboard on a laptop", "1280")
	if b.eval(t, `getComputedStyle(document.getElementById("dashboard-list")).display`) != "none" {
		t.Error("the dashboard's summaries show beside the table on a laptop")
	}

	// The teacher's concerns, and the concern form, on a phone.
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(teacher)))
	b.do(t, "the teacher's concerns on a phone", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/schools/"+school+"/my-concerns"), chromedp.WaitVisible(chromedp.ID("raised-concerns")))
	b.checkAxe(t, "the concerns the teacher raised")
	if list := b.text(t, "#raised-concerns"); !strings.Contains(list, "Waiting for a DSL to act on it") || !strings.Contains(list, "Safeguarding") {
		t.Errorf("the teacher's concerns: %s", list)
	}
	noRuleIDs(t, "the teacher's concerns", b.eval(t, `document.documentElement.outerHTML`))
	b.do(t, "the concerns the teacher raised on a laptop", chromedp.EmulateViewport(1280, 900), chromedp.Reload(),
		chromedp.WaitVisible(chromedp.ID("raised-concerns")))
	b.checkAxeAt(t, "the concerns the teacher raised on a laptop", "1280")
	b.do(t, "the concern form on a phone", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/schools/"+school+"/concerns/new"), chromedp.WaitVisible(chromedp.ID("details")))
	b.checkAxe(t, "the concern form")
	b.screenshot(t, "concern-form-360")
}

// Rules P1, E1: the lines of the homes about imports and classes, on a phone and a laptop,
// axe clean: the DSL follows "imports with errors" to the recent imports, the office its last
// import to its result and sees the import page's list, the teacher a class's count to its
// marking page; each page as wide as the screen.
func TestRule_P1_E1_BrowserPages_TheImportsAndTheClassCountsOnTheHomes(t *testing.T) {
	w := newHomeWorld(t)
	srv := httptest.NewServer(httpHandler(w.h, func() time.Time { return monday1030 }))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	imported(t, w.h, apitest.Grace, monday1030.AddDate(0, 0, -9), cleanExport("B1"), false)
	last := imported(t, w.h, apitest.Grace, monday1030.AddDate(0, 0, -2), mixedExport, false)
	b := newBrowser(t)
	both := func(what, sel string, check func()) {
		t.Helper()
		b.do(t, what+" on a phone", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch), chromedp.Reload(),
			chromedp.WaitVisible(chromedp.CSS(sel)))
		b.checkAxe(t, what+" on a phone")
		check()
		b.do(t, what+" on a laptop", chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(sel)))
		b.checkAxeAt(t, what+" on a laptop", "1280")
		check()
		noRuleIDs(t, what, b.eval(t, `document.documentElement.outerHTML`))
	}

	// The DSL: the count, then the list it links to.
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(dsl)))
	b.do(t, "the DSL's home", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("need-"+school+"-imports-errors")))
	both("the DSL's home", "#need-"+school+"-imports-errors", func() {
		if l := b.text(t, "#need-"+school+"-imports-errors"); !strings.Contains(l, "1 import with errors in the last 30 days") {
			t.Errorf("the DSL's line: %q", l)
		}
	})
	b.do(t, "following the imports with errors", chromedp.Click(chromedp.CSS("#need-"+school+"-imports-errors a")), chromedp.WaitVisible(chromedp.ID("import-list")))
	both("the recent imports", "#import-list", func() {
		list := b.text(t, "#import-list")
		if !strings.Contains(list, "Grace Bennett") || !strings.Contains(list, "1 row with errors left out") || !strings.Contains(list, "none with errors") ||
			strings.Index(list, "left out") > strings.Index(list, "none with errors") {
			t.Errorf("the recent imports, newest first: %q", list)
		}
	})

	// The office: the last import, followed to its result; the import page's list.
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(apitest.Grace)))
	result := "/schools/" + school + "/imports/" + last.ID
	b.do(t, "the office's home", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS(`#needs-`+school+` a[href="`+result+`"]`)))
	both("the office's home", `#needs-`+school+` a[href="`+result+`"]`, func() {
		if l := b.text(t, `#needs-`+school+` a[href="`+result+`"]`); !strings.Contains(l, "Last import, "+when(last.At)+": 2 rows imported, 1 row with errors left out") {
			t.Errorf("the office's last import: %q", l)
		}
	})
	b.do(t, "following the last import", chromedp.Click(chromedp.CSS(`#needs-`+school+` a[href="`+result+`"]`)), chromedp.WaitVisible(chromedp.ID("done-counts")))
	b.do(t, "the import page", chromedp.Navigate(srv.URL+"/schools/"+school+"/imports"), chromedp.WaitVisible(chromedp.ID("import-list")))
	both("the import page with its recent imports", "#import-list", func() {
		if n := b.eval(t, `String(document.querySelectorAll("#import-list a").length)`); n != "2" {
			t.Errorf("the import page links %s imports, want 2", n)
		}
	})

	// The teacher: a class's count, followed to its marking page.
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(teacher)))
	b.do(t, "the teacher's home", chromedp.Navigate(srv.URL+"/"), chromedp.WaitVisible(chromedp.ID("need-"+school+"-class-a")))
	both("the teacher's home", "#need-"+school+"-class-a", func() {
		if l := b.text(t, "#need-"+school+"-class-a"); !strings.Contains(l, "families in Acorns not heard from today") {
			t.Errorf("the teacher's class line: %q", l)
		}
	})
	b.do(t, "following the class's count", chromedp.Click(chromedp.CSS("#need-"+school+"-class-a a")), chromedp.WaitVisible(chromedp.ID("class-sheet")))
	if h1 := b.eval(t, `document.title + " / " + (document.querySelector("main h1") || {}).textContent`); !strings.Contains(h1, "Acorns") {
		t.Errorf("the class's count leads to %q", h1)
	}
}
