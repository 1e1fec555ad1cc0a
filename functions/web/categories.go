package main

import (
	"context"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// catalogueService is the part of safeguarding.Catalogues the pages use: the school's own
// categories and sub-categories (rule C2), the same use cases the concerns API calls.
type catalogueService interface {
	Categories(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (safeguarding.SchoolCatalogue, error)
	Change(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, version int,
		change func(safeguarding.Catalogue) (safeguarding.Catalogue, safeguarding.Subcategory, error)) (safeguarding.Subcategory, error)
}

var _ catalogueService = safeguarding.Catalogues{}

// catalogue is the school's catalogue as its staff record against it (rule C2): sub-categories
// a DSL added, renamed or retired.
func (h *Handler) catalogue(ctx context.Context, r *request, s session, school safeguarding.SchoolID) (safeguarding.Catalogue, error) {
	c, err := h.Catalogues.Categories(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return nil, err
	}
	return c.Catalogue, nil
}
