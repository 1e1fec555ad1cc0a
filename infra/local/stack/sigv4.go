package stack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"io"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// s3Error is an S3 error reply.
type s3Error struct {
	Status  int
	Code    string
	Message string
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

// sigV4Params are the query parameters of a presigned URL that carry its signature; they are
// removed before a verified request goes on to the store.
var sigV4Params = []string{"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
	"X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"}

// verifySigV4 checks a request's AWS Signature Version 4, in the Authorization header or in a
// presigned URL's query, as S3 does: the signature covers the method, path, query and every
// signed header (so a presigned PUT's Content-Type and Content-Length must be the ones signed),
// and a presigned URL is refused after it expires. secrets maps access key ids to secret keys.
// The signature is recomputed by the SDK's own signer (resign). The payload's hash is the one
// the client declared (UNSIGNED-PAYLOAD and the STREAMING-* forms as they are); a declared
// SHA-256 must also be the body's.
func verifySigV4(r *http.Request, secrets map[string]string, now time.Time) error {
	q := r.URL.Query()
	var (
		algorithm, credential, amzDate, signedHeaders, signature, payloadHash string
		presigned                                                             = q.Get("X-Amz-Algorithm") != ""
	)
	if presigned {
		algorithm, credential, amzDate = q.Get("X-Amz-Algorithm"), q.Get("X-Amz-Credential"), q.Get("X-Amz-Date")
		signedHeaders, signature = q.Get("X-Amz-SignedHeaders"), q.Get("X-Amz-Signature")
		payloadHash = "UNSIGNED-PAYLOAD"
		if h := q.Get("X-Amz-Content-Sha256"); h != "" {
			payloadHash = h
		}
	} else {
		auth := r.Header.Get("Authorization")
		if auth == "" {
			return &s3Error{http.StatusForbidden, "AccessDenied", "Access Denied"}
		}
		algorithm, rest, _ := strings.Cut(auth, " ")
		if algorithm != "AWS4-HMAC-SHA256" {
			return &s3Error{http.StatusBadRequest, "InvalidArgument", "Unsupported Authorization Type"}
		}
		for _, part := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
			switch k {
			case "Credential":
				credential = v
			case "SignedHeaders":
				signedHeaders = v
			case "Signature":
				signature = v
			}
		}
		amzDate = r.Header.Get("X-Amz-Date")
		payloadHash = r.Header.Get("X-Amz-Content-Sha256")
		if payloadHash == "" {
			return &s3Error{http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256"}
		}
	}
	if presigned && algorithm != "AWS4-HMAC-SHA256" {
		return &s3Error{http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Algorithm only supports AWS4-HMAC-SHA256"}
	}
	scopeParts := strings.Split(credential, "/")
	if len(scopeParts) != 5 || scopeParts[4] != "aws4_request" || signedHeaders == "" || signature == "" {
		return &s3Error{http.StatusBadRequest, "AuthorizationHeaderMalformed", "the credential, signed headers or signature are malformed"}
	}
	secret, ok := secrets[scopeParts[0]]
	if !ok {
		return &s3Error{http.StatusForbidden, "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."}
	}
	signedAt, err := time.Parse("20060102T150405Z", amzDate)
	if err != nil {
		return &s3Error{http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid X-Amz-Date"}
	}
	if presigned {
		secs, err := strconv.Atoi(q.Get("X-Amz-Expires"))
		if err != nil || secs < 1 || secs > 7*24*3600 {
			return &s3Error{http.StatusBadRequest, "AuthorizationQueryParametersError", "X-Amz-Expires must be between 1 and 604800 seconds"}
		}
		if now.After(signedAt.Add(time.Duration(secs) * time.Second)) {
			return &s3Error{http.StatusForbidden, "AccessDenied", "Request has expired"}
		}
	} else if d := now.Sub(signedAt); d > 15*time.Minute || d < -15*time.Minute {
		return &s3Error{http.StatusForbidden, "RequestTimeTooSkewed", "The difference between the request time and the current time is too large."}
	}

	creds := aws.Credentials{AccessKeyID: scopeParts[0], SecretAccessKey: secret}
	want, err := resign(r, presigned, strings.Split(signedHeaders, ";"), creds, payloadHash, scopeParts[2], scopeParts[3], signedAt)
	if err != nil || subtle.ConstantTimeCompare([]byte(want), []byte(signature)) != 1 {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	return checkPayload(r, payloadHash)
}

// resign signs a copy of r with the SDK's signer, as S3's clients sign (the path as sent, not
// escaped again), with the request's own credential scope and time, and returns the signature
// the copy gets. The copy holds only the headers r signed, so that the signer signs the same
// set: it always signs host (and content-length when there is a body), and never the headers
// it ignores (User-Agent, Expect, Transfer-Encoding...), so a request that signed those, or a
// content-length of 0, does not verify here.
func resign(r *http.Request, presigned bool, signed []string, creds aws.Credentials, payloadHash, region, service string, signedAt time.Time) (string, error) {
	path, _, _ := strings.Cut(r.RequestURI, "?")
	q := r.URL.Query()
	q.Del("X-Amz-Signature")
	c := &http.Request{Method: r.Method, Host: r.Host, Header: http.Header{},
		URL: &url.URL{Scheme: "http", Host: r.Host, Opaque: "//" + r.Host + path, RawQuery: q.Encode()}}
	for _, h := range signed {
		switch h {
		case "host": // the signer takes it from c.Host
		case "content-length":
			c.ContentLength = r.ContentLength
		default:
			if v := r.Header.Values(h); v != nil {
				c.Header[textproto.CanonicalMIMEHeaderKey(h)] = v
			}
		}
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		o.DisableURIPathEscaping = true // S3 signs the path as sent
		o.DisableHeaderHoisting = true  // a presigned URL's query already holds what was hoisted
	})
	if presigned {
		signedURL, _, err := signer.PresignHTTP(context.Background(), creds, c, payloadHash, service, region, signedAt)
		if err != nil {
			return "", err
		}
		u, err := url.Parse(signedURL)
		if err != nil {
			return "", err
		}
		return u.Query().Get("X-Amz-Signature"), nil
	}
	if err := signer.SignHTTP(context.Background(), creds, c, payloadHash, service, region, signedAt); err != nil {
		return "", err
	}
	_, sig, _ := strings.Cut(c.Header.Get("Authorization"), "Signature=")
	return sig, nil
}

// checkPayload reads the body when the client declared its SHA-256 (rather than
// UNSIGNED-PAYLOAD or a STREAMING-* form) and refuses it unless the hash is the body's, as S3
// does; the body is put back for the store.
func checkPayload(r *http.Request, declared string) error {
	if len(declared) != sha256.Size*2 {
		return nil
	}
	if _, err := hex.DecodeString(declared); err != nil {
		return nil
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return &s3Error{http.StatusBadRequest, "IncompleteBody", "You did not provide the number of bytes specified by the Content-Length HTTP header."}
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if sum := sha256.Sum256(body); !strings.EqualFold(hex.EncodeToString(sum[:]), declared) {
		return &s3Error{http.StatusBadRequest, "XAmzContentSHA256Mismatch", "The provided 'x-amz-content-sha256' header does not match what was computed."}
	}
	return nil
}
