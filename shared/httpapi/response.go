package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

var securityHeaders = map[string]string{
	"Cache-Control":          "no-store",
	"X-Content-Type-Options": "nosniff",
}

// JSON answers with v as JSON.
func JSON(status int, v any) Response {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(true)
	if err := enc.Encode(v); err != nil {
		return Problem(500, "Internal error", "the response could not be written")
	}
	return respond(status, "application/json", buf.String())
}

func respond(status int, contentType, body string) Response {
	h := map[string]string{"Content-Type": contentType}
	for k, v := range securityHeaders {
		h[k] = v
	}
	return Response{StatusCode: status, Headers: h, Body: body}
}

// FieldError names one invalid input field.
type FieldError struct {
	Field  string `json:"field"`
	Detail string `json:"detail"`
}

// ProblemError is an error that is already a problem response.
type ProblemError struct {
	Status int
	Title  string
	Detail string
	Errors []FieldError
}

func (p *ProblemError) Error() string { return p.Title + ": " + p.Detail }

func fieldProblem(field, detail string) *ProblemError {
	return &ProblemError{Status: 400, Title: "Invalid request", Detail: field + ": " + detail,
		Errors: []FieldError{{Field: field, Detail: detail}}}
}

type problemBody struct {
	Type   string       `json:"type"`
	Title  string       `json:"title"`
	Status int          `json:"status"`
	Detail string       `json:"detail"`
	Errors []FieldError `json:"errors,omitempty"`
}

// Problem answers with an RFC 9457 problem document.
func Problem(status int, title, detail string) Response {
	return problem(&ProblemError{Status: status, Title: title, Detail: detail})
}

func problem(p *ProblemError) Response {
	b, _ := json.Marshal(problemBody{Type: "about:blank", Title: p.Title, Status: p.Status, Detail: p.Detail, Errors: p.Errors})
	return respond(p.Status, "application/problem+json", string(b))
}

// Error maps an error to its problem response: the one place where domain errors meet HTTP.
func Error(ctx context.Context, req Request, err error) Response {
	var p *ProblemError
	var invalid *safeguarding.ValidationError
	switch {
	case errors.As(err, &p):
		return problem(p)
	case errors.As(err, &invalid):
		out := &ProblemError{Status: 400, Title: "Invalid request"}
		for i, fp := range invalid.Problems {
			out.Errors = append(out.Errors, FieldError{Field: fp.Field, Detail: fp.Message})
			if i > 0 {
				out.Detail += "; "
			}
			out.Detail += fp.Field + ": " + fp.Message
		}
		return problem(out)
	case errors.Is(err, safeguarding.ErrInvalid):
		return Problem(400, "Invalid request", "the request cannot be carried out as sent")
	case errors.Is(err, safeguarding.ErrReasonNeeded):
		// Rule P3: 428, since the same request goes ahead once it carries a reason.
		return problem(&ProblemError{Status: 428, Title: "A reason is needed",
			Detail: "reason: you have opened many families' contact details within the hour; say why you need this one",
			Errors: []FieldError{{Field: "reason", Detail: "say why you need this family's contact details"}}})
	case errors.Is(err, safeguarding.ErrNotFound):
		return Problem(404, "Not found", "there is no such record, or you may not see it")
	case errors.Is(err, safeguarding.ErrForbidden):
		return Problem(403, "Forbidden", "you have no role in this school that allows this")
	case errors.Is(err, safeguarding.ErrIdempotencyMismatch):
		return Problem(422, "Idempotency key reused", "this Idempotency-Key was used for a different request")
	case errors.Is(err, safeguarding.ErrConflict):
		return Problem(409, "Conflict", "the record was changed by someone else; reload and try again")
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		return Problem(503, "Unavailable", "the request took too long; it is safe to retry with the same Idempotency-Key")
	default:
		slog.ErrorContext(ctx, "unhandled error", "requestId", req.RequestContext.RequestID, "route", req.RouteKey, "error", err.Error())
		return Problem(500, "Internal error", "something went wrong; it is safe to retry with the same Idempotency-Key")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
