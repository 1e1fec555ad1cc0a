package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/schedule"
)

// Queue is the part of the SQS client the fan-out uses.
type Queue interface {
	SendMessageBatch(context.Context, *sqs.SendMessageBatchInput, ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error)
}

// Schools lists the schools a run visits, each with what the registry holds for its run, and
// the federation's families due a look.
type Schools interface {
	EscalationSheets(ctx context.Context) ([]engagement.EscalationSchool, error)
	FamiliesDue(ctx context.Context, now time.Time, schools []safeguarding.SchoolID, perSchool int) (engagement.DueLooks, error)
}

// The bounds on what a message carries. SQS takes at most 256 KiB in one SendMessageBatch.
const (
	// dueKept is how many families due a look the fan-out keeps for one school; a school with
	// more (the first days of a closure at a large school) reads its own in its run.
	dueKept = 200
	// messageBytes is the most a message with families may hold; past it the message goes
	// without them and the worker reads its school's from the look index.
	messageBytes = 64 << 10
	// batchBytes is the most one SendMessageBatch carries.
	batchBytes = 240 << 10
)

type handler struct {
	job      engagement.FamilyEscalation
	schools  Schools
	queue    Queue
	queueURL string
}

// message is one school's share of a run: the school, the day the job last reached for it and
// the schedule's time, so a redelivered message runs at the same "now"; the school's run
// sheet as the registry held it (data.md A97); and the school's families due a look as the
// fan-out read them (A110; none is an empty list), so the worker reads nothing before it
// writes. A message without families (too many for one) has the worker read its school's
// from the look index (A24).
type message struct {
	School   string       `json:"school"`
	From     string       `json:"from,omitempty"`
	Time     string       `json:"time"`
	Sheet    *sheet       `json:"sheet,omitempty"`
	Families *[]dueFamily `json:"families,omitempty"`
}

// Handle serves both events of the EscalationFunction: the daily schedule, which fans out one
// message per school, and the queue's batches, each message one school's run.
func (h handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Records []struct {
			EventSource string `json:"eventSource"`
		} `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err == nil && len(probe.Records) > 0 && probe.Records[0].EventSource == "aws:sqs" {
		var ev events.SQSEvent
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("escalation: queue event: %w", err)
		}
		return h.work(ctx, ev), nil
	}
	now, err := schedule.Time(raw)
	if err != nil {
		return nil, err
	}
	return h.fanOut(ctx, now)
}

// fanOut lists the schools, then their families due a look (one Query a shard of the look
// index that holds one of them), and queues one message per school, at most ten and
// batchBytes to a SendMessageBatch. On a weekend or a bank holiday no school has a school
// day: the run does nothing at all.
func (h handler) fanOut(ctx context.Context, now time.Time) (engagement.EscalationRun, error) {
	run := engagement.EscalationRun{At: now.UTC()}
	if !h.job.BankHolidays.IsSchoolDay(now) {
		slog.InfoContext(ctx, "escalation run", "at", run.At, "schoolDay", false)
		return run, nil
	}
	run.SchoolDay = true
	schools, err := h.schools.EscalationSheets(ctx)
	if err != nil {
		return run, err
	}
	ids := make([]safeguarding.SchoolID, len(schools))
	for i, s := range schools {
		ids[i] = s.ID
	}
	due, err := h.schools.FamiliesDue(ctx, now, ids, dueKept)
	if err != nil {
		return run, err
	}
	run.Schools = len(schools)
	var entries []sqstypes.SendMessageBatchRequestEntry
	size, carried := 0, 0
	flush := func() error {
		if len(entries) == 0 {
			return nil
		}
		if err := h.send(ctx, entries); err != nil {
			return err
		}
		run.Enqueued += len(entries)
		entries, size = nil, 0
		return nil
	}
	for _, s := range schools {
		due.For(&s)
		body := messageFor(s, now)
		if s.DueRead {
			carried++
		}
		if len(entries) == 10 || size+len(body) > batchBytes {
			if err := flush(); err != nil {
				return run, err
			}
		}
		entries = append(entries, sqstypes.SendMessageBatchRequestEntry{Id: aws.String(strconv.Itoa(len(entries))), MessageBody: aws.String(body)})
		size += len(body)
	}
	if err := flush(); err != nil {
		return run, err
	}
	slog.InfoContext(ctx, "escalation run", "at", run.At, "schoolDay", true, "schools", run.Schools, "enqueued", run.Enqueued,
		"withFamilies", carried)
	return run, nil
}

// messageFor is a school's message, with its due families when the fan-out kept them and they
// fit in messageBytes (otherwise without: the worker reads its own).
func messageFor(s engagement.EscalationSchool, now time.Time) string {
	m := message{School: string(s.ID), Time: now.UTC().Format(time.RFC3339), Sheet: sheetOf(s.Sheet)}
	if !s.From.IsZero() {
		m.From = s.From.Format(time.DateOnly)
	}
	if s.DueRead {
		fams := dueFamiliesOf(s.Due)
		m.Families = &fams
		if body, _ := json.Marshal(m); len(body) <= messageBytes {
			return string(body)
		}
		m.Families = nil
	}
	body, _ := json.Marshal(m)
	return string(body)
}

// send sends a batch, sending again the entries SQS did not take (a few times).
func (h handler) send(ctx context.Context, entries []sqstypes.SendMessageBatchRequestEntry) error {
	for attempt := 0; len(entries) > 0; attempt++ {
		out, err := h.queue.SendMessageBatch(ctx, &sqs.SendMessageBatchInput{QueueUrl: &h.queueURL, Entries: entries})
		if err != nil {
			return fmt.Errorf("escalation: queue: %w", err)
		}
		if len(out.Failed) == 0 {
			return nil
		}
		if attempt == 3 {
			return fmt.Errorf("escalation: queue refused %d messages (%s)", len(out.Failed), aws.ToString(out.Failed[0].Code))
		}
		failed := map[string]bool{}
		for _, f := range out.Failed {
			failed[aws.ToString(f.Id)] = true
		}
		var again []sqstypes.SendMessageBatchRequestEntry
		for _, e := range entries {
			if failed[aws.ToString(e.Id)] {
				again = append(again, e)
			}
		}
		entries = again
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	return nil
}

// work runs one school per message and reports the messages that failed, so only those come
// back (and, after the queue's retries, land in its dead-letter queue).
func (h handler) work(ctx context.Context, ev events.SQSEvent) events.SQSEventResponse {
	var resp events.SQSEventResponse
	for _, rec := range ev.Records {
		var m message
		err := json.Unmarshal([]byte(rec.Body), &m)
		var now time.Time
		if err == nil {
			now, err = time.Parse(time.RFC3339, m.Time)
		}
		s := safeguarding.SchoolDue{ID: safeguarding.SchoolID(m.School)}
		if err == nil && m.From != "" {
			s.From, err = time.ParseInLocation(time.DateOnly, m.From, safeguarding.London)
		}
		if err == nil && m.School == "" {
			err = errors.New("no school")
		}
		var es engagement.EscalationSchool
		if err == nil {
			es.Sheet, err = m.Sheet.forSchool(s.ID)
		}
		if err == nil && m.Families != nil {
			es.Due, err = families(s.ID, *m.Families)
			es.DueRead = err == nil
		}
		if err != nil {
			// A malformed message will never succeed; it is logged and dropped, not retried.
			slog.ErrorContext(ctx, "escalation message unreadable", "messageId", rec.MessageId, "error", err.Error())
			continue
		}
		es.SchoolDue = s
		r, err := h.job.RunSchoolWith(ctx, es, now)
		slog.InfoContext(ctx, "escalation school", "school", m.School, "at", r.At, "schoolDay", r.SchoolDay, "looked", r.Looked,
			"missing", r.Missing, "laRaised", r.LARaised, "alerts", r.Alerts, "skipped", r.Skipped, "failed", err != nil)
		if err != nil {
			slog.ErrorContext(ctx, "escalation school failed", "school", m.School, "error", err.Error())
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
		}
	}
	return resp
}
