package store

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/seals"
)

// A school's seals of its audit trail (rule P4) are a chain in a partition of their own,
// numbered from 1; the mark that a day's last seal is anchored sorts right after it:
//
//	SCHOOL#<school>#SEALS / SEAL#<number, 12 digits>            one per seal
//	SCHOOL#<school>#SEALS / SEAL#<number, 12 digits>#ANCHORED   once the seal is anchored
const (
	typeSeal       = "seal"
	typeSealAnchor = "seal-anchor"
)

func sealsPK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#SEALS" }

func sealSK(seq int) string { return fmt.Sprintf("SEAL#%012d", seq) }

// auditDayPK is the audit partition of a school's local day (YYYY-MM-DD), as auditPK names it.
func auditDayPK(s safeguarding.SchoolID, day string) string {
	return "SCHOOL#" + string(s) + "#AUDIT#" + day
}

type sealItem struct {
	key
	Type     string    `dynamodbav:"type"`
	School   string    `dynamodbav:"school"`
	Seq      int       `dynamodbav:"seq"`
	Day      string    `dynamodbav:"day"`
	After    string    `dynamodbav:"after"`
	UpTo     string    `dynamodbav:"upTo"`
	Closes   bool      `dynamodbav:"closes"`
	Keys     []string  `dynamodbav:"keys"`
	Digests  []byte    `dynamodbav:"digests"` // the entries' digests, 32 bytes each, in order
	Prev     []byte    `dynamodbav:"prev"`
	Hash     []byte    `dynamodbav:"hash"`
	SealedAt time.Time `dynamodbav:"sealedAt"`
}

func sealToItem(s seals.Seal) sealItem {
	it := sealItem{key: key{PK: sealsPK(s.School), SK: sealSK(s.Seq)}, Type: typeSeal, School: string(s.School),
		Seq: s.Seq, Day: s.Day, After: s.After, UpTo: s.UpTo, Closes: s.Closes,
		Keys: make([]string, len(s.Entries)), Digests: make([]byte, 0, len(s.Entries)*sha256.Size),
		Prev: s.Prev[:], Hash: s.Hash[:], SealedAt: s.SealedAt}
	for i, e := range s.Entries {
		it.Keys[i] = e.Key
		it.Digests = append(it.Digests, e.Digest[:]...)
	}
	return it
}

func sealFromItem(it sealItem) (seals.Seal, error) {
	if len(it.Digests) != len(it.Keys)*sha256.Size || len(it.Prev) != sha256.Size || len(it.Hash) != sha256.Size {
		return seals.Seal{}, fmt.Errorf("store: seal %d of %s is malformed", it.Seq, it.School)
	}
	s := seals.Seal{School: safeguarding.SchoolID(it.School), Seq: it.Seq, Day: it.Day, After: it.After, UpTo: it.UpTo,
		Closes: it.Closes, Entries: make([]seals.Entry, len(it.Keys)), SealedAt: it.SealedAt}
	copy(s.Prev[:], it.Prev)
	copy(s.Hash[:], it.Hash)
	for i, k := range it.Keys {
		s.Entries[i].Key = k
		copy(s.Entries[i].Digest[:], it.Digests[i*sha256.Size:])
	}
	return s, nil
}

// LastSeal reads a school's newest seal and its anchor mark, if any, in one Query.
func (s *Store) LastSeal(ctx context.Context, school safeguarding.SchoolID) (seals.Seal, bool, bool, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :seal)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(sealsPK(school)), ":seal": str("SEAL#")},
		ScanIndexForward: aws.Bool(false), Limit: aws.Int32(2), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return seals.Seal{}, false, false, wrap("last seal", err)
	}
	anchored := false
	for _, item := range out.Items {
		var it sealItem
		if err := unmarshal(item, &it); err != nil {
			return seals.Seal{}, false, false, err
		}
		if it.Type == typeSealAnchor {
			anchored = true
			continue
		}
		sl, err := sealFromItem(it)
		return sl, err == nil, anchored, err
	}
	return seals.Seal{}, false, false, nil
}

// Entries reads a school's audit items of one local day with keys after `after` and up to
// upTo, in key order, consistently (paged Query of the day's partition), each with the
// digest of its stored attributes.
func (s *Store) Entries(ctx context.Context, school safeguarding.SchoolID, day, after, upTo string) ([]seals.Entry, error) {
	in := &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk AND SK <= :upTo"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(auditDayPK(school, day)), ":upTo": str(upTo)},
		ConsistentRead:            aws.Bool(true),
	}
	if after != "" {
		in.KeyConditionExpression = aws.String("PK = :pk AND SK BETWEEN :after AND :upTo")
		in.ExpressionAttributeValues[":after"] = str(after)
	}
	var out []seals.Entry
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, wrap("audit entries", err)
		}
		for _, item := range page.Items {
			k, _ := item["SK"].(*types.AttributeValueMemberS)
			if k == nil || k.Value == after {
				continue
			}
			out = append(out, seals.Entry{Key: k.Value, Digest: digest(item)})
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// PutSeal saves a new seal, on the condition that its number is free (ErrConflict when
// another run took it).
func (s *Store) PutSeal(ctx context.Context, sl seals.Seal) error {
	err := s.putOnce(ctx, marshal(sealToItem(sl)))
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return fmt.Errorf("store: seal %d of %s: %w", sl.Seq, sl.School, safeguarding.ErrConflict)
	}
	return wrap("put seal", err)
}

// MarkAnchored records that a seal is anchored (once; a second mark changes nothing).
func (s *Store) MarkAnchored(ctx context.Context, sl seals.Seal, at time.Time) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: marshal(struct {
		key
		Type string    `dynamodbav:"type"`
		At   time.Time `dynamodbav:"at"`
	}{key{PK: sealsPK(sl.School), SK: sealSK(sl.Seq) + "#ANCHORED"}, typeSealAnchor, at}),
		ConditionExpression: aws.String("attribute_not_exists(PK)")})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	return wrap("mark anchored", err)
}

// Seals reads a school's seals numbered from `from` on, in order (paged Query), up to the
// first one whose day is after lastDay.
func (s *Store) Seals(ctx context.Context, school safeguarding.SchoolID, from int, lastDay string) ([]seals.Seal, error) {
	in := &dynamodb.QueryInput{
		TableName:                &s.table,
		KeyConditionExpression:   aws.String("PK = :pk AND SK >= :from"),
		FilterExpression:         aws.String("#type = :seal"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(sealsPK(school)), ":from": str(sealSK(from)), ":seal": str(typeSeal)},
	}
	var out []seals.Seal
	for {
		page, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, wrap("seals", err)
		}
		for _, item := range page.Items {
			var it sealItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			sl, err := sealFromItem(it)
			if err != nil {
				return nil, err
			}
			out = append(out, sl)
			if sl.Day > lastDay {
				return out, nil
			}
		}
		if len(page.LastEvaluatedKey) == 0 {
			return out, nil
		}
		in.ExclusiveStartKey = page.LastEvaluatedKey
	}
}

// digest is the SHA-256 of an item's canonical form: its attributes by name, each value with
// its type, sets in sorted order, so that the same stored item always gives the same digest
// and any change to a name, a type or a value gives another.
func digest(item map[string]types.AttributeValue) seals.Digest {
	h := sha256.New()
	writeMap(h, item)
	var d seals.Digest
	h.Sum(d[:0])
	return d
}

// hashWriter is a hash: its Write never fails.
type hashWriter interface{ Write([]byte) (int, error) }

func writeBytes(h hashWriter, tag byte, b []byte) {
	_, _ = h.Write(strconv.AppendInt([]byte{tag}, int64(len(b)), 10))
	_, _ = h.Write([]byte{':'})
	_, _ = h.Write(b)
}

func writeMap(h hashWriter, m map[string]types.AttributeValue) {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	writeBytes(h, 'M', []byte(strconv.Itoa(len(names))))
	for _, k := range names {
		writeBytes(h, 'K', []byte(k))
		writeValue(h, m[k])
	}
}

func writeStrings(h hashWriter, tag byte, vs []string) {
	vs = append([]string(nil), vs...)
	sort.Strings(vs)
	writeBytes(h, tag, []byte(strconv.Itoa(len(vs))))
	for _, v := range vs {
		writeBytes(h, tag, []byte(v))
	}
}

func writeValue(h hashWriter, v types.AttributeValue) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		writeBytes(h, 'S', []byte(v.Value))
	case *types.AttributeValueMemberN:
		writeBytes(h, 'N', []byte(v.Value))
	case *types.AttributeValueMemberB:
		writeBytes(h, 'B', v.Value)
	case *types.AttributeValueMemberBOOL:
		writeBytes(h, 'T', []byte(strconv.FormatBool(v.Value)))
	case *types.AttributeValueMemberNULL:
		writeBytes(h, '0', nil)
	case *types.AttributeValueMemberSS:
		writeStrings(h, 's', v.Value)
	case *types.AttributeValueMemberNS:
		writeStrings(h, 'n', v.Value)
	case *types.AttributeValueMemberBS:
		bs := make([]string, len(v.Value))
		for i, b := range v.Value {
			bs[i] = string(b)
		}
		writeStrings(h, 'b', bs)
	case *types.AttributeValueMemberL:
		writeBytes(h, 'L', []byte(strconv.Itoa(len(v.Value))))
		for _, e := range v.Value {
			writeValue(h, e)
		}
	case *types.AttributeValueMemberM:
		writeMap(h, v.Value)
	default:
		writeBytes(h, '?', []byte(fmt.Sprintf("%T", v)))
	}
}
