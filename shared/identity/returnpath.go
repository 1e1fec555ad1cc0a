package identity

import (
	"net/url"
	"strings"
)

// ReturnPath keeps the address to go back to after signing in only when it is a path of this
// site, and gives "/" for anything else, so that a link to the sign-in cannot send a person
// on to another site once they are signed in (an open redirect).
//
// A browser reading a Location header strips leading and trailing C0 controls and spaces and
// removes every tab, CR and LF, and treats a backslash as a slash: "/\t/evil.example" and
// "/\evil.example" both go to evil.example. So the address must start with a single "/",
// not "//", and hold no backslash, no control character and no space at either end, both as
// it is and decoded (once or twice: "%2F%2F" is "//", "%252F" is "%2F"). A path of this site
// never needs any of these.
func ReturnPath(p string) string {
	s := p
	for range 3 {
		if !sitePath(s) {
			return "/"
		}
		d, err := url.PathUnescape(s)
		if err != nil {
			return "/"
		}
		if d == s {
			return p
		}
		s = d
	}
	return "/" // encoded three times over: no page of this site links so
}

// sitePath reports whether s, read as a browser reads a Location, is a path on this site.
func sitePath(s string) bool {
	if !strings.HasPrefix(s, "/") || strings.HasPrefix(s, "//") || strings.TrimSpace(s) != s {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r == '\\' || r < 0x20 || r == 0x7f })
}
