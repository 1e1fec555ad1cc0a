package main

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
	"github.com/keepsafe-schools/keepsafe/shared/schedule"
)

type handler struct {
	engine deadlines.Deadlines
}

// Handle runs the engine at the schedule's time, never the wall clock.
func (h handler) Handle(ctx context.Context, raw json.RawMessage) (deadlines.DeadlineRun, error) {
	now, err := schedule.Time(raw)
	if err != nil {
		return deadlines.DeadlineRun{}, err
	}
	run, err := h.engine.Run(ctx, now)
	slog.InfoContext(ctx, "deadlines run", "at", run.At, "schools", run.Schools, "due", run.Due,
		"escalated", run.Escalated, "alerts", run.Alerts, "skipped", run.Skipped, "failed", err != nil)
	return run, err
}
