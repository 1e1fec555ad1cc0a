package main

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Rule S5 in a browser, on a phone and a laptop: Daniel Reyes, a DSL of Brook Lane, records
// from a pupil's chronology that they moved (a school outside the federation without its DSL's
// email is refused in plain words at the field), chooses Hillcrest Juniors by name, and sends
// the file from the transfers page; Chloe Adams, a DSL of Hillcrest, confirms its receipt on
// hers. Every page is checked with axe.
func TestRule_S5_BrowserPages_ADSLRecordsAMoveSendsTheFileAndTheNewSchoolConfirmsIt(t *testing.T) {
	w := newWorld(t)
	w.h.Transfers = transfers.Transfers{Store: w.st, NewID: store.NewID, Random: rand.Reader, Calendar: calendar.EnglandAndWales()}
	srv, b := dslOnAPhone(t, w)

	b.do(t, "opening the chronology", chromedp.Navigate(srv.URL+"/schools/brook-lane/pupils/bl-01/chronology"), chromedp.WaitVisible(chromedp.ID("record-move")))
	tapTarget(t, b, "#record-move")
	b.do(t, "opening the form", chromedp.WaitVisible(chromedp.ID("move")))
	b.checkAxe(t, "the form that records a move")

	tapTarget(t, b, "#where-outside")
	b.do(t, "naming a school outside", chromedp.WaitVisible(chromedp.ID("to-school-name")), chromedp.SendKeys(chromedp.ID("to-school-name"), "St Anne's"))
	tapTarget(t, b, "#record-move-button")
	waitFor(t, b, "the problem", `!!document.getElementById("to-dsl-email-error")`)
	if got := b.text(t, "#to-dsl-email-error"); !strings.Contains(got, "email of the new school's designated safeguarding lead") {
		t.Errorf("the missing email: %q", got)
	}
	b.checkAxe(t, "the form with a problem")

	tapTarget(t, b, "#where-federation")
	b.do(t, "choosing Hillcrest", chromedp.WaitVisible(chromedp.ID("to-school")), chromedp.SetValue(chromedp.ID("to-school"), "hillcrest"))
	if got := b.text(t, "#to-school"); !strings.Contains(got, "Hillcrest Juniors") || strings.Contains(got, "Brook Lane") {
		t.Errorf("the schools offered: %q", got)
	}
	submitAndWait(t, b, "#record-move-button", "recording the move")
	if got := b.text(t, "#transfers"); !strings.Contains(got, "To Hillcrest Juniors") || !strings.Contains(got, "To send") || !strings.Contains(got, "Due by") {
		t.Errorf("the transfers after recording: %q", got)
	}
	b.checkAxe(t, "the transfers with one to send")
	submitAndWait(t, b, "#transfers button[id^=send-]", "sending the file")
	if got := b.text(t, "#transfers"); !strings.Contains(got, "Sent, not yet confirmed") {
		t.Errorf("the transfers after sending: %q", got)
	}

	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900))
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(seed.Email("Chloe", "Adams"))))
	b.do(t, "opening Hillcrest's transfers", chromedp.Navigate(srv.URL+"/schools/hillcrest/transfers"), chromedp.WaitVisible(chromedp.ID("transfers")))
	if got := b.text(t, "#transfers"); !strings.Contains(got, "From Brook Lane") {
		t.Errorf("Hillcrest's transfers: %q", got)
	}
	b.checkAxeAt(t, "the transfers to confirm on a laptop", "1280")
	submitAndWait(t, b, "#transfers button[id^=receipt-]", "confirming the receipt")
	if got := b.text(t, "#transfers"); !strings.Contains(got, "Received") {
		t.Errorf("after the receipt: %q", got)
	}
	b.checkAxeAt(t, "the transfers after the receipt", "1280")
}

// Rule S5 in a browser, outside the federation: Daniel Reyes records that a pupil moved to a
// school outside the federation, naming its DSL's email, and makes the link and the code from
// the transfers page on a phone. The page shows both once; the archive of his export is in
// the bucket (the local S3, which checks every request's signature as S3 does), and the code
// shown opens it through the link, once.
func TestRule_S5_BrowserPages_AFileForASchoolOutsideGoesByALinkAndACodeShownOnce(t *testing.T) {
	w := newWorld(t)
	x := transfers.Transfers{Store: w.st, NewID: store.NewID, Random: rand.Reader, Calendar: calendar.EnglandAndWales()}
	w.h.Transfers = x
	objects, _ := localBucket(t)
	w.h.Archives = objects
	srv, b := dslOnAPhone(t, w)

	b.do(t, "opening the form", chromedp.Navigate(srv.URL+"/schools/brook-lane/pupils/bl-01/move"), chromedp.WaitVisible(chromedp.ID("move")))
	tapTarget(t, b, "#where-outside")
	b.do(t, "naming the school and its DSL", chromedp.WaitVisible(chromedp.ID("to-school-name")),
		chromedp.SendKeys(chromedp.ID("to-school-name"), "St Anne's Academy"), chromedp.SendKeys(chromedp.ID("to-dsl-email"), "dsl@stannes.example"))
	submitAndWait(t, b, "#record-move-button", "recording the move")
	if got := b.text(t, "#transfers"); !strings.Contains(got, "To St Anne's Academy") || !strings.Contains(got, "Make the link and the code") {
		t.Fatalf("the transfers after recording: %q", got)
	}
	tapTarget(t, b, "#transfers button[id^=link-]")
	waitFor(t, b, "the link and the code", `!!document.getElementById("transfer-code")`)
	b.checkAxe(t, "the link and the code on a phone")
	link, code := b.text(t, "#transfer-link"), strings.ReplaceAll(b.text(t, "#transfer-code"), " ", "")
	if !strings.HasPrefix(link, srv.URL+"/transfer-links/") || len(code) != transfers.CodeDigits {
		t.Fatalf("the page shows the link %q and the code %q", link, code)
	}
	if got := b.text(t, "main"); !strings.Contains(got, "dsl@stannes.example") || !strings.Contains(got, "shown only on this page") {
		t.Errorf("the page: %q", got)
	}

	// Back on the transfers page: sent, with no button to make another link while this one works.
	submitAndWait(t, b, "#back-to-transfers", "going back to the transfers")
	if got := b.text(t, "#transfers"); !strings.Contains(got, "Sent, not yet confirmed") || strings.Contains(got, "link and") {
		t.Errorf("the transfers after sending: %q", got)
	}
	id, token, _ := strings.Cut(strings.TrimPrefix(link, srv.URL+"/transfer-links/"), "/")
	got, err := x.Download(context.Background(), id, token, code, time.Now(), "test")
	if err != nil {
		t.Fatalf("the code shown does not open the link: %v", err)
	}
	r, err := objects.Get(context.Background(), got.Link.ObjectKey, got.Link.ObjectVersion)
	if err != nil {
		t.Fatalf("the archive is not in the bucket: %v", err)
	}
	body, _ := io.ReadAll(r)
	_ = r.Close()
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the archive is not a zip: %v", err)
	}
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	if !slices.Contains(names, "export.json") || !slices.Contains(names, "chronology.pdf") {
		t.Errorf("the archive holds %v", names)
	}
	if _, err := x.Download(context.Background(), id, token, code, time.Now(), "test"); err == nil {
		t.Error("the link opened a second time")
	}
}

// dslOnAPhone serves w's pages and opens them in a browser at a phone's width, signed in as
// Daniel Reyes, a DSL of Brook Lane.
func dslOnAPhone(t *testing.T, w *world) (*httptest.Server, *browser) {
	t.Helper()
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	b.do(t, "a phone's width", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(dsl)))
	return srv, b
}
