package main

import (
	"maps"
	"strconv"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

var pdf = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n")

func pdfRequest(size int) string {
	return `{"fileName":"handwritten notes.pdf","contentType":"application/pdf","size":` + strconv.Itoa(size) + `}`
}

func TestRule_C6_TeacherAttachesAPDFThatIsVerifiedAndListed(t *testing.T) {
	w := newWorld(t)
	resp, body := w.request(teacher, brook, concernID, pdfRequest(len(pdf)))
	if resp.StatusCode != 201 || body["status"] != "pending" || body["uploadUrl"] == nil || body["expiresAt"] == nil {
		t.Fatalf("request: %d %s", resp.StatusCode, resp.Body)
	}
	if got := w.items(); got["attachment"] != 1 || got["audit"] != 2 {
		t.Errorf("items %v: want the attachment and its audit entry beside the concern's", got)
	}
	if code := upload(t, body["uploadUrl"].(string), "application/pdf", pdf); code != 200 {
		t.Fatalf("upload: %d", code)
	}
	w.waitChecked()
	resp, list := w.list(teacher, brook, concernID)
	if resp.StatusCode != 200 {
		t.Fatalf("list: %d %s", resp.StatusCode, resp.Body)
	}
	as := list["attachments"].([]any)
	if len(as) != 1 {
		t.Fatalf("listed %v", list)
	}
	a := as[0].(map[string]any)
	if a["id"] != body["id"] || a["status"] != "verified" || a["fileName"] != "handwritten notes.pdf" || a["uploadedBy"] != teacher {
		t.Errorf("listed %v", a)
	}
	key := concerns.ObjectKey(brook, concernID, concerns.AttachmentID(body["id"].(string)))
	if !w.objectExists(key) {
		t.Error("the verified file is not in the bucket")
	}
	// The DSL sees it too; the read is audited (P4).
	before := w.items()["audit"]
	if resp, list := w.list(dsl, brook, concernID); resp.StatusCode != 200 || len(list["attachments"].([]any)) != 1 {
		t.Errorf("DSL list: %d %s", resp.StatusCode, resp.Body)
	}
	if after := w.items()["audit"]; after != before+1 {
		t.Errorf("audit entries %d -> %d: a list is an audited read", before, after)
	}
}

func TestRule_C6_WhoeverMaySeeTheConcernOpensItsVerifiedFileAndEachOpeningIsAudited(t *testing.T) {
	w := newWorld(t)
	_, body := w.request(teacher, brook, concernID, pdfRequest(len(pdf)))
	id := body["id"].(string)
	// Not yet arrived: nothing to open.
	if resp, _ := w.open(dsl, brook, concernID, id); resp.StatusCode != 404 {
		t.Errorf("a file being checked: %d %s", resp.StatusCode, resp.Body)
	}
	if code := upload(t, body["uploadUrl"].(string), "application/pdf", pdf); code != 200 {
		t.Fatalf("upload: %d", code)
	}
	w.waitChecked()

	for _, who := range []string{teacher, dsl} {
		before := w.items()["audit"]
		resp, opened := w.open(who, brook, concernID, id)
		if resp.StatusCode != 200 || opened["id"] != id || opened["url"] == nil || opened["expiresAt"] == nil {
			t.Fatalf("%s opens: %d %s", who, resp.StatusCode, resp.Body)
		}
		if after := w.items()["audit"]; after != before+1 {
			t.Errorf("%s: audit entries %d -> %d, want one for the opening", who, before, after)
		}
		got, content := download(t, opened["url"].(string))
		if got.StatusCode != 200 || string(content) != string(pdf) {
			t.Fatalf("%s: the URL gives %d: %q", who, got.StatusCode, content)
		}
		// Saved under the attachment's ID, never the name it came with, which may name a pupil.
		if cd := got.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment") || !strings.Contains(cd, "attachment-"+id+".pdf") {
			t.Errorf("%s: Content-Disposition %q", who, cd)
		}
		if strings.Contains(opened["url"].(string), "handwritten") {
			t.Errorf("the URL carries the uploaded file name: %s", opened["url"])
		}
	}
	// P2: a colleague who may not see the concern, and another school's DSL, get nothing.
	before := w.items()
	if resp, _ := w.open(colleague, brook, concernID, id); resp.StatusCode != 404 {
		t.Errorf("colleague: %d %s", resp.StatusCode, resp.Body)
	}
	if resp, _ := w.open(hillDSL, brook, concernID, id); resp.StatusCode != 403 {
		t.Errorf("another school's DSL: %d %s", resp.StatusCode, resp.Body)
	}
	if resp, _ := w.open(dsl, brook, concernID, "01JNOSUCHATTACHMENT0000000"); resp.StatusCode != 404 {
		t.Errorf("no such file: %d %s", resp.StatusCode, resp.Body)
	}
	if after := w.items(); !maps.Equal(before, after) {
		t.Errorf("items %v -> %v: a refused opening wrote something", before, after)
	}
}

func TestRule_C6_TooLargeOrWrongTypeIsRefusedAndWritesNothing(t *testing.T) {
	w := newWorld(t)
	before := w.items()
	for name, body := range map[string]string{
		"too large":        pdfRequest(concerns.MaxAttachmentBytes + 1),
		"html":             `{"fileName":"page.html","contentType":"text/html","size":100}`,
		"exe":              `{"fileName":"setup.exe","contentType":"application/octet-stream","size":100}`,
		"exe named as PDF": `{"fileName":"setup.exe","contentType":"application/pdf","size":100}`,
		"no size":          `{"fileName":"a.pdf","contentType":"application/pdf"}`,
		"unknown field":    `{"fileName":"a.pdf","contentType":"application/pdf","size":1,"acl":"public-read"}`,
	} {
		resp, _ := w.request(teacher, brook, concernID, body)
		if resp.StatusCode != 400 || resp.Headers["Content-Type"] != "application/problem+json" {
			t.Errorf("%s: %d %s", name, resp.StatusCode, resp.Body)
		}
	}
	if after := w.items(); !maps.Equal(before, after) {
		t.Errorf("items %v -> %v: a refused request wrote something", before, after)
	}
}

func TestRule_C6_BytesThatAreNotTheDeclaredTypeAreRejectedAndDeleted(t *testing.T) {
	w := newWorld(t)
	html := []byte("<!doctype html><html><body><script>alert(document.cookie)</script></body></html>")
	resp, body := w.request(teacher, brook, concernID, pdfRequest(len(html)))
	if resp.StatusCode != 201 {
		t.Fatalf("request: %d %s", resp.StatusCode, resp.Body)
	}
	if code := upload(t, body["uploadUrl"].(string), "application/pdf", html); code != 200 {
		t.Fatalf("upload: %d", code)
	}
	w.waitChecked()
	_, list := w.list(teacher, brook, concernID)
	a := list["attachments"].([]any)[0].(map[string]any)
	if a["status"] != "rejected" || !strings.Contains(a["reason"].(string), "not application/pdf") {
		t.Errorf("listed %v", a)
	}
	if w.objectExists(concerns.ObjectKey(brook, concernID, concerns.AttachmentID(body["id"].(string)))) {
		t.Error("the rejected file is still in the bucket")
	}
}

func TestRule_C6_VerifiedFileOverwrittenWithOtherBytesIsDeleted(t *testing.T) {
	w := newWorld(t)
	_, body := w.request(teacher, brook, concernID, pdfRequest(len(pdf)))
	url := body["uploadUrl"].(string)
	if code := upload(t, url, "application/pdf", pdf); code != 200 {
		t.Fatalf("upload: %d", code)
	}
	w.waitChecked()
	// The URL is still valid: the same size in other bytes is caught by the same check.
	fake := []byte(strings.Repeat("<", len(pdf)))
	if code := upload(t, url, "application/pdf", fake); code != 200 {
		t.Fatalf("second upload: %d", code)
	}
	w.waitChecked()
	if w.objectExists(concerns.ObjectKey(brook, concernID, concerns.AttachmentID(body["id"].(string)))) {
		t.Error("the overwritten file is still in the bucket")
	}
}

func TestRule_C6_UploadWithAnotherTypeOrSizeIsRefusedBySignature(t *testing.T) {
	w := newWorld(t)
	_, body := w.request(teacher, brook, concernID, pdfRequest(len(pdf)))
	url := body["uploadUrl"].(string)
	if code := upload(t, url, "text/html", pdf); code != 403 {
		t.Errorf("another content type: %d, want 403", code)
	}
	if code := upload(t, url, "application/pdf", append(pdf, "more bytes"...)); code != 403 {
		t.Errorf("another size: %d, want 403", code)
	}
	select {
	case err := <-w.checked:
		t.Errorf("a refused upload reached the check: %v", err)
	default:
	}
	_, list := w.list(teacher, brook, concernID)
	if a := list["attachments"].([]any)[0].(map[string]any); a["status"] != "pending" {
		t.Errorf("listed %v", a)
	}
}

func TestRule_C6_UploadURLForAnotherSchoolsConcernIsRefused(t *testing.T) {
	w := newWorld(t)
	before := w.items()
	// Path school B, concern of school A: by a DSL of school B, and by the concern's author.
	if resp, _ := w.request(hillDSL, hill, concernID, pdfRequest(len(pdf))); resp.StatusCode != 404 {
		t.Errorf("school B's DSL: %d %s, want 404", resp.StatusCode, resp.Body)
	}
	if resp, _ := w.request(teacher, hill, concernID, pdfRequest(len(pdf))); resp.StatusCode != 403 && resp.StatusCode != 404 {
		t.Errorf("the author under school B: %d %s", resp.StatusCode, resp.Body)
	}
	// School A's path by school B's DSL.
	if resp, _ := w.request(hillDSL, brook, concernID, pdfRequest(len(pdf))); resp.StatusCode != 403 && resp.StatusCode != 404 {
		t.Errorf("school B's DSL under school A: %d %s", resp.StatusCode, resp.Body)
	}
	if resp, _ := w.list(hillDSL, hill, concernID); resp.StatusCode != 404 {
		t.Errorf("list by school B: %d %s", resp.StatusCode, resp.Body)
	}
	if after := w.items(); !maps.Equal(before, after) {
		t.Errorf("items %v -> %v: a refused request wrote something", before, after)
	}
}

func TestRule_C6_StaffWhoMayNotSeeTheConcernGetNotFound(t *testing.T) {
	w := newWorld(t)
	before := w.items()
	if resp, _ := w.request(colleague, brook, concernID, pdfRequest(len(pdf))); resp.StatusCode != 404 {
		t.Errorf("request by a colleague (P2): %d %s, want 404", resp.StatusCode, resp.Body)
	}
	if resp, _ := w.list(colleague, brook, concernID); resp.StatusCode != 404 {
		t.Errorf("list by a colleague (P2): %d %s, want 404", resp.StatusCode, resp.Body)
	}
	if resp, _ := w.request(teacher, brook, "01JNOSUCHCONCERN0000000000", pdfRequest(len(pdf))); resp.StatusCode != 404 {
		t.Errorf("no such concern: %d", resp.StatusCode)
	}
	if after := w.items(); !maps.Equal(before, after) {
		t.Errorf("items %v -> %v", before, after)
	}
}

func TestRule_C6_SameIdempotencyKeyGivesTheSameAttachment(t *testing.T) {
	w := newWorld(t)
	key := map[string]string{"Idempotency-Key": "attach-1"}
	path := "/api/schools/" + brook + "/concerns/" + concernID + "/attachments"
	r1, b1 := w.do(event("POST", path, teacher, pdfRequest(len(pdf)), at("10:00"), key))
	r2, b2 := w.do(event("POST", path, teacher, pdfRequest(len(pdf)), at("10:01"), key))
	if r1.StatusCode != 201 || r2.StatusCode != 201 || b1["id"] != b2["id"] || b2["uploadUrl"] == nil {
		t.Fatalf("replay: %d %v / %d %v", r1.StatusCode, b1, r2.StatusCode, b2)
	}
	if r3, _ := w.do(event("POST", path, teacher, pdfRequest(len(pdf)+1), at("10:02"), key)); r3.StatusCode != 422 {
		t.Errorf("reused key: %d", r3.StatusCode)
	}
	if n := w.items()["attachment"]; n != 1 {
		t.Errorf("%d attachments", n)
	}
}
