package transfers

import (
	"net/mail"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Status is where a transfer stands: due (the move is recorded, nothing sent yet), sent,
// received.
type Status string

const (
	StatusDue      Status = "due"
	StatusSent     Status = "sent"
	StatusReceived Status = "received"
)

// DueSchoolDays is rule S5's "within 5 school days of the move".
const DueSchoolDays = 5

// DueKind is the deadline engine's kind of a transfer's due item (D8).
const DueKind = safeguarding.DueTransfer

// Kinds of a transfer's history entries.
const (
	EventRecorded   = "recorded"
	EventSent       = "sent"
	EventReceived   = "received"
	EventLinkOpened = "link-opened"
	EventWrongCode  = "wrong-code"
	EventLocked     = "locked"
	EventRefused    = "refused" // the link was used after it expired or was locked or used
	EventDownloaded = "downloaded"
)

// Audit actions.
const (
	AuditRecorded   = "transfer.recorded"
	AuditSent       = "transfer.sent"
	AuditReceived   = "transfer.received"
	AuditListed     = "transfer.listed"
	AuditLinkOpened = "transfer.link-opened"
	AuditWrongCode  = "transfer.wrong-code"
	AuditRefused    = "transfer.link-refused"
	AuditDownloaded = "transfer.downloaded"
)

// Event is one line of a transfer's history: when, by whom (an email, or "" for someone who
// opened the link without signing in), what.
type Event struct {
	At   time.Time
	By   string
	Kind string
	Note string
}

// Destination is the school a pupil moves to: a school of the federation (School), or one
// outside it, by its name and the email of a named DSL there.
type Destination struct {
	School     safeguarding.SchoolID
	SchoolName string
	DSLEmail   string
}

// InFederation says whether the receiving school is one of the federation's.
func (d Destination) InFederation() bool { return d.School != "" }

// Transfer is one pupil's file sent, or to be sent, to their new school. Its fields are read
// by the store and the pages; they change only through the use cases of this package.
type Transfer struct {
	ID        string
	From      safeguarding.SchoolID
	FromName  string
	Pupil     safeguarding.PupilID
	PupilName string
	To        Destination
	Status    Status

	RecordedBy string
	RecordedAt time.Time
	DueBy      time.Time
	SentBy     string
	SentAt     time.Time
	ReceivedBy string
	ReceivedAt time.Time

	// ReceivingPupil is the pupil at the receiving school of the federation the file was copied
	// to (matched by UPN, or made); Copied counts the items of the file copied so far, so that
	// sending again after a cut resumes where it stopped.
	ReceivingPupil safeguarding.PupilID
	Copied         int

	// Link is the time-limited link of a transfer outside the federation, once sent.
	Link Link

	History []Event
	// Fingerprint is the recording request's, for an Idempotency-Key sent again.
	Fingerprint string
	Version     int
}

// Move is a move as a DSL records it: to a school of the federation, or outside it.
type Move struct {
	ToSchool     safeguarding.SchoolID
	ToSchoolName string
	ToDSLEmail   string
}

// Limits of the names and emails a move holds.
const (
	maxSchoolName = 200
	maxEmail      = 254
)

// Check validates a move's shape: either a school of the federation, or a school's name and
// its DSL's email; each problem names its field.
func (m Move) Check() (Move, error) {
	var ps safeguarding.Problems
	m.ToSchoolName = strings.TrimSpace(m.ToSchoolName)
	m.ToDSLEmail = strings.TrimSpace(m.ToDSLEmail)
	switch {
	case m.ToSchool != "" && (m.ToSchoolName != "" || m.ToDSLEmail != ""):
		ps.Add("toSchool", "choose a school of the federation, or give a school outside it by name with its DSL's email, not both")
	case m.ToSchool != "":
	default:
		if m.ToSchoolName == "" {
			ps.Add("toSchoolName", "give the name of the new school")
		} else {
			safeguarding.CheckText(&ps, "toSchoolName", m.ToSchoolName, maxSchoolName)
		}
		if m.ToDSLEmail == "" {
			ps.Add("toDslEmail", "give the email of the new school's designated safeguarding lead")
		} else if a, err := mail.ParseAddress(m.ToDSLEmail); err != nil || a.Address != m.ToDSLEmail || len(m.ToDSLEmail) > maxEmail || !strings.Contains(m.ToDSLEmail[strings.LastIndex(m.ToDSLEmail, "@")+1:], ".") {
			ps.Add("toDslEmail", "give an email address such as name@school.example")
		} else {
			m.ToDSLEmail = strings.ToLower(m.ToDSLEmail)
		}
	}
	return m, ps.Err()
}

// DueBy is rule S5's due time: the end of the school day (the school's own end of day) of the
// 5th school day after the day the move is recorded, by the sending school's calendar.
func DueBy(cal safeguarding.Calendar, recordedAt time.Time, endOfDayMinutes int) time.Time {
	if endOfDayMinutes <= 0 {
		endOfDayMinutes = safeguarding.DefaultEndOfDayMinutes
	}
	return safeguarding.At(safeguarding.AddSchoolDays(cal, recordedAt, DueSchoolDays), endOfDayMinutes).UTC()
}

// DueItem is the transfer's item on the deadline ladder (D8): assigned to the DSL who recorded
// the move, met when the file is sent.
func (t Transfer) DueItem(now time.Time) safeguarding.DueItem {
	d := safeguarding.DueItem{ID: "transfer-" + t.ID, School: t.From, Kind: DueKind, Assignee: t.RecordedBy,
		Reference: "Transfer", Subject: t.ID, Due: safeguarding.NewDueState(t.DueBy, now)}
	if t.Status != StatusDue {
		d.Due = d.Due.Stop()
	}
	return d
}

// Overdue says whether a transfer still due has passed its due time at now.
func (t Transfer) Overdue(now time.Time) bool { return t.Status == StatusDue && now.After(t.DueBy) }

// ToName is the receiving school's name as people read it.
func (t Transfer) ToName() string {
	if t.To.SchoolName != "" {
		return t.To.SchoolName
	}
	return string(t.To.School)
}

// Involves says whether school is the sending or the receiving school.
func (t Transfer) Involves(school safeguarding.SchoolID) bool {
	return t.From == school || (t.To.InFederation() && t.To.School == school)
}

func (t *Transfer) log(at time.Time, by, kind, note string) {
	t.History = append(t.History, Event{At: at.UTC(), By: by, Kind: kind, Note: note})
}
