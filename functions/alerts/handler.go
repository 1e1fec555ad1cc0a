package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// outbox is the storage side of sending: a lease so one alert is sent once, and its receipt.
type outbox interface {
	LeaseAlert(ctx context.Context, id string, now time.Time, d time.Duration) error
	ReleaseAlert(ctx context.Context, id string) error
	MarkAlertSent(ctx context.Context, id, messageID string, at time.Time) error
	MarkAlertUndeliverable(ctx context.Context, id, reason string, at time.Time) error
}

type publisher interface {
	Publish(ctx context.Context, a safeguarding.Alert) (string, error)
}

type handler struct {
	outbox    outbox
	publisher publisher
	// now is the wall clock, for leases and for how long a missing subscription is waited
	// for: no rule depends on it.
	now func() time.Time
}

// lease is how long one invocation holds the right to send an alert.
const lease = 30 * time.Second

// settle is how long an alert for someone not subscribed to the school's alerts is retried
// before it is recorded as undeliverable: a person added to the roster a moment before is
// subscribed by the subscriptions function within seconds. Longer would hold up the alerts
// behind it on the stream's shard.
const settle = 2 * time.Minute

// Handle publishes each outbox item of the batch. A record that fails is reported by its
// sequence number so Lambda retries from there (ReportBatchItemFailures); after the retries
// of template.yaml it goes to the dead-letter queue, whose alarm calls someone. A record
// delivered twice is sent once: the lease and the sentAt mark see to it. An alert that no
// subscription would deliver (an SMS for someone with no mobile) is recorded as undeliverable
// on its outbox item and counted, not failed: retrying would not give them a mobile.
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
	switch {
	case errors.Is(err, alert.ErrNotSubscribed) && h.young(rec):
		h.release(ctx, a.ID)
		return err
	case errors.Is(err, alert.ErrNoEndpoint), errors.Is(err, alert.ErrNotSubscribed):
		return h.undeliverable(ctx, a, err)
	case err != nil:
		h.release(ctx, a.ID)
		return err
	}
	// The named window: an alert is published twice only if the function dies, or this write
	// fails after every retry, between SNS's answer and the sentAt mark. Nothing else happens
	// in between; the log line comes after.
	if err := h.outbox.MarkAlertSent(ctx, a.ID, messageID, h.now()); err != nil {
		return err
	}
	slog.InfoContext(ctx, "alert sent", "school", string(a.School), "kind", a.Kind, "audience", string(a.Audience),
		"channel", string(a.Channel), "priority", string(a.Priority), "reference", a.Reference, "messageId", messageID)
	return nil
}

func (h handler) release(ctx context.Context, id string) {
	if err := h.outbox.ReleaseAlert(ctx, id); err != nil {
		slog.WarnContext(ctx, "lease not released", "error", err.Error())
	}
}

// young reports whether the stream record is recent enough that a missing subscription may
// still appear.
func (h handler) young(rec events.DynamoDBEventRecord) bool {
	at := rec.Change.ApproximateCreationDateTime.Time
	return !at.IsZero() && h.now().Sub(at) < settle
}

// Reasons recorded on an outbox item that could not be delivered.
const (
	reasonNoEndpoint    = "no-endpoint"    // no address for the channel (an SMS, no mobile)
	reasonNotSubscribed = "not-subscribed" // not subscribed to the school's alerts at all
)

// undeliverable records an alert that no subscription would deliver, so it is accounted for
// and never silently lost: the outbox item keeps the reason, the log line carries a CloudWatch
// metric (UndeliverableAlerts, alarmed in template.yaml), and neither names the person.
func (h handler) undeliverable(ctx context.Context, a safeguarding.Alert, why error) error {
	reason := reasonNoEndpoint
	if errors.Is(why, alert.ErrNotSubscribed) {
		reason = reasonNotSubscribed
	}
	now := h.now()
	slog.WarnContext(ctx, "alert undeliverable", "school", string(a.School), "kind", a.Kind, "audience", string(a.Audience),
		"channel", string(a.Channel), "priority", string(a.Priority), "reference", a.Reference, "reason", reason,
		"UndeliverableAlerts", 1,
		"_aws", map[string]any{"Timestamp": now.UnixMilli(), "CloudWatchMetrics": []any{map[string]any{
			"Namespace": metricNamespace, "Dimensions": [][]string{{}},
			"Metrics": []any{map[string]string{"Name": "UndeliverableAlerts", "Unit": "Count"}},
		}}})
	return h.outbox.MarkAlertUndeliverable(ctx, a.ID, reason, now)
}

// metricNamespace is where the functions' own CloudWatch metrics go.
const metricNamespace = "Keepsafe"
