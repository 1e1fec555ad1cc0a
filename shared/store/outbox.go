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
}

func outboxToItem(a safeguarding.Alert, at time.Time) outboxItem {
	return outboxItem{key: outboxKey(a.ID), Type: typeOutbox, ID: a.ID, School: string(a.School),
		SchoolName: a.SchoolName, Kind: a.Kind, Audience: string(a.Audience), Recipient: a.Recipient,
		Channel: string(a.Channel), Priority: string(a.Priority), Category: string(a.Category),
		Reference: a.Reference, Subject: a.Subject, SubjectOf: a.SubjectKind, CreatedAt: stamp(at), ExpiresAt: at.Add(outboxTTL).Unix()}
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
func (s *Store) LeaseAlert(ctx context.Context, id string, now time.Time, d time.Duration) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 outboxKey(id).av(),
		UpdateExpression:    aws.String("SET leaseUntil = :until ADD attempts :one"),
		ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(sentAt) AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":until": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(d).UnixMilli())},
			":now":   &types.AttributeValueMemberN{Value: fmt.Sprint(now.UnixMilli())},
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
		return ErrLeased
	}
	return wrap("lease alert", err)
}

// ReleaseAlert gives up a lease after a failed send, so a retry need not wait for it to expire.
func (s *Store) ReleaseAlert(ctx context.Context, id string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 outboxKey(id).av(),
		UpdateExpression:    aws.String("REMOVE leaseUntil"),
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
		UpdateExpression: aws.String("SET sentAt = :at, messageId = :mid REMOVE leaseUntil"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at":  &types.AttributeValueMemberS{Value: stamp(at)},
			":mid": &types.AttributeValueMemberS{Value: messageID},
		},
	})
	return wrap("mark alert sent", err)
}
