package engagement

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// Class is one class of a school and the staff who teach it (rule E1: a teacher marks the
// acknowledgements of their own class).
type Class struct {
	School   safeguarding.SchoolID
	Name     string
	Teachers []string
}

// Teaches reports whether email teaches the class.
func (c Class) Teaches(email string) bool { return slices.Contains(c.Teachers, email) }

// CanMarkClass reports whether p may mark a class's acknowledgements: a DSL, the Senior DSL or
// the office for any class of the school, a teacher for their own classes (rule E1, as
// CanAcknowledge decides family by family).
func CanMarkClass(p safeguarding.Principal, c Class) bool {
	if p.IsDSL(c.School) || p.Has(c.School, safeguarding.RoleAdmin) {
		return true
	}
	return p.Has(c.School, safeguarding.RoleTeacher) && c.Teaches(p.Email)
}

// ClassStore is the storage port of the class lists.
type ClassStore interface {
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// Classes lists a school's classes with their teachers, in name order.
	Classes(ctx context.Context, school safeguarding.SchoolID) ([]Class, error)
	// ClassPupils lists the pupils of one class, in name order.
	ClassPupils(ctx context.Context, school safeguarding.SchoolID, class string) ([]safeguarding.Pupil, error)
	// Families reads the named families of a school; unknown ones are absent.
	Families(ctx context.Context, school safeguarding.SchoolID, ids []string) (map[string]contact.Family, error)
	// Pupils reads the named pupils of a school; unknown ones are absent.
	Pupils(ctx context.Context, school safeguarding.SchoolID, ids []safeguarding.PupilID) (map[safeguarding.PupilID]safeguarding.Pupil, error)
}

// ClassSheet is one class as the acknowledgement page shows it (rule E1): one line per
// family, not per child, since engagement is tracked per family.
type ClassSheet struct {
	Class    Class
	Families []ClassFamily
	// Unlinked are pupils of the class with no family record: nothing can be recorded for
	// them until the office links them to a family.
	Unlinked []safeguarding.Pupil
}

// ClassFamily is one family on a class sheet: its children in this class and its children in
// the school's other classes, whose acknowledgement counts for it too.
type ClassFamily struct {
	Family   contact.Family
	InClass  []safeguarding.Pupil
	Siblings []safeguarding.Pupil
}

// ClassLists holds the use cases of the class lists teachers mark (rule E1).
type ClassLists struct {
	Store ClassStore
}

// Classes lists the classes who may mark: a teacher's own, or every class of the school for a
// DSL, the Senior DSL or the office. A member with none gets an empty list; a stranger to the
// school ErrForbidden.
func (c ClassLists) Classes(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]Class, error) {
	p, err := c.Store.Principal(ctx, who.Email)
	if err != nil {
		return nil, err
	}
	p.Email = who.Email
	if !p.IsMember(school) {
		return nil, safeguarding.ErrForbidden
	}
	all, err := c.Store.Classes(ctx, school)
	if err != nil {
		return nil, err
	}
	var out []Class
	for _, cl := range all {
		cl.School = school
		if CanMarkClass(p, cl) {
			out = append(out, cl)
		}
	}
	return out, nil
}

// MaxClassFamilies bounds a class sheet: one submission records a whole class in one batch.
const MaxClassFamilies = contact.MaxAcknowledgements

// Sheet reads one class for marking: its families (each once, however many children it has
// there), their siblings in other classes and where each family stands, so a family a
// sibling's teacher already marked today shows as acknowledged (rule E1).
func (c ClassLists) Sheet(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, name string) (ClassSheet, error) {
	classes, err := c.Classes(ctx, who, school)
	if err != nil {
		return ClassSheet{}, err
	}
	i := slices.IndexFunc(classes, func(cl Class) bool { return cl.Name == name })
	if i < 0 {
		return ClassSheet{}, fmt.Errorf("class %q: %w", name, safeguarding.ErrNotFound)
	}
	sheet := ClassSheet{Class: classes[i]}
	pupils, err := c.Store.ClassPupils(ctx, school, name)
	if err != nil {
		return ClassSheet{}, err
	}
	var ids []string
	for _, p := range pupils {
		if p.FamilyID == "" {
			sheet.Unlinked = append(sheet.Unlinked, p)
		} else if !slices.Contains(ids, p.FamilyID) {
			ids = append(ids, p.FamilyID)
		}
	}
	if len(ids) > MaxClassFamilies {
		return ClassSheet{}, fmt.Errorf("class %q has %d families, more than one sheet holds (%d): %w", name, len(ids), MaxClassFamilies, safeguarding.ErrInvalid)
	}
	families, err := c.Store.Families(ctx, school, ids)
	if err != nil {
		return ClassSheet{}, err
	}
	inClass := map[safeguarding.PupilID]bool{}
	for _, p := range pupils {
		inClass[p.ID] = true
	}
	var siblingIDs []safeguarding.PupilID
	for _, f := range families {
		for _, ch := range f.Children() {
			if !inClass[ch.Pupil] {
				siblingIDs = append(siblingIDs, ch.Pupil)
			}
		}
	}
	siblings, err := c.Store.Pupils(ctx, school, siblingIDs)
	if err != nil {
		return ClassSheet{}, err
	}
	byFamily := map[string]*ClassFamily{}
	for _, p := range pupils {
		f, ok := families[p.FamilyID]
		if p.FamilyID == "" {
			continue
		}
		if !ok {
			// A pupil whose family record is absent cannot be acknowledged for.
			sheet.Unlinked = append(sheet.Unlinked, p)
			continue
		}
		cf := byFamily[f.ID()]
		if cf == nil {
			cf = &ClassFamily{Family: f}
			byFamily[f.ID()] = cf
			for _, ch := range f.Children() {
				if sib, ok := siblings[ch.Pupil]; ok && !inClass[ch.Pupil] {
					cf.Siblings = append(cf.Siblings, sib)
				}
			}
		}
		cf.InClass = append(cf.InClass, p)
	}
	for _, cf := range byFamily {
		sheet.Families = append(sheet.Families, *cf)
	}
	slices.SortFunc(sheet.Families, func(a, b ClassFamily) int {
		return cmp.Or(strings.Compare(a.InClass[0].Name, b.InClass[0].Name), strings.Compare(a.Family.ID(), b.Family.ID()))
	})
	return sheet, nil
}
