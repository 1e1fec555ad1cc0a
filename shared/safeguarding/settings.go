package safeguarding

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A school sets for itself what the rules leave to it: the end of its day (C3, D1), the
// lone-worker minutes (V8), how long a session lasts (S3), how many families' numbers one
// person opens in an hour without a reason (P3), the duty team's number (V5), the LADO's
// number and the safeguarding governor (C5), and the agencies' contacts its policy keeps for
// staff. 0 or "" in a setting means the default, or not set yet.

// KeyAgency is an agency whose contact the school's policy keeps for its staff.
type KeyAgency string

const (
	AgencySocialCare  KeyAgency = "childrens-social-care"
	AgencyEarlyHelp   KeyAgency = "early-help"
	AgencyPolice      KeyAgency = "police"
	AgencyLAEducation KeyAgency = "la-education-safeguarding"
)

// KeyAgencies lists the agencies in the order pages show them.
var KeyAgencies = []KeyAgency{AgencySocialCare, AgencyEarlyHelp, AgencyPolice, AgencyLAEducation}

var agencyTitles = map[KeyAgency]string{
	AgencySocialCare:  "Children's social care",
	AgencyEarlyHelp:   "Early help",
	AgencyPolice:      "Police",
	AgencyLAEducation: "The local authority's education safeguarding team",
}

// Title names the agency in words.
func (a KeyAgency) Title() string { return agencyTitles[a] }

// Valid reports whether a is one of KeyAgencies.
func (a KeyAgency) Valid() bool { return slices.Contains(KeyAgencies, a) }

// KeyContact is how staff reach one agency: a name (a team or a person), a UK phone number
// and, where the agency gives one, an email address.
type KeyContact struct {
	Agency KeyAgency
	Name   string
	Number string
	Email  string
}

// KeyContact is the school's contact for agency, if it has one.
func (s School) KeyContact(agency KeyAgency) (KeyContact, bool) {
	i := slices.IndexFunc(s.KeyContacts, func(c KeyContact) bool { return c.Agency == agency })
	if i < 0 {
		return KeyContact{}, false
	}
	return s.KeyContacts[i], true
}

// Bounds of the settings a school changes.
const (
	// The end of the day comes after C3's 16:00 deadline, and by 22:00.
	MinEndOfDayMinutes = 16*60 + 1
	MaxEndOfDayMinutes = 22 * 60
	// A lone worker's check-out is awaited at least 5 minutes and at most 4 hours (V8).
	MinLoneWorkerMinutes = 5
	MaxLoneWorkerMinutes = 240
	// A session lasts 5 minutes to 2 hours without use, and 1 to 12 hours at most (S3).
	MinSessionIdleMinutes     = 5
	MaxSessionIdleMinutes     = 120
	MinSessionLifetimeMinutes = 60
	MaxSessionLifetimeMinutes = 12 * 60
	// MaxContactNameChars bounds a key contact's name.
	MaxContactNameChars = 100
)

// EndOfDay is the end of the school's day in minutes after midnight: its setting or 17:00.
func (s School) EndOfDay() int {
	if s.EndOfDayMinutes <= 0 {
		return DefaultEndOfDayMinutes
	}
	return s.EndOfDayMinutes
}

// SessionIdle and SessionLifetime are the school's S3 settings in minutes, or the defaults.
func (s School) SessionIdle() int {
	if s.SessionIdleMinutes <= 0 {
		return int(DefaultSessionIdle.Minutes())
	}
	return s.SessionIdleMinutes
}

func (s School) SessionLifetime() int {
	if s.SessionLifetimeMinutes <= 0 {
		return int(DefaultSessionLifetime.Minutes())
	}
	return s.SessionLifetimeMinutes
}

// ClockTime writes minutes after midnight as "17:00".
func ClockTime(minutes int) string { return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60) }

// ParseClockTime reads "17:00" or "5:30" as minutes after midnight.
func ParseClockTime(s string) (int, bool) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	if !ok || len(h) < 1 || len(h) > 2 || len(m) != 2 {
		return 0, false
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || hh < 0 || hh > 23 || mm < 0 || mm > 59 || h[0] == '+' || h[0] == '-' || m[0] == '+' || m[0] == '-' {
		return 0, false
	}
	return hh*60 + mm, true
}

// shortNumbers are the UK's three-digit numbers an agency's contact may be: the police's
// non-emergency 101, NHS 111, and 999 and 112 for an emergency.
var shortNumbers = []string{"101", "111", "112", "999"}

// UKNumber reads a UK phone number as it is kept and shown ("01632 960100", or a three-digit
// number like 101); false for anything else, numbers abroad included: the agencies a school
// calls are in the UK.
func UKNumber(s string) (string, bool) {
	if t := strings.TrimSpace(s); slices.Contains(shortNumbers, t) {
		return t, true
	}
	p, ok := ParsePhone(s)
	if !ok || !strings.HasPrefix(p.E164(), "+44") {
		return "", false
	}
	return p.String(), true
}

// CheckSettings refuses settings out of their bounds, naming each by its field in the API.
// 0 and "" stand for the default, or a setting not given yet.
func (s School) CheckSettings() error {
	var ps Problems
	if n := s.ContactOpeningsPerHour; n < 0 || n > MaxContactOpeningsPerHour {
		ps.Add("contactOpeningsPerHour", "a whole number from 1 to %d (0 for the default, %d)", MaxContactOpeningsPerHour, DefaultContactOpeningsPerHour)
	}
	if n := s.EndOfDayMinutes; n != 0 && (n < MinEndOfDayMinutes || n > MaxEndOfDayMinutes) {
		ps.Add("endOfDay", "a time after 16:00 and no later than 22:00, like 17:00")
	}
	if n := s.LoneWorkerMinutes; n != 0 && (n < MinLoneWorkerMinutes || n > MaxLoneWorkerMinutes) {
		ps.Add("loneWorkerMinutes", "a whole number of minutes from %d to %d", MinLoneWorkerMinutes, MaxLoneWorkerMinutes)
	}
	if n := s.SessionIdleMinutes; n != 0 && (n < MinSessionIdleMinutes || n > MaxSessionIdleMinutes) {
		ps.Add("sessionIdleMinutes", "a whole number of minutes from %d to %d", MinSessionIdleMinutes, MaxSessionIdleMinutes)
	}
	if n := s.SessionLifetimeMinutes; n != 0 && (n < MinSessionLifetimeMinutes || n > MaxSessionLifetimeMinutes) {
		ps.Add("sessionLifetimeMinutes", "a whole number of minutes from %d to %d (12 hours)", MinSessionLifetimeMinutes, MaxSessionLifetimeMinutes)
	} else if s.SessionIdle() > s.SessionLifetime() {
		ps.Add("sessionLifetimeMinutes", "at least as long as a session lasts without use (%d minutes)", s.SessionIdle())
	}
	checkNumber := func(field, n string) {
		if n == "" {
			return
		}
		if kept, ok := UKNumber(n); !ok || kept != n {
			ps.Add(field, "a UK phone number, like 01632 960100")
		}
	}
	checkNumber("dutyTeamNumber", s.DutyTeamNumber)
	checkNumber("ladoNumber", s.LADONumber)
	if g := s.SafeguardingGovernor; g != "" {
		if e, ok := NormaliseEmail(g); !ok || e != g {
			ps.Add("safeguardingGovernorEmail", "a person of the school")
		}
	}
	seen := map[KeyAgency]bool{}
	for _, c := range s.KeyContacts {
		field := "keyContacts." + string(c.Agency)
		switch {
		case !c.Agency.Valid():
			ps.Add("keyContacts", "one of %s", strings.Join(agencyNames(), ", "))
			continue
		case seen[c.Agency]:
			ps.Add(field, "given once only")
			continue
		}
		seen[c.Agency] = true
		if strings.TrimSpace(c.Name) == "" || c.Name != strings.TrimSpace(c.Name) {
			ps.Add(field+".name", "the team's or the person's name")
		}
		CheckText(&ps, field+".name", c.Name, MaxContactNameChars)
		if c.Number == "" {
			ps.Add(field+".number", "a UK phone number, like 01632 960100")
		} else {
			checkNumber(field+".number", c.Number)
		}
		if c.Email != "" {
			if e, ok := NormaliseEmail(c.Email); !ok || e != c.Email {
				ps.Add(field+".email", "an email address, like team@example.org, or nothing")
			}
		}
	}
	return ps.Err()
}

func agencyNames() []string {
	out := make([]string, len(KeyAgencies))
	for i, a := range KeyAgencies {
		out[i] = string(a)
	}
	return out
}
