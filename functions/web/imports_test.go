package main

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/chromedp/chromedp"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// mixedExport is an export of three new pupils: Zara and her brother Yusuf share their
// mother, and Xavier's row has a date of birth that is not a date.
const mixedExport = "UPN,Legal Surname,Legal Forename,DOB,Year Group,Reg Group," +
	"Contact 1 Forename,Contact 1 Surname,Contact 1 Relationship,Contact 1 Responsibility,Contact 1 Mobile\r\n" +
	"Z900,Quillfeather,Zara,01/09/2018,Year 3,Otters,Nadia,Quillfeather,Mother,Y,07700 900611\r\n" +
	"Z901,Quillfeather,Yusuf,04/05/2016,Year 5,Badgers,Nadia,Quillfeather,Mother,Y,07700 900611\r\n" +
	"Z902,Marchbank,Xavier,31/31/2017,Year 4,Otters,Ruth,Marchbank,Mother,Y,07700 900612\r\n"

// upload posts the import page's first form, a multipart one with the file, as token's holder.
func upload(t *testing.T, h *Handler, token string, file []byte, full bool) events.APIGatewayV2HTTPResponse {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fields := map[string]string{"csrf": sessionFor(token).csrf(), "intent": "check"}
	if full {
		fields["full"] = "yes"
	}
	for k, v := range fields {
		apitest.Must(t, mw.WriteField(k, v))
	}
	fw, err := mw.CreateFormFile("file", "pupils.csv")
	apitest.Must(t, err)
	_, err = fw.Write(file)
	apitest.Must(t, err)
	apitest.Must(t, mw.Close())
	r := httptest.NewRequest("POST", "https://keepsafe.example/schools/"+school+"/imports", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: testSession(t, h, token)})
	ev, ok := toEvent(r, monday1030)
	if !ok {
		t.Fatal("no route for the upload")
	}
	resp, err := h.Handle(context.Background(), ev)
	apitest.Must(t, err)
	return resp
}

// words is a page's visible text with its white space made single spaces.
func words(body string) string { return strings.Join(strings.Fields(visibleText(body)), " ") }

// hidden reads a hidden field's value from a page.
func hidden(t *testing.T, body, name string) string {
	t.Helper()
	_, after, ok := strings.Cut(body, `name="`+name+`" value="`)
	v, _, _ := strings.Cut(after, `"`)
	if !ok || v == "" {
		t.Fatalf("the page has no %s field", name)
	}
	return v
}

// Rule P1: the import page is the office's and the Senior DSL's, in their menu and on their
// home page, as Access.Imports decides; anyone else is told there is no such page.
func TestRule_P1_TheImportPageIsTheOfficesAndTheSeniorDSLs(t *testing.T) {
	w := newWorld(t)
	page := "/schools/" + school + "/imports"
	for _, who := range []string{office, head} {
		resp := call(t, w.h, "GET", page, tokenFor(who), nil, monday1030)
		if resp.StatusCode != 200 || !strings.Contains(resp.Body, `href="`+page+`" aria-current="page"`) ||
			!strings.Contains(resp.Body, `enctype="multipart/form-data"`) || !strings.Contains(resp.Body, "This file is the whole school (pupils not in it have left)") {
			t.Errorf("%s: %d, or the page lacks its menu link or its form", who, resp.StatusCode)
		}
		if home := call(t, w.h, "GET", "/", tokenFor(who), nil, monday1030); !strings.Contains(home.Body, `href="`+page+`"`) {
			t.Errorf("%s: the home page has no link to the import page", who)
		}
	}
	for _, who := range []string{dsl, teacher, staff, outsider} {
		if resp := call(t, w.h, "GET", page, tokenFor(who), nil, monday1030); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", who, resp.StatusCode)
		}
		if resp := upload(t, w.h, tokenFor(who), []byte(mixedExport), false); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s uploads: %d", who, resp.StatusCode)
		}
		if home := call(t, w.h, "GET", "/", tokenFor(who), nil, monday1030); strings.Contains(home.Body, `href="`+page+`"`) {
			t.Errorf("%s: the home page links the import page", who)
		}
	}
}

// Rule P1: the office checks the export (a preview that writes nothing), reads what it would
// change and every row it cannot take by line and field in words, never a value from the
// file; imports the valid rows without sending the file again; a second click imports
// nothing more; and a file changed since it was checked is refused.
func TestRule_P1_TheOfficeChecksTheExportAndImportsItsValidRows(t *testing.T) {
	w := newWorld(t)
	findZara := func() int {
		found, err := w.st.SearchPupils(context.Background(), safeguarding.SchoolID(school), "Quillfeather", 10)
		apitest.Must(t, err)
		return len(found)
	}
	resp := upload(t, w.h, tokenFor(office), []byte(mixedExport), false)
	if resp.StatusCode != 200 {
		t.Fatalf("the check: %d %s", resp.StatusCode, words(resp.Body))
	}
	text := words(resp.Body)
	for _, want := range []string{"What the file would change", "New pupils 2", "Families of brothers and sisters 1",
		"1 problem in 1 row", "date of birth", "Import the 2 valid rows", "Choose another file"} {
		if !strings.Contains(text, want) {
			t.Errorf("the preview lacks %q: %s", want, text)
		}
	}
	for _, never := range []string{"31/31/2017", "Xavier", "Marchbank", "Zara", "dateOfBirth", "07700"} {
		if strings.Contains(text, never) {
			t.Errorf("the preview shows %q from the file", never)
		}
	}
	if !strings.Contains(resp.Body, `<td class="govuk-table__cell">4</td>`) {
		t.Error("the problem is not on line 4")
	}
	if n := findZara(); n != 0 {
		t.Fatalf("the check wrote %d pupils", n)
	}

	preview, file := hidden(t, resp.Body, "preview"), hidden(t, resp.Body, "file")
	apply := url.Values{"csrf": {sessionFor(tokenFor(office)).csrf()}, "intent": {"apply"}, "preview": {preview}, "file": {file}}
	tampered, err := packFile([]byte(strings.Replace(mixedExport, "31/31/2017", "31/12/2017", 1)))
	apitest.Must(t, err)
	bad := url.Values{"csrf": apply["csrf"], "intent": {"apply"}, "preview": {preview}, "file": {tampered}}
	if resp := call(t, w.h, "POST", "/schools/"+school+"/imports", tokenFor(office), bad, monday1030); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(resp.Body, "not the one that was checked") {
		t.Errorf("a changed file: %d", resp.StatusCode)
	}
	if n := findZara(); n != 0 {
		t.Fatalf("a changed file wrote %d pupils", n)
	}

	done := call(t, w.h, "POST", "/schools/"+school+"/imports", tokenFor(office), apply, monday1030)
	loc := done.Headers["Location"]
	if done.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/schools/"+school+"/imports/") {
		t.Fatalf("the import: %d to %q", done.StatusCode, loc)
	}
	if again := call(t, w.h, "POST", "/schools/"+school+"/imports", tokenFor(office), apply, monday1030); again.Headers["Location"] != loc {
		t.Errorf("a second click went to %q, not %q", again.Headers["Location"], loc)
	}
	if n := findZara(); n != 2 {
		t.Errorf("after the import, and a second click, %d pupils are found, want 2", n)
	}
	page := call(t, w.h, "GET", loc, tokenFor(office), nil, monday1030)
	text = words(page.Body)
	if page.StatusCode != 200 || !strings.Contains(text, "Pupils imported") || !strings.Contains(text, "New pupils 2") ||
		!strings.Contains(text, "Find a pupil by name") {
		t.Errorf("the confirmation: %d %s", page.StatusCode, text)
	}
	if resp := call(t, w.h, "GET", loc, tokenFor(teacher), nil, monday1030); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a teacher opens the import: %d", resp.StatusCode)
	}
}

// Rule P1: a file the page cannot take is said so in plain words, on the form: none chosen,
// the Common Transfer File, a file without the pupils' columns, and one over 4 MB.
func TestRule_P1_TheImportPageSaysWhyItCannotTakeAFile(t *testing.T) {
	w := newWorld(t)
	for name, c := range map[string]struct {
		file   []byte
		status int
		want   string
	}{
		"none":        {nil, http.StatusBadRequest, "Select the pupils' export from your MIS"},
		"xml":         {[]byte(`<?xml version="1.0"?><CTfile></CTfile>`), http.StatusBadRequest, "Common Transfer File"},
		"no header":   {[]byte("Name,Class\r\nAva,Acorns\r\n"), http.StatusBadRequest, "UPN, surname and forename"},
		"over 4 MB":   {bytes.Repeat([]byte("a"), maxImportFile+1), http.StatusRequestEntityTooLarge, "The file must be 4 MB or smaller"},
		"twice a DOB": {[]byte("UPN,Surname,Forename,DOB,D.O.B.\r\n"), http.StatusBadRequest, "Two columns give the date of birth"},
	} {
		resp := upload(t, w.h, tokenFor(office), c.file, false)
		if text := words(resp.Body); resp.StatusCode != c.status || !strings.Contains(text, c.want) {
			t.Errorf("%s: %d %s", name, resp.StatusCode, text)
		}
	}
	if got, err := unpackFile(mustPack(t, bytes.Repeat([]byte("a"), maxImportFile+1))); err == nil {
		t.Errorf("a packed file over 4 MB unpacks to %d bytes", len(got))
	}
}

func mustPack(t *testing.T, b []byte) string {
	t.Helper()
	s, err := packFile(b)
	apitest.Must(t, err)
	return s
}

func TestImportFieldsInWords(t *testing.T) {
	for field, want := range map[string]string{"dateOfBirth": "date of birth", "upn": "UPN", "regGroup": "registration group",
		"addressLine1": "address line 1", "contact2Mobile": "contact 2's mobile number", "contact10HomePhone": "contact 10's home phone",
		"contact1Responsibility": "contact 1's parental responsibility", "row": "the row", "leavingDate": "leaving date"} {
		if got := fieldWords(field); got != want {
			t.Errorf("%s: %q, want %q", field, got, want)
		}
	}
}

// Rules P1 and P4 in a browser at 360 px and at 1280 px: the office opens the import page
// from the menu, chooses the school's export and checks it, seeing the progress bar while it
// is sent; reads what it would change and the row it cannot take; imports the valid rows;
// and finds a new pupil by the pupil search. axe on every page.
func TestRule_P1_BrowserPages_TheOfficeImportsTheSchoolsExport(t *testing.T) {
	w := newWorld(t)
	srv := httptest.NewServer(httpHandler(w.h, time.Now))
	t.Cleanup(srv.Close)
	w.h.Config.AppURL = srv.URL
	b := newBrowser(t)
	csv := filepath.Join(t.TempDir(), "pupils.csv")
	apitest.Must(t, os.WriteFile(csv, []byte(mixedExport), 0o600))
	b.setCookie(t, srv.URL, SessionCookie, testSession(t, w.h, tokenFor(office)))
	page := "/schools/" + school + "/imports"

	b.do(t, "opening the office's work", chromedp.Navigate(srv.URL+"/schools/"+school+"/work"), chromedp.WaitReady(chromedp.CSS("main h1")))
	if n := b.eval(t, `String(document.querySelectorAll('a[href="`+page+`"]').length)`); n == "0" {
		t.Error("the office's menu has no link to the import page")
	}
	b.do(t, "opening the import page", chromedp.Navigate(srv.URL+page), chromedp.WaitVisible(chromedp.ID("check-button")))
	b.checkAxe(t, "the import page")
	if b.eval(t, `String(document.getElementById("upload-progress").hidden)`) != "true" {
		t.Error("the progress bar shows before anything is sent")
	}
	// Whether the progress bar was shown, and everything it said, however fast the file goes.
	b.eval(t, `(() => {
		window.sawProgress = [];
		new MutationObserver(() => {
			const p = document.getElementById("upload-progress");
			const said = p && !p.hidden && document.getElementById("upload-progress-label").textContent;
			if (said && said !== window.sawProgress.at(-1)) window.sawProgress.push(said);
		}).observe(document.body, {subtree: true, attributes: true, childList: true, characterData: true});
		return "ok";
	})()`)
	b.do(t, "checking the file", chromedp.SetUploadFiles(chromedp.ID("file"), []string{csv}),
		chromedp.Click(chromedp.ID("check-button")), chromedp.WaitVisible(chromedp.ID("preview-heading")))
	// The rows sent so far, of the file's 3, then the server checking them.
	saw := b.eval(t, `window.sawProgress.join("|")`)
	if !regexp.MustCompile(`^Sending the file: [0-3] of 3 rows, \d+%(\|Sending the file: [0-3] of 3 rows, \d+%)*\|Checking 3 rows$`).MatchString(saw) {
		t.Errorf("the progress bar said %q", saw)
	}
	if got := b.text(t, "#count-created"); got != "2" {
		t.Errorf("new pupils: %q", got)
	}
	if problems := b.text(t, "#row-problems"); !strings.Contains(problems, "date of birth") || strings.Contains(problems, "31/31") {
		t.Errorf("the row problems: %q", problems)
	}
	b.checkAxe(t, "the preview")
	b.do(t, "a laptop's width", chromedp.EmulateViewport(1280, 900))
	if wd := b.eval(t, `String(document.documentElement.scrollWidth)`); wd != "1280" {
		t.Errorf("the preview is %s px wide on a 1280 px screen", wd)
	}
	if wd := b.eval(t, `String(document.getElementById("row-problems").offsetWidth > 900)`); wd != "true" {
		t.Error("the row problems do not use a laptop's width")
	}

	b.do(t, "importing the valid rows", chromedp.Click(chromedp.ID("apply-button")), chromedp.WaitVisible(chromedp.ID("import-done")))
	if got := b.text(t, "#count-created"); got != "2" {
		t.Errorf("imported new pupils: %q", got)
	}
	b.do(t, "a phone's width", chromedp.EmulateViewport(360, 800, chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.checkAxe(t, "the confirmation")
	b.do(t, "finding Zara", chromedp.SendKeys(chromedp.ID("q"), "Quillfeather"), chromedp.Click(chromedp.ID("search-pupils")),
		chromedp.WaitVisible(chromedp.ID("pupil-results")))
	if found := b.text(t, "#pupil-results"); !strings.Contains(found, "Zara Quillfeather") || !strings.Contains(found, "Yusuf Quillfeather") {
		t.Errorf("the search found %q", found)
	}
}

// Rule P1 with a file over 4 MB, through the local stack in a browser at 360 px: the page
// sends the file straight to the bucket with the rows counted as it goes, follows the imports
// function's check until it ends, shows what the file would change, and importing it sends
// the same file again and ends on the confirmation. axe on the preview and the confirmation.
func TestRule_P1_BrowserLocalStack_AFileOver4MBGoesThroughTheBucket(t *testing.T) {
	s := startLocalStack(t)
	b := newBrowser(t)
	// Three new pupils, each row carrying a long column the import does not read, so that the
	// file is over 4 MB as an export with every column can be.
	var file strings.Builder
	file.WriteString("UPN,Legal Surname,Legal Forename,DOB,Year Group,Reg Group,Notes\r\n")
	for i, name := range []string{"Wrenfield", "Ashcombe", "Peverell"} {
		fmt.Fprintf(&file, "W80%d,%s,Iris,01/09/2018,Year 3,Kestrels,%s\r\n", i, name, strings.Repeat("x", 1600<<10))
	}
	csv := filepath.Join(t.TempDir(), "pupils.csv")
	apitest.Must(t, os.WriteFile(csv, []byte(file.String()), 0o600))
	if file.Len() <= maxImportFile {
		t.Fatalf("the file is only %d bytes", file.Len())
	}

	signInAs(t, b, s.URL, apitest.Grace, "/schools/"+school+"/imports")
	b.do(t, "opening the import page", chromedp.Navigate(s.URL+"/schools/"+school+"/imports"), chromedp.WaitVisible(chromedp.ID("check-button")))
	b.eval(t, `(() => {
		window.sawProgress = [];
		new MutationObserver(() => {
			const p = document.getElementById("upload-progress");
			const said = p && !p.hidden && document.getElementById("upload-progress-label").textContent;
			if (said && said !== window.sawProgress.at(-1)) window.sawProgress.push(said);
		}).observe(document.body, {subtree: true, attributes: true, childList: true, characterData: true});
		return "ok";
	})()`)
	b.do(t, "checking the file", chromedp.SetUploadFiles(chromedp.ID("file"), []string{csv}),
		chromedp.Click(chromedp.ID("check-button")), chromedp.WaitVisible(chromedp.ID("preview-heading")))
	if saw := b.eval(t, `window.sawProgress.join("|")`); !regexp.MustCompile(`^Sending the file: [0-3] of 3 rows, \d+%.*\|Checking 3 rows$`).MatchString(saw) {
		t.Errorf("the progress bar said %q", saw)
	}
	if got := b.text(t, "#count-created"); got != "3" {
		t.Errorf("new pupils: %q", got)
	}
	b.checkAxe(t, "the preview of a file sent through the bucket")
	b.do(t, "importing the file", chromedp.Click(chromedp.ID("apply-button")), chromedp.WaitVisible(chromedp.ID("import-done")))
	if got := b.text(t, "#count-created"); got != "3" {
		t.Errorf("imported new pupils: %q", got)
	}
	b.checkAxe(t, "the confirmation")
	var found struct {
		Pupils []struct{ Name string } `json:"pupils"`
	}
	apiGet(t, s.URL, apitest.Grace, "/api/schools/"+school+"/pupils?q=Wrenfield", &found)
	if len(found.Pupils) != 1 || found.Pupils[0].Name != "Iris Wrenfield" {
		t.Errorf("the search found %+v", found.Pupils)
	}
}
