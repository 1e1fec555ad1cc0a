package safeguarding

// Channel is how an alert reaches a person.
type Channel string

const (
	ChannelSMS   Channel = "sms"
	ChannelEmail Channel = "email"
)

// Priority of an alert.
type Priority string

const (
	PriorityHigh   Priority = "high"
	PriorityNormal Priority = "normal"
)

// Audience names the role group an alert is for.
type Audience string

const (
	AudienceDSL       Audience = "dsl"
	AudienceSeniorDSL Audience = "senior_dsl"
	AudienceGovernor  Audience = "governor"
	AudienceTagged    Audience = "tagged"
)

// Alert is one message to one person by one channel. It holds no personal data of a pupil
// (rule S2): the school, the kind, the category, the priority and a reference only.
type Alert struct {
	ID         string
	School     SchoolID
	SchoolName string
	Kind       string
	Audience   Audience
	Recipient  string
	Channel    Channel
	Priority   Priority
	Category   Category
	Reference  string
	// Subject is the id of the record the alert is about, for the link that needs sign-in;
	// SubjectKind says what it is: a concern ("", the default) or a family (SubjectFamily).
	Subject     string
	SubjectKind string
}

// ConcernAlerts plans who is alerted of a new concern and how (rules C4, C5, S6):
//   - high priority: every DSL and the Senior DSL of the school, at once, by SMS and email;
//   - otherwise: the same people by email (the concern also appears on their dashboard);
//   - tagged staff: by email;
//   - a concern about a member of staff goes instead to the safeguarding governor and the
//     Senior DSL (unless the Senior DSL is its subject), and never to its subject.
func ConcernAlerts(c Concern, school School) []Alert {
	priority := PriorityNormal
	channels := []Channel{ChannelEmail}
	if c.highPriority {
		priority = PriorityHigh
		channels = []Channel{ChannelSMS, ChannelEmail}
	}
	var out []Alert
	notified := map[string]bool{c.authorEmail: true}
	if c.aboutStaff {
		notified[c.subjectStaffEmail] = true
	}
	add := func(email string, audience Audience, chans []Channel) {
		if notified[email] {
			return
		}
		notified[email] = true
		for _, ch := range chans {
			out = append(out, Alert{
				ID:     string(c.id) + "#" + email + "#" + string(ch),
				School: c.school, SchoolName: school.Name, Kind: "concern", Audience: audience, Recipient: email,
				Channel: ch, Priority: priority, Category: c.category, Reference: c.reference,
				Subject: string(c.id),
			})
		}
	}
	// The Senior DSL first, so a person who is both is addressed by the more specific role.
	for _, m := range RosterWith(school.Roster, RoleSeniorDSL) {
		add(m.Email, AudienceSeniorDSL, channels)
	}
	if c.aboutStaff {
		for _, m := range RosterWith(school.Roster, RoleGovernor) {
			add(m.Email, AudienceGovernor, channels)
		}
	} else {
		for _, m := range RosterWith(school.Roster, RoleDSL) {
			add(m.Email, AudienceDSL, channels)
		}
	}
	for _, email := range c.tagStaff {
		if school.HasStaff(email) {
			add(email, AudienceTagged, []Channel{ChannelEmail})
		}
	}
	return out
}

func RosterWith(roster []StaffMember, r Role) []StaffMember {
	var out []StaffMember
	for _, m := range roster {
		if m.has(r) {
			out = append(out, m)
		}
	}
	return out
}

// SubjectFamily marks an alert about a family (E2, E5, the phone call of E3), not a concern.
const SubjectFamily = "family"

// subjectKindOf is what a due item of a kind is about.
func subjectKindOf(dueKind string) string {
	switch dueKind {
	case "phone-call", DueFamilyAction:
		return SubjectFamily
	case DueVisitCheckout, DueVisitObservations, DueVisitNext:
		return SubjectVisit
	}
	return ""
}

// AudienceLineManager is the line manager of a home visit (V2, V8).
const AudienceLineManager Audience = "line_manager"

// SubjectVisit marks an alert about a home visit: its link opens the visit.
const SubjectVisit = "visit"
