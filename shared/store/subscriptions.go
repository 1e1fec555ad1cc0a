package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// A school's alert topics and subscriptions live in a partition of their own, so the
// subscriptions function reads them all with one Query, the alerts function finds a
// recipient's with another, and the subscriptions function's role may delete items of this
// partition and of no other (its DeleteItem is conditioned on the partition key):
//
//	ALERTS#<school> / TOPIC#<shard, 3 digits>         one per SNS topic of the school
//	ALERTS#<school> / SUB#<email>#<channel>           one per person and channel
//	ALERTS#<school> / LEASE                           one reconciler at a time
const (
	typeAlertTopic        = "alert-topic"
	typeAlertSubscription = "alert-subscription"
	typeAlertLease        = "alert-lease"
)

// alertsPK starts with a word no other partition starts with, so that an IAM condition on
// the leading key ("ALERTS#*") names these items and nothing else.
func alertsPK(s safeguarding.SchoolID) string { return "ALERTS#" + string(s) }

func alertTopicKey(s safeguarding.SchoolID, shard int) key {
	return key{PK: alertsPK(s), SK: fmt.Sprintf("TOPIC#%03d", shard)}
}

// alertSubPrefix is the start of every subscription key of one person in a school. An email's
// domain holds no '#', so one person's prefix is never the start of another's.
func alertSubPrefix(email string) string { return "SUB#" + email + "#" }

func alertSubKey(s safeguarding.SchoolID, email string, ch safeguarding.Channel) key {
	return key{PK: alertsPK(s), SK: alertSubPrefix(email) + string(ch)}
}

func alertLeaseKey(s safeguarding.SchoolID) key { return key{PK: alertsPK(s), SK: "LEASE"} }

type alertTopicItem struct {
	key
	Type   string `dynamodbav:"type"`
	School string `dynamodbav:"school"`
	Shard  int    `dynamodbav:"shard"`
	ARN    string `dynamodbav:"arn"`
}

// alertSubItem holds the endpoint (an email address or a mobile number) so the reconciler
// sees when it changed; the item is in the encrypted table like the profile it came from.
type alertSubItem struct {
	key
	Type            string `dynamodbav:"type"`
	School          string `dynamodbav:"school"`
	Email           string `dynamodbav:"email"`
	Channel         string `dynamodbav:"channel"`
	Address         string `dynamodbav:"address"`
	Shard           int    `dynamodbav:"shard"`
	TopicARN        string `dynamodbav:"topicArn"`
	SubscriptionARN string `dynamodbav:"subscriptionArn"`
	FilterPolicy    string `dynamodbav:"filterPolicy"`
}

func alertSubToItem(s safeguarding.AlertSubscription) alertSubItem {
	return alertSubItem{key: alertSubKey(s.School, s.Email, s.Channel), Type: typeAlertSubscription,
		School: string(s.School), Email: s.Email, Channel: string(s.Channel), Address: s.Address, Shard: s.Shard,
		TopicARN: s.TopicARN, SubscriptionARN: s.SubscriptionARN, FilterPolicy: s.FilterPolicy}
}

func alertSubFromItem(it alertSubItem) safeguarding.AlertSubscription {
	return safeguarding.AlertSubscription{
		AlertEndpoint: safeguarding.AlertEndpoint{School: safeguarding.SchoolID(it.School), Email: it.Email,
			Channel: safeguarding.Channel(it.Channel), Address: it.Address},
		Shard: it.Shard, TopicARN: it.TopicARN, SubscriptionARN: it.SubscriptionARN, FilterPolicy: it.FilterPolicy,
	}
}

// queryAll runs a Query to its last page.
func (s *Store) queryAll(ctx context.Context, in *dynamodb.QueryInput, what string) ([]map[string]types.AttributeValue, error) {
	var items []map[string]types.AttributeValue
	for {
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, wrap(what, err)
		}
		items = append(items, out.Items...)
		if len(out.LastEvaluatedKey) == 0 {
			return items, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// AlertState reads a school's alert topics (by shard) and subscriptions in one Query of their
// partition (paged, consistent), for the reconciler.
func (s *Store) AlertState(ctx context.Context, school safeguarding.SchoolID) ([]safeguarding.AlertTopic, []safeguarding.AlertSubscription, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(alertsPK(school))},
		ConsistentRead:            aws.Bool(true),
	}, "alert state")
	if err != nil {
		return nil, nil, err
	}
	var topics []safeguarding.AlertTopic
	var subs []safeguarding.AlertSubscription
	for _, item := range items {
		var head struct {
			Type string `dynamodbav:"type"`
		}
		if err := unmarshal(item, &head); err != nil {
			return nil, nil, err
		}
		switch head.Type {
		case typeAlertTopic:
			var it alertTopicItem
			if err := unmarshal(item, &it); err != nil {
				return nil, nil, err
			}
			topics = append(topics, safeguarding.AlertTopic{School: safeguarding.SchoolID(it.School), Shard: it.Shard, ARN: it.ARN})
		case typeAlertSubscription:
			var it alertSubItem
			if err := unmarshal(item, &it); err != nil {
				return nil, nil, err
			}
			subs = append(subs, alertSubFromItem(it))
		}
	}
	return topics, subs, nil
}

// AlertRoute reads one person's subscriptions to a school's alerts (one per channel they
// receive), for the alerts function to publish to the topic that holds them. None: the
// person is not subscribed there.
func (s *Store) AlertRoute(ctx context.Context, school safeguarding.SchoolID, email string) ([]safeguarding.AlertSubscription, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :p)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(alertsPK(school)), ":p": str(alertSubPrefix(email))},
	}, "alert route")
	if err != nil {
		return nil, err
	}
	subs := make([]safeguarding.AlertSubscription, 0, len(items))
	for _, item := range items {
		var it alertSubItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		if it.Type == typeAlertSubscription && it.Email == email {
			subs = append(subs, alertSubFromItem(it))
		}
	}
	return subs, nil
}

// PutAlertTopic records a school's topic for a shard.
func (s *Store) PutAlertTopic(ctx context.Context, t safeguarding.AlertTopic) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: marshal(alertTopicItem{
		key: alertTopicKey(t.School, t.Shard), Type: typeAlertTopic, School: string(t.School), Shard: t.Shard, ARN: t.ARN,
	})})
	return wrap("put alert topic", err)
}

// PutAlertSubscription records one person's subscription on one channel.
func (s *Store) PutAlertSubscription(ctx context.Context, sub safeguarding.AlertSubscription) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: marshal(alertSubToItem(sub))})
	return wrap("put alert subscription", err)
}

// DeleteAlertSubscription forgets a subscription after it was unsubscribed. (Subscriptions
// are not records of rule P4: they only say where alerts go now.)
func (s *Store) DeleteAlertSubscription(ctx context.Context, school safeguarding.SchoolID, email string, ch safeguarding.Channel) error {
	_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Delete: &types.Delete{TableName: &s.table, Key: alertSubKey(school, email, ch).av()}},
	}})
	return wrap("delete alert subscription", err)
}

// Profiles reads the profiles of the named people (BatchGetItem, 100 at a time), keyed by
// email; people without a profile are left out.
func (s *Store) Profiles(ctx context.Context, emails []string) (map[string]safeguarding.Principal, error) {
	out := make(map[string]safeguarding.Principal, len(emails))
	for start := 0; start < len(emails); start += 100 {
		keys := make([]key, 0, 100)
		for _, e := range emails[start:min(start+100, len(emails))] {
			keys = append(keys, userKey(e))
		}
		found, err := s.batchGet(ctx, keys)
		if err != nil {
			return nil, err
		}
		for _, item := range found {
			var it userItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			out[it.Email] = userFromItem(it)
		}
	}
	return out, nil
}

// ErrSubscriptionsBusy: another invocation is reconciling the school's subscriptions now.
var ErrSubscriptionsBusy = errors.New("subscriptions of the school being reconciled by another invocation")

// LeaseAlertSubscriptions takes the right to change a school's subscriptions until now+d, so
// two invocations (a roster change and a profile change at once) never count one topic's
// subscriptions twice. ErrSubscriptionsBusy when another holds an unexpired lease.
func (s *Store) LeaseAlertSubscriptions(ctx context.Context, school safeguarding.SchoolID, owner string, now time.Time, d time.Duration) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                &s.table,
		Key:                      alertLeaseKey(school).av(),
		UpdateExpression:         aws.String("SET #type = :type, leaseUntil = :until, leaseOwner = :owner"),
		ConditionExpression:      aws.String("attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":type":  str(typeAlertLease),
			":until": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(d).UnixMilli())},
			":now":   &types.AttributeValueMemberN{Value: fmt.Sprint(now.UnixMilli())},
			":owner": str(owner),
		},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return ErrSubscriptionsBusy
	}
	return wrap("lease subscriptions", err)
}

// ReleaseAlertSubscriptions gives the lease up, if owner still holds it.
func (s *Store) ReleaseAlertSubscriptions(ctx context.Context, school safeguarding.SchoolID, owner string) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &s.table,
		Key:                       alertLeaseKey(school).av(),
		UpdateExpression:          aws.String("REMOVE leaseUntil, leaseOwner"),
		ConditionExpression:       aws.String("leaseOwner = :owner"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": str(owner)},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	return wrap("release subscriptions", err)
}

// MarkAlertUndeliverable records on an outbox item that its recipient has no subscription on
// its channel (no mobile for an SMS, or not subscribed to the school's alerts at all), with
// the reason, so the alert is accounted for rather than lost. A later delivery of the same
// stream record looks again and sends it if the recipient has been subscribed since.
func (s *Store) MarkAlertUndeliverable(ctx context.Context, id, reason string, at time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:           &s.table,
		Key:                 outboxKey(id).av(),
		UpdateExpression:    aws.String("SET undeliverableAt = :at, undeliverable = :why REMOVE leaseUntil, leaseBy, GSI2PK, GSI2SK"),
		ConditionExpression: aws.String("attribute_exists(PK) AND attribute_not_exists(sentAt)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":at": str(stamp(at)), ":why": str(strings.TrimSpace(reason)),
		},
	})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil // sent meanwhile, or gone: nothing to record
	}
	return wrap("mark alert undeliverable", err)
}
