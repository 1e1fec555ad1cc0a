package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

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

// RecentConcerns reads the viewer and a school's newest concerns (GSI1, newest first, up to
// limit) side by side, then which of them the viewer has read (one BatchGetItem).
func (s *Store) RecentConcerns(ctx context.Context, viewer string, school safeguarding.SchoolID, limit int) (safeguarding.Principal, []concerns.Concern, map[safeguarding.ConcernID]bool, error) {
	// One page of a Query holds at most 1 MB whatever the limit: a limit out of range reads
	// one page of the newest.
	const maxLimit = 1000
	var pageLimit int32 = maxLimit
	if limit > 0 && limit < maxLimit {
		pageLimit = int32(limit)
	}
	var (
		p      safeguarding.Principal
		recent []concerns.Concern
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		p, err = s.Principal(gctx, viewer)
		return err
	})
	g.Go(func() error {
		out, err := s.db.Query(gctx, &dynamodb.QueryInput{
			TableName: &s.table, IndexName: aws.String("GSI1"),
			KeyConditionExpression:    aws.String("GSI1PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(concernsByTimePK(school))},
			ScanIndexForward:          aws.Bool(false),
			Limit:                     aws.Int32(pageLimit),
		})
		if err != nil {
			return wrap("recent concerns", err)
		}
		for _, item := range out.Items {
			var it concernItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			recent = append(recent, concernFromItem(it))
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return p, nil, nil, err
	}
	if !p.IsMember(school) {
		return p, nil, nil, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	read := map[safeguarding.ConcernID]bool{}
	if len(recent) == 0 {
		return p, recent, read, nil
	}
	keys := make([]key, 0, len(recent))
	for _, c := range recent {
		keys = append(keys, readKey(school, c.ID(), viewer))
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return p, nil, nil, err
	}
	for _, c := range recent {
		k := readKey(school, c.ID(), viewer)
		_, read[c.ID()] = found[k.PK+"|"+k.SK]
	}
	return p, recent, read, nil
}
