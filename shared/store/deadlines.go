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
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
)

var _ deadlines.DeadlineStore = (*Store)(nil)

// registryItem lists a school for the schedules, with the last local day the deadline engine
// reached for it.
type registryItem struct {
	key
	Type       string `dynamodbav:"type"`
	School     string `dynamodbav:"school"`
	DueReached string `dynamodbav:"dueReached,omitempty"`
}

// firstLook is how far back a school's first run looks for due items.
const firstLook = 7 * 24 * time.Hour

// Schools lists every school from the registry partition (one Query, paged).
func (s *Store) Schools(ctx context.Context) ([]safeguarding.SchoolDue, error) {
	var out []safeguarding.SchoolDue
	err := s.queryPartition(ctx, "SCHOOLS", func(typ string, item map[string]types.AttributeValue) error {
		var it registryItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		sd := safeguarding.SchoolDue{ID: safeguarding.SchoolID(it.School)}
		if it.DueReached != "" {
			from, err := time.ParseInLocation(time.DateOnly, it.DueReached, safeguarding.London)
			if err != nil {
				return fmt.Errorf("store: school %s: reached %q: %w", it.School, it.DueReached, err)
			}
			sd.From = from
		}
		out = append(out, sd)
		return nil
	})
	return out, err
}

// DueItems queries the due index (GSI2) of one school for each local day from `from` (a week
// back on a school's first run) to now, for items whose next look is at or before now.
func (s *Store) DueItems(ctx context.Context, school safeguarding.SchoolID, from, now time.Time) ([]safeguarding.DueItem, error) {
	if from.IsZero() {
		from = now.Add(-firstLook)
	}
	var out []safeguarding.DueItem
	last := dueDay(now)
	for day := safeguarding.LocalDay(from); dueDay(day) <= last; day = day.AddDate(0, 0, 1) {
		pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName: &s.table, IndexName: aws.String("GSI2"),
			KeyConditionExpression: aws.String("GSI2PK = :pk AND GSI2SK <= :now"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": str(duePK(school, dueDay(day))), ":now": str(stamp(now) + "#~"),
			},
		})
		for pager.HasMorePages() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return nil, wrap("due items", err)
			}
			for _, item := range page.Items {
				var it struct {
					key
					dueAttrs
				}
				if err := unmarshal(item, &it); err != nil {
					return nil, err
				}
				out = append(out, dueFromAttrs(it.dueAttrs, school, it.key))
			}
		}
	}
	return out, nil
}

// Escalate moves an item one step up the ladder and writes the step's alerts in one
// transaction, on the condition that the item is still active and in the state the index
// showed. A step whose alerts exist already (a run that died after sending) only moves on.
func (s *Store) Escalate(ctx context.Context, item safeguarding.DueItem, next safeguarding.DueState, alerts []safeguarding.Alert, audit safeguarding.AuditEntry) error {
	at := audit.At
	pk, sk, ok := strings.Cut(item.Ref, "\x00")
	if !ok {
		return fmt.Errorf("store: due item %s has no reference: %w", item.ID, safeguarding.ErrInvalid)
	}
	moved := item
	moved.Due = next
	attrs := dueToAttrs(moved)
	update := types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: key{PK: pk, SK: sk}.av(),
		UpdateExpression:    aws.String("SET dueStep = :step, dueNextAt = :next, GSI2PK = :g2pk, GSI2SK = :g2sk"),
		ConditionExpression: aws.String("dueActive = :true AND dueStep = :prevStep AND dueNextAt = :prevNext"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":step": num(next.Step), ":next": str(next.NextAt.UTC().Format(time.RFC3339Nano)),
			":g2pk": str(attrs.GSI2PK), ":g2sk": str(attrs.GSI2SK), ":true": &types.AttributeValueMemberBOOL{Value: true},
			":prevStep": num(item.Due.Step), ":prevNext": str(item.Due.NextAt.UTC().Format(time.RFC3339Nano)),
		},
	}}
	items := append([]types.TransactWriteItem{update}, s.auditPuts(audit)...)
	moveOnly := len(items)
	for _, a := range alerts {
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(outboxToItem(a, at)),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}})
	}
	// A TransactionConflict is tried again (transact): it is not another run having moved the
	// item, and taking it for one would leave the step undone until the next run.
	err := s.transact(ctx, items, -1)
	var cf *conditionFailed
	switch {
	case !errors.As(err, &cf):
		return wrap("escalate "+item.ID, err)
	case cf.index == 0:
		return fmt.Errorf("store: due item %s moved: %w", item.ID, safeguarding.ErrConflict)
	}
	// The step's alerts were written by a run that did not move the item: move it (and audit
	// the step) only.
	err = s.transact(ctx, items[:moveOnly], -1)
	if errors.As(err, &cf) {
		return fmt.Errorf("store: due item %s moved: %w", item.ID, safeguarding.ErrConflict)
	}
	return wrap("escalate "+item.ID, err)
}

// Reached records the local day a run reached for a school.
func (s *Store) Reached(ctx context.Context, school safeguarding.SchoolID, now time.Time) error {
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: schoolsKey(school).av(),
		UpdateExpression:          aws.String("SET dueReached = :day"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":day": str(dueDay(now))},
	})
	return wrap("reached", err)
}
