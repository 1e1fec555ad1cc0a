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

// IsCaseWork says whether the entry repeats case work on a concern: an action or a case
// decision (D7).
func (e ChronologyEntry) IsCaseWork() bool {
	return e.ConcernID != "" && (e.Type == EntryAction || e.Type == EntryDecision)
}

// visibility is who may see the entry: an entry carries its concern's visibility, and when it
// is case work (told by its type) only those who may see the case work see it (D7).
func (e ChronologyEntry) visibility() Visibility {
	v := e.Visibility
	v.CaseWork = e.IsCaseWork()
	return v
}

// Visible keeps the entries p may see (rules P2, D7), in their order.
func Visible(entries []ChronologyEntry, p Principal) []ChronologyEntry {
	out := entries[:0:0]
	for _, e := range entries {
		if e.visibility().CanView(p) {
			out = append(out, e)
		}
	}
	return out
}
