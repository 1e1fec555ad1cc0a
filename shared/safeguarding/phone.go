package safeguarding

import "strings"

// PhoneNumber is a phone number read once from what people write ("07700 900123",
// "0117 496 0123", "+44 7700 900123", "0044 7700 900123", "+33 1 23 45 67 89"): its country
// code and number, as E.164 digits without the "+". Every number the product keeps goes
// through ParsePhone: a family's numbers (rule P3) and the mobiles alerts go to (rule C4).
type PhoneNumber struct{ digits string }

// ParsePhone reads a UK number written nationally (10 or 11 digits from a 0) or
// internationally ("+44", "0044"), or any other number with its country code after "+" (8 to
// 15 digits). "00" before anything but 44 is refused: "00 7700 900123" is more likely a
// mistyped mobile than a number in Russia. Spaces, hyphens, dots and brackets are ignored;
// anything else fails.
func ParsePhone(s string) (PhoneNumber, bool) {
	var b strings.Builder
	plus := false
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return PhoneNumber{}, false
		}
	}
	d := b.String()
	switch {
	case plus:
	case strings.HasPrefix(d, "0044"):
		d = d[2:]
	case strings.HasPrefix(d, "0"):
		d = "44" + d[1:]
	default:
		return PhoneNumber{}, false
	}
	if len(d) < 8 || len(d) > 15 || d[0] == '0' {
		return PhoneNumber{}, false
	}
	if national, uk := strings.CutPrefix(d, "44"); uk && (len(national) < 9 || len(national) > 10 || national[0] == '0') {
		return PhoneNumber{}, false
	}
	return PhoneNumber{digits: d}, true
}

// E164 is the number as SMS needs it: "+447700900123".
func (p PhoneNumber) E164() string { return "+" + p.digits }

// Mobile reports whether the number can take an SMS: a UK mobile (07...) or, since other
// countries' numbering is not checked here, any number abroad.
func (p PhoneNumber) Mobile() bool {
	national, uk := strings.CutPrefix(p.digits, "44")
	return !uk || len(national) == 10 && national[0] == '7'
}

// String is the number as people read it: a UK number nationally with a space after its area
// code or mobile prefix ("07700 900123", "020 7946 0123", "0117 4960123"), any other as "+"
// and its digits.
func (p PhoneNumber) String() string {
	national, uk := strings.CutPrefix(p.digits, "44")
	if !uk {
		return "+" + p.digits
	}
	d := "0" + national
	switch {
	case strings.HasPrefix(d, "02"):
		return d[:3] + " " + d[3:] // 020 7946 0123
	case strings.HasPrefix(d, "011") || strings.HasPrefix(d, "01") && d[3] == '1' || strings.HasPrefix(d, "08") || strings.HasPrefix(d, "03"):
		return d[:4] + " " + d[4:] // 0117 4960123, 0121 4960123, 0800 ...
	}
	return d[:5] + " " + d[5:] // 07700 900123, 01632 960123
}

// NormalisePhone is a family's number in the one form it is kept and shown in (rule P3).
func NormalisePhone(s string) (string, bool) {
	p, ok := ParsePhone(s)
	if !ok {
		return "", false
	}
	return p.String(), true
}

// NormaliseMobile is a mobile number in E.164, for SMS alerts; false for anything else,
// including UK numbers that are not mobiles.
func NormaliseMobile(s string) (string, bool) {
	p, ok := ParsePhone(s)
	if !ok || !p.Mobile() {
		return "", false
	}
	return p.E164(), true
}
