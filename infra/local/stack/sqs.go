package stack

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"gopkg.in/yaml.v3"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// The local SQS is a stand-in, not an emulator. The real SQS client sends to it (AWS JSON
// protocol: SendMessage and SendMessageBatch only), and it delivers each message to the
// function whose SQS event reads that queue in template.yaml, in batches of that event's
// BatchSize, before it answers the send. So POST /dev/schedules/{name}/run returns once the
// work the run queued is done, and its summary is meaningful; in AWS delivery is
// asynchronous and a sender never waits for its consumers. Messages a consumer reports as
// failed (ReportBatchItemFailures), or all of a batch when the function fails, are delivered
// again up to the queue's maxReceiveCount (3 when the template says none), then kept as dead
// letters (GET /dev/queues). A queue named as a RedrivePolicy's deadLetterTargetArn holds
// those dead letters: ReceiveMessage and DeleteMessage(Batch) on it read and remove them (a
// received message is hidden for its VisibilityTimeout, 30 s when not given), so a redrive can
// move them back. There is no other visibility timeout, no delay and no FIFO ordering.
type sqsServer struct {
	log    *slog.Logger
	queues map[string]*localQueue // by queue name (the logical id)

	endpoint string
	faults   *faults

	mu   sync.Mutex
	dead []QueueMessage
	sent int
}

type localQueue struct {
	name        string
	consumer    *function
	batchSize   int
	maxReceives int
	deadLetters string // the queue its dead letters go to (RedrivePolicy), "" for none
}

// QueueMessage is a message the local SQS took, as GET /dev/queues shows dead letters.
type QueueMessage struct {
	Queue     string `json:"queue"`
	MessageID string `json:"messageId"`
	Body      string `json:"body"`
	Receives  int    `json:"receives"`

	hiddenUntil time.Time // received from its dead-letter queue, not yet deleted
}

// sqsQueues reads the template's SQS queues, their redrive limits and the function whose SQS
// event reads each one.
func sqsQueues(tpl *template.Template, functions map[string]*function) map[string]*localQueue {
	queues := map[string]*localQueue{}
	for _, r := range tpl.Resources() {
		if r.Type != "AWS::SQS::Queue" {
			continue
		}
		q := &localQueue{name: r.LogicalID, batchSize: 10, maxReceives: 3}
		if n, err := strconv.Atoi(scalar(child(child(r.Properties, "RedrivePolicy"), "maxReceiveCount"))); err == nil && n > 0 {
			q.maxReceives = n
		}
		if target := child(child(r.Properties, "RedrivePolicy"), "deadLetterTargetArn"); target != nil && target.Tag == "!GetAtt" {
			q.deadLetters, _, _ = strings.Cut(target.Value, ".")
		}
		queues[r.LogicalID] = q
	}
	for _, r := range tpl.Resources() {
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		events := child(r.Properties, "Events")
		for i := 0; events != nil && i+1 < len(events.Content); i += 2 {
			ev := events.Content[i+1]
			if scalar(child(ev, "Type")) != "SQS" {
				continue
			}
			props := child(ev, "Properties")
			name, _, _ := strings.Cut(scalar(child(props, "Queue")), ".")
			if q, ok := queues[name]; ok {
				q.consumer = functions[r.LogicalID]
				if n, err := strconv.Atoi(scalar(child(props, "BatchSize"))); err == nil && n > 0 {
					q.batchSize = n
				}
			}
		}
	}
	return queues
}

// queueRefs names, per function, the environment variables that are `!Ref <queue>`.
func queueRefs(tpl *template.Template, logicalID string, queues map[string]*localQueue) map[string]string {
	out := map[string]string{}
	r, ok := tpl.Resource(logicalID)
	if !ok {
		return out
	}
	vars := child(child(r.Properties, "Environment"), "Variables")
	for i := 0; vars != nil && i+1 < len(vars.Content); i += 2 {
		v := vars.Content[i+1]
		if v.Tag == "!Ref" {
			if _, ok := queues[v.Value]; ok {
				out[vars.Content[i].Value] = v.Value
			}
		}
	}
	return out
}

func child(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Value
}

type sqsEntry struct {
	ID            string `json:"Id"`
	MessageBody   string `json:"MessageBody"`
	ReceiptHandle string `json:"ReceiptHandle"`
}

// receiveDead returns up to max (1 to 10) dead letters of the queues whose dead-letter queue
// is dlq, and hides them for visibility seconds (30 when 0).
func (s *sqsServer) receiveDead(dlq string, limit, visibility int) []map[string]any {
	limit = min(max(limit, 1), 10)
	if visibility <= 0 {
		visibility = 30
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	out := []map[string]any{}
	for i := range s.dead {
		m := &s.dead[i]
		if q := s.queues[m.Queue]; q == nil || q.deadLetters != dlq || now.Before(m.hiddenUntil) {
			continue
		}
		m.hiddenUntil = now.Add(time.Duration(visibility) * time.Second)
		out = append(out, map[string]any{"MessageId": m.MessageID, "ReceiptHandle": m.MessageID, "Body": m.Body,
			"MD5OfBody": md5hex(m.Body), "Attributes": map[string]string{"DeadLetterQueueSourceArn": "arn:aws:sqs:eu-west-2:000000000000:" + m.Queue}})
		if len(out) == limit {
			break
		}
	}
	return out
}

// deleteDead removes a dead letter received from dlq.
func (s *sqsServer) deleteDead(dlq, handle string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = slices.DeleteFunc(s.dead, func(m QueueMessage) bool {
		q := s.queues[m.Queue]
		return m.MessageID == handle && q != nil && q.deadLetters == dlq
	})
}

// ServeHTTP answers the SQS JSON protocol's SendMessage and SendMessageBatch.
func (s *sqsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "AmazonSQS.")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	var in struct {
		QueueURL            string     `json:"QueueUrl"`
		MessageBody         string     `json:"MessageBody"`
		Entries             []sqsEntry `json:"Entries"`
		MaxNumberOfMessages int        `json:"MaxNumberOfMessages"`
		VisibilityTimeout   int        `json:"VisibilityTimeout"`
		ReceiptHandle       string     `json:"ReceiptHandle"`
	}
	if err == nil {
		err = json.Unmarshal(body, &in)
	}
	if err != nil {
		sqsError(w, "InvalidParameterValue", "the request is not JSON")
		return
	}
	name := in.QueueURL[strings.LastIndex(in.QueueURL, "/")+1:]
	switch op {
	case "ReceiveMessage":
		writeJSON(w, http.StatusOK, map[string]any{"Messages": s.receiveDead(name, in.MaxNumberOfMessages, in.VisibilityTimeout)})
		return
	case "DeleteMessage":
		s.deleteDead(name, in.ReceiptHandle)
		writeJSON(w, http.StatusOK, map[string]any{})
		return
	case "DeleteMessageBatch":
		type result struct {
			ID string `json:"Id"`
		}
		var ok []result
		for _, e := range in.Entries {
			s.deleteDead(name, e.ReceiptHandle)
			ok = append(ok, result{ID: e.ID})
		}
		writeJSON(w, http.StatusOK, map[string]any{"Successful": ok, "Failed": []any{}})
		return
	}
	q, ok := s.queues[name]
	if !ok {
		sqsError(w, "AWS.SimpleQueueService.NonExistentQueue", "no queue "+name)
		return
	}
	switch op {
	case "SendMessage":
		ids := s.deliver(r.Context(), q, []sqsEntry{{ID: "0", MessageBody: in.MessageBody}})
		writeJSON(w, http.StatusOK, map[string]string{"MessageId": ids[0], "MD5OfMessageBody": md5hex(in.MessageBody)})
	case "SendMessageBatch":
		if len(in.Entries) == 0 || len(in.Entries) > 10 {
			sqsError(w, "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "1 to 10 entries")
			return
		}
		ids := s.deliver(r.Context(), q, in.Entries)
		type result struct {
			ID               string `json:"Id"`
			MessageID        string `json:"MessageId"`
			MD5OfMessageBody string `json:"MD5OfMessageBody"`
		}
		var ok []result
		for i, e := range in.Entries {
			ok = append(ok, result{ID: e.ID, MessageID: ids[i], MD5OfMessageBody: md5hex(e.MessageBody)})
		}
		writeJSON(w, http.StatusOK, map[string]any{"Successful": ok, "Failed": []any{}})
	default:
		sqsError(w, "UnsupportedOperation", "the local SQS answers SendMessage(Batch), and ReceiveMessage and DeleteMessage(Batch) on a dead-letter queue, only")
	}
}

func sqsError(w http.ResponseWriter, code, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Query-Error", code+";Sender")
	w.WriteHeader(http.StatusBadRequest)
	b, _ := json.Marshal(map[string]string{"__type": "com.amazonaws.sqs#" + code, "message": msg})
	_, _ = w.Write(b)
}

func md5hex(s string) string {
	sum := md5.Sum([]byte(s))
	return hex.EncodeToString(sum[:])
}

// deliver gives the messages to the queue's consumer, batch by batch, retrying what fails.
func (s *sqsServer) deliver(ctx context.Context, q *localQueue, entries []sqsEntry) []string {
	msgs := make([]QueueMessage, len(entries))
	ids := make([]string, len(entries))
	s.mu.Lock()
	for i, e := range entries {
		s.sent++
		ids[i] = fmt.Sprintf("local-%06d", s.sent)
		msgs[i] = QueueMessage{Queue: q.name, MessageID: ids[i], Body: e.MessageBody}
	}
	s.mu.Unlock()
	if q.consumer == nil {
		s.log.Warn("no function reads the queue; messages kept as dead letters", "queue", q.name, "messages", len(msgs))
		s.keepDead(msgs)
		return ids
	}
	for start := 0; start < len(msgs); start += q.batchSize {
		pending := msgs[start:min(start+q.batchSize, len(msgs))]
		for len(pending) > 0 {
			var ev events.SQSEvent
			for i := range pending {
				pending[i].Receives++
				ev.Records = append(ev.Records, events.SQSMessage{MessageId: pending[i].MessageID, Body: pending[i].Body,
					EventSource: "aws:sqs", EventSourceARN: "arn:aws:sqs:eu-west-2:000000000000:" + q.name, AWSRegion: Region,
					Attributes: map[string]string{"ApproximateReceiveCount": strconv.Itoa(pending[i].Receives),
						"SentTimestamp": strconv.FormatInt(time.Now().UnixMilli(), 10)}})
			}
			payload, _ := json.Marshal(ev)
			var out []byte
			var err error
			if k, crash := s.faults.crashAfter("queue-crash", len(ev.Records), func(f FaultSpec) float64 { return f.QueueCrash }); crash {
				// The function dies after handling the first k messages: they had their
				// effects, and the batch fails whole.
				if k > 0 {
					part := ev
					part.Records = ev.Records[:k]
					b, _ := json.Marshal(part)
					_, _ = q.consumer.invoke(ctx, b)
				}
				err = &FunctionError{Type: "Runtime.ExitError", Message: "the function died in the middle of the batch (injected fault)"}
			} else {
				out, err = q.consumer.invoke(ctx, payload)
			}
			failed := map[string]bool{}
			if err != nil {
				s.log.Warn("queue batch failed", "queue", q.name, "err", err)
				for _, m := range pending {
					failed[m.MessageID] = true
				}
			} else {
				var resp events.SQSEventResponse
				_ = json.Unmarshal(out, &resp)
				for _, f := range resp.BatchItemFailures {
					failed[f.ItemIdentifier] = true
				}
			}
			var again, dead []QueueMessage
			for _, m := range pending {
				switch {
				case !failed[m.MessageID]:
				case m.Receives >= q.maxReceives:
					dead = append(dead, m)
				default:
					again = append(again, m)
				}
			}
			s.keepDead(dead)
			pending = again
		}
	}
	return ids
}

func (s *sqsServer) keepDead(msgs []QueueMessage) {
	if len(msgs) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dead = append(s.dead, msgs...)
}

// serveDeadLetters: GET /dev/queues lists the messages dropped after every retry.
func (s *sqsServer) serveDeadLetters(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"sent": s.sent, "deadLetters": append([]QueueMessage{}, s.dead...)})
}

// listenSQS starts the local SQS; its queues are bound to their consumers once the functions
// exist (bind).
func (s *Stack) listenSQS(log *slog.Logger) error {
	ln, err := netListen()
	if err != nil {
		return fmt.Errorf("stack: listen: %w", err)
	}
	s.sqs = &sqsServer{log: log.With("component", "sqs"), queues: map[string]*localQueue{}, endpoint: "http://" + ln.Addr().String(), faults: s.faults}
	s.serve(ln, s.sqs)
	return nil
}

// env gives a function the local URL of each queue its environment names with !Ref.
func (s *sqsServer) env(tpl *template.Template, logicalID string) map[string]string {
	out := map[string]string{}
	for k, q := range queueRefs(tpl, logicalID, sqsQueues(tpl, nil)) {
		out[k] = s.endpoint + "/000000000000/" + q
	}
	return out
}

// bind reads the template's queues and the functions that consume them.
func (s *sqsServer) bind(tpl *template.Template, functions map[string]*function) {
	s.queues = sqsQueues(tpl, functions)
}

func netListen() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
