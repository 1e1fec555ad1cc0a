package concerns

import (
	"slices"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// CanAmend is rule P4's who: the concern's author, or a DSL of its school who may see it.
func (c Concern) CanAmend(p safeguarding.Principal) bool {
	return c.CanView(p) && (p.Email == c.authorEmail || p.IsDSL(c.school))
}

// CanSeeCaseWork: the DSLs and the Senior DSL who may see the concern work it (D1-D9), and the
// governor reads the case work of a concern about staff routed to them (C5); its reporter and
// tagged staff see only its status (D7).
func (c Concern) CanSeeCaseWork(p safeguarding.Principal) bool {
	return c.CaseWorkVisibility().CanView(p)
}

// CaseWorkVisibility is who may see the case work on the concern, and every chronology entry
// that repeats it (D7, C5).
func (c Concern) CaseWorkVisibility() safeguarding.Visibility {
	v := c.Visibility()
	v.CaseWork = true
	return v
}

// ShowsStatusTo says whether p sees the reporter's status of the concern (D7): its author,
// unless they are a DSL, who sees the case work instead.
func (c Concern) ShowsStatusTo(p safeguarding.Principal) bool {
	return p.Email == c.authorEmail && !p.IsDSL(c.school)
}

// TellsSeniorDSL says whether the Senior DSL is told of the concern: always, unless the
// concern is about them (C5).
func (c Concern) TellsSeniorDSL(school safeguarding.School) bool {
	return !c.aboutStaff || !slices.ContainsFunc(school.Roster, func(m safeguarding.StaffMember) bool {
		return m.Email == c.subjectStaffEmail && m.Has(safeguarding.RoleSeniorDSL)
	})
}
