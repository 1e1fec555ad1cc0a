package main

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// FuzzPupilLookup feeds any posted body to the decoder of the search as one types: it never
// panics, and a search it accepts is valid text of at most 100 characters with at most a
// concern's pupils chosen, each once; one it refuses says why in plain words.
func FuzzPupilLookup(f *testing.F) {
	for _, seed := range []string{"q=chi", "q=%20%20&pupil=bl-01&pupil=bl-01", "q=%FF%FE", "q=" + strings.Repeat("a", 101),
		"q=a%00b", "pupil=&pupil=%20x%20&q=Zofia+Kowalski", "q=" + url.QueryEscape("Ō'Brien-Smith")} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		l, problem := readPupilLookup(v)
		if problem != "" {
			if l.Query != "" || l.Chosen != nil {
				t.Errorf("a refused search still gives %+v", l)
			}
			return
		}
		if !utf8.ValidString(l.Query) || utf8.RuneCountInString(l.Query) > maxLookupQuery || l.Query != strings.TrimSpace(l.Query) {
			t.Errorf("accepted search %q", l.Query)
		}
		if len(l.Chosen) > concerns.MaxPupilsPerConcern {
			t.Errorf("%d pupils chosen", len(l.Chosen))
		}
		for i, id := range l.Chosen {
			if id == "" || slices.Contains(l.Chosen[:i], id) {
				t.Errorf("chosen %q", l.Chosen)
			}
		}
	})
}
