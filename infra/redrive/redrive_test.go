package redrive

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// fakeQueue is a dead-letter queue and its queue, as SQS answers them.
type fakeQueue struct {
	dead    []string // bodies waiting in the dead-letter queue
	sent    []string // bodies sent to the queue
	refuse  bool     // the queue refuses every message
	requeue bool     // what is sent fails again at once and is back in the dead letters
}

func (q *fakeQueue) ReceiveMessage(_ context.Context, in *sqs.ReceiveMessageInput, _ ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error) {
	out := &sqs.ReceiveMessageOutput{}
	for i, b := range q.dead {
		if i == int(in.MaxNumberOfMessages) {
			break
		}
		out.Messages = append(out.Messages, sqstypes.Message{Body: aws.String(b), ReceiptHandle: aws.String(b)})
	}
	return out, nil
}

func (q *fakeQueue) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	out := &sqs.SendMessageBatchOutput{}
	for _, e := range in.Entries {
		if q.refuse {
			out.Failed = append(out.Failed, sqstypes.BatchResultErrorEntry{Id: e.Id})
			continue
		}
		q.sent = append(q.sent, aws.ToString(e.MessageBody))
		out.Successful = append(out.Successful, sqstypes.SendMessageBatchResultEntry{Id: e.Id})
	}
	return out, nil
}

func (q *fakeQueue) DeleteMessageBatch(_ context.Context, in *sqs.DeleteMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.DeleteMessageBatchOutput, error) {
	for _, e := range in.Entries {
		for i, b := range q.dead {
			if b == aws.ToString(e.ReceiptHandle) {
				q.dead = append(q.dead[:i], q.dead[i+1:]...)
				if q.requeue {
					q.dead = append(q.dead, b)
				}
				break
			}
		}
	}
	return &sqs.DeleteMessageBatchOutput{}, nil
}

// emptyOutbox has no unsent alerts.
type emptyOutbox struct{ store.Store }

func (*emptyOutbox) UnsentAlerts(context.Context, time.Time, time.Time) ([]safeguarding.Alert, error) {
	return nil, nil
}

func TestReplayMovesEveryDeadLetterOnceAndDeletesOnlyWhatTheQueueTook(t *testing.T) {
	ctx := context.Background()
	var bodies []string
	for i := range 23 {
		bodies = append(bodies, string(rune('a'+i)))
	}
	q := &fakeQueue{dead: append([]string{}, bodies...)}
	r := Redrive{Outbox: &emptyOutbox{}, Now: time.Now(), Queue: q, QueueURL: "q", DeadLetterURL: "dlq"}
	rep, err := r.Run(ctx)
	if err != nil || rep.Replayed != 23 || len(q.dead) != 0 || len(q.sent) != 23 {
		t.Fatalf("replay: %+v %v; left %v, sent %d", rep, err, q.dead, len(q.sent))
	}
	if rep.Queries != 31 {
		t.Errorf("%d days read, want the outbox's 30 days and today", rep.Queries)
	}
	// A second redrive finds nothing.
	if rep, err := r.Run(ctx); err != nil || rep.Replayed != 0 {
		t.Errorf("second replay: %+v %v", rep, err)
	}
	// A message that fails again at once is moved once per run, not for ever.
	q = &fakeQueue{dead: []string{"x", "y"}, requeue: true}
	r.Queue = q
	if rep, err := r.Run(ctx); err != nil || rep.Replayed != 2 || len(q.sent) != 2 {
		t.Errorf("requeued: %+v %v, sent %v", rep, err, q.sent)
	}
	// What the queue refuses stays in the dead letters.
	q = &fakeQueue{dead: []string{"x"}, refuse: true}
	r.Queue = q
	if _, err := r.Run(ctx); err == nil || len(q.dead) != 1 {
		t.Errorf("refused: %v, left %v", err, q.dead)
	}
}
