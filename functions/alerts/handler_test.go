package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

type fakeSNS struct {
	mu   sync.Mutex
	sent []safeguarding.Alert
	fail int // fail this many publishes first
}

func (f *fakeSNS) Publish(_ context.Context, a safeguarding.Alert) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail > 0 {
		f.fail--
		return "", errors.New("sns: throttled")
	}
	f.sent = append(f.sent, a)
	return fmt.Sprintf("m-%d", len(f.sent)), nil
}

// outboxEvent records a high-priority concern and returns the stream event its outbox items
// would raise, read back from the table as the stream would carry them.
func outboxEvent(t *testing.T) (*dynamodb.Client, string, events.DynamoDBEvent) {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	ctx := context.Background()
	school := safeguarding.School{ID: "brook-lane", Name: "Brook Lane Primary", Roster: []safeguarding.StaffMember{
		{Email: "t@brook.example", Roles: []safeguarding.Role{safeguarding.RoleTeacher}},
		{Email: "d@brook.example", Roles: []safeguarding.Role{safeguarding.RoleDSL}},
	}}
	author := safeguarding.Principal{Email: "t@brook.example", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"brook-lane": {safeguarding.RoleTeacher}}}
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	c, err := concerns.RecordConcern("01JALERTS0000000000000000A", concerns.NewConcern{
		PupilIDs: []safeguarding.PupilID{"p1"}, Category: "safeguarding", HighPriority: true, ObservedAt: now, Details: "x",
	}, author, school, map[safeguarding.PupilID]safeguarding.Pupil{"p1": {ID: "p1", School: "brook-lane"}},
		concerns.PolicyCatalogue(), safeguarding.Weekdays{}, now)
	if err != nil {
		t.Fatal(err)
	}
	alerts := concerns.ConcernAlerts(c, school)
	if err := st.SaveConcern(ctx, concerns.ConcernWrite{Concern: c, Entries: concerns.ConcernEntries(c), Alerts: alerts,
		Audit: safeguarding.AuditEntry{ID: "a1", School: "brook-lane", At: now}}); err != nil {
		t.Fatal(err)
	}
	var ev events.DynamoDBEvent
	for i, a := range alerts {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{
			"PK": &types.AttributeValueMemberS{Value: "OUTBOX#" + a.ID}, "SK": &types.AttributeValueMemberS{Value: "OUTBOX"}}})
		if err != nil || out.Item == nil {
			t.Fatalf("outbox item %s: %v", a.ID, err)
		}
		ev.Records = append(ev.Records, events.DynamoDBEventRecord{EventID: fmt.Sprint(i), EventName: "INSERT",
			Change: events.DynamoDBStreamRecord{SequenceNumber: fmt.Sprint(100 + i), NewImage: image(out.Item)}})
	}
	return db, table, ev
}

// image converts an item to the stream's attribute values (strings and numbers are enough here).
func image(item map[string]types.AttributeValue) map[string]events.DynamoDBAttributeValue {
	out := map[string]events.DynamoDBAttributeValue{}
	for k, v := range item {
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			out[k] = events.NewStringAttribute(v.Value)
		case *types.AttributeValueMemberN:
			out[k] = events.NewNumberAttribute(v.Value)
		}
	}
	return out
}

func newHandler(db *dynamodb.Client, table string, sns *fakeSNS) handler {
	return handler{outbox: store.New(db, table), publisher: sns, now: time.Now}
}

func TestRule_C4_EveryOutboxItemIsPublishedOnce(t *testing.T) {
	db, table, ev := outboxEvent(t)
	if len(ev.Records) != 2 {
		t.Fatalf("%d outbox items, want SMS and email to the DSL", len(ev.Records))
	}
	sns := &fakeSNS{}
	h := newHandler(db, table, sns)
	for range 3 { // Lambda delivers at least once: the same batch three times.
		resp, err := h.Handle(context.Background(), ev)
		if err != nil || len(resp.BatchItemFailures) != 0 {
			t.Fatalf("resp %+v err %v", resp, err)
		}
	}
	if len(sns.sent) != 2 {
		t.Fatalf("published %d, want 2", len(sns.sent))
	}
	channels := map[safeguarding.Channel]bool{}
	for _, a := range sns.sent {
		channels[a.Channel] = true
		if a.Recipient != "d@brook.example" || a.Priority != safeguarding.PriorityHigh {
			t.Errorf("alert %+v", a)
		}
	}
	if !channels[safeguarding.ChannelSMS] || !channels[safeguarding.ChannelEmail] {
		t.Errorf("channels %v", channels)
	}
}

func TestFailedPublishIsReportedBySequenceNumberAndRetried(t *testing.T) {
	db, table, ev := outboxEvent(t)
	sns := &fakeSNS{fail: 1}
	h := newHandler(db, table, sns)
	resp, _ := h.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != "100" {
		t.Fatalf("failures %+v, want the first record's sequence number", resp.BatchItemFailures)
	}
	// Lambda retries from the failed record; its lease was released, so it goes at once.
	resp, _ = h.Handle(context.Background(), events.DynamoDBEvent{Records: ev.Records})
	if len(resp.BatchItemFailures) != 0 || len(sns.sent) != 2 {
		t.Fatalf("retry: failures %+v, sent %d", resp.BatchItemFailures, len(sns.sent))
	}
}

func TestAlertLeasedByAnotherInvocationIsRetriedLater(t *testing.T) {
	db, table, ev := outboxEvent(t)
	st := store.New(db, table)
	a, err := store.AlertFromImage(ev.Records[0].Change.NewImage)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.LeaseAlert(context.Background(), a.ID, time.Now(), time.Minute); err != nil {
		t.Fatal(err)
	}
	sns := &fakeSNS{}
	resp, _ := newHandler(db, table, sns).Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 1 || len(sns.sent) != 1 {
		t.Fatalf("failures %+v sent %d: the leased alert must wait, the other go", resp.BatchItemFailures, len(sns.sent))
	}
}

func TestNotAnOutboxItemIsSkipped(t *testing.T) {
	db, table := dynamotest.New(t)
	ev := events.DynamoDBEvent{Records: []events.DynamoDBEventRecord{{EventID: "1", Change: events.DynamoDBStreamRecord{
		SequenceNumber: "1", NewImage: map[string]events.DynamoDBAttributeValue{"type": events.NewStringAttribute("concern")}}}}}
	sns := &fakeSNS{}
	resp, err := newHandler(db, table, sns).Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 || len(sns.sent) != 0 {
		t.Fatalf("resp %+v err %v sent %d", resp, err, len(sns.sent))
	}
}

// routedSNS answers as alert.Publisher does for a recipient with no subscription on a channel.
type routedSNS struct {
	fakeSNS
	missing map[safeguarding.Channel]error
}

func (r *routedSNS) Publish(ctx context.Context, a safeguarding.Alert) (string, error) {
	if err := r.missing[a.Channel]; err != nil {
		return "", err
	}
	return r.fakeSNS.Publish(ctx, a)
}

func outboxAttr(t *testing.T, db *dynamodb.Client, table, id, name string) string {
	t.Helper()
	out, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &table, Key: map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "OUTBOX#" + id}, "SK": &types.AttributeValueMemberS{Value: "OUTBOX"}}})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := out.Item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// A DSL with no mobile: the email goes, the SMS is recorded on its outbox item as
// undeliverable (and counted in the log), and the batch does not fail for it.
func TestRule_C4_AnSMSForSomeoneWithNoMobileIsRecordedUndeliverable(t *testing.T) {
	db, table, ev := outboxEvent(t)
	sns := &routedSNS{missing: map[safeguarding.Channel]error{safeguarding.ChannelSMS: alert.ErrNoEndpoint}}
	h := handler{outbox: store.New(db, table), publisher: sns, now: time.Now}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("resp %+v err %v", resp, err)
	}
	if len(sns.sent) != 1 || sns.sent[0].Channel != safeguarding.ChannelEmail {
		t.Fatalf("sent %+v, want the email", sns.sent)
	}
	for _, rec := range ev.Records {
		a, _ := store.AlertFromImage(rec.Change.NewImage)
		why, sent := outboxAttr(t, db, table, a.ID, "undeliverable"), outboxAttr(t, db, table, a.ID, "sentAt")
		switch a.Channel {
		case safeguarding.ChannelSMS:
			if why != reasonNoEndpoint || sent != "" {
				t.Errorf("SMS: undeliverable %q sentAt %q", why, sent)
			}
		default:
			if why != "" || sent == "" {
				t.Errorf("email: undeliverable %q sentAt %q", why, sent)
			}
		}
	}
}

// Someone not subscribed yet may be a moment from it: a recent alert is retried, an older one
// recorded as undeliverable.
func TestAnAlertForSomeoneNotSubscribedIsRetriedWhileRecentThenRecorded(t *testing.T) {
	db, table, ev := outboxEvent(t)
	sns := &routedSNS{missing: map[safeguarding.Channel]error{
		safeguarding.ChannelSMS: alert.ErrNotSubscribed, safeguarding.ChannelEmail: alert.ErrNotSubscribed}}
	now := time.Now()
	h := handler{outbox: store.New(db, table), publisher: sns, now: func() time.Time { return now }}
	for i := range ev.Records {
		ev.Records[i].Change.ApproximateCreationDateTime = events.SecondsEpochTime{Time: now.Add(-10 * time.Second)}
	}
	resp, _ := h.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 2 {
		t.Fatalf("failures %+v, want both retried", resp.BatchItemFailures)
	}
	now = now.Add(settle)
	resp, _ = h.Handle(context.Background(), ev)
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures %+v, want both recorded", resp.BatchItemFailures)
	}
	for _, rec := range ev.Records {
		a, _ := store.AlertFromImage(rec.Change.NewImage)
		if why := outboxAttr(t, db, table, a.ID, "undeliverable"); why != reasonNotSubscribed {
			t.Errorf("%s: undeliverable %q", a.Channel, why)
		}
	}
}
