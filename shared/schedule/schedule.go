// Package schedule reads the event EventBridge Scheduler sends the scheduled functions:
// template.yaml has it put its scheduled time in the input, and the local stack sends the
// same field, so a run's "now" is the schedule's time, never the wall clock.
package schedule

import (
	"encoding/json"
	"fmt"
	"time"
)

// Event is a schedule's input: {"time": "<aws.scheduler.scheduled-time>", "id": "<aws.scheduler.execution-id>"}.
type Event struct {
	Time string `json:"time"`
	ID   string `json:"id"`
}

// Time is the scheduled time of the event.
func Time(raw json.RawMessage) (time.Time, error) {
	var ev Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return time.Time{}, fmt.Errorf("schedule: event is not JSON: %w", err)
	}
	t, err := time.Parse(time.RFC3339, ev.Time)
	if err != nil {
		return time.Time{}, fmt.Errorf("schedule: event time %q: %w", ev.Time, err)
	}
	return t, nil
}
