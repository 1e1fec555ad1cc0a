package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
)

type handler struct {
	engine deadlines.Deadlines
}

// scheduled is the schedule's input: template.yaml has EventBridge Scheduler put its
// scheduled time there; the local stack sends the same field.
type scheduled struct {
	Time string `json:"time"`
}

// Handle runs the engine at the schedule's time, never the wall clock.
func (h handler) Handle(ctx context.Context, raw json.RawMessage) (deadlines.DeadlineRun, error) {
	now, err := eventTime(raw)
	if err != nil {
		return deadlines.DeadlineRun{}, err
	}
	run, err := h.engine.Run(ctx, now)
	slog.InfoContext(ctx, "deadlines run", "at", run.At, "schools", run.Schools, "due", run.Due,
		"escalated", run.Escalated, "alerts", run.Alerts, "skipped", run.Skipped, "failed", err != nil)
	return run, err
}

func eventTime(raw json.RawMessage) (time.Time, error) {
	var ev scheduled
	if err := json.Unmarshal(raw, &ev); err != nil {
		return time.Time{}, fmt.Errorf("deadlines: event is not JSON: %w", err)
	}
	t, err := time.Parse(time.RFC3339, ev.Time)
	if err != nil {
		return time.Time{}, fmt.Errorf("deadlines: event time %q: %w", ev.Time, err)
	}
	return t, nil
}
