package stack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// sent is one request as the SDK client sent it.
type sent struct {
	method, url string
	header      http.Header
	body        []byte
}

// recordingClient sends the SDK's requests and keeps a copy of the last one.
type recordingClient struct {
	mu   sync.Mutex
	last sent
}

func (c *recordingClient) Do(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	c.mu.Lock()
	c.last = sent{r.Method, r.URL.String(), r.Header.Clone(), body}
	c.mu.Unlock()
	return http.DefaultClient.Do(r)
}

// sigV4Server answers 200 to a request whose signature verifies at now(), else S3's error.
func sigV4Server(t *testing.T, now func() time.Time) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := verifySigV4(r, map[string]string{accessKeyID: secretKey}, now()); err != nil {
			writeS3Error(w, err.(*s3Error))
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// send makes a request and returns its status and S3 error code.
func send(t *testing.T, method, url string, header http.Header, body []byte) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if header != nil {
		req.Header = header
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	_, code, _ := strings.Cut(string(b), "<Code>")
	code, _, _ = strings.Cut(code, "</Code>")
	return resp.StatusCode, code
}

// The SDK's own client is accepted, requests signed in the header and presigned URLs alike,
// and a request changed after it was signed (its body, a signed header, its path or query) is
// refused; headers it did not sign may change.
func TestSigV4AcceptsTheSDKsRequestsAndRefusesTamperedOnes(t *testing.T) {
	var mu sync.Mutex
	now := time.Now()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	srv := sigV4Server(t, clock)
	rec := &recordingClient{}
	client := func(secret string) *s3.Client {
		return s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true, HTTPClient: rec,
			Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secret, "")})
	}
	c := client(secretKey)
	ctx := context.Background()
	key := "schools/brook-lane/concerns/c1/notes (1).pdf"
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String(key),
		Body: strings.NewReader("%PDF-1.7 notes"), ContentType: aws.String("application/pdf")}); err != nil {
		t.Fatalf("PutObject: %v", err)
	}
	put := rec.last
	if _, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(key),
		Range: aws.String("bytes=0-4"), VersionId: aws.String("v 1")}); err != nil {
		t.Fatalf("GetObject: %v", err)
	}
	get := rec.last
	if _, err := client("not the secret").DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("b"), Key: aws.String(key)}); err == nil ||
		!strings.Contains(err.Error(), "SignatureDoesNotMatch") {
		t.Errorf("a wrong secret: %v", err)
	}

	with := func(s sent, k, v string) http.Header {
		h := s.header.Clone()
		h.Set(k, v)
		return h
	}
	otherBody := []byte("%PDF-1.7 notez")
	otherSum := sha256.Sum256(otherBody)
	for _, tc := range []struct {
		name   string
		method string
		url    string
		header http.Header
		body   []byte
		status int
		code   string
	}{
		{"the PUT again", put.method, put.url, put.header, put.body, 200, ""},
		{"a header it did not sign", put.method, put.url, with(put, "X-Forwarded-For", "10.0.0.1"), put.body, 200, ""},
		{"another body", put.method, put.url, put.header, otherBody, 400, "XAmzContentSHA256Mismatch"},
		{"another body and its hash", put.method, put.url, with(put, "X-Amz-Content-Sha256", hex.EncodeToString(otherSum[:])), otherBody, 403, "SignatureDoesNotMatch"},
		{"another content type", put.method, put.url, with(put, "Content-Type", "text/html"), put.body, 403, "SignatureDoesNotMatch"},
		{"another key", put.method, strings.Replace(put.url, "notes%20", "notez%20", 1), put.header, put.body, 403, "SignatureDoesNotMatch"},
		{"another method", http.MethodPost, put.url, put.header, put.body, 403, "SignatureDoesNotMatch"},
		{"the GET again", get.method, get.url, get.header, nil, 200, ""},
		{"another range", get.method, get.url, with(get, "Range", "bytes=0-99"), nil, 403, "SignatureDoesNotMatch"},
		{"another version", get.method, strings.Replace(get.url, "v%201", "v%202", 1), get.header, nil, 403, "SignatureDoesNotMatch"},
		{"unsigned", get.method, get.url, http.Header{}, nil, 403, "AccessDenied"},
	} {
		if status, code := send(t, tc.method, tc.url, tc.header, tc.body); status != tc.status || code != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, status, code, tc.status, tc.code)
		}
	}

	// Presigned URLs: a PUT signs its Content-Type and Content-Length, a GET its query (the
	// name the browser saves the file under).
	pc := s3.NewPresignClient(s3.New(s3.Options{Region: Region, BaseEndpoint: aws.String(srv.URL), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretKey, "")}))
	body := []byte("%PDF-1.7 notes")
	up, err := pc.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("b"), Key: aws.String(key),
		ContentType: aws.String("application/pdf"), ContentLength: aws.Int64(int64(len(body)))}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	open, err := pc.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("b"), Key: aws.String(key),
		ResponseContentDisposition: aws.String(`attachment; filename="notes (1).pdf"`)}, s3.WithPresignExpires(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	// As the application signs its download links: the signer on its own, the key escaped once
	// and not again, the query form-encoded (a space as "+").
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/b/notes%20%281%29.pdf?X-Amz-Expires=60&response-content-disposition=attachment%3B+filename%3D%22notes+%281%29.pdf%22", nil)
	link, _, err := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }).PresignHTTP(ctx, aws.Credentials{AccessKeyID: accessKeyID, SecretAccessKey: secretKey}, req,
		"UNSIGNED-PAYLOAD", "s3", Region, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pdf := http.Header{"Content-Type": {"application/pdf"}}
	for _, tc := range []struct {
		name   string
		method string
		url    string
		header http.Header
		body   []byte
		status int
	}{
		{"the presigned PUT", http.MethodPut, up.URL, pdf, body, 200},
		{"the presigned PUT, another content type", http.MethodPut, up.URL, http.Header{"Content-Type": {"text/html"}}, body, 403},
		{"the presigned PUT, another length", http.MethodPut, up.URL, pdf, append(body, '!'), 403},
		{"the presigned PUT, another key", http.MethodPut, strings.Replace(up.URL, "notes%20", "notez%20", 1), pdf, body, 403},
		{"the presigned GET", http.MethodGet, open.URL, nil, nil, 200},
		{"the presigned GET, another file name", http.MethodGet, strings.Replace(open.URL, "notes%20", "evil%20", 1), nil, nil, 403},
		{"the presigned GET as a DELETE", http.MethodDelete, open.URL, nil, nil, 403},
		{"a download link", http.MethodGet, link, nil, nil, 200},
		{"a download link, another file name", http.MethodGet, strings.Replace(link, "%22notes", "%22evil", 1), nil, nil, 403},
	} {
		if status, _ := send(t, tc.method, tc.url, tc.header, tc.body); status != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, status, tc.status)
		}
	}
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	if status, code := send(t, http.MethodGet, open.URL, nil, nil); status != 403 || code != "AccessDenied" {
		t.Errorf("an expired URL: %d %s", status, code)
	}
	mu.Lock()
	now = now.Add(15 * time.Minute)
	mu.Unlock()
	if status, code := send(t, get.method, get.url, get.header, nil); status != 403 || code != "RequestTimeTooSkewed" {
		t.Errorf("a request signed 17 minutes ago: %d %s", status, code)
	}
}
