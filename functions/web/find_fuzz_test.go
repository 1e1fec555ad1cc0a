package main

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzSearchQuery: whatever a search form posts, the box's decoder never panics, and a search
// it lets through is text of 1 to 100 characters with no space around it.
func FuzzSearchQuery(f *testing.F) {
	f.Add("q=chidi")
	f.Add("q=A123456789012")
	f.Add("q=%20%20")
	f.Add("q=%FF%FE")
	f.Add("q=" + strings.Repeat("a", 101))
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return // the handler answers a body that does not parse before any decoder
		}
		q, ps := searchQuery(&request{form: v}, "Enter a name")
		if len(ps.List) > 0 {
			if ps.List[0].Anchor != "q" || ps.List[0].Message == "" {
				t.Fatalf("problem %+v points at no field", ps.List[0])
			}
			return
		}
		if q == "" || q != strings.TrimSpace(q) || !utf8.ValidString(q) || utf8.RuneCountInString(q) > 100 {
			t.Fatalf("passed %q", q)
		}
	})
}
