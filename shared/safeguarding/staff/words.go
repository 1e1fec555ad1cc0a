package staff

import "github.com/keepsafe-schools/keepsafe/shared/safeguarding"

// The roles as the staff pages name and explain them, in plain words.
var (
	roleWords = map[safeguarding.Role]string{
		safeguarding.RoleStaff:     "Staff",
		safeguarding.RoleTeacher:   "Teacher",
		safeguarding.RoleAdmin:     "Office",
		safeguarding.RoleDSL:       "Designated safeguarding lead (DSL)",
		safeguarding.RoleSeniorDSL: "Senior DSL",
		safeguarding.RoleGovernor:  "Safeguarding governor",
	}
	// roleShort name a role beside a person's name, as in "Priya Shah (staff)".
	roleShort = map[safeguarding.Role]string{
		safeguarding.RoleStaff: "staff", safeguarding.RoleTeacher: "teacher", safeguarding.RoleAdmin: "office",
		safeguarding.RoleDSL: "DSL", safeguarding.RoleSeniorDSL: "Senior DSL", safeguarding.RoleGovernor: "governor",
	}
	roleHints = map[safeguarding.Role]string{
		safeguarding.RoleTeacher:   "Has a class, and marks its families' acknowledgements",
		safeguarding.RoleAdmin:     "Imports pupils and staff, keeps families' numbers and the calendar",
		safeguarding.RoleDSL:       "Sees every record of the school and is alerted to every concern",
		safeguarding.RoleSeniorDSL: "The headteacher: everything a DSL does, and gives every role",
		safeguarding.RoleGovernor:  "Receives concerns about members of staff",
	}
)

// RoleWords names a role for a page.
func RoleWords(r safeguarding.Role) string { return roleWords[r] }

// RoleShort names a role in a word or two, beside a person's name.
func RoleShort(r safeguarding.Role) string { return roleShort[r] }

// RoleHint says in a line what a role opens ("" for staff, which every role is).
func RoleHint(r safeguarding.Role) string { return roleHints[r] }

// FirstRoles are the roles the add form starts with ticked: any adult in school.
func FirstRoles() []safeguarding.Role { return []safeguarding.Role{safeguarding.RoleStaff} }
