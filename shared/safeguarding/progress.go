package safeguarding

import (
	"context"
	"time"
)

// Rule D7: the person who raised a concern is told that steps were taken (status only, never
// the details), and can ask what happened.

// AudienceReporter is the person who recorded a concern.
const AudienceReporter Audience = "reporter"

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
	Alert *Alert
}

// reporterAlert tells the reporter, by email and without details, that kind happened.
func ReporterAlert(c Concern, school School, kind string) *Alert {
	if !school.HasStaff(c.authorEmail) {
		return nil // a leaver is not emailed
	}
	return &Alert{ID: string(c.id) + "#" + kind + "#" + c.authorEmail + "#email", School: c.school, SchoolName: school.Name,
		Kind: kind, Audience: AudienceReporter, Recipient: c.authorEmail, Channel: ChannelEmail, Priority: PriorityNormal,
		Reference: c.reference, Subject: string(c.id)}
}

// firstOpen is the status note for a DSL opening the concern for the first time, or nil.
func firstOpen(c Concern, school School, p Principal, now time.Time) *StatusNote {
	if !c.dslOpenedAt.IsZero() || !p.IsDSL(c.school) || p.Email == c.authorEmail {
		return nil
	}
	return &StatusNote{At: now.UTC(), Alert: ReporterAlert(c, school, "concern-opened")}
}

// RequestUpdate is the reporter asking what happened (rule D7): the DSLs are emailed, at most
// once a day for one concern, and the request is audited.
func (s Concerns) RequestUpdate(ctx context.Context, who Caller, school SchoolID, id ConcernID) error {
	c, err := s.Store.LoadAmending(ctx, who.Email, school, id, RequestKey{})
	if err != nil {
		return err
	}
	if !c.Concern.CanView(c.Viewer) {
		return ErrNotFound
	}
	if c.Concern.authorEmail != who.Email {
		return ErrForbidden
	}
	day := LocalDay(who.At).Format(time.DateOnly)
	var alerts []Alert
	for _, m := range c.School.Roster {
		if (m.has(RoleDSL) || m.has(RoleSeniorDSL)) && c.Concern.Visibility().CanView(Principal{Email: m.Email,
			Memberships: map[SchoolID][]Role{school: m.Roles}}) {
			alerts = append(alerts, Alert{ID: string(id) + "#update-requested#" + day + "#" + m.Email + "#email", School: school,
				SchoolName: c.School.Name, Kind: "update-requested", Audience: AudienceDSL, Recipient: m.Email,
				Channel: ChannelEmail, Priority: PriorityNormal, Reference: c.Concern.reference, Subject: string(id)})
		}
	}
	return s.Store.SaveNotice(ctx, AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "concern.update-requested",
		Subject: "concern/" + string(id), Pupils: PupilIDs(c.Concern.pupils), At: who.At, Source: who.Source}, alerts)
}
