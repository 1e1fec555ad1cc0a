package stack

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

func startTestS3(t *testing.T, created chan<- events.S3Event) (*S3, *s3.Client) {
	t.Helper()
	root, err := filepath.Abs("../../..")
	if err != nil {
		t.Fatal(err)
	}
	s, err := StartS3(context.Background(), S3Options{Root: root, Buckets: []string{"b"}, CORSOrigin: "http://127.0.0.1:8080",
		Credentials:     map[string]string{accessKeyID: secretKey},
		OnObjectCreated: func(_ context.Context, ev events.S3Event) { created <- ev }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	client := s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(s.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretKey, "")})
	return s, client
}

func presignPut(t *testing.T, c *s3.Client, key, contentType string, size int64) string {
	t.Helper()
	req, err := s3.NewPresignClient(c).PresignPutObject(context.Background(), &s3.PutObjectInput{
		Bucket: aws.String("b"), Key: aws.String(key), ContentType: aws.String(contentType), ContentLength: aws.Int64(size),
	}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	return req.URL
}

func put(t *testing.T, url, contentType, body string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
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
	return resp
}

// The local S3 checks signatures as S3 does (s3rver alone accepts any V4 signature), so a
// presigned PUT's content type and length hold, and it notifies of each object written.
func TestLocalS3ChecksPresignedURLsAndNotifiesOfNewObjects(t *testing.T) {
	created := make(chan events.S3Event, 4)
	s, client := startTestS3(t, created)
	body := "%PDF-1.7 hello"
	url := presignPut(t, client, "schools/a/concerns/c/x", "application/pdf", int64(len(body)))

	if resp := put(t, url, "text/html", body); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another content type: %d", resp.StatusCode)
	}
	if resp := put(t, url, "application/pdf", body+"more"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another length: %d", resp.StatusCode)
	}
	if resp := put(t, strings.Replace(url, "/x?", "/y?", 1), "application/pdf", body); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another key: %d", resp.StatusCode)
	}
	if resp := put(t, s.Endpoint+"/b/unsigned", "application/pdf", body); resp.StatusCode != http.StatusForbidden {
		t.Errorf("unsigned: %d", resp.StatusCode)
	}
	select {
	case ev := <-created:
		t.Fatalf("a refused upload was notified: %+v", ev)
	default:
	}
	if resp := put(t, url, "application/pdf", body); resp.StatusCode != http.StatusOK {
		t.Fatalf("the signed upload: %d", resp.StatusCode)
	}
	select {
	case ev := <-created:
		r := ev.Records[0]
		if r.EventName != "ObjectCreated:Put" || r.S3.Bucket.Name != "b" || r.S3.Object.Key != "schools/a/concerns/c/x" || r.S3.Object.Size != int64(len(body)) {
			t.Errorf("event %+v", r)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}

	// The SDK's own requests (signed in the header) work: read a range, then delete.
	out, err := client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("schools/a/concerns/c/x"), Range: aws.String("bytes=0-4")})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := io.ReadAll(out.Body)
	_ = out.Body.Close()
	if string(head) != "%PDF-" {
		t.Errorf("range read %q", head)
	}
	if _, err := client.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String("schools/a/concerns/c/x")}); err != nil {
		t.Fatal(err)
	}
	wrong := s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(s.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, "not the secret", "")})
	if _, err := wrong.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String("k")}); err == nil || !strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("a wrong secret: %v", err)
	}
}

func TestLocalS3WithoutS3rverSaysHowToInstallIt(t *testing.T) {
	_, err := StartS3(context.Background(), S3Options{Root: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "npm ci") {
		t.Errorf("%v", err)
	}
}

// The whole path through the real bootstraps: the gateway, the AttachmentsFunction's upload
// URL for its local S3, a browser-like PUT, the stack's S3 notification to the function, and
// the verified attachment listed (rule C6).
func TestRule_C6_AttachmentThroughTheLocalStack(t *testing.T) {
	if testing.Short() {
		t.Skip("builds every function")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// The bootstraps first, so that DynamoDB Local does not start beside a build of them all.
	tplPath := filepath.Join("..", "..", "..", "template.yaml")
	tpl, err := template.Load(tplPath)
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join("..", "..", "..", "functions")
	bin := prebuilt(src, tpl.Functions()) // `make test` built them once for every test binary
	if bin == "" {
		bin = t.TempDir()
		if err := build(ctx, src, bin, tpl.Functions()); err != nil {
			t.Fatal(err)
		}
	}
	s, err := Start(ctx, Config{InMemory: true, DisableScheduler: true, Template: tplPath, BinDir: bin,
		FunctionOutput: io.Discard, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tok := tokenFor(t, s, dslEmail)
	resp, b := do(t, "GET", s.URL+"/api/schools/brook-lane/pupils?q=a", tok, nil)
	var pupils struct{ Pupils []struct{ ID string } }
	if err := json.Unmarshal(b, &pupils); err != nil || resp.StatusCode != 200 || len(pupils.Pupils) == 0 {
		t.Fatalf("pupils: %d %s", resp.StatusCode, b)
	}
	concern := `{"pupilIds":["` + pupils.Pupils[0].ID + `"],"category":"wellbeing","details":"Upset at break."}`
	resp, b = do(t, "POST", s.URL+"/api/schools/brook-lane/concerns", tok, strings.NewReader(concern), "Content-Type", "application/json")
	var rec struct{ ID string }
	if err := json.Unmarshal(b, &rec); err != nil || resp.StatusCode != 201 {
		t.Fatalf("concern: %d %s", resp.StatusCode, b)
	}
	pdf := "%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
	path := s.URL + "/api/schools/brook-lane/concerns/" + rec.ID + "/attachments"
	resp, b = do(t, "POST", path, tok, strings.NewReader(`{"fileName":"notes.pdf","contentType":"application/pdf","size":`+strconv.Itoa(len(pdf))+`}`),
		"Content-Type", "application/json")
	var up struct{ UploadURL, Status string }
	if err := json.Unmarshal(b, &up); err != nil || resp.StatusCode != 201 || up.Status != "pending" || !strings.HasPrefix(up.UploadURL, s.S3Endpoint) {
		t.Fatalf("upload request: %d %s", resp.StatusCode, b)
	}
	if r := put(t, up.UploadURL, "application/pdf", pdf); r.StatusCode != 200 {
		t.Fatalf("upload: %d", r.StatusCode)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		_, b = do(t, "GET", path, tok, nil)
		if strings.Contains(string(b), `"status":"verified"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never verified: %s", b)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// As in AWS, a bucket notifies only the functions whose S3 events name it, and only of the
// keys their filters take: a file attached to a concern goes to the attachments function, an
// uploaded export to the imports function, an audit anchor to nobody.
func TestEachBucketNotifiesOnlyTheFunctionsThatNameIt(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	targets := s3Targets(tpl, tpl.Functions())
	for _, c := range []struct{ bucket, key, want string }{
		{AttachmentsBucket, "schools/brook-lane/concerns/C1/A1", "AttachmentsFunction"},
		{AttachmentsBucket, "imports/brook-lane/I1.csv", "ImportsFunction"},
		{AuditAnchorsBucket, "schools/brook-lane/audit-seals/2026-11-23.json", ""},
	} {
		var got []string
		for _, t := range targets {
			if t.wants(c.bucket, c.key) {
				got = append(got, t.function)
			}
		}
		if strings.Join(got, ",") != c.want {
			t.Errorf("%s/%s goes to %v, want %q", c.bucket, c.key, got, c.want)
		}
	}
}
