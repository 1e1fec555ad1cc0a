package stack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultsEnv names the environment variable that switches faults on for a run of the stack
// (make run, or a test), in the form of FaultSpec's String: "dynamodb=0.3,conflict=0.1,sns-down=10m".
const FaultsEnv = "KEEPSAFE_FAULTS"

// FaultSpec says which of the faults AWS really has the local stack plays, and how often.
// Shares are between 0 and 1. Faults act on the functions' own traffic, through their real
// SDK clients; the stack's own reads (seeding, tests' checks, the stream poller) see none.
type FaultSpec struct {
	// DynamoDB is the share of the functions' DynamoDB calls refused before they reach the
	// table: a sixth each ProvisionedThroughputExceededException (400) and ThrottlingException
	// (400), the rest InternalServerError (500). Nothing is written by a refused call; the SDK
	// retries (after a throttle from a base of 1 s, after a 500 from 50 ms).
	DynamoDB float64 `json:"dynamodb,omitempty"`
	// DynamoDBAfter is the share of the functions' DynamoDB writes (PutItem, UpdateItem,
	// DeleteItem, TransactWriteItems, BatchWriteItem) that reach the table and are done there,
	// whose answer is then lost: the SDK gets an InternalServerError (500) and retries a call
	// that has already taken effect, as it can with DynamoDB.
	DynamoDBAfter float64 `json:"dynamodbAfter,omitempty"`
	// Conflict is the share of TransactWriteItems calls cancelled, before they reach the table,
	// with TransactionCanceledException whose reasons hold a TransactionConflict.
	Conflict float64 `json:"conflict,omitempty"`
	// SNSDown is how long, in local-clock time from when the faults are set, SNS answers
	// every call with a 503 ServiceUnavailable.
	SNSDown Duration `json:"snsDown,omitempty"`
	// SNSFail is the share of SNS calls answered with a 503 ServiceUnavailable (the SDK retries).
	SNSFail float64 `json:"snsFail,omitempty"`
	// StreamCrash is the share of stream batches whose function dies in the middle: the first
	// records of the batch (none to all but one, at random) are handled and then the invocation
	// fails with no response, as when the process is killed or times out.
	StreamCrash float64 `json:"streamCrash,omitempty"`
	// QueueCrash is the same for SQS batches.
	QueueCrash float64 `json:"queueCrash,omitempty"`
	// StreamDuplicate is the share of stream batches delivered a second time after they
	// succeeded (Lambda's event source mappings deliver at least once).
	StreamDuplicate float64 `json:"streamDuplicate,omitempty"`
	// AlertsDieAfterPublish is the share of the alerts function's sentAt marks at which its
	// process dies: SNS has taken the alert, the function's UpdateItem that marks the outbox
	// item sent arrives, and the process is killed there, the mark not written, so its
	// invocation fails with no response and the batch is retried whole. The alert is then
	// published again by whoever takes it next once its lease lapses: the one window in which
	// the product publishes an alert twice, played on purpose. Which alerts it struck is kept
	// (FaultState.DiedAfterPublish).
	AlertsDieAfterPublish float64 `json:"alertsDieAfterPublish,omitempty"`
	// Seed makes the random draws repeatable (0: a random seed).
	Seed uint64 `json:"seed,omitempty"`
}

// Duration is a time.Duration written as Go writes one ("10m", "90s").
type Duration time.Duration

// MarshalJSON writes the duration as a string.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads a duration string.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("a duration is a string such as \"10m\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration such as \"10m\"", s)
	}
	*d = Duration(v)
	return nil
}

// ParseFaults reads the form of KEEPSAFE_FAULTS: comma-separated name=value, the names
// dynamodb, dynamodb-after, conflict, sns-fail, stream-crash, queue-crash, stream-duplicate,
// alerts-die-after-publish (shares from 0 to 1),
// sns-down (a duration) and seed.
func ParseFaults(spec string) (FaultSpec, error) {
	var f FaultSpec
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		if !ok {
			return f, fmt.Errorf("faults: %q is not name=value", part)
		}
		share := func(p *float64) error {
			v, err := strconv.ParseFloat(value, 64)
			if err != nil || v < 0 || v > 1 {
				return fmt.Errorf("faults: %s must be a share from 0 to 1, not %q", name, value)
			}
			*p = v
			return nil
		}
		var err error
		switch name {
		case "dynamodb":
			err = share(&f.DynamoDB)
		case "dynamodb-after":
			err = share(&f.DynamoDBAfter)
		case "conflict":
			err = share(&f.Conflict)
		case "stream-crash":
			err = share(&f.StreamCrash)
		case "queue-crash":
			err = share(&f.QueueCrash)
		case "stream-duplicate":
			err = share(&f.StreamDuplicate)
		case "sns-fail":
			err = share(&f.SNSFail)
		case "alerts-die-after-publish":
			err = share(&f.AlertsDieAfterPublish)
		case "sns-down":
			var d time.Duration
			if d, err = time.ParseDuration(value); err == nil && d < 0 {
				err = fmt.Errorf("faults: sns-down must not be negative")
			}
			f.SNSDown = Duration(d)
		case "seed":
			f.Seed, err = strconv.ParseUint(value, 10, 64)
		default:
			err = fmt.Errorf("faults: unknown fault %q", name)
		}
		if err != nil {
			return f, err
		}
	}
	return f, f.validate()
}

func (f FaultSpec) validate() error {
	for name, v := range map[string]float64{"dynamodb": f.DynamoDB, "dynamodbAfter": f.DynamoDBAfter, "conflict": f.Conflict, "streamCrash": f.StreamCrash,
		"queueCrash": f.QueueCrash, "streamDuplicate": f.StreamDuplicate, "snsFail": f.SNSFail,
		"alertsDieAfterPublish": f.AlertsDieAfterPublish} {
		if v < 0 || v > 1 {
			return fmt.Errorf("faults: %s must be a share from 0 to 1", name)
		}
	}
	if f.SNSDown < 0 {
		return fmt.Errorf("faults: snsDown must not be negative")
	}
	return nil
}

// faults is the stack's current FaultSpec, with what it has done so far.
type faults struct {
	now func() time.Time
	log *slog.Logger

	mu           sync.Mutex
	spec         FaultSpec
	snsDownUntil time.Time
	rnd          *rand.Rand
	counts       map[string]int
	// died are the outbox items whose sentAt mark a death after the publish struck.
	died []string
}

// FaultState is what GET /dev/faults shows: the faults set, until when SNS is down, and how
// many times each fault has struck since they were set.
type FaultState struct {
	FaultSpec
	SNSDownUntil *time.Time     `json:"snsDownUntil,omitempty"`
	Injected     map[string]int `json:"injected"`
	// DiedAfterPublish are the ids of the outbox items whose sender died between SNS's answer
	// and the sentAt mark (alertsDieAfterPublish), in order, as often as it struck each.
	DiedAfterPublish []string `json:"diedAfterPublish,omitempty"`
}

func newFaults(now func() time.Time, log *slog.Logger) *faults {
	return &faults{now: now, log: log, rnd: rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())), counts: map[string]int{}}
}

// set replaces the faults; SNS's outage starts now.
func (f *faults) set(spec FaultSpec) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.spec = spec
	f.snsDownUntil = time.Time{}
	if spec.SNSDown > 0 {
		f.snsDownUntil = f.now().Add(time.Duration(spec.SNSDown))
	}
	seed := spec.Seed
	if seed == 0 {
		seed = rand.Uint64()
	}
	f.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	f.counts = map[string]int{}
	f.died = nil
	f.log.Info("faults set", "faults", fmt.Sprintf("%+v", spec))
}

func (f *faults) state() FaultState {
	f.mu.Lock()
	defer f.mu.Unlock()
	st := FaultState{FaultSpec: f.spec, Injected: map[string]int{}}
	if !f.snsDownUntil.IsZero() {
		t := f.snsDownUntil
		st.SNSDownUntil = &t
	}
	for k, v := range f.counts {
		st.Injected[k] = v
	}
	st.DiedAfterPublish = append([]string(nil), f.died...)
	return st
}

// strike draws whether a fault of the given share strikes now, and counts it when it does.
func (f *faults) strike(name string, share func(FaultSpec) float64) bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	p := share(f.spec)
	if p <= 0 || f.rnd.Float64() >= p {
		return false
	}
	f.counts[name]++
	return true
}

// share reads a share of the current faults.
func (f *faults) share(of func(FaultSpec) float64) float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return of(f.spec)
}

// intN draws a number in [0, n).
func (f *faults) intN(n int) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rnd.IntN(n)
}

// snsDown reports whether SNS refuses this call: down at the local clock's now, or one of the
// share that fails; it counts the refusal.
func (f *faults) snsDown() bool {
	if f.strike("sns-fail", func(s FaultSpec) float64 { return s.SNSFail }) {
		return true
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.snsDownUntil.IsZero() || !f.now().Before(f.snsDownUntil) {
		return false
	}
	f.counts["sns-down"]++
	return true
}

// serveHTTP handles /dev/faults: GET shows them, POST sets them (a FaultSpec as JSON, which
// replaces the faults set before), DELETE clears them. Each answers with the state.
func (f *faults) serveHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet:
	case http.MethodPost:
		var spec FaultSpec
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&spec); err != nil {
			writeProblem(w, http.StatusBadRequest, "Invalid request", "body must be the faults as JSON: "+err.Error())
			return
		}
		if err := spec.validate(); err != nil {
			writeProblem(w, http.StatusBadRequest, "Invalid request", err.Error())
			return
		}
		f.set(spec)
	case http.MethodDelete:
		f.set(FaultSpec{})
	default:
		w.Header().Set("Allow", "GET, POST, DELETE")
		writeProblem(w, http.StatusMethodNotAllowed, "Method not allowed", "GET, POST or DELETE")
		return
	}
	writeJSON(w, http.StatusOK, f.state())
}

// dynamoProxy stands between the functions and DynamoDB Local and refuses a share of their
// calls as DynamoDB does when it throttles, fails or cancels a transaction on a conflict, or
// does a write and loses its answer.
type dynamoProxy struct {
	faults *faults
	procs  *processes
	next   *httputil.ReverseProxy
}

func newDynamoProxy(endpoint string, f *faults, procs *processes) (*dynamoProxy, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	return &dynamoProxy{faults: f, procs: procs, next: httputil.NewSingleHostReverseProxy(u)}, nil
}

func (p *dynamoProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := r.Header.Get("X-Amz-Target")
	op = op[strings.LastIndex(op, ".")+1:]
	var caller *process
	if rest, ok := strings.CutPrefix(r.URL.Path, processPath); ok {
		// A function's process: DynamoDB Local answers at its root.
		id, _, _ := strings.Cut(rest, "/")
		caller = p.procs.get(id)
		r.URL.Path, r.URL.RawPath = "/", ""
	}
	if caller != nil && op == "UpdateItem" && p.dieAfterPublish(w, r, caller) {
		return
	}
	if p.faults.strike("dynamodb", func(s FaultSpec) float64 { return s.DynamoDB }) {
		switch p.faults.intN(6) {
		case 0:
			dynamoError(w, http.StatusBadRequest, "ProvisionedThroughputExceededException",
				"The level of configured provisioned throughput for the table was exceeded.", nil)
		case 1:
			dynamoError(w, http.StatusBadRequest, "ThrottlingException", "Rate of requests exceeds the allowed throughput.", nil)
		default:
			dynamoError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error", nil)
		}
		return
	}
	if op == "TransactWriteItems" && p.faults.strike("conflict", func(s FaultSpec) float64 { return s.Conflict }) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		if err != nil {
			dynamoError(w, http.StatusBadRequest, "SerializationException", "unreadable body", nil)
			return
		}
		var in struct{ TransactItems []json.RawMessage }
		_ = json.Unmarshal(body, &in)
		reasons := make([]map[string]string, max(len(in.TransactItems), 1))
		codes := make([]string, len(reasons))
		conflict := p.faults.intN(len(reasons))
		for i := range reasons {
			reasons[i], codes[i] = map[string]string{"Code": "None"}, "None"
			if i == conflict {
				reasons[i] = map[string]string{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}
				codes[i] = "TransactionConflict"
			}
		}
		dynamoError(w, http.StatusBadRequest, "TransactionCanceledException",
			"Transaction cancelled, please refer cancellation reasons for specific reasons ["+strings.Join(codes, ", ")+"]",
			map[string]any{"CancellationReasons": reasons})
		return
	}
	if writes[op] && p.faults.strike("dynamodb-after", func(s FaultSpec) float64 { return s.DynamoDBAfter }) {
		// The write is done; its answer never reaches the caller, which gets a 500 instead.
		p.faults.mu.Lock()
		p.faults.counts["dynamodb-after "+op]++
		p.faults.mu.Unlock()
		done := &discarded{header: http.Header{}}
		p.next.ServeHTTP(done, r)
		dynamoError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error", nil)
		return
	}
	fullDuplex(w)
	p.next.ServeHTTP(w, r)
}

// dieAfterPublish kills a function's process (the alerts function's: no other marks an alert
// sent) when its call is the UpdateItem that marks an outbox item sent and the fault strikes:
// the mark is not written. It reports
// whether it struck. The body is read and put back for the call to go on when it does not.
func (p *dynamoProxy) dieAfterPublish(w http.ResponseWriter, r *http.Request, caller *process) bool {
	if p.faults.share(func(s FaultSpec) float64 { return s.AlertsDieAfterPublish }) == 0 {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var in struct {
		UpdateExpression string
		Key              map[string]map[string]string
	}
	if json.Unmarshal(body, &in) != nil || !strings.HasPrefix(in.UpdateExpression, "SET sentAt = ") {
		return false
	}
	id, ok := strings.CutPrefix(in.Key["PK"]["S"], "OUTBOX#")
	if !ok || !p.faults.strike("alerts-die-after-publish", func(s FaultSpec) float64 { return s.AlertsDieAfterPublish }) {
		return false
	}
	p.faults.mu.Lock()
	p.faults.died = append(p.faults.died, id)
	p.faults.mu.Unlock()
	caller.kill()
	dynamoError(w, http.StatusInternalServerError, "InternalServerError", "Internal server error", nil)
	return true
}

// writes are the DynamoDB operations that change the table.
var writes = map[string]bool{"PutItem": true, "UpdateItem": true, "DeleteItem": true, "TransactWriteItems": true, "BatchWriteItem": true}

// discarded is a response nobody reads: the answer DynamoDB gave to a write whose answer is lost.
type discarded struct{ header http.Header }

func (d *discarded) Header() http.Header         { return d.header }
func (d *discarded) Write(b []byte) (int, error) { return len(b), nil }
func (d *discarded) WriteHeader(int)             {}

func dynamoError(w http.ResponseWriter, status int, code, msg string, extra map[string]any) {
	body := map[string]any{"__type": "com.amazonaws.dynamodb.v20120810#" + code, "message": msg}
	for k, v := range extra {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-Requestid", newID())
	w.WriteHeader(status)
	_, _ = io.Copy(w, bytes.NewReader(b))
}

// crashAfter returns how many records of a batch of n its function handles before it dies,
// and whether it dies at all, for a crash fault of the given share.
func (f *faults) crashAfter(name string, n int, share func(FaultSpec) float64) (int, bool) {
	if n == 0 || !f.strike(name, share) {
		return 0, false
	}
	return f.intN(n), true
}
