package safeguarding

import (
	"net/mail"
	"slices"
	"strings"
)

// SchoolID identifies one school of a federation.
type SchoolID string

// Role is what a person may do in one school (rule P1).
type Role string

const (
	RoleStaff     Role = "staff"
	RoleTeacher   Role = "teacher"
	RoleAdmin     Role = "admin"
	RoleDSL       Role = "dsl"
	RoleSeniorDSL Role = "senior_dsl"
	RoleGovernor  Role = "governor"
)

// Roles lists every role of rule P1, in the order screens show them.
var Roles = []Role{RoleStaff, RoleTeacher, RoleAdmin, RoleDSL, RoleSeniorDSL, RoleGovernor}

// Principal is the signed-in person and the roles they hold in each school (rule P1).
type Principal struct {
	Email       string
	Name        string
	Memberships map[SchoolID][]Role
}

// Has reports whether the principal holds role in school.
func (p Principal) Has(school SchoolID, role Role) bool {
	return slices.Contains(p.Memberships[school], role)
}

// IsMember reports whether the principal holds any role in school.
func (p Principal) IsMember(school SchoolID) bool { return len(p.Memberships[school]) > 0 }

// IsDSL reports whether the principal is a DSL (or deputy) or the Senior DSL of school.
func (p Principal) IsDSL(school SchoolID) bool {
	return p.Has(school, RoleDSL) || p.Has(school, RoleSeniorDSL)
}

// StaffMember is one person on a school's alert roster.
type StaffMember struct {
	Email string
	Roles []Role
}

func (m StaffMember) has(r Role) bool { return slices.Contains(m.Roles, r) }

// School is what the rules need to know of a school: its name, settings and alert roster.
type School struct {
	ID     SchoolID
	Name   string
	Roster []StaffMember
	// EndOfDayMinutes is "the end of the day" in minutes after local midnight (default 17:00).
	EndOfDayMinutes int
}

// HasStaff reports whether email is on the school's roster.
func (s School) HasStaff(email string) bool {
	return slices.ContainsFunc(s.Roster, func(m StaffMember) bool { return m.Email == email })
}

// DefaultEndOfDayMinutes is 17:00, the end of the school day unless a school configures another.
const DefaultEndOfDayMinutes = 17 * 60

// NormaliseEmail lower-cases and trims an email address; it reports false when it is not one.
func NormaliseEmail(s string) (string, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || len(s) > 254 {
		return "", false
	}
	return s, true
}
