package contact

import (
	"slices"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// CanDecide: the Senior DSL decides on contacting social care for a MISSING family (E4).
func (f Family) CanDecide(p safeguarding.Principal) bool {
	return f.s.Status == FamilyMissing && p.Has(f.s.School, safeguarding.RoleSeniorDSL)
}

// CanRecordLANotification: the Senior DSL records informing the LA once it is raised (E5).
func (f Family) CanRecordLANotification(p safeguarding.Principal) bool {
	return f.CanDecide(p) && !f.s.LARaisedAt.IsZero() && f.s.LANotifiedAt.IsZero()
}

// CanRecordContact: the DSLs, and staff a DSL designated for closure contact (rule P3: they
// are the ones who call).
func CanRecordContact(p safeguarding.Principal, school safeguarding.SchoolID, designated bool) bool {
	return safeguarding.CanSeeContactDetails(p, school, designated)
}

// CanAcknowledge reports whether p may record acknowledgements for f: a DSL, the Senior DSL
// or the office for any family of the school, a teacher for the families of their classes.
func CanAcknowledge(p safeguarding.Principal, f Family, classes []string) bool {
	if p.IsDSL(f.s.School) || p.Has(f.s.School, safeguarding.RoleAdmin) {
		return true
	}
	return p.Has(f.s.School, safeguarding.RoleTeacher) && slices.ContainsFunc(f.s.Children, func(c FamilyChild) bool {
		return c.ClassName != "" && slices.Contains(classes, c.ClassName)
	})
}
