package concerns

import (
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// ConcernAlerts plans who is alerted of a new concern and how (rules C4, C5, S6):
//   - high priority: every DSL and the Senior DSL of the school, at once, by SMS and email;
//   - otherwise: the same people by email (the concern also appears on their dashboard);
//   - tagged staff: by email;
//   - a concern about a member of staff goes instead to the safeguarding governor and the
//     Senior DSL (unless the Senior DSL is its subject), and never to its subject.
func ConcernAlerts(c Concern, school safeguarding.School) []safeguarding.Alert {
	priority := safeguarding.PriorityNormal
	channels := []safeguarding.Channel{safeguarding.ChannelEmail}
	if c.highPriority {
		priority = safeguarding.PriorityHigh
		channels = []safeguarding.Channel{safeguarding.ChannelSMS, safeguarding.ChannelEmail}
	}
	var out []safeguarding.Alert
	notified := map[string]bool{c.authorEmail: true}
	if c.aboutStaff {
		notified[c.subjectStaffEmail] = true
	}
	add := func(email string, audience safeguarding.Audience, chans []safeguarding.Channel) {
		if notified[email] {
			return
		}
		notified[email] = true
		for _, ch := range chans {
			out = append(out, safeguarding.Alert{
				ID:     string(c.id) + "#" + email + "#" + string(ch),
				School: c.school, SchoolName: school.Name, Kind: "concern", Audience: audience, Recipient: email,
				Channel: ch, Priority: priority, Category: c.category, Reference: c.reference,
				Subject: string(c.id),
			})
		}
	}
	// The Senior DSL first, so a person who is both is addressed by the more specific role.
	for _, m := range safeguarding.RosterWith(school.Roster, safeguarding.RoleSeniorDSL) {
		add(m.Email, safeguarding.AudienceSeniorDSL, channels)
	}
	if c.aboutStaff {
		for _, m := range safeguarding.RosterWith(school.Roster, safeguarding.RoleGovernor) {
			add(m.Email, safeguarding.AudienceGovernor, channels)
		}
	} else {
		for _, m := range safeguarding.RosterWith(school.Roster, safeguarding.RoleDSL) {
			add(m.Email, safeguarding.AudienceDSL, channels)
		}
	}
	for _, email := range c.tagStaff {
		if school.HasStaff(email) {
			add(email, safeguarding.AudienceTagged, []safeguarding.Channel{safeguarding.ChannelEmail})
		}
	}
	return out
}
