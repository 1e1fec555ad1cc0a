package casework

import (
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// CanOpenConcern: an action's page links to its concern only for those who may see it (P2).
func (a Action) CanOpenConcern(p safeguarding.Principal) bool { return p.IsDSL(a.school) }

// CanReportUnable: the assignee says they cannot follow the action up (D6).
func (a Action) CanReportUnable(p safeguarding.Principal) bool {
	return a.status == safeguarding.ActionOpen && p.Email == a.assignee && !a.needsRealloc
}

// CanReallocate: the Senior DSL gives an action its assignee cannot follow up to someone
// else (D6).
func (a Action) CanReallocate(p safeguarding.Principal) bool {
	return a.status == safeguarding.ActionOpen && a.needsRealloc && p.Has(a.school, safeguarding.RoleSeniorDSL)
}
