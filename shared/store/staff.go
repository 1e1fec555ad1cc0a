package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
)

var _ staff.Store = (*Store)(nil)

// LoadStaff reads the viewer, the school and any earlier request with the key in one
// BatchGetItem, then the profiles of the school's roster in one more (100 to a call).
func (s *Store) LoadStaff(ctx context.Context, viewer string, school safeguarding.SchoolID, rk safeguarding.RequestKey) (staff.Staffing, error) {
	var st staff.Staffing
	b := newBatch().viewer(viewer, &st.Viewer).school(school, &st.Viewer, &st.School).prior(rk, &st.Prior)
	if err := s.load(ctx, b); err != nil {
		return st, err
	}
	emails := make([]string, 0, len(st.School.Roster))
	for _, m := range st.School.Roster {
		emails = append(emails, m.Email)
	}
	var err error
	st.Profiles, err = s.Profiles(ctx, emails)
	return st, err
}

// staffChunk is how many profiles one transaction writes, under TransactWriteItems' 100 with
// room for the roster, the audit entry and the idempotency record.
const staffChunk = 90

// SaveStaff writes a staff change: each profile (a new one on the condition that it does not
// exist, another on the condition that its roles are still the ones read), the school's roster
// (on the condition that it is still the one read), the audit entry and the idempotency record.
// Up to 90 profiles, one transaction; an import of more writes its profiles in transactions of
// 90 first and the roster with the last. A change read from a stale profile or roster is
// ErrConflict. The stream carries the profiles and the roster to the subscriptions function,
// which subscribes or unsubscribes their alert endpoints.
func (s *Store) SaveStaff(ctx context.Context, c staff.Change, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error {
	var people []types.TransactWriteItem
	for _, p := range c.People {
		w, err := s.profileWrite(p)
		if err != nil {
			return err
		}
		people = append(people, w)
	}
	for len(people) > staffChunk {
		if err := s.transact(ctx, people[:staffChunk], -1); err != nil {
			return fmt.Errorf("saving staff: %w", err)
		}
		people = people[staffChunk:]
	}
	items, requestAt := s.commandItems(req, nil, audit, nil, audit.At)
	items = append(items, people...)
	if !rosterEqual(c.RosterBefore, c.RosterAfter) {
		u, err := s.rosterUpdate(c.School, c.RosterBefore, c.RosterAfter)
		if err != nil {
			return err
		}
		copied, err := s.sheetUpdate(c.School, rosterSheet(c.RosterAfter))
		if err != nil {
			return err
		}
		items = append(items, types.TransactWriteItem{Update: u}, copied)
	}
	err := s.transact(ctx, items, requestAt)
	var cf *conditionFailed
	if errors.As(err, &cf) {
		return fmt.Errorf("store: staff changed by someone else (item %d): %w", cf.index, safeguarding.ErrConflict)
	}
	return err
}

func rosterEqual(a, b []safeguarding.StaffMember) bool {
	return slices.EqualFunc(a, b, func(x, y safeguarding.StaffMember) bool {
		return x.Email == y.Email && slices.Equal(x.Roles, y.Roles)
	})
}

func rosterEntries(r []safeguarding.StaffMember) []staffEntry {
	return schoolToItem(safeguarding.School{Roster: r}).Roster
}

// rosterUpdate sets the school's roster on the condition that it is still before.
func (s *Store) rosterUpdate(school safeguarding.SchoolID, before, after []safeguarding.StaffMember) (*types.Update, error) {
	next, err := attributevalue.Marshal(rosterEntries(after))
	if err != nil {
		return nil, err
	}
	u := &types.Update{TableName: &s.table, Key: schoolKey(school).av(),
		UpdateExpression:          aws.String("SET roster = :after"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":after": next}}
	if len(before) == 0 {
		u.ConditionExpression = aws.String("attribute_exists(PK) AND (attribute_not_exists(roster) OR NOT attribute_type(roster, :list) OR size(roster) = :zero)")
		u.ExpressionAttributeValues[":list"] = str("L")
		u.ExpressionAttributeValues[":zero"] = num(0)
	} else {
		prev, err := attributevalue.Marshal(rosterEntries(before))
		if err != nil {
			return nil, err
		}
		u.ConditionExpression = aws.String("roster = :before")
		u.ExpressionAttributeValues[":before"] = prev
	}
	return u, nil
}

// profileWrite is a new profile's put, or an existing one's update of its name, subject,
// mobile and roles on the condition that its roles are still the ones read. Everything else
// on it (closure contact designations) stays.
func (s *Store) profileWrite(p staff.PersonChange) (types.TransactWriteItem, error) {
	if p.Before.Email == "" {
		return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(userToItem(p.After)),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}}, nil
	}
	after, before := userToItem(p.After), userToItem(p.Before)
	m, err := attributevalue.Marshal(after.Memberships)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	prev, err := attributevalue.Marshal(before.Memberships)
	if err != nil {
		return types.TransactWriteItem{}, err
	}
	expr := "SET memberships = :m, #name = :name, subject = :subject"
	vals := map[string]types.AttributeValue{":m": m, ":before": prev, ":name": str(after.Name), ":subject": str(after.Subject)}
	if after.Mobile != "" {
		expr += ", mobile = :mobile"
		vals[":mobile"] = str(after.Mobile)
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: userKey(p.After.Email).av(),
		UpdateExpression: aws.String(expr), ConditionExpression: aws.String("memberships = :before"),
		ExpressionAttributeNames: map[string]string{"#name": "name"}, ExpressionAttributeValues: vals}}, nil
}

// EndSessions ends every web session of the person at (a leaver, rule P1): one Query of the
// index items StartSession keeps beside each session, and one write per session still open.
func (s *Store) EndSessions(ctx context.Context, email string, at time.Time) error {
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{TableName: &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(personSessionsPK(email))}})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return wrap("sessions of a person", err)
		}
		for _, item := range page.Items {
			var it personSessionItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			if err := s.endSession(ctx, key{PK: it.Session, SK: "SESSION"}, at); err != nil {
				return err
			}
		}
	}
	return nil
}
