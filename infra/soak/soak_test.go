package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
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
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/infra/newschool/school"
	"github.com/keepsafe-schools/keepsafe/infra/redrive"
	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
	"github.com/keepsafe-schools/keepsafe/shared/userpool"
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
	if startErr == nil {
		schoolOnce.Do(func() { startErr = thirdSchool(st) })
	}
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

// meadowView is the soak's third school, made as `make newschool` makes one (its Senior DSL
// first), its DSL and teacher added by the Senior DSL on the staff API, its pupils written
// as an import writes them.
const meadowView safeguarding.SchoolID = "meadow-view"

var (
	schoolOnce sync.Once
	// members are the schools each person of the soak belongs to, with their roles there, as
	// their profiles say.
	members = map[string]map[safeguarding.SchoolID][]safeguarding.Role{}
)

// thirdSchool makes Meadow View beside the demo's two schools and waits until its people are
// subscribed to its alerts (the subscriptions function does it from the table's stream, as
// for any roster change).
func thirdSchool(s *stack.Stack) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	st := store.New(s.DynamoDB(), s.TableName)
	accounts := userpool.New(stack.NewPoolClient(s.URL+stack.UserPoolPath), stack.LocalUserPoolID)
	senior := seed.Email("Asha", "Patel")
	if _, err := school.Create(ctx, st, accounts, school.School{ID: string(meadowView), Name: "Meadow View Primary",
		SeniorEmail: senior, SeniorName: "Asha Patel", SeniorMobile: "07700 900081"}, s.Clock().Now()); err != nil {
		return err
	}
	status, body := call(s.URL+"/dev/token", "POST", "", map[string]string{"email": senior}, "")
	if status != 200 {
		return fmt.Errorf("token for the Senior DSL: %d %v", status, body)
	}
	for _, p := range []map[string]any{
		{"name": "Ivy Clarke", "email": seed.Email("Ivy", "Clarke"), "mobile": "07700 900082", "roles": []string{"dsl"}},
		{"name": "Sam Turner", "email": seed.Email("Sam", "Turner"), "roles": []string{"teacher"}},
	} {
		if status, out, _, _ := retried(s.URL+"/api/schools/"+string(meadowView)+"/staff", body["token"].(string), p, "soak-staff-"+strings.ReplaceAll(p["name"].(string), " ", "-")); status != 201 {
			return fmt.Errorf("the Senior DSL adds %s: %d %v", p["name"], status, out)
		}
	}
	var pupils seed.Data
	for i, first := range []string{"Alfie", "Bella", "Caleb", "Daisy", "Ethan", "Freya"} {
		pupils.Pupils = append(pupils.Pupils, safeguarding.Pupil{ID: safeguarding.PupilID(fmt.Sprintf("mv-%02d", i+1)), School: meadowView,
			Name: first + " Walsh", YearGroup: "Year 4", ClassName: "Willow"})
	}
	if err := seed.Apply(ctx, st, pupils); err != nil {
		return err
	}
	var emails []string
	for _, u := range seed.Demo().Users {
		emails = append(emails, u.Email)
	}
	emails = append(emails, senior, seed.Email("Ivy", "Clarke"), seed.Email("Sam", "Turner"))
	profiles, err := st.Profiles(ctx, emails)
	if err != nil {
		return err
	}
	for email, p := range profiles {
		members[email] = p.Memberships
	}
	if len(members[seed.Email("Ivy", "Clarke")][meadowView]) == 0 || len(members[seed.Email("Sam", "Turner")][meadowView]) == 0 {
		return errors.New("Meadow View's staff are not on their profiles")
	}
	return s.Settle(ctx)
}

// dslsOf are the people an alert of a new concern at the school must reach: its DSLs and its
// Senior DSL.
func dslsOf(school safeguarding.SchoolID) []string {
	var out []string
	for email, ms := range members {
		if slices.Contains(ms[school], safeguarding.RoleDSL) || slices.Contains(ms[school], safeguarding.RoleSeniorDSL) {
			out = append(out, email)
		}
	}
	sort.Strings(out)
	return out
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
// answer is a server error, a conflict or no answer. It returns the last answer, how many
// tries it took and how many of them were answered with a server error.
func retried(url, tok string, body any, key string) (status int, out map[string]any, tries, serverErrors int) {
	for try := 1; ; try++ {
		status, out := call(url, "POST", tok, body, key)
		if status >= 500 {
			serverErrors++
		}
		if (status == 0 || status >= 500 || status == 409 || status == 429) && try < 10 {
			time.Sleep(time.Duration(try) * 20 * time.Millisecond)
			continue
		}
		return status, out, try, serverErrors
	}
}

func pin(t *testing.T, s *stack.Stack, at time.Time) {
	t.Helper()
	s.Clock().Pin(at)
}

func settle(t *testing.T, s *stack.Stack) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
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
	return redriveLater(t, s, 0)
}

// redriveLater runs the redrive as if started later by the wall clock, by which the alerts
// function's leases lapse, without waiting for it.
func redriveLater(t *testing.T, s *stack.Stack, later time.Duration) redrive.Report {
	t.Helper()
	st := store.New(s.DynamoDB(), s.TableName)
	pub := alert.Publisher{SNS: sns.New(sns.Options{Region: stack.Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(s.SNSEndpoint)}), Routes: st, AppURL: s.URL}
	queue := sqs.New(sqs.Options{Region: stack.Region, Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(s.SQSEndpoint())})
	rep, err := redrive.Redrive{Outbox: st, Publisher: pub, Now: s.Clock().Now(), Grace: time.Minute,
		Wall:  func() time.Time { return time.Now().Add(later) },
		Queue: queue, QueueURL: s.SQSEndpoint() + "/000000000000/EscalationQueue",
		DeadLetterURL: s.SQSEndpoint() + "/000000000000/EscalationDeadLetterQueue"}.Run(context.Background())
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
	id                  string
	sent, undeliverable bool
	attempts            int
}

// publishedOnce fails the test for each committed alert, but one marked undeliverable, that
// was not published exactly once or, with sentMark, lacks its sent mark.
func publishedOnce(t *testing.T, committed map[alertKey]outboxState, got map[alertKey]int, sentMark bool) {
	t.Helper()
	for k, o := range committed {
		if !o.undeliverable && (got[k] != 1 || sentMark && !o.sent) {
			t.Errorf("alert %s published %d times, sent mark %v", k, got[k], o.sent)
		}
	}
}

func outbox(t *testing.T, s *stack.Stack, skip map[string]bool) map[alertKey]outboxState {
	t.Helper()
	out := map[alertKey]outboxState{}
	for _, it := range table(t, s, "outbox") {
		if skip[str(it, "id")] {
			continue
		}
		k := alertKey{str(it, "kind"), str(it, "audience"), str(it, "recipient"), str(it, "channel"), str(it, "reference")}
		o := outboxState{id: str(it, "id"), sent: it["sentAt"] != nil, undeliverable: it["undeliverable"] != nil}
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
	// action is the answer to the DSL's action on the concern (0: none asked for);
	// serverErrors counts the 5xx answers the concern's writes got on the way.
	action, actionTries, serverErrors int
}

var (
	schools  = []string{"brook-lane", "hillcrest", string(meadowView)}
	teachers = map[string]string{"brook-lane": seed.Email("Tom", "Hughes"), "hillcrest": seed.Email("Owen", "Price"), string(meadowView): seed.Email("Sam", "Turner")}
	dsls     = map[string]string{"brook-lane": seed.Email("Daniel", "Reyes"), "hillcrest": seed.Email("Chloe", "Adams"), string(meadowView): seed.Email("Ivy", "Clarke")}
	prefix   = map[string]string{"brook-lane": "bl", "hillcrest": "hc", string(meadowView): "mv"}
)

// record has the teachers of the three schools record n concerns at once, four at a time,
// every other one high priority, and a DSL of the school add an action to every fourth; each
// write is retried as a client does.
func record(t *testing.T, s *stack.Stack, phase string, n int) []concern {
	t.Helper()
	cs := make([]concern, n)
	for i := range cs {
		school := schools[i%len(schools)]
		cs[i] = concern{school: school, pupil: fmt.Sprintf("%s-%02d", prefix[school], 1+(i/len(schools))%6), key: fmt.Sprintf("soak-%s-%d", phase, i), high: i%2 == 0}
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
			var errs int
			c.status, out, c.tries, errs = retried(url, tok, map[string]any{
				"pupilIds": []string{c.pupil}, "category": "wellbeing", "highPriority": c.high,
				"observedAt": now.Add(-10 * time.Minute).UTC().Format(time.RFC3339), "details": "Seemed withdrawn at break.",
			}, c.key)
			c.serverErrors += errs
			if c.status != 201 {
				return
			}
			c.id, _ = out["id"].(string)
			c.reference, _ = out["reference"].(string)
			if i%4 == 1 {
				c.action, _, c.actionTries, errs = retried(url+"/"+c.id+"/actions", dslTok, map[string]any{"type": "dsl-action", "assigneeEmail": teachers[c.school]}, c.key+"-action")
				c.serverErrors += errs
			}
		})
	}
	wg.Wait()
	return cs
}

// runSchedule runs a schedule as EventBridge Scheduler does, again after a failure (its
// retry policy), and returns the last answer.
func runSchedule(s *stack.Stack, name string) (int, map[string]any) {
	var status int
	var body map[string]any
	for range 3 {
		if status, body = call(s.URL+"/dev/schedules/"+name+"/run", "POST", "", nil, ""); status == 200 {
			break
		}
	}
	return status, body
}

// queueDeadLetters counts the escalation queue's dead letters (GET /dev/queues).
func queueDeadLetters(s *stack.Stack) int {
	resp, err := http.Get(s.URL + "/dev/queues")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	var q struct {
		DeadLetters []struct {
			Queue string `json:"queue"`
		} `json:"deadLetters"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&q)
	n := 0
	for _, m := range q.DeadLetters {
		if m.Queue == "EscalationQueue" {
			n++
		}
	}
	return n
}

// checkInvariants checks what the soak promises once the phase is over and the redrive has
// run: every concern that got a 201 exists once with its chronology entry and audit entry,
// and every action a DSL added once; every alert the product committed in the phase was
// published, or recorded undeliverable, and more than once only where the named window
// allows: with died (the outbox items whose sender was killed between SNS's answer and the
// sentAt mark, as often as it struck each) and exactWindow, an alert is published exactly
// once more than its sender died there; nothing else was published; each school's DSLs were
// alerted to each of its concerns, and no alert went to anyone outside its school.
func checkInvariants(t *testing.T, s *stack.Stack, cs []concern, concernsBefore, outboxBefore map[string]bool, alertsFrom int,
	died []string, exactWindow bool) (dupes int) {
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
	actions := map[string]int{}
	for _, it := range table(t, s, "action") {
		actions[str(it, "concern")]++
	}
	byReference := map[string]concern{}
	for _, c := range cs {
		if c.status != 201 {
			continue
		}
		byReference[c.reference] = c
		if chron[c.id] != 1 || audits[c.id] != 1 {
			t.Errorf("concern %s: %d chronology entries, %d audit entries, want 1 and 1", c.key, chron[c.id], audits[c.id])
		}
		want := 0
		if c.action != 0 {
			want = 1
			if c.action != 201 {
				t.Errorf("concern %s: its action answered %d after %d tries", c.key, c.action, c.actionTries)
			}
		}
		if actions[c.id] != want {
			t.Errorf("concern %s: %d actions, want %d", c.key, actions[c.id], want)
		}
	}

	deaths := map[string]int{}
	for _, id := range died {
		deaths[id]++
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
		case exactWindow && n != 1+deaths[o.id]:
			t.Errorf("alert %s published %d times, its sender killed %d times between SNS's answer and the mark", k, n, deaths[o.id])
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

	// Each school's alerts stay in it: every message goes to someone of the school it names,
	// on that school's topic; a new concern's reach its school's DSLs and Senior DSL.
	reached := map[string]map[string]bool{}
	for _, a := range s.Alerts()[alertsFrom:] {
		school, to := safeguarding.SchoolID(a.Attributes["school"]), a.Attributes["recipient"]
		if len(members[to][school]) == 0 {
			t.Errorf("an alert of %s (%s) went to someone who is not of the school", school, a.Attributes["kind"])
		}
		if !strings.Contains(a.TopicARN, string(school)) {
			t.Errorf("an alert of %s went out on the topic %s", school, a.TopicARN)
		}
		if c, ok := byReference[a.Attributes["reference"]]; ok {
			if string(school) != c.school {
				t.Errorf("an alert of concern %s (of %s) names %s", c.key, c.school, school)
			}
			if reached[c.key] == nil {
				reached[c.key] = map[string]bool{}
			}
			reached[c.key][to] = true
		}
	}
	for _, c := range byReference {
		for _, dsl := range dslsOf(safeguarding.SchoolID(c.school)) {
			if !reached[c.key][dsl] && !undeliverableTo(committed, dsl, c.reference) {
				t.Errorf("concern %s of %s: a DSL of the school was not alerted", c.key, c.school)
			}
		}
	}
	return dupes
}

// undeliverableTo reports whether an alert of the reference to the person was recorded
// undeliverable (and so, rightly, not published).
func undeliverableTo(committed map[alertKey]outboxState, to, reference string) bool {
	for k, o := range committed {
		if k.recipient == to && k.reference == reference && o.undeliverable {
			return true
		}
	}
	return false
}

var closureOnce sync.Once

// soak is one run of the soak with the given faults, on its own school day (day after 23
// November 2026): teachers of both schools record concerns at once, a DSL acts on some, a
// family acknowledges (Hillcrest is closed, rule E0), the deadline and escalation schedules
// run; then the faults stop, time passes, the schedules run again and the redrive runs.
// Afterwards every invariant holds, and a second redrive changes nothing. It logs the counts.
func soak(t *testing.T, name string, faults stack.FaultSpec, day int) soakResult {
	s := product(t)
	base := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	robert, owen := token(t, s, seed.Email("Robert", "King")), token(t, s, seed.Email("Owen", "Price"))
	closureOnce.Do(func() {
		pin(t, s, base)
		if status, body := call(s.URL+"/api/schools/hillcrest/closures", "POST", robert, map[string]any{"from": "2026-11-23"}, ""); status != 201 {
			t.Fatalf("start the closure: %d %v", status, body)
		}
	})
	at := base.Add(time.Duration(day) * 24 * time.Hour)
	pin(t, s, at)
	concernsBefore, outboxBefore, alertsFrom := ids(t, s, "concern"), ids(t, s, "outbox"), len(s.Alerts())
	deadBefore := len(s.DeadLetters())
	s.SetFaults(faults)
	cs := record(t, s, name, 5)
	ack := map[string]any{"acknowledgements": []map[string]string{{"pupilId": "hc-11",
		"at": at.Add(-time.Hour).UTC().Format(time.RFC3339), "kind": "thumbs-up"}}}
	ackStatus, _, _, ackErrors := retried(s.URL+"/api/schools/hillcrest/engagement", owen, ack, "soak-ack-"+name)
	if ackStatus != 200 {
		t.Errorf("acknowledgement: %d", ackStatus)
	}
	for _, sched := range []string{"deadlines", "escalation"} {
		if status, body := runSchedule(s, sched); status != 200 {
			t.Logf("%s run under faults answered %d %v (left to the next run and the redrive)", sched, status, body)
		}
	}
	settle(t, s)
	struck := s.Faults()
	injected := struck.Injected
	s.SetFaults(stack.FaultSpec{})
	pin(t, s, at.Add(8*time.Hour)) // time passes; SNS is back
	for _, sched := range []string{"deadlines", "escalation"} {
		if status, body := runSchedule(s, sched); status != 200 {
			t.Errorf("%s run: %d %v", sched, status, body)
		}
	}
	settle(t, s)
	deadMessages := queueDeadLetters(s)
	rep := redriveNow(t, s)
	if rep.Leased > 0 {
		// A sender's lease outlived its sender (its release failed): it lapses after 30 s,
		// and the redrive run then sends the alert.
		more := redriveLater(t, s, 31*time.Second)
		rep.Sent, rep.Leased = rep.Sent+more.Sent, more.Leased
	}
	settle(t, s)
	if n := queueDeadLetters(s); n != 0 || rep.Replayed != deadMessages {
		t.Errorf("escalation dead letters: %d before the redrive, %d replayed, %d left", deadMessages, rep.Replayed, n)
	}
	// Without refused DynamoDB calls (whose retries can all be refused) every alert goes out
	// once, or once more for each death between SNS's answer and its mark.
	dupes := checkInvariants(t, s, cs, concernsBefore, outboxBefore, alertsFrom, struck.DiedAfterPublish, faults.DynamoDB == 0)
	tries, serverErrors := 0, ackErrors
	for _, c := range cs {
		tries += c.tries + c.actionTries
		serverErrors += c.serverErrors
	}
	if faults.DynamoDB == 0 && serverErrors > 0 {
		t.Errorf("%d answers were server errors", serverErrors)
	}
	n := len(s.Alerts())
	if again := redriveNow(t, s); again.Unsent != 0 || again.Sent != 0 || again.Replayed != 0 || len(s.Alerts()) != n {
		t.Errorf("a second redrive did something: %+v", again)
	}
	defer t.Logf("soak %s: %d concerns in %s in %d tries (%d server errors); faults struck %v; redrive %+v; %d alerts published, %d duplicates (named window), %d deaths between SNS's answer and the mark; %d stream dead letters so far",
		name, len(cs), strings.Join(schools, ", "), tries, serverErrors, injected, rep, n-alertsFrom, dupes, len(struck.DiedAfterPublish), len(s.DeadLetters()))
	return soakResult{redrive: rep, deadLetters: len(s.DeadLetters()) - deadBefore, injected: injected}
}

// soakResult is what a soak saw on the way: the first redrive's report, the stream's dead
// letters of the phase and the faults struck.
type soakResult struct {
	redrive     redrive.Report
	deadLetters int
	injected    map[string]int
}

func TestRule_C4_SoakWithNoFaults(t *testing.T) { soak(t, "none", stack.FaultSpec{}, 0) }

func TestRule_C4_SoakWithDynamoDBThrottlingAnd500s(t *testing.T) {
	soak(t, "dynamodb", stack.FaultSpec{DynamoDB: 0.3, Seed: 11}, 1)
}

func TestRule_C4_SoakWithTransactionConflicts(t *testing.T) {
	soak(t, "conflict", stack.FaultSpec{Conflict: 0.3, Seed: 12}, 2)
}

func TestRule_C4_SoakWithSNSDownForTenMinutes(t *testing.T) {
	soak(t, "sns-down", stack.FaultSpec{SNSDown: stack.Duration(10 * time.Minute)}, 3)
}

func TestRule_C4_SoakWithFunctionsDyingInStreamBatches(t *testing.T) {
	if r := soak(t, "stream-crash", stack.FaultSpec{StreamCrash: 0.5, Seed: 7}, 4); r.injected["stream-crash"] == 0 {
		t.Error("no stream batch crashed")
	}
}

func TestRule_C4_SoakWithStreamRecordsDeliveredTwice(t *testing.T) {
	soak(t, "stream-duplicate", stack.FaultSpec{StreamDuplicate: 0.6, Seed: 14}, 7)
}

func TestRule_C4_SoakWithFunctionsDyingInQueueBatches(t *testing.T) {
	soak(t, "queue-crash", stack.FaultSpec{QueueCrash: 1, Seed: 15}, 8)
}

// DynamoDB does a write and its answer is lost (a 500, or no answer): the SDK retries a call
// that has already taken effect. Each transaction carries its ClientRequestToken (the SDK
// sets one per call, and every retry of the call sends it), so DynamoDB answers the retry as
// the first; a lease retried finds its own token on the item. Every write answers once as
// the first did, with no 500.
func TestRule_C4_SoakWithDynamoDB500sAfterTheWrite(t *testing.T) {
	r := soak(t, "dynamodb-after", stack.FaultSpec{DynamoDBAfter: 0.2, Seed: 17}, 10)
	// The stream delivered every alert itself: a retried lease or mark did not fail its record.
	if r.deadLetters != 0 || r.redrive.Unsent != 0 {
		t.Errorf("%d stream dead letters, %d alerts left for the redrive", r.deadLetters, r.redrive.Unsent)
	}
	for _, op := range []string{"TransactWriteItems", "UpdateItem"} {
		if r.injected["dynamodb-after "+op] == 0 {
			t.Errorf("no %s's answer was lost", op)
		}
	}
}

// The one window in which an alert is published twice, provoked: the alerts function's
// process is killed when its sentAt mark reaches DynamoDB, after SNS took the alert. Every
// alert is then published exactly once more than its sender died there, and no other.
func TestRule_C4_SoakWithTheAlertsFunctionDyingAfterPublish(t *testing.T) {
	r := soak(t, "die-after-publish", stack.FaultSpec{AlertsDieAfterPublish: 0.05, Seed: 29}, 11)
	if r.injected["alerts-die-after-publish"] == 0 {
		t.Error("no sender died between SNS's answer and the mark")
	}
}

// Every fault at once but DynamoDB's refusals, whose slow retries (the SDK's throttling
// backoff starts at a second) would make it the longest test here;
// TestRule_C4_SoakWithDynamoDBThrottlingAnd500s has them alone.
func TestRule_C4_SoakWithEveryFaultAtOnce(t *testing.T) {
	soak(t, "all", stack.FaultSpec{DynamoDBAfter: 0.1, Conflict: 0.1, SNSFail: 0.3, StreamCrash: 0.2, StreamDuplicate: 0.2,
		QueueCrash: 0.2, AlertsDieAfterPublish: 0.05, Seed: 16}, 9)
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
	publishedOnce(t, committed, got, true)
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
	refused := s.Faults().Injected["sns-fail"]
	s.SetFaults(stack.FaultSpec{})
	settle(t, s)
	committed, got := outbox(t, s, outboxBefore), published(s, alertsFrom)
	publishedOnce(t, committed, got, false)
	if refused == 0 {
		t.Error("SNS refused nothing")
	}
	t.Logf("%d alerts, SNS refused %d calls", len(committed), refused)
}

// A function that dies in the middle of a batch has sent the alerts of the records it
// handled; the batch is retried whole (split in two), and those alerts are not sent again:
// their sentAt marks were written before the crash.
func TestRule_C4_ACrashedBatchIsRetriedWholeWithoutDoubling(t *testing.T) {
	s := product(t)
	pin(t, s, time.Date(2026, 12, 9, 10, 0, 0, 0, time.UTC))
	outboxBefore, alertsFrom := ids(t, s, "outbox"), len(s.Alerts())
	s.SetFaults(stack.FaultSpec{StreamCrash: 0.5, Seed: 31})
	crashes := 0
	for round := 0; round < 6 && crashes < 2; round++ {
		record(t, s, fmt.Sprintf("crash-%d", round), 2)
		settle(t, s)
		crashes = s.Faults().Injected["stream-crash"]
	}
	s.SetFaults(stack.FaultSpec{})
	committed, got := outbox(t, s, outboxBefore), published(s, alertsFrom)
	publishedOnce(t, committed, got, false)
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
	publishedOnce(t, outbox(t, s, outboxBefore), got, true)
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
