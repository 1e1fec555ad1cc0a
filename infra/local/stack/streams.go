package stack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams"
	"github.com/aws/aws-sdk-go-v2/service/dynamodbstreams/types"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// StreamsAPI is the part of the DynamoDB Streams client the poller uses.
type StreamsAPI interface {
	DescribeStream(context.Context, *dynamodbstreams.DescribeStreamInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.DescribeStreamOutput, error)
	GetShardIterator(context.Context, *dynamodbstreams.GetShardIteratorInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetShardIteratorOutput, error)
	GetRecords(context.Context, *dynamodbstreams.GetRecordsInput, ...func(*dynamodbstreams.Options)) (*dynamodbstreams.GetRecordsOutput, error)
}

// DeadLetter is what the event source's OnFailure destination gets for stream records that
// their function failed on after every retry, or that expired from the stream before they
// were delivered: as in AWS, only where they were (the shard and the range of sequence
// numbers, DDBStreamBatchInfo), never the records' data. Locally it is kept and logged.
type DeadLetter struct {
	At       time.Time `json:"at"`
	Function string    `json:"function"`
	Event    string    `json:"event"`
	Reason   string    `json:"reason"`
	// Condition is AWS's: RetryAttemptsExhausted or RecordAgeExceeded.
	Condition  string             `json:"condition"`
	Attempts   int                `json:"attempts"`
	StreamInfo DDBStreamBatchInfo `json:"DDBStreamBatchInfo"`
}

// DDBStreamBatchInfo names the records of a failed batch as AWS's on-failure record does.
type DDBStreamBatchInfo struct {
	ShardID                         string    `json:"shardId"`
	StartSequenceNumber             string    `json:"startSequenceNumber"`
	EndSequenceNumber               string    `json:"endSequenceNumber"`
	ApproximateArrivalOfFirstRecord time.Time `json:"approximateArrivalOfFirstRecord"`
	ApproximateArrivalOfLastRecord  time.Time `json:"approximateArrivalOfLastRecord"`
	BatchSize                       int       `json:"batchSize"`
	StreamARN                       string    `json:"streamArn"`
}

// Conditions of a DeadLetter.
const (
	conditionRetries = "RetryAttemptsExhausted"
	conditionAge     = "RecordAgeExceeded"
)

// retention is how long a record stays in a DynamoDB stream: after it, unread or not, it is
// gone, and the event source gives up on it. Measured on the local clock, so a test can let a
// day pass.
const retention = 24 * time.Hour

// streamSource is one DynamoDB stream event of a function (an event source mapping).
type streamSource struct {
	fn      *function
	ev      template.StreamEvent
	filters filters
}

func (s *streamSource) key() string { return s.fn.name + "/" + s.ev.Name }

func (s *streamSource) batchSize() int {
	if s.ev.BatchSize <= 0 {
		return 100 // Lambda's default for DynamoDB streams
	}
	return min(s.ev.BatchSize, 10000)
}

// maxRetries is the template's MaximumRetryAttempts; "until the record expires" (-1) is
// capped locally so a poison record cannot stall a shard for a day.
func (s *streamSource) maxRetries() int {
	if s.ev.MaximumRetryAttempts < 0 {
		return 100
	}
	return s.ev.MaximumRetryAttempts
}

type shardPos struct {
	id       string
	parent   string
	iterator *string
	closed   bool // read to its end

	buffer        []events.DynamoDBEventRecord // records that passed the filters, not yet delivered
	bufferedSince time.Time
	lastRead      string // sequence number of the last record read
}

// poller reads the table's stream as Lambda's event source mappings do: every shard in order,
// parents before children, records filtered by each source's patterns, batched, delivered to
// the function, retried from the first failed record, and dead-lettered after the last retry.
type poller struct {
	client     StreamsAPI
	streamARN  string
	region     string
	sources    []*streamSource
	interval   time.Duration
	retryBase  time.Duration
	checkpoint string // file that keeps each source's last sequence number per shard; "" for none
	fresh      bool   // the table was created by this run: start every shard at TRIM_HORIZON
	log        *slog.Logger
	now        func() time.Time
	faults     *faults

	// born is each record's time of writing on the local clock, by sequence number, for the
	// records read and not yet delivered.
	born map[string]time.Time

	initial map[string]bool                 // shards of the first DescribeStream
	pos     map[string]map[string]*shardPos // source key -> shard id -> position
	saved   map[string]string               // source key + "|" + shard id -> last sequence number

	busy bool // the current poll cycle read or delivered records, or failed

	mu          sync.Mutex
	deadLetters []DeadLetter
	waiters     []*settleWaiter
}

// settleWaiter is a caller of settle. It is done when, in cycles that began after since, the
// stream's shards were described anew and two cycles in a row read nothing, delivered nothing
// and held no record back; a busy cycle starts the count again.
type settleWaiter struct {
	since     time.Time
	described bool
	quiet     int
	done      chan struct{}
}

func (p *poller) run(ctx context.Context) {
	p.pos = map[string]map[string]*shardPos{}
	for _, s := range p.sources {
		p.pos[s.key()] = map[string]*shardPos{}
	}
	p.saved = p.loadCheckpoint()
	var lastDescribe time.Time
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		start, described := time.Now(), false
		p.busy = false
		if time.Since(lastDescribe) > 2*time.Second || p.waitingForDescribe() {
			if err := p.describe(ctx); err != nil && ctx.Err() == nil {
				p.log.Warn("stream: describe failed", "err", err)
				p.busy = true
			} else {
				lastDescribe, described = time.Now(), err == nil
			}
		}
		for _, s := range p.sources {
			p.pollSource(ctx, s)
		}
		p.endCycle(start, described)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// describe learns the stream's shards.
func (p *poller) describe(ctx context.Context) error {
	var shards []types.Shard
	var start *string
	for {
		out, err := p.client.DescribeStream(ctx, &dynamodbstreams.DescribeStreamInput{StreamArn: &p.streamARN, ExclusiveStartShardId: start})
		if err != nil {
			return err
		}
		if out.StreamDescription == nil {
			break
		}
		shards = append(shards, out.StreamDescription.Shards...)
		start = out.StreamDescription.LastEvaluatedShardId
		if start == nil {
			break
		}
	}
	first := p.initial == nil
	if first {
		p.initial = map[string]bool{}
	}
	for _, sh := range shards {
		id := aws.ToString(sh.ShardId)
		if first {
			p.initial[id] = true
		}
		for _, s := range p.sources {
			if _, ok := p.pos[s.key()][id]; !ok {
				p.pos[s.key()][id] = &shardPos{id: id, parent: aws.ToString(sh.ParentShardId)}
			}
		}
	}
	return nil
}

// pollSource reads every ready shard once for one source.
func (p *poller) pollSource(ctx context.Context, s *streamSource) {
	shards := p.pos[s.key()]
	ids := make([]string, 0, len(shards))
	for id := range shards {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		sp := shards[id]
		if sp.closed && len(sp.buffer) == 0 {
			continue
		}
		if parent, ok := shards[sp.parent]; ok && (!parent.closed || len(parent.buffer) > 0) {
			continue // parents first, so records stay in order
		}
		if err := p.pollShard(ctx, s, sp); err != nil && ctx.Err() == nil {
			p.log.Warn("stream: read failed", "shard", sp.id, "err", err)
			sp.iterator = nil // get a new one next time, from the checkpoint
			p.busy = true
		}
		if ctx.Err() != nil {
			return
		}
	}
}

func (p *poller) iterator(ctx context.Context, s *streamSource, sp *shardPos) (*string, error) {
	in := &dynamodbstreams.GetShardIteratorInput{StreamArn: &p.streamARN, ShardId: &sp.id}
	if seq := p.saved[s.key()+"|"+sp.id]; seq != "" {
		in.ShardIteratorType = types.ShardIteratorTypeAfterSequenceNumber
		in.SequenceNumber = &seq
	} else if p.fresh || !p.initial[sp.id] {
		// A new table, or a shard that opened while the stack ran.
		in.ShardIteratorType = types.ShardIteratorTypeTrimHorizon
	} else {
		// A table kept from an earlier run without a checkpoint: do not replay old records.
		in.ShardIteratorType = types.ShardIteratorTypeLatest
	}
	out, err := p.client.GetShardIterator(ctx, in)
	if err != nil {
		var trimmed *types.TrimmedDataAccessException
		if errors.As(err, &trimmed) {
			in.ShardIteratorType, in.SequenceNumber = types.ShardIteratorTypeTrimHorizon, nil
			out, err = p.client.GetShardIterator(ctx, in)
		}
		if err != nil {
			return nil, err
		}
	}
	return out.ShardIterator, nil
}

func (p *poller) pollShard(ctx context.Context, s *streamSource, sp *shardPos) error {
	if sp.iterator == nil && !sp.closed {
		it, err := p.iterator(ctx, s, sp)
		if err != nil {
			return err
		}
		if it == nil {
			sp.closed = true
		}
		sp.iterator = it
	}
	for range 10 { // drain what is there, a bounded number of pages per tick
		if sp.iterator == nil {
			break
		}
		out, err := p.client.GetRecords(ctx, &dynamodbstreams.GetRecordsInput{ShardIterator: sp.iterator, Limit: aws.Int32(1000)})
		if err != nil {
			var expired *types.ExpiredIteratorException
			if errors.As(err, &expired) {
				sp.iterator = nil
				return nil
			}
			return err
		}
		sp.iterator = out.NextShardIterator
		if sp.iterator == nil {
			sp.closed = true
		}
		if len(out.Records) > 0 {
			p.busy = true
		}
		for _, r := range out.Records {
			p.take(s, sp, r)
		}
		// Full batches go at once.
		for len(sp.buffer) >= s.batchSize() && ctx.Err() == nil {
			p.deliver(ctx, s, sp.id, sp.buffer[:s.batchSize()])
			sp.buffer = sp.buffer[s.batchSize():]
			if len(sp.buffer) > 0 {
				sp.bufferedSince = time.Now()
			}
		}
		p.advance(s, sp)
		if len(out.Records) == 0 {
			break
		}
	}
	// What is left goes when the batching window has passed (or the shard has ended).
	window := time.Duration(s.ev.MaximumBatchingWindowInSeconds) * time.Second
	if len(sp.buffer) > 0 && (sp.closed || time.Since(sp.bufferedSince) >= window) && ctx.Err() == nil {
		p.deliver(ctx, s, sp.id, sp.buffer)
		sp.buffer = nil
		p.advance(s, sp)
	}
	return nil
}

// take converts a record and keeps it for the next batch when the source's filters let it
// through.
func (p *poller) take(s *streamSource, sp *shardPos, r types.Record) {
	if r.Dynamodb != nil {
		sp.lastRead = aws.ToString(r.Dynamodb.SequenceNumber)
		if at := r.Dynamodb.ApproximateCreationDateTime; at != nil && time.Since(*at) > retention {
			return // trimmed from the stream already
		}
	}
	ev, err := toEventRecord(r, p.streamARN, p.region)
	if err != nil {
		p.log.Warn("stream: record not converted", "eventID", aws.ToString(r.EventID), "err", err)
		return
	}
	var generic any
	b, _ := json.Marshal(ev)
	_ = json.Unmarshal(b, &generic)
	if !s.filters.pass(generic) {
		return
	}
	if len(sp.buffer) == 0 {
		sp.bufferedSince = time.Now()
	}
	if p.born == nil {
		p.born = map[string]time.Time{}
	}
	// Written this long ago in real time: as long ago on the local clock.
	p.born[ev.Change.SequenceNumber] = p.now().Add(-time.Since(ev.Change.ApproximateCreationDateTime.Time))
	sp.buffer = append(sp.buffer, ev)
}

// advance checkpoints the shard after the last record read, once nothing read waits in the
// buffer (a restart then re-reads the records that wait, and filters them again).
func (p *poller) advance(s *streamSource, sp *shardPos) {
	if len(sp.buffer) > 0 || sp.lastRead == "" {
		return
	}
	k := s.key() + "|" + sp.id
	if p.saved[k] != sp.lastRead {
		p.saved[k] = sp.lastRead
		p.saveCheckpoint()
	}
}

// deliver invokes the function with a batch until it succeeds, retrying from the first
// failed record (ReportBatchItemFailures) or the whole batch (a function error: a crash, a
// timeout), split in two before the retry when the source says BisectBatchOnFunctionError,
// up to the source's MaximumRetryAttempts; what still fails then, or what expires from the
// stream on the way, goes to the dead letters (its metadata only).
func (p *poller) deliver(ctx context.Context, s *streamSource, shard string, recs []events.DynamoDBEventRecord) {
	p.busy = true
	p.deliverFrom(ctx, s, shard, recs, 0)
	for _, r := range recs {
		delete(p.born, r.Change.SequenceNumber)
	}
}

func (p *poller) deliverFrom(ctx context.Context, s *streamSource, shard string, recs []events.DynamoDBEventRecord, attempts int) {
	for len(recs) > 0 && ctx.Err() == nil {
		if recs = p.dropExpired(s, shard, recs, attempts); len(recs) == 0 {
			return
		}
		payload, _ := json.Marshal(events.DynamoDBEvent{Records: recs})
		out, err := p.invoke(ctx, s, recs, payload)
		failedFrom, reason := -1, ""
		if err != nil {
			failedFrom, reason = 0, err.Error()
		} else if s.ev.ReportBatchItemFailures {
			failedFrom, reason = firstFailure(out, recs)
		}
		if ctx.Err() != nil {
			return
		}
		if failedFrom < 0 {
			if p.faults.strike("stream-duplicate", func(f FaultSpec) float64 { return f.StreamDuplicate }) {
				// Delivered at least once: this batch goes again, and its answer is not read.
				_, _ = s.fn.invoke(ctx, payload)
			}
			return
		}
		recs = recs[failedFrom:]
		attempts++
		if attempts > s.maxRetries() {
			p.deadLetter(s, shard, recs, reason, conditionRetries, attempts)
			return
		}
		p.log.Info("stream: retrying batch", "function", s.fn.folder, "records", len(recs), "attempt", attempts)
		d := p.retryBase << min(attempts-1, 5)
		select {
		case <-ctx.Done():
			return
		case <-time.After(min(d, 5*time.Second)):
		}
		if err != nil && s.ev.BisectBatchOnFunctionError && len(recs) > 1 {
			half := len(recs) / 2
			p.log.Info("stream: batch split in two after a function error", "function", s.fn.folder, "records", len(recs))
			p.deliverFrom(ctx, s, shard, recs[:half], attempts)
			p.deliverFrom(ctx, s, shard, recs[half:], attempts)
			return
		}
	}
}

// invoke gives the batch to the function, or, when a crash fault strikes, gives it only the
// first records and fails as a function that died in the middle of the batch does.
func (p *poller) invoke(ctx context.Context, s *streamSource, recs []events.DynamoDBEventRecord, payload []byte) ([]byte, error) {
	k, crash := p.faults.crashAfter("stream-crash", len(recs), func(f FaultSpec) float64 { return f.StreamCrash })
	if !crash {
		return s.fn.invoke(ctx, payload)
	}
	if k > 0 {
		part, _ := json.Marshal(events.DynamoDBEvent{Records: recs[:k]})
		_, _ = s.fn.invoke(ctx, part)
	}
	return nil, &FunctionError{Type: "Runtime.ExitError", Message: "the function died in the middle of the batch (injected fault)"}
}

// dropExpired dead-letters the records at the front of the batch that have been in the
// stream longer than its retention (by the local clock), and returns the rest.
func (p *poller) dropExpired(s *streamSource, shard string, recs []events.DynamoDBEventRecord, attempts int) []events.DynamoDBEventRecord {
	now, n := p.now(), 0
	for n < len(recs) {
		born, ok := p.born[recs[n].Change.SequenceNumber]
		if !ok || now.Sub(born) <= retention {
			break
		}
		n++
	}
	if n > 0 {
		p.deadLetter(s, shard, recs[:n], "the records expired from the stream", conditionAge, attempts)
	}
	return recs[n:]
}

// settle waits until the poller has read the stream to its end and delivered what it read
// (see settleWaiter), or until ctx ends.
func (p *poller) settle(ctx context.Context) error {
	w := &settleWaiter{since: time.Now(), done: make(chan struct{})}
	p.mu.Lock()
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		p.mu.Lock()
		p.waiters = slices.DeleteFunc(p.waiters, func(x *settleWaiter) bool { return x == w })
		p.mu.Unlock()
		return ctx.Err()
	}
}

// waitingForDescribe reports whether a caller of settle waits for the shards to be described.
func (p *poller) waitingForDescribe() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, w := range p.waiters {
		if !w.described {
			return true
		}
	}
	return false
}

// endCycle counts a finished poll cycle, begun at start, for the callers of settle.
func (p *poller) endCycle(start time.Time, described bool) {
	quiet := !p.busy
	for _, shards := range p.pos {
		for _, sp := range shards {
			if len(sp.buffer) > 0 {
				quiet = false
			}
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.waiters = slices.DeleteFunc(p.waiters, func(w *settleWaiter) bool {
		switch {
		case start.Before(w.since):
			return false
		case !quiet:
			w.described, w.quiet = false, 0
			return false
		}
		w.described = w.described || described
		if w.described {
			w.quiet++
		}
		if w.described && w.quiet >= 2 {
			close(w.done)
			return true
		}
		return false
	})
}

// firstFailure reads a DynamoDBEventResponse: the index of the first failed record, or -1
// when every record succeeded. An identifier that names no record of the batch fails the
// whole batch, as in Lambda.
func firstFailure(out []byte, recs []events.DynamoDBEventRecord) (int, string) {
	var resp events.DynamoDBEventResponse
	if len(out) == 0 || string(out) == "null" {
		return -1, ""
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		return -1, "" // not a batch response: Lambda takes it as success
	}
	first := -1
	for _, f := range resp.BatchItemFailures {
		idx := -1
		for i, r := range recs {
			if r.Change.SequenceNumber == f.ItemIdentifier {
				idx = i
				break
			}
		}
		if idx < 0 {
			return 0, "batch item failure names no record of the batch: " + f.ItemIdentifier
		}
		if first < 0 || idx < first {
			first = idx
		}
	}
	if first < 0 {
		return -1, ""
	}
	return first, "function reported batch item failures"
}

func (p *poller) deadLetter(s *streamSource, shard string, recs []events.DynamoDBEventRecord, reason, condition string, attempts int) {
	first, last := recs[0].Change, recs[len(recs)-1].Change
	dl := DeadLetter{
		At: p.now().UTC(), Function: s.fn.folder, Event: s.ev.Name, Reason: reason, Condition: condition, Attempts: attempts,
		StreamInfo: DDBStreamBatchInfo{
			ShardID: shard, StartSequenceNumber: first.SequenceNumber, EndSequenceNumber: last.SequenceNumber,
			ApproximateArrivalOfFirstRecord: first.ApproximateCreationDateTime.UTC(),
			ApproximateArrivalOfLastRecord:  last.ApproximateCreationDateTime.UTC(),
			BatchSize:                       len(recs), StreamARN: p.streamARN,
		},
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.deadLetters = append(p.deadLetters, dl)
	p.log.Error("stream: records sent to the on-failure destination", "function", s.fn.folder, "event", s.ev.Name,
		"condition", condition, "shard", shard, "from", dl.StreamInfo.StartSequenceNumber, "to", dl.StreamInfo.EndSequenceNumber,
		"records", len(recs), "attempts", attempts)
}

func (p *poller) listDeadLetters() []DeadLetter {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]DeadLetter{}, p.deadLetters...)
}

func (p *poller) loadCheckpoint() map[string]string {
	m := map[string]string{}
	if p.checkpoint == "" {
		return m
	}
	b, err := os.ReadFile(p.checkpoint)
	if err != nil {
		return m
	}
	var saved struct {
		StreamARN string            `json:"streamArn"`
		Positions map[string]string `json:"positions"`
	}
	if json.Unmarshal(b, &saved) != nil || saved.StreamARN != p.streamARN {
		return m // another stream (the table was made anew): start afresh
	}
	for k, v := range saved.Positions {
		m[k] = v
	}
	return m
}

func (p *poller) saveCheckpoint() {
	if p.checkpoint == "" {
		return
	}
	b, _ := json.Marshal(map[string]any{"streamArn": p.streamARN, "positions": p.saved})
	tmp := p.checkpoint + ".tmp"
	if err := os.MkdirAll(filepath.Dir(p.checkpoint), 0o755); err != nil {
		return
	}
	if err := os.WriteFile(tmp, b, 0o644); err == nil {
		_ = os.Rename(tmp, p.checkpoint)
	}
}

// toEventRecord turns a record of the DynamoDB Streams API into the record Lambda delivers.
func toEventRecord(r types.Record, streamARN, region string) (events.DynamoDBEventRecord, error) {
	ev := events.DynamoDBEventRecord{
		AWSRegion:      aws.ToString(r.AwsRegion),
		EventID:        aws.ToString(r.EventID),
		EventName:      string(r.EventName),
		EventSource:    "aws:dynamodb",
		EventVersion:   aws.ToString(r.EventVersion),
		EventSourceArn: streamARN,
	}
	if ev.AWSRegion == "" || ev.AWSRegion == "ddblocal" {
		ev.AWSRegion = region
	}
	if ev.EventVersion == "" {
		ev.EventVersion = "1.1"
	}
	if r.UserIdentity != nil {
		ev.UserIdentity = &events.DynamoDBUserIdentity{Type: aws.ToString(r.UserIdentity.Type), PrincipalID: aws.ToString(r.UserIdentity.PrincipalId)}
	}
	d := r.Dynamodb
	if d == nil {
		return ev, errors.New("record without a dynamodb part")
	}
	ev.Change.SequenceNumber = aws.ToString(d.SequenceNumber)
	ev.Change.SizeBytes = aws.ToInt64(d.SizeBytes)
	ev.Change.StreamViewType = string(d.StreamViewType)
	if d.ApproximateCreationDateTime != nil {
		ev.Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: d.ApproximateCreationDateTime.Truncate(time.Second)}
	}
	var err error
	if ev.Change.Keys, err = toEventImage(d.Keys); err != nil {
		return ev, err
	}
	if ev.Change.NewImage, err = toEventImage(d.NewImage); err != nil {
		return ev, err
	}
	if ev.Change.OldImage, err = toEventImage(d.OldImage); err != nil {
		return ev, err
	}
	return ev, nil
}

// toEventImage converts SDK attribute values through their wire form (DynamoDB JSON), which
// events.DynamoDBAttributeValue reads.
func toEventImage(m map[string]types.AttributeValue) (map[string]events.DynamoDBAttributeValue, error) {
	if m == nil {
		return nil, nil
	}
	wire := make(map[string]any, len(m))
	for k, v := range m {
		w, err := wireValue(v)
		if err != nil {
			return nil, fmt.Errorf("attribute %s: %w", k, err)
		}
		wire[k] = w
	}
	b, err := json.Marshal(wire)
	if err != nil {
		return nil, err
	}
	var out map[string]events.DynamoDBAttributeValue
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

func wireValue(v types.AttributeValue) (map[string]any, error) {
	switch x := v.(type) {
	case *types.AttributeValueMemberS:
		return map[string]any{"S": x.Value}, nil
	case *types.AttributeValueMemberN:
		return map[string]any{"N": x.Value}, nil
	case *types.AttributeValueMemberB:
		return map[string]any{"B": base64.StdEncoding.EncodeToString(x.Value)}, nil
	case *types.AttributeValueMemberBOOL:
		return map[string]any{"BOOL": x.Value}, nil
	case *types.AttributeValueMemberNULL:
		return map[string]any{"NULL": x.Value}, nil
	case *types.AttributeValueMemberSS:
		return map[string]any{"SS": x.Value}, nil
	case *types.AttributeValueMemberNS:
		return map[string]any{"NS": x.Value}, nil
	case *types.AttributeValueMemberBS:
		bs := make([]string, len(x.Value))
		for i, b := range x.Value {
			bs[i] = base64.StdEncoding.EncodeToString(b)
		}
		return map[string]any{"BS": bs}, nil
	case *types.AttributeValueMemberL:
		l := make([]any, len(x.Value))
		for i, e := range x.Value {
			w, err := wireValue(e)
			if err != nil {
				return nil, err
			}
			l[i] = w
		}
		return map[string]any{"L": l}, nil
	case *types.AttributeValueMemberM:
		m := make(map[string]any, len(x.Value))
		for k, e := range x.Value {
			w, err := wireValue(e)
			if err != nil {
				return nil, err
			}
			m[k] = w
		}
		return map[string]any{"M": m}, nil
	default:
		return nil, fmt.Errorf("unknown attribute value %T", v)
	}
}
