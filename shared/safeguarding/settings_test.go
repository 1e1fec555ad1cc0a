package safeguarding

import (
	"errors"
	"strings"
	"testing"
)

// Rules V5, C5: the duty team's, the LADO's and the key contacts' numbers are UK numbers, kept
// in one written form; three-digit numbers like 101 are taken as written; a number abroad, a
// word or a short number is refused.
func TestRule_V5_C5_TheSchoolsNumbersAreUKNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"01632 960100": "01632 960100", "01632960100": "01632 960100", "+44 1632 960100": "01632 960100",
		"0044 (1632) 960-100": "01632 960100", "020 7946 0123": "020 79460123", "101": "101", " 999 ": "999",
	} {
		if got, ok := UKNumber(in); !ok || got != want {
			t.Errorf("%q: %q %v, want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "+33 1 23 45 67 89", "duty team", "12", "0163 29", "1632960100", "911"} {
		if got, ok := UKNumber(in); ok {
			t.Errorf("%q taken as %q", in, got)
		}
	}
	for field, s := range map[string]School{
		"dutyTeamNumber":                               {DutyTeamNumber: "+33 1 23 45 67 89"},
		"ladoNumber":                                   {LADONumber: "01632960110"}, // kept only in its one form
		"keyContacts.police.number":                    {KeyContacts: []KeyContact{{Agency: AgencyPolice, Name: "Police", Number: "12"}}},
		"keyContacts.early-help.name":                  {KeyContacts: []KeyContact{{Agency: AgencyEarlyHelp, Number: "01632 960120"}}},
		"keyContacts.early-help.email":                 {KeyContacts: []KeyContact{{Agency: AgencyEarlyHelp, Name: "Hub", Number: "01632 960120", Email: "hub"}}},
		"keyContacts":                                  {KeyContacts: []KeyContact{{Agency: "the-vicar", Name: "Vicar", Number: "01632 960120"}}},
		"keyContacts.police":                           {KeyContacts: []KeyContact{{Agency: AgencyPolice, Name: "A", Number: "101"}, {Agency: AgencyPolice, Name: "B", Number: "999"}}},
		"safeguardingGovernorEmail":                    {SafeguardingGovernor: "Martin Doyle"},
		"keyContacts.police.name":                      {KeyContacts: []KeyContact{{Agency: AgencyPolice, Name: strings.Repeat("x", MaxContactNameChars+1), Number: "101"}}},
		"keyContacts.la-education-safeguarding.number": {KeyContacts: []KeyContact{{Agency: AgencyLAEducation, Name: "Team"}}},
	} {
		err := s.CheckSettings()
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	ok := School{DutyTeamNumber: "01632 960100", LADONumber: "01632 960110", SafeguardingGovernor: "martin.doyle@brookhill.example.org",
		KeyContacts: []KeyContact{{Agency: AgencySocialCare, Name: "Front door", Number: "01632 960100"}, {Agency: AgencyPolice, Name: "Police", Number: "101", Email: "police@example.org"}}}
	if err := ok.CheckSettings(); err != nil {
		t.Errorf("good settings refused: %v", err)
	}
}

// Rules V8, S3 and the end of the day (C3, D1): the lone-worker minutes, the session's
// timeouts and the end of the day are within bounds; 0 is the default.
func TestRule_V8_S3_C3_TheSchoolsMinutesAndEndOfDayAreBounded(t *testing.T) {
	for _, s := range []School{
		{}, {LoneWorkerMinutes: MinLoneWorkerMinutes}, {LoneWorkerMinutes: MaxLoneWorkerMinutes},
		{SessionIdleMinutes: 5, SessionLifetimeMinutes: 60}, {SessionIdleMinutes: 120, SessionLifetimeMinutes: 720},
		{EndOfDayMinutes: 16*60 + 1}, {EndOfDayMinutes: 22 * 60},
	} {
		if err := s.CheckSettings(); err != nil {
			t.Errorf("%+v refused: %v", s, err)
		}
	}
	for field, s := range map[string]School{
		"loneWorkerMinutes":      {LoneWorkerMinutes: 4},
		"sessionIdleMinutes":     {SessionIdleMinutes: 121},
		"sessionLifetimeMinutes": {SessionLifetimeMinutes: 59},
		"endOfDay":               {EndOfDayMinutes: 16 * 60},
	} {
		err := s.CheckSettings()
		var ve *ValidationError
		if !errors.As(err, &ve) || ve.Problems[0].Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	// A session cannot last less in all than it lasts without use.
	if err := (School{SessionIdleMinutes: 90, SessionLifetimeMinutes: 60}).CheckSettings(); err == nil || !strings.Contains(err.Error(), "sessionLifetimeMinutes") {
		t.Errorf("idle beyond the lifetime: %v", err)
	}
	for in, want := range map[string]int{"17:00": 1020, "7:05": 425, "23:59": 1439} {
		if got, ok := ParseClockTime(in); !ok || got != want {
			t.Errorf("%q: %d %v", in, got, ok)
		}
	}
	for _, in := range []string{"", "17", "24:00", "17:60", "5pm", "-1:00", "17:+5", "017:00"} {
		if got, ok := ParseClockTime(in); ok {
			t.Errorf("%q read as %d", in, got)
		}
	}
	if ClockTime(1020) != "17:00" || (School{}).EndOfDay() != DefaultEndOfDayMinutes {
		t.Error("17:00 is not written as 17:00, or the default end of the day is not 17:00")
	}
}
