package contact

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func TestRule_P3_PastTheHoursThresholdEachNewFamilyNeedsAReason(t *testing.T) {
	none, given := OpeningReason{}, OpeningReason{Text: "  A call back was asked for ", Given: true}
	for _, c := range []struct {
		name   string
		o      ContactOpenings
		reason OpeningReason
		want   Opening
	}{
		{"the first family", ContactOpenings{}, none, Opening{Count: true, Limit: 30}},
		{"the 30th family", ContactOpenings{Families: 29}, none, Opening{Count: true, Limit: 30}},
		{"the 31st family without a reason", ContactOpenings{Families: 30}, none, Opening{Limit: 30, Beyond: true, Refused: true, Alert: true}},
		{"the 31st family with a reason", ContactOpenings{Families: 30}, given, Opening{Count: true, Limit: 30, Beyond: true, Alert: true, Reason: "A call back was asked for"}},
		{"once alerted, never again that hour", ContactOpenings{Families: 31, Alerted: true}, given, Opening{Count: true, Limit: 30, Beyond: true, Reason: "A call back was asked for"}},
		{"a family counted this hour", ContactOpenings{Families: 40, Counted: true, Alerted: true}, none, Opening{Limit: 30}},
		{"a family counted this hour, with a reason anyway", ContactOpenings{Families: 40, Counted: true}, given, Opening{Limit: 30, Reason: "A call back was asked for"}},
		{"a reason before the threshold is kept", ContactOpenings{Families: 3}, given, Opening{Count: true, Limit: 30, Reason: "A call back was asked for"}},
	} {
		got, err := DecideOpening(c.o, 30, c.reason)
		if err != nil || got != c.want {
			t.Errorf("%s: %+v %v, want %+v", c.name, got, err, c.want)
		}
	}
	for _, bad := range []string{"", " \n ", strings.Repeat("é", MaxOpeningReasonChars+1), "\xff"} {
		_, err := DecideOpening(ContactOpenings{Families: 30}, 30, OpeningReason{Text: bad, Given: true})
		if !errors.Is(err, safeguarding.ErrInvalid) || !strings.Contains(err.Error(), "reason") {
			t.Errorf("reason %.12q: %v", bad, err)
		}
	}
	if _, err := DecideOpening(ContactOpenings{}, 30, OpeningReason{Text: strings.Repeat("é", MaxOpeningReasonChars), Given: true}); err != nil {
		t.Errorf("a reason of %d characters: %v", MaxOpeningReasonChars, err)
	}
}

func TestRule_P3_TheHourIsTheClockHourInUTCAndLondon(t *testing.T) {
	at := time.Date(2026, 7, 1, 9, 59, 59, 0, safeguarding.London) // BST
	if got, want := OpeningHour(at), time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("%v, want %v", got, want)
	}
	if OpeningHour(at).Equal(OpeningHour(at.Add(time.Second))) {
		t.Error("10:00 starts a new hour")
	}
}

func TestRule_P3_ASchoolsNumberOfFamiliesAnHourIsBounded(t *testing.T) {
	for n, want := range map[int]int{0: 30, 1: 1, 12: 12, safeguarding.MaxContactOpeningsPerHour: safeguarding.MaxContactOpeningsPerHour} {
		s := safeguarding.School{ContactOpeningsPerHour: n}
		if s.ContactOpeningsLimit() != want || s.CheckSettings() != nil {
			t.Errorf("%d: %d %v", n, s.ContactOpeningsLimit(), s.CheckSettings())
		}
	}
	for _, n := range []int{-1, safeguarding.MaxContactOpeningsPerHour + 1} {
		err := safeguarding.School{ContactOpeningsPerHour: n}.CheckSettings()
		if !errors.Is(err, safeguarding.ErrInvalid) || !strings.Contains(err.Error(), "contactOpeningsPerHour") {
			t.Errorf("%d: %v", n, err)
		}
	}
}

func TestRule_P3_S2_TheBulkReadingAlertGoesToTheSeniorDSLsAndNamesNoOne(t *testing.T) {
	sc := safeguarding.School{ID: school, Name: "Brook Lane Primary", Roster: []safeguarding.StaffMember{
		{Email: "head@school.example", Roles: []safeguarding.Role{safeguarding.RoleSeniorDSL}},
		{Email: "dsl@school.example", Roles: []safeguarding.Role{safeguarding.RoleDSL}},
	}}
	audit := safeguarding.AuditEntry{ID: "01AUDIT", School: school, Actor: "reader@school.example", Subject: "family/f1/contact-details"}
	alerts := bulkReadingAlerts(sc, audit)
	if len(alerts) != 1 || alerts[0].Recipient != "head@school.example" || alerts[0].Reference != "01AUDIT" || alerts[0].Kind != AlertBulkContactReading {
		t.Fatalf("%+v", alerts)
	}
	if a := alerts[0]; strings.Contains(a.ID+a.Subject+a.Reference, "reader") || strings.Contains(a.ID+a.Subject+a.Reference, "f1") {
		t.Errorf("rule S2: %+v", a)
	}
}
