package safeguarding

import "testing"

// A family's number and an alert's mobile are read by one parser: the form a number is kept
// in reads back as the same number, and as the same mobile.
func TestParsePhoneKeepsOneNumberWhicheverWayItIsWritten(t *testing.T) {
	for _, in := range []string{"07700 900123", "+44 7700 900123", "0044 (7700) 900-123", "0117 496 0123", "020 7946 0123",
		"+33 1 23 45 67 89", "+353 85 123 4567", "0800 123 4567"} {
		p, ok := ParsePhone(in)
		if !ok {
			t.Fatalf("%q refused", in)
		}
		again, ok := ParsePhone(p.String())
		if !ok || again != p {
			t.Errorf("%q kept as %q, which reads back as %+v", in, p.String(), again)
		}
		m1, ok1 := NormaliseMobile(in)
		m2, ok2 := NormaliseMobile(p.String())
		if m1 != m2 || ok1 != ok2 || ok1 != p.Mobile() {
			t.Errorf("%q as a mobile: %q %v, kept form %q %v", in, m1, ok1, m2, ok2)
		}
	}
}
