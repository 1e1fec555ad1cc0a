package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func TestProfileKeepsTheMobileForSMSAlerts(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	with := safeguarding.Principal{Email: "d@brook.example", Name: "D", Mobile: "+447700900002",
		Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"brook-lane": {safeguarding.RoleDSL}}}
	without := safeguarding.Principal{Email: "s@brook.example", Name: "S",
		Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"brook-lane": {safeguarding.RoleStaff}}}
	for _, p := range []safeguarding.Principal{with, without} {
		if err := s.PutUser(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.Principal(ctx, with.Email)
	if err != nil || p.Mobile != with.Mobile {
		t.Fatalf("principal %+v %v", p, err)
	}
	got, err := s.Profiles(ctx, []string{with.Email, without.Email, "nobody@brook.example"})
	if err != nil || len(got) != 2 || got[with.Email].Mobile != with.Mobile || got[without.Email].Mobile != "" {
		t.Fatalf("profiles %+v %v", got, err)
	}
	// No mobile, no attribute: nothing to mistake for a number.
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: userKey(without.Email).av()})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := out.Item["mobile"]; ok {
		t.Error("a profile without a mobile has a mobile attribute")
	}
}

func TestAlertTopicsAndSubscriptionsLiveWithTheSchool(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	sub := func(email string, ch safeguarding.Channel, addr string, shard int) safeguarding.AlertSubscription {
		return safeguarding.AlertSubscription{AlertEndpoint: safeguarding.AlertEndpoint{School: school, Email: email, Channel: ch, Address: addr},
			Shard: shard, TopicARN: "arn:t" + string(rune('0'+shard)), SubscriptionARN: "arn:s:" + email + ":" + string(ch), FilterPolicy: "{}"}
	}
	for _, err := range []error{
		s.PutSchool(ctx, safeguarding.School{ID: school, Name: "Brook Lane"}),
		s.PutAlertTopic(ctx, safeguarding.AlertTopic{School: school, Shard: 1, ARN: "arn:t1"}),
		s.PutAlertTopic(ctx, safeguarding.AlertTopic{School: school, Shard: 2, ARN: "arn:t2"}),
		s.PutAlertSubscription(ctx, sub("a@b.example", safeguarding.ChannelEmail, "a@b.example", 1)),
		s.PutAlertSubscription(ctx, sub("a@b.example", safeguarding.ChannelSMS, "+447700900001", 1)),
		// An email that starts like another's is another person.
		s.PutAlertSubscription(ctx, sub("a@b.example.org", safeguarding.ChannelEmail, "a@b.example.org", 2)),
		s.PutAlertSubscription(ctx, sub("other@b.example", safeguarding.ChannelEmail, "other@b.example", 2)),
		s.PutAlertSubscription(ctx, safeguarding.AlertSubscription{AlertEndpoint: safeguarding.AlertEndpoint{School: "hillcrest", Email: "a@b.example", Channel: safeguarding.ChannelEmail}}),
		s.LeaseAlertSubscriptions(ctx, school, "me", time.Now(), time.Minute),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	topics, subs, err := s.AlertState(ctx, school)
	if err != nil || len(topics) != 2 || len(subs) != 4 || topics[1].ARN != "arn:t2" {
		t.Fatalf("state: topics %+v subs %d %v", topics, len(subs), err)
	}
	route, err := s.AlertRoute(ctx, school, "a@b.example")
	if err != nil || len(route) != 2 || route[0].TopicARN != "arn:t1" {
		t.Fatalf("route %+v %v", route, err)
	}
	if err := s.DeleteAlertSubscription(ctx, school, "a@b.example", safeguarding.ChannelSMS); err != nil {
		t.Fatal(err)
	}
	route, _ = s.AlertRoute(ctx, school, "a@b.example")
	if len(route) != 1 || route[0].Channel != safeguarding.ChannelEmail {
		t.Errorf("after delete: %+v", route)
	}
	if route, _ := s.AlertRoute(ctx, school, "nobody@b.example"); len(route) != 0 {
		t.Errorf("nobody's route %+v", route)
	}
}

func TestOneReconcilerPerSchoolAtATime(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	if err := s.LeaseAlertSubscriptions(ctx, "brook-lane", "one", now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.LeaseAlertSubscriptions(ctx, "brook-lane", "two", now.Add(time.Second), time.Minute); !errors.Is(err, ErrSubscriptionsBusy) {
		t.Fatalf("second lease: %v", err)
	}
	if err := s.LeaseAlertSubscriptions(ctx, "hillcrest", "two", now, time.Minute); err != nil {
		t.Fatalf("another school: %v", err)
	}
	// Only the holder releases; an expired lease is taken over.
	if err := s.ReleaseAlertSubscriptions(ctx, "brook-lane", "two"); err != nil {
		t.Fatal(err)
	}
	if err := s.LeaseAlertSubscriptions(ctx, "brook-lane", "two", now.Add(time.Second), time.Minute); !errors.Is(err, ErrSubscriptionsBusy) {
		t.Fatalf("released by a stranger: %v", err)
	}
	if err := s.LeaseAlertSubscriptions(ctx, "brook-lane", "two", now.Add(2*time.Minute), time.Minute); err != nil {
		t.Fatalf("expired lease: %v", err)
	}
	if err := s.ReleaseAlertSubscriptions(ctx, "brook-lane", "two"); err != nil {
		t.Fatal(err)
	}
	if err := s.LeaseAlertSubscriptions(ctx, "brook-lane", "three", now.Add(2*time.Minute), time.Minute); err != nil {
		t.Fatalf("after release: %v", err)
	}
}

func TestRule_C4_AnUndeliverableAlertIsRecordedNotLost(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	a := safeguarding.Alert{ID: "C1#d@b.example#sms", School: "brook-lane", Kind: "concern", Audience: safeguarding.AudienceDSL,
		Recipient: "d@b.example", Channel: safeguarding.ChannelSMS, Priority: safeguarding.PriorityHigh, Reference: "C-1"}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: marshal(outboxToItem(a, now))}); err != nil {
		t.Fatal(err)
	}
	if err := s.LeaseAlert(ctx, a.ID, now, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkAlertUndeliverable(ctx, a.ID, "no-endpoint", now); err != nil {
		t.Fatal(err)
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: outboxKey(a.ID).av()})
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := out.Item["undeliverable"].(*types.AttributeValueMemberS); !ok || v.Value != "no-endpoint" {
		t.Errorf("undeliverable = %v", out.Item["undeliverable"])
	}
	if _, ok := out.Item["leaseUntil"]; ok {
		t.Error("the lease is kept")
	}
	// A sent alert is never marked undeliverable afterwards.
	if err := s.MarkAlertSent(ctx, a.ID, "m-1", now); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkAlertUndeliverable(ctx, a.ID, "no-endpoint", now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	out, _ = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: outboxKey(a.ID).av()})
	if v := out.Item["undeliverableAt"].(*types.AttributeValueMemberS).Value; v != stamp(now) {
		t.Errorf("undeliverableAt moved to %s after the alert was sent", v)
	}
}
