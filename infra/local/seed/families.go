package seed

import (
	"context"
	"fmt"
	"slices"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// classTeachers names the teachers of each demo class (rule E1: a teacher acknowledges for
// the families of their own class). Sam Ellis teaches in both schools.
var classTeachers = map[safeguarding.SchoolID]map[string][]string{
	BrookLane: {"Acorns": {Email("Tom", "Hughes")}, "Saplings": {Email("Sam", "Ellis")}, "Willows": {Email("Daniel", "Reyes")}},
	Hillcrest: {"Kestrels": {Email("Owen", "Price")}, "Falcons": {Email("Owen", "Price")},
		"Merlins": {Email("Sam", "Ellis")}, "Harriers": {Email("Sam", "Ellis")}},
}

// FamilyRecords are the demo families as each school tracks them: one record per family and
// school, with that school's children and their classes. Tracking starts at each family's
// first acknowledgement, so the demo's clock can be set anywhere without every family going
// missing at once.
func FamilyRecords(d Data) []contact.Family {
	pupils := map[safeguarding.PupilID]safeguarding.Pupil{}
	for _, p := range d.Pupils {
		pupils[p.ID] = p
	}
	var out []contact.Family
	for _, f := range d.Families {
		bySchool := map[safeguarding.SchoolID]*contact.FamilySnapshot{}
		var order []safeguarding.SchoolID
		for _, id := range f.Pupils {
			p := pupils[id]
			rec, ok := bySchool[p.School]
			if !ok {
				rec = &contact.FamilySnapshot{ID: f.ID, School: p.School, Status: contact.FamilyEngaged}
				bySchool[p.School] = rec
				order = append(order, p.School)
			}
			rec.Children = append(rec.Children, contact.FamilyChild{Pupil: p.ID, ClassName: p.ClassName})
		}
		for _, s := range order {
			out = append(out, contact.RestoreFamily(*bySchool[s]))
		}
	}
	return out
}

// ContactDetails are the demo families' numbers and addresses as each school holds them
// (rule P3), one per family record of FamilyRecords, version 1.
func ContactDetails(d Data) []contact.ContactDetails {
	byID := map[string]Family{}
	for _, f := range d.Families {
		byID[f.ID] = f
	}
	var out []contact.ContactDetails
	for _, rec := range FamilyRecords(d) {
		f := byID[rec.ID()]
		c := contact.ContactDetailsSnapshot{School: rec.School(), Family: rec.ID(), Pupils: rec.Pupils(), Version: 1,
			Address:   contact.ContactAddress{Lines: f.Address, Postcode: f.Postcode},
			ChangedAt: ContactsConfirmed.UTC(), ChangedBy: Email("Grace", "Bennett"), Reason: "Data collection sheet, autumn term"}
		if rec.School() == Hillcrest {
			c.ChangedBy = Email("Fatima", "Begum")
		}
		for i, n := range f.Phones {
			label := "Home"
			if i < len(f.Carers) {
				label = f.Carers[i] + ", mobile"
			}
			c.Phones = append(c.Phones, contact.ContactPhone{Label: label, Number: n, ConfirmedAt: f.Confirmed[i].UTC()})
		}
		out = append(out, contact.RestoreContactDetails(c))
	}
	return out
}

// ClosureContacts are the demo designations for closure contact (rule P3): in each school a
// member of staff who is not a DSL, designated by a DSL.
func ClosureContacts() []contact.ClosureContact {
	at := ContactsConfirmed.UTC()
	return []contact.ClosureContact{
		{School: BrookLane, Email: Email("Tom", "Hughes"), Active: true, Version: 1, History: []contact.ClosureContactEvent{
			{At: at, By: Email("Daniel", "Reyes"), Active: true, Reason: "Calls Acorns families during a closure"}}},
		{School: Hillcrest, Email: Email("Leah", "Morgan"), Active: true, Version: 1, History: []contact.ClosureContactEvent{
			{At: at, By: Email("Chloe", "Adams"), Active: true, Reason: "Calls families during a closure"}}},
	}
}

// FamilyWriter is what seeding families needs of the store (shared/store.Store).
type FamilyWriter interface {
	PutFamily(context.Context, contact.Family) error
	PutClass(ctx context.Context, school safeguarding.SchoolID, name string, teachers []string) error
	PutContactDetails(context.Context, contact.ContactDetails) error
	PutClosureContact(context.Context, contact.ClosureContact) error
}

// ApplyFamilies writes the demo classes and family records through w; running it twice
// leaves the same records.
func ApplyFamilies(ctx context.Context, w FamilyWriter, d Data) error {
	for _, s := range d.Schools {
		names := make([]string, 0, len(classTeachers[s.ID]))
		for n := range classTeachers[s.ID] {
			names = append(names, n)
		}
		slices.Sort(names)
		for _, n := range names {
			if err := w.PutClass(ctx, s.ID, n, classTeachers[s.ID][n]); err != nil {
				return fmt.Errorf("seed: class %s/%s: %w", s.ID, n, err)
			}
		}
	}
	for _, f := range FamilyRecords(d) {
		if err := w.PutFamily(ctx, f); err != nil {
			return fmt.Errorf("seed: family %s/%s: %w", f.School(), f.ID(), err)
		}
	}
	for _, c := range ContactDetails(d) {
		if err := w.PutContactDetails(ctx, c); err != nil {
			return fmt.Errorf("seed: contact details %s/%s: %w", c.School(), c.Family(), err)
		}
	}
	for _, c := range ClosureContacts() {
		if err := w.PutClosureContact(ctx, c); err != nil {
			return fmt.Errorf("seed: closure contact in %s: %w", c.School, err)
		}
	}
	return nil
}
