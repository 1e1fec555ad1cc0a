package store

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

const typeClass = "class"

// classKey is a class of a school with its teachers (rule E1: a teacher acknowledges for the
// families of their own class).
func classKey(s safeguarding.SchoolID, name string) key {
	return key{PK: "SCHOOL#" + string(s), SK: "CLASS#" + name}
}

type classItem struct {
	key
	Type     string   `dynamodbav:"type"`
	Name     string   `dynamodbav:"name"`
	Teachers []string `dynamodbav:"teachers"`
}

// PutClass saves a class and its teachers.
func (s *Store) PutClass(ctx context.Context, school safeguarding.SchoolID, name string, teachers []string) error {
	_, err := s.db.PutItem(ctx, putInput(s.table, classItem{key: classKey(school, name), Type: typeClass, Name: name, Teachers: teachers}))
	return wrap("put class", err)
}

// classesOf lists the classes of a school that email teaches (one Query of the school's
// class items, a few dozen at most).
func (s *Store) classesOf(ctx context.Context, school safeguarding.SchoolID, email string) ([]string, error) {
	out, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :class)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str("SCHOOL#" + string(school)), ":class": str("CLASS#"),
		},
	})
	if err != nil {
		return nil, wrap("classes", err)
	}
	var names []string
	for _, item := range out.Items {
		var it classItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		if slices.Contains(it.Teachers, email) {
			names = append(names, it.Name)
		}
	}
	return names, nil
}

// LoadEngagement reads what a batch of acknowledgements needs: the caller, the school and
// any earlier request with the key and the named pupils (one BatchGetItem), beside the
// caller's classes (one Query), then the families named directly or through a pupil (one
// BatchGetItem).
func (s *Store) LoadEngagement(ctx context.Context, viewer string, school safeguarding.SchoolID, families []string, pupils []safeguarding.PupilID, rk safeguarding.RequestKey) (engagement.EngagementBatch, error) {
	b := engagement.EngagementBatch{Families: map[string]contact.Family{}, PupilFamily: map[safeguarding.PupilID]string{}}
	var sc safeguarding.School
	bt := newBatch().viewer(viewer, &b.Viewer).school(school, &b.Viewer, &sc).prior(rk, &b.Prior)
	named := map[safeguarding.PupilID]*pupilItem{} // a pupil named twice is read once
	for _, p := range pupils {
		if named[p] == nil {
			named[p] = &pupilItem{}
			bt.item(pupilKey(school, p), named[p])
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.load(gctx, bt) })
	g.Go(func() (err error) {
		b.Classes, err = s.classesOf(gctx, school, viewer)
		return err
	})
	if err := g.Wait(); err != nil {
		return b, err
	}
	ids := slices.Clone(families)
	for _, p := range pupils {
		if it := named[p]; it.FamilyID != "" {
			b.PupilFamily[p] = it.FamilyID
			ids = append(ids, it.FamilyID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	var keys []key
	for _, id := range ids {
		if id != "" && !strings.Contains(id, "#") {
			keys = append(keys, familyKey(school, id))
		}
	}
	if len(keys) == 0 {
		return b, nil
	}
	fams, err := s.batchGet(ctx, keys)
	if err != nil {
		return b, err
	}
	for _, item := range fams {
		var it familyItem
		if err := unmarshal(item, &it); err != nil {
			return b, err
		}
		b.Families[it.ID] = familyFromItem(it)
	}
	return b, nil
}

// SaveCommand saves an audit entry with the request's idempotency record, if any, in one
// transaction: ErrDuplicateRequest when the key was taken.
func (s *Store) SaveCommand(ctx context.Context, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error {
	items, requestAt := s.commandItems(req, nil, audit, nil, audit.At)
	return s.transact(ctx, items, requestAt)
}
