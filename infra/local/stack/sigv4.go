package stack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
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
// The payload's hash is taken as the client declared it, not recomputed.
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

	headers := strings.Split(signedHeaders, ";")
	var canon strings.Builder
	canon.WriteString(r.Method + "\n")
	path, _, _ := strings.Cut(r.RequestURI, "?")
	canon.WriteString(path + "\n")
	canon.WriteString(canonicalQuery(q) + "\n")
	for _, h := range headers {
		canon.WriteString(h + ":" + headerValue(r, h) + "\n")
	}
	canon.WriteString("\n" + signedHeaders + "\n" + payloadHash)
	sum := sha256.Sum256([]byte(canon.String()))
	scope := strings.Join(scopeParts[1:], "/")
	toSign := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + secret)
	for _, part := range scopeParts[1:] {
		key = hmacSHA256(key, part)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(signature)) {
		return &s3Error{http.StatusForbidden, "SignatureDoesNotMatch",
			"The request signature we calculated does not match the signature you provided. Check your key and signing method."}
	}
	return nil
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// headerValue is a header's canonical value: values joined by commas, spaces trimmed and runs
// of spaces made one. Host and Content-Length come from where Go's server keeps them.
func headerValue(r *http.Request, name string) string {
	var v string
	switch name {
	case "host":
		v = r.Host
	case "content-length":
		v = r.Header.Get("Content-Length")
		if v == "" && r.ContentLength >= 0 {
			v = strconv.FormatInt(r.ContentLength, 10)
		}
	default:
		vals := r.Header.Values(name)
		for i := range vals {
			vals[i] = strings.Join(strings.Fields(vals[i]), " ")
		}
		v = strings.Join(vals, ",")
	}
	return strings.TrimSpace(v)
}

// canonicalQuery is the query without the signature, each name and value URI-encoded, sorted.
func canonicalQuery(q url.Values) string {
	var pairs [][2]string
	for k, vs := range q {
		if k == "X-Amz-Signature" {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, [2]string{uriEncode(k), uriEncode(v)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i][0] != pairs[j][0] {
			return pairs[i][0] < pairs[j][0]
		}
		return pairs[i][1] < pairs[j][1]
	})
	out := make([]string, len(pairs))
	for i, p := range pairs {
		out[i] = p[0] + "=" + p[1]
	}
	return strings.Join(out, "&")
}

// uriEncode escapes everything but the unreserved characters of RFC 3986, as SigV4 asks.
func uriEncode(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
