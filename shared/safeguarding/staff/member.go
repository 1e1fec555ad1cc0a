package staff

import (
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Member is one person on a school's staff, as the staff pages and the API show them.
type Member struct {
	// Person is the identity provider's immutable subject of their account (rule S8): the id
	// the pages and the API name them by, so that no email goes in an address or a log.
	Person string
	Email  string
	Name   string
	// Mobile is in E.164 for SMS alerts; "" for none.
	Mobile string
	Roles  []safeguarding.Role
}

// Staffing is what the staff use cases read together: who asks, the school with its roster,
// the profiles of the people on it (by email) and any earlier request with the same key.
type Staffing struct {
	Viewer   safeguarding.Principal
	School   safeguarding.School
	Profiles map[string]safeguarding.Principal
	Prior    *safeguarding.PriorRequest
}

// Members is the school's staff by name (then email), each with their roles at the school.
func (s Staffing) Members() []Member {
	var out []Member
	for _, m := range s.School.Roster {
		if len(m.Roles) == 0 {
			continue
		}
		p := s.Profiles[m.Email]
		out = append(out, Member{Person: p.Subject, Email: m.Email, Name: p.Name, Mobile: p.Mobile, Roles: sortRoles(m.Roles)})
	}
	slices.SortFunc(out, func(a, b Member) int {
		if c := strings.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)); c != 0 {
			return c
		}
		return strings.Compare(a.Email, b.Email)
	})
	return out
}

// Member finds the member of staff whose account is person; ok is false for anyone not on
// the school's staff (a leaver included).
func (s Staffing) Member(person string) (Member, bool) {
	if person == "" {
		return Member{}, false
	}
	for _, m := range s.Members() {
		if m.Person == person {
			return m, true
		}
	}
	return Member{}, false
}

// sortRoles puts roles in the order of safeguarding.Roles, once each.
func sortRoles(rs []safeguarding.Role) []safeguarding.Role {
	var out []safeguarding.Role
	for _, r := range safeguarding.Roles {
		if slices.Contains(rs, r) {
			out = append(out, r)
		}
	}
	return out
}

// MaxNameChars bounds a person's name.
const MaxNameChars = 100

// NewMember is a member of staff as the Senior DSL or the office describes them.
type NewMember struct {
	Name, Email, Mobile string
	Roles               []safeguarding.Role
}

// Checked is the member as check makes them, for a tool that adds one outside the use cases
// (the command that creates a school and its first Senior DSL).
func (n NewMember) Checked() (NewMember, error) { return n.check() }

// check returns the member with their email lower-cased and their mobile in E.164, or the
// problems of each field.
func (n NewMember) check() (NewMember, error) {
	var ps safeguarding.Problems
	n.Name = strings.Join(strings.Fields(n.Name), " ")
	switch {
	case n.Name == "":
		ps.Add("name", "give their full name")
	case !utf8.ValidString(n.Name) || utf8.RuneCountInString(n.Name) > MaxNameChars:
		ps.Add("name", "at most %d characters", MaxNameChars)
	}
	email, ok := safeguarding.NormaliseEmail(n.Email)
	if !ok {
		ps.Add("email", "give the email address they sign in with, like name@school.org.uk")
	}
	n.Email = email
	if strings.TrimSpace(n.Mobile) != "" {
		m, ok := safeguarding.NormaliseMobile(n.Mobile)
		if !ok {
			ps.Add("mobile", "give a UK mobile number, like 07700 900123, or leave it empty")
		}
		n.Mobile = m
	} else {
		n.Mobile = ""
	}
	roles, err := checkRoles(n.Roles)
	if err != nil {
		ps.Add("roles", "%s", err.Error())
	}
	n.Roles = roles
	return n, ps.Err()
}

type rolesProblem string

func (r rolesProblem) Error() string { return string(r) }

// checkRoles reads a set of roles: at least one, each a role of rule P1.
func checkRoles(rs []safeguarding.Role) ([]safeguarding.Role, error) {
	if len(rs) == 0 {
		return nil, rolesProblem("choose at least one role")
	}
	for _, r := range rs {
		if !slices.Contains(safeguarding.Roles, r) {
			return nil, rolesProblem("each role one of staff, teacher, admin, dsl, senior_dsl, governor")
		}
	}
	return sortRoles(rs), nil
}

// withRoles is p with roles at school (none: p no longer works there), their other schools
// as they were.
func withRoles(p safeguarding.Principal, school safeguarding.SchoolID, roles []safeguarding.Role) safeguarding.Principal {
	m := maps.Clone(p.Memberships)
	if m == nil {
		m = map[safeguarding.SchoolID][]safeguarding.Role{}
	}
	if len(roles) == 0 {
		delete(m, school)
	} else {
		m[school] = slices.Clone(roles)
	}
	p.Memberships = m
	return p
}

// rosterWith is the roster with email's roles set (appended when new, removed when none).
func rosterWith(roster []safeguarding.StaffMember, email string, roles []safeguarding.Role) []safeguarding.StaffMember {
	out := make([]safeguarding.StaffMember, 0, len(roster)+1)
	found := false
	for _, m := range roster {
		if m.Email != email {
			out = append(out, m)
			continue
		}
		found = true
		if len(roles) > 0 {
			out = append(out, safeguarding.StaffMember{Email: email, Roles: slices.Clone(roles)})
		}
	}
	if !found && len(roles) > 0 {
		out = append(out, safeguarding.StaffMember{Email: email, Roles: slices.Clone(roles)})
	}
	return out
}

// hasSeniorDSL reports whether someone on the roster is the Senior DSL.
func hasSeniorDSL(roster []safeguarding.StaffMember) bool {
	return slices.ContainsFunc(roster, func(m safeguarding.StaffMember) bool { return m.Has(safeguarding.RoleSeniorDSL) })
}
