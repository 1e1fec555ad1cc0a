package safeguarding

import (
	"context"
	"errors"
)

// ConcernPage is everything one view of a concern shows: who looks, the school, its catalogue
// (rule C2), the concern with every revision (P4), its attachments (C6), its pupils and, for a
// DSL, its case work's actions (D1-D9).
type ConcernPage struct {
	Viewer    Principal
	School    School
	Catalogue Catalogue
	Concern   Concern
	// Revisions are every version of the content, oldest first.
	Revisions []Revision
	// Attachments are the concern's files, oldest first.
	Attachments []Attachment
	// Actions are the case's actions, for a DSL of the school only.
	Actions []Action
	// Pupils are the concern's pupils as the school knows them; an absent one is left out.
	Pupils map[PupilID]Pupil
}

// ConcernPage returns a concern the caller may see (P2, C5) with everything its page shows,
// and audits the view once (P4), marking it read (and opened, for the first DSL, D7) in the
// same write. A concern the caller may not see is ErrNotFound, as one that does not exist.
func (s Concerns) ConcernPage(ctx context.Context, who Caller, school SchoolID, id ConcernID) (ConcernPage, error) {
	pg, err := s.Store.ConcernPage(ctx, who.Email, school, id)
	if err != nil {
		return ConcernPage{}, err
	}
	p, c := pg.Viewer, pg.Concern
	if !p.IsMember(school) {
		return ConcernPage{}, ErrForbidden
	}
	if c.school != school || !c.CanView(p) {
		return ConcernPage{}, ErrNotFound
	}
	if !p.IsDSL(school) {
		pg.Actions = nil
	}
	pg.Catalogue = CatalogueOr(pg.Catalogue, s.Catalogue)
	if pg.Concern, err = s.auditRead(ctx, who, p, c, func() (School, error) { return pg.School, nil }); err != nil {
		return ConcernPage{}, err
	}
	return pg, nil
}

// auditRead saves the audit entry of a read of concern c by p and marks it read; the first
// DSL to open it records when and emails the reporter (D7), unless another DSL did first.
// school is read only for that note.
func (s Concerns) auditRead(ctx context.Context, who Caller, p Principal, c Concern, school func() (School, error)) (Concern, error) {
	audit := AuditEntry{ID: s.NewID(who.At), School: c.school, Actor: who.Email, Action: AuditConcernRead,
		Subject: "concern/" + string(c.id), Pupils: pupilIDs(c.pupils), At: who.At, Source: who.Source}
	var opened *StatusNote
	if p.IsDSL(c.school) && c.dslOpenedAt.IsZero() && p.Email != c.authorEmail {
		sc, err := school()
		if err != nil {
			return Concern{}, err
		}
		opened = firstOpen(c, sc, p, who.At)
	}
	err := s.Store.AuditConcernRead(ctx, audit, c.id, opened)
	if errors.Is(err, ErrConflict) { // another DSL opened it first: just the read
		err = s.Store.AuditConcernRead(ctx, audit, c.id, nil)
	}
	if err != nil {
		return Concern{}, err
	}
	if opened != nil {
		c.dslOpenedAt = opened.At
	}
	return c, nil
}
