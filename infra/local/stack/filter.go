package stack

import (
	"encoding/json"
	"fmt"
	"strings"
)

// pattern is a compiled event filter pattern, the subset of the EventBridge pattern syntax
// that Lambda event source mappings accept and this project uses: nested objects whose leaves
// are arrays of allowed values. An allowed value is an exact string, number, boolean or null,
// or one of {"prefix": "..."}, {"exists": true|false}, {"anything-but": value or [values]}.
type pattern map[string]any

// compilePattern parses and checks a pattern.
func compilePattern(src string) (pattern, error) {
	var p map[string]any
	if err := json.Unmarshal([]byte(src), &p); err != nil {
		return nil, fmt.Errorf("filter pattern: %w", err)
	}
	if err := checkPattern(p, ""); err != nil {
		return nil, err
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
				if obj, ok := m.(map[string]any); ok {
					if len(obj) != 1 {
						return fmt.Errorf("filter pattern %s%s: one operator per matcher", at, k)
					}
					for op := range obj {
						switch op {
						case "prefix", "exists", "anything-but":
						default:
							return fmt.Errorf("filter pattern %s.%s: operator %q is not supported locally", at, k, op)
						}
					}
				}
			}
		default:
			return fmt.Errorf("filter pattern %s.%s: want an object or an array", at, k)
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
		switch w := want.(type) {
		case map[string]any:
			if !present || !matchObject(w, v) {
				return false
			}
		case []any:
			if !matchLeaf(w, v, present) {
				return false
			}
		}
	}
	return true
}

// matchLeaf: the event value (or any element of it, when it is an array) equals one of the
// allowed values.
func matchLeaf(allowed []any, v any, present bool) bool {
	values := []any{v}
	if arr, ok := v.([]any); ok {
		values = arr
	}
	for _, a := range allowed {
		if obj, ok := a.(map[string]any); ok {
			if matchOperator(obj, values, present) {
				return true
			}
			continue
		}
		if !present {
			continue
		}
		for _, x := range values {
			if equalJSON(a, x) {
				return true
			}
		}
	}
	return false
}

func matchOperator(op map[string]any, values []any, present bool) bool {
	for name, arg := range op {
		switch name {
		case "exists":
			want, _ := arg.(bool)
			// "exists" is about leaf values: an object is not a leaf.
			leaf := present
			if present && len(values) == 1 {
				if _, isObj := values[0].(map[string]any); isObj {
					leaf = false
				}
			}
			return leaf == want
		case "prefix":
			pre, _ := arg.(string)
			if !present {
				return false
			}
			for _, x := range values {
				if s, ok := x.(string); ok && strings.HasPrefix(s, pre) {
					return true
				}
			}
			return false
		case "anything-but":
			if !present {
				return false
			}
			banned := []any{arg}
			if arr, ok := arg.([]any); ok {
				banned = arr
			}
			for _, x := range values {
				ok := true
				for _, b := range banned {
					if equalJSON(b, x) {
						ok = false
					}
				}
				if ok {
					return true
				}
			}
			return false
		}
	}
	return false
}

func equalJSON(a, b any) bool {
	switch x := a.(type) {
	case string:
		y, ok := b.(string)
		return ok && x == y
	case float64:
		y, ok := b.(float64)
		return ok && x == y
	case bool:
		y, ok := b.(bool)
		return ok && x == y
	case nil:
		return b == nil
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
