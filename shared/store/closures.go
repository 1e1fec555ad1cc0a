package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

var _ engagement.ClosureStore = (*Store)(nil)

const (
	typeClosure      = "closure"
	typeClosureState = "closure-state"
)

// closureKey is one full closure of a school (rule E0), beside the school's own item.
func closureKey(s safeguarding.SchoolID, id string) key {
	return key{PK: "SCHOOL#" + string(s), SK: "CLOSURE#" + id}
}

// closureStateKey is the school's latest closure, copied: every count of silent school days
// reads it with one GetItem, and the conditions on it allow one open closure at a time.
func closureStateKey(s safeguarding.SchoolID) key {
	return key{PK: "SCHOOL#" + string(s), SK: "CLOSURES"}
}

// openCallsPK lists a school's open phone calls to families (rule E3) by due time (GSI3,
// sparse: a call leaves it when it is closed), for the work lists.
func openCallsPK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#CALLS#open" }

type closureItem struct {
	key
	Type      string     `dynamodbav:"type"`
	ID        string     `dynamodbav:"id"`
	School    string     `dynamodbav:"school"`
	From      string     `dynamodbav:"from"`
	LastDay   string     `dynamodbav:"lastDay,omitempty"`
	StartedBy string     `dynamodbav:"startedBy"`
	StartedAt time.Time  `dynamodbav:"startedAt"`
	EndedBy   string     `dynamodbav:"endedBy,omitempty"`
	EndedAt   *time.Time `dynamodbav:"endedAt,omitempty"`
	Swept     bool       `dynamodbav:"swept,omitempty"`
	Version   int        `dynamodbav:"version"`
}

func closureToItem(c safeguarding.Closure, k key, typ string) closureItem {
	it := closureItem{key: k, Type: typ, ID: c.ID, School: string(c.School), From: localDate(c.From), StartedBy: c.StartedBy,
		StartedAt: c.StartedAt, EndedBy: c.EndedBy, EndedAt: timePtr(c.EndedAt), Swept: c.Swept, Version: c.Version}
	if !c.LastDay.IsZero() {
		it.LastDay = localDate(c.LastDay)
	}
	return it
}

func closureFromItem(it closureItem) (safeguarding.Closure, error) {
	c := safeguarding.Closure{ID: it.ID, School: safeguarding.SchoolID(it.School), StartedBy: it.StartedBy, StartedAt: it.StartedAt,
		EndedBy: it.EndedBy, EndedAt: timeOf(it.EndedAt), Swept: it.Swept, Version: it.Version}
	var err error
	if c.From, err = parseLocalDate(it.From); err != nil {
		return c, fmt.Errorf("store: closure %s: first day %q: %w", it.ID, it.From, safeguarding.ErrInvalid)
	}
	if it.LastDay != "" {
		if c.LastDay, err = parseLocalDate(it.LastDay); err != nil {
			return c, fmt.Errorf("store: closure %s: last day %q: %w", it.ID, it.LastDay, safeguarding.ErrInvalid)
		}
	}
	return c, nil
}

// LatestClosure reads the school's latest closure, open or ended (zero when none): one
// GetItem.
func (s *Store) LatestClosure(ctx context.Context, school safeguarding.SchoolID) (safeguarding.Closure, error) {
	var it closureItem
	ok, err := s.getItem(ctx, closureStateKey(school), &it, false)
	if err != nil || !ok {
		return safeguarding.Closure{}, err
	}
	return closureFromItem(it)
}

// LoadClosure reads the viewer, the school (ErrForbidden for a stranger to it), its latest
// closure and any earlier request with the key, in one BatchGetItem.
func (s *Store) LoadClosure(ctx context.Context, viewer string, school safeguarding.SchoolID, rk safeguarding.RequestKey) (engagement.ClosureCase, error) {
	var cc engagement.ClosureCase
	var sc safeguarding.School
	var it closureItem
	b := newBatch().viewer(viewer, &cc.Viewer).school(school, &cc.Viewer, &sc).prior(rk, &cc.Prior).item(closureStateKey(school), &it)
	if err := s.load(ctx, b); err != nil {
		return cc, err
	}
	if it.ID == "" {
		return cc, nil
	}
	var err error
	cc.Latest, err = closureFromItem(it)
	return cc, err
}

// Closures lists every closure of the school, earliest first (one Query of the school's
// partition, closure items only).
func (s *Store) Closures(ctx context.Context, school safeguarding.SchoolID) ([]safeguarding.Closure, error) {
	var out []safeguarding.Closure
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :closure)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(closureKey(school, "").PK), ":closure": str("CLOSURE#"),
		},
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("closures", err)
		}
		for _, item := range page.Items {
			var it closureItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			c, err := closureFromItem(it)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b safeguarding.Closure) int {
		if c := a.From.Compare(b.From); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out, nil
}

// StartClosure saves a new closure, the school's latest closure and the audit entry in one
// transaction. The latest's condition allows one open closure per school: it must not exist,
// or have ended before the new one's first day (ErrConflict otherwise).
func (s *Store) StartClosure(ctx context.Context, c safeguarding.Closure, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error {
	state := &types.Put{TableName: &s.table, Item: marshal(closureToItem(c, closureStateKey(c.School), typeClosureState)),
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR (attribute_exists(lastDay) AND lastDay < :from)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":from": str(localDate(c.From))}}
	copied, err := s.sheetUpdate(c.School, closureSheet(c))
	if err != nil {
		return err
	}
	items, requestAt := s.withRequest(req, types.TransactWriteItem{Put: state}, s.putNew(closureToItem(c, closureKey(c.School, c.ID), typeClosure)), copied)
	items = append(items, s.auditPuts(audit)...)
	return s.transact(ctx, items, requestAt)
}

// EndClosure saves a closure's end, the school's latest closure and the audit entry in one
// transaction, on the condition that the closure is the latest, still open, at the version
// before (ErrConflict).
func (s *Store) EndClosure(ctx context.Context, c safeguarding.Closure, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error {
	cond := func(k key, typ string) types.TransactWriteItem {
		return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(closureToItem(c, k, typ)),
			ConditionExpression:       aws.String("id = :id AND version = :prev AND attribute_not_exists(lastDay)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": str(c.ID), ":prev": num(c.Version - 1)}}}
	}
	copied, err := s.sheetUpdate(c.School, closureSheet(c))
	if err != nil {
		return err
	}
	items, requestAt := s.withRequest(req, cond(closureStateKey(c.School), typeClosureState), cond(closureKey(c.School, c.ID), typeClosure), copied)
	items = append(items, s.auditPuts(audit)...)
	return s.transact(ctx, items, requestAt)
}

// withRequest puts the request's idempotency record, if any, first: a key already taken is
// then told apart from the records' own conditions.
func (s *Store) withRequest(req *safeguarding.RequestRecord, items ...types.TransactWriteItem) ([]types.TransactWriteItem, int) {
	if req == nil {
		return items, -1
	}
	return append([]types.TransactWriteItem{s.putNew(requestToItem(*req))}, items...), 0
}

// ClosureSwept records on the school's latest closure that the escalation job looked at every
// family in it (the closure item keeps the Senior DSL's record; this is the job's).
// The registry's copy of the closure (A97) is written in the same transaction, from c: so the
// mark holds only while the closure is still the version c is (a run handed a closure that has
// ended since records nothing, and the next run reads it as it is).
func (s *Store) ClosureSwept(ctx context.Context, c safeguarding.Closure) error {
	c.Swept = true
	copied, err := s.sheetUpdate(c.School, closureSheet(c))
	if err != nil {
		return err
	}
	err = s.transact(ctx, []types.TransactWriteItem{{Update: &types.Update{
		TableName: &s.table, Key: closureStateKey(c.School).av(),
		UpdateExpression:          aws.String("SET swept = :true"),
		ConditionExpression:       aws.String("id = :id AND version = :v"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":true": &types.AttributeValueMemberBOOL{Value: true}, ":id": str(c.ID), ":v": num(c.Version)},
	}}, copied}, -1)
	var failed *conditionFailed
	if errors.As(err, &failed) {
		return nil // another closure started since, or this one ended: it is swept in its own time
	}
	return err
}

// PutClosure saves a closure as it is, the school's latest, for seeding (never a person's
// command).
func (s *Store) PutClosure(ctx context.Context, c safeguarding.Closure) error {
	if _, err := s.db.PutItem(ctx, putInput(s.table, closureToItem(c, closureKey(c.School, c.ID), typeClosure))); err != nil {
		return wrap("put closure", err)
	}
	if _, err := s.db.PutItem(ctx, putInput(s.table, closureToItem(c, closureStateKey(c.School), typeClosureState))); err != nil {
		return wrap("put closure", err)
	}
	return s.putSheet(ctx, c.School, closureSheet(c))
}

// SchoolFamilies lists every family of a school: one Query of the school's families list
// (GSI1), which holds each family beside its contact details' summary, family items kept.
func (s *Store) SchoolFamilies(ctx context.Context, school safeguarding.SchoolID) ([]contact.Family, error) {
	var out []contact.Family
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		FilterExpression:          aws.String("#type = :family"),
		ExpressionAttributeNames:  map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(familiesPK(school)), ":family": str(typeFamily)},
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("school families", err)
		}
		for _, item := range page.Items {
			var it familyItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			out = append(out, familyFromItem(it))
		}
	}
	return out, nil
}

// OpenCalls lists a school's open phone calls to families, soonest due first (one Query of
// GSI3's open calls).
func (s *Store) OpenCalls(ctx context.Context, school safeguarding.SchoolID) ([]engagement.Call, error) {
	var out []engagement.Call
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI3"),
		KeyConditionExpression:    aws.String("GSI3PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(openCallsPK(school))},
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("open calls", err)
		}
		for _, item := range page.Items {
			var it callItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			if !it.DueActive {
				continue
			}
			c := engagement.Call{Family: it.Family, Reference: it.DueReference, Owner: it.DueAssignee, DueAt: it.DueAt}
			for _, p := range it.Pupils {
				c.Pupils = append(c.Pupils, safeguarding.PupilID(p))
			}
			out = append(out, c)
		}
	}
	return out, nil
}
