package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/bucket"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

const testBucketName = "keepsafe-test"

// testBucket signs real upload URLs for a bucket on an address nobody serves: the handler
// tests check the URLs and record arrivals through the use case.
func testBucket() bucket.Signer {
	u, err := bucket.New(aws.Config{Region: "eu-west-2",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDWEBTEST", "web-test-secret", "")}, testBucketName, "http://127.0.0.1:9")
	if err != nil {
		panic(err)
	}
	return u
}

// localBucket starts a local S3 for the test (it checks every request's signature as S3 does)
// and returns the bucket signed for as testBucket signs, and the S3's address.
func localBucket(t *testing.T) (bucket.Signer, string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	apitest.Must(t, err)
	s3, err := stack.StartS3(context.Background(), stack.S3Options{Root: root, Buckets: []string{testBucketName},
		Credentials: map[string]string{"AKIDWEBTEST": "web-test-secret"}})
	apitest.Must(t, err)
	t.Cleanup(s3.Close)
	u, err := bucket.New(aws.Config{Region: "eu-west-2",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDWEBTEST", "web-test-secret", "")}, testBucketName, s3.Endpoint)
	apitest.Must(t, err)
	return u, s3.Endpoint
}

// askUpload posts the page script's request for an upload URL as email.
func askUpload(t *testing.T, h *Handler, concern, email, key, name, ctype, size string, at time.Time) (int, uploadAnswer) {
	t.Helper()
	resp := post(t, h, concern+"/attachments", email, url.Values{"key": {key}, "file-name": {name}, "content-type": {ctype}, "size": {size}}, at)
	var a uploadAnswer
	if err := json.Unmarshal([]byte(resp.Body), &a); err != nil && resp.StatusCode != http.StatusForbidden {
		t.Fatalf("the answer is not JSON (%d): %s", resp.StatusCode, resp.Body)
	}
	if !strings.HasPrefix(resp.Headers["Content-Type"], "application/json") && resp.StatusCode != http.StatusForbidden {
		t.Errorf("the answer's type is %q", resp.Headers["Content-Type"])
	}
	return resp.StatusCode, a
}

// objectKeyOf is the object an upload URL puts.
func objectKeyOf(t *testing.T, upload string) string {
	t.Helper()
	u, err := url.Parse(upload)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := strings.CutPrefix(u.Path, "/"+testBucketName+"/")
	if !ok {
		t.Fatalf("the upload URL %s is not in the bucket", upload)
	}
	return key
}

// Rule C6: the author asks for an upload URL for a photo of their notes; it is signed for
// the concern's object, type and size; asking again with the same key gives the same
// attachment. The page lists it as being checked, then as the check decides: uploaded, or
// refused with the reason, or never received.
func TestRule_C6_AuthorUploadsAndThePageShowsEachFilesCheck(t *testing.T) {
	w := newWorld(t)
	h := w.h
	h.Config.UploadOrigin = "http://127.0.0.1:9"
	concern := recorded(t, h)
	id := concern[strings.LastIndex(concern, "/")+1:]
	at := monday1030.Add(10 * time.Minute)

	page := call(t, h, "GET", concern, tokenFor(teacher), nil, at)
	wantBody(t, "the author's concern page", page, http.StatusOK, `id="attachments"`, "No files attached.", `id="upload-form"`,
		`id="shred-reminder"`, "then shred the paper", "up to 10 MB", "Uploading a file needs JavaScript", "/upload.js")
	if csp := page.Headers["Content-Security-Policy"]; !strings.Contains(csp, "connect-src 'self' http://127.0.0.1:9;") {
		t.Errorf("the page may not send files to the bucket: %s", csp)
	}

	status, a := askUpload(t, h, concern, teacher, "k-1", "notes.jpg", "image/jpeg", "2048", at)
	if status != http.StatusCreated || a.ContentType != "image/jpeg" || !strings.Contains(a.UploadURL, "X-Amz-Signature=") ||
		!strings.HasPrefix(a.Next, concern+"?done=uploaded&attachment=") || !strings.HasSuffix(a.Next, "#attachments") {
		t.Fatalf("asking for an upload URL: %d %+v", status, a)
	}
	key := objectKeyOf(t, a.UploadURL)
	if !strings.HasPrefix(key, "schools/brook-lane/concerns/"+id+"/") {
		t.Errorf("the file goes to %s, not under its concern", key)
	}
	u, _ := url.Parse(a.UploadURL)
	if signed := u.Query().Get("X-Amz-SignedHeaders"); !strings.Contains(signed, "content-length") || !strings.Contains(signed, "content-type") {
		t.Errorf("the URL does not pin the type and size: signed headers %q", signed)
	}
	if again, b := askUpload(t, h, concern, teacher, "k-1", "notes.jpg", "image/jpeg", "2048", at.Add(time.Second)); again != http.StatusCreated || objectKeyOf(t, b.UploadURL) != key {
		t.Errorf("the same request again: %d, %s (first %s)", again, b.UploadURL, key)
	}
	if n := w.items("attachment"); n != 1 {
		t.Errorf("%d attachments after the same request twice, want 1", n)
	}
	page = call(t, h, "GET", concern+"?done=uploaded", tokenFor(teacher), nil, at.Add(time.Minute))
	wantBody(t, "the page after uploading", page, http.StatusOK, "File uploaded", "notes.jpg", "Photo or scan (JPEG), 2 KB", "Being checked")

	// The file arrives and passes the check (the attachments function's use case).
	check := concerns.Attachments{Store: w.st, NewID: store.NewID}
	jpeg := append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, make([]byte, 2044)...)
	if _, err := check.Verify(context.Background(), key, "", 2048, jpeg[:512], at.Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	// A "PDF" that is not one, and a file that never arrives.
	_, b := askUpload(t, h, concern, teacher, "k-2", "scan.pdf", "application/pdf", "1200", at.Add(3*time.Minute))
	if _, err := check.Verify(context.Background(), objectKeyOf(t, b.UploadURL), "", 1200, []byte("hello, not a PDF"), at.Add(4*time.Minute)); err != nil {
		t.Fatal(err)
	}
	askUpload(t, h, concern, teacher, "k-3", "page2.png", "image/png", "5000000", at.Add(5*time.Minute))

	page = call(t, h, "GET", concern, tokenFor(teacher), nil, at.Add(6*time.Minute))
	wantBody(t, "the list", page, http.StatusOK, "Uploaded", "scan.pdf", "Refused", "not a photo, scan or PDF",
		"page2.png", "Photo or scan (PNG), 4.8 MB", "Being checked")
	if i, j := strings.Index(page.Body, "notes.jpg"), strings.Index(page.Body, "page2.png"); i > j {
		t.Error("the attachments are not oldest first")
	}
	later := call(t, h, "GET", concern, tokenFor(dsl), nil, at.Add(time.Hour))
	wantBody(t, "the list an hour later, for the DSL", later, http.StatusOK, "Not received", "The upload did not finish", `id="upload-form"`)

	// The verified file is offered to open, the others are not; opening it sends the DSL to a
	// one-minute URL of that object, saved under its ID, and is audited.
	verified := key[strings.LastIndex(key, "/")+1:]
	open := concern + "/attachments/" + verified
	wantBody(t, "the DSL's list", later, http.StatusOK, `href="`+open+`"`, "Download<span class=\"govuk-visually-hidden\"> notes.jpg</span>")
	if n := strings.Count(later.Body, "app-open-attachment"); n != 1 {
		t.Errorf("%d files offered to open, want only the verified one", n)
	}
	audits := w.items("audit")
	resp := call(t, h, "GET", open, tokenFor(dsl), nil, at.Add(time.Hour))
	signed, _ := url.Parse(resp.Headers["Location"])
	if resp.StatusCode != http.StatusSeeOther || signed == nil || !strings.HasSuffix(signed.Path, "/"+key) ||
		signed.Query().Get("X-Amz-Expires") != "60" || signed.Query().Get("response-content-disposition") != "attachment; filename=attachment-"+verified+".jpg" {
		t.Fatalf("opening the file: %d %v", resp.StatusCode, resp.Headers)
	}
	if n := w.items("audit"); n != audits+1 {
		t.Errorf("audit entries %d -> %d, want one for the opening", audits, n)
	}
	refused := objectKeyOf(t, b.UploadURL)
	if resp := call(t, h, "GET", concern+"/attachments/"+refused[strings.LastIndex(refused, "/")+1:], tokenFor(dsl), nil, at.Add(time.Hour)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("opening a refused file: %d", resp.StatusCode)
	}
}

// Rule C6: a file of another type, too large, empty or misnamed is refused with a message
// that says what to do, and nothing is written.
func TestRule_C6_RefusedFilesGetAClearMessageAndNothingIsWritten(t *testing.T) {
	w := newWorld(t)
	h := w.h
	concern := recorded(t, h)
	at := monday1030.Add(10 * time.Minute)
	for _, tc := range []struct{ name, ctype, size, want string }{
		{"notes.txt", "text/plain", "100", "must be a JPEG, PNG or HEIC photo or scan, or a PDF"},
		{"video.mp4", "video/mp4", "5000", "must be a JPEG, PNG or HEIC photo or scan, or a PDF"},
		{"notes.jpg", "image/jpeg", "10485761", "must be 10 MB or smaller"},
		{"notes.jpg", "image/jpeg", "0", "must be 10 MB or smaller, and not empty"},
		{"notes.jpg", "image/jpeg", "lots", "must be 10 MB or smaller"},
		{"notes.exe", "image/jpeg", "100", "named as one"},
		{"", "application/pdf", "100", "named as one"},
	} {
		status, a := askUpload(t, h, concern, teacher, "k-"+tc.name+tc.size, tc.name, tc.ctype, tc.size, at)
		if status != http.StatusBadRequest || !strings.Contains(a.Message, tc.want) || a.UploadURL != "" {
			t.Errorf("%s (%s, %s bytes): %d %+v, want 400 saying %q", tc.name, tc.ctype, tc.size, status, a, tc.want)
		}
	}
	if n := w.items("attachment"); n != 0 {
		t.Errorf("%d attachments written for refused files", n)
	}
}

// Rules C6 and P2: the author or a DSL may attach; a member of staff tagged in the concern
// sees the list but no form and is refused; anyone who may not see it gets "not found"; the
// request needs the form token.
func TestRule_C6_OnlyTheAuthorOrADSLAttaches(t *testing.T) {
	w := newWorld(t)
	h := w.h
	f := validForm(h, tokenFor(teacher))
	f.Set("tag-staff", staff)
	loc := wantRedirect(t, post(t, h, "/schools/brook-lane/concerns", teacher, f, monday1030), "/schools/brook-lane/concerns/")
	concern, _, _ := strings.Cut(loc, "?")
	at := monday1030.Add(10 * time.Minute)

	page := call(t, h, "GET", concern, tokenFor(staff), nil, at)
	wantBody(t, "the tagged member of staff's page", page, http.StatusOK, `id="attachments"`)
	if strings.Contains(page.Body, `id="upload-form"`) {
		t.Error("a tagged member of staff is offered the upload")
	}
	for _, who := range []string{staff, outsider} {
		if status, a := askUpload(t, h, concern, who, "k-"+who, "notes.jpg", "image/jpeg", "100", at); status != http.StatusNotFound || a.UploadURL != "" {
			t.Errorf("%s asking to attach: %d %+v, want 404", who, status, a)
		}
	}
	resp := call(t, h, "POST", concern+"/attachments", tokenFor(teacher), url.Values{"key": {"k"}, "file-name": {"notes.jpg"},
		"content-type": {"image/jpeg"}, "size": {"100"}}, at, "Sec-Fetch-Site", "same-origin")
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a request without the form token: %d, want 403", resp.StatusCode)
	}
	if n := w.items("attachment"); n != 0 {
		t.Errorf("%d attachments written by refused requests", n)
	}
	if status, _ := askUpload(t, h, concern, dsl, "k-dsl", "notes.pdf", "application/pdf", "100", at); status != http.StatusCreated {
		t.Errorf("the DSL asking to attach: %d", status)
	}
}
