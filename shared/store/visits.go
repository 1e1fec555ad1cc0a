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
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
)

var _ visits.VisitStore = (*Store)(nil)

const (
	typeVisit      = "visit"
	typeVisitDue   = "visit-due"
	typeVisitBlock = "visit-block"
)

// visitPK is a home visit's partition: the visit and its due items.
func visitPK(s safeguarding.SchoolID, id string) string {
	return "SCHOOL#" + string(s) + "#VISIT#" + id
}

func visitKey(s safeguarding.SchoolID, id string) key { return key{PK: visitPK(s, id), SK: "VISIT"} }

// visitDueKey is one of a visit's due items (check-out, observations, next visit).
func visitDueKey(s safeguarding.SchoolID, id, kind string) key {
	return key{PK: visitPK(s, id), SK: "DUE#" + kind}
}

// visitsPK lists a school's visits by planned start (GSI1).
func visitsPK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#VISITS" }

// visitBlockKey is a family's block on home visits (rule V3), beside the family record.
func visitBlockKey(s safeguarding.SchoolID, family string) key {
	return key{PK: familyPK(s, family), SK: "VISITBLOCK"}
}

var visitDueKinds = []string{safeguarding.DueVisitCheckout, safeguarding.DueVisitObservations, safeguarding.DueVisitNext}

type callAheadItem struct {
	At      time.Time `dynamodbav:"at"`
	By      string    `dynamodbav:"by"`
	Outcome string    `dynamodbav:"outcome"`
	Notes   string    `dynamodbav:"notes,omitempty"`
}

type childSeenItem struct {
	Pupil string `dynamodbav:"pupil"`
	Seen  bool   `dynamodbav:"seen"`
	Notes string `dynamodbav:"notes,omitempty"`
}

type doorstepItem struct {
	At       time.Time       `dynamodbav:"at"`
	By       string          `dynamodbav:"by"`
	Children []childSeenItem `dynamodbav:"children"`
}

type appearanceItem struct {
	Emotional string `dynamodbav:"emotional,omitempty"`
	Physical  string `dynamodbav:"physical,omitempty"`
}

type childObservationItem struct {
	Pupil string `dynamodbav:"pupil"`
	appearanceItem
}

type observationsItem struct {
	At          time.Time              `dynamodbav:"at"`
	By          string                 `dynamodbav:"by"`
	Children    []childObservationItem `dynamodbav:"children"`
	Adults      appearanceItem         `dynamodbav:"adults"`
	Late        bool                   `dynamodbav:"late"`
	MinutesLate int                    `dynamodbav:"minutesLate"`
}

type nextVisitItem struct {
	At             time.Time `dynamodbav:"at"`
	By             string    `dynamodbav:"by"`
	NextAt         time.Time `dynamodbav:"nextAt"`
	NoneReason     string    `dynamodbav:"noneReason,omitempty"`
	SupportOffered string    `dynamodbav:"supportOffered"`
}

type visitConcernItem struct {
	ID        string    `dynamodbav:"id"`
	Reference string    `dynamodbav:"reference"`
	At        time.Time `dynamodbav:"at"`
	By        string    `dynamodbav:"by"`
}

// visitItem is a home visit. Its due items live beside it (visitDueItem): the deadline engine
// moves those, never this.
type visitItem struct {
	key
	Type         string             `dynamodbav:"type"`
	GSI1PK       string             `dynamodbav:"GSI1PK"`
	GSI1SK       string             `dynamodbav:"GSI1SK"`
	ID           string             `dynamodbav:"id"`
	School       string             `dynamodbav:"school"`
	Reference    string             `dynamodbav:"reference"`
	Family       string             `dynamodbav:"family"`
	Children     []string           `dynamodbav:"children"`
	Staff        []string           `dynamodbav:"staff"`
	LineManager  string             `dynamodbav:"lineManager"`
	PlannedStart time.Time          `dynamodbav:"plannedStart"`
	PlannedEnd   time.Time          `dynamodbav:"plannedEnd"`
	PlannedBy    string             `dynamodbav:"plannedBy"`
	PlannedAt    time.Time          `dynamodbav:"plannedAt"`
	Reason       string             `dynamodbav:"reason,omitempty"`
	Status       string             `dynamodbav:"status"`
	AuthorisedBy string             `dynamodbav:"authorisedBy,omitempty"`
	AuthorisedAt time.Time          `dynamodbav:"authorisedAt"`
	Calls        []callAheadItem    `dynamodbav:"calls"`
	StartedAt    time.Time          `dynamodbav:"startedAt"`
	StartedBy    string             `dynamodbav:"startedBy,omitempty"`
	StaffPresent []string           `dynamodbav:"staffPresent"`
	Doorstep     *doorstepItem      `dynamodbav:"doorstep,omitempty"`
	Concerns     []visitConcernItem `dynamodbav:"concerns"`
	Observations *observationsItem  `dynamodbav:"observations,omitempty"`
	Next         *nextVisitItem     `dynamodbav:"next,omitempty"`
	CheckedOutAt time.Time          `dynamodbav:"checkedOutAt"`
	CheckedOutBy string             `dynamodbav:"checkedOutBy,omitempty"`
	CancelledAt  time.Time          `dynamodbav:"cancelledAt"`
	CancelledBy  string             `dynamodbav:"cancelledBy,omitempty"`
	CancelReason string             `dynamodbav:"cancelReason,omitempty"`
	Version      int                `dynamodbav:"version"`
}

// visitDueItem is one of a started visit's items on the deadline engine (rules V6-V8).
type visitDueItem struct {
	key
	Type   string `dynamodbav:"type"`
	School string `dynamodbav:"school"`
	Visit  string `dynamodbav:"visit"`
	dueAttrs
}

type blockEventItem struct {
	At     time.Time `dynamodbav:"at"`
	By     string    `dynamodbav:"by"`
	Kind   string    `dynamodbav:"kind"`
	Visit  string    `dynamodbav:"visit,omitempty"`
	Reason string    `dynamodbav:"reason,omitempty"`
}

// visitBlockItem is a family's block on home visits with every block and lift (rule V3).
type visitBlockItem struct {
	key
	Type    string           `dynamodbav:"type"`
	School  string           `dynamodbav:"school"`
	Family  string           `dynamodbav:"family"`
	Blocked bool             `dynamodbav:"blocked"`
	History []blockEventItem `dynamodbav:"history"`
	Version int              `dynamodbav:"version"`
}

func strs[T ~string](in []T) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

func visitToItem(v visits.Visit) visitItem {
	s := v.Snapshot()
	it := visitItem{key: visitKey(s.School, s.ID), Type: typeVisit,
		GSI1PK: visitsPK(s.School), GSI1SK: stamp(s.PlannedStart) + "#" + s.ID,
		ID: s.ID, School: string(s.School), Reference: s.Reference, Family: s.Family, Children: strs(s.Children),
		Staff: s.Staff, LineManager: s.LineManager, PlannedStart: s.PlannedStart, PlannedEnd: s.PlannedEnd,
		PlannedBy: s.PlannedBy, PlannedAt: s.PlannedAt, Reason: s.Reason, Status: string(s.Status), AuthorisedBy: s.AuthorisedBy,
		AuthorisedAt: s.AuthorisedAt, StartedAt: s.StartedAt, StartedBy: s.StartedBy, StaffPresent: s.StaffPresent,
		CheckedOutAt: s.CheckedOutAt, CheckedOutBy: s.CheckedOutBy, CancelledAt: s.CancelledAt, CancelledBy: s.CancelledBy,
		CancelReason: s.CancelReason, Version: s.Version, Calls: []callAheadItem{}, Concerns: []visitConcernItem{}}
	if it.StaffPresent == nil {
		it.StaffPresent = []string{}
	}
	for _, c := range s.Calls {
		it.Calls = append(it.Calls, callAheadItem{At: c.At, By: c.By, Outcome: c.Outcome, Notes: c.Notes})
	}
	if d := s.Doorstep; d != nil {
		it.Doorstep = &doorstepItem{At: d.At, By: d.By, Children: []childSeenItem{}}
		for _, c := range d.Children {
			it.Doorstep.Children = append(it.Doorstep.Children, childSeenItem{Pupil: string(c.Pupil), Seen: c.Seen, Notes: c.Notes})
		}
	}
	for _, c := range s.Concerns {
		it.Concerns = append(it.Concerns, visitConcernItem{ID: string(c.ID), Reference: c.Reference, At: c.At, By: c.By})
	}
	if o := s.Observations; o != nil {
		it.Observations = &observationsItem{At: o.At, By: o.By, Adults: appearanceItem(o.Adults), Late: o.Late,
			MinutesLate: o.MinutesLate, Children: []childObservationItem{}}
		for _, c := range o.Children {
			it.Observations.Children = append(it.Observations.Children, childObservationItem{Pupil: string(c.Pupil), appearanceItem: appearanceItem(c.Appearance)})
		}
	}
	if n := s.Next; n != nil {
		it.Next = &nextVisitItem{At: n.At, By: n.By, NextAt: n.NextAt, NoneReason: n.NoneReason, SupportOffered: n.SupportOffered}
	}
	return it
}

func visitFromItem(it visitItem, due map[string]dueAttrs) visits.Visit {
	s := visits.VisitSnapshot{
		ID: it.ID, School: safeguarding.SchoolID(it.School), Reference: it.Reference, Family: it.Family,
		Staff: it.Staff, LineManager: it.LineManager, PlannedStart: it.PlannedStart, PlannedEnd: it.PlannedEnd,
		PlannedBy: it.PlannedBy, PlannedAt: it.PlannedAt, Reason: it.Reason, Status: visits.VisitStatus(it.Status), AuthorisedBy: it.AuthorisedBy,
		AuthorisedAt: it.AuthorisedAt, StartedAt: it.StartedAt, StartedBy: it.StartedBy, StaffPresent: it.StaffPresent,
		CheckedOutAt: it.CheckedOutAt, CheckedOutBy: it.CheckedOutBy, CancelledAt: it.CancelledAt, CancelledBy: it.CancelledBy,
		CancelReason: it.CancelReason, Version: it.Version,
	}
	for _, c := range it.Children {
		s.Children = append(s.Children, safeguarding.PupilID(c))
	}
	for _, c := range it.Calls {
		s.Calls = append(s.Calls, visits.CallAhead{At: c.At, By: c.By, Outcome: c.Outcome, Notes: c.Notes})
	}
	if d := it.Doorstep; d != nil {
		s.Doorstep = &visits.Doorstep{At: d.At, By: d.By}
		for _, c := range d.Children {
			s.Doorstep.Children = append(s.Doorstep.Children, visits.ChildSeen{Pupil: safeguarding.PupilID(c.Pupil), Seen: c.Seen, Notes: c.Notes})
		}
	}
	for _, c := range it.Concerns {
		s.Concerns = append(s.Concerns, visits.VisitConcern{ID: safeguarding.ConcernID(c.ID), Reference: c.Reference, At: c.At, By: c.By})
	}
	if o := it.Observations; o != nil {
		s.Observations = &visits.Observations{At: o.At, By: o.By, Adults: visits.Appearance(o.Adults), Late: o.Late, MinutesLate: o.MinutesLate}
		for _, c := range o.Children {
			s.Observations.Children = append(s.Observations.Children, visits.ChildObservation{Pupil: safeguarding.PupilID(c.Pupil), Appearance: visits.Appearance(c.appearanceItem)})
		}
	}
	if n := it.Next; n != nil {
		s.Next = &visits.NextVisit{At: n.At, By: n.By, NextAt: n.NextAt, NoneReason: n.NoneReason, SupportOffered: n.SupportOffered}
	}
	state := func(kind string) safeguarding.DueState {
		a, ok := due[kind]
		if !ok {
			return safeguarding.DueState{}
		}
		return safeguarding.DueState{DueAt: a.DueAt, Step: a.DueStep, NextAt: a.DueNextAt, Active: a.DueActive}
	}
	s.Checkout, s.ObservationsDue, s.NextDue = state(safeguarding.DueVisitCheckout), state(safeguarding.DueVisitObservations), state(safeguarding.DueVisitNext)
	return visits.RestoreVisit(s)
}

func blockFromItem(it visitBlockItem, school safeguarding.SchoolID, family string) visits.VisitBlock {
	b := visits.VisitBlock{School: school, Family: family, Blocked: it.Blocked, Version: it.Version}
	for _, e := range it.History {
		b.History = append(b.History, visits.BlockEvent{At: e.At, By: e.By, Kind: e.Kind, Visit: e.Visit, Reason: e.Reason})
	}
	return b
}

func blockToItem(b visits.VisitBlock) visitBlockItem {
	it := visitBlockItem{key: visitBlockKey(b.School, b.Family), Type: typeVisitBlock, School: string(b.School), Family: b.Family,
		Blocked: b.Blocked, Version: b.Version, History: []blockEventItem{}}
	for _, e := range b.History {
		it.History = append(it.History, blockEventItem(e))
	}
	return it
}

// LoadVisitPlan reads the viewer, the school, the family, its visit block and any earlier
// request with the key in one BatchGetItem.
func (s *Store) LoadVisitPlan(ctx context.Context, viewer string, school safeguarding.SchoolID, family string, rk safeguarding.RequestKey) (visits.VisitPlanning, error) {
	var pl visits.VisitPlanning
	var f familyItem
	var b visitBlockItem
	bt := newBatch().viewer(viewer, &pl.Viewer).school(school, &pl.Viewer, &pl.School).prior(rk, &pl.Prior)
	if family != "" {
		bt.item(familyKey(school, family), &f).item(visitBlockKey(school, family), &b)
	}
	if err := s.load(ctx, bt); err != nil {
		return pl, err
	}
	pl.Block = visits.VisitBlock{School: school, Family: family}
	if family == "" {
		return pl, nil
	}
	if f.ID != "" {
		fam := familyFromItem(f)
		pl.Family = &fam
	}
	if b.Type != "" {
		pl.Block = blockFromItem(b, school, family)
	}
	return pl, nil
}

// LoadVisit reads the viewer, the school and its calendar, the visit, its due items and any earlier request
// with the key in one BatchGetItem.
func (s *Store) LoadVisit(ctx context.Context, viewer string, school safeguarding.SchoolID, id string, rk safeguarding.RequestKey) (visits.VisitCase, error) {
	var vc visits.VisitCase
	var it visitItem
	var cal calendarItem
	b := newBatch().viewer(viewer, &vc.Viewer).school(school, &vc.Viewer, &vc.School).item(visitKey(school, id), &it).
		item(calendarKey(school), &cal).prior(rk, &vc.Prior)
	dues := make([]visitDueItem, len(visitDueKinds))
	for i, k := range visitDueKinds {
		b.item(visitDueKey(school, id, k), &dues[i])
	}
	if err := s.load(ctx, b); err != nil {
		return vc, err
	}
	if it.ID == "" {
		return vc, fmt.Errorf("visit %q: %w", id, safeguarding.ErrNotFound)
	}
	var err error
	if vc.Calendar, err = schoolCalendarOf(cal, school); err != nil {
		return vc, err
	}
	due := map[string]dueAttrs{}
	for i, k := range visitDueKinds {
		if dues[i].Type != "" {
			due[k] = dues[i].dueAttrs
		}
	}
	vc.Visit = visitFromItem(it, due)
	return vc, nil
}

// SaveVisit commits one command on a visit in one TransactWriteItems: the idempotency record,
// the visit (new, or on the version read), its due items opened or closed (each closed one on
// the step read), the family's block or a check that it has none, a concern raised on the
// visit, the chronology entries, the audit entry and the alerts.
func (s *Store) SaveVisit(ctx context.Context, w visits.VisitWrite) error {
	v := w.Visit
	items, requestAt := s.commandItems(w.Request, w.Entries, w.Audit, w.Alerts, w.At)
	put := &types.Put{TableName: &s.table, Item: marshal(visitToItem(v))}
	if w.PrevVersion == 0 {
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		put.ConditionExpression = aws.String("version = :prev")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": num(w.PrevVersion)}
	}
	items = append(items, types.TransactWriteItem{Put: put})
	if w.OpenDue {
		for _, d := range v.DueItems() {
			items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table,
				Item:                marshal(visitDueItem{key: visitDueKey(v.School(), v.ID(), d.Kind), Type: typeVisitDue, School: string(v.School()), Visit: v.ID(), dueAttrs: dueToAttrs(d)}),
				ConditionExpression: aws.String("attribute_not_exists(PK)")}})
		}
	}
	for _, d := range w.Close {
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
			Key:                 visitDueKey(v.School(), v.ID(), d.Kind).av(),
			UpdateExpression:    aws.String("SET dueActive = :false REMOVE GSI2PK, GSI2SK"),
			ConditionExpression: aws.String("dueActive = :true AND dueStep = :step"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":false": &types.AttributeValueMemberBOOL{Value: false},
				":true": &types.AttributeValueMemberBOOL{Value: true}, ":step": num(d.Due.Step)}}})
	}
	for i, d := range w.Move {
		a := dueToAttrs(d)
		dueAt, _ := marshalValue(a.DueAt)
		next, _ := marshalValue(a.DueNextAt)
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
			Key:                 visitDueKey(v.School(), v.ID(), d.Kind).av(),
			UpdateExpression:    aws.String("SET dueAt = :at, dueStep = :step, dueNextAt = :next, GSI2PK = :g2pk, GSI2SK = :g2sk"),
			ConditionExpression: aws.String("dueActive = :true AND dueStep = :prev"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":at": dueAt, ":step": num(a.DueStep), ":next": next,
				":g2pk": str(a.GSI2PK), ":g2sk": str(a.GSI2SK), ":true": &types.AttributeValueMemberBOOL{Value: true},
				":prev": num(w.Was[i].Due.Step)}}})
	}
	blockAt := -1
	bk := visitBlockKey(v.School(), v.Family())
	switch {
	case w.Block != nil:
		ev, err := marshalValue([]blockEventItem{blockEventItem(*w.Block)})
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: bk.av(),
			UpdateExpression: aws.String("SET #type = :type, #school = :school, #family = :family, #blocked = :true, " +
				"#history = list_append(if_not_exists(#history, :none), :ev), #version = if_not_exists(#version, :zero) + :one"),
			ExpressionAttributeNames: map[string]string{"#type": "type", "#school": "school", "#family": "family",
				"#blocked": "blocked", "#history": "history", "#version": "version"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":type": str(typeVisitBlock), ":school": str(string(v.School())),
				":family": str(v.Family()), ":true": &types.AttributeValueMemberBOOL{Value: true}, ":ev": ev,
				":none": &types.AttributeValueMemberL{Value: []types.AttributeValue{}}, ":zero": num(0), ":one": num(1)}}})
	case w.RequireUnblocked:
		blockAt = len(items)
		items = append(items, types.TransactWriteItem{ConditionCheck: &types.ConditionCheck{TableName: &s.table, Key: bk.av(),
			ConditionExpression:       aws.String("attribute_not_exists(PK) OR blocked = :false"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":false": &types.AttributeValueMemberBOOL{Value: false}}}})
	}
	if c := w.Concern; c != nil {
		items = append(items, s.concernPuts(*c)...)
	}
	if len(items) > 100 {
		return fmt.Errorf("store: a visit command of %d items does not fit one transaction: %w", len(items), safeguarding.ErrInvalid)
	}
	err := s.transactWithMarks(ctx, items, requestAt, w.Entries)
	var failed *conditionFailed
	if blockAt >= 0 && errors.As(err, &failed) && failed.index == blockAt {
		return visits.ErrVisitsBlocked
	}
	return err
}

// SaveVisitBlock saves a family's block on the condition that its version is the one read,
// with its chronology entries, audit entry and idempotency record, in one transaction.
func (s *Store) SaveVisitBlock(ctx context.Context, w visits.BlockWrite) error {
	items, requestAt := s.commandItems(w.Request, w.Entries, w.Audit, nil, w.At)
	items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(blockToItem(w.Block)),
		ConditionExpression:       aws.String("version = :prev"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(w.PrevVersion)}}})
	return s.transactWithMarks(ctx, items, requestAt, w.Entries)
}

// Visits reads the viewer and, in parallel, a school's visits planned to start from since
// on, soonest first (one Query of GSI1, at most 200).
func (s *Store) Visits(ctx context.Context, viewer string, school safeguarding.SchoolID, since time.Time) (safeguarding.Principal, []visits.Visit, error) {
	var p safeguarding.Principal
	var out []visits.Visit
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		p, err = s.Principal(gctx, viewer)
		return err
	})
	g.Go(func() error {
		page, err := s.db.Query(gctx, &dynamodb.QueryInput{
			TableName: &s.table, IndexName: aws.String("GSI1"), Limit: aws.Int32(200),
			KeyConditionExpression: aws.String("GSI1PK = :pk AND GSI1SK >= :since"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": str(visitsPK(school)), ":since": str(stamp(since)),
			},
		})
		if err != nil {
			return wrap("visits", err)
		}
		for _, item := range page.Items {
			var it visitItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			out = append(out, visitFromItem(it, nil))
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return p, nil, err
	}
	p.Email = viewer
	return p, out, nil
}

// FamilyAddress reads the address of a family's current contact details (one GetItem).
func (s *Store) FamilyAddress(ctx context.Context, school safeguarding.SchoolID, family string) (contact.ContactAddress, error) {
	c, err := s.ContactDetails(ctx, school, family)
	return c.Address(), err
}
