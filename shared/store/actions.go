package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// dueAttrs are the attributes every item with a due time carries, whatever its type, so the
// deadline engine can walk any of them up the ladder (rule D8). GSI2PK and GSI2SK are set
// only while the item is active: the due index is sparse.
type dueAttrs struct {
	DueID        string    `dynamodbav:"dueId"`
	DueKind      string    `dynamodbav:"dueKind"`
	DueAssignee  string    `dynamodbav:"dueAssignee"`
	DueReference string    `dynamodbav:"dueReference"`
	DueSubject   string    `dynamodbav:"dueSubject"`
	DueExclude   []string  `dynamodbav:"dueExclude"`
	DueAt        time.Time `dynamodbav:"dueAt"`
	DueStep      int       `dynamodbav:"dueStep"`
	DueNextAt    time.Time `dynamodbav:"dueNextAt"`
	DueActive    bool      `dynamodbav:"dueActive"`
	// DueOccurrence numbers the occurrence of a repeating item (D3, D5); absent for one due once.
	DueOccurrence int    `dynamodbav:"dueOccurrence,omitempty"`
	GSI2PK        string `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK        string `dynamodbav:"GSI2SK,omitempty"`
}

func dueToAttrs(d safeguarding.DueItem) dueAttrs {
	a := dueAttrs{DueID: d.ID, DueKind: d.Kind, DueAssignee: d.Assignee, DueReference: d.Reference, DueSubject: d.Subject,
		DueExclude: d.Exclude, DueAt: d.Due.DueAt, DueStep: d.Due.Step, DueNextAt: d.Due.NextAt, DueActive: d.Due.Active,
		DueOccurrence: d.Occurrence}
	if d.Due.Active {
		a.GSI2PK, a.GSI2SK = duePK(d.School, dueDay(d.Due.NextAt)), stamp(d.Due.NextAt)+"#"+d.ID
	}
	return a
}

func dueFromAttrs(a dueAttrs, school safeguarding.SchoolID, k key) safeguarding.DueItem {
	return safeguarding.DueItem{ID: a.DueID, School: school, Kind: a.DueKind, Assignee: a.DueAssignee,
		Reference: a.DueReference, Subject: a.DueSubject, Exclude: a.DueExclude, Ref: k.PK + "\x00" + k.SK,
		Due: safeguarding.DueState{DueAt: a.DueAt, Step: a.DueStep, NextAt: a.DueNextAt, Active: a.DueActive}, Occurrence: a.DueOccurrence}
}

type historyItem struct {
	At   time.Time `dynamodbav:"at"`
	By   string    `dynamodbav:"by"`
	Kind string    `dynamodbav:"kind"`
	From string    `dynamodbav:"from,omitempty"`
	To   string    `dynamodbav:"to,omitempty"`
	Note string    `dynamodbav:"note,omitempty"`
}

type actionItem struct {
	key
	Type         string        `dynamodbav:"type"`
	GSI1PK       string        `dynamodbav:"GSI1PK"`
	GSI1SK       string        `dynamodbav:"GSI1SK"`
	GSI3PK       string        `dynamodbav:"GSI3PK"`
	GSI3SK       string        `dynamodbav:"GSI3SK"`
	ID           string        `dynamodbav:"id"`
	School       string        `dynamodbav:"school"`
	Concern      string        `dynamodbav:"concern"`
	Reference    string        `dynamodbav:"reference"`
	ActionType   string        `dynamodbav:"actionType"`
	Assignee     string        `dynamodbav:"assignee"`
	Notes        string        `dynamodbav:"notes"`
	ReferralTo   string        `dynamodbav:"referralTo,omitempty"`
	DueReason    string        `dynamodbav:"dueReason,omitempty"`
	Status       string        `dynamodbav:"status"`
	Outcome      string        `dynamodbav:"outcome,omitempty"`
	CreatedAt    time.Time     `dynamodbav:"createdAt"`
	CreatedBy    string        `dynamodbav:"createdBy"`
	NeedsRealloc bool          `dynamodbav:"needsReallocation"`
	Frequency    string        `dynamodbav:"frequency,omitempty"`
	History      []historyItem `dynamodbav:"history"`
	Version      int           `dynamodbav:"version"`
	dueAttrs
}

func actionToItem(a casework.Action) actionItem {
	s := a.Snapshot()
	k, _ := actionKey(s.School, s.ID)
	it := actionItem{
		key: k, Type: typeAction,
		GSI1PK: actionsOfAssigneePK(s.School, s.Assignee), GSI1SK: actionListSK(s.Status, s.DueAt, s.ID),
		GSI3PK: actionsOfSchoolPK(s.School), GSI3SK: actionListSK(s.Status, s.DueAt, s.ID),
		ID: string(s.ID), School: string(s.School), Concern: string(s.Concern), Reference: s.Reference,
		ActionType: string(s.Type), Assignee: s.Assignee, Notes: s.Notes, ReferralTo: s.ReferralTo,
		DueReason: s.DueReason, Status: string(s.Status), Outcome: s.Outcome, CreatedAt: s.CreatedAt,
		CreatedBy: s.CreatedBy, NeedsRealloc: s.NeedsRealloc, Version: s.Version, Frequency: s.Frequency, dueAttrs: dueToAttrs(a.DueItem()),
	}
	for _, h := range s.History {
		it.History = append(it.History, historyItem{At: h.At, By: h.By, Kind: h.Kind, From: h.From, To: h.To, Note: h.Note})
	}
	return it
}

func actionFromItem(it actionItem) casework.Action {
	s := casework.ActionSnapshot{
		ID: casework.ActionID(it.ID), School: safeguarding.SchoolID(it.School), Concern: safeguarding.ConcernID(it.Concern),
		Reference: it.Reference, Type: casework.ActionType(it.ActionType), Assignee: it.Assignee, Notes: it.Notes,
		ReferralTo: it.ReferralTo, DueAt: it.DueAt, DueReason: it.DueReason, Status: safeguarding.ActionStatus(it.Status),
		Outcome: it.Outcome, CreatedAt: it.CreatedAt, CreatedBy: it.CreatedBy, NeedsRealloc: it.NeedsRealloc,
		Exclude: it.DueExclude, Version: it.Version,
		Due:       safeguarding.DueState{DueAt: it.DueAt, Step: it.DueStep, NextAt: it.DueNextAt, Active: it.DueActive},
		Frequency: it.Frequency, Occurrence: it.DueOccurrence,
	}
	for _, h := range it.History {
		s.History = append(s.History, casework.ActionEvent{At: h.At, By: h.By, Kind: h.Kind, From: h.From, To: h.To, Note: h.Note})
	}
	return casework.RestoreAction(s)
}

// LoadCase reads the viewer, the school, its catalogue and calendar and any earlier request with
// the key (one BatchGetItem) beside the concern with all its actions (one Query on its partition).
func (s *Store) LoadCase(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID, rk safeguarding.RequestKey) (casework.Case, error) {
	var c casework.Case
	var cat catalogueItem
	var cal calendarItem
	b := newBatch().viewer(viewer, &c.Viewer).school(school, &c.Viewer, &c.School).item(catalogueKey(school), &cat).
		item(calendarKey(school), &cal).prior(rk, &c.Prior)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.load(gctx, b) })
	var concern *concernItem
	g.Go(func() error {
		return s.queryPartition(gctx, concernKey(school, id).PK, func(typ string, item map[string]types.AttributeValue) error {
			switch typ {
			case typeConcern:
				concern = &concernItem{}
				return unmarshal(item, concern)
			case typeAction:
				var it actionItem
				if err := unmarshal(item, &it); err != nil {
					return err
				}
				c.Actions = append(c.Actions, actionFromItem(it))
			}
			return nil
		})
	})
	if err := g.Wait(); err != nil {
		return c, err
	}
	c.Catalogue = catalogueFromItem(cat, school).Catalogue
	var err error
	if c.Calendar, err = schoolCalendarOf(cal, school); err != nil {
		return c, err
	}
	if concern == nil {
		return c, fmt.Errorf("concern %q: %w", id, safeguarding.ErrNotFound)
	}
	c.Concern = concernFromItem(*concern)
	return c, nil
}

// LoadAmending reads what LoadCase reads (the same two calls), for a command on the concern
// alone.
func (s *Store) LoadAmending(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID, rk safeguarding.RequestKey) (concerns.Amending, error) {
	c, err := s.LoadCase(ctx, viewer, school, id, rk)
	return concerns.Amending{Viewer: c.Viewer, School: c.School, Catalogue: c.Catalogue, Concern: c.Concern, Prior: c.Prior}, err
}

// LoadAction reads the viewer, the school and its calendar, the action, its concern and any
// earlier request with the key in one BatchGetItem.
func (s *Store) LoadAction(ctx context.Context, viewer string, school safeguarding.SchoolID, id casework.ActionID, rk safeguarding.RequestKey) (casework.ActionCase, error) {
	var ac casework.ActionCase
	ak, ok := actionKey(school, id)
	if !ok {
		return ac, fmt.Errorf("action %q: %w", id, safeguarding.ErrNotFound)
	}
	var a actionItem
	var c concernItem
	var cal calendarItem
	b := newBatch().viewer(viewer, &ac.Viewer).school(school, &ac.Viewer, &ac.School).item(ak, &a).item(key{PK: ak.PK, SK: "CONCERN"}, &c).
		item(calendarKey(school), &cal).prior(rk, &ac.Prior)
	if err := s.load(ctx, b); err != nil {
		return ac, err
	}
	var err error
	if ac.Calendar, err = schoolCalendarOf(cal, school); err != nil {
		return ac, err
	}
	if a.ID == "" || c.ID == "" {
		return ac, fmt.Errorf("action %q: %w", id, safeguarding.ErrNotFound)
	}
	ac.Action, ac.Concern = actionFromItem(a), concernFromItem(c)
	return ac, nil
}

// queryPartition reads every item of a partition, in sort-key order, page by page.
func (s *Store) queryPartition(ctx context.Context, pk string, each func(typ string, item map[string]types.AttributeValue) error) error {
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: pk}},
	})
	for pager.HasMorePages() {
		out, err := pager.NextPage(ctx)
		if err != nil {
			return wrap("query", err)
		}
		for _, item := range out.Items {
			t, _ := item["type"].(*types.AttributeValueMemberS)
			if t == nil {
				continue
			}
			if err := each(t.Value, item); err != nil {
				return err
			}
		}
	}
	return nil
}

// SaveNewAction commits a new action with its chronology entries, audit entry, alerts and
// idempotency record, numbering it on its concern: the concern's action count moves from
// w.Number-1 to w.Number on the condition that nobody else numbered one first (ErrConflict).
func (s *Store) SaveNewAction(ctx context.Context, w casework.ActionWrite) error {
	a := w.Action
	_, n, _ := casework.ParseActionID(a.ID())
	ck := concernKey(a.School(), a.Concern())
	createdAt, _ := marshalValue(a.CreatedAt())
	items, requestAt := s.commandItems(w.Request, w.Entries, w.Audit, w.Alerts, a.CreatedAt())
	items = append(items,
		types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: ck.av(),
			// The first action is when the reporter learns that steps were taken (rule D7).
			UpdateExpression:    aws.String("SET actionCount = :n, actionTakenAt = if_not_exists(actionTakenAt, :at)"),
			ConditionExpression: aws.String("attribute_exists(PK) AND (actionCount = :prev OR (attribute_not_exists(actionCount) AND :prev = :zero))"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":n": num(n), ":prev": num(n - 1), ":zero": num(0), ":at": createdAt,
			},
		}},
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(actionToItem(a)), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	)
	t := tally{}
	if w.MeetsResponse {
		items = append(items, s.meetResponse(a.School(), a.Concern())) // the first action meets rule D1
		responseTally(t, w.Concern, a.CreatedAt())
	}
	if a.Type() == casework.ActionReferral {
		t.add(a.CreatedAt(), cReferrals, 1)
	}
	items = append(items, s.countUpdates(a.School(), t)...) // the reports' counters (D10)
	return s.transact(ctx, items, requestAt)
}

// SaveActionChange commits a change to an action (completed, reallocated, cannot follow up)
// on the condition that its version is still the one read (optimistic locking: ErrConflict).
// It sets the fields people change and leaves the deadline engine's ladder fields alone,
// except that a completed action leaves the due index.
func (s *Store) SaveActionChange(ctx context.Context, w casework.ActionWrite) error {
	it := actionToItem(w.Action)
	history, err := marshalValue(it.History)
	if err != nil {
		return err
	}
	set := "SET #status = :status, outcome = :outcome, assignee = :assignee, dueAssignee = :assignee, needsReallocation = :realloc, " +
		"history = :history, version = :version, GSI1PK = :g1pk, GSI1SK = :g1sk, GSI3SK = :g3sk, dueActive = :active"
	values := map[string]types.AttributeValue{}
	if w.NewOccurrence {
		// A repeating action's next occurrence starts the ladder afresh (rules D3, D5, D8).
		set += ", dueAt = :dueAt, dueStep = :dueStep, dueNextAt = :dueNext, dueOccurrence = :occ, GSI2PK = :g2pk, GSI2SK = :g2sk"
		dueAt, _ := marshalValue(it.DueAt)
		next, _ := marshalValue(it.DueNextAt)
		values[":dueAt"], values[":dueStep"], values[":dueNext"], values[":occ"] = dueAt, num(it.DueStep), next, num(it.DueOccurrence)
		values[":g2pk"], values[":g2sk"] = str(it.GSI2PK), str(it.GSI2SK)
	}
	if !it.DueActive {
		set += " REMOVE GSI2PK, GSI2SK"
	}
	items, requestAt := s.commandItems(w.Request, w.Entries, w.Audit, w.Alerts, w.At)
	items = append(items, types.TransactWriteItem{Update: &types.Update{
		TableName: &s.table, Key: it.key.av(),
		UpdateExpression:          aws.String(set),
		ConditionExpression:       aws.String("version = :prev"),
		ExpressionAttributeNames:  map[string]string{"#status": "status"},
		ExpressionAttributeValues: values,
	}})
	for k, v := range map[string]types.AttributeValue{
		":status": str(it.Status), ":outcome": str(it.Outcome), ":assignee": str(it.Assignee),
		":realloc": &types.AttributeValueMemberBOOL{Value: it.NeedsRealloc}, ":history": history,
		":version": num(it.Version), ":prev": num(w.PrevVersion), ":g1pk": str(it.GSI1PK), ":g1sk": str(it.GSI1SK),
		":g3sk": str(it.GSI3SK), ":active": &types.AttributeValueMemberBOOL{Value: it.DueActive},
	} {
		values[k] = v
	}
	err = s.transact(ctx, items, requestAt)
	if errors.Is(err, safeguarding.ErrConflict) {
		return fmt.Errorf("action %s was changed by someone else: %w", w.Action.ID(), safeguarding.ErrConflict)
	}
	return err
}

// commandItems are the items every command commits beside its record: the idempotency record
// (first, so its index is known), chronology entries, the audit entry and the outbox alerts.
func (s *Store) commandItems(req *safeguarding.RequestRecord, entries []safeguarding.ChronologyEntry, audit safeguarding.AuditEntry, alerts []safeguarding.Alert, at time.Time) ([]types.TransactWriteItem, int) {
	put := s.putNew
	var items []types.TransactWriteItem
	requestAt := -1
	if req != nil {
		requestAt = 0
		items = append(items, put(requestToItem(*req)))
	}
	for _, e := range entries {
		items = append(items, put(chronologyToItem(e)))
	}
	items = append(items, s.auditPuts(audit)...)
	for _, a := range alerts {
		items = append(items, put(outboxToItem(a, at)))
	}
	return items, requestAt
}

// Actions lists a school's actions with a status, due soonest first: one person's (GSI1) or,
// with assignee "", everyone's (GSI3).
func (s *Store) Actions(ctx context.Context, school safeguarding.SchoolID, assignee string, status safeguarding.ActionStatus) ([]casework.Action, error) {
	index, pk, pkName, skName := "GSI3", actionsOfSchoolPK(school), "GSI3PK", "GSI3SK"
	if assignee != "" {
		index, pk, pkName, skName = "GSI1", actionsOfAssigneePK(school, assignee), "GSI1PK", "GSI1SK"
	}
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: &index,
		KeyConditionExpression:   aws.String("#pk = :pk AND begins_with(#sk, :status)"),
		ExpressionAttributeNames: map[string]string{"#pk": pkName, "#sk": skName},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(pk), ":status": str(string(status) + "#"),
		},
	})
	var out []casework.Action
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("actions", err)
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

func marshalValue(v any) (types.AttributeValue, error) {
	m := marshal(struct {
		V any `dynamodbav:"v"`
	}{v})
	return m["v"], nil
}

func str(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func num(n int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(n)} }

// PutActions loads actions in bulk, 25 to a BatchWriteItem, without their chronology, audit or
// alerts: for importing from another system and for benchmarks, never for a user's command.
func (s *Store) PutActions(ctx context.Context, actions []casework.Action) error {
	items := make([]map[string]types.AttributeValue, len(actions))
	for i, a := range actions {
		items[i] = marshal(actionToItem(a))
	}
	return s.batchPut(ctx, "put actions", items)
}
