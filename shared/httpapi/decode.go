package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"mime"
	"slices"
	"strings"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// DecodeJSON reads a JSON body into v: at most max bytes, content type application/json,
// no unknown fields, exactly one value. Each failure is a 4xx problem naming the field.
func DecodeJSON(req Request, max int, v any) ([]byte, error) {
	if ct := Header(req, "Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, &ProblemError{Status: 415, Title: "Unsupported media type", Detail: "send application/json"}
		}
	}
	body, err := Body(req, max)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return nil, jsonProblem(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, &ProblemError{Status: 400, Title: "Invalid JSON", Detail: "the body holds more than one JSON value"}
	}
	return body, nil
}

func jsonProblem(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return fieldProblem(field, "must be "+jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return &ProblemError{Status: 400, Title: "Invalid JSON", Detail: "the body is not valid JSON"}
	case errors.Is(err, io.EOF):
		return &ProblemError{Status: 400, Title: "Invalid JSON", Detail: "the body is empty"}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldProblem(field, "is not a field of this request")
	default:
		// time.Time and other TextUnmarshalers report their own messages.
		return &ProblemError{Status: 400, Title: "Invalid JSON", Detail: err.Error()}
	}
}

func jsonKind(k string) string {
	switch k {
	case "slice", "array":
		return "a list"
	case "struct", "map":
		return "an object"
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	default:
		if strings.HasPrefix(k, "int") || strings.HasPrefix(k, "uint") || strings.HasPrefix(k, "float") {
			return "a number"
		}
		return "a " + k
	}
}

// KnownQuery refuses a request whose query string holds a parameter other than known, naming
// each such parameter (400): a mistyped filter never reads more than was asked for.
func KnownQuery(req Request, known ...string) error {
	var ps safeguarding.Problems
	for _, name := range slices.Sorted(maps.Keys(req.QueryStringParameters)) {
		if !slices.Contains(known, name) {
			ps.Add(name, "is not a parameter of this request")
		}
	}
	return ps.Err()
}
