package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// outboxItem is an alert waiting to be sent. It commits with the record that caused it; the
// table's stream carries it to the alerts function. It holds no pupil data (rule S2).
type outboxItem struct {
	key
	Type       string `dynamodbav:"type"`
	ID         string `dynamodbav:"id"`
	School     string `dynamodbav:"school"`
	SchoolName string `dynamodbav:"schoolName"`
	Kind       string `dynamodbav:"kind"`
	Audience   string `dynamodbav:"audience"`
	Recipient  string `dynamodbav:"recipient"`
	Channel    string `dynamodbav:"channel"`
	Priority   string `dynamodbav:"priority"`
	Category   string `dynamodbav:"category"`
	Reference  string `dynamodbav:"reference"`
	Subject    string `dynamodbav:"subject"`
	SubjectOf  string `dynamodbav:"subjectKind,omitempty"`
	CreatedAt  string `dynamodbav:"createdAt"`
	ExpiresAt  int64  `dynamodbav:"expiresAt"`
	// GSI2PK and GSI2SK put the item on the unsent index (A12b) until it is marked sent or
	// undeliverable: the redrive finds there what the stream failed to deliver.
	GSI2PK string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK string `dynamodbav:"GSI2SK,omitempty"`
}

// unsentPK is the unsent index's partition (GSI2): the outbox items of one UTC day not yet
// marked sent or undeliverable.
func unsentPK(day string) string { return "OUTBOX#UNSENT#" + day }

func outboxToItem(a safeguarding.Alert, at time.Time) outboxItem {
	return outboxItem{key: outboxKey(a.ID), Type: typeOutbox, ID: a.ID, School: string(a.School),
		SchoolName: a.SchoolName, Kind: a.Kind, Audience: string(a.Audience), Recipient: a.Recipient,
		Channel: string(a.Channel), Priority: string(a.Priority), Category: string(a.Category),
		Reference: a.Reference, Subject: a.Subject, SubjectOf: a.SubjectKind, CreatedAt: stamp(at), ExpiresAt: at.Add(outboxTTL).Unix(),
		GSI2PK: unsentPK(at.UTC().Format(time.DateOnly)), GSI2SK: stamp(at) + "#" + a.ID}
}

// AlertFromImage reads an outbox item from a stream record's new image.
func AlertFromImage(img map[string]events.DynamoDBAttributeValue) (safeguarding.Alert, error) {
	str := func(name string) string {
		v, ok := img[name]
		if !ok || v.DataType() != events.DataTypeString {
			return ""
		}
		return v.String()
	}
	if str("type") != typeOutbox {
		return safeguarding.Alert{}, fmt.Errorf("store: stream image is a %q, not an outbox item: %w", str("type"), safeguarding.ErrInvalid)
	}
	a := safeguarding.Alert{
		ID: str("id"), School: safeguarding.SchoolID(str("school")), SchoolName: str("schoolName"), Kind: str("kind"),
		Audience: safeguarding.Audience(str("audience")), Recipient: str("recipient"),
		Channel: safeguarding.Channel(str("channel")), Priority: safeguarding.Priority(str("priority")),
		Category: safeguarding.Category(str("category")), Reference: str("reference"), Subject: str("subject"), SubjectKind: str("subjectKind"),
	}
	if a.ID == "" || a.School == "" || a.Recipient == "" || a.Channel == "" {
		return a, fmt.Errorf("store: outbox item lacks id, school, recipient or channel: %w", safeguarding.ErrInvalid)
	}
	return a, nil
}

// Lease outcomes.
var (
	// ErrAlreadySent: the alert was sent before; a repeated delivery has nothing to do.
	ErrAlreadySent = errors.New("alert already sent")
	// ErrLeased: another invocation is sending the alert now; try again later.
	ErrLeased = errors.New("alert being sent by another invocation")
)

// LeaseAlert takes the right to send an alert until now+d, unless it was sent already
// (ErrAlreadySent) or another sender holds an unexpired lease (ErrLeased). One UpdateItem.
// The lease carries a token of this call: when DynamoDB took the lease but its answer was lost
// and the SDK's retry then finds the lease taken, the token says it is this call's own.
func (s *Store) LeaseAlert(ctx context.Context, id string, now time.Time, d time.Duration) error {
	token := NewID(now)
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 outboxKey(id).av(),
		UpdateExpression:    aws.String("SET leaseUntil = :until, leaseBy = :by ADD attempts :one"),
		ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(sentAt) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":until": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(d).UnixMilli())},
			":now":   &types.AttributeValueMemberN{Value: fmt.Sprint(now.UnixMilli())},
			":by":    str(token),
			":one":   &types.AttributeValueMemberN{Value: "1"},
		},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		if _, sent := failed.Item["sentAt"]; sent {
			return ErrAlreadySent
		}
		if failed.Item == nil {
			return fmt.Errorf("store: outbox item %s: %w", id, safeguarding.ErrNotFound)
		}
		if by, ok := failed.Item["leaseBy"].(*types.AttributeValueMemberS); ok && by.Value == token {
			return nil // an earlier attempt of this call took it
		}
		return ErrLeased
	}
	return wrap("lease alert", err)
}

// ReleaseAlert gives up a lease after a failed send, so a retry need not wait for it to expire.
func (s *Store) ReleaseAlert(ctx context.Context, id string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 outboxKey(id).av(),
		UpdateExpression:    aws.String("REMOVE leaseUntil, leaseBy"),
		ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(sentAt)"),
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	return wrap("release alert", err)
}

// MarkAlertSent records that an alert was handed to SNS, with SNS's message id.
func (s *Store) MarkAlertSent(ctx context.Context, id, messageID string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        &s.table,
		Key:              outboxKey(id).av(),
		UpdateExpression: aws.String("SET sentAt = :at, messageId = :mid REMOVE leaseUntil, leaseBy, GSI2PK, GSI2SK"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at":  &types.AttributeValueMemberS{Value: stamp(at)},
			":mid": &types.AttributeValueMemberS{Value: messageID},
		},
	})
	return wrap("mark alert sent", err)
}

// OutboxRetention is how long an outbox item is kept (its TTL): the window in which an alert
// the stream failed to deliver can still be found and sent by the redrive.
const OutboxRetention = outboxTTL

// UnsentAlerts returns the alerts written on the UTC day of day, before before, that are
// marked neither sent nor undeliverable, oldest first: one Query of the unsent index (GSI2)
// per page of 1,000 items. Eventually consistent, as every index read: an alert marked sent a
// moment ago may still be listed, and LeaseAlert then says ErrAlreadySent.
func (s *Store) UnsentAlerts(ctx context.Context, day, before time.Time) ([]safeguarding.Alert, error) {
	var out []safeguarding.Alert
	var start map[string]types.AttributeValue
	for {
		res, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:              &s.table,
			IndexName:              aws.String("GSI2"),
			KeyConditionExpression: aws.String("GSI2PK = :pk AND GSI2SK < :before"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk":     &types.AttributeValueMemberS{Value: unsentPK(day.UTC().Format(time.DateOnly))},
				":before": &types.AttributeValueMemberS{Value: stamp(before)},
			},
			ExclusiveStartKey: start,
			Limit:             aws.Int32(1000),
		})
		if err != nil {
			return nil, wrap("unsent alerts", err)
		}
		for _, it := range res.Items {
			var o outboxItem
			if err := unmarshal(it, &o); err != nil {
				return nil, wrap("unsent alerts", err)
			}
			out = append(out, safeguarding.Alert{
				ID: o.ID, School: safeguarding.SchoolID(o.School), SchoolName: o.SchoolName, Kind: o.Kind,
				Audience: safeguarding.Audience(o.Audience), Recipient: o.Recipient, Channel: safeguarding.Channel(o.Channel),
				Priority: safeguarding.Priority(o.Priority), Category: safeguarding.Category(o.Category),
				Reference: o.Reference, Subject: o.Subject, SubjectKind: o.SubjectOf,
			})
		}
		if start = res.LastEvaluatedKey; start == nil {
			return out, nil
		}
	}
}
