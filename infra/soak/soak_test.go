package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/infra/redrive"
	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

var (
	st       *stack.Stack
	startErr error
	once     sync.Once
	// mu keeps the tests of this package one at a time: each sets the stack's faults.
	mu sync.Mutex
)

func TestMain(m *testing.M) {
	code := m.Run()
	if st != nil {
		st.Close()
	}
	os.Exit(code)
}

// product starts the whole product once for the package, with no faults, and returns it with
// its faults cleared and its clock pinned at a school morning.
func product(t *testing.T) *stack.Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the whole product")
	}
	once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		st, startErr = stack.Start(ctx, stack.Config{
			InMemory: true, DisableScheduler: true, Faults: &stack.FaultSpec{},
			StreamPollInterval: 50 * time.Millisecond, StreamRetryDelay: 20 * time.Millisecond,
			FunctionOutput: io.Discard,
			Logger:         slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError + 4})),
		})
	})
	if startErr != nil {
		t.Fatal(startErr)
	}
	mu.Lock()
	t.Cleanup(func() {
		st.SetFaults(stack.FaultSpec{})
		mu.Unlock()
	})
	st.SetFaults(stack.FaultSpec{})
	return st
}

var (
	tokensMu sync.Mutex
	tokens   = map[string]string{}
)

func token(t *testing.T, s *stack.Stack, email string) string {
	t.Helper()
	tokensMu.Lock()
	defer tokensMu.Unlock()
	if tok, ok := tokens[email]; ok {
		return tok
	}
	status, body := call(s.URL+"/dev/token", "POST", "", map[string]string{"email": email}, "")
	if status != 200 {
		t.Fatalf("token for %s: %d %v", email, status, body)
	}
	tokens[email] = body["token"].(string)
	return tokens[email]
}

// call sends one request; status 0 is a failure to get an answer.
func call(url, method, tok string, body any, idempotencyKey string) (int, map[string]any) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, url, r)
	req.Header.Set("Content-Type", "application/json")
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if idempotencyKey != "" {
		req.Header.Set("Idempotency-Key", idempotencyKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out
}

// retried sends a write as a client should: again, with the same Idempotency-Key, while the
// answer is a server error, a conflict or no answer. It returns the last answer and how many
// tries it took.
func retried(url, tok string, body any, key string) (int, map[string]any, int) {
	for try := 1; ; try++ {
		status, out := call(url, "POST", tok, body, key)
		if (status == 0 || status >= 500 || status == 409 || status == 429) && try < 10 {
			time.Sleep(time.Duration(try) * 20 * time.Millisecond)
			continue
		}
		return status, out, try
	}
}

func pin(t *testing.T, s *stack.Stack, at time.Time) {
	t.Helper()
	s.Clock().Pin(at)
}

func settle(t *testing.T, s *stack.Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	if err := s.Settle(ctx); err != nil {
		t.Fatalf("settle: %v", err)
	}
}

// table reads every item of a type from DynamoDB Local (a Scan: a test's check, never a
// request path), with no faults.
func table(t *testing.T, s *stack.Stack, typ string) []map[string]dbtypes.AttributeValue {
	t.Helper()
	var out []map[string]dbtypes.AttributeValue
	var start map[string]dbtypes.AttributeValue
	for {
		res, err := s.DynamoDB().Scan(context.Background(), &dynamodb.ScanInput{
			TableName: aws.String(s.TableName), FilterExpression: aws.String("#t = :t"),
			ExpressionAttributeNames:  map[string]string{"#t": "type"},
			ExpressionAttributeValues: map[string]dbtypes.AttributeValue{":t": &dbtypes.AttributeValueMemberS{Value: typ}},
			ExclusiveStartKey:         start,
		})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, res.Items...)
		if start = res.LastEvaluatedKey; start == nil {
			return out
		}
	}
}

func str(item map[string]dbtypes.AttributeValue, name string) string {
	if v, ok := item[name].(*dbtypes.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// redriveNow runs the redrive against the stack, as `make redrive` does, at the local clock.
func redriveNow(t *testing.T, s *stack.Stack) redrive.Report {
	t.Helper()
	st := store.New(s.DynamoDB(), s.TableName)
	pub := alert.Publisher{SNS: sns.New(sns.Options{Region: stack.Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(s.SNSEndpoint)}), Routes: st, AppURL: s.URL}
	rep, err := redrive.Redrive{Outbox: st, Publisher: pub, Now: s.Clock().Now(), Grace: time.Minute}.Run(context.Background())
	if err != nil {
		t.Fatalf("redrive: %v (%+v)", err, rep)
	}
	return rep
}

// alertKey names one alert as it reaches SNS and as its outbox item holds it.
type alertKey struct{ kind, audience, recipient, channel, reference string }

func (k alertKey) String() string {
	return fmt.Sprintf("%s/%s to %s by %s (%s)", k.kind, k.audience, k.recipient, k.channel, k.reference)
}

// published counts the messages SNS took, per alert, from the index from on.
func published(s *stack.Stack, from int) map[alertKey]int {
	out := map[alertKey]int{}
	for _, a := range s.Alerts()[from:] {
		at := a.Attributes
		out[alertKey{at["kind"], at["audience"], at["recipient"], at["channel"], at["reference"]}]++
	}
	return out
}

// outbox is the alerts the product committed, per alert, with whether each was marked sent or
// undeliverable and how many times it was leased.
type outboxState struct {
	sent, undeliverable bool
	attempts            int
}

func outbox(t *testing.T, s *stack.Stack, skip map[string]bool) map[alertKey]outboxState {
	t.Helper()
	out := map[alertKey]outboxState{}
	for _, it := range table(t, s, "outbox") {
		if skip[str(it, "id")] {
			continue
		}
		k := alertKey{str(it, "kind"), str(it, "audience"), str(it, "recipient"), str(it, "channel"), str(it, "reference")}
		o := outboxState{sent: it["sentAt"] != nil, undeliverable: it["undeliverable"] != nil}
		if n, ok := it["attempts"].(*dbtypes.AttributeValueMemberN); ok {
			fmt.Sscan(n.Value, &o.attempts)
		}
		out[k] = o
	}
	return out
}

func ids(t *testing.T, s *stack.Stack, typ string) map[string]bool {
	out := map[string]bool{}
	for _, it := range table(t, s, typ) {
		out[str(it, "id")] = true
	}
	return out
}

// concern is one concern a teacher recorded in the soak.
type concern struct {
	school, pupil, key string
	high               bool
	status, tries      int
	id, reference      string
}

var (
	teachers = map[string]string{"brook-lane": seed.Email("Tom", "Hughes"), "hillcrest": seed.Email("Owen", "Price")}
	dsls     = map[string]string{"brook-lane": seed.Email("Daniel", "Reyes"), "hillcrest": seed.Email("Chloe", "Adams")}
	prefix   = map[string]string{"brook-lane": "bl", "hillcrest": "hc"}
)

// record has the teachers of both schools record n concerns at once, four at a time, and a
// DSL of the school add an action to every third; each write is retried as a client does.
func record(t *testing.T, s *stack.Stack, phase string, n int) []concern {
	t.Helper()
	cs := make([]concern, n)
	for i := range cs {
		school := []string{"brook-lane", "hillcrest"}[i%2]
		cs[i] = concern{school: school, pupil: fmt.Sprintf("%s-%02d", prefix[school], 1+(i/2)%6), key: fmt.Sprintf("soak-%s-%d", phase, i), high: i%3 == 0}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	now := s.Clock().Now()
	for i := range cs {
		c := &cs[i]
		tok := token(t, s, teachers[c.school])
		dslTok := token(t, s, dsls[c.school])
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			url := s.URL + "/api/schools/" + c.school + "/concerns"
			var out map[string]any
			c.status, out, c.tries = retried(url, tok, map[string]any{
				"pupilIds": []string{c.pupil}, "category": "wellbeing", "highPriority": c.high,
				"observedAt": now.Add(-10 * time.Minute).UTC().Format(time.RFC3339), "details": "Seemed withdrawn at break.",
			}, c.key)
			if c.status != 201 {
				return
			}
			c.id, _ = out["id"].(string)
			c.reference, _ = out["reference"].(string)
			if i%3 == 1 {
				retried(url+"/"+c.id+"/actions", dslTok, map[string]any{"type": "dsl-action", "assigneeEmail": teachers[c.school]}, c.key+"-action")
			}
		})
	}
	wg.Wait()
	return cs
}

// checkInvariants checks what the soak promises once the phase is over and the redrive has
// run: every concern that got a 201 exists once with its chronology entry and audit entry;
// every alert the product committed in the phase was published, or recorded undeliverable,
// and more than once only where the named window allows; nothing else was published.
func checkInvariants(t *testing.T, s *stack.Stack, cs []concern, concernsBefore, outboxBefore map[string]bool, alertsFrom int) (dupes int) {
	t.Helper()
	created := 0
	for _, c := range cs {
		if c.status == 201 {
			created++
		} else {
			t.Errorf("concern %s answered %d after %d tries", c.key, c.status, c.tries)
		}
	}
	newConcerns := 0
	for id := range ids(t, s, "concern") {
		if !concernsBefore[id] {
			newConcerns++
		}
	}
	if newConcerns != created {
		t.Errorf("%d concerns in the table for %d answered 201", newConcerns, created)
	}
	chron := map[string]int{}
	for _, it := range table(t, s, "chronology") {
		if str(it, "entryType") == "concern" {
			chron[str(it, "concernId")]++
		}
	}
	audits := map[string]int{}
	for _, it := range table(t, s, "audit") {
		if str(it, "action") == "concern.recorded" {
			audits[strings.TrimPrefix(str(it, "subject"), "concern/")]++
		}
	}
	for _, c := range cs {
		if c.status != 201 {
			continue
		}
		if chron[c.id] != 1 || audits[c.id] != 1 {
			t.Errorf("concern %s: %d chronology entries, %d audit entries, want 1 and 1", c.key, chron[c.id], audits[c.id])
		}
	}

	committed := outbox(t, s, outboxBefore)
	got := published(s, alertsFrom)
	for k, o := range committed {
		switch n := got[k]; {
		case o.undeliverable:
		case n == 0:
			t.Errorf("alert %s committed and never published (sent mark %v)", k, o.sent)
		case !o.sent:
			t.Errorf("alert %s published but not marked sent", k)
		case n > 1 && o.attempts < n:
			t.Errorf("alert %s published %d times in %d leases: outside the named window", k, n, o.attempts)
		case n > 1:
			dupes += n - 1
		}
	}
	for k := range got {
		if _, ok := committed[k]; !ok {
			t.Errorf("alert %s published that no outbox item calls for", k)
		}
	}
	return dupes
}

// The soak: with each fault on, then with none, teachers of both schools record concerns at
// once, DSLs act on some, the deadline schedule runs, the clock moves on and the redrive
// runs; afterwards every invariant holds.
func TestRule_C4_SoakNothingLostOrDoubledWithEachFault(t *testing.T) {
	s := product(t)
	base := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	phases := []struct {
		name   string
		faults stack.FaultSpec
	}{
		{"none", stack.FaultSpec{}},
		{"dynamodb", stack.FaultSpec{DynamoDB: 0.3, Seed: 11}},
		{"conflict", stack.FaultSpec{Conflict: 0.1, Seed: 12}},
		{"sns-down", stack.FaultSpec{SNSDown: stack.Duration(10 * time.Minute)}},
		{"stream-crash", stack.FaultSpec{StreamCrash: 0.3, Seed: 13}},
		{"stream-duplicate", stack.FaultSpec{StreamDuplicate: 0.3, Seed: 14}},
		{"queue-crash", stack.FaultSpec{QueueCrash: 0.3, Seed: 15}},
		{"all", stack.FaultSpec{DynamoDB: 0.3, Conflict: 0.1, SNSFail: 0.3, StreamCrash: 0.2, StreamDuplicate: 0.2, QueueCrash: 0.2, Seed: 16}},
	}
	for i, ph := range phases {
		t.Run(ph.name, func(t *testing.T) {
			pin(t, s, base.Add(time.Duration(i)*24*time.Hour))
			concernsBefore, outboxBefore, alertsFrom := ids(t, s, "concern"), ids(t, s, "outbox"), len(s.Alerts())
			s.SetFaults(ph.faults)
			cs := record(t, s, ph.name, 6)
			if status, _ := call(s.URL+"/dev/schedules/deadlines/run", "POST", "", nil, ""); status != 200 {
				t.Logf("deadlines run under faults answered %d (its schedule retries it)", status)
			}
			settle(t, s)
			injected := s.Faults().Injected
			s.SetFaults(stack.FaultSpec{})
			// Time passes (SNS is back), the schedule runs again, then the redrive.
			pin(t, s, base.Add(time.Duration(i)*24*time.Hour+8*time.Hour))
			if status, body := call(s.URL+"/dev/schedules/deadlines/run", "POST", "", nil, ""); status != 200 {
				t.Errorf("deadlines run: %d %v", status, body)
			}
			settle(t, s)
			rep := redriveNow(t, s)
			settle(t, s)
			dupes := checkInvariants(t, s, cs, concernsBefore, outboxBefore, alertsFrom)
			tries := 0
			for _, c := range cs {
				tries += c.tries
			}
			again := redriveNow(t, s)
			if again.Unsent != 0 || again.Sent != 0 {
				t.Errorf("a second redrive found %+v", again)
			}
			t.Logf("%s: %d concerns in %d tries; faults struck %v; redrive %+v; %d alerts published, %d duplicates (named window); %d stream dead letters",
				ph.name, len(cs), tries, injected, rep, len(s.Alerts())-alertsFrom, dupes, len(s.DeadLetters()))
		})
	}
}

// SNS down for ten minutes of the product's time: the alerts function's publishes fail, the
// stream retries the records, and once SNS is back every alert is delivered, once.
func TestRule_C4_SNSDownThenUpDeliversEveryAlert(t *testing.T) {
	s := product(t)
	at := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	pin(t, s, at)
	outboxBefore, alertsFrom := ids(t, s, "outbox"), len(s.Alerts())
	s.SetFaults(stack.FaultSpec{SNSDown: stack.Duration(10 * time.Minute)})
	cs := record(t, s, "sns-down-up", 2)
	deadline := time.Now().Add(30 * time.Second)
	for s.Faults().Injected["sns-down"] == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if s.Faults().Injected["sns-down"] == 0 {
		t.Fatal("no publish reached SNS while it was down")
	}
	if n := len(s.Alerts()) - alertsFrom; n != 0 {
		t.Fatalf("%d alerts published while SNS was down", n)
	}
	pin(t, s, at.Add(10*time.Minute)) // SNS is back; the stream is still retrying
	settle(t, s)
	committed, got := outbox(t, s, outboxBefore), published(s, alertsFrom)
	if len(committed) == 0 {
		t.Fatal("no alerts committed")
	}
	for k, o := range committed {
		if !o.undeliverable && (got[k] != 1 || !o.sent) {
			t.Errorf("alert %s published %d times, sent mark %v", k, got[k], o.sent)
		}
	}
	if n := len(cs); n != 2 || cs[0].status != 201 {
		t.Errorf("concerns %+v", cs)
	}
}

// A batch in which some records fail (SNS refuses a share of the publishes, past the SDK's
// retries) is retried from the first failed record; the records before it were marked sent
// and are not published again.
func TestRule_C4_AFailedRecordIsRetriedFromItAndNothingIsPublishedTwice(t *testing.T) {
	s := product(t)
	pin(t, s, time.Date(2026, 12, 8, 10, 0, 0, 0, time.UTC))
	outboxBefore, alertsFrom := ids(t, s, "outbox"), len(s.Alerts())
	s.SetFaults(stack.FaultSpec{SNSFail: 0.6, Seed: 21})
	record(t, s, "failed-record", 6)
	settle(t, s)
	s.SetFaults(stack.FaultSpec{})
	settle(t, s)
	committed, got := outbox(t, s, outboxBefore), published(s, alertsFrom)
	for k, o := range committed {
		if !o.undeliverable && got[k] != 1 {
			t.Errorf("alert %s published %d times", k, got[k])
		}
	}
	t.Logf("%d alerts, SNS refused %d calls", len(committed), s.Faults().Injected["sns-fail"])
}

// A function that dies in the middle of a batch has sent the alerts of the records it
// handled; the batch is retried whole (split in two), and those alerts are not sent again:
// their sentAt marks were written before the crash.
func TestRule_C4_ACrashedBatchIsRetriedWholeWithoutDoubling(t *testing.T) {
	s := product(t)
	pin(t, s, time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC))
	outboxBefore, alertsFrom := ids(t, s, "outbox"), len(s.Alerts())
	s.SetFaults(stack.FaultSpec{StreamCrash: 0.5, Seed: 31})
	record(t, s, "crash", 6)
	settle(t, s)
	crashes := s.Faults().Injected["stream-crash"]
	s.SetFaults(stack.FaultSpec{})
	committed, got := outbox(t, s, outboxBefore), published(s, alertsFrom)
	for k, o := range committed {
		if !o.undeliverable && got[k] != 1 {
			t.Errorf("alert %s published %d times", k, got[k])
		}
	}
	if crashes == 0 {
		t.Error("no batch crashed")
	}
	t.Logf("%d alerts, %d batches crashed", len(committed), crashes)
}

// SNS is down for a day: the stream gives up on the records (their metadata goes to the
// on-failure destination), then they expire from the stream. The redrive finds the alerts on
// the unsent index and sends them; a second redrive changes nothing.
func TestRule_C4_RedriveRecoversAlertsWhoseStreamRecordsExpired(t *testing.T) {
	s := product(t)
	at := time.Date(2026, 12, 10, 10, 0, 0, 0, time.UTC)
	pin(t, s, at)
	outboxBefore, alertsFrom, deadBefore := ids(t, s, "outbox"), len(s.Alerts()), len(s.DeadLetters())
	s.SetFaults(stack.FaultSpec{SNSDown: stack.Duration(24 * time.Hour)})
	record(t, s, "redrive", 2)
	settle(t, s)
	if len(s.DeadLetters()) == deadBefore {
		t.Fatal("the stream did not give up on the records")
	}
	for _, dl := range s.DeadLetters()[deadBefore:] {
		if dl.StreamInfo.StartSequenceNumber == "" || dl.Function != "alerts" {
			t.Errorf("dead letter %+v", dl)
		}
	}
	pin(t, s, at.Add(25*time.Hour)) // SNS back; the records are gone from the stream
	settle(t, s)
	if n := len(s.Alerts()) - alertsFrom; n != 0 {
		t.Fatalf("%d alerts published before the redrive", n)
	}
	committed := outbox(t, s, outboxBefore)
	rep := redriveNow(t, s)
	if rep.Unsent != len(committed) || rep.Sent+rep.Undeliverable != len(committed) || rep.Failed != 0 {
		t.Errorf("redrive %+v for %d alerts", rep, len(committed))
	}
	got := published(s, alertsFrom)
	for k, o := range outbox(t, s, outboxBefore) {
		if !o.undeliverable && (got[k] != 1 || !o.sent) {
			t.Errorf("alert %s published %d times, sent mark %v", k, got[k], o.sent)
		}
	}
	n := len(s.Alerts())
	if again := redriveNow(t, s); again.Unsent != 0 || again.Sent != 0 || len(s.Alerts()) != n {
		t.Errorf("a second redrive did something: %+v", again)
	}
	keys := make([]string, 0, len(got))
	for k := range got {
		keys = append(keys, k.String())
	}
	sort.Strings(keys)
	t.Logf("redrive %+v: %s", rep, strings.Join(keys, "; "))
}
