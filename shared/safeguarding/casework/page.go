package casework

import (
	"context"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// CasePage is one view of a concern with its case work: the concern's page and, for a DSL
// of the school only, the case's actions (D1-D9).
type CasePage struct {
	concerns.ConcernPage
	// Actions are the case's actions, for a DSL of the school only.
	Actions []Action
	// Calendar is the school's own, over the bank holidays (rules D1-D5, D9).
	Calendar safeguarding.SchoolCalendar
}

// ConcernPage returns a concern the caller may see (P2, C5) with everything its page shows,
// and audits the view once (P4), marking it read (and opened, for the first DSL, D7) in the
// same write. A concern the caller may not see is ErrNotFound, as one that does not exist.
// A school that never changed its categories has the policy's (C2).
func (s Cases) ConcernPage(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID) (CasePage, error) {
	pg, err := s.Store.ConcernPage(ctx, who.Email, school, id)
	if err != nil {
		return CasePage{}, err
	}
	p, c := pg.Viewer, pg.Concern
	if !p.IsMember(school) {
		return CasePage{}, safeguarding.ErrForbidden
	}
	if c.School() != school || !c.CanView(p) {
		return CasePage{}, safeguarding.ErrNotFound
	}
	if !c.CanSeeCaseWork(p) {
		pg.Actions = nil
	}
	pg.Catalogue = concerns.CatalogueOr(pg.Catalogue, concerns.PolicyCatalogue())
	pg.Calendar = s.schoolCalendar(pg.Calendar, school)
	if pg.Concern, err = concerns.AuditRead(ctx, s.Store, s.NewID, who, p, c, func() (safeguarding.School, error) { return pg.School, nil }); err != nil {
		return CasePage{}, err
	}
	return pg, nil
}
