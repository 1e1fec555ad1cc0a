package identity

import "testing"

// Rule S8: signing in returns only to a page of this site; a hostile return address, in any
// of the ways a browser would read it as another site, returns to the home page.
func TestRule_S8_SignInReturnsOnlyToAPathOfThisSite(t *testing.T) {
	for _, hostile := range []string{
		"", "//evil.example", "/%09/evil.example", "/\t/evil.example", "/\\evil.example", `\\evil.example`,
		"https://evil.example", "/%2F%2Fevil.example", "/%2f/evil.example", "/%252F%252Fevil.example",
		"javascript:alert(1)", " /\n/evil.example", "/\r\n/evil.example", "/%5Cevil.example", "/%5cevil.example",
		"\x00/evil.example", "/\x00/evil.example", " /", "/ ", "/x%0A", "%2F%2Fevil.example", "evil.example",
		"/%", "/%%32%46", "/%25252F%25252Fevil.example",
	} {
		if got := ReturnPath(hostile); got != "/" {
			t.Errorf("ReturnPath(%q) = %q, want /", hostile, got)
		}
	}
	for _, good := range []string{"/", "/concerns/new?x=1", "/schools/brook-lane/concerns/C1", "/schools/brook-lane/pupils/p%201/chronology"} {
		if got := ReturnPath(good); got != good {
			t.Errorf("ReturnPath(%q) = %q, want it kept", good, got)
		}
	}
}
