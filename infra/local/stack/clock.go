package stack

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// Clock is the local stack's notion of "now", used for API request events
// (requestContext.timeEpoch and time) and schedule events (time). It follows real time until
// it is pinned with POST /dev/clock; a pinned clock does not tick: every event carries exactly
// the pinned instant until it is pinned again or released with DELETE /dev/clock. That keeps
// tests that move the clock deterministic.
type Clock struct {
	real func() time.Time

	mu     sync.Mutex
	pinned *time.Time
}

// NewClock returns a clock that follows real (time.Now when nil) until pinned.
func NewClock(real func() time.Time) *Clock {
	if real == nil {
		real = time.Now
	}
	return &Clock{real: real}
}

// Now returns the pinned instant, or real time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pinned != nil {
		return *c.pinned
	}
	return c.real()
}

// Pin fixes the clock at t.
func (c *Clock) Pin(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pinned = &t
}

// Release returns the clock to real time.
func (c *Clock) Release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.pinned = nil
}

// Pinned reports whether the clock is pinned.
func (c *Clock) Pinned() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pinned != nil
}

type clockState struct {
	Now    string `json:"now"`
	Pinned bool   `json:"pinned"`
}

func (c *Clock) state() clockState {
	return clockState{Now: c.Now().UTC().Format(time.RFC3339Nano), Pinned: c.Pinned()}
}

// serveHTTP handles /dev/clock: GET shows it, POST {"now": RFC 3339} pins it, DELETE
// releases it. Each answers with the clock's state.
func (c *Clock) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var in struct {
			Now string `json:"now"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&in); err != nil {
			writeProblem(w, http.StatusBadRequest, "Invalid request", "body must be {\"now\": \"<RFC 3339>\"}")
			return
		}
		t, err := time.Parse(time.RFC3339Nano, in.Now)
		if err != nil {
			writeProblem(w, http.StatusBadRequest, "Invalid request", "now must be an RFC 3339 time")
			return
		}
		c.Pin(t)
	case http.MethodDelete:
		c.Release()
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeProblem(w, http.StatusMethodNotAllowed, "Method not allowed", "")
		return
	}
	writeJSON(w, http.StatusOK, c.state())
}
