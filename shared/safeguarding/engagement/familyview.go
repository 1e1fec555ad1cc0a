package engagement

import (
	"cmp"
	"context"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// familyRow is where one family stands at now for its DSLs: school days silent (E2), the next
// thing due (the phone call of E3, the LA of E5, the Senior DSL's decision of E4, or another
// attempt) and, once the LA is to be informed, what to send (E5).
func familyRow(f contact.Family, cal safeguarding.Calendar, c safeguarding.Closure, now time.Time) FamilyRow {
	r := FamilyRow{Family: f, SchoolDaysSilent: f.SilentSchoolDays(cal, c, now)}
	if f.Status() != contact.FamilyMissing {
		return r
	}
	switch {
	case !f.CallDueAt().IsZero():
		r.NextDue, r.NextDueAt = "phone-call", f.CallDueAt()
	case !f.LARaisedAt().IsZero() && f.LANotifiedAt().IsZero():
		r.NextDue = "la-notification"
	case f.Decision() == "":
		r.NextDue = "decision"
	default:
		r.NextDue = "contact-attempt"
	}
	if !f.LARaisedAt().IsZero() {
		r.LABrief = f.LABrief(cal, c, now)
	}
	return r
}

// Family reads one family for a DSL of its school (rules E2-E6), missing or not, where it
// stands today; anyone else gets ErrNotFound (rule P2). The read is audited (P4).
func (s Engagement) Family(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (FamilyRow, error) {
	p, f, err := s.Store.Family(ctx, who.Email, school, id)
	if err != nil {
		return FamilyRow{}, err
	}
	if !p.IsDSL(school) {
		return FamilyRow{}, safeguarding.ErrNotFound
	}
	cal, err := s.calendar(ctx, school)
	if err != nil {
		return FamilyRow{}, err
	}
	closure, err := s.Store.LatestClosure(ctx, school)
	if err != nil {
		return FamilyRow{}, err
	}
	row := familyRow(f, cal, closure, who.At)
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditFamiliesRead,
		Subject: "family/" + id, Pupils: f.Pupils(), At: who.At, Source: who.Source})
	return row, err
}

// SoonMissingFrom is the first of the silent school days on which the DSLs' families page
// marks a family as soon to go missing (4 and 5: the 6th logs it MISSING, rule E2), so a DSL
// can act before it is.
const SoonMissingFrom = contact.SilentDaysMissing - 1

// SoonMissing reports whether the family is in the band before MISSING.
func (r FamilyRow) SoonMissing() bool {
	return r.Family.Status() != contact.FamilyMissing && r.SchoolDaysSilent >= SoonMissingFrom && r.SchoolDaysSilent <= contact.SilentDaysMissing
}

// FamiliesOverview is the DSLs' families page: the school's latest closure, its MISSING
// families longest missing first, and, while a closure lasts, every other family with its
// silent school days, soonest to go missing first (rules E0, E2).
type FamiliesOverview struct {
	Closure  safeguarding.Closure
	Counting bool
	Missing  []FamilyRow
	Others   []FamilyRow
}

// Families reads the DSLs' families page (rules E0, E2-E6). Outside a closure only the
// MISSING families are listed (nothing is counted); during one, every family of the school.
// The read is audited with every child it shows (P4).
func (s Engagement) Families(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (FamiliesOverview, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return FamiliesOverview{}, err
	}
	if !p.IsDSL(school) {
		return FamiliesOverview{}, safeguarding.ErrForbidden
	}
	cal, err := s.calendar(ctx, school)
	if err != nil {
		return FamiliesOverview{}, err
	}
	var out FamiliesOverview
	if out.Closure, err = s.Store.LatestClosure(ctx, school); err != nil {
		return out, err
	}
	out.Counting = out.Closure.Covers(who.At)
	var families []contact.Family
	if out.Counting {
		families, err = s.Store.SchoolFamilies(ctx, school)
	} else {
		_, families, err = s.Store.MissingFamilies(ctx, who.Email, school)
	}
	if err != nil {
		return out, err
	}
	var pupils []safeguarding.PupilID
	for _, f := range families {
		r := familyRow(f, cal, out.Closure, who.At)
		if f.Status() == contact.FamilyMissing {
			out.Missing = append(out.Missing, r)
		} else {
			out.Others = append(out.Others, r)
		}
		pupils = append(pupils, f.Pupils()...)
	}
	slices.SortStableFunc(out.Missing, func(a, b FamilyRow) int {
		return cmp.Or(a.Family.MissingSince().Compare(b.Family.MissingSince()), strings.Compare(a.Family.ID(), b.Family.ID()))
	})
	slices.SortStableFunc(out.Others, func(a, b FamilyRow) int {
		return cmp.Or(cmp.Compare(b.SchoolDaysSilent, a.SchoolDaysSilent), strings.Compare(a.Family.ID(), b.Family.ID()))
	})
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditFamiliesRead,
		Subject: "families", Pupils: pupils, At: who.At, Source: who.Source})
	return out, err
}
