package template

import (
	"net/url"
	"strings"
)

// MatchRoute finds the route that API Gateway (HTTP API) would choose for a request, with the
// path parameters it would pass to the function.
//
// Path templates are made of literal segments, {name} segments (one whole segment) and a final
// greedy {name+} segment (one or more segments). When several routes match, the most specific
// wins, as in API Gateway: segment by segment from the left, a literal beats {name}, which beats
// {name+}; then a route for the exact method beats ANY; the $default route matches last.
//
// path is the request path as sent (escaped, r.URL.EscapedPath()); segments are unescaped
// before they are compared or returned as parameters, so a parameter may hold an encoded "/".
// The path parameters map is non-nil when ok.
func MatchRoute(routes []Route, method, path string) (Route, map[string]string, bool) {
	method = strings.ToUpper(method)
	reqSegs := splitPath(path)

	var (
		best       Route
		bestParams map[string]string
		bestRank   []int
		found      bool
	)
	for _, r := range routes {
		if r.Path == "$default" {
			continue
		}
		if r.Method != method && r.Method != "ANY" {
			continue
		}
		params, rank, ok := matchPath(r.Path, reqSegs)
		if !ok {
			continue
		}
		if r.Method == "ANY" {
			rank = append(rank, 1)
		} else {
			rank = append(rank, 0)
		}
		if !found || less(rank, bestRank) {
			best, bestParams, bestRank, found = r, params, rank, true
		}
	}
	if found {
		return best, bestParams, true
	}
	for _, r := range routes {
		if r.Path == "$default" {
			return r, map[string]string{}, true
		}
	}
	return Route{}, nil, false
}

// less compares two ranks lexicographically; a lower rank is more specific.
func less(a, b []int) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

const (
	rankLiteral = iota
	rankParam
	rankGreedy
)

// matchPath matches the route template tmpl against the request segments. rank has one entry
// per template segment.
func matchPath(tmpl string, req []string) (map[string]string, []int, bool) {
	segs := strings.Split(strings.TrimPrefix(tmpl, "/"), "/")
	params := map[string]string{}
	rank := make([]int, 0, len(segs)+1)
	for i, s := range segs {
		if name, ok := strings.CutPrefix(s, "{"); ok && strings.HasSuffix(name, "+}") {
			// Greedy: the last segment of the template, one or more request segments.
			if i != len(segs)-1 || i >= len(req) {
				return nil, nil, false
			}
			rest := req[i:]
			if len(rest) == 1 && rest[0] == "" {
				return nil, nil, false
			}
			params[strings.TrimSuffix(name, "+}")] = strings.Join(rest, "/")
			return params, append(rank, rankGreedy), true
		}
		if i >= len(req) {
			return nil, nil, false
		}
		if name, ok := strings.CutPrefix(s, "{"); ok && strings.HasSuffix(name, "}") {
			if req[i] == "" {
				return nil, nil, false
			}
			params[strings.TrimSuffix(name, "}")] = req[i]
			rank = append(rank, rankParam)
			continue
		}
		if s != req[i] {
			return nil, nil, false
		}
		rank = append(rank, rankLiteral)
	}
	if len(segs) != len(req) {
		return nil, nil, false
	}
	return params, rank, true
}

// splitPath splits an escaped request path into unescaped segments. "/" is one empty segment.
func splitPath(p string) []string {
	if p == "" {
		p = "/"
	}
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		if u, err := url.PathUnescape(s); err == nil {
			segs[i] = u
		}
	}
	return segs
}
