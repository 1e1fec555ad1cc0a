// Package settings holds what a school sets for itself (its settings: the end of its day,
// the lone-worker minutes, session timeouts, the numbers and people staff turn to) and who
// teaches each of its classes. Every member of the school reads the settings where their work
// needs them; only the Senior DSL changes them, and the Senior DSL or the office say who
// teaches a class. Each change is audited and written against the version it was read at.
package settings

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Load is what reading or changing the settings needs, in one read: the person, the school
// and any earlier request with the change's idempotency key.
type Load struct {
	Viewer safeguarding.Principal
	School safeguarding.School
	Prior  *safeguarding.PriorRequest
}

// Store is the storage port of the settings and class use cases.
type Store interface {
	// LoadSettings reads the viewer, the school and any earlier request with rk's key; a
	// school the viewer is not a member of is ErrForbidden.
	LoadSettings(ctx context.Context, viewer string, school safeguarding.SchoolID, rk safeguarding.RequestKey) (Load, error)
	// StaffNames names people by email; unknown ones are absent.
	StaffNames(ctx context.Context, emails []string) (map[string]string, error)
	// SaveSettings writes the school's settings on the condition that their version is still
	// prev (ErrConflict), with the audit entry and the request record, in one transaction.
	SaveSettings(ctx context.Context, s safeguarding.School, prev int, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error
	// ClassTeachers lists the school's classes with their teachers, in name order.
	ClassTeachers(ctx context.Context, school safeguarding.SchoolID) ([]Class, error)
	// SaveClassTeachers writes a class's teachers on the condition that its version is still
	// prev (ErrConflict), with the audit entry and the request record, in one transaction.
	SaveClassTeachers(ctx context.Context, school safeguarding.SchoolID, c Class, prev int, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
}

// Person is someone of the school, by name.
type Person struct {
	Email string
	Name  string
}

// Settings are the school's settings as the Senior DSL gives them, and as every reader sees
// them (with the defaults filled in).
type Settings struct {
	EndOfDayMinutes        int
	LoneWorkerMinutes      int
	SessionIdleMinutes     int
	SessionLifetimeMinutes int
	ContactOpeningsPerHour int
	DutyTeamNumber         string
	LADONumber             string
	// SafeguardingGovernor is the governor's email: a person with the governor role.
	SafeguardingGovernor string
	KeyContacts          []safeguarding.KeyContact
}

// Of is a school's settings, the defaults filled in where it has none.
func Of(s safeguarding.School) Settings {
	out := Settings{
		EndOfDayMinutes: s.EndOfDay(), LoneWorkerMinutes: int(s.LoneWorkerAfter().Minutes()),
		SessionIdleMinutes: s.SessionIdle(), SessionLifetimeMinutes: s.SessionLifetime(),
		ContactOpeningsPerHour: s.ContactOpeningsLimit(),
		DutyTeamNumber:         s.DutyTeamNumber, LADONumber: s.LADONumber, SafeguardingGovernor: s.SafeguardingGovernor,
	}
	for _, a := range safeguarding.KeyAgencies {
		if c, ok := s.KeyContact(a); ok {
			out.KeyContacts = append(out.KeyContacts, c)
		}
	}
	return out
}

// applyTo is the school with these settings.
func (in Settings) applyTo(s safeguarding.School) safeguarding.School {
	s.EndOfDayMinutes, s.LoneWorkerMinutes = in.EndOfDayMinutes, in.LoneWorkerMinutes
	s.SessionIdleMinutes, s.SessionLifetimeMinutes = in.SessionIdleMinutes, in.SessionLifetimeMinutes
	s.ContactOpeningsPerHour = in.ContactOpeningsPerHour
	s.DutyTeamNumber, s.LADONumber, s.SafeguardingGovernor = in.DutyTeamNumber, in.LADONumber, in.SafeguardingGovernor
	s.KeyContacts = in.KeyContacts
	return s
}

// normalised is the settings as they are kept: numbers in their one written form, emails in
// lower case, names trimmed, the key contacts in the order of KeyAgencies and those left
// wholly empty dropped. What cannot be read is left as given, for CheckSettings to name.
func (in Settings) normalised() Settings {
	number := func(s string) string {
		s = strings.TrimSpace(s)
		if kept, ok := safeguarding.UKNumber(s); ok {
			return kept
		}
		return s
	}
	in.DutyTeamNumber, in.LADONumber = number(in.DutyTeamNumber), number(in.LADONumber)
	in.SafeguardingGovernor = strings.ToLower(strings.TrimSpace(in.SafeguardingGovernor))
	var cs []safeguarding.KeyContact
	for _, c := range in.KeyContacts {
		c.Name, c.Number, c.Email = strings.TrimSpace(c.Name), number(c.Number), strings.ToLower(strings.TrimSpace(c.Email))
		if c.Name == "" && c.Number == "" && c.Email == "" {
			continue
		}
		cs = append(cs, c)
	}
	slices.SortStableFunc(cs, func(a, b safeguarding.KeyContact) int {
		return agencyIndex(a.Agency) - agencyIndex(b.Agency)
	})
	in.KeyContacts = cs
	return in
}

func agencyIndex(a safeguarding.KeyAgency) int {
	if i := slices.Index(safeguarding.KeyAgencies, a); i >= 0 {
		return i
	}
	return len(safeguarding.KeyAgencies)
}

// View is the school's settings as one member reads them.
type View struct {
	SchoolName string
	Settings   Settings
	Version    int
	// Governor is the safeguarding governor by name (zero when none is named).
	Governor Person
	// Governors are the school's people with the governor role, to choose from: for the
	// Senior DSL only.
	Governors []Person
	// CanChange: the reader is the Senior DSL.
	CanChange bool
}

// Service holds the settings and class use cases.
type Service struct {
	Store Store
	NewID func(at time.Time) string
}

// Read returns the school's settings to any member of it (ErrForbidden for anyone else).
func (s Service) Read(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (View, error) {
	l, err := s.Store.LoadSettings(ctx, who.Email, school, safeguarding.RequestKey{})
	if err != nil {
		return View{}, err
	}
	if !safeguarding.AccessFor(l.Viewer, school).Member {
		return View{}, safeguarding.ErrForbidden
	}
	v := View{SchoolName: l.School.Name, Settings: Of(l.School), Version: l.School.SettingsVersion,
		CanChange: safeguarding.AccessFor(l.Viewer, school).Settings}
	emails := []string{}
	if g := l.School.SafeguardingGovernor; g != "" {
		emails = append(emails, g)
	}
	governors := staffWith(l.School, safeguarding.RoleGovernor)
	if v.CanChange {
		emails = append(emails, governors...)
	}
	if len(emails) == 0 {
		return v, nil
	}
	names, err := s.Store.StaffNames(ctx, emails)
	if err != nil {
		return View{}, err
	}
	if g := l.School.SafeguardingGovernor; g != "" {
		v.Governor = Person{Email: g, Name: nameOr(names, g)}
	}
	if v.CanChange {
		v.Governors = people(governors, names)
	}
	return v, nil
}

// Change replaces the school's settings with in: the Senior DSL only, against the version
// they read (ErrConflict when someone changed them since). The safeguarding governor must be
// a person with the governor role at the school. The receipt's Version is the new version.
func (s Service) Change(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, version int, in Settings,
	key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error) {
	l, err := s.Store.LoadSettings(ctx, who.Email, school, key)
	if err != nil {
		return safeguarding.Receipt{}, err
	}
	if !safeguarding.AccessFor(l.Viewer, school).Settings {
		return safeguarding.Receipt{}, safeguarding.ErrForbidden
	}
	if l.Prior != nil {
		return safeguarding.Replayed(*l.Prior, fingerprint, safeguarding.ReceiptOf)
	}
	in = in.normalised()
	next := in.applyTo(l.School)
	err = next.CheckSettings()
	if g := in.SafeguardingGovernor; g != "" && !slices.Contains(staffWith(l.School, safeguarding.RoleGovernor), g) {
		err = withProblem(err, "safeguardingGovernorEmail", "one of the school's governors")
	}
	if err != nil {
		return safeguarding.Receipt{}, err
	}
	if version != l.School.SettingsVersion {
		return safeguarding.Receipt{}, fmt.Errorf("settings version %d, now %d: %w", version, l.School.SettingsVersion, safeguarding.ErrConflict)
	}
	next.SettingsVersion = version + 1
	receipt := safeguarding.Receipt{ID: string(school), RecordedAt: who.At, Version: next.SettingsVersion}
	var req *safeguarding.RequestRecord
	if key.Key != "" {
		req = &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: receipt}
	}
	err = s.Store.SaveSettings(ctx, next, version, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email,
		Action: "settings.changed", Subject: "settings", At: who.At, Source: who.Source}, req)
	return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, receipt, err, safeguarding.ReceiptOf)
}

// withProblem adds one field's problem to err, a ValidationError or nil.
func withProblem(err error, field, message string) error {
	var ps safeguarding.Problems
	if ve, ok := err.(*safeguarding.ValidationError); ok {
		ps = ve.Problems
	} else if err != nil {
		return err
	}
	ps.Add(field, "%s", message)
	return ps.Err()
}

// staffWith lists the emails of the school's people holding role, from its roster.
func staffWith(s safeguarding.School, role safeguarding.Role) []string {
	var out []string
	for _, m := range s.Roster {
		if m.Has(role) && !slices.Contains(out, m.Email) {
			out = append(out, m.Email)
		}
	}
	return out
}

func nameOr(names map[string]string, email string) string {
	if n := names[email]; n != "" {
		return n
	}
	return email
}

// people names each email, in name order.
func people(emails []string, names map[string]string) []Person {
	out := make([]Person, 0, len(emails))
	for _, e := range emails {
		out = append(out, Person{Email: e, Name: nameOr(names, e)})
	}
	slices.SortFunc(out, func(a, b Person) int {
		if c := strings.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return strings.Compare(a.Email, b.Email)
	})
	return out
}
