package main

import (
	"context"
	"encoding/json"
	"log/slog"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/seals"
	"github.com/keepsafe-schools/keepsafe/shared/schedule"
)

type handler struct {
	sealer seals.Sealer
}

// Handle seals at the schedule's time, never the wall clock. A school that failed is named in
// the error, and sealed by the next run; the others are sealed.
func (h handler) Handle(ctx context.Context, raw json.RawMessage) (seals.Run, error) {
	now, err := schedule.Time(raw)
	if err != nil {
		return seals.Run{}, err
	}
	run, err := h.sealer.Run(ctx, now)
	slog.InfoContext(ctx, "seal run", "at", run.At, "schools", run.Schools, "seals", run.Seals,
		"entries", run.Entries, "anchors", run.Anchors, "failed", err != nil)
	if err != nil {
		slog.ErrorContext(ctx, "seal run failed", "error", err.Error())
	}
	return run, err
}
