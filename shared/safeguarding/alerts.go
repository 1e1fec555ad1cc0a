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

func RosterWith(roster []StaffMember, r Role) []StaffMember {
	var out []StaffMember
	for _, m := range roster {
		if m.Has(r) {
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
	case DueTransfer:
		return SubjectTransfer
	}
	return ""
}

// AudienceLineManager is the line manager of a home visit (V2, V8).
const AudienceLineManager Audience = "line_manager"

// SubjectVisit marks an alert about a home visit: its link opens the visit.
const SubjectVisit = "visit"

// SubjectClosureContacts marks an alert about who reads families' contact details (rule P3):
// its link opens the school's closure contacts, where a designation can be ended.
const SubjectClosureContacts = "closure-contacts"

// DueTransfer is the deadline engine's kind of a pupil's file to be sent to their new school
// (rule S5).
const DueTransfer = "transfer"

// SubjectTransfer marks an alert about a transfer of a pupil's file (rule S5): its link opens
// the school's transfers.
const SubjectTransfer = "transfer"
