package imports

import (
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// ContactReason is the reason a version of contact details written by an import gives.
const ContactReason = "From the school's MIS export"

// Current is what the school holds now of the records a plan changes, read before writing.
type Current struct {
	// Pupils are the pupils absent from a full file who leave: their records as they stand.
	Pupils map[safeguarding.PupilID]safeguarding.Pupil
	// Families and Contacts are the families the plan changes, and their contact details,
	// where they exist already.
	Families map[string]contact.Family
	Contacts map[string]contact.ContactDetails
	// Classes are the school's classes by name.
	Classes map[string]bool
}

// Write is everything an import writes: each record in the state the plan gives, so that
// writing it again changes nothing, and each family and its contact details against the
// version read (a family that moved on meanwhile is ErrConflict, and the import is resumed).
type Write struct {
	School safeguarding.SchoolID
	Pupils []safeguarding.Pupil
	Roll   []Existing
	// FormerNames are the names of renamed pupils before the import: a search by the former
	// name must no longer find them.
	FormerNames map[safeguarding.PupilID]string
	// Families are new or changed families; a family's PrevVersion is the version read (0:
	// new).
	Families []contact.Family
	// Contacts are new versions of contact details (Version 1: the first).
	Contacts []contact.ContactDetails
	// Classes are the registration groups the school has no class for yet: each becomes a
	// class, without a teacher until one is given it.
	Classes []string
}

// Targets are what a plan needs read before it is written: the pupils who leave by their
// absence, and the families it changes.
func (p Plan) Targets() (pupils []safeguarding.PupilID, families []string) {
	for _, c := range p.Changes {
		if c.Kind == Leaves && c.Row.Surname == "" {
			pupils = append(pupils, c.Pupil)
		}
	}
	for _, f := range p.Families {
		if f.Changed {
			families = append(families, f.ID)
		}
	}
	return pupils, families
}

// Write makes the records of a plan from what the school holds now. A pupil who leaves keeps
// their record (rule S7: nothing is deleted) but leaves their class; a family keeps its
// engagement (acknowledgements, MISSING, calls) and changes only its children; contact
// details get a new version only when the numbers or the address changed, a number already
// confirmed keeping its confirmation.
func (p Plan) Write(school safeguarding.SchoolID, cur Current, by string, at time.Time) Write {
	w := Write{School: school}
	for _, c := range p.Changes {
		if g := c.Row.RegGroup; g != "" && !c.Left && !cur.Classes[g] && !slices.Contains(w.Classes, g) {
			w.Classes = append(w.Classes, g)
		}
		if c.Kind == Unchanged {
			continue
		}
		pupil := safeguarding.Pupil{ID: c.Pupil, School: school, Name: c.Row.Name(), YearGroup: c.Row.YearGroup,
			ClassName: c.Row.RegGroup, FamilyID: c.Family, DateOfBirth: c.Row.DateOfBirth, Attendance: c.Row.Attendance,
			HasAttendance: c.Row.HasAttendance, Left: c.Left}
		if c.Row.Surname == "" { // absent from a full file: the record as it stands, left
			pupil = cur.Pupils[c.Pupil]
			pupil.ID, pupil.School, pupil.Left = c.Pupil, school, true
		}
		if pupil.Left {
			pupil.ClassName = ""
		}
		w.Pupils = append(w.Pupils, pupil)
		w.Roll = append(w.Roll, Existing{UPN: c.Row.UPN, Pupil: c.Pupil, Fingerprint: c.Fingerprint, Left: c.Left, Family: c.Family,
			Name: pupil.Name})
		if c.FormerName != "" && c.FormerName != pupil.Name {
			if w.FormerNames == nil {
				w.FormerNames = map[safeguarding.PupilID]string{}
			}
			w.FormerNames[c.Pupil] = c.FormerName
		}
	}
	for _, f := range p.Families {
		if !f.Changed {
			continue
		}
		snap := contact.FamilySnapshot{ID: f.ID, School: school}
		prev, known := cur.Families[f.ID]
		if known {
			snap = prev.Snapshot()
		}
		snap.Children = nil
		for _, id := range f.Pupils {
			snap.Children = append(snap.Children, contact.FamilyChild{Pupil: id, ClassName: f.Classes[id]})
		}
		snap.Version++
		fam := contact.RestoreFamily(snap)
		if !known {
			// rule E0: during a closure a new family counts its silence from the day it arrives;
			// weekdays say when to look, never later than the school's own calendar would.
			fam.StartTracking(safeguarding.Weekdays{}, at)
		}
		w.Families = append(w.Families, fam)
		if next, changed := contactDetails(cur.Contacts[f.ID], school, f, by, at); changed {
			w.Contacts = append(w.Contacts, next)
		}
	}
	return w
}

// contactDetails is the next version of a family's contact details from the file, and
// whether it differs from the current one (zero: none recorded yet).
func contactDetails(prev contact.ContactDetails, school safeguarding.SchoolID, f FamilyPlan, by string, at time.Time) (contact.ContactDetails, bool) {
	confirmed := map[string]time.Time{}
	for _, ph := range prev.Phones() {
		confirmed[ph.Label+"\x00"+ph.Number] = ph.ConfirmedAt
	}
	var phones []contact.ContactPhone
	for _, c := range f.Contacts {
		who := strings.TrimSpace(strings.Join(strings.Fields(c.Forename+" "+c.Surname), " "))
		if c.Relationship != "" {
			who += " (" + strings.ToLower(c.Relationship) + ")"
		}
		for _, n := range []struct{ kind, number string }{{"mobile", c.Mobile}, {"home", c.Home}, {"work", c.Work}} {
			if n.number == "" {
				continue
			}
			label := strings.TrimSpace(who + " " + n.kind)
			phones = append(phones, contact.ContactPhone{Label: label, Number: n.number, ConfirmedAt: confirmed[label+"\x00"+n.number]})
		}
	}
	var lines []string
	for _, l := range []string{f.Address.Line1, f.Address.Line2, f.Address.Line3, f.Address.Town, f.Address.County} {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	postcode := f.Address.Postcode
	if pc, ok := contact.NormalisePostcode(postcode); ok {
		postcode = pc
	}
	address := contact.ContactAddress{Lines: lines, Postcode: postcode}
	same := slices.Equal(phones, prev.Phones()) && slices.Equal(address.Lines, prev.Address().Lines) && address.Postcode == prev.Address().Postcode
	if same && slices.Equal(f.Pupils, prev.Pupils()) {
		return prev, false
	}
	return contact.RestoreContactDetails(contact.ContactDetailsSnapshot{School: school, Family: f.ID, Phones: phones, Address: address,
		Pupils: slices.Clone(f.Pupils), Version: prev.Version() + 1, ChangedAt: at.UTC(), ChangedBy: by, Reason: ContactReason}), true
}
