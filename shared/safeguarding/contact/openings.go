package contact

import (
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rule P3 says families' contact details are never exported in bulk. Opening them one family
// at a time is what designated staff do, so the rule is held by counting: past the school's
// number of distinct families one person opens within an hour (ContactOpeningsPerHour, 30
// by default), each further family that hour needs a reason, kept in the opening's audit
// entry, and the first attempt past it alerts the school's Senior DSL, whether it came with a
// reason or was refused for want of one. Re-opening a family already counted that hour never
// needs a reason and never counts twice. Hours are clock hours: Europe/London is a whole
// number of hours from UTC, so its hours start when UTC's do. Every way of opening a family's
// details counts alike, through Contacts.count: the view, the versions, and the form that
// changes them when it shows them; a home visit's address does not (visits.Visits.Visit says
// why).

// Audit action and alert kind of bulk reading (rule P3).
const (
	// AuditContactsReasonNeeded is an opening past the threshold refused for want of a reason.
	AuditContactsReasonNeeded = "contacts.reason-needed"
	AlertBulkContactReading   = "bulk-contact-reading"
	// MaxOpeningReasonChars bounds the reason given for an opening.
	MaxOpeningReasonChars = 500
)

// OpeningHour is the hour an opening at t counts in: its start.
func OpeningHour(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// ContactOpenings is what one person has opened of a school's families' contact details in
// the hour of an opening, as read with it.
type ContactOpenings struct {
	// Families is how many distinct families they opened this hour.
	Families int
	// Counted says the family being opened is one of them.
	Counted bool
	// Alerted says the Senior DSL was alerted about them this hour.
	Alerted bool
}

// OpeningReason is why someone opens a family's contact details; Given is false when no
// reason was sent at all, as opposed to an empty one.
type OpeningReason struct {
	Text  string
	Given bool
}

// Opening is what an opening of a family's contact details does to the hour's count.
type Opening struct {
	// Count adds the family to the hour's families (it was not counted yet).
	Count bool
	// Limit is the school's threshold; Beyond says the family would take the hour past it.
	Limit  int
	Beyond bool
	// Refused: past the threshold without a reason; nothing is shown (ErrReasonNeeded).
	Refused bool
	// Alert: the first attempt past the threshold this hour alerts the Senior DSL.
	Alert bool
	// Reason is the reason given, trimmed ("" when none).
	Reason string
}

// DecideOpening decides whether one more opening of a family's contact details may go ahead
// without a reason (rule P3), from the hour's openings so far and the school's threshold. A
// reason that is given must say something, within MaxOpeningReasonChars.
func DecideOpening(o ContactOpenings, limit int, reason OpeningReason) (Opening, error) {
	d := Opening{Limit: limit, Reason: strings.TrimSpace(reason.Text)}
	if reason.Given {
		var ps safeguarding.Problems
		if d.Reason == "" {
			ps.Add("reason", "say why you need this family's contact details")
		}
		safeguarding.CheckText(&ps, "reason", d.Reason, MaxOpeningReasonChars)
		if err := ps.Err(); err != nil {
			return Opening{}, err
		}
	}
	if o.Counted {
		return d, nil
	}
	if o.Families < limit {
		d.Count = true
		return d, nil
	}
	d.Beyond, d.Alert = true, !o.Alerted
	d.Count, d.Refused = reason.Given, !reason.Given
	return d, nil
}

// OpeningWrite is one opening's writes, in one transaction: its audit entry, the family
// added to the hour's count (Opening.Count), on the condition that the hour is still within
// its threshold when no reason was needed, and the alerts of the first attempt past it
// (Opening.Alert), on the condition that nobody was alerted that hour yet. A failed condition
// is ErrConflict: read again and decide again.
type OpeningWrite struct {
	Audit   safeguarding.AuditEntry
	Family  string
	Hour    time.Time
	Opening Opening
	Alerts  []safeguarding.Alert
}

// bulkReadingAlerts tell the school's Senior DSLs, by email, that someone has opened more
// families' contact details this hour than the school allows without a reason. Like every
// alert (rule S2) it names no one, staff included: its reference is the audit entry of the
// attempt, and its link opens the school's closure contacts, which need sign-in.
func bulkReadingAlerts(school safeguarding.School, audit safeguarding.AuditEntry) []safeguarding.Alert {
	var out []safeguarding.Alert
	for _, m := range safeguarding.RosterWith(school.Roster, safeguarding.RoleSeniorDSL) {
		out = append(out, safeguarding.Alert{ID: AlertBulkContactReading + "#" + audit.ID + "#" + m.Email + "#email", School: school.ID,
			SchoolName: school.Name, Kind: AlertBulkContactReading, Audience: safeguarding.AudienceSeniorDSL, Recipient: m.Email,
			Channel: safeguarding.ChannelEmail, Priority: safeguarding.PriorityHigh, Reference: audit.ID,
			SubjectKind: safeguarding.SubjectClosureContacts})
	}
	return out
}
