package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/template"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The demo federation's people at Brook Lane.
var (
	tom  = apitest.Tom    // teaches Acorns
	sam  = apitest.Sam    // teaches Saplings
	dsl  = apitest.Daniel // DSL, teaches Willows
	head = apitest.Helen
)

// queue delivers each batch to the worker at once, as the local stack's stand-in does.
type queue struct {
	h    *handler
	sent int
	runs []events.SQSEventResponse
}

func (q *queue) SendMessageBatch(ctx context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	var ev events.SQSEvent
	for _, e := range in.Entries {
		q.sent++
		ev.Records = append(ev.Records, events.SQSMessage{MessageId: "m" + strconv.Itoa(q.sent), Body: aws.ToString(e.MessageBody), EventSource: "aws:sqs"})
	}
	raw, _ := json.Marshal(ev)
	out, err := q.h.Handle(ctx, raw)
	if err != nil {
		return nil, err
	}
	q.runs = append(q.runs, out.(events.SQSEventResponse))
	var ok []sqstypes.SendMessageBatchResultEntry
	for _, e := range in.Entries {
		ok = append(ok, sqstypes.SendMessageBatchResultEntry{Id: e.Id})
	}
	return &sqs.SendMessageBatchOutput{Successful: ok}, nil
}

type world struct {
	t     *testing.T
	db    *dynamodb.Client
	table string
	st    *store.Store
	h     *handler
	q     *queue
	eng   engagement.Engagement
}

// newWorld is the demo federation in a full closure since the start of the autumn term (rule
// E0) whose look at every family is done: each run reads only the families due a look.
func newWorld(t *testing.T) *world {
	t.Helper()
	w := newWorldWithoutClosure(t)
	apitest.Must(t, w.st.PutClosure(context.Background(), safeguarding.Closure{ID: "autumn", School: seed.BrookLane, From: local("2026-09-03 00:00"),
		StartedBy: head, StartedAt: local("2026-09-03 08:00"), Swept: true, Version: 1}))
	return w
}

// newWorldWithoutClosure is the demo federation with no closure: nothing is counted.
func newWorldWithoutClosure(t *testing.T) *world {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	apitest.SeedDemoWithFamilies(t, db, table)
	bank := calendar.EnglandAndWales()
	h := &handler{job: engagement.FamilyEscalation{Store: st, BankHolidays: bank, NewID: store.NewID}, schools: st, queueURL: "local"}
	q := &queue{h: h}
	h.queue = q
	return &world{t: t, db: db, table: table, st: st, h: h, q: q, eng: engagement.Engagement{Store: st, BankHolidays: bank, NewID: store.NewID}}
}

// local is a school-local time "2006-01-02 15:04".
var local = apitest.Local

func (w *world) ack(by string, at time.Time, acks ...contact.Acknowledgement) engagement.AckResult {
	w.t.Helper()
	for i := range acks {
		acks[i].At, acks[i].Kind = at, contact.AckThumbsUp
	}
	r, err := w.eng.Acknowledge(context.Background(), safeguarding.Caller{Email: by, At: at.Add(time.Minute)}, seed.BrookLane, acks, safeguarding.RequestKey{}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// run runs the schedule at 05:30 on a local date.
func (w *world) run(date string) engagement.EscalationRun {
	w.t.Helper()
	ev, _ := json.Marshal(map[string]string{"time": local(date + " 05:30").UTC().Format(time.RFC3339)})
	out, err := w.h.Handle(context.Background(), ev)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, r := range w.q.runs {
		if len(r.BatchItemFailures) > 0 {
			w.t.Fatalf("worker failures %+v", r.BatchItemFailures)
		}
	}
	return out.(engagement.EscalationRun)
}

// scan lists items of a type as "attr1 attr2 ..." (tests only: no request path scans).
func (w *world) scan(typ string, attrs ...string) []string {
	w.t.Helper()
	var out []string
	for _, it := range apitest.Items(w.t, w.db, w.table) {
		if apitest.Attr(it, "type") != typ {
			continue
		}
		var parts []string
		for _, a := range attrs {
			switch v := it[a].(type) {
			case *types.AttributeValueMemberS:
				parts = append(parts, v.Value)
			case *types.AttributeValueMemberBOOL:
				parts = append(parts, strconv.FormatBool(v.Value))
			default:
				parts = append(parts, "-")
			}
		}
		out = append(out, fmt.Sprint(parts))
	}
	sort.Strings(out)
	return out
}

func (w *world) family(id string) contact.Family {
	w.t.Helper()
	_, f, err := w.st.Family(context.Background(), dsl, seed.BrookLane, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

func TestRule_E2_E3_SixSilentSchoolDaysThroughTheQueueAndDynamoDB(t *testing.T) {
	w := newWorld(t)
	// fam-03: Zofia and Jakub Kowalski, both in Willows; acknowledged on Friday 6 Nov 2026.
	w.ack(dsl, local("2026-11-06 16:00"), contact.Acknowledgement{FamilyID: "fam-03"})
	if r := w.run("2026-11-16"); r.Enqueued != 2 || w.family("fam-03").Status() != contact.FamilyEngaged {
		t.Fatalf("five silent days: %+v %+v", r, w.family("fam-03"))
	}
	w.run("2026-11-17")
	f := w.family("fam-03")
	if f.Status() != contact.FamilyMissing || f.CallDueAt().IsZero() {
		t.Fatalf("six silent days: %+v", f)
	}
	if got := w.scan("chronology", "pupil", "entryType"); !slices.Equal(got, []string{"[bl-04 missing]", "[bl-05 missing]"}) {
		t.Errorf("chronology %v", got)
	}
	if got := w.scan("outbox", "kind", "audience", "recipient", "reference"); !slices.Equal(got, []string{"[missing dsl " + dsl + " FAM-03]"}) {
		t.Errorf("alerts %v", got)
	}
	// Rule P4: the job is the audited actor of what it wrote.
	if got := w.scan("audit", "actor", "action", "subject"); !slices.Contains(got, "[system:escalation family.missing family/fam-03]") {
		t.Errorf("audit %v", got)
	}
	// Rerunning the same day changes nothing.
	before := w.family("fam-03")
	w.run("2026-11-17")
	if after := w.family("fam-03"); after.Version() != before.Version() || len(w.scan("outbox", "id")) != 1 {
		t.Errorf("a rerun changed the family or alerted again: %+v", after)
	}
	// The phone call is on the deadline engine's ladder (D8): overdue the next morning.
	engine := deadlines.Deadlines{Store: w.st, Parallel: 1}
	if r, err := engine.Run(context.Background(), local("2026-11-18 06:00")); err != nil || r.Escalated != 1 {
		t.Fatalf("the engine on the call: %+v %v", r, err)
	}
	// E6: an acknowledgement ends MISSING, closes the call, and says when and how.
	w.ack(dsl, local("2026-11-18 08:00"), contact.Acknowledgement{PupilID: "bl-04"})
	f = w.family("fam-03")
	if f.Status() != contact.FamilyEngaged || f.CallKey() != "" {
		t.Errorf("after an acknowledgement: %+v", f)
	}
	if got := w.scan("chronology", "pupil", "entryType"); len(got) != 4 || got[1] != "[bl-04 missing]" || got[0] != "[bl-04 contact_restored]" {
		t.Errorf("chronology %v", got)
	}
	if got := w.scan("call", "dueActive", "GSI2PK"); !slices.Equal(got, []string{"[false -]"}) {
		t.Errorf("the call stays on the ladder: %v", got)
	}
}

func TestRule_E1_ATeacherAcknowledgesOnlyForTheirOwnClass(t *testing.T) {
	w := newWorld(t)
	_, err := w.eng.Acknowledge(context.Background(), safeguarding.Caller{Email: tom, At: local("2026-11-06 16:00")}, seed.BrookLane,
		[]contact.Acknowledgement{{FamilyID: "fam-03", At: local("2026-11-06 15:00"), Kind: contact.AckThumbsUp}}, safeguarding.RequestKey{}, "")
	if err == nil {
		t.Fatal("Tom acknowledged for a family of Willows")
	}
}

func TestRule_E2_NothingOnANonSchoolDay(t *testing.T) {
	w := newWorld(t)
	w.ack(dsl, local("2026-11-06 16:00"), contact.Acknowledgement{FamilyID: "fam-03"})
	for _, day := range []string{"2026-11-21", "2026-12-25"} { // a Saturday; Christmas Day
		if r := w.run(day); r.SchoolDay || r.Enqueued != 0 {
			t.Errorf("%s: %+v", day, r)
		}
	}
	// A closure day in Brook Lane's own calendar: its worker does nothing.
	err := w.st.PutSchoolCalendar(context.Background(), safeguarding.SchoolCalendar{School: seed.BrookLane, Version: 1,
		DaysOff: []safeguarding.DayOff{{Kind: safeguarding.DayOffClosure, From: local("2026-11-17 00:00"), To: local("2026-11-17 00:00")}}})
	if err != nil {
		t.Fatal(err)
	}
	w.run("2026-11-17")
	if f := w.family("fam-03"); f.Status() == contact.FamilyMissing {
		t.Errorf("missing on a closure day: %+v", f)
	}
	// The closure is not a school day: Wednesday counts Mon 9 - Mon 16 (six), and logs it.
	w.run("2026-11-18")
	if f := w.family("fam-03"); f.Status() != contact.FamilyMissing {
		t.Errorf("not missing the next school day: %+v", f)
	}
}

func TestRule_E2_E5_AMissedDayIsCaughtUpAndTwentyDaysRaiseTheLA(t *testing.T) {
	w := newWorld(t)
	w.ack(dsl, local("2026-11-06 16:00"), contact.Acknowledgement{FamilyID: "fam-03"})
	w.run("2026-11-13")
	// No run on 16, 17 or 18 Nov: Thursday's run logs it missing.
	w.run("2026-11-19")
	if f := w.family("fam-03"); f.Status() != contact.FamilyMissing {
		t.Fatalf("a missed day was skipped: %+v", f)
	}
	w.run("2026-12-04") // 19 silent school days
	if f := w.family("fam-03"); !f.LARaisedAt().IsZero() {
		t.Fatalf("19 days raised the LA")
	}
	w.run("2026-12-07") // 20
	if got := w.scan("outbox", "kind", "audience", "recipient"); !slices.Contains(got, "[la-notification senior_dsl "+head+"]") {
		t.Errorf("alerts %v", got)
	}
	_, err := w.eng.RecordLANotification(context.Background(), safeguarding.Caller{Email: head, At: local("2026-12-07 10:00")}, seed.BrookLane, "fam-03",
		local("2026-12-07 09:45"), "Sent by email.", safeguarding.RequestKey{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := w.scan("chronology", "entryType"); !slices.Contains(got, "[la_notification]") {
		t.Errorf("chronology %v", got)
	}
}

func TestRule_E1_OneSiblingAcknowledgingInAnotherClassCountsForTheFamily(t *testing.T) {
	w := newWorld(t)
	// fam-02: Alfie (Acorns, Tom's class) and Poppy (Saplings, Sam's class).
	w.ack(tom, local("2026-11-06 16:00"), contact.Acknowledgement{PupilID: "bl-02"})
	w.ack(sam, local("2026-11-13 16:00"), contact.Acknowledgement{PupilID: "bl-03"})
	w.run("2026-11-17")
	if f := w.family("fam-02"); f.Status() == contact.FamilyMissing || !f.LastContactAt().Equal(local("2026-11-13 16:00")) {
		t.Errorf("one sibling's acknowledgement did not count for the family: %+v", f)
	}
}

func TestTemplateRunsEscalationEarlyEachMorningInLondonTime(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := tpl.FunctionByFolder("escalation")
	if !ok || len(fn.Schedules) != 1 {
		t.Fatalf("EscalationFunction: %+v", fn)
	}
	s := fn.Schedules[0]
	if s.Name != "escalation" || s.Expression != "cron(30 5 * * ? *)" || s.Timezone != "Europe/London" {
		t.Errorf("schedule %+v", s)
	}
}

// The fan-out hands each school its run sheet from the registry (data.md A97) and its families
// due a look from one read of the look index (A110): the worker reads nothing, and still
// alerts the school's DSL from the roster the sheet carries.
func TestTheWorkerReadsNothingWithItsRunSheetAndDueFamilies(t *testing.T) {
	calls := dynamotest.NewCounter()
	db, table := dynamotest.New(t, calls.Install)
	st := store.New(db, table)
	apitest.SeedDemoWithFamilies(t, db, table)
	apitest.Must(t, st.PutClosure(context.Background(), safeguarding.Closure{ID: "autumn", School: seed.BrookLane, From: local("2026-09-03 00:00"),
		StartedBy: head, StartedAt: local("2026-09-03 08:00"), Swept: true, Version: 1}))
	bank := calendar.EnglandAndWales()
	h := &handler{job: engagement.FamilyEscalation{Store: st, BankHolidays: bank, NewID: store.NewID}, schools: st, queueURL: "local"}
	q := &queue{h: h}
	h.queue = q
	w := &world{t: t, db: db, table: table, st: st, h: h, q: q, eng: engagement.Engagement{Store: st, BankHolidays: bank, NewID: store.NewID}}
	w.ack(dsl, local("2026-11-06 16:00"), contact.Acknowledgement{FamilyID: "fam-03"})
	w.run("2026-11-16")
	calls.Reset()
	if r := w.run("2026-11-17"); r.Enqueued != 2 {
		t.Fatalf("run %+v", r)
	}
	got := calls.Counts()
	if n := got["GetItem"] + got["BatchGetItem"]; n != 0 {
		t.Errorf("the run read %d single items besides the registry and the look index: %v", n, got)
	}
	// The registry once and the look index once: a Query a shard holding one of the
	// federation's schools, whatever the days since the last run.
	shards := map[string]bool{}
	for _, s := range []safeguarding.SchoolID{seed.BrookLane, seed.Hillcrest} {
		shards[store.LookShard(s)] = true
	}
	if got["Query"] != 1+len(shards) {
		t.Errorf("%d Queries, want %d: %v", got["Query"], 1+len(shards), got)
	}
	if f := w.family("fam-03"); f.Status() != contact.FamilyMissing {
		t.Fatalf("six silent days: %+v", f)
	}
	if got := w.scan("outbox", "kind", "audience", "recipient"); !slices.Equal(got, []string{"[missing dsl " + dsl + "]"}) {
		t.Errorf("alerts %v", got)
	}
}

// message delivers one message to the worker and returns its answer.
func (w *world) message(m message) events.SQSEventResponse {
	w.t.Helper()
	body, err := json.Marshal(m)
	if err != nil {
		w.t.Fatal(err)
	}
	raw, _ := json.Marshal(events.SQSEvent{Records: []events.SQSMessage{{MessageId: "m1", Body: string(body), EventSource: "aws:sqs"}}})
	out, err := w.h.Handle(context.Background(), raw)
	if err != nil {
		w.t.Fatal(err)
	}
	return out.(events.SQSEventResponse)
}

// A message without families (a school with too many due for one, or a message queued before
// the fan-out carried them) has its worker read the school's own from the look index (A24),
// one Query a day since the day last reached, and log the family missing all the same.
func TestRule_E2_AMessageWithoutFamiliesReadsTheSchoolsOwnLooks(t *testing.T) {
	calls := dynamotest.NewCounter()
	db, table := dynamotest.New(t, calls.Install)
	st := store.New(db, table)
	apitest.SeedDemoWithFamilies(t, db, table)
	apitest.Must(t, st.PutClosure(context.Background(), safeguarding.Closure{ID: "autumn", School: seed.BrookLane, From: local("2026-09-03 00:00"),
		StartedBy: head, StartedAt: local("2026-09-03 08:00"), Swept: true, Version: 1}))
	bank := calendar.EnglandAndWales()
	h := &handler{job: engagement.FamilyEscalation{Store: st, BankHolidays: bank, NewID: store.NewID}, schools: st, queueURL: "local"}
	w := &world{t: t, db: db, table: table, st: st, h: h, eng: engagement.Engagement{Store: st, BankHolidays: bank, NewID: store.NewID}}
	w.ack(dsl, local("2026-11-06 16:00"), contact.Acknowledgement{FamilyID: "fam-03"})
	calls.Reset()
	r := w.message(message{School: string(seed.BrookLane), From: "2026-11-16", Time: local("2026-11-17 05:30").UTC().Format(time.RFC3339)})
	if len(r.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v", r.BatchItemFailures)
	}
	if f := w.family("fam-03"); f.Status() != contact.FamilyMissing {
		t.Fatalf("six silent days: %+v", f)
	}
	// With no sheet either: the calendar, the closure and the school, then the look index for
	// Monday and Tuesday.
	if got := calls.Counts(); got["Query"] < 2 {
		t.Errorf("the worker did not read the look index: %v", got)
	}
}

// The families in a message are as the fan-out read them: a family acknowledged since (E6) is
// not logged missing from that old copy; its write is refused on its version and the run skips
// it, writing nothing for it. The message again, or the next run, reads it afresh.
func TestRule_E2_E6_AFamilyAcknowledgedAfterTheFanOutReadItIsSkipped(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	w.ack(dsl, local("2026-11-06 16:00"), contact.Acknowledgement{FamilyID: "fam-03"})
	w.run("2026-11-16")
	now := local("2026-11-17 05:30")
	due, err := w.st.FamiliesDue(ctx, now, []safeguarding.SchoolID{seed.BrookLane}, dueKept)
	if err != nil {
		t.Fatal(err)
	}
	fams := dueFamiliesOf(due.Families[seed.BrookLane])
	if len(fams) != 1 || fams[0].ID != "fam-03" {
		t.Fatalf("due at Brook Lane: %+v", fams)
	}
	w.ack(dsl, local("2026-11-17 05:31"), contact.Acknowledgement{FamilyID: "fam-03"})
	before := w.family("fam-03")
	m := message{School: string(seed.BrookLane), From: "2026-11-16", Time: now.UTC().Format(time.RFC3339), Families: &fams}
	if r := w.message(m); len(r.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v", r.BatchItemFailures)
	}
	if f := w.family("fam-03"); f.Status() != contact.FamilyEngaged || f.Version() != before.Version() {
		t.Errorf("an acknowledged family was changed from the fan-out's copy: %+v", f)
	}
	if got := w.scan("outbox", "id"); len(got) != 0 {
		t.Errorf("alerts %v", got)
	}
}

// A message holds a school's due families only while they fit; a school with more goes
// without them (its worker reads its own).
func TestAMessageCarriesTheDueFamiliesOnlyWhileTheyFit(t *testing.T) {
	var fams []contact.Family
	for i := range 400 {
		fams = append(fams, contact.RestoreFamily(contact.FamilySnapshot{ID: fmt.Sprintf("family-%03d", i), School: "brook-lane",
			Status: contact.FamilyEngaged, LastContactAt: local("2026-11-06 16:00"), NextLook: local("2026-11-17 00:00"), Version: 3,
			Children: []contact.FamilyChild{{Pupil: "pupil-a", ClassName: "Willows"}, {Pupil: "pupil-b", ClassName: "Acorns"}}}))
	}
	now := local("2026-11-17 05:30")
	s := engagement.EscalationSchool{SchoolDue: safeguarding.SchoolDue{ID: "brook-lane"}, Due: fams[:20], DueRead: true}
	var m message
	if err := json.Unmarshal([]byte(messageFor(s, now)), &m); err != nil || m.Families == nil || len(*m.Families) != 20 {
		t.Fatalf("20 families: %v %+v", err, m.Families)
	}
	back, err := families("brook-lane", *m.Families)
	if err != nil || len(back) != 20 || back[0].ID() != "family-000" || back[0].School() != "brook-lane" || back[0].Version() != 3 ||
		!back[0].LastContactAt().Equal(fams[0].LastContactAt()) || !back[0].NextLook().Equal(fams[0].NextLook()) || len(back[0].Children()) != 2 {
		t.Errorf("after the queue: %v %+v", err, back)
	}
	s.Due = fams
	body := messageFor(s, now)
	m = message{}
	if err := json.Unmarshal([]byte(body), &m); err != nil || m.Families != nil || len(body) > messageBytes {
		t.Errorf("400 families: %d bytes, families %v, %v", len(body), m.Families != nil, err)
	}
	s.Due = []contact.Family{}
	m = message{}
	if err := json.Unmarshal([]byte(messageFor(s, now)), &m); err != nil || m.Families == nil || len(*m.Families) != 0 {
		t.Errorf("none due: %+v %v", m.Families, err)
	}
}

// Whatever a message's body, reading it never panics, and a family it carries comes back
// whole or not at all.
func FuzzEscalationMessage(f *testing.F) {
	fams := dueFamiliesOf([]contact.Family{contact.RestoreFamily(contact.FamilySnapshot{ID: "fam-03", School: "brook-lane", Status: contact.FamilyMissing,
		LastContactAt: time.Date(2026, 11, 6, 16, 0, 0, 0, time.UTC), NextLook: local("2026-12-05 00:00"), Version: 2,
		Children: []contact.FamilyChild{{Pupil: "bl-04", ClassName: "Willows"}}})})
	first, _ := json.Marshal(message{School: "brook-lane", From: "2026-11-16", Time: "2026-11-17T05:30:00Z", Families: &fams})
	f.Add(string(first))
	f.Add(`{"school":"x","time":"2026-11-17T05:30:00Z","families":[{"id":"","status":"engaged"}]}`)
	f.Add(`{"school":"x","families":[{"id":"a","status":"gone","nextLook":"tomorrow","version":-1}]}`)
	f.Fuzz(func(t *testing.T, body string) {
		var m message
		if json.Unmarshal([]byte(body), &m) != nil || m.Families == nil {
			return
		}
		_, _ = m.Sheet.forSchool(safeguarding.SchoolID(m.School))
		out, err := families(safeguarding.SchoolID(m.School), *m.Families)
		if err != nil {
			return
		}
		for _, fam := range out {
			if fam.ID() == "" || fam.School() != safeguarding.SchoolID(m.School) || fam.Version() < 0 ||
				(fam.Status() != contact.FamilyEngaged && fam.Status() != contact.FamilyMissing) {
				t.Errorf("a family came back broken: %+v", fam.Snapshot())
			}
		}
	})
}

// schoolsWithDue is a registry of n schools, each with many families due a look.
type schoolsWithDue struct{ n, due int }

func (s schoolsWithDue) EscalationSheets(context.Context) ([]engagement.EscalationSchool, error) {
	var out []engagement.EscalationSchool
	for i := range s.n {
		out = append(out, engagement.EscalationSchool{SchoolDue: safeguarding.SchoolDue{ID: safeguarding.SchoolID(fmt.Sprintf("school-%02d", i))}})
	}
	return out, nil
}

func (s schoolsWithDue) FamiliesDue(_ context.Context, now time.Time, schools []safeguarding.SchoolID, perSchool int) (engagement.DueLooks, error) {
	due := engagement.DueLooks{Families: map[safeguarding.SchoolID][]contact.Family{}, Over: map[safeguarding.SchoolID]bool{}}
	for _, id := range schools {
		for j := range min(s.due, perSchool) {
			due.Families[id] = append(due.Families[id], contact.RestoreFamily(contact.FamilySnapshot{ID: fmt.Sprintf("family-%03d", j), School: id,
				Status: contact.FamilyEngaged, LastContactAt: now.AddDate(0, 0, -9), NextLook: now, Version: 1,
				Children: []contact.FamilyChild{{Pupil: "pupil-a", ClassName: "Willows"}, {Pupil: "pupil-b", ClassName: "Acorns"}}}))
		}
	}
	return due, nil
}

// batches records what the fan-out sends.
type batches struct{ sizes, entries []int }

func (b *batches) SendMessageBatch(_ context.Context, in *sqs.SendMessageBatchInput, _ ...func(*sqs.Options)) (*sqs.SendMessageBatchOutput, error) {
	size := 0
	var ok []sqstypes.SendMessageBatchResultEntry
	for _, e := range in.Entries {
		size += len(aws.ToString(e.MessageBody))
		ok = append(ok, sqstypes.SendMessageBatchResultEntry{Id: e.Id})
	}
	b.sizes, b.entries = append(b.sizes, size), append(b.entries, len(in.Entries))
	return &sqs.SendMessageBatchOutput{Successful: ok}, nil
}

// Messages heavy with families still reach every school, each SendMessageBatch within SQS's
// 256 KiB and ten entries.
func TestTheFanOutKeepsEachBatchWithinSQSsLimit(t *testing.T) {
	b := &batches{}
	h := handler{job: engagement.FamilyEscalation{BankHolidays: calendar.EnglandAndWales()}, schools: schoolsWithDue{n: 25, due: 150}, queue: b, queueURL: "local"}
	r, err := h.fanOut(context.Background(), local("2026-11-17 05:30"))
	if err != nil || r.Enqueued != 25 {
		t.Fatalf("%+v %v", r, err)
	}
	if len(b.sizes) < 3 {
		t.Errorf("%d batches of %v bytes: the messages were not heavy enough to test", len(b.sizes), b.sizes)
	}
	for i, size := range b.sizes {
		if size > 256<<10 || b.entries[i] > 10 {
			t.Errorf("batch %d: %d entries, %d bytes", i, b.entries[i], size)
		}
	}
}
