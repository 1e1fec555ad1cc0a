package imports

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// What a column gives: one of a pupil's fields, or one of a numbered contact's.
type pupilField int

const (
	fUPN pupilField = iota
	fSurname
	fForename
	fPreferredForename
	fDateOfBirth
	fYearGroup
	fRegGroup
	fAttendance
	fLeavingDate
	fEnrolmentStatus
	fAddressLine1
	fAddressLine2
	fAddressLine3
	fTown
	fCounty
	fPostcode
	numPupilFields
)

type contactField int

const (
	cForename contactField = iota
	cSurname
	cName
	cRelationship
	cResponsibility
	cPriority
	cMobile
	cHome
	cWork
	cEmail
	numContactFields
)

// pupilNames are the canonical names RowError.Field carries, and pupilAliases the headers
// each is read from, normalised (normaliseHeader), best first: where a file has two of them
// ("Legal Surname" and "Surname"), the first listed is read.
var (
	pupilNames = [numPupilFields]string{
		fUPN: "upn", fSurname: "surname", fForename: "forename", fPreferredForename: "preferredForename",
		fDateOfBirth: "dateOfBirth", fYearGroup: "yearGroup", fRegGroup: "regGroup", fAttendance: "attendance",
		fLeavingDate: "leavingDate", fEnrolmentStatus: "enrolmentStatus", fAddressLine1: "addressLine1",
		fAddressLine2: "addressLine2", fAddressLine3: "addressLine3", fTown: "town", fCounty: "county",
		fPostcode: "postcode",
	}
	pupilAliases = [numPupilFields][]string{
		fUPN:               {"upn", "uniquepupilnumber"},
		fSurname:           {"legalsurname", "surname", "lastname", "familyname"},
		fForename:          {"legalforename", "forename", "firstname", "givenname"},
		fPreferredForename: {"preferredforename", "preferredname", "preferredfirstname", "knownas"},
		fDateOfBirth:       {"dob", "dateofbirth", "birthdate"},
		fYearGroup:         {"yeargroup", "ncyear", "year", "curriculumyear"},
		fRegGroup:          {"reggroup", "registrationgroup", "form", "class", "tutorgroup"},
		fAttendance:        {"attendance", "attendancepercent", "attendancepercentage", "attendancepc"},
		fLeavingDate:       {"leavingdate", "dateofleaving"},
		fEnrolmentStatus:   {"enrolmentstatus", "enrollmentstatus"},
		fAddressLine1:      {"addressline1", "address1"},
		fAddressLine2:      {"addressline2", "address2"},
		fAddressLine3:      {"addressline3", "address3"},
		fTown:              {"town", "towncity", "city"},
		fCounty:            {"county"},
		fPostcode:          {"postcode"},
	}
	contactNames = [numContactFields]string{
		cForename: "Forename", cSurname: "Surname", cName: "Name", cRelationship: "Relationship",
		cResponsibility: "Responsibility", cPriority: "Priority", cMobile: "Mobile", cHome: "HomePhone",
		cWork: "WorkPhone", cEmail: "Email",
	}
	// contactAliases are what follows "Contact N" in a header, normalised, best first.
	contactAliases = [numContactFields][]string{
		cForename:       {"forename", "legalforename", "firstname", "givenname"},
		cSurname:        {"surname", "legalsurname", "lastname", "familyname"},
		cName:           {"name", "fullname"},
		cRelationship:   {"relationship", "relation", "relationshiptopupil"},
		cResponsibility: {"responsibility", "parentalresponsibility", "hasparentalresponsibility"},
		cPriority:       {"priority", "order", "contactorder", "contactpriority"},
		cMobile:         {"mobile", "mobilephone", "mobiletelephone", "mobilenumber"},
		cHome:           {"homephone", "telephone", "hometelephone", "homenumber", "phone"},
		cWork:           {"workphone", "worktelephone", "worknumber", "work"},
		cEmail:          {"email", "emailaddress"},
	}
)

// layout is where a file's header puts each field: an index into its rows, -1 when absent.
type layout struct {
	width    int
	pupil    [numPupilFields]int
	contacts []contactColumns // by number, ascending
	// beyond are the columns of contacts numbered past MaxContacts: a row that fills one is
	// refused rather than read in part.
	beyond []namedColumn
}

type contactColumns struct {
	n     int
	at    [numContactFields]int
	field [numContactFields]string // "contact2Mobile"
}

type namedColumn struct {
	at    int
	field string
}

// normaliseHeader keeps a header's letters and digits, lower-cased: "Legal_Surname", "legal
// surname" and "LEGAL-SURNAME" all read "legalsurname", "Attendance %" reads "attendance".
func normaliseHeader(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// readHeader places each column it recognises; unknown columns are ignored. Two columns that
// give the same field under the same name are ambiguous, and refused; a file without the UPN,
// surname or forename columns is not a pupil export.
func readHeader(header []string) (layout, error) {
	l := layout{width: len(header)}
	type pick struct{ at, rank int }
	var pupil [numPupilFields]pick
	for i := range pupil {
		pupil[i] = pick{-1, -1}
	}
	contacts := map[int]*[numContactFields]pick{}
	beyond := map[string]bool{}
	twice := func(field string) error {
		return fileError("two columns give the %s: keep one of them", field)
	}
	for i, h := range header {
		name := normaliseHeader(h)
		if f, rank, ok := findAlias(pupilAliases[:], name); ok {
			switch p := &pupil[f]; {
			case p.at < 0 || rank < p.rank:
				*p = pick{i, rank}
			case rank == p.rank:
				return l, twice(pupilNames[f])
			}
			continue
		}
		n, digits, rest, ok := contactColumn(name)
		if !ok {
			continue
		}
		f, rank, ok := findAlias(contactAliases[:], rest)
		if !ok {
			continue
		}
		if n < 1 {
			continue // contacts are numbered from 1; "Contact 0" is no contact of ours
		}
		if n > MaxContacts {
			field := "contact" + digits + contactNames[f]
			if beyond[field] {
				return l, twice(field)
			}
			beyond[field] = true
			l.beyond = append(l.beyond, namedColumn{i, field})
			continue
		}
		c := contacts[n]
		if c == nil {
			c = new([numContactFields]pick)
			for j := range c {
				c[j] = pick{-1, -1}
			}
			contacts[n] = c
		}
		switch p := &c[f]; {
		case p.at < 0 || rank < p.rank:
			*p = pick{i, rank}
		case rank == p.rank:
			return l, twice(fmt.Sprintf("contact%d%s", n, contactNames[f]))
		}
	}
	var missing []string
	for _, f := range []pupilField{fUPN, fSurname, fForename} {
		if pupil[f].at < 0 {
			missing = append(missing, map[pupilField]string{fUPN: "UPN", fSurname: "surname", fForename: "forename"}[f])
		}
	}
	if len(missing) > 0 {
		return l, fileError("the first row must be the header, with columns for each pupil's UPN, surname and forename; it has none for the %s", strings.Join(missing, " or "))
	}
	for f, p := range pupil {
		l.pupil[f] = p.at
	}
	for n, c := range contacts {
		cc := contactColumns{n: n}
		for f, p := range c {
			cc.at[f] = p.at
			cc.field[f] = fmt.Sprintf("contact%d%s", n, contactNames[f])
		}
		l.contacts = append(l.contacts, cc)
	}
	slices.SortFunc(l.contacts, func(a, b contactColumns) int { return a.n - b.n })
	return l, nil
}

// findAlias returns the field whose aliases include name, and its rank among them.
func findAlias(aliases [][]string, name string) (int, int, bool) {
	for f, as := range aliases {
		if rank := slices.Index(as, name); rank >= 0 {
			return f, rank, true
		}
	}
	return 0, 0, false
}

// contactColumn splits a normalised "contact12mobile" into 12 and "mobile". n is past
// MaxContacts for a number too long to read.
func contactColumn(name string) (n int, digits, rest string, ok bool) {
	rest, ok = strings.CutPrefix(name, "contact")
	if !ok {
		return 0, "", "", false
	}
	end := strings.IndexFunc(rest, func(r rune) bool { return r < '0' || r > '9' })
	if end <= 0 {
		return 0, "", "", false
	}
	digits, rest = rest[:end], rest[end:]
	n, err := strconv.Atoi(digits)
	if err != nil || len(digits) > 4 {
		n = MaxContacts + 1
	}
	return n, digits, rest, true
}
