package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// An alert the stream never delivered stays on the unsent index until it is marked sent or
// undeliverable, so the redrive finds it without a Scan: one Query per day.
func TestRule_C4_UnsentAlertsAreFoundByDayUntilMarked(t *testing.T) {
	db, table, calls := dynamotest.NewCountingClient(t)
	s := New(db, table)
	ctx := context.Background()
	day := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	alert := func(id string) safeguarding.Alert {
		return safeguarding.Alert{ID: id, School: "brook-lane", Kind: "concern", Audience: safeguarding.AudienceDSL,
			Recipient: "d@b.example", Channel: safeguarding.ChannelEmail, Priority: safeguarding.PriorityHigh, Reference: "C-1", Subject: "C1"}
	}
	for i, id := range []string{"sent", "undeliverable", "unsent-1", "unsent-2", "next-day"} {
		at := day.Add(time.Duration(i) * time.Minute)
		if id == "next-day" {
			at = day.Add(24 * time.Hour)
		}
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: marshal(outboxToItem(alert(id), at))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkAlertSent(ctx, "sent", "m-1", day); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkAlertUndeliverable(ctx, "undeliverable", "no-endpoint", day); err != nil {
		t.Fatal(err)
	}
	calls.Reset()
	got, err := s.UnsentAlerts(ctx, day, day.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Total(); n != 1 {
		t.Errorf("%d round trips, want one Query", n)
	}
	if len(got) != 2 || got[0].ID != "unsent-1" || got[1].ID != "unsent-2" || got[0] != alert("unsent-1") {
		t.Errorf("unsent = %+v", got)
	}
	// Only what was written before the given time: an alert being sent right now is left alone.
	if got, _ := s.UnsentAlerts(ctx, day, day.Add(3*time.Minute)); len(got) != 1 || got[0].ID != "unsent-1" {
		t.Errorf("unsent before 09:03 = %+v", got)
	}
	if got, _ := s.UnsentAlerts(ctx, day.Add(24*time.Hour), day.Add(48*time.Hour)); len(got) != 1 || got[0].ID != "next-day" {
		t.Errorf("unsent the next day = %+v", got)
	}
	if OutboxRetention < 7*24*time.Hour {
		t.Errorf("outbox items are kept %v: too short for a redrive after a weekend", OutboxRetention)
	}
}

// answerLost is DynamoDB as the SDK sees it when a write's answer is lost: each UpdateItem and
// PutItem is done, then sent again with the same input (the SDK's retry), and the caller gets
// the second answer.
type answerLost struct{ API }

func (a answerLost) PutItem(ctx context.Context, in *dynamodb.PutItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	if _, err := a.API.PutItem(ctx, in, opts...); err != nil {
		return nil, err
	}
	return a.API.PutItem(ctx, in, opts...)
}

func (a answerLost) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, opts ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if _, err := a.API.UpdateItem(ctx, in, opts...); err != nil {
		return nil, err
	}
	return a.API.UpdateItem(ctx, in, opts...)
}

// A lease whose answer was lost and whose retry finds it taken is the call's own: the sender
// goes on to publish, once, and another sender is still kept off until it lapses.
func TestRule_C4_ALeaseRetriedAfterItsAnswerWasLostIsTheCallersOwn(t *testing.T) {
	db, table, _ := dynamotest.NewCountingClient(t)
	s, lost := New(db, table), New(answerLost{db}, table)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	a := safeguarding.Alert{ID: "lost-answer", School: "brook-lane", Kind: "concern", Audience: safeguarding.AudienceDSL,
		Recipient: "d@b.example", Channel: safeguarding.ChannelEmail, Priority: safeguarding.PriorityHigh, Reference: "C-1", Subject: "C1"}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: marshal(outboxToItem(a, now))}); err != nil {
		t.Fatal(err)
	}
	if err := lost.LeaseAlert(ctx, a.ID, now, time.Minute); err != nil {
		t.Fatalf("a lease retried after its answer was lost: %v", err)
	}
	if err := s.LeaseAlert(ctx, a.ID, now.Add(time.Second), time.Minute); !errors.Is(err, ErrLeased) {
		t.Errorf("another sender while the lease holds: %v, want ErrLeased", err)
	}
	if err := lost.MarkAlertSent(ctx, a.ID, "m-1", now); err != nil {
		t.Fatalf("a mark retried after its answer was lost: %v", err)
	}
	if err := s.LeaseAlert(ctx, a.ID, now.Add(2*time.Minute), time.Minute); !errors.Is(err, ErrAlreadySent) {
		t.Errorf("after the mark: %v, want ErrAlreadySent", err)
	}
	var it struct {
		Attempts int    `dynamodbav:"attempts"`
		LeaseBy  string `dynamodbav:"leaseBy"`
	}
	if ok, err := s.getItem(ctx, outboxKey(a.ID), &it, true); err != nil || !ok {
		t.Fatal(ok, err)
	}
	if it.Attempts != 1 || it.LeaseBy != "" {
		t.Errorf("attempts %d (want one lease), leaseBy %q (want it removed with the mark)", it.Attempts, it.LeaseBy)
	}
}

// An audit entry whose put was done and whose answer was lost is saved once and answered as
// saved; another entry under its id is still refused (rule P4: never over another).
func TestRule_P4_AnAuditEntryRetriedAfterItsAnswerWasLostIsSavedOnce(t *testing.T) {
	db, table, _ := dynamotest.NewCountingClient(t)
	lost := New(answerLost{db}, table)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	e := safeguarding.AuditEntry{ID: NewID(at), School: "brook-lane", Actor: "person/a", Action: "chronology.read",
		Subject: "pupil/bl-01", At: at, Source: "test"}
	if err := lost.Audit(ctx, e); err != nil {
		t.Fatalf("an audit entry retried after its answer was lost: %v", err)
	}
	other := e
	other.Action = "concern.read"
	if err := New(db, table).Audit(ctx, other); err == nil {
		t.Error("another entry was saved over the first")
	}
}
