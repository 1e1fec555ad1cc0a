package contact

import (
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// ClosureContact says whether a member of staff is designated by a DSL to contact families
// during a closure (rule P3), with the history of who designated or undesignated them.
type ClosureContact struct {
	School  safeguarding.SchoolID
	Email   string
	Active  bool
	History []ClosureContactEvent
	Version int
}

// ClosureContactEvent is one designation or its end.
type ClosureContactEvent struct {
	At     time.Time
	By     string
	Active bool
	Reason string
}
