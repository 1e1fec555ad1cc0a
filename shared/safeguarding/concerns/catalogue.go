package concerns

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// A school governs its own sub-categories (rule C2): it starts from the policy's table and a
// DSL can add, rename or retire sub-categories. A renamed one keeps its id, so old records show
// the new name; a retired one stays readable on old records and cannot be chosen for new ones.

// MaxTitleChars bounds a sub-category's title.
const MaxTitleChars = 100

// AddSubcategory adds a sub-category to a category of the catalogue.
func (c Catalogue) AddSubcategory(category safeguarding.Category, title string) (Catalogue, Subcategory, error) {
	out := c.clone()
	i, err := out.index(category)
	if err != nil {
		return c, Subcategory{}, err
	}
	title, err = checkTitle(title)
	if err != nil {
		return c, Subcategory{}, err
	}
	id := Kebab(title)
	if _, ok := out[i].Subcategory(title); ok {
		return c, Subcategory{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "title", Message: fmt.Sprintf("%s already has %q", out[i].Title, title)}}}
	}
	sub := Subcategory{ID: id, Title: title}
	out[i].Subcategories = append(out[i].Subcategories, sub)
	return out, sub, nil
}

// ChangeSubcategory renames a sub-category (its id stays) and/or retires or restores it.
func (c Catalogue) ChangeSubcategory(category safeguarding.Category, id string, title *string, retired *bool) (Catalogue, Subcategory, error) {
	out := c.clone()
	i, err := out.index(category)
	if err != nil {
		return c, Subcategory{}, err
	}
	for j, s := range out[i].Subcategories {
		if s.ID != id {
			continue
		}
		if title != nil {
			t, err := checkTitle(*title)
			if err != nil {
				return c, Subcategory{}, err
			}
			if other, ok := out[i].Subcategory(t); ok && other.ID != id {
				return c, Subcategory{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "title", Message: fmt.Sprintf("%q is taken by another sub-category", t)}}}
			}
			s.Title = t
		}
		if retired != nil {
			s.Retired = *retired
		}
		out[i].Subcategories[j] = s
		return out, s, nil
	}
	return c, Subcategory{}, fmt.Errorf("sub-category %q of %s: %w", id, category, safeguarding.ErrNotFound)
}

func (c Catalogue) index(category safeguarding.Category) (int, error) {
	for i, d := range c {
		if d.ID == category {
			return i, nil
		}
	}
	return 0, fmt.Errorf("category %q: %w", category, safeguarding.ErrNotFound)
}

func (c Catalogue) clone() Catalogue {
	out := make(Catalogue, len(c))
	for i, d := range c {
		d.Subcategories = append([]Subcategory(nil), d.Subcategories...)
		out[i] = d
	}
	return out
}

func checkTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	var ps safeguarding.Problems
	if Kebab(title) == "" {
		ps.Add("title", "give the sub-category a name")
	}
	safeguarding.CheckText(&ps, "title", title, MaxTitleChars)
	return title, ps.Err()
}

// SchoolCatalogue is a school's catalogue as stored, with its version for optimistic locking.
type SchoolCatalogue struct {
	School    safeguarding.SchoolID
	Catalogue Catalogue
	Version   int
}

// CatalogueStore is the storage port of the catalogue use cases.
type CatalogueStore interface {
	// Catalogue reads the viewer and the school's catalogue (the policy's when never changed).
	Catalogue(ctx context.Context, viewer string, school safeguarding.SchoolID) (safeguarding.Principal, SchoolCatalogue, error)
	// SaveCatalogue saves it on the condition that its version is prev (ErrConflict), with
	// the audit entry, in one transaction.
	SaveCatalogue(ctx context.Context, c SchoolCatalogue, prev int, audit safeguarding.AuditEntry) error
}

// Catalogues holds the catalogue use cases (rule C2).
type Catalogues struct {
	Store CatalogueStore
	NewID func(at time.Time) string
}

// Categories returns the school's catalogue to any member of its staff.
func (s Catalogues) Categories(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (SchoolCatalogue, error) {
	p, c, err := s.Store.Catalogue(ctx, who.Email, school)
	if err != nil {
		return SchoolCatalogue{}, err
	}
	if !p.IsMember(school) {
		return SchoolCatalogue{}, safeguarding.ErrForbidden
	}
	return c, nil
}

// Change applies one change to the school's catalogue: DSLs only, against the version read.
func (s Catalogues) Change(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, version int, change func(Catalogue) (Catalogue, Subcategory, error)) (Subcategory, error) {
	p, c, err := s.Store.Catalogue(ctx, who.Email, school)
	if err != nil {
		return Subcategory{}, err
	}
	if !p.IsDSL(school) {
		return Subcategory{}, safeguarding.ErrForbidden
	}
	if version != c.Version {
		return Subcategory{}, fmt.Errorf("catalogue version %d, now %d: %w", version, c.Version, safeguarding.ErrConflict)
	}
	next, sub, err := change(c.Catalogue)
	if err != nil {
		return Subcategory{}, err
	}
	err = s.Store.SaveCatalogue(ctx, SchoolCatalogue{School: school, Catalogue: next, Version: c.Version + 1}, c.Version,
		safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "catalogue.changed", Subject: "catalogue/" + sub.ID,
			At: who.At, Source: who.Source})
	return sub, err
}
