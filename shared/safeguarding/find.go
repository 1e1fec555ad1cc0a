package safeguarding

import (
	"strings"
	"unicode"
)

// UPNOf reads q as a unique pupil number (the DfE's UPN: a letter, eleven digits, then a
// digit or, for a temporary number, a letter), upper-cased, or reports that it is not one, so
// a search box can take a name, a UPN or a class (rule P1: a school's pupils come from its MIS).
func UPNOf(q string) (string, bool) {
	u := strings.ToUpper(strings.TrimSpace(q))
	if len(u) != 13 {
		return "", false
	}
	for i, r := range u {
		switch {
		case i == 0 && !unicode.IsLetter(r) || r > unicode.MaxASCII:
			return "", false
		case i > 0 && i < 12 && !unicode.IsDigit(r):
			return "", false
		case i == 12 && !unicode.IsDigit(r) && !unicode.IsLetter(r):
			return "", false
		}
	}
	return u, true
}
