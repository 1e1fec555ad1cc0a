package concerns

import (
	"context"
	"errors"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// ConcernPage is what one view of a concern shows of the concern itself: who looks, the
// school, its catalogue (rule C2), the concern with every revision (P4), its attachments (C6)
// and its pupils. Case work's CasePage adds the actions.
type ConcernPage struct {
	Viewer    safeguarding.Principal
	School    safeguarding.School
	Catalogue Catalogue
	Concern   Concern
	// Revisions are every version of the content, oldest first.
	Revisions []Revision
	// Attachments are the concern's files, oldest first.
	Attachments []Attachment
	// Pupils are the concern's pupils as the school knows them; an absent one is left out.
	Pupils map[safeguarding.PupilID]safeguarding.Pupil
}

// concernReadAuditor is what auditing a read of a concern needs of a store.
type concernReadAuditor interface {
	AuditConcernRead(ctx context.Context, e safeguarding.AuditEntry, id safeguarding.ConcernID, opened *StatusNote) error
}

// auditRead saves the audit entry of a read of concern c by p and marks it read; the first
// DSL to open it records when and emails the reporter (D7), unless another DSL did first.
// school is read only for that note.
func AuditRead(ctx context.Context, st concernReadAuditor, newID func(time.Time) string, who safeguarding.Caller, p safeguarding.Principal, c Concern, school func() (safeguarding.School, error)) (Concern, error) {
	audit := safeguarding.AuditEntry{ID: newID(who.At), School: c.school, Actor: who.Email, Action: AuditConcernRead,
		Subject: "concern/" + string(c.id), Pupils: safeguarding.PupilIDs(c.pupils), At: who.At, Source: who.Source}
	var opened *StatusNote
	if p.IsDSL(c.school) && c.dslOpenedAt.IsZero() && p.Email != c.authorEmail {
		sc, err := school()
		if err != nil {
			return Concern{}, err
		}
		opened = firstOpen(c, sc, p, who.At)
	}
	err := st.AuditConcernRead(ctx, audit, c.id, opened)
	if errors.Is(err, safeguarding.ErrConflict) { // another DSL opened it first: just the read
		err = st.AuditConcernRead(ctx, audit, c.id, nil)
	}
	if err != nil {
		return Concern{}, err
	}
	if opened != nil {
		c.dslOpenedAt = opened.At
	}
	return c, nil
}
