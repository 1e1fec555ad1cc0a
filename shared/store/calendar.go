package store

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

const typeCalendar = "calendar"

// calendarKey is a school's calendar: one item beside the school's own.
func calendarKey(s safeguarding.SchoolID) key { return key{PK: "SCHOOL#" + string(s), SK: "CALENDAR"} }

type periodItem struct {
	Kind string `dynamodbav:"kind,omitempty"`
	Name string `dynamodbav:"name,omitempty"`
	From string `dynamodbav:"from"`
	To   string `dynamodbav:"to"`
	Note string `dynamodbav:"note,omitempty"`
}

type calendarItem struct {
	key
	Type    string       `dynamodbav:"type"`
	School  string       `dynamodbav:"school"`
	Terms   []periodItem `dynamodbav:"terms"`
	DaysOff []periodItem `dynamodbav:"daysOff"`
	Version int          `dynamodbav:"version"`
}

func localDate(t time.Time) string { return t.In(safeguarding.London).Format(time.DateOnly) }

func parseLocalDate(s string) (time.Time, error) {
	return time.ParseInLocation(time.DateOnly, s, safeguarding.London)
}

func calendarToItem(c safeguarding.SchoolCalendar) calendarItem {
	it := calendarItem{key: calendarKey(c.School), Type: typeCalendar, School: string(c.School), Version: c.Version,
		Terms: []periodItem{}, DaysOff: []periodItem{}}
	for _, t := range c.Terms {
		it.Terms = append(it.Terms, periodItem{Name: t.Name, From: localDate(t.From), To: localDate(t.To)})
	}
	for _, o := range c.DaysOff {
		it.DaysOff = append(it.DaysOff, periodItem{Kind: o.Kind, From: localDate(o.From), To: localDate(o.To), Note: o.Note})
	}
	return it
}

func calendarFromItem(it calendarItem) (safeguarding.SchoolCalendar, error) {
	c := safeguarding.SchoolCalendar{School: safeguarding.SchoolID(it.School), Version: it.Version}
	for _, p := range append(append([]periodItem{}, it.Terms...), it.DaysOff...) {
		from, err1 := parseLocalDate(p.From)
		to, err2 := parseLocalDate(p.To)
		if err1 != nil || err2 != nil {
			return c, fmt.Errorf("store: calendar of %s: period %s-%s: %w", it.School, p.From, p.To, safeguarding.ErrInvalid)
		}
		if p.Kind == "" {
			c.Terms = append(c.Terms, safeguarding.Term{Name: p.Name, From: from, To: to})
		} else {
			c.DaysOff = append(c.DaysOff, safeguarding.DayOff{Kind: p.Kind, From: from, To: to, Note: p.Note})
		}
	}
	return c, nil
}

// SchoolCalendar reads a school's calendar; a school that has entered none has an empty one
// (weekdays less bank holidays), at version 0.
func (s *Store) SchoolCalendar(ctx context.Context, id safeguarding.SchoolID) (safeguarding.SchoolCalendar, error) {
	var it calendarItem
	ok, err := s.getItem(ctx, calendarKey(id), &it, false)
	if err != nil || !ok {
		return safeguarding.SchoolCalendar{School: id}, err
	}
	return calendarFromItem(it)
}

// SaveSchoolCalendar saves a new version of a school's calendar with its audit entry, on the
// condition that the stored one is the version before (ErrConflict).
func (s *Store) SaveSchoolCalendar(ctx context.Context, c safeguarding.SchoolCalendar, audit safeguarding.AuditEntry) error {
	cond := &types.Put{TableName: &s.table, Item: marshal(calendarToItem(c))}
	if c.Version <= 1 {
		cond.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		cond.ConditionExpression = aws.String("version = :prev")
		cond.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": num(c.Version - 1)}
	}
	copied, err := s.sheetUpdate(c.School, calendarSheet(c))
	if err != nil {
		return err
	}
	items := append([]types.TransactWriteItem{{Put: cond}, copied}, s.auditPuts(audit)...)
	return s.transact(ctx, items, -1)
}

// PutSchoolCalendar saves a calendar as it is, for seeding and imports.
func (s *Store) PutSchoolCalendar(ctx context.Context, c safeguarding.SchoolCalendar) error {
	if _, err := s.db.PutItem(ctx, putInput(s.table, calendarToItem(c))); err != nil {
		return wrap("put calendar", err)
	}
	return s.putSheet(ctx, c.School, calendarSheet(c))
}

// schoolCalendarOf is the calendar a batch read found, or the school's empty one (weekdays less
// bank holidays) when it has entered none.
func schoolCalendarOf(it calendarItem, school safeguarding.SchoolID) (safeguarding.SchoolCalendar, error) {
	if it.Type == "" {
		return safeguarding.SchoolCalendar{School: school}, nil
	}
	c, err := calendarFromItem(it)
	c.School = school
	return c, err
}
