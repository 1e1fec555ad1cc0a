package safeguarding

import (
	"time"
)

// Caller is who asks, when, from where: the facts every use case takes from the event.
type Caller struct {
	Email  string
	At     time.Time
	Source string
}
