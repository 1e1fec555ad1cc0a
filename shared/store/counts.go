package store

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/reports"
)

// typeCounts is a school's report counters for one month (rule D10): the governors' and
// Ofsted's reports read a handful of them, never the records.
const typeCounts = "counts"

// countsKey is one school's counter item for one local calendar month.
func countsKey(s safeguarding.SchoolID, month time.Time) key {
	return key{PK: "SCHOOL#" + string(s) + "#COUNTS", SK: "MONTH#" + reports.MonthKey(month)}
}

// The counters' attribute names. A category's is "cat#" and the category.
const (
	cConcerns     = "concerns"
	cHigh         = "high"
	cNormal       = "normal"
	cCategory     = "cat#"
	cD1OnTime     = "d1OnTime"
	cD1Late       = "d1Late"
	cReferrals    = "referrals"
	cAcknowledged = "acknowledged"
	cContacted    = "contacted"
	cMissing      = "missing"
)

// tally is what one transaction adds to its school's counters, per month: one UpdateItem
// with ADD per month touched (a transaction holds one operation per item).
type tally map[string]map[string]int

func (t tally) add(month time.Time, name string, n int) {
	k := reports.MonthKey(month)
	if t[k] == nil {
		t[k] = map[string]int{}
	}
	t[k][name] += n
}

// updates are the counter updates of the tally: an ADD of every counter, creating the item
// on its first count.
func (s *Store) countUpdates(school safeguarding.SchoolID, t tally) []types.TransactWriteItem {
	var out []types.TransactWriteItem
	for _, m := range slices.Sorted(maps.Keys(t)) {
		month, _ := time.ParseInLocation("2006-01", m, safeguarding.London)
		names := map[string]string{"#type": "type", "#school": "school", "#month": "month"}
		values := map[string]types.AttributeValue{":type": str(typeCounts), ":school": str(string(school)), ":month": str(m)}
		var adds []string
		for i, name := range slices.Sorted(maps.Keys(t[m])) {
			n, v := "#c"+strconv.Itoa(i), ":c"+strconv.Itoa(i)
			names[n], values[v] = name, num(t[m][name])
			adds = append(adds, n+" "+v)
		}
		out = append(out, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: countsKey(school, month).av(),
			UpdateExpression:          aws.String("SET #type = :type, #school = :school, #month = :month ADD " + strings.Join(adds, ", ")),
			ExpressionAttributeNames:  names,
			ExpressionAttributeValues: values}})
	}
	return out
}

// concernTally counts a new concern in the month it was recorded: by category and priority.
func concernTally(c concerns.Concern) tally {
	t := tally{}
	m := c.RecordedAt()
	t.add(m, cConcerns, 1)
	t.add(m, cCategory+string(c.Category()), 1)
	if c.HighPriority() {
		t.add(m, cHigh, 1)
	} else {
		t.add(m, cNormal, 1)
	}
	return t
}

// responseTally counts rule D1 met at `at` for a concern, in the month it was recorded: on
// time when no later than its due time.
func responseTally(t tally, c concerns.Concern, at time.Time) {
	if c.ResponseDueAt().IsZero() {
		return
	}
	if at.After(c.ResponseDueAt()) {
		t.add(c.RecordedAt(), cD1Late, 1)
	} else {
		t.add(c.RecordedAt(), cD1OnTime, 1)
	}
}

// familyTally counts a change to a family: first heard from in the month (by an
// acknowledgement, or by a contact the school established), or logged missing.
func familyTally(w contact.FamilyWrite) tally {
	t := tally{}
	f := w.Family
	if at := f.LastContactAt(); w.Contact && !at.IsZero() && at.After(w.PrevLastContactAt) &&
		(w.PrevLastContactAt.IsZero() || reports.MonthKey(at) != reports.MonthKey(w.PrevLastContactAt)) {
		if slices.Contains(contact.AckKinds, f.LastContactHow()) {
			t.add(at, cAcknowledged, 1)
		} else {
			t.add(at, cContacted, 1)
		}
	}
	if f.Status() == contact.FamilyMissing && f.MissingSince().Equal(w.At.UTC()) && !w.At.IsZero() {
		t.add(w.At, cMissing, 1)
	}
	return t
}

type countsItem struct {
	key
	Type  string `dynamodbav:"type"`
	Month string `dynamodbav:"month"`
}

func countsFromItem(item map[string]types.AttributeValue) (reports.Counts, error) {
	var it countsItem
	if err := unmarshal(item, &it); err != nil {
		return reports.Counts{}, err
	}
	m, err := time.ParseInLocation("2006-01", it.Month, safeguarding.London)
	if err != nil {
		return reports.Counts{}, fmt.Errorf("store: counts of month %q: %w", it.Month, err)
	}
	c := reports.Counts{Month: m, ByCategory: map[safeguarding.Category]int{}}
	for name, v := range item {
		nv, ok := v.(*types.AttributeValueMemberN)
		if !ok {
			continue
		}
		n, _ := strconv.Atoi(nv.Value)
		switch {
		case strings.HasPrefix(name, cCategory):
			c.ByCategory[safeguarding.Category(strings.TrimPrefix(name, cCategory))] = n
		case name == cConcerns:
			c.Concerns = n
		case name == cHigh:
			c.High = n
		case name == cNormal:
			c.Normal = n
		case name == cD1OnTime:
			c.D1OnTime = n
		case name == cD1Late:
			c.D1Late = n
		case name == cReferrals:
			c.Referrals = n
		case name == cAcknowledged:
			c.Acknowledged = n
		case name == cContacted:
			c.Contacted = n
		case name == cMissing:
			c.Missing = n
		}
	}
	return c, nil
}

var _ reports.Store = (*Store)(nil)

// MonthlyCounts reads the counter items of the schools for the months, 100 keys to a
// BatchGetItem (a term and the one before it, for 50 schools: 4 round trips).
func (s *Store) MonthlyCounts(ctx context.Context, schools []safeguarding.SchoolID, months []time.Time) (map[safeguarding.SchoolID]map[string]reports.Counts, error) {
	var keys []key
	for _, sc := range schools {
		for _, m := range months {
			keys = append(keys, countsKey(sc, m))
		}
	}
	out := map[safeguarding.SchoolID]map[string]reports.Counts{}
	err := s.batchGetEach(ctx, keys, func(typ string, item map[string]types.AttributeValue) error {
		if typ != typeCounts {
			return nil
		}
		var school struct {
			School string `dynamodbav:"school"`
		}
		if err := unmarshal(item, &school); err != nil {
			return err
		}
		c, err := countsFromItem(item)
		if err != nil {
			return err
		}
		id := safeguarding.SchoolID(school.School)
		if out[id] == nil {
			out[id] = map[string]reports.Counts{}
		}
		out[id][reports.MonthKey(c.Month)] = c
		return nil
	})
	return out, err
}

// LoadReport reads the viewer, the school and its calendar in one BatchGetItem.
func (s *Store) LoadReport(ctx context.Context, viewer string, school safeguarding.SchoolID) (safeguarding.Principal, safeguarding.School, safeguarding.SchoolCalendar, error) {
	var p safeguarding.Principal
	var sc safeguarding.School
	var cal calendarItem
	if err := s.load(ctx, newBatch().viewer(viewer, &p).school(school, &p, &sc).item(calendarKey(school), &cal)); err != nil {
		return p, sc, safeguarding.SchoolCalendar{}, err
	}
	c, err := schoolCalendarOf(cal, school)
	return p, sc, c, err
}

// SchoolNames reads the schools' names, 100 to a BatchGetItem.
func (s *Store) SchoolNames(ctx context.Context, schools []safeguarding.SchoolID) (map[safeguarding.SchoolID]string, error) {
	keys := make([]key, len(schools))
	for i, sc := range schools {
		keys[i] = schoolKey(sc)
	}
	out := map[safeguarding.SchoolID]string{}
	err := s.batchGetEach(ctx, keys, func(typ string, item map[string]types.AttributeValue) error {
		if typ != typeSchool {
			return nil
		}
		var it schoolItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out[safeguarding.SchoolID(it.ID)] = it.Name
		return nil
	})
	return out, err
}

// AuditAll saves audit entries that name no pupil, each conditioned on being new: one
// PutItem for one, else TransactWriteItems of up to 100.
func (s *Store) AuditAll(ctx context.Context, es []safeguarding.AuditEntry) error {
	if len(es) == 1 {
		return s.Audit(ctx, es[0])
	}
	var items []types.TransactWriteItem
	for _, e := range es {
		items = append(items, s.auditPuts(e)...)
	}
	for start := 0; start < len(items); start += 100 {
		if err := s.transact(ctx, items[start:min(start+100, len(items))], -1); err != nil {
			return wrap("audit", err)
		}
	}
	return nil
}

// PutCounts adds a month's figures to a school's counters as recording would: for the demo
// data and benchmarks, which load records in bulk without their transactions.
func (s *Store) PutCounts(ctx context.Context, school safeguarding.SchoolID, c reports.Counts) error {
	t := tally{}
	m := c.Month
	add := func(name string, n int) {
		if n != 0 {
			t.add(m, name, n)
		}
	}
	add(cConcerns, c.Concerns)
	add(cHigh, c.High)
	add(cNormal, c.Normal)
	for k, n := range c.ByCategory {
		add(cCategory+string(k), n)
	}
	add(cD1OnTime, c.D1OnTime)
	add(cD1Late, c.D1Late)
	add(cReferrals, c.Referrals)
	add(cAcknowledged, c.Acknowledged)
	add(cContacted, c.Contacted)
	add(cMissing, c.Missing)
	items := s.countUpdates(school, t)
	if len(items) == 0 {
		return nil
	}
	return s.transact(ctx, items, -1)
}
