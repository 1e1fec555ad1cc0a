package safeguarding

import "slices"

// Visibility is who may see a record: a concern and each chronology entry that repeats it
// carry the same one, so a list can be filtered without reading every concern.
type Visibility struct {
	School     SchoolID
	Author     string
	Tagged     []string
	AboutStaff bool
	Subject    string
	// CaseWork marks the DSLs' work on a concern (its actions with their notes and outcomes,
	// its case decisions), which its reporter and tagged staff do not see (D7).
	CaseWork bool
}

// CanView applies rule P2 and C5: staff see what they wrote or were tagged in; DSLs and the
// Senior DSL see every record of their own school. A record about a member of staff is routed
// only to the safeguarding governor and the Senior DSL (unless they are its subject), and is
// invisible to the person it is about, whatever their role (C5, S6).
//
// Case work (D7) is narrower: the DSLs and the Senior DSL who may see the concern, and for a
// concern about a member of staff the safeguarding governor and the Senior DSL it is routed to
// (C5); its reporter and tagged staff see the concern's status, not its case work.
func (v Visibility) CanView(p Principal) bool {
	if !p.IsMember(v.School) {
		return false
	}
	if v.AboutStaff && p.Email == v.Subject {
		return false
	}
	if v.CaseWork {
		if v.AboutStaff {
			return p.Has(v.School, RoleGovernor) || p.Has(v.School, RoleSeniorDSL)
		}
		return p.IsDSL(v.School)
	}
	if p.Email == v.Author || slices.Contains(v.Tagged, p.Email) {
		return true
	}
	if v.AboutStaff {
		return p.Has(v.School, RoleGovernor) || p.Has(v.School, RoleSeniorDSL)
	}
	return p.IsDSL(v.School)
}
