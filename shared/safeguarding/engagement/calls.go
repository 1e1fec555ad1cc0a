package engagement

import (
	"context"
	"slices"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// Call is a phone call due to a family (rule E3, or a next call agreed, H3) as a work list
// shows it: the family, when it is due, and who holds it (empty: the DSLs as a group).
type Call struct {
	Family    string
	Reference string
	// Pupils are the family's children when the call fell due, for the work list's names.
	Pupils []safeguarding.PupilID
	Owner  string
	DueAt  time.Time
}

// Overdue reports whether the call was due before now.
func (c Call) Overdue(now time.Time) bool { return c.DueAt.Before(now) }

// CallsFor lists the phone calls in the caller's work (rule E3): those they took, and, for a
// DSL or the Senior DSL, every call the DSLs still hold as a group; soonest due first. Anyone
// else of the school gets the calls they took (staff designated for closure contact).
func (s Engagement) CallsFor(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]Call, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return nil, err
	}
	if !p.IsMember(school) {
		return nil, safeguarding.ErrForbidden
	}
	calls, err := s.Store.OpenCalls(ctx, school)
	if err != nil {
		return nil, err
	}
	var out []Call
	for _, c := range calls {
		if c.Owner == who.Email || c.Owner == "" && p.IsDSL(school) {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Call) int { return a.DueAt.Compare(b.DueAt) })
	return out, nil
}

// AuditCallTaken is the audit action of someone taking a family's phone call.
const AuditCallTaken = "family.call-taken"

// TakeCall gives a family's open phone call, held by the DSLs as a group, to the caller (rule
// E3): a DSL, the Senior DSL, or staff designated for closure contact. From then on it is in
// their work, and the ladder's first steps alert them (D8).
func (s Engagement) TakeCall(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (contact.Family, error) {
	p, f, err := s.Store.Family(ctx, who.Email, school, id)
	if err != nil {
		return contact.Family{}, err
	}
	designated := false
	if !p.IsDSL(school) {
		cc, err := s.Store.ClosureContact(ctx, school, who.Email)
		if err != nil {
			return contact.Family{}, err
		}
		if designated = cc.Active; !designated {
			return contact.Family{}, safeguarding.ErrNotFound
		}
	}
	w, err := f.TakeCall(p, designated, who.At)
	if err != nil {
		return contact.Family{}, err
	}
	w.Audits = []safeguarding.AuditEntry{{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditCallTaken,
		Subject: "family/" + id, Pupils: f.Pupils(), At: who.At, Source: who.Source}}
	if err := s.Store.SaveFamily(ctx, w); err != nil {
		return contact.Family{}, err
	}
	return w.Family, nil
}
