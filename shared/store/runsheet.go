package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

// The registry entry of a school (SCHOOLS, <school>) keeps a copy of what the escalation run
// needs besides the families (data.md A97): the school's calendar, its latest closure, and its
// name and the people its family alerts go to. Each copy is written with the item it copies
// (in the same transaction where that item's write is one), so the fan-out's one Query of the
// registry hands every school its run sheet and the run reads only the look index. A copy that
// is missing (a school registered before the registry kept them, or that has no calendar or
// closure yet) is read from its own item as before.
const (
	sheetCalendar = "runCalendar"
	sheetClosure  = "runClosure"
	sheetName     = "runName"
	sheetRoster   = "runRoster"
)

type calendarCopy struct {
	Terms   []periodItem `dynamodbav:"terms"`
	DaysOff []periodItem `dynamodbav:"daysOff"`
	Version int          `dynamodbav:"version"`
}

type closureCopy struct {
	ID      string     `dynamodbav:"id"`
	From    string     `dynamodbav:"from"`
	LastDay string     `dynamodbav:"lastDay,omitempty"`
	EndedAt *time.Time `dynamodbav:"endedAt,omitempty"`
	Swept   bool       `dynamodbav:"swept,omitempty"`
	Version int        `dynamodbav:"version"`
}

type sheetItem struct {
	Type     string        `dynamodbav:"type"`
	School   string        `dynamodbav:"school"`
	Reached  string        `dynamodbav:"escalationReached,omitempty"`
	Calendar *calendarCopy `dynamodbav:"runCalendar,omitempty"`
	Closure  *closureCopy  `dynamodbav:"runClosure,omitempty"`
	Name     *string       `dynamodbav:"runName,omitempty"`
	Roster   []staffEntry  `dynamodbav:"runRoster"`
}

// sheetUpdate sets copies on a school's registry entry. No condition: a write of the item
// copied never fails for want of a registry entry (an entry made this way has no type and no
// school, and every reader of the registry passes it over until PutSchool lists the school).
func (s *Store) sheetUpdate(school safeguarding.SchoolID, set map[string]any) (types.TransactWriteItem, error) {
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	expr := "SET "
	for i, name := range slicesSorted(set) {
		v, err := attributevalue.Marshal(set[name])
		if err != nil {
			return types.TransactWriteItem{}, err
		}
		n := fmt.Sprint(i)
		if i > 0 {
			expr += ", "
		}
		expr += "#s" + n + " = :s" + n
		names["#s"+n], values[":s"+n] = name, v
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: schoolsKey(school).av(),
		UpdateExpression: aws.String(expr), ExpressionAttributeNames: names, ExpressionAttributeValues: values}}, nil
}

func slicesSorted(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func calendarSheet(c safeguarding.SchoolCalendar) map[string]any {
	it := calendarToItem(c)
	return map[string]any{sheetCalendar: calendarCopy{Terms: it.Terms, DaysOff: it.DaysOff, Version: it.Version}}
}

// closureSheet is the copy of the school's latest closure; of none, a copy with no id.
func closureSheet(c safeguarding.Closure) map[string]any {
	if c.ID == "" {
		return map[string]any{sheetClosure: closureCopy{}}
	}
	it := closureToItem(c, key{}, "")
	return map[string]any{sheetClosure: closureCopy{ID: it.ID, From: it.From, LastDay: it.LastDay, EndedAt: it.EndedAt, Swept: it.Swept, Version: it.Version}}
}

// schoolSheet is the school's name and the members of its roster the run alerts (its DSLs and
// Senior DSLs), with all their roles.
func schoolSheet(sc safeguarding.School) map[string]any {
	var alerted []safeguarding.StaffMember
	for _, m := range sc.Roster {
		if m.Has(safeguarding.RoleDSL) || m.Has(safeguarding.RoleSeniorDSL) {
			alerted = append(alerted, m)
		}
	}
	return map[string]any{sheetName: sc.Name, sheetRoster: rosterEntries(alerted)}
}

// rosterSheet is schoolSheet for a change of the roster alone.
func rosterSheet(r []safeguarding.StaffMember) map[string]any {
	m := schoolSheet(safeguarding.School{Roster: r})
	delete(m, sheetName)
	return m
}

// putSheet writes copies outside a transaction (after a PutItem of the item copied, for
// seeding and imports).
func (s *Store) putSheet(ctx context.Context, school safeguarding.SchoolID, set map[string]any) error {
	w, err := s.sheetUpdate(school, set)
	if err != nil {
		return err
	}
	u := w.Update
	_, err = s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: u.TableName, Key: u.Key, UpdateExpression: u.UpdateExpression,
		ExpressionAttributeNames: u.ExpressionAttributeNames, ExpressionAttributeValues: u.ExpressionAttributeValues})
	return wrap("registry copy", err)
}

// EscalationSheets lists every school from the registry with the last local day the
// escalation job reached for it and the copies the registry holds of what its run needs: one
// Query, paged, whatever the number of schools.
func (s *Store) EscalationSheets(ctx context.Context) ([]engagement.EscalationSchool, error) {
	var out []engagement.EscalationSchool
	err := s.queryPartition(ctx, "SCHOOLS", func(typ string, item map[string]types.AttributeValue) error {
		if typ != typeRegistry {
			return nil
		}
		var it sheetItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		es, err := sheetFromItem(it)
		if err != nil {
			return err
		}
		out = append(out, es)
		return nil
	})
	return out, err
}

func sheetFromItem(it sheetItem) (engagement.EscalationSchool, error) {
	id := safeguarding.SchoolID(it.School)
	es := engagement.EscalationSchool{SchoolDue: safeguarding.SchoolDue{ID: id}}
	if it.Reached != "" {
		from, err := parseLocalDate(it.Reached)
		if err != nil {
			return es, fmt.Errorf("store: school %s: escalation reached %q: %w", it.School, it.Reached, err)
		}
		es.From = from
	}
	if c := it.Calendar; c != nil {
		cal, err := calendarFromItem(calendarItem{School: it.School, Terms: c.Terms, DaysOff: c.DaysOff, Version: c.Version})
		if err != nil {
			return es, err
		}
		es.Sheet.Calendar = &cal
	}
	if c := it.Closure; c != nil && c.ID == "" {
		es.Sheet.Closure = &safeguarding.Closure{} // the school has had no closure
	} else if c != nil {
		cl, err := closureFromItem(closureItem{ID: c.ID, School: it.School, From: c.From, LastDay: c.LastDay, EndedAt: c.EndedAt, Swept: c.Swept, Version: c.Version})
		if err != nil {
			return es, err
		}
		es.Sheet.Closure = &cl
	}
	if it.Name != nil {
		sc := schoolFromItem(schoolItem{ID: it.School, Name: *it.Name, Roster: it.Roster})
		es.Sheet.School = &sc
	}
	return es, nil
}
