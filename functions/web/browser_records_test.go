package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
)

// The browser tests of a concern's life after it is recorded: the reporter's status (D7),
// corrections (P4), attachments (C6) and the school's categories (C2), on a phone through the
// local stack.

// waitAlert waits for an alert the local SNS received after the first `after`, of kind to
// recipient.
func waitAlert(t *testing.T, s *stack.Stack, after int, kind, recipient string) stack.Alert {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second) // the stream, the alerts function, SNS: slower on a busy machine
	for {
		for _, a := range s.Alerts()[after:] {
			if a.Attributes["kind"] == kind && a.Attributes["recipient"] == recipient {
				return a
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s alert to %s after a minute: %+v (dead letters: %+v)", kind, recipient, s.Alerts()[after:], s.DeadLetters())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Rule D7 on a phone: the teacher sees their concern not yet opened; the DSL opens it; the
// teacher sees it opened, never the case work, and asks for an update, which emails the DSL.
func TestRule_D7_BrowserLocalStack_ReporterStatusAndAskForAnUpdate(t *testing.T) {
	s := startLocalStack(t) // first: the browser's time budget starts with it
	b := newBrowser(t)
	var (
		teacher = seed.Email("Tom", "Hughes")
		dsl     = seed.Email("Daniel", "Reyes")
		concern = "/schools/" + string(seed.BrookLane) + "/concerns/" + apiConcern(t, s.URL, teacher)
	)
	signInAs(t, b, s.URL, teacher, concern)
	b.do(t, "opening the concern", chromedp.WaitVisible(chromedp.ID("progress")))
	if got := b.text(t, "#progress-opened"); !strings.Contains(got, "Not yet") {
		t.Errorf("before the DSL opened it, the reporter sees %q", got)
	}
	b.checkAxe(t, "the reporter's concern page")

	signInAs(t, b, s.URL, dsl, concern)
	b.do(t, "the DSL opening it", chromedp.WaitVisible(chromedp.ID("case-work")))

	signInAs(t, b, s.URL, teacher, concern)
	b.do(t, "opening the concern again", chromedp.WaitVisible(chromedp.ID("progress")))
	if got := b.text(t, "#progress-opened"); !strings.Contains(got, "Yes") {
		t.Errorf("after the DSL opened it, the reporter sees %q", got)
	}
	if b.eval(t, `document.getElementById("case-work") ? "yes" : "no"`) != "no" {
		t.Error("the reporter sees the case work")
	}
	before := len(s.Alerts())
	b.do(t, "asking for an update", chromedp.Click(chromedp.ID("ask-update")))
	waitDone(t, b, "asked for an update")
	if got := b.text(t, "#done"); !strings.Contains(got, "asked for an update") {
		t.Errorf("after asking, the page says %q", got)
	}
	b.checkAxe(t, "the reporter's page after asking for an update")
	a := waitAlert(t, s, before, "update-requested", dsl)
	if strings.Contains(a.Message, "shoes") || strings.Contains(a.Message, "Kowalski") {
		t.Errorf("the alert holds personal data: %q", a.Message)
	}
}

// apiPost sends a JSON command to the API as email, with an idempotency key, and decodes the
// answer into out when it is not nil; it returns the status.
func apiPost(t *testing.T, base, email, path string, body, out any) int {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", rand.Text())
	req.Header.Set("Authorization", "Bearer "+devToken(t, base, email))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("POST %s: %d %v", path, resp.StatusCode, err)
		}
	}
	return resp.StatusCode
}

// Rule P4 on a phone: the teacher corrects their concern with a reason; the page shows the
// correction and both versions, the first readable as it was. Then the DSL corrects it
// through the API while the teacher has the form open: the teacher's correction comes back
// as a 409 page with what they typed, and goes through when sent again.
func TestRule_P4_BrowserLocalStack_CorrectionsAndAConflict(t *testing.T) {
	s := startLocalStack(t) // first: the browser's time budget starts with it
	b := newBrowser(t)
	var (
		teacher = seed.Email("Tom", "Hughes")
		dsl     = seed.Email("Daniel", "Reyes")
		id      = apiConcern(t, s.URL, teacher)
		concern = "/schools/" + string(seed.BrookLane) + "/concerns/" + id
	)
	signInAs(t, b, s.URL, teacher, concern)
	b.do(t, "opening the correction form", chromedp.WaitVisible(chromedp.ID("amend-link")), chromedp.Click(chromedp.ID("amend-link")),
		chromedp.WaitVisible(chromedp.ID("amend-form")))
	if got := b.eval(t, `document.getElementById("details").value`); !strings.Contains(got, "without shoes that fit") {
		t.Errorf("the correction form holds %q, not the record", got)
	}
	b.checkAxe(t, "the correction form")
	b.eval(t, `(() => { document.getElementById("details").value = ""; return ""; })()`)
	b.do(t, "correcting the record",
		chromedp.SendKeys(chromedp.ID("details"), "Arrived in shoes two sizes too small and said her feet hurt."),
		chromedp.SendKeys(chromedp.ID("reason"), "The shoes were too small, not missing."),
		chromedp.Click(chromedp.ID("save-correction")),
		chromedp.WaitVisible(chromedp.ID("versions")))
	if got := b.text(t, "#details"); !strings.Contains(got, "two sizes too small") {
		t.Errorf("the page shows %q after the correction", got)
	}
	if got := b.text(t, "#version-2"); !strings.Contains(got, "The shoes were too small, not missing.") || !strings.Contains(got, "by Tom Hughes") || strings.Contains(got, teacher) {
		t.Errorf("version 2 says %q", got)
	}
	b.do(t, "reading version 1", chromedp.Click(chromedp.CSS("#version-1 summary")), chromedp.WaitVisible(chromedp.CSS("#version-1 .govuk-details__text")))
	if got := b.text(t, "#version-1"); !strings.Contains(got, "without shoes that fit") {
		t.Errorf("version 1 reads %q, not as it was", got)
	}
	b.checkAxe(t, "the corrected concern with its versions")

	// A race: the teacher opens the form, the DSL corrects version 2 first.
	b.do(t, "opening the correction form again", chromedp.Click(chromedp.ID("amend-link")), chromedp.WaitVisible(chromedp.ID("amend-form")))
	if st := apiPost(t, s.URL, dsl, "/api"+concern+"/amendments", map[string]any{"version": versionOf(t, s.URL, dsl, concern),
		"pupilWords": "My feet hurt all the time.", "reason": "The pupil's words, told to the DSL."}, nil); st != http.StatusOK {
		t.Fatalf("the DSL's correction through the API: %d", st)
	}
	b.do(t, "sending a stale correction",
		chromedp.SendKeys(chromedp.ID("people-involved"), "Ms Ada Lovelace"),
		chromedp.SendKeys(chromedp.ID("reason"), "Added who saw it."),
		chromedp.Click(chromedp.ID("save-correction")),
		chromedp.WaitVisible(chromedp.ID("conflict")))
	if got := b.text(t, "#conflict"); !strings.Contains(got, "Someone else changed this record first") {
		t.Errorf("the conflict says %q", got)
	}
	if got := b.eval(t, `document.getElementById("people-involved").value + "|" + document.getElementById("reason").value`); !strings.Contains(got, "Ms Ada Lovelace") || !strings.Contains(got, "Added who saw it.") {
		t.Errorf("what was typed is lost: %q", got)
	}
	if got := b.text(t, "#record-now"); !strings.Contains(got, "My feet hurt all the time.") {
		t.Errorf("the 409 page does not show the record as it now is: %q", got)
	}
	b.checkAxe(t, "the 409 page of a stale correction")
	b.do(t, "sending it again", chromedp.Click(chromedp.ID("save-correction")), chromedp.WaitVisible(chromedp.ID("version-4")))
	if got := b.text(t, "#version-4"); !strings.Contains(got, "Added who saw it.") {
		t.Errorf("version 4 says %q", got)
	}
}

// versionOf reads a concern's version through the API.
func versionOf(t *testing.T, base, email, concern string) int {
	t.Helper()
	var c struct {
		Version int `json:"version"`
	}
	apiGet(t, base, email, "/api"+concern, &c)
	return c.Version
}

// waitFor evaluates js until it is true, across the navigation a form or a script starts.
func waitFor(t *testing.T, b *browser, what, js string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](js))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 30 s (%v)%s", what, err, b.where())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitDone waits for the page a form led to: its confirmation says word (the page before
// may have had a confirmation of its own).
func waitDone(t *testing.T, b *browser, word string) {
	t.Helper()
	waitFor(t, b, "a confirmation saying "+word, `(() => { const d = document.getElementById("done"); return document.readyState === "complete" && !!d && d.textContent.includes(`+jsString(word)+`); })()`)
}

// waitNewPage waits until the browser has left the page at from and loaded one with a
// confirmation.
func waitNewPage(t *testing.T, b *browser, from string) {
	t.Helper()
	waitFor(t, b, "leaving "+from, `(() => location.href !== `+jsString(from)+` && document.readyState === "complete" && !!document.getElementById("done"))()`)
}

// waitForText reloads the page until the element sel holds want, for what another function
// does after the page was served (the check of an arrived file).
func waitForText(t *testing.T, b *browser, sel, want string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		if strings.Contains(b.eval(t, `(() => { const e = document.querySelector(`+jsString(sel)+`); return e ? e.innerText : ""; })()`), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never says %q%s", sel, want, b.where())
		}
		time.Sleep(time.Second)
		b.do(t, "reloading", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("attachments")))
	}
}

// Rule C6 on a phone: the teacher is reminded to shred the paper; a text file is refused at
// once with a clear message; a photo goes straight to the local S3 and is listed as uploaded
// once the attachments function has checked it; a "PDF" that is not one is listed as refused
// (and deleted) with the reason.
func TestRule_C6_BrowserLocalStack_UploadAPhotoStraightToTheBucket(t *testing.T) {
	s := startLocalStack(t) // first: the browser's time budget starts with it
	b := newBrowser(t)
	var (
		teacher = seed.Email("Tom", "Hughes")
		concern = "/schools/" + string(seed.BrookLane) + "/concerns/" + apiConcern(t, s.URL, teacher)
		dir     = t.TempDir()
		photo   = filepath.Join(dir, "notes-page-1.png")
		fake    = filepath.Join(dir, "notes-page-2.pdf")
		text    = filepath.Join(dir, "notes.txt")
	)
	png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 3000)...)
	for name, content := range map[string][]byte{photo: png, fake: []byte("These are not the bytes of a PDF."), text: []byte("typed notes")} {
		if err := os.WriteFile(name, content, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	signInAs(t, b, s.URL, teacher, concern)
	b.do(t, "opening the concern", chromedp.WaitVisible(chromedp.ID("upload-form")))
	shown := func(id string) bool {
		return b.eval(t, `getComputedStyle(document.getElementById(`+jsString(id)+`)).display === "none" ? "hidden" : "shown"`) == "shown"
	}
	if shown("upload-nojs") || shown("attachment-file-error") {
		t.Error("the page shows that uploading needs JavaScript, or an error before any upload")
	}
	if got := b.text(t, "#shred-reminder"); !strings.Contains(got, "shred the paper") {
		t.Errorf("the reminder says %q", got)
	}
	b.checkAxe(t, "the concern page with the upload form")

	b.do(t, "uploading a text file", chromedp.SetUploadFiles(chromedp.ID("attachment-file"), []string{text}),
		chromedp.Click(chromedp.ID("upload-button")), chromedp.WaitVisible(chromedp.ID("attachment-file-error")))
	if got := b.eval(t, `document.getElementById("attachment-file-error").textContent`); !strings.Contains(got, "must be a JPEG, PNG or HEIC photo or scan, or a PDF") {
		t.Errorf("the refused file's message: %q", got)
	}
	b.checkAxe(t, "the upload form with a refused file")

	from := b.eval(t, `location.href`)
	b.do(t, "uploading a photo", chromedp.SetUploadFiles(chromedp.ID("attachment-file"), []string{photo}),
		chromedp.Click(chromedp.ID("upload-button")))
	waitNewPage(t, b, from)
	if got := b.text(t, "#done"); !strings.Contains(got, "shred the paper notes") {
		t.Errorf("after uploading the page says %q", got)
	}
	// "Download" is offered once the check has passed ("Uploaded ... by" shows before).
	waitForText(t, b, "#attachment-list", "Download")
	if got := b.text(t, "#attachment-list"); !strings.Contains(got, "notes-page-1.png") || !strings.Contains(got, "Photo or scan (PNG)") {
		t.Errorf("the list says %q", got)
	}
	b.checkAxe(t, "the concern page with an uploaded photo")

	// The photo opens again from the page: the browser downloads exactly the bytes sent.
	downloads := t.TempDir()
	b.do(t, "allowing downloads", chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
			Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads,
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID})
		return err
	}))
	b.eval(t, `document.querySelector("#attachment-list .app-open-attachment").click(), "clicked"`)
	var got []byte
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline) && !bytes.Equal(got, png); time.Sleep(100 * time.Millisecond) {
		files, _ := filepath.Glob(filepath.Join(downloads, "*"))
		for _, f := range files {
			if b, err := os.ReadFile(f); err == nil && bytes.Equal(b, png) {
				got = b
			}
		}
	}
	if !bytes.Equal(got, png) {
		t.Errorf("the photo was not downloaded as uploaded (%d bytes)", len(got))
	}

	from = b.eval(t, `location.href`)
	b.do(t, "uploading a file that is not the PDF it says", chromedp.WaitVisible(chromedp.ID("upload-form")),
		chromedp.SetUploadFiles(chromedp.ID("attachment-file"), []string{fake}),
		chromedp.Click(chromedp.ID("upload-button")))
	waitNewPage(t, b, from)
	waitForText(t, b, "#attachment-list", "Refused")
	if got := b.text(t, "#attachment-list"); !strings.Contains(got, "not a photo, scan or PDF") {
		t.Errorf("the refused file's reason: %q", got)
	}
	b.checkAxe(t, "the concern page with a refused file")
}

// Rule C2 on a phone: the DSL adds "Young carer" under Wellbeing and retires "Housing
// concerns"; the teacher's concern form offers the new one and not the retired one, and the
// concern recorded with it shows it. The DSL restores the retired one at the end.
func TestRule_C2_BrowserLocalStack_TheSchoolsOwnSubcategories(t *testing.T) {
	s := startLocalStack(t) // first: the browser's time budget starts with it
	b := newBrowser(t)
	var (
		dsl     = seed.Email("Daniel", "Reyes")
		teacher = seed.Email("Tom", "Hughes")
		school  = "/schools/" + string(seed.BrookLane)
	)
	signInAs(t, b, s.URL, dsl, school+"/categories")
	b.do(t, "opening the categories", chromedp.WaitVisible(chromedp.ID("category-wellbeing")))
	b.checkAxe(t, "the categories page")
	b.do(t, "adding a sub-category", chromedp.SendKeys(chromedp.ID("add-title-wellbeing"), "Young carer"),
		chromedp.Click(chromedp.ID("add-wellbeing")))
	waitDone(t, b, "added")
	if got := b.text(t, "#subs-wellbeing"); !strings.Contains(got, "Young carer") {
		t.Errorf("Wellbeing's sub-categories after adding: %q", got)
	}
	b.do(t, "retiring one", chromedp.Click(chromedp.CSS("#sub-wellbeing-housing-concerns summary")),
		chromedp.WaitVisible(chromedp.ID("retire-wellbeing-housing-concerns")),
		chromedp.Click(chromedp.ID("retire-wellbeing-housing-concerns")))
	waitDone(t, b, "retired")
	if got := b.text(t, "#sub-wellbeing-housing-concerns"); !strings.Contains(got, "Retired") {
		t.Errorf("the retired sub-category reads %q", got)
	}
	b.checkAxe(t, "the categories page after changes")

	signInAs(t, b, s.URL, teacher, school+"/concerns/new?pupil=bl-03")
	b.do(t, "choosing Wellbeing", chromedp.WaitVisible(chromedp.ID("category-wellbeing")), chromedp.Click(chromedp.ID("category-wellbeing")),
		chromedp.WaitVisible(chromedp.ID("sub-wellbeing-young-carer")))
	if b.eval(t, `document.getElementById("sub-wellbeing-housing-concerns") ? "offered" : "not offered"`) != "not offered" {
		t.Error("the form offers the retired sub-category")
	}
	b.checkAxe(t, "the concern form with the school's sub-categories")
	b.do(t, "recording a concern with the new sub-category", chromedp.Click(chromedp.ID("sub-wellbeing-young-carer")),
		chromedp.SendKeys(chromedp.ID("details"), "Said she makes tea for her younger brothers every night while mum is in hospital."),
		chromedp.Click(chromedp.ID("observed-when")),
		chromedp.Click(chromedp.ID("record-concern")), chromedp.WaitVisible(chromedp.ID("reference")))
	if got := b.eval(t, `document.querySelector("main").innerText`); !strings.Contains(got, "Young carer") {
		t.Errorf("the concern page does not show the new sub-category%s", b.where())
	}

	signInAs(t, b, s.URL, dsl, school+"/categories")
	b.do(t, "restoring the retired one", chromedp.WaitVisible(chromedp.ID("category-wellbeing")),
		chromedp.Click(chromedp.CSS("#sub-wellbeing-housing-concerns summary")),
		chromedp.WaitVisible(chromedp.ID("restore-wellbeing-housing-concerns")),
		chromedp.Click(chromedp.ID("restore-wellbeing-housing-concerns")))
	waitDone(t, b, "restored")
	if got := b.text(t, "#sub-wellbeing-housing-concerns"); strings.Contains(got, "Retired") {
		t.Errorf("after restoring it reads %q", got)
	}
}
