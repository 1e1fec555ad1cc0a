package store

import (
	"context"
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
