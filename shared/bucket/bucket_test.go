package bucket

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
)

const testBucket = "attachments-test"

func config(secret string) aws.Config {
	return aws.Config{Region: "eu-west-2", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", secret, "session-token")}
}

func put(t *testing.T, signed, contentType, body string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, signed, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// The local S3 checks Signature Version 4 as S3 does: the signed URL takes exactly the file
// it was signed for, under its key, until it expires.
func TestURLsTakeAndGiveOnlyTheSignedFile(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	local, err := stack.StartS3(context.Background(), stack.S3Options{Root: root, Buckets: []string{testBucket},
		Credentials: map[string]string{"AKIDTEST": "test-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(local.Close)
	u, err := New(config("test-secret"), testBucket, local.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	body := "%PDF-1.7 notes"
	for _, key := range []string{"schools/brook-lane/concerns/01JCONCERN/01JFILE", "schools/brook-lane/concerns/01JCONCERN/notes (1).pdf"} {
		signed, err := u.PresignUpload(ctx, key, "application/pdf", int64(len(body)), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		if got := put(t, signed, "text/html", body); got != http.StatusForbidden {
			t.Errorf("%s: another content type got %d, want 403", key, got)
		}
		if got := put(t, signed, "application/pdf", body+" and more"); got != http.StatusForbidden {
			t.Errorf("%s: another length got %d, want 403", key, got)
		}
		if got := put(t, signed, "application/pdf", body); got != http.StatusOK {
			t.Errorf("%s: the signed file got %d, want 200", key, got)
		}
		// Opened: the file, as a download under the name given.
		open, err := u.PresignOpen(ctx, key, "", "attachment-01JFILE.pdf", "application/pdf", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.Get(open)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK || string(got) != body || resp.Header.Get("Content-Disposition") != "attachment; filename=attachment-01JFILE.pdf" {
			t.Errorf("%s: opened %d %q as %q", key, resp.StatusCode, got, resp.Header.Get("Content-Disposition"))
		}
		changed, err := http.Get(strings.Replace(open, "attachment%3B", "inline%3B", 1))
		if err != nil {
			t.Fatal(err)
		}
		_ = changed.Body.Close()
		if changed.StatusCode != http.StatusForbidden {
			t.Errorf("%s: a changed disposition got %d, want 403", key, changed.StatusCode)
		}
	}

	expired := u
	expired.now = func() time.Time { return time.Now().Add(-2 * time.Minute) }
	signed, err := expired.PresignUpload(ctx, "schools/brook-lane/concerns/01JCONCERN/01JLATE", "image/png", 4, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := put(t, signed, "image/png", "\x89PNG"); got != http.StatusForbidden {
		t.Errorf("an expired URL got %d, want 403", got)
	}

	forged, err := New(config("not-the-secret"), testBucket, local.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	signed, err = forged.PresignUpload(ctx, "schools/brook-lane/concerns/01JCONCERN/01JFORGED", "image/png", 4, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if got := put(t, signed, "image/png", "\x89PNG"); got != http.StatusForbidden {
		t.Errorf("a URL signed with the wrong secret got %d, want 403", got)
	}

	// The signer's own requests: a whole object written, then read back; nothing with the
	// wrong secret.
	const archive = "transfers/brook-lane/01JTRANSFER/01JVERSION.zip"
	if _, err := u.Put(ctx, archive, "application/zip", []byte("PK\x03\x04 the archive")); err != nil {
		t.Fatalf("Put: %v", err)
	}
	r, err := u.Get(ctx, archive, "")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	got, _ := io.ReadAll(r)
	_ = r.Close()
	if string(got) != "PK\x03\x04 the archive" {
		t.Errorf("read back %q", got)
	}
	if _, err := forged.Put(ctx, archive, "application/zip", []byte("forged")); err == nil || strings.Contains(err.Error(), "forged") {
		t.Errorf("a Put with the wrong secret: %v", err)
	}
	if _, err := forged.Get(ctx, archive, ""); err == nil {
		t.Error("a Get with the wrong secret read the object")
	}
	if _, err := u.Get(ctx, "transfers/brook-lane/none.zip", ""); err == nil {
		t.Error("a Get of no object gave no error")
	}
}

// On AWS the URLs are the ones the S3 client's presigner makes: the bucket's virtual-hosted
// address in its region, the same path and the same signed headers. The pages' Content
// Security Policy allows its origin.
func TestURLsAreTheS3Presigners(t *testing.T) {
	ctx := context.Background()
	const key, size = "schools/brook-lane/concerns/01JCONCERN/01JFILE", 2048
	u, err := New(config("secret"), testBucket, "")
	if err != nil {
		t.Fatal(err)
	}
	ours, err := u.PresignUpload(ctx, key, "image/jpeg", size, 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	sdk, err := s3.NewPresignClient(s3.NewFromConfig(config("secret"))).PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: aws.String(testBucket), Key: aws.String(key), ContentType: aws.String("image/jpeg"), ContentLength: aws.Int64(size),
	}, s3.WithPresignExpires(15*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	o, _ := url.Parse(ours)
	s, _ := url.Parse(sdk.URL)
	if o.Scheme+"://"+o.Host != s.Scheme+"://"+s.Host || o.EscapedPath() != s.EscapedPath() {
		t.Errorf("our URL goes to %s://%s%s, the SDK's to %s://%s%s", o.Scheme, o.Host, o.EscapedPath(), s.Scheme, s.Host, s.EscapedPath())
	}
	for _, p := range []string{"X-Amz-Algorithm", "X-Amz-Expires", "X-Amz-SignedHeaders", "X-Amz-Security-Token"} {
		if o.Query().Get(p) != s.Query().Get(p) {
			t.Errorf("%s: ours %q, the SDK's %q", p, o.Query().Get(p), s.Query().Get(p))
		}
	}
	if got := o.Query().Get("X-Amz-SignedHeaders"); got != "content-length;content-type;host" {
		t.Errorf("signed headers %q, want the length, the type and the host", got)
	}
	if got := u.Origin(); got != "https://"+testBucket+".s3.eu-west-2.amazonaws.com" || got != o.Scheme+"://"+o.Host {
		t.Errorf("origin %q for a URL to %s", got, o.Host)
	}
	// The URL to open a version of a file is the presigner's too.
	ours, err = u.PresignOpen(ctx, key, "v3", "attachment-01JFILE.jpg", "image/jpeg", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	get, err := s3.NewPresignClient(s3.NewFromConfig(config("secret"))).PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(testBucket), Key: aws.String(key), VersionId: aws.String("v3"),
		ResponseContentDisposition: aws.String("attachment; filename=attachment-01JFILE.jpg"), ResponseContentType: aws.String("image/jpeg"),
	}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	o, _ = url.Parse(ours)
	s, _ = url.Parse(get.URL)
	if o.Host != s.Host || o.EscapedPath() != s.EscapedPath() {
		t.Errorf("our URL goes to %s%s, the SDK's to %s%s", o.Host, o.EscapedPath(), s.Host, s.EscapedPath())
	}
	for _, p := range []string{"versionId", "response-content-disposition", "response-content-type", "X-Amz-Expires", "X-Amz-SignedHeaders"} {
		if o.Query().Get(p) != s.Query().Get(p) {
			t.Errorf("%s: ours %q, the SDK's %q", p, o.Query().Get(p), s.Query().Get(p))
		}
	}

	local, err := New(config("secret"), testBucket, "http://127.0.0.1:4569")
	if err != nil {
		t.Fatal(err)
	}
	if got := local.Origin(); got != "http://127.0.0.1:4569" {
		t.Errorf("the local origin is %q", got)
	}
}

func TestNewRefusesWhatCannotSign(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg      aws.Config
		bucket   string
		endpoint string
	}{
		"no bucket":       {config("s"), "", ""},
		"no region":       {aws.Config{Credentials: config("s").Credentials}, testBucket, ""},
		"no credentials":  {aws.Config{Region: "eu-west-2"}, testBucket, ""},
		"not an address":  {config("s"), testBucket, "127.0.0.1:4569"},
		"not http, https": {config("s"), testBucket, "ftp://127.0.0.1"},
	} {
		if _, err := New(tc.cfg, tc.bucket, tc.endpoint); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	u, _ := New(config("s"), testBucket, "")
	if _, err := u.PresignUpload(context.Background(), "k", "image/png", 0, time.Minute); err == nil {
		t.Error("an empty upload was signed")
	}
}
