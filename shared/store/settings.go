package store

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/settings"
)

var _ settings.Store = (*Store)(nil)

type keyContactAttrs struct {
	Agency string `dynamodbav:"agency"`
	Name   string `dynamodbav:"name"`
	Number string `dynamodbav:"number"`
	Email  string `dynamodbav:"email,omitempty"`
}

func keyContactsToAttrs(cs []safeguarding.KeyContact) []keyContactAttrs {
	var out []keyContactAttrs
	for _, c := range cs {
		out = append(out, keyContactAttrs{Agency: string(c.Agency), Name: c.Name, Number: c.Number, Email: c.Email})
	}
	return out
}

func keyContactsFromAttrs(as []keyContactAttrs) []safeguarding.KeyContact {
	var out []safeguarding.KeyContact
	for _, a := range as {
		out = append(out, safeguarding.KeyContact{Agency: safeguarding.KeyAgency(a.Agency), Name: a.Name, Number: a.Number, Email: a.Email})
	}
	return out
}

// settingsAttrs are the attributes of a school item that its settings change: written by
// SaveSettings without touching its name or its roster, which other pages keep.
type settingsAttrs struct {
	EndOfDay        int               `dynamodbav:"endOfDayMinutes"`
	LoneWorker      int               `dynamodbav:"loneWorkerMinutes"`
	DutyTeam        string            `dynamodbav:"dutyTeamNumber"`
	SessionIdle     int               `dynamodbav:"sessionIdleMinutes"`
	SessionLifetime int               `dynamodbav:"sessionLifetimeMinutes"`
	ContactOpenings int               `dynamodbav:"contactOpeningsPerHour"`
	LADO            string            `dynamodbav:"ladoNumber"`
	Governor        string            `dynamodbav:"safeguardingGovernor"`
	KeyContacts     []keyContactAttrs `dynamodbav:"keyContacts"`
	SettingsVersion int               `dynamodbav:"settingsVersion"`
}

// LoadSettings reads the viewer, the school and any earlier request with rk's key in one
// BatchGetItem.
func (s *Store) LoadSettings(ctx context.Context, viewer string, school safeguarding.SchoolID, rk safeguarding.RequestKey) (settings.Load, error) {
	var l settings.Load
	err := s.load(ctx, newBatch().viewer(viewer, &l.Viewer).school(school, &l.Viewer, &l.School).prior(rk, &l.Prior))
	return l, err
}

// SaveSettings writes a school's settings, its audit entry and the request record in one
// transaction, on the condition that the settings' version is still prev (0: never changed).
// Only the settings' attributes are written: the school's name and roster stay as they are.
func (s *Store) SaveSettings(ctx context.Context, sc safeguarding.School, prev int, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error {
	if err := sc.CheckSettings(); err != nil {
		return err
	}
	attrs := marshal(settingsAttrs{EndOfDay: sc.EndOfDayMinutes, LoneWorker: sc.LoneWorkerMinutes, DutyTeam: sc.DutyTeamNumber,
		SessionIdle: sc.SessionIdleMinutes, SessionLifetime: sc.SessionLifetimeMinutes, ContactOpenings: sc.ContactOpeningsPerHour,
		LADO: sc.LADONumber, Governor: sc.SafeguardingGovernor, KeyContacts: keyContactsToAttrs(sc.KeyContacts), SettingsVersion: sc.SettingsVersion})
	names := map[string]string{"#v": "settingsVersion"}
	values := map[string]types.AttributeValue{":prev": num(prev), ":zero": num(0)}
	expr := "SET "
	for i, name := range slices.Sorted(maps.Keys(attrs)) {
		n := strconv.Itoa(i)
		if i > 0 {
			expr += ", "
		}
		expr += "#a" + n + " = :a" + n
		names["#a"+n], values[":a"+n] = name, attrs[name]
	}
	items, requestAt := s.commandItems(req, nil, audit, nil, audit.At)
	items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: schoolKey(sc.ID).av(),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(PK) AND (#v = :prev OR (attribute_not_exists(#v) AND :prev = :zero))"),
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values}})
	err := s.transact(ctx, items, requestAt)
	if cf := (*conditionFailed)(nil); errors.As(err, &cf) {
		return fmt.Errorf("store: the school's settings were changed by someone else: %w", safeguarding.ErrConflict)
	}
	return err
}

// classTeachersItem is a class item (classItem) with the version of its teachers, which
// SaveClassTeachers keeps.
type classTeachersItem struct {
	key
	Type     string   `dynamodbav:"type"`
	Name     string   `dynamodbav:"name"`
	Teachers []string `dynamodbav:"teachers"`
	Version  int      `dynamodbav:"version,omitempty"`
}

// ClassTeachers lists a school's classes with their teachers and versions, in name order
// (one Query of the school's class items, paged).
func (s *Store) ClassTeachers(ctx context.Context, school safeguarding.SchoolID) ([]settings.Class, error) {
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :class)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str("SCHOOL#" + string(school)), ":class": str("CLASS#"),
		},
	})
	var out []settings.Class
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("class teachers", err)
		}
		for _, item := range page.Items {
			var it classTeachersItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			out = append(out, settings.Class{Name: it.Name, Teachers: it.Teachers, Version: it.Version})
		}
	}
	return out, nil
}

// SaveClassTeachers writes a class's teachers, its audit entry and the request record in one
// transaction, on the condition that the class exists and its version is still prev.
func (s *Store) SaveClassTeachers(ctx context.Context, school safeguarding.SchoolID, c settings.Class, prev int, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error {
	teachers := make([]types.AttributeValue, 0, len(c.Teachers))
	for _, t := range c.Teachers {
		teachers = append(teachers, str(t))
	}
	items, requestAt := s.commandItems(req, nil, audit, nil, audit.At)
	items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: classKey(school, c.Name).av(),
		UpdateExpression:          aws.String("SET teachers = :t, version = :next"),
		ConditionExpression:       aws.String("attribute_exists(PK) AND (version = :prev OR (attribute_not_exists(version) AND :prev = :zero))"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":t": &types.AttributeValueMemberL{Value: teachers}, ":next": num(c.Version), ":prev": num(prev), ":zero": num(0)}}})
	err := s.transact(ctx, items, requestAt)
	if cf := (*conditionFailed)(nil); errors.As(err, &cf) {
		return fmt.Errorf("store: the class's teachers were changed by someone else: %w", safeguarding.ErrConflict)
	}
	return err
}
