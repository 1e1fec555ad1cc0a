package engagement

import (
	"context"
	"fmt"
	"slices"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// RecordContact records an attempt to contact a family, for callers that need only the family
// (see LogContact).
func (s Engagement) RecordContact(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, in contact.ContactAttempt, key safeguarding.RequestKey, fp string) (contact.Family, error) {
	c, err := s.LogContact(ctx, who, school, id, in, key, fp)
	return c.Family, err
}

// LogContact records an attempt to contact a family (H2, H3, E5, E6): by a DSL, or by staff
// designated for closure contact; every agreed action's assignee must be staff of the school.
// A contact recorded more than 24 hours after it happened is marked late (H2).
func (s Engagement) LogContact(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, in contact.ContactAttempt, key safeguarding.RequestKey, fp string) (contact.ContactLogged, error) {
	p, f, err := s.Store.Family(ctx, who.Email, school, id)
	if err != nil {
		return contact.ContactLogged{}, err
	}
	designated := false
	if !p.IsDSL(school) {
		cc, err := s.Store.ClosureContact(ctx, school, who.Email)
		if err != nil {
			return contact.ContactLogged{}, err
		}
		if designated = cc.Active; !designated {
			return contact.ContactLogged{}, safeguarding.ErrNotFound
		}
	}
	if in.Call != nil {
		var ps safeguarding.Problems
		var others []string
		for _, a := range in.Call.Actions {
			if e, ok := safeguarding.NormaliseEmail(a.Assignee); ok && e != who.Email && !slices.Contains(others, e) {
				others = append(others, e)
			}
		}
		if len(others) > 0 {
			staff, err := s.Store.Profiles(ctx, others)
			if err != nil {
				return contact.ContactLogged{}, err
			}
			for i, a := range in.Call.Actions {
				if e, ok := safeguarding.NormaliseEmail(a.Assignee); ok && e != who.Email && !staff[e].IsMember(school) {
					ps.Add(fmt.Sprintf("call.actions[%d].assigneeEmail", i), "not a member of staff of this school")
				}
			}
		}
		if err := ps.Err(); err != nil {
			return contact.ContactLogged{}, err
		}
	}
	w, err := f.RecordContact(p, designated, in, s.NewID(who.At), who.At)
	if err != nil {
		return contact.ContactLogged{}, err
	}
	if w.Family.Status() != contact.FamilyMissing && f.Status() == contact.FamilyMissing || w.Family.LastContactAt().After(f.LastContactAt()) {
		w.Family.LookAfterContact(s.BankHolidays, who.At)
	}
	return s.commitFamily(ctx, who, school, id, f, w, key, fp)
}

// commitFamily saves one person's change to a family with its audit entry and the request's
// idempotency record (which keeps whether the contact was late); a repeated request returns
// the family as it stands, with the lateness first recorded.
func (s Engagement) commitFamily(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, f contact.Family, w contact.FamilyWrite, key safeguarding.RequestKey, fp string) (contact.ContactLogged, error) {
	w.Audits = []safeguarding.AuditEntry{{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditFamilyChanged,
		Subject: "family/" + id, Pupils: f.Pupils(), At: who.At, Source: who.Source}}
	if key.Key != "" {
		w.Request = &safeguarding.RequestRecord{Key: key, Fingerprint: fp, Receipt: safeguarding.Receipt{ID: id, RecordedAt: who.At, Late: w.Late, MinutesLate: w.MinutesLate}}
	}
	made := contact.ContactLogged{Family: w.Family, Late: w.Late, MinutesLate: w.MinutesLate}
	return safeguarding.SavedOnce(ctx, s.Store, key, fp, made, s.Store.SaveFamily(ctx, w), s.loggedOf(ctx, who, school, id))
}

// loggedOf answers a repeated request with the family as it stands and the lateness first
// recorded.
func (s Engagement) loggedOf(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) func(safeguarding.PriorRequest) (contact.ContactLogged, error) {
	return func(prior safeguarding.PriorRequest) (contact.ContactLogged, error) {
		_, f, err := s.Store.Family(ctx, who.Email, school, id)
		return contact.ContactLogged{Family: f, Late: prior.Receipt.Late, MinutesLate: prior.Receipt.MinutesLate}, err
	}
}
