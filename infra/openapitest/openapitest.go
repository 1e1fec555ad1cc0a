// Package openapitest holds the handler tests to the API document, docs/openapi.yaml: Check
// turns an API Gateway (HTTP API, payload 2.0) request and its response into net/http values and
// validates both against the document, parsed once per test binary.
//
// A function's test helper that serves a request calls it after the handler answered:
//
//	resp, err := h.Handle(ctx, req)
//	...
//	openapitest.Check(t, req, resp)
//
// What it checks, and what it does not:
//
//   - Only the API: a path not under /api (the web pages, /dev/ of the local stack) is skipped.
//   - The response always: its status must be documented for the operation, its Content-Type
//     among the documented ones, and a JSON or problem+json body must match the schema
//     (formats such as date-time and email included). Other bodies (a PDF, a CSV) are checked
//     for status and content type only. Problem responses are held to the document as much as
//     successes are.
//   - The request only when the handler accepted it. Tests send invalid input on purpose (a
//     missing field, a body over the limit, malformed JSON); a request the document refuses is
//     fine when the handler refused it too, with a 4xx or 5xx status. A request the document
//     refuses but the handler answered with 1xx-3xx is a mismatch: the document is stricter than
//     the handler, or the test sent something undocumented that was accepted.
//   - A request to an /api path or method the document does not describe is a mismatch, unless
//     the handler answered 404 or 405 (it does not serve it either).
//   - Authentication is not checked: API Gateway's JWT authorizer does it before the function
//     runs, and handler tests carry the authorizer's claims in the request context, not a token.
//   - A body sent without Content-Type is read as JSON, as the handlers read it.
//
// The path is the event's RawPath (else RequestContext.HTTP.Path, else the route key with its
// path parameters), matched with the document's paths under its servers' base path; the query is
// RawQueryString, else QueryStringParameters; base64 bodies are decoded.
package openapitest

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	verrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
)

// DocumentPath is the API document, relative to the module's root.
const DocumentPath = "docs/openapi.yaml"

// Doc is a parsed API document with its validator.
type Doc struct {
	mu     sync.Mutex // the validator is not documented as safe for concurrent use
	v      validator.Validator
	origin string // scheme and host of the document's first server
}

// Load parses an OpenAPI 3.1 document.
func Load(spec []byte) (*Doc, error) {
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		return nil, err
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, err
	}
	origin := "http://localhost"
	if len(model.Model.Servers) > 0 {
		if u, err := url.Parse(model.Model.Servers[0].URL); err == nil && u.Scheme != "" && u.Host != "" {
			origin = u.Scheme + "://" + u.Host
		}
	}
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions(), config.WithoutSecurityValidation())
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &Doc{v: v, origin: origin}, nil
}

var (
	once   sync.Once
	shared *Doc
	setErr error
)

// Default is the module's docs/openapi.yaml, parsed on first use.
func Default() (*Doc, error) {
	once.Do(func() {
		var root string
		if root, setErr = moduleRoot(); setErr != nil {
			return
		}
		var b []byte
		if b, setErr = os.ReadFile(filepath.Join(root, DocumentPath)); setErr != nil {
			return
		}
		if shared, setErr = Load(b); setErr != nil {
			setErr = fmt.Errorf("%s: %w", DocumentPath, setErr)
		}
	})
	return shared, setErr
}

// moduleRoot is the folder of go.mod above this source file.
func moduleRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("openapitest: cannot tell where its source is")
	}
	for dir := filepath.Dir(file); ; dir = filepath.Dir(dir) {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		if filepath.Dir(dir) == dir {
			return "", errors.New("openapitest: no go.mod above " + file)
		}
	}
}

// Check fails t when req or resp does not match docs/openapi.yaml (see the package comment for
// which mismatches count).
func Check(t testing.TB, req events.APIGatewayV2HTTPRequest, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	d, err := Default()
	if err != nil {
		t.Fatalf("openapitest: %v", err)
	}
	d.Check(t, req, resp)
}

// Check fails t when req or resp does not match the document.
func (d *Doc) Check(t testing.TB, req events.APIGatewayV2HTTPRequest, resp events.APIGatewayV2HTTPResponse) {
	t.Helper()
	if problems := d.Mismatches(req, resp); len(problems) > 0 {
		t.Errorf("%s %s answered %d, which docs/openapi.yaml does not allow:\n  %s",
			method(req), requestPath(req), resp.StatusCode, strings.Join(problems, "\n  "))
	}
}

// Mismatches lists how req and resp differ from the document, none when they match or when the
// request is not one of the API's.
func (d *Doc) Mismatches(req events.APIGatewayV2HTTPRequest, resp events.APIGatewayV2HTTPResponse) []string {
	path := requestPath(req)
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	if path != "/api" && !strings.HasPrefix(path, "/api/") {
		return nil // the web pages and the local stack's /dev/ routes are not in the document
	}
	hreq, unreadable, err := d.httpRequest(req, path)
	if err != nil {
		return []string{"the request: " + err.Error()}
	}
	hresp, err := httpResponse(resp, hreq)
	if err != nil {
		return []string{"the response: " + err.Error()}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	_, reqErrs := d.v.ValidateHttpRequestSync(hreq)
	if missingRoute(reqErrs) {
		if resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusMethodNotAllowed {
			return nil // neither the handler nor the document serves it
		}
		return describe("route", reqErrs)
	}
	var out []string
	if resp.StatusCode < 400 {
		if unreadable != nil {
			out = append(out, "request: "+unreadable.Error())
		}
		out = append(out, describe("request", reqErrs)...)
	}
	// the request's body was read by its validation: give the response's a fresh one
	hreq.Body = io.NopCloser(bytes.NewReader(nil))
	if _, respErrs := d.v.ValidateHttpResponse(hreq, hresp); len(respErrs) > 0 {
		out = append(out, describe("response", respErrs)...)
	}
	return out
}

func missingRoute(errs []*verrors.ValidationError) bool {
	for _, e := range errs {
		if e.IsPathMissingError() || e.IsOperationMissingError() ||
			(e.ValidationType == helpers.PathValidation && e.ValidationSubType == helpers.ValidationAmbiguousPath) {
			return true
		}
	}
	return false
}

// describe writes the validator's errors one line each, with the schema failures' fields.
func describe(what string, errs []*verrors.ValidationError) []string {
	var out []string
	for _, e := range errs {
		line := what + ": " + e.Message
		if e.Reason != "" && e.Reason != e.Message {
			line += " (" + e.Reason + ")"
		}
		if e.SpecPath != "" {
			line += " [" + e.SpecPath + "]"
		}
		for _, f := range e.SchemaValidationErrors {
			line += "\n      " + f.Reason
			if f.FieldPath != "" {
				line += " at " + f.FieldPath
			}
		}
		out = append(out, line)
	}
	return out
}

// method is the event's HTTP method, else its route key's.
func method(req events.APIGatewayV2HTTPRequest) string {
	if m := req.RequestContext.HTTP.Method; m != "" {
		return strings.ToUpper(m)
	}
	m, _, _ := strings.Cut(req.RouteKey, " ")
	return strings.ToUpper(m)
}

// requestPath is the event's path as sent: RawPath, else RequestContext.HTTP.Path, else the
// route key's template with the path parameters put in.
func requestPath(req events.APIGatewayV2HTTPRequest) string {
	if req.RawPath != "" {
		return req.RawPath
	}
	if req.RequestContext.HTTP.Path != "" {
		return req.RequestContext.HTTP.Path
	}
	_, path, _ := strings.Cut(req.RouteKey, " ")
	for k, v := range req.PathParameters {
		path = strings.ReplaceAll(path, "{"+k+"}", url.PathEscape(v))
		path = strings.ReplaceAll(path, "{"+k+"+}", v)
	}
	return path
}

// httpRequest is the event as net/http has it. A base64 body that does not decode is sent as it
// came, with the reason in unreadable: the request is invalid, which only counts when accepted.
func (d *Doc) httpRequest(req events.APIGatewayV2HTTPRequest, path string) (hreq *http.Request, unreadable, err error) {
	u, err := url.Parse(d.origin + path)
	if err != nil {
		return nil, nil, err
	}
	u.RawQuery = req.RawQueryString
	if u.RawQuery == "" && len(req.QueryStringParameters) > 0 {
		q := url.Values{}
		for k, v := range req.QueryStringParameters {
			q.Set(k, v) // API Gateway's repeated parameters joined with commas: one value here
		}
		u.RawQuery = q.Encode()
	}
	body, unreadable := decode(req.Body, req.IsBase64Encoded)
	if unreadable != nil {
		body = []byte(req.Body)
	}
	hreq, err = http.NewRequest(method(req), u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	for k, v := range req.Headers {
		hreq.Header.Set(k, v)
	}
	if len(req.Cookies) > 0 {
		hreq.Header.Set("Cookie", strings.Join(req.Cookies, "; "))
	}
	if len(body) > 0 && hreq.Header.Get("Content-Type") == "" {
		hreq.Header.Set("Content-Type", "application/json")
	}
	return hreq, unreadable, nil
}

func httpResponse(resp events.APIGatewayV2HTTPResponse, req *http.Request) (*http.Response, error) {
	body, err := decode(resp.Body, resp.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	h := http.Header{}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	keys := make([]string, 0, len(resp.MultiValueHeaders))
	for k := range resp.MultiValueHeaders {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.MultiValueHeaders[k] {
			h.Add(k, v)
		}
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	return &http.Response{
		Status: fmt.Sprintf("%d %s", resp.StatusCode, http.StatusText(resp.StatusCode)), StatusCode: resp.StatusCode,
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h,
		Body: io.NopCloser(bytes.NewReader(body)), ContentLength: int64(len(body)), Request: req,
	}, nil
}

func decode(body string, b64 bool) ([]byte, error) {
	if !b64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, fmt.Errorf("the body is not valid base64: %w", err)
	}
	return b, nil
}
