package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// outbox is the storage side of sending: a lease so one alert is sent once, and its receipt.
type outbox interface {
	LeaseAlert(ctx context.Context, id string, now time.Time, d time.Duration) error
	ReleaseAlert(ctx context.Context, id string) error
	MarkAlertSent(ctx context.Context, id, messageID string, at time.Time) error
}

type publisher interface {
	Publish(ctx context.Context, a safeguarding.Alert) (string, error)
}

type handler struct {
	outbox    outbox
	publisher publisher
	// now is the wall clock, for leases only: no rule depends on it.
	now func() time.Time
}

// lease is how long one invocation holds the right to send an alert.
const lease = 30 * time.Second

// Handle publishes each outbox item of the batch. A record that fails is reported by its
// sequence number so Lambda retries from there (ReportBatchItemFailures); after the retries
// of template.yaml it goes to the dead-letter queue, whose alarm calls someone. A record
// delivered twice is sent once: the lease and the sentAt mark see to it.
func (h handler) Handle(ctx context.Context, ev events.DynamoDBEvent) (events.DynamoDBEventResponse, error) {
	var resp events.DynamoDBEventResponse
	for _, rec := range ev.Records {
		if err := h.deliver(ctx, rec); err != nil {
			slog.ErrorContext(ctx, "alert not sent", "eventId", rec.EventID, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures,
				events.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
		}
	}
	return resp, nil
}

func (h handler) deliver(ctx context.Context, rec events.DynamoDBEventRecord) error {
	a, err := store.AlertFromImage(rec.Change.NewImage)
	if errors.Is(err, safeguarding.ErrInvalid) {
		// Not an alert (the stream filter should not have let it through): nothing to send.
		slog.WarnContext(ctx, "stream record is not an alert", "eventId", rec.EventID, "error", err.Error())
		return nil
	}
	switch err := h.outbox.LeaseAlert(ctx, a.ID, h.now(), lease); {
	case errors.Is(err, store.ErrAlreadySent):
		return nil
	case err != nil:
		return err
	}
	messageID, err := h.publisher.Publish(ctx, a)
	if err != nil {
		if rerr := h.outbox.ReleaseAlert(ctx, a.ID); rerr != nil {
			slog.WarnContext(ctx, "lease not released", "error", rerr.Error())
		}
		return err
	}
	slog.InfoContext(ctx, "alert sent", "school", string(a.School), "kind", a.Kind, "audience", string(a.Audience),
		"channel", string(a.Channel), "priority", string(a.Priority), "reference", a.Reference, "messageId", messageID)
	return h.outbox.MarkAlertSent(ctx, a.ID, messageID, h.now())
}
