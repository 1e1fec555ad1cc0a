package safeguarding

import (
	"time"
)

// AuditEntry records one read or write of a pupil's record (rule P4): who, when, what, from
// where. It commits with the write it describes; a read is not shown until its entry is saved.
type AuditEntry struct {
	ID     string
	School SchoolID
	Actor  string
	Action string
	// Subject names what was read or written, as "concern/<id>" or "pupil/<id>".
	Subject string
	// Pupils are the pupils whose record was touched.
	Pupils []PupilID
	At     time.Time
	Source string
	// Reason is why the actor says they needed it, where the rules ask for one (rule P3: a
	// family's contact details opened past the hour's threshold).
	Reason string
}
