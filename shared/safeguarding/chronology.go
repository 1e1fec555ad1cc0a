package safeguarding

import (
	"time"
)

// EntryType is the kind of a chronology entry.
type EntryType string

const (
	EntryConcern         EntryType = "concern"
	EntryAmendment       EntryType = "amendment"
	EntryAction          EntryType = "action"
	EntryContact         EntryType = "contact"
	EntryVisit           EntryType = "visit"
	EntryMissing         EntryType = "missing"
	EntryContactRestored EntryType = "contact_restored"
	EntryLANotification  EntryType = "la_notification"
	EntryDecision        EntryType = "decision"
	EntryTransfer        EntryType = "transfer"
)

// ChronologyEntry is one line of a pupil's chronology. Entries are append-only: a concern about
// three pupils appears in three chronologies, each with that pupil's own role and nothing of
// the other pupils' roles.
type ChronologyEntry struct {
	ID           string
	Pupil        PupilID
	Type         EntryType
	At           time.Time
	ConcernID    ConcernID
	Reference    string
	Role         PupilRole
	Category     Category
	Subcat       []string
	HighPriority bool
	Late         bool
	AuthorName   string
	Summary      string
	Visibility   Visibility
}

// Visible keeps the entries p may see (rule P2), in their order.
func Visible(entries []ChronologyEntry, p Principal) []ChronologyEntry {
	out := entries[:0:0]
	for _, e := range entries {
		if e.Visibility.CanView(p) {
			out = append(out, e)
		}
	}
	return out
}
