// Package bucket signs upload URLs for the private attachments bucket (rule C6): an HTTP PUT
// of one object with exactly the Content-Type and Content-Length signed, which S3 refuses
// when either differs.
//
// It signs with the SDK's Signature Version 4 signer, as the S3 client's presigner does, so
// that the web function, which needs nothing else of S3, does not link the whole S3 client:
// its package initialisation and size alone add about 3 ms to every cold start.
package bucket

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/smithy-go/encoding/httpbinding"
)

// unsignedPayload is what a presigned upload signs in place of the body's hash, which is not
// known when the URL is made.
const unsignedPayload = "UNSIGNED-PAYLOAD"

// Uploads signs upload URLs for one bucket.
type Uploads struct {
	name     string
	region   string
	endpoint *url.URL // the local stack's S3, addressed by path; nil for S3 itself
	creds    aws.CredentialsProvider
	signer   *v4.Signer
	now      func() time.Time
}

// New is the bucket name in cfg's region, signed for with cfg's credentials. An endpoint
// (the local stack's S3, from AWS_ENDPOINT_URL_S3) addresses the bucket by path, as a loopback
// address needs; with none the bucket's own virtual-hosted address in its region is used.
func New(cfg aws.Config, name, endpoint string) (Uploads, error) {
	u := Uploads{name: name, region: cfg.Region, creds: cfg.Credentials, now: time.Now,
		signer: v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })}
	if name == "" || cfg.Region == "" || cfg.Credentials == nil {
		return u, errors.New("bucket: a name, a region and credentials are needed")
	}
	if endpoint != "" {
		e, err := url.Parse(endpoint)
		if err != nil || e.Host == "" || (e.Scheme != "http" && e.Scheme != "https") {
			return u, errors.New("bucket: the S3 endpoint is not an http(s) address: " + endpoint)
		}
		u.endpoint = e
	}
	return u, nil
}

// Origin is where the browser sends files, for the pages' Content Security Policy.
func (u Uploads) Origin() string {
	if u.endpoint != nil {
		return u.endpoint.Scheme + "://" + u.endpoint.Host
	}
	return "https://" + u.name + ".s3." + u.region + ".amazonaws.com"
}

// PresignUpload signs a PUT of key with its Content-Type and Content-Length, valid for
// validFor. The bucket's default encryption (KMS) applies, so no encryption header is asked
// of the browser.
func (u Uploads) PresignUpload(ctx context.Context, key, contentType string, size int64, validFor time.Duration) (string, error) {
	if size <= 0 {
		return "", errors.New("bucket: an upload must have a size, which the URL signs")
	}
	creds, err := u.creds.Retrieve(ctx)
	if err != nil {
		return "", err
	}
	target := &url.URL{Scheme: "https", Host: u.name + ".s3." + u.region + ".amazonaws.com"}
	prefix := ""
	if u.endpoint != nil {
		target = &url.URL{Scheme: u.endpoint.Scheme, Host: u.endpoint.Host}
		prefix = strings.TrimRight(u.endpoint.Path, "/") + "/" + u.name
	}
	// The key is escaped once, as S3 expects it in the signed path (the signer escapes nothing
	// more).
	target.Path = prefix + "/" + key
	target.RawPath = prefix + "/" + httpbinding.EscapePath(key, false)
	target.RawQuery = "X-Amz-Expires=" + strconv.Itoa(int(validFor/time.Second))

	req, err := http.NewRequestWithContext(ctx, http.MethodPut, target.String(), nil)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", contentType)
	req.ContentLength = size
	signed, _, err := u.signer.PresignHTTP(ctx, creds, req, unsignedPayload, "s3", u.region, u.now())
	return signed, err
}
