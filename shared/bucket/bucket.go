// Package bucket signs the URLs of the private attachments bucket (rule C6): an upload, an
// HTTP PUT of one object with exactly the Content-Type and Content-Length signed, which S3
// refuses when either differs; and a read, an HTTP GET of one version of an object that the
// browser saves as a download. It also sends such signed requests itself (Get, Put), for a
// function that reads and writes a few whole objects: the web function's archive of a
// pupil's file sent outside the federation (rule S5).
//
// It signs with the SDK's Signature Version 4 signer, as the S3 client's presigner does, so
// that the web function, which needs nothing else of S3, does not link the whole S3 client:
// its package initialisation and size alone add about 3 ms to every cold start.
package bucket

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// unsignedPayload is what a presigned URL signs in place of the body's hash, which is not
// known when the URL is made.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// Signer signs URLs for one bucket.
type Signer struct {
	name     string
	region   string
	endpoint *url.URL // the local stack's S3, addressed by path; nil for S3 itself
	creds    aws.CredentialsProvider
	signer   *v4.Signer
	now      func() time.Time
	client   *http.Client
}

// requestValidity is how long the signature of a request the Signer sends itself lasts.
const requestValidity = 5 * time.Minute

// New is the bucket name in cfg's region, signed for with cfg's credentials. An endpoint
// (the local stack's S3, from AWS_ENDPOINT_URL_S3) addresses the bucket by path, as a loopback
// address needs; with none the bucket's own virtual-hosted address in its region is used.
func New(cfg aws.Config, name, endpoint string) (Signer, error) {
	s := Signer{name: name, region: cfg.Region, creds: cfg.Credentials, now: time.Now,
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true }), client: http.DefaultClient}
	if name == "" || cfg.Region == "" || cfg.Credentials == nil {
		return s, errors.New("bucket: a name, a region and credentials are needed")
	}
	if endpoint != "" {
		e, err := url.Parse(endpoint)
		if err != nil || e.Host == "" || (e.Scheme != "http" && e.Scheme != "https") {
			return s, errors.New("bucket: the S3 endpoint is not an http(s) address: " + endpoint)
		}
		s.endpoint = e
	}
	return s, nil
}

// Origin is where the browser sends files, for the pages' Content Security Policy.
func (s Signer) Origin() string {
	if s.endpoint != nil {
		return s.endpoint.Scheme + "://" + s.endpoint.Host
	}
	return "https://" + s.name + ".s3." + s.region + ".amazonaws.com"
}

// PresignUpload signs a PUT of key with its Content-Type and Content-Length, valid for
// validFor. The bucket's default encryption (KMS) applies, so no encryption header is asked
// of the browser.
func (s Signer) PresignUpload(ctx context.Context, key, contentType string, size int64, validFor time.Duration) (string, error) {
	if size <= 0 {
		return "", errors.New("bucket: an upload must have a size, which the URL signs")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.objectURL(key, url.Values{}, validFor), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", contentType)
	req.ContentLength = size
	return s.presign(ctx, req)
}

// PresignOpen signs a GET of one version of key ("" for the latest), valid for validFor, whose
// answer the browser saves as fileName with contentType (S3's response-content-* parameters,
// which the signature covers).
func (s Signer) PresignOpen(ctx context.Context, key, version, fileName, contentType string, validFor time.Duration) (string, error) {
	q := url.Values{}
	if version != "" {
		q.Set("versionId", version)
	}
	q.Set("response-content-disposition", mime.FormatMediaType("attachment", map[string]string{"filename": fileName}))
	q.Set("response-content-type", contentType)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.objectURL(key, q, validFor), nil)
	if err != nil {
		return "", err
	}
	return s.presign(ctx, req)
}

// objectURL is the address of key, with query and how long the signature lasts.
func (s Signer) objectURL(key string, query url.Values, validFor time.Duration) string {
	target := &url.URL{Scheme: "https", Host: s.name + ".s3." + s.region + ".amazonaws.com"}
	prefix := ""
	if s.endpoint != nil {
		target = &url.URL{Scheme: s.endpoint.Scheme, Host: s.endpoint.Host}
		prefix = strings.TrimRight(s.endpoint.Path, "/") + "/" + s.name
	}
	// The key is escaped once, as S3 expects it in the signed path (the signer escapes nothing
	// more).
	target.Path = prefix + "/" + key
	target.RawPath = prefix + "/" + httpbinding.EscapePath(key, false)
	query.Set("X-Amz-Expires", strconv.Itoa(int(validFor/time.Second)))
	target.RawQuery = query.Encode()
	return target.String()
}

func (s Signer) presign(ctx context.Context, req *http.Request) (string, error) {
	creds, err := s.creds.Retrieve(ctx)
	if err != nil {
		return "", err
	}
	signed, _, err := s.signer.PresignHTTP(ctx, creds, req, unsignedPayload, "s3", s.region, s.now())
	return signed, err
}

// Get reads one version of key ("" for the latest) with a signed GET; the caller closes the
// body.
func (s Signer) Get(ctx context.Context, key, version string) (io.ReadCloser, error) {
	q := url.Values{}
	if version != "" {
		q.Set("versionId", version)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.objectURL(key, q, requestValidity), nil)
	if err != nil {
		return nil, err
	}
	resp, err := s.send(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	return resp.Body, nil
}

// Put writes body as key with a signed PUT and returns the version S3 gave it ("" in a bucket
// without versions).
func (s Signer) Put(ctx context.Context, key, contentType string, body []byte) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, s.objectURL(key, url.Values{}, requestValidity), bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", contentType)
	req.ContentLength = int64(len(body))
	resp, err := s.send(ctx, req)
	if err != nil {
		return "", fmt.Errorf("writing %s: %w", key, err)
	}
	_ = resp.Body.Close()
	return resp.Header.Get("X-Amz-Version-Id"), nil
}

// send signs req (its URL carries the signature) and sends it; any answer but 200 is an error
// carrying S3's status, never the object's key or content.
func (s Signer) send(ctx context.Context, req *http.Request) (*http.Response, error) {
	signed, err := s.presign(ctx, req)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(signed)
	if err != nil {
		return nil, err
	}
	req.URL = u
	resp, err := s.client.Do(req) // #nosec G704 -- the address is the configured bucket's (its name and endpoint come from the function's environment), for a key the product made
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
		return nil, fmt.Errorf("S3 answered %s", resp.Status)
	}
	return resp, nil
}
