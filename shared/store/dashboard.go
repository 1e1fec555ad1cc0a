package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// readKey marks that one person has read a concern, for the dashboard's "unread".
func readKey(s safeguarding.SchoolID, id safeguarding.ConcernID, email string) key {
	return key{PK: concernKey(s, id).PK, SK: "READ#" + email}
}

type readItem struct {
	key
	Type string `dynamodbav:"type"`
	At   string `dynamodbav:"at"`
}

// AuditConcernRead saves the audit entry of a read of a concern and marks it read by the
// reader, in one transaction. With a note (the first DSL to open it, rule D7) the same
// transaction records when, on the condition nobody did first (ErrConflict), and emails the
// reporter.
func (s *Store) AuditConcernRead(ctx context.Context, e safeguarding.AuditEntry, id safeguarding.ConcernID, opened *concerns.StatusNote) error {
	items := append(s.auditPuts(e),
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(readItem{key: readKey(e.School, id, e.Actor), Type: typeRead, At: stamp(e.At)})}})
	if opened != nil {
		at, _ := marshalValue(opened.At)
		items = append(items, types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: concernKey(e.School, id).av(),
			UpdateExpression:          aws.String("SET dslOpenedAt = :at"),
			ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(dslOpenedAt)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": at},
		}})
		if opened.Alert != nil {
			items = append(items, s.putNew(outboxToItem(*opened.Alert, opened.At)))
		}
	}
	// A TransactionConflict (another transaction on the same items) is tried again; only a
	// failed condition means another DSL opened it first.
	err := s.transact(ctx, items, -1)
	if cf := (*conditionFailed)(nil); opened != nil && errors.As(err, &cf) {
		return fmt.Errorf("store: concern %s was opened first by another DSL: %w", id, safeguarding.ErrConflict)
	}
	return wrap("audit read", err)
}

// SaveNotice saves an audit entry and alerts in one transaction; an alert already sent (the
// same id) makes it a no-op, so a notice goes at most once.
func (s *Store) SaveNotice(ctx context.Context, e safeguarding.AuditEntry, alerts []safeguarding.Alert) error {
	items, _ := s.commandItems(nil, nil, e, alerts, e.At)
	// Only a failed condition (an alert with that id exists) means it was sent; a
	// TransactionConflict is tried again, never taken for "sent".
	err := s.transact(ctx, items, -1)
	if cf := (*conditionFailed)(nil); errors.As(err, &cf) {
		return s.Audit(ctx, e) // sent already today: the request is still audited
	}
	return wrap("notice", err)
}

// concernAuthorPK lists the concerns one person recorded in a school, by time (GSI2, A98).
func concernAuthorPK(s safeguarding.SchoolID, email string) string {
	return "SCHOOL#" + string(s) + "#AUTHOR#" + email
}

// concernPosition is a position in the lists of concerns: the sort key their indexes share,
// the time recorded and the concern's id.
var concernPosition = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)#([0-9A-Za-z-]{1,100})$`)

// concernListIndex is the index, its key names and the partition of a list.
func concernListIndex(school safeguarding.SchoolID, r concerns.ConcernRange) (index, pkName, skName, pk string) {
	switch r.List {
	case concerns.ListOpen:
		return "GSI3", "GSI3PK", "GSI3SK", casesPK(school, false)
	case concerns.ListClosed:
		return "GSI3", "GSI3PK", "GSI3SK", casesPK(school, true)
	case concerns.ListAuthor:
		return "GSI2", "GSI2PK", "GSI2SK", concernAuthorPK(school, r.Author)
	case concerns.ListTagged:
		return "GSI1", "GSI1PK", "GSI1SK", concernsTaggedPK(school, r.Author)
	case concerns.ListAboutStaff:
		return "GSI1", "GSI1PK", "GSI1SK", concernsAboutStaffPK(school)
	}
	return "GSI1", "GSI1PK", "GSI1SK", concernsByTimePK(school)
}

// ConcernRange reads one Query of a list of the school's concerns, newest first (A10, A19,
// A98): the range of times a key condition on the sort key, high priority and the category
// a filter, from the position After. The lists of index items (A111 the concerns a person was
// tagged in, A112 those about a member of staff) read their concerns with one BatchGetItem
// more, and filter on them. A position that is not of the form the lists use, or
// lies outside the range, is a ValidationError naming "cursor": the key it starts from is
// made here from this school's list and the concern's id, never read from the caller.
func (s *Store) ConcernRange(ctx context.Context, school safeguarding.SchoolID, r concerns.ConcernRange) (concerns.ConcernChunk, error) {
	index, pkName, skName, pk := concernListIndex(school, r)
	indexed := r.List == concerns.ListTagged || r.List == concerns.ListAboutStaff
	if (r.List == concerns.ListAuthor || r.List == concerns.ListTagged) && r.Author == "" {
		return concerns.ConcernChunk{}, fmt.Errorf("store: a list of an author without one: %w", safeguarding.ErrInvalid)
	}
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: &index, ScanIndexForward: aws.Bool(false), Limit: queryLimit(r.Limit),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": pkName},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
	}
	from, to := "", "~"
	if !r.From.IsZero() {
		from = stamp(r.From)
	}
	if !r.To.IsZero() {
		to = stamp(r.To)
	}
	if from != "" || to != "~" {
		// "<time>#<id>" sorts after "<time>": a concern recorded at To exactly is left out.
		in.KeyConditionExpression = aws.String("#pk = :pk AND #sk BETWEEN :from AND :to")
		in.ExpressionAttributeNames["#sk"] = skName
		in.ExpressionAttributeValues[":from"], in.ExpressionAttributeValues[":to"] = str(from), str(to)
	}
	var filters []string
	// On a list of index items the filters apply to the concerns read after it
	// (indexedConcerns), not to the Query.
	if r.HighPriority && !indexed {
		filters = append(filters, "highPriority = :high")
		in.ExpressionAttributeValues[":high"] = &types.AttributeValueMemberBOOL{Value: true}
	}
	if r.Category != "" && !indexed {
		filters = append(filters, "category = :category")
		in.ExpressionAttributeValues[":category"] = str(string(r.Category))
	}
	if len(filters) > 0 {
		in.FilterExpression = aws.String(strings.Join(filters, " AND "))
	}
	if r.After != "" {
		m := concernPosition.FindStringSubmatch(r.After)
		if m == nil || r.After < from || r.After > to {
			return concerns.ConcernChunk{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "cursor",
				Message: "is not a page of this list; start again from the first page"}}}
		}
		start := concernKey(school, safeguarding.ConcernID(m[2])).av()
		start[pkName], start[skName] = str(pk), str(r.After)
		if indexed {
			start = indexStartKey(school, r, safeguarding.ConcernID(m[2]), pk, r.After)
		}
		in.ExclusiveStartKey = start
	}
	out, err := s.db.Query(ctx, in)
	if err != nil {
		return concerns.ConcernChunk{}, wrap("concern list", err)
	}
	var chunk concerns.ConcernChunk
	if indexed {
		// Index items, not concerns: the concerns they name, read together.
		if chunk.Concerns, err = s.indexedConcerns(ctx, school, r, out); err != nil {
			return concerns.ConcernChunk{}, err
		}
	} else {
		for _, item := range out.Items {
			var it concernItem
			if err := unmarshal(item, &it); err != nil {
				return concerns.ConcernChunk{}, err
			}
			if it.School != string(school) {
				continue
			}
			chunk.Concerns = append(chunk.Concerns, concernFromItem(it))
		}
	}
	if sk, ok := out.LastEvaluatedKey[skName].(*types.AttributeValueMemberS); ok && len(out.LastEvaluatedKey) > 0 {
		chunk.Next = sk.Value
	}
	return chunk, nil
}

// ReadMarks says which of the concerns viewer has read: one BatchGetItem of their read marks
// (up to 100 concerns).
func (s *Store) ReadMarks(ctx context.Context, viewer string, school safeguarding.SchoolID, ids []safeguarding.ConcernID) (map[safeguarding.ConcernID]bool, error) {
	keys := make([]key, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, readKey(school, id, viewer))
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	read := make(map[safeguarding.ConcernID]bool, len(ids))
	for _, id := range ids {
		k := readKey(school, id, viewer)
		_, read[id] = found[k.PK+"|"+k.SK]
	}
	return read, nil
}
