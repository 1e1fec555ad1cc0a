package main

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Rules P2, C4: the concerns a teacher was asked to know about, in headless Chromium at 360 px
// and 1280 px (axe clean, nothing wider than a phone, no rule or internal ids): beneath their
// own concerns the newest 50 of the 55 they were tagged in, and a link on to the page of the
// rest, which goes back a page.
func TestRule_P2_C4_BrowserPages_TheConcernsATeacherWasTaggedIn(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	for i := range 55 {
		when := monday1030.Add(-time.Duration(i) * 2 * time.Hour)
		_, err := w.h.Concerns.Record(ctx, safeguarding.Caller{Email: staff, At: when}, safeguarding.SchoolID(school),
			concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"bl-01"}, Category: "wellbeing", ObservedAt: when.Add(-time.Hour),
				Details: fmt.Sprintf("Chidi seemed tired, day %d.", i), TagStaff: []string{teacher}}, safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
	}
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(teacher)))
	b.do(t, "the teacher's concerns on a phone", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch),
		chromedp.Navigate(srv.URL+"/schools/"+school+"/my-concerns"), chromedp.WaitVisible(chromedp.ID("raised-tagged")))
	b.checkAxe(t, "the concerns the teacher raised, with those they were tagged in")
	if n := b.eval(t, `String(document.querySelectorAll("#raised-tagged > li").length)`); n != "50" {
		t.Errorf("beneath their own, %s tagged, want 50", n)
	}
	if wide := b.eval(t, `String(document.documentElement.scrollWidth > 360)`); wide != "false" {
		t.Error("the page is wider than a phone")
	}
	noRuleIDs(t, "the teacher's concerns", b.eval(t, `document.documentElement.outerHTML`))
	b.do(t, "following the link to the rest", chromedp.Click(chromedp.ID("raised-tagged-more")), chromedp.WaitVisible(chromedp.ID("page-prev")))
	if n := b.eval(t, `String(document.querySelectorAll("#raised-tagged > li").length)`); n != "5" {
		t.Errorf("the second page lists %s, want 5", n)
	}
	if h1 := b.eval(t, `document.querySelector("#main-content h1").textContent.trim()`); h1 != "Concerns you were asked to know about" {
		t.Errorf("the second page's heading: %q", h1)
	}
	b.checkAxe(t, "the second page of the concerns the teacher was tagged in")
	noRuleIDs(t, "the second page", b.eval(t, `document.documentElement.outerHTML`))
	b.do(t, "back a page", chromedp.Click(chromedp.ID("page-prev")), chromedp.WaitVisible(chromedp.ID("page-next")))
	if n := b.eval(t, `String(document.querySelectorAll("#raised-tagged > li").length)`); n != "50" {
		t.Errorf("the first page of the tagged list lists %s, want 50", n)
	}
	b.do(t, "the tagged list on a laptop", chromedp.EmulateViewport(1280, 900), chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("raised-tagged")))
	b.checkAxeAt(t, "the concerns the teacher was tagged in on a laptop", "1280")
	if list := b.text(t, "#raised-tagged"); !strings.Contains(list, "Chidi") || !strings.Contains(list, "Waiting for a DSL to act on it") {
		t.Errorf("the tagged list: %s", list)
	}
}
