package staff

import (
	"slices"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Protected are the roles only the Senior DSL gives or takes away (rule P1): they open every
// record of the school (P2), or concerns about staff (C5).
var Protected = []safeguarding.Role{safeguarding.RoleDSL, safeguarding.RoleSeniorDSL, safeguarding.RoleGovernor}

// IsProtected reports whether r is one of the Protected roles.
func IsProtected(r safeguarding.Role) bool { return slices.Contains(Protected, r) }

// CanChange reports whether p may change someone's roles at school from before to after (an
// empty after: they leave). The Senior DSL may make any change; the office any change that
// neither gives nor takes away a protected role; anyone else none.
func CanChange(p safeguarding.Principal, school safeguarding.SchoolID, before, after []safeguarding.Role) bool {
	switch {
	case p.Has(school, safeguarding.RoleSeniorDSL):
		return true
	case !p.Has(school, safeguarding.RoleAdmin):
		return false
	}
	for _, r := range Protected {
		if slices.Contains(before, r) != slices.Contains(after, r) {
			return false
		}
	}
	return true
}

// Givable lists the roles p may give at school, in the order screens show them.
func Givable(p safeguarding.Principal, school safeguarding.SchoolID) []safeguarding.Role {
	var out []safeguarding.Role
	for _, r := range safeguarding.Roles {
		if CanChange(p, school, nil, []safeguarding.Role{r}) {
			out = append(out, r)
		}
	}
	return out
}
