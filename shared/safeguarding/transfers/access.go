package transfers

import "github.com/keepsafe-schools/keepsafe/shared/safeguarding"

// Who may do what with a transfer (rule S5), decided here only.

// MayRecord: the DSLs and the Senior DSL of the sending school record a move and send the file.
func MayRecord(p safeguarding.Principal, school safeguarding.SchoolID) error {
	if !p.IsDSL(school) {
		return safeguarding.ErrForbidden
	}
	return nil
}

// MaySend: the DSLs and the Senior DSL of the school the transfer comes from.
func MaySend(p safeguarding.Principal, t Transfer) error { return MayRecord(p, t.From) }

// MayConfirm: a DSL (or the Senior DSL) of the receiving school of the federation, asking at
// that school.
func MayConfirm(p safeguarding.Principal, school safeguarding.SchoolID, t Transfer) error {
	if !t.To.InFederation() || t.To.School != school {
		return safeguarding.ErrNotFound
	}
	if !p.IsDSL(school) {
		return safeguarding.ErrForbidden
	}
	return nil
}

// MayList: the DSLs and the Senior DSL of a school see the transfers from it and to it.
func MayList(p safeguarding.Principal, school safeguarding.SchoolID) error {
	return MayRecord(p, school)
}

// MaySee: a transfer is seen at the sending and the receiving school, by their DSLs.
func MaySee(p safeguarding.Principal, school safeguarding.SchoolID, t Transfer) error {
	if !t.Involves(school) {
		return safeguarding.ErrNotFound
	}
	return MayList(p, school)
}
