package store

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// API is the part of the DynamoDB client the store uses.
type API interface {
	GetItem(context.Context, *dynamodb.GetItemInput, ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	BatchGetItem(context.Context, *dynamodb.BatchGetItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
	Query(context.Context, *dynamodb.QueryInput, ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	PutItem(context.Context, *dynamodb.PutItemInput, ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(context.Context, *dynamodb.UpdateItemInput, ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	TransactWriteItems(context.Context, *dynamodb.TransactWriteItemsInput, ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error)
	BatchWriteItem(context.Context, *dynamodb.BatchWriteItemInput, ...func(*dynamodb.Options)) (*dynamodb.BatchWriteItemOutput, error)
}

var _ API = (*dynamodb.Client)(nil)

// Store keeps the records of every school in one DynamoDB table.
type Store struct {
	db    API
	table string
}

var _ concerns.ConcernStore = (*Store)(nil)

// New returns a store over table. The client is built by the caller (main.go or a test), so
// it can point at DynamoDB in AWS or at DynamoDB Local.
func New(db API, table string) *Store { return &Store{db: db, table: table} }

// crockford is the alphabet of a ULID: Crockford's base32, without I, L, O and U.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a ULID (https://github.com/ulid/spec) for an event at t: 48 bits of Unix
// milliseconds then 80 random bits, written as 26 characters of Crockford's base32, so that
// IDs are unique and sort by time. Written out here rather than taken from a ULID package,
// whose package initialisation (a seeded math/rand source, database/sql/driver) every
// function would pay at start-up for these few lines.
func NewID(t time.Time) string {
	var b [16]byte
	// A ULID's time is 48 bits of milliseconds since 1970: a time before that is 0, never a
	// negative number wrapped round to the far future.
	ms := uint64(0)
	if m := t.UnixMilli(); m > 0 {
		ms = uint64(m)
	}
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], ms)
	copy(b[:6], ts[2:]) // the low 48 bits, big-endian
	rand.Read(b[6:])    // crypto/rand.Read never fails
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	var out [26]byte
	for i := 25; i >= 0; i-- { // 5 bits a character, the lowest last; 130 bits, 2 of them zero
		out[i] = crockford[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return string(out[:])
}

type key struct {
	PK string `dynamodbav:"PK"`
	SK string `dynamodbav:"SK"`
}

func (k key) av() map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: k.PK},
		"SK": &types.AttributeValueMemberS{Value: k.SK},
	}
}

func marshal(v any) map[string]types.AttributeValue {
	m, err := attributevalue.MarshalMap(v)
	if err != nil {
		// Only the store's own item structs are marshalled; failing here is a programming error.
		panic(fmt.Sprintf("store: marshal %T: %v", v, err))
	}
	return m
}

func unmarshal(m map[string]types.AttributeValue, v any) error {
	if err := attributevalue.UnmarshalMap(m, v); err != nil {
		return fmt.Errorf("store: reading %T: %w", v, err)
	}
	return nil
}

// putNew writes item in a transaction on the condition that no item has its key: records,
// chronology entries, audit entries (rule P4) and alerts are appended, never written over one
// another, so a write that would overwrite one fails whole.
func (s *Store) putNew(item any) types.TransactWriteItem {
	return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(item),
		ConditionExpression: aws.String("attribute_not_exists(PK)")}}
}

// getItem reads one item; ok is false when there is none.
func (s *Store) getItem(ctx context.Context, k key, v any, consistent bool) (bool, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &s.table, Key: k.av(), ConsistentRead: &consistent,
	})
	if err != nil {
		return false, fmt.Errorf("store: get %s: %w", k.SK, err)
	}
	if out.Item == nil {
		return false, nil
	}
	return true, unmarshal(out.Item, v)
}

// batchGet reads up to 100 items by key in one round trip (more only if DynamoDB returns
// unprocessed keys), keyed by PK+"|"+SK.
func (s *Store) batchGet(ctx context.Context, keys []key) (map[string]map[string]types.AttributeValue, error) {
	found := make(map[string]map[string]types.AttributeValue, len(keys))
	seen := map[key]bool{}
	var req []map[string]types.AttributeValue
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			req = append(req, k.av())
		}
	}
	if len(req) > 100 {
		return nil, fmt.Errorf("store: %d keys in one batch: %w", len(req), safeguarding.ErrInvalid)
	}
	pending := map[string]types.KeysAndAttributes{s.table: {Keys: req, ConsistentRead: ptr(true)}}
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return nil, err
			}
		}
		out, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: pending})
		if err != nil {
			return nil, fmt.Errorf("store: batch get: %w", err)
		}
		for _, item := range out.Responses[s.table] {
			var k key
			if err := attributevalue.UnmarshalMap(item, &k); err != nil {
				return nil, err
			}
			found[k.PK+"|"+k.SK] = item
		}
		pending = out.UnprocessedKeys
		if attempt > 8 && len(pending) > 0 {
			return nil, errors.New("store: batch get: keys left unprocessed")
		}
	}
	return found, nil
}

// batchGetEach reads any number of keys, 100 to a BatchGetItem, and gives each item found
// with its type to each (items without a type are left out).
func (s *Store) batchGetEach(ctx context.Context, keys []key, each func(typ string, item map[string]types.AttributeValue) error) error {
	for start := 0; start < len(keys); start += 100 {
		found, err := s.batchGet(ctx, keys[start:min(start+100, len(keys))])
		if err != nil {
			return err
		}
		for _, item := range found {
			if t, _ := item["type"].(*types.AttributeValueMemberS); t != nil {
				if err := each(t.Value, item); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// batchPut writes items 25 to a BatchWriteItem, retrying what DynamoDB leaves unprocessed:
// for bulk loads (imports and benchmarks), never for a user's command.
func (s *Store) batchPut(ctx context.Context, what string, items []map[string]types.AttributeValue) error {
	for start := 0; start < len(items); start += 25 {
		var reqs []types.WriteRequest
		for _, item := range items[start:min(start+25, len(items))] {
			reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
		}
		pending := map[string][]types.WriteRequest{s.table: reqs}
		for attempt := 0; len(pending) > 0; attempt++ {
			if attempt > 0 {
				if err := backoff(ctx, attempt); err != nil {
					return err
				}
			}
			out, err := s.db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: pending})
			if err != nil {
				return wrap(what, err)
			}
			pending = out.UnprocessedItems
		}
	}
	return nil
}

func backoff(ctx context.Context, attempt int) error {
	d := time.Duration(1<<min(attempt, 6)) * 10 * time.Millisecond
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func ptr[T any](v T) *T { return &v }

// putOnce puts a new item, never over another: one PutItem on the condition that its key is
// free. When the key holds this very item, the put is done already: DynamoDB did it and its
// answer was lost, and the SDK's retry found it (a 500 after the write). Any other item there
// is the ConditionalCheckFailedException.
func (s *Store) putOnce(ctx context.Context, item map[string]types.AttributeValue) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item,
		ConditionExpression:                 aws.String("attribute_not_exists(PK)"),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) && reflect.DeepEqual(failed.Item, item) {
		return nil
	}
	return err
}
