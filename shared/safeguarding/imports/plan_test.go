package imports

import (
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

const school = safeguarding.SchoolID("brook-lane")

var today = time.Date(2026, 11, 23, 10, 0, 0, 0, safeguarding.London)

func parent(forename, surname, mobile string) Contact {
	return Contact{Forename: forename, Surname: surname, Relationship: "Mother", Responsibility: true, Priority: 1, Mobile: mobile}
}

func pupil(upn, forename, class string, contacts ...Contact) Row {
	return Row{UPN: upn, Surname: "Brown", Forename: forename, RegGroup: class, Contacts: contacts}
}

// Rule P3, and families as a school means them: pupils who share a contact with parental
// responsibility (the same name and the same number or email) are one family across classes;
// the same name with another number, or a shared number under another name, or a contact
// without parental responsibility, joins nobody.
func TestRule_P3_FamiliesAreThePupilsWhoShareAParentAndNoMore(t *testing.T) {
	amy := parent("Amy", "Brown", "+447700900001")
	rows := []Row{
		pupil("A1", "Ava", "Acorns", amy),
		pupil("A2", "Ben", "Willows", parent("amy", " brown", "+447700900001")),                           // the same person, written otherwise
		pupil("A3", "Cal", "Acorns", parent("Amy", "Brown", "+447700900999")),                             // a namesake with another number
		pupil("A4", "Dee", "Acorns", parent("Jo", "Brown", "+447700900001")),                              // the number, another person
		pupil("A5", "Eve", "Acorns", Contact{Forename: "Amy", Surname: "Brown", Mobile: "+447700900001"}), // no parental responsibility
	}
	p := MakePlan(school, rows, nil, nil, Options{Today: today})
	if p.Created != 5 || len(p.Families) != 4 || p.FamiliesFormed != 1 {
		t.Fatalf("created %d, families %d (formed %d): %+v", p.Created, len(p.Families), p.FamiliesFormed, p.Families)
	}
	siblings := p.Families[0]
	if len(siblings.Pupils) != 2 || siblings.Pupils[0] != PupilID(school, "A1") || siblings.Pupils[1] != PupilID(school, "A2") ||
		len(siblings.Contacts) != 1 || siblings.Classes[PupilID(school, "A2")] != "Willows" {
		t.Errorf("siblings %+v", siblings)
	}
	if again := PupilID(school, "A1"); PupilID(school, "A1") == PupilID("hillcrest", "A1") || again != siblings.Pupils[0] || string(again) == "A1" {
		t.Error("a pupil's id is the same for a school and a UPN, differs between schools, and is not the UPN")
	}
}

// Rule P1's door in, run again: the same file changes nothing; a changed row updates that
// pupil; a new pupil joins an existing family and keeps its id.
func TestRule_P1_AReImportChangesOnlyWhatChanged(t *testing.T) {
	amy := parent("Amy", "Brown", "+447700900001")
	rows := []Row{pupil("A1", "Ava", "Acorns", amy), pupil("A2", "Ben", "Willows")}
	first := MakePlan(school, rows, nil, nil, Options{Today: today})
	roll := rollAfter(first)

	again := MakePlan(school, rows, nil, roll, Options{Today: today})
	if again.Unchanged != 2 || again.Created+again.Updated+again.Left != 0 || again.Families[0].Changed || again.Families[1].Changed {
		t.Errorf("the same file again: %+v", again)
	}
	changed := []Row{pupil("A1", "Ava", "Oaks", amy), pupil("A2", "Ben", "Willows"), pupil("A3", "Cy", "Acorns", amy)}
	p := MakePlan(school, changed, nil, roll, Options{Today: today})
	if p.Updated != 1 || p.Created != 1 || p.Unchanged != 1 {
		t.Errorf("a class changed and a sibling joined: %+v", p)
	}
	if p.Families[0].ID != first.Families[0].ID || len(p.Families[0].Pupils) != 2 || !p.Families[0].Changed {
		t.Errorf("the family keeps its id and gains the sibling: %+v", p.Families[0])
	}
}

// Rules P1 and S7 (records are kept): a pupil leaves by a leaving date on or before today,
// by a status of left, or, with a full file, by being absent from it; a pupil whose row failed
// never leaves by that import; a leaving date in the future is not yet a leaver.
func TestRule_P1_LeaversByDateStatusAndAbsenceFromAFullFile(t *testing.T) {
	rows := []Row{pupil("A1", "Ava", "Acorns"), pupil("A2", "Ben", "Acorns"), pupil("A3", "Cal", "Acorns"), pupil("A4", "Dee", "Acorns"), pupil("A5", "Eve", "Acorns")}
	roll := rollAfter(MakePlan(school, rows, nil, nil, Options{Today: today}))

	next := []Row{pupil("A1", "Ava", "Acorns"), pupil("A2", "Ben", "Acorns"), pupil("A3", "Cal", "Acorns")}
	next[0].LeavingDate = safeguarding.LocalDay(today)
	next[1].Left = true
	next[2].LeavingDate = safeguarding.LocalDay(today).AddDate(0, 0, 1)
	failed := []RowError{{Line: 5, Field: "dateOfBirth", Message: "is not a date", UPN: "A4"}}
	p := MakePlan(school, next, failed, roll, Options{Today: today, Full: true})
	left := map[string]bool{}
	for _, c := range p.Changes {
		if c.Kind == Leaves {
			left[c.Row.UPN] = true
		}
	}
	if len(left) != 3 || !left["A1"] || !left["A2"] || !left["A5"] || p.Left != 3 {
		t.Errorf("leavers %v (%d): A1 by date, A2 by status, A5 absent; never A3 (leaves tomorrow) or A4 (its row failed)", left, p.Left)
	}
	if p.Rows != 4 {
		t.Errorf("rows %d: the file's three valid rows and its failed one", p.Rows)
	}
	if without := MakePlan(school, next, failed, roll, Options{Today: today}); without.Left != 2 {
		t.Errorf("without full, only the rows say who left: %d", without.Left)
	}
}

// rollAfter is the roll an applied plan leaves.
func rollAfter(p Plan) []Existing {
	var out []Existing
	for _, c := range p.Changes {
		out = append(out, Existing{UPN: c.Row.UPN, Pupil: c.Pupil, Fingerprint: c.Fingerprint, Left: c.Left, Family: c.Family})
	}
	return out
}
