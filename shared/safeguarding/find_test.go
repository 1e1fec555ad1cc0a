package safeguarding

import "testing"

func TestRule_P1_AUPNIsALetterElevenDigitsAndADigitOrLetter(t *testing.T) {
	for q, want := range map[string]string{
		"A123456789012":   "A123456789012",
		" a12345678901b ": "A12345678901B",
		"A12345678901":    "",
		"1123456789012":   "",
		"A1234567890X2":   "",
		"Chidi Okafor":    "",
		"Acorns":          "",
		"É123456789012":   "",
	} {
		got, ok := UPNOf(q)
		if got != want || ok != (want != "") {
			t.Errorf("UPNOf(%q) = %q, %v; want %q", q, got, ok, want)
		}
	}
}
