package stack

import (
	"encoding/json"
	"fmt"
	"slices"
)

// pattern is a compiled event filter pattern, the part of the EventBridge pattern syntax that
// Lambda event source mappings accept and the templates use: nested objects whose leaves are
// arrays of exact strings. Anything else (a number, true, null, or an operator such as prefix,
// exists or anything-but) is an error naming the pattern, so the stack fails at start.
type pattern map[string]any

// compilePattern parses and checks a pattern.
func compilePattern(src string) (pattern, error) {
	var p map[string]any
	if err := json.Unmarshal([]byte(src), &p); err != nil {
		return nil, fmt.Errorf("filter pattern %s: %w", src, err)
	}
	if err := checkPattern(p, ""); err != nil {
		return nil, fmt.Errorf("filter pattern %s: %w", src, err)
	}
	return p, nil
}

func checkPattern(p map[string]any, at string) error {
	for k, v := range p {
		switch x := v.(type) {
		case map[string]any:
			if err := checkPattern(x, at+"."+k); err != nil {
				return err
			}
		case []any:
			for _, m := range x {
				if _, ok := m.(string); !ok {
					b, _ := json.Marshal(m)
					return fmt.Errorf("%s.%s: %s is not supported locally, only exact strings", at, k, b)
				}
			}
		default:
			return fmt.Errorf("%s.%s: want an object or an array", at, k)
		}
	}
	return nil
}

// matches reports whether the event (decoded JSON) satisfies the pattern.
func (p pattern) matches(event any) bool {
	return matchObject(p, event)
}

func matchObject(p map[string]any, event any) bool {
	obj, _ := event.(map[string]any)
	for k, want := range p {
		v, present := obj[k]
		if !present {
			return false
		}
		switch w := want.(type) {
		case map[string]any:
			if !matchObject(w, v) {
				return false
			}
		case []any:
			if !matchLeaf(w, v) {
				return false
			}
		}
	}
	return true
}

// matchLeaf: the event value (or any element of it, when it is an array) is one of the
// allowed strings.
func matchLeaf(allowed []any, v any) bool {
	values := []any{v}
	if arr, ok := v.([]any); ok {
		values = arr
	}
	for _, x := range values {
		if s, ok := x.(string); ok && slices.Contains(allowed, any(s)) {
			return true
		}
	}
	return false
}

// filters is the FilterCriteria of one event source: a record passes when any pattern matches;
// with no pattern every record passes.
type filters []pattern

func compileFilters(srcs []string) (filters, error) {
	var fs filters
	for _, s := range srcs {
		p, err := compilePattern(s)
		if err != nil {
			return nil, err
		}
		fs = append(fs, p)
	}
	return fs, nil
}

func (fs filters) pass(record any) bool {
	if len(fs) == 0 {
		return true
	}
	for _, p := range fs {
		if p.matches(record) {
			return true
		}
	}
	return false
}
