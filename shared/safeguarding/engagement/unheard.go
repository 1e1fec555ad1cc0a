package engagement

import (
	"context"
	"slices"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// ClassUnheard is one class a teacher marks, with how many of its families were not heard
// from on the day asked (rule E1): no acknowledgement and no contact that day, the count the
// class sheet shows as not "Acknowledged today".
type ClassUnheard struct {
	Class    string
	Families int
	Unheard  int
}

// UnheardToday counts, for each class the caller teaches, its families not heard from on the
// caller's day (E1: a sibling's acknowledgement in another class counts for the family). It
// reads the classes once, each class's pupils by one Query and every family of them together,
// 100 to a BatchGetItem.
func (c ClassLists) UnheardToday(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]ClassUnheard, error) {
	classes, err := c.Classes(ctx, who, school)
	if err != nil {
		return nil, err
	}
	families := map[string][]string{}
	var order, ids []string
	for _, cl := range classes {
		if !cl.Teaches(who.Email) {
			continue
		}
		pupils, err := c.Store.ClassPupils(ctx, school, cl.Name)
		if err != nil {
			return nil, err
		}
		order = append(order, cl.Name)
		families[cl.Name] = []string{}
		for _, p := range pupils {
			if p.FamilyID == "" || slices.Contains(families[cl.Name], p.FamilyID) {
				continue
			}
			families[cl.Name] = append(families[cl.Name], p.FamilyID)
			if !slices.Contains(ids, p.FamilyID) {
				ids = append(ids, p.FamilyID)
			}
		}
	}
	if len(order) == 0 {
		return nil, nil
	}
	read := map[string]contact.Family{}
	if len(ids) > 0 {
		if read, err = c.Store.Families(ctx, school, ids); err != nil {
			return nil, err
		}
	}
	out := make([]ClassUnheard, 0, len(order))
	for _, name := range order {
		row := ClassUnheard{Class: name, Families: len(families[name])}
		for _, id := range families[name] {
			if f, ok := read[id]; !ok || !f.HeardFromOn(who.At) {
				row.Unheard++
			}
		}
		out = append(out, row)
	}
	return out, nil
}
