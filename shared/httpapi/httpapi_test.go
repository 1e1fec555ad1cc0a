package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

type sample struct {
	Name  string   `json:"name"`
	Count int      `json:"count"`
	Tags  []string `json:"tags"`
}

func req(body string, b64 bool, headers map[string]string) Request {
	if b64 {
		body = base64.StdEncoding.EncodeToString([]byte(body))
	}
	return Request{Body: body, IsBase64Encoded: b64, Headers: headers}
}

func TestDecodeJSONNamesTheFieldAndTheStatus(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		headers    map[string]string
		status     int
		field      string
	}{
		{"wrong type", `{"count":"many"}`, nil, 400, "count"},
		{"list expected", `{"tags":"a"}`, nil, 400, "tags"},
		{"unknown field", `{"nme":"x"}`, nil, 400, "nme"},
		{"syntax", `{"name":`, nil, 400, ""},
		{"empty", ``, nil, 400, ""},
		{"trailing value", `{} []`, nil, 400, ""},
		{"not JSON content type", `{}`, map[string]string{"content-type": "text/plain"}, 415, ""},
		{"too large", `{"name":"` + strings.Repeat("x", 200) + `"}`, nil, 413, ""},
	} {
		_, err := DecodeJSON(req(tc.body, false, tc.headers), 100, &sample{})
		var p *ProblemError
		if !errors.As(err, &p) || p.Status != tc.status {
			t.Errorf("%s: %v, want status %d", tc.name, err, tc.status)
			continue
		}
		if tc.field != "" && (len(p.Errors) != 1 || p.Errors[0].Field != tc.field) {
			t.Errorf("%s: errors %+v, want field %s", tc.name, p.Errors, tc.field)
		}
	}
	var s sample
	if _, err := DecodeJSON(req(`{"name":"a","count":2,"tags":["x"]}`, true, map[string]string{"content-type": "application/json; charset=utf-8"}), 100, &s); err != nil || s.Count != 2 {
		t.Errorf("base64 body: %v %+v", err, s)
	}
}

func TestErrorMapsDomainErrorsToStatusesInOnePlace(t *testing.T) {
	for err, status := range map[error]int{
		fmt.Errorf("x: %w", safeguarding.ErrNotFound):                                                    404,
		fmt.Errorf("x: %w", safeguarding.ErrForbidden):                                                   403,
		fmt.Errorf("x: %w", safeguarding.ErrConflict):                                                    409,
		safeguarding.ErrIdempotencyMismatch:                                                              422,
		&safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "a", Message: "b"}}}: 400,
		context.DeadlineExceeded:                                                                         503,
		errors.New("disk on fire"):                                                                       500,
	} {
		resp := Error(context.Background(), Request{}, err)
		if resp.StatusCode != status || resp.Headers["Content-Type"] != "application/problem+json" {
			t.Errorf("%v: %d %v", err, resp.StatusCode, resp.Headers)
		}
		if status == 500 && strings.Contains(resp.Body, "disk on fire") {
			t.Error("an internal error's text reached the client")
		}
	}
}

func TestIdempotencyKeyIsPrintableAndShort(t *testing.T) {
	for k, ok := range map[string]bool{"": true, "abc-123_X": true, strings.Repeat("k", 128): true, strings.Repeat("k", 129): false, "with space": false, "é": false} {
		_, err := IdempotencyKey(Request{Headers: map[string]string{"idempotency-key": k}})
		if (err == nil) != ok {
			t.Errorf("%q: %v", k, err)
		}
	}
}

// FuzzDecodeJSON: no body makes the decoder panic, and every failure is a 4xx problem.
func FuzzDecodeJSON(f *testing.F) {
	f.Add(`{"name":"a","count":1,"tags":["x"]}`, false, "application/json")
	f.Add(`{"count":1e999}`, false, "")
	f.Add("e30=", true, "application/problem+json")
	f.Add(`{"tags":[1,2]}`, false, "text/html")
	f.Fuzz(func(t *testing.T, body string, b64 bool, contentType string) {
		_, err := DecodeJSON(Request{Body: body, IsBase64Encoded: b64, Headers: map[string]string{"content-type": contentType}}, MaxBody, &sample{})
		if err == nil {
			return
		}
		var p *ProblemError
		if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 {
			t.Fatalf("%T %v", err, err)
		}
	})
}
