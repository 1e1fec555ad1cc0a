// Package httpapi is the API Gateway (HTTP API, payload 2.0) edge: it routes events by route
// key, decodes bodies with size limits, reads the caller from the JWT authorizer's claims, and
// writes JSON and problem+json (RFC 9457) responses, mapping domain errors to statuses in one
// place.
package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Request and Response are API Gateway's HTTP API events, payload format 2.0.
type (
	Request  = events.APIGatewayV2HTTPRequest
	Response = events.APIGatewayV2HTTPResponse
)

// MaxBody is the largest JSON body any route accepts.
const MaxBody = 64 << 10

// HandlerFunc serves one route.
type HandlerFunc func(ctx context.Context, req Request) (Response, error)

// Router maps route keys ("POST /api/schools/{school}/concerns") to handlers.
type Router map[string]HandlerFunc

// Handle serves an event. A handler's error becomes a problem response here; Lambda sees an
// error only for something the function cannot answer at all.
func (r Router) Handle(ctx context.Context, req Request) (Response, error) {
	h, ok := r[req.RouteKey]
	if !ok {
		return Problem(404, "Not found", "no route "+req.RouteKey), nil
	}
	id, err := identity(req)
	var resp Response
	if err == nil {
		resp, err = h(safeguarding.WithIdentity(ctx, id), req)
	}
	if err != nil {
		resp = Error(ctx, req, err)
	}
	log(ctx, req, resp.StatusCode)
	return resp, nil
}

func log(ctx context.Context, req Request, status int) {
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	// Never a pupil's name, a record's text or a contact detail: ids and the route only.
	slog.Log(ctx, level, "request", "requestId", req.RequestContext.RequestID, "route", req.RouteKey,
		"school", req.PathParameters["school"], "user", claim(req, "sub"), "status", status)
}

func claim(req Request, name string) string {
	if req.RequestContext.Authorizer == nil || req.RequestContext.Authorizer.JWT == nil {
		return ""
	}
	return req.RequestContext.Authorizer.JWT.Claims[name]
}

// identity is who the JWT authorizer's claims say sent the request (rule S8): the account's
// subject, with an email the identity provider verified. The store gives the sender's profile
// only to the subject on record (safeguarding.Identity.Matches).
func identity(req Request) (safeguarding.Identity, error) {
	sub := claim(req, "sub")
	if sub == "" {
		return safeguarding.Identity{}, &ProblemError{Status: 401, Title: "Unauthorized", Detail: "the token has no subject"}
	}
	if claim(req, "email_verified") != "true" {
		return safeguarding.Identity{}, &ProblemError{Status: 403, Title: "Forbidden", Detail: "the token's email address is not verified"}
	}
	email, ok := safeguarding.NormaliseEmail(claim(req, "email"))
	if !ok {
		return safeguarding.Identity{}, &ProblemError{Status: 401, Title: "Unauthorized", Detail: "the token has no email claim"}
	}
	return safeguarding.Identity{Email: email, Subject: sub}, nil
}

// Caller is who sent the request (its identity's verified email), when (the request's time at
// API Gateway, never the wall clock) and from where.
func Caller(req Request) (safeguarding.Caller, error) {
	id, err := identity(req)
	if err != nil {
		return safeguarding.Caller{}, err
	}
	return safeguarding.Caller{Email: id.Email, At: RequestTime(req), Source: req.RequestContext.HTTP.SourceIP}, nil
}

// RequestTime is when API Gateway received the request.
func RequestTime(req Request) time.Time {
	return time.UnixMilli(req.RequestContext.TimeEpoch).UTC()
}

// School is the {school} path parameter.
func School(req Request) safeguarding.SchoolID {
	return safeguarding.SchoolID(req.PathParameters["school"])
}

// Body returns the request body, decoded from base64 if API Gateway encoded it, refusing one
// over max bytes with 413.
func Body(req Request, max int) ([]byte, error) {
	raw := req.Body
	if req.IsBase64Encoded {
		if base64.StdEncoding.DecodedLen(len(raw)) > max+3 {
			return nil, tooLarge(max)
		}
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return nil, &ProblemError{Status: 400, Title: "Bad request", Detail: "the body is not valid base64"}
		}
		raw = string(b)
	}
	if len(raw) > max {
		return nil, tooLarge(max)
	}
	return []byte(raw), nil
}

func tooLarge(max int) error {
	return &ProblemError{Status: 413, Title: "Body too large", Detail: "the body is over the limit of " + itoa(max) + " bytes"}
}

// Header returns a request header; API Gateway lower-cases header names.
func Header(req Request, name string) string { return req.Headers[strings.ToLower(name)] }

// IdempotencyKey reads and checks the Idempotency-Key header ("" when absent).
func IdempotencyKey(req Request) (string, error) {
	k := strings.TrimSpace(Header(req, "Idempotency-Key"))
	if len(k) > 128 {
		return "", fieldProblem("Idempotency-Key", "at most 128 characters")
	}
	for _, r := range k {
		if r < 0x21 || r > 0x7e {
			return "", fieldProblem("Idempotency-Key", "printable ASCII only")
		}
	}
	return k, nil
}

// Fingerprint identifies a request's content, to tell a retry from a reuse of its key.
func Fingerprint(req Request, body []byte) string {
	h := sha256.New()
	h.Write([]byte(req.RouteKey))
	h.Write([]byte{0})
	h.Write([]byte(req.RawPath))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Command reads what every write starts from: the caller, the body decoded into v, and the
// idempotency key scoped to the caller and school with the body's fingerprint.
func Command(req Request, v any) (safeguarding.Caller, safeguarding.RequestKey, string, error) {
	who, err := Caller(req)
	if err != nil {
		return who, safeguarding.RequestKey{}, "", err
	}
	key, err := IdempotencyKey(req)
	if err != nil {
		return who, safeguarding.RequestKey{}, "", err
	}
	body, err := DecodeJSON(req, MaxBody, v)
	if err != nil {
		return who, safeguarding.RequestKey{}, "", err
	}
	return who, safeguarding.RequestKey{School: School(req), Actor: who.Email, Key: key}, Fingerprint(req, body), nil
}
