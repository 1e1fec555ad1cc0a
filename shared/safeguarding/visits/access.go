package visits

import (
	"slices"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// VisitSteps are the steps of a home visit p may take now (V1-V8).
type VisitSteps struct {
	Authorise, Call, Start, Doorstep, CheckOut, Observe, Next, Cancel bool
}

// StepsFor is what p may do on the visit now: the Senior DSL authorises it (V1); the staff
// going, or a DSL, call ahead (V3); the staff going start it, record the doorstep (V4), the
// observations (V6) and the next visit (V7); they or the line manager check out (V8); a DSL
// cancels a visit that has not started.
func (v Visit) StepsFor(p safeguarding.Principal) VisitSteps {
	s := v.s
	mine := slices.Contains(s.Staff, p.Email)
	open := s.Status == VisitPlanned || s.Status == VisitAuthorised
	started := s.Status == VisitInProgress || s.Status == VisitCheckedOut
	dsl := p.IsDSL(s.School)
	return VisitSteps{
		Authorise: s.Status == VisitPlanned && p.Has(s.School, safeguarding.RoleSeniorDSL),
		Call:      open && (mine || dsl),
		Start:     s.Status == VisitAuthorised && mine && len(s.Calls) > 0,
		Doorstep:  started && mine && s.Doorstep == nil,
		CheckOut:  s.Status == VisitInProgress && (mine || p.Email == s.LineManager),
		Observe:   started && mine && s.Observations == nil,
		Next:      started && mine && s.Next == nil,
		Cancel:    open && dsl,
	}
}
