package safeguarding

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

func CheckText(ps *Problems, field, s string, max int) {
	if !utf8.ValidString(s) {
		ps.Add(field, "is not valid text")
		return
	}
	if utf8.RuneCountInString(s) > max {
		ps.Add(field, "at most %d characters", max)
	}
}

// MaxNotesChars bounds an action's notes and outcome.
const MaxNotesChars = 10000

// Sentinel errors. Adapters wrap them with %w; the HTTP layer maps them to statuses in one place.
var (
	ErrNotFound  = errors.New("not found")
	ErrForbidden = errors.New("forbidden")
	ErrInvalid   = errors.New("invalid")
	ErrConflict  = errors.New("conflict")
	// ErrReasonNeeded: the request may go ahead only with a reason, and none was given (rule
	// P3: one more family's contact details past the hour's threshold).
	ErrReasonNeeded = errors.New("a reason is needed")
	// ErrIdempotencyMismatch: the same Idempotency-Key was sent with a different request.
	ErrIdempotencyMismatch = errors.New("idempotency key reused with a different request")
)

// FieldProblem names one input field and what is wrong with it.
type FieldProblem struct {
	Field   string
	Message string
}

// ValidationError lists every problem found in a command; errors.Is(err, ErrInvalid) holds.
type ValidationError struct {
	Problems []FieldProblem
}

func (e *ValidationError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.Field + ": " + p.Message
	}
	return "invalid: " + strings.Join(parts, "; ")
}

func (e *ValidationError) Unwrap() error { return ErrInvalid }

type Problems []FieldProblem

func (ps *Problems) Add(field, format string, args ...any) {
	*ps = append(*ps, FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)})
}

func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return &ValidationError{Problems: ps}
}
