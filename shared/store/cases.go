package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

var _ casework.CaseStore = (*Store)(nil)

// SaveCaseChange saves a concern's case status, complexity and history with its chronology
// entries, audit entry and idempotency record, on the condition that the concern's version is
// still the one read (ErrConflict).
func (s *Store) SaveCaseChange(ctx context.Context, w casework.CaseWrite) error {
	it := concernToItem(w.Concern)
	events, err := marshalValue(it.CaseEvents)
	if err != nil {
		return err
	}
	items, requestAt := s.commandItems(w.Request, w.Entries, w.Audit, nil, w.At)
	set := "SET closed = :closed, complex = :complex, caseEvents = :events, version = :version, GSI3PK = :g3pk"
	values := map[string]types.AttributeValue{
		":closed": &types.AttributeValueMemberBOOL{Value: it.Closed}, ":complex": &types.AttributeValueMemberBOOL{Value: it.Complex},
		":events": events, ":version": num(it.Version), ":prev": num(w.PrevVersion), ":g3pk": str(it.GSI3PK),
	}
	if w.MeetsResponse && it.ResponseMetAt != nil {
		// The first thing a DSL recorded on the concern is this decision: it meets rule D1.
		met, _ := marshalValue(*it.ResponseMetAt)
		set, values[":met"] = set+", responseMetAt = :met", met
		items = append(items, s.meetResponse(w.Concern.School(), w.Concern.ID()))
		t := tally{}
		responseTally(t, w.Concern, *it.ResponseMetAt)
		items = append(items, s.countUpdates(w.Concern.School(), t)...) // the reports' counters (D10)
	}
	items = append(items, types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: it.key.av(),
		UpdateExpression:          aws.String(set),
		ConditionExpression:       aws.String("version = :prev"),
		ExpressionAttributeValues: values,
	}})
	err = s.transact(ctx, items, requestAt)
	if errors.Is(err, safeguarding.ErrConflict) {
		return fmt.Errorf("case %s was changed by someone else: %w", w.Concern.Reference(), safeguarding.ErrConflict)
	}
	return err
}

// ReviewData reads what the SLT review needs (rule D9), side by side: the viewer, the
// school's open cases (GSI3) and the concerns recorded since `since` (GSI1).
func (s *Store) ReviewData(ctx context.Context, viewer string, school safeguarding.SchoolID, since time.Time) (safeguarding.Principal, []concerns.Concern, []concerns.Concern, error) {
	var (
		p            safeguarding.Principal
		open, recent []concerns.Concern
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		p, err = s.Principal(gctx, viewer)
		return err
	})
	g.Go(func() (err error) {
		open, err = s.concernsOnIndex(gctx, "GSI3", "GSI3PK", casesPK(school, false), "GSI3SK", "")
		return err
	})
	g.Go(func() (err error) {
		recent, err = s.concernsOnIndex(gctx, "GSI1", "GSI1PK", concernsByTimePK(school), "GSI1SK", stamp(since))
		return err
	})
	err := g.Wait()
	return p, open, recent, err
}

// OpenCases reads the viewer and the school's open cases (GSI3, A19), side by side.
func (s *Store) OpenCases(ctx context.Context, viewer string, school safeguarding.SchoolID) (safeguarding.Principal, []concerns.Concern, error) {
	var (
		p    safeguarding.Principal
		open []concerns.Concern
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		p, err = s.Principal(gctx, viewer)
		return err
	})
	g.Go(func() (err error) {
		open, err = s.concernsOnIndex(gctx, "GSI3", "GSI3PK", casesPK(school, false), "GSI3SK", "")
		return err
	})
	err := g.Wait()
	return p, open, err
}

// concernsOnIndex reads every concern under a list key of an index, from sort key `from`.
func (s *Store) concernsOnIndex(ctx context.Context, index, pkName, pk, skName, from string) ([]concerns.Concern, error) {
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: &index,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": pkName},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
	}
	if from != "" {
		in.KeyConditionExpression = aws.String("#pk = :pk AND #sk >= :from")
		in.ExpressionAttributeNames["#sk"] = skName
		in.ExpressionAttributeValues[":from"] = str(from)
	}
	var out []concerns.Concern
	pager := dynamodb.NewQueryPaginator(s.db, in)
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("concern list", err)
		}
		for _, item := range page.Items {
			var it concernItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			out = append(out, concernFromItem(it))
		}
	}
	return out, nil
}

// OverdueActions reads the school's open actions due before now, soonest due first: one Query
// of GSI3 (A16) with the due time in its sort key, per 1 MB page.
func (s *Store) OverdueActions(ctx context.Context, school safeguarding.SchoolID, now time.Time) ([]casework.Action, error) {
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI3"),
		KeyConditionExpression: aws.String("GSI3PK = :pk AND GSI3SK BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(actionsOfSchoolPK(school)), ":from": str(string(safeguarding.ActionOpen) + "#"),
			":to": str(string(safeguarding.ActionOpen) + "#" + stamp(now))},
	})
	var out []casework.Action
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("overdue actions", err)
		}
		for _, item := range page.Items {
			var it actionItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			out = append(out, actionFromItem(it))
		}
	}
	return out, nil
}
