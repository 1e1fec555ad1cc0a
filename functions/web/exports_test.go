package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/pdftext"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// recordAboutTwo records, as the teacher, a concern about Chidi (bl-01) with another pupil
// (bl-02) involved; it returns the other pupil's name.
func recordAboutTwo(t *testing.T, w *world, at time.Time) string {
	t.Helper()
	others, err := w.st.Pupils(context.Background(), "brook-lane", []safeguarding.PupilID{"bl-02"})
	if err != nil || others["bl-02"].Name == "" {
		t.Fatalf("no pupil bl-02: %v", err)
	}
	_, err = w.h.Concerns.Record(context.Background(), safeguarding.Caller{Email: teacher, At: at}, "brook-lane", concerns.NewConcern{
		Pupils:   []safeguarding.LinkedPupil{{ID: "bl-01", Role: safeguarding.RoleSubject}, {ID: "bl-02", Role: safeguarding.RoleInvolved}},
		Category: "behaviour", ObservedAt: at.Add(-time.Hour), Details: "A push in the line at break.",
	}, safeguarding.RequestKey{}, "")
	if err != nil {
		t.Fatal(err)
	}
	return others["bl-02"].Name
}

// The chronology's page offers the DSLs the PDF and the export, and the PDF downloads from the
// page's own session (rule D10), audited (P4); a teacher sees neither and is refused both.
func TestRule_D10_P4_TheChronologyPageDownloadsAsPDFForTheDSLs(t *testing.T) {
	w := newWorld(t)
	recorded(t, w.h)
	at := monday1030.Add(time.Hour)
	chron := "/schools/brook-lane/pupils/bl-01/chronology"

	page := call(t, w.h, "GET", chron, tokenFor(dsl), nil, at)
	wantBody(t, "the DSL's chronology", page, http.StatusOK, `href="`+chron+`.pdf"`, "Download as PDF",
		`href="/schools/brook-lane/pupils/bl-01/export"`, `id="print-heading"`, "Confidential", "print.css")
	page = call(t, w.h, "GET", chron, tokenFor(teacher), nil, at)
	if strings.Contains(page.Body, "Download as PDF") || strings.Contains(page.Body, "/export") {
		t.Error("the teacher's chronology offers the PDF or the export")
	}

	before := w.items("audit")
	pdf := call(t, w.h, "GET", chron+".pdf", tokenFor(dsl), nil, at)
	if pdf.StatusCode != http.StatusOK || pdf.Headers["Content-Type"] != "application/pdf" || !pdf.IsBase64Encoded ||
		!strings.HasPrefix(pdf.Headers["Content-Disposition"], "attachment; filename=chronology-") {
		t.Fatalf("the PDF: %d %v", pdf.StatusCode, pdf.Headers)
	}
	b, err := base64.StdEncoding.DecodeString(pdf.Body)
	if err != nil {
		t.Fatal(err)
	}
	pages, err := pdftext.Pages(b)
	if err != nil {
		t.Fatal(err)
	}
	if all := strings.Join(pages, "\n"); !strings.Contains(all, "Chronology of Chidi Okafor") || !strings.Contains(all, "came in without a coat") {
		t.Errorf("the PDF lacks the chronology:\n%s", all)
	}
	if n := w.items("audit"); n != before+1 {
		t.Errorf("%d audit entries after the PDF, want %d", n, before+1)
	}
	for _, target := range []string{chron + ".pdf", "/schools/brook-lane/pupils/bl-01/export", "/schools/brook-lane/pupils/bl-01/export.json"} {
		if resp := call(t, w.h, "GET", target, tokenFor(teacher), nil, at); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the teacher's %s: %d, want 404", target, resp.StatusCode)
		}
	}
}

// The export (rule D10): the DSL reviews what will be released, the other pupil of a linked
// concern shown as "another pupil" unless the DSL chooses to name them; the download holds the
// same; the review and each download are audited (P4), the choice to name them too.
func TestRule_D10_P4_TheExportIsReviewedAndAnotherPupilIsNotNamed(t *testing.T) {
	w := newWorld(t)
	at := monday1030.Add(time.Hour)
	other := recordAboutTwo(t, w, monday1030)
	base := "/schools/brook-lane/pupils/bl-01/export"

	review := call(t, w.h, "GET", base, tokenFor(dsl), nil, at)
	wantBody(t, "the review", review, http.StatusOK, "another pupil", "A push in the line at break.", `href="`+base+`.json"`, "Download")
	if strings.Contains(review.Body, other) {
		t.Errorf("the review names %s", other)
	}
	named := call(t, w.h, "GET", base+"?names=yes", tokenFor(dsl), nil, at)
	wantBody(t, "the review naming them", named, http.StatusOK, other, `href="`+base+`.json?names=yes"`)

	dl := call(t, w.h, "GET", base+".json", tokenFor(dsl), nil, at)
	if dl.StatusCode != http.StatusOK || dl.Headers["Content-Type"] != "application/json" {
		t.Fatalf("the download: %d %v", dl.StatusCode, dl.Headers)
	}
	b, _ := base64.StdEncoding.DecodeString(dl.Body)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), other) || !strings.Contains(string(b), `"another pupil"`) || strings.Contains(string(b), "bl-02") {
		t.Errorf("the download names the other pupil:\n%s", b)
	}
	dl = call(t, w.h, "GET", base+".json?names=yes", tokenFor(dsl), nil, at)
	if b, _ := base64.StdEncoding.DecodeString(dl.Body); !strings.Contains(string(b), other) {
		t.Errorf("the download the DSL chose to name them in does not:\n%s", b)
	}
	trail := call(t, w.h, "GET", "/schools/brook-lane/audit", tokenFor(head), nil, at.Add(time.Minute))
	wantBody(t, "the audit trail", trail, http.StatusOK, "Record export reviewed", "Record exported naming other pupils", "Record exported")
}

// Rule D10 with the files themselves: a teacher's photo on a pupil's concern passes its check
// (in a local S3 that checks every request's signature as S3 does); the DSL's export review
// offers "Download with the files", which writes the archive (the export's JSON, the
// chronology's PDF and the photo) to the bucket and sends the browser to a link to it.
func TestRule_D10_P4_TheExportPageGivesTheFilesInOneArchive(t *testing.T) {
	w := newWorld(t)
	objects, s3 := localBucket(t)
	w.h.Attachments, w.h.Archives = concerns.Attachments{Store: w.st, Signer: objects, NewID: store.NewID}, objects
	concern := recorded(t, w.h)
	at := monday1030.Add(10 * time.Minute)
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 2044)...)
	_, a := askUpload(t, w.h, concern, teacher, "k-1", "notes.jpg", "image/jpeg", "2048", at)
	req, err := http.NewRequest(http.MethodPut, a.UploadURL, bytes.NewReader(jpeg))
	apitest.Must(t, err)
	req.Header.Set("Content-Type", "image/jpeg")
	resp, err := http.DefaultClient.Do(req)
	apitest.Must(t, err)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("uploading the photo: %d", resp.StatusCode)
	}
	check := concerns.Attachments{Store: w.st, NewID: store.NewID}
	_, err = check.Verify(context.Background(), objectKeyOf(t, a.UploadURL), "", 2048, jpeg[:512], at.Add(time.Minute))
	apitest.Must(t, err)

	review := call(t, w.h, "GET", "/schools/brook-lane/pupils/bl-01/export", tokenFor(dsl), nil, at.Add(time.Hour))
	wantBody(t, "the review", review, http.StatusOK, `id="export-zip"`, "Download with the files")
	got := call(t, w.h, "GET", "/schools/brook-lane/pupils/bl-01/export.zip", tokenFor(dsl), nil, at.Add(time.Hour))
	link := got.Headers["Location"]
	if got.StatusCode != http.StatusSeeOther || !strings.HasPrefix(link, s3+"/"+testBucketName+"/exports/brook-lane/bl-01/") {
		t.Fatalf("the archive: %d to %q", got.StatusCode, link)
	}
	resp, err = http.Get(link)
	apitest.Must(t, err)
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the link gives no zip (%d): %v", resp.StatusCode, err)
	}
	var names []string
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	if len(names) != 3 || !slices.Contains(names, "export.json") || !slices.Contains(names, "chronology.pdf") || !strings.HasSuffix(names[2], "notes.jpg") {
		t.Errorf("the archive holds %v", names)
	}
	if n := apitest.CountItems(t, w.db, w.table, map[string]string{"audit": "action"})["audit:"+exports.AuditExported]; n != 1 {
		t.Errorf("%d exports audited, want the archive's", n)
	}
	teacherTry := call(t, w.h, "GET", "/schools/brook-lane/pupils/bl-01/export.zip", tokenFor(teacher), nil, at.Add(time.Hour))
	if teacherTry.StatusCode != http.StatusNotFound && teacherTry.StatusCode != http.StatusForbidden {
		t.Errorf("a teacher's archive: %d", teacherTry.StatusCode)
	}
}
