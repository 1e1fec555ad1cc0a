package safeguarding

import "slices"

// Who may do what is decided here, once, and nowhere else: the web pages and the API ask
// these instead of checking roles themselves, and the use cases refuse whoever these refuse.

// Access is what a person may open in one school: the pages and lists of the product, each
// true only for the roles the rules give it to.
type Access struct {
	// Member: any role in the school (rule P1): record a concern (C1), their own work, the
	// home visits they go on or manage.
	Member bool
	// Teacher: marks their own classes' acknowledgements; with one class they go straight to it.
	Teacher bool
	// Acknowledgements: teachers, the office and the DSLs mark families' acknowledgements (E1).
	Acknowledgements bool
	// AnyClass: the office and the DSLs mark any class, so they always choose one.
	AnyClass bool
	// Dashboard, Review, EveryonesWork, Families, Categories, Designations, PlanVisits,
	// ContactVersions: the DSLs and the Senior DSL (C4, D9, D6, E2, C2, P3, V1, P4).
	Dashboard, Review, EveryonesWork, Families, Categories, Designations, PlanVisits, ContactVersions bool
	// Audit: the Senior DSL and the DSLs read the school's audit trail (P4).
	Audit bool
	// Reallocations: the Senior DSL reallocates actions their assignees cannot follow up (D6).
	Reallocations bool
	// CallFamilies: the DSLs and staff a DSL designated for closure contact (P3), as their
	// profile says; the use case reads the designation itself.
	CallFamilies bool
	// ContactNumbers: the office and the DSLs keep families' numbers up to date (H1).
	ContactNumbers bool
	// Calendar: the DSLs and the office see the school's calendar; CalendarEdit: the Senior
	// DSL and the office change it.
	Calendar, CalendarEdit bool
	// Closures: the Senior DSL starts and ends the school's full closures (rule E0).
	Closures bool
	// Imports: the office and the Senior DSL load the school's pupils, families and contacts
	// from its MIS export (P1).
	Imports bool
	// ImportList: those who import and the DSLs see the list of the school's recent imports
	// (P1): the DSLs' homes count the imports with errors, as a pupil left out of an import is
	// one they may not find.
	ImportList bool
	// Attendance: the office and the DSLs read the pupils below 90% attendance with the
	// reasons logged for them (C9).
	Attendance bool
	// Settings: the Senior DSL changes the school's settings; every member reads them, and
	// the key contacts among them, where their work needs them.
	Settings bool
	// ClassTeachers: the Senior DSL and the office say who teaches each class (P1, E1).
	ClassTeachers bool
	// Staff: the office and the Senior DSL keep the school's staff and their roles (P1); which
	// roles each may give is the staff capability's CanChange.
	Staff bool
	// FindPupils: the DSLs and the Senior DSL find a pupil by name, UPN or class, for their
	// chronology (D10). FindFamilies: the office and the DSLs find a family by a child's name,
	// for its contact details (H1) and, for the DSLs, its page.
	FindPupils, FindFamilies bool
	// Reports: the DSLs, the Senior DSL and the governors read the anonymised reports for the
	// governors and Ofsted (D10; P2: a governor sees these and nothing else of the records).
	Reports bool
	// Transfers: the DSLs and the Senior DSL record a pupil's move, send their file to the new
	// school and confirm a file received (S5).
	Transfers bool
	// Work: a member with a role in the school's work (every role but governor) has work
	// and home visits of their own. Governors: the governors' home, with the concerns
	// routed to them (C5) and the governors' report; nothing else of the records (P2).
	Work, Governors bool
	// Retention: the Senior DSL reads the records reaching the 25th birthday and places and
	// lifts legal holds on them (S7).
	Retention bool
	// SeniorDuties: the Senior DSL's own work, which their home counts: the home visits they
	// authorise (V1), the families to tell the local authority about (E4), the complex cases
	// due their review (D9) and the transfers to send or confirm (S5).
	SeniorDuties bool
}

// AccessFor is what p may open at school.
func AccessFor(p Principal, school SchoolID) Access {
	if !p.IsMember(school) {
		return Access{}
	}
	dsl, office, senior := p.IsDSL(school), p.Has(school, RoleAdmin), p.Has(school, RoleSeniorDSL)
	teacher := p.Has(school, RoleTeacher)
	return Access{
		Member: true, Teacher: teacher,
		Acknowledgements: dsl || office || teacher, AnyClass: dsl || office,
		Dashboard: dsl, Review: dsl, EveryonesWork: dsl, Families: dsl, Categories: dsl, Designations: dsl, PlanVisits: dsl,
		ContactVersions: dsl, Audit: dsl, Reallocations: senior,
		CallFamilies:   CanSeeContactDetails(p, school, p.IsClosureContact(school)),
		ContactNumbers: CanEditContactDetails(p, school),
		Calendar:       dsl || CanEditCalendar(p, school), CalendarEdit: CanEditCalendar(p, school),
		Closures: CanManageClosures(p, school),
		Imports:  office || senior, ImportList: office || senior || dsl, Attendance: office || dsl, Staff: office || senior,
		Settings: senior, ClassTeachers: office || senior,
		FindPupils: dsl, FindFamilies: dsl || office,
		Reports:   dsl || p.Has(school, RoleGovernor),
		Transfers: dsl,
		Retention: senior, SeniorDuties: senior,
		Work:      slices.ContainsFunc(p.Memberships[school], func(r Role) bool { return r != RoleGovernor }),
		Governors: p.Has(school, RoleGovernor),
	}
}

// IsDSL reports whether the member of staff is a DSL or the Senior DSL, who see families'
// contact details already (P3).
func (m StaffMember) IsDSL() bool { return m.Has(RoleDSL) || m.Has(RoleSeniorDSL) }

// CanEditContactDetails: the office (admin) and the DSLs keep contact details up to date.
func CanEditContactDetails(p Principal, school SchoolID) bool {
	return p.IsDSL(school) || p.Has(school, RoleAdmin)
}

// CanSeeContactDetails is rule P3: a DSL, the Senior DSL, or a member of staff a DSL designated
// for closure contact in that school.
func CanSeeContactDetails(p Principal, school SchoolID, designated bool) bool {
	return p.IsDSL(school) || designated && p.IsMember(school)
}
