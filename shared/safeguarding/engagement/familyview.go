package engagement

import (
	"context"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// familyRow is where one family stands at now for its DSLs: school days silent (E2), the next
// thing due (the phone call of E3, the LA of E5, the Senior DSL's decision of E4, or another
// attempt) and, once the LA is to be informed, what to send (E5).
func familyRow(f contact.Family, cal safeguarding.Calendar, now time.Time) FamilyRow {
	r := FamilyRow{Family: f, SchoolDaysSilent: f.SilentSchoolDays(cal, now)}
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
		r.LABrief = f.LABrief(cal, now)
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
	row := familyRow(f, cal, who.At)
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditFamiliesRead,
		Subject: "family/" + id, Pupils: f.Pupils(), At: who.At, Source: who.Source})
	return row, err
}
