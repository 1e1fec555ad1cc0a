package concerns

import (
	"context"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rule D7: the person who raised a concern is told that steps were taken (status only, never
// the details), and can ask what happened.

// AudienceReporter is the person who recorded a concern.
const AudienceReporter safeguarding.Audience = "reporter"

// Progress is what the reporter may know of their concern: when a DSL first opened it and when
// the first action was taken. Nothing else.
type Progress struct {
	DSLOpenedAt   time.Time
	ActionTakenAt time.Time
}

// Progress is the concern's status for its reporter (rule D7).
func (c Concern) Progress() Progress {
	return Progress{DSLOpenedAt: c.dslOpenedAt, ActionTakenAt: c.actionTakenAt}
}

// StatusNote is the first time something happens to a concern that its reporter is told of:
// the time, and the email to them.
type StatusNote struct {
	At    time.Time
	Alert *safeguarding.Alert
}

// reporterAlert tells the reporter, by email and without details, that kind happened.
func ReporterAlert(c Concern, school safeguarding.School, kind string) *safeguarding.Alert {
	if !school.HasStaff(c.authorEmail) {
		return nil // a leaver is not emailed
	}
	return &safeguarding.Alert{ID: string(c.id) + "#" + kind + "#" + c.authorEmail + "#email", School: c.school, SchoolName: school.Name,
		Kind: kind, Audience: AudienceReporter, Recipient: c.authorEmail, Channel: safeguarding.ChannelEmail, Priority: safeguarding.PriorityNormal,
		Reference: c.reference, Subject: string(c.id)}
}

// firstOpen is the status note for a DSL opening the concern for the first time, or nil.
func firstOpen(c Concern, school safeguarding.School, p safeguarding.Principal, now time.Time) *StatusNote {
	if !c.dslOpenedAt.IsZero() || !p.IsDSL(c.school) || p.Email == c.authorEmail {
		return nil
	}
	return &StatusNote{At: now.UTC(), Alert: ReporterAlert(c, school, "concern-opened")}
}

// RequestUpdate is the reporter asking what happened (rule D7): the DSLs are emailed, at most
// once a day for one concern, and the request is audited.
func (s Concerns) RequestUpdate(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID) error {
	c, err := s.Store.LoadAmending(ctx, who.Email, school, id, safeguarding.RequestKey{})
	if err != nil {
		return err
	}
	if !c.Concern.CanView(c.Viewer) {
		return safeguarding.ErrNotFound
	}
	if c.Concern.authorEmail != who.Email {
		return safeguarding.ErrForbidden
	}
	day := safeguarding.LocalDay(who.At).Format(time.DateOnly)
	var alerts []safeguarding.Alert
	for _, m := range c.School.Roster {
		if (m.Has(safeguarding.RoleDSL) || m.Has(safeguarding.RoleSeniorDSL)) && c.Concern.Visibility().CanView(safeguarding.Principal{Email: m.Email,
			Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: m.Roles}}) {
			alerts = append(alerts, safeguarding.Alert{ID: string(id) + "#update-requested#" + day + "#" + m.Email + "#email", School: school,
				SchoolName: c.School.Name, Kind: "update-requested", Audience: safeguarding.AudienceDSL, Recipient: m.Email,
				Channel: safeguarding.ChannelEmail, Priority: safeguarding.PriorityNormal, Reference: c.Concern.reference, Subject: string(id)})
		}
	}
	return s.Store.SaveNotice(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "concern.update-requested",
		Subject: "concern/" + string(id), Pupils: safeguarding.PupilIDs(c.Concern.pupils), At: who.At, Source: who.Source}, alerts)
}
