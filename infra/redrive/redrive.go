// Package redrive is the way back after a failure that outlasted every retry: it sends the
// alerts whose outbox items were never marked sent (their stream records may have expired,
// and a stream's dead letter holds no data), and moves the escalation messages from their
// queue's dead-letter queue back to the queue. It does what the alerts function does for each
// alert (lease, publish, mark sent), so an alert sent meanwhile is not sent again, and a
// second redrive finds nothing to do. `make redrive` runs it (cmd/redrive).
package redrive

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Outbox is the storage side: the unsent index and the alerts function's lease and marks.
type Outbox interface {
	UnsentAlerts(ctx context.Context, day, before time.Time) ([]safeguarding.Alert, error)
	LeaseAlert(ctx context.Context, id string, now time.Time, d time.Duration) error
	ReleaseAlert(ctx context.Context, id string) error
	MarkAlertSent(ctx context.Context, id, messageID string, at time.Time) error
	MarkAlertUndeliverable(ctx context.Context, id, reason string, at time.Time) error
}

// Publisher sends one alert (alert.Publisher).
type Publisher interface {
	Publish(ctx context.Context, a safeguarding.Alert) (string, error)
}

// Queue is the part of the SQS client the redrive of dead letters uses.
type Queue interface {
	ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
	DeleteMessageBatch(context.Context, *sqs.DeleteMessageBatchInput, ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error)
}

// Redrive says what to redrive.
type Redrive struct {
	Outbox    Outbox
	Publisher Publisher
	// Now is the product's time (the local clock in the local stack): the unsent alerts of
	// every UTC day from Now less the outbox's retention to Now are looked at, those written
	// up to Grace before Now.
	Now time.Time
	// Grace leaves alone the alerts written in the last moments, which the stream may be
	// delivering now (5 minutes when 0).
	Grace time.Duration
	// Wall is the wall clock for leases, as the alerts function's (time.Now when nil).
	Wall func() time.Time

	// Queue, QueueURL and DeadLetterURL move the dead letters of a queue back to it; with no
	// Queue, no messages are moved.
	Queue                   Queue
	QueueURL, DeadLetterURL string

	Log *slog.Logger
}

// Report counts what a redrive did.
type Report struct {
	Unsent        int `json:"unsent"`        // alerts found not marked sent
	Sent          int `json:"sent"`          // of them, published now
	Undeliverable int `json:"undeliverable"` // of them, recorded as undeliverable (no subscription)
	Skipped       int `json:"skipped"`       // of them, sent by the alerts function meanwhile
	Leased        int `json:"leased"`        // of them, held by a sender's lease (at most 30 s): run again after it
	Failed        int `json:"failed"`        // of them, not sent: run again later
	Replayed      int `json:"replayed"`      // dead letters moved back to their queue
	Queries       int `json:"queries"`       // days of the unsent index read
}

// lease is how long the redrive holds the right to send one alert (as the alerts function).
const lease = 30 * time.Second

// Run redrives the alerts, then the dead letters. An error stops it; what it did so far is in
// the report, and running it again carries on.
func (r Redrive) Run(ctx context.Context) (Report, error) {
	var rep Report
	if r.Grace <= 0 {
		r.Grace = 5 * time.Minute
	}
	if r.Wall == nil {
		r.Wall = time.Now
	}
	if r.Log == nil {
		r.Log = slog.New(slog.DiscardHandler)
	}
	before := r.Now.Add(-r.Grace)
	first := r.Now.Add(-store.OutboxRetention).UTC().Truncate(24 * time.Hour)
	for day := first; !day.After(r.Now); day = day.Add(24 * time.Hour) {
		alerts, err := r.Outbox.UnsentAlerts(ctx, day, before)
		rep.Queries++
		if err != nil {
			return rep, err
		}
		for _, a := range alerts {
			rep.Unsent++
			r.send(ctx, a, &rep)
		}
	}
	if r.Queue != nil {
		n, err := r.replay(ctx)
		rep.Replayed = n
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// send does for one alert what the alerts function does for its stream record.
func (r Redrive) send(ctx context.Context, a safeguarding.Alert, rep *Report) {
	switch err := r.Outbox.LeaseAlert(ctx, a.ID, r.Wall(), lease); {
	case errors.Is(err, store.ErrAlreadySent):
		rep.Skipped++
		return
	case errors.Is(err, store.ErrLeased):
		rep.Leased++
		return
	case err != nil:
		rep.Failed++
		r.Log.Warn("alert not leased", "school", string(a.School), "reference", a.Reference, "error", err.Error())
		return
	}
	messageID, err := r.Publisher.Publish(ctx, a)
	switch {
	case errors.Is(err, alert.ErrNoEndpoint), errors.Is(err, alert.ErrNotSubscribed):
		reason := "no-endpoint"
		if errors.Is(err, alert.ErrNotSubscribed) {
			reason = "not-subscribed"
		}
		if err := r.Outbox.MarkAlertUndeliverable(ctx, a.ID, reason, r.Wall()); err != nil {
			rep.Failed++
			return
		}
		rep.Undeliverable++
		return
	case err != nil:
		if rerr := r.Outbox.ReleaseAlert(ctx, a.ID); rerr != nil {
			r.Log.Warn("lease not released", "error", rerr.Error())
		}
		rep.Failed++
		r.Log.Warn("alert not sent", "school", string(a.School), "reference", a.Reference, "error", err.Error())
		return
	}
	if err := r.Outbox.MarkAlertSent(ctx, a.ID, messageID, r.Wall()); err != nil {
		// Sent but not marked: the one window in which a later redrive sends it again.
		rep.Failed++
		r.Log.Warn("alert sent but not marked sent", "school", string(a.School), "reference", a.Reference, "error", err.Error())
		return
	}
	rep.Sent++
	r.Log.Info("alert redriven", "school", string(a.School), "kind", a.Kind, "reference", a.Reference, "messageId", messageID)
}

// replay moves every message of the dead-letter queue back to the queue, ten at a time: a
// message is deleted from the dead letters only once the queue has taken it. A message that
// comes back to the dead letters during the run (its consumer failed it again) is left there.
func (r Redrive) replay(ctx context.Context) (int, error) {
	moved := 0
	seen := map[string]bool{}
	for {
		out, err := r.Queue.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{
			QueueUrl: aws.String(r.DeadLetterURL), MaxNumberOfMessages: 10, VisibilityTimeout: 60, WaitTimeSeconds: 0,
		})
		if err != nil {
			return moved, fmt.Errorf("redrive: receive dead letters: %w", err)
		}
		out.Messages = slicesDeleteSeen(out.Messages, seen)
		if len(out.Messages) == 0 {
			return moved, nil
		}
		entries := make([]sqstypes.SendMessageBatchRequestEntry, len(out.Messages))
		for i, m := range out.Messages {
			entries[i] = sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(i)), MessageBody: m.Body}
		}
		sent, err := r.Queue.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: aws.String(r.QueueURL), Entries: entries})
		if err != nil {
			return moved, fmt.Errorf("redrive: send to the queue: %w", err)
		}
		var done []sqstypes.DeleteMessageBatchRequestEntry
		for _, ok := range sent.Successful {
			i, _ := strconv.Atoi(aws.ToString(ok.Id))
			done = append(done, sqstypes.DeleteMessageBatchRequestEntry{Id: ok.Id, ReceiptHandle: out.Messages[i].ReceiptHandle})
		}
		if len(done) > 0 {
			if _, err := r.Queue.DeleteMessageBatch(ctx, &sqs.DeleteMessageBatchInput{QueueUrl: aws.String(r.DeadLetterURL), Entries: done}); err != nil {
				return moved, fmt.Errorf("redrive: delete moved dead letters: %w", err)
			}
		}
		moved += len(done)
		if len(sent.Failed) > 0 {
			return moved, fmt.Errorf("redrive: the queue refused %d messages", len(sent.Failed))
		}
	}
}

// slicesDeleteSeen drops the messages whose body was moved already in this run, and notes the
// others' bodies as moved.
func slicesDeleteSeen(msgs []sqstypes.Message, seen map[string]bool) []sqstypes.Message {
	out := msgs[:0]
	for _, m := range msgs {
		b := aws.ToString(m.Body)
		if seen[b] {
			continue
		}
		seen[b] = true
		out = append(out, m)
	}
	return out
}
