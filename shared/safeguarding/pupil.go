package safeguarding

import "time"

// PupilID identifies a pupil within a school.
type PupilID string

// Pupil is a child on a school's roll.
type Pupil struct {
	ID        PupilID
	School    SchoolID
	Name      string
	YearGroup string
	ClassName string
	FamilyID  string
	// DateOfBirth (rule S7: how long the record is kept) and the attendance figure (rule C9),
	// from the school's MIS; zero and false when not known.
	DateOfBirth   time.Time
	Attendance    float64
	HasAttendance bool
	// Left: the pupil has left the school. Their records stay (nothing is deleted); they are in
	// no class list.
	Left bool
	// HasRecords: the pupil has a safeguarding record, as their retention mark says (rule S7);
	// filled only where a write needs to know whether it makes the first one.
	HasRecords bool
}

// ConcernID identifies a concern; it is unique across the federation.
type ConcernID string

// PupilRole is a linked pupil's part in a concern; each pupil keeps their own (rule C1).
type PupilRole string

// Pupil roles in a concern (rule C1). Each linked pupil has their own: a role shown on one
// pupil's chronology never leaks to another's.
const (
	RoleSubject         PupilRole = "subject"
	RoleInvolved        PupilRole = "involved"
	RoleWitness         PupilRole = "witness"
	RoleAllegedToHarm   PupilRole = "alleged-to-have-harmed"
	RoleAffectedSibling PupilRole = "sibling"
)

// PupilRoles lists every role a linked pupil can have.
var PupilRoles = []PupilRole{RoleSubject, RoleInvolved, RoleWitness, RoleAllegedToHarm, RoleAffectedSibling}

// LinkedPupil is one pupil a concern is about, with their role in it.
type LinkedPupil struct {
	ID   PupilID
	Role PupilRole
}

func PupilIDs(ls []LinkedPupil) []PupilID {
	out := make([]PupilID, len(ls))
	for i, l := range ls {
		out[i] = l.ID
	}
	return out
}
