package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// An audit entry (rule P4) is an item under its school's day (A11). It is found by who acted
// through GSI1 and by the first pupil it touched through GSI3; each further pupil gets an
// index item of its own beside the entry, written in the entry's transaction and as
// immutable as it (A60-A62).

var _ audit.Store = (*Store)(nil)

// auditByPK lists one person's (or job's) audit entries in a school (GSI1).
func auditByPK(s safeguarding.SchoolID, actor string) string {
	return "SCHOOL#" + string(s) + "#AUDITBY#" + actor
}

// auditOfPK lists the audit entries that touched one pupil of a school (GSI3).
func auditOfPK(s safeguarding.SchoolID, p safeguarding.PupilID) string {
	return "SCHOOL#" + string(s) + "#AUDITOF#" + string(p)
}

// auditSK orders a day's entries by time; the id breaks ties. Its index items follow it
// (auditRefSK), before any later entry: ids have one length.
func auditSK(at time.Time, id string) string { return stamp(at) + "#" + id }

// auditRefSK is the index item of an entry's pupil n (2, 3...), in the pupils' order.
func auditRefSK(entrySK string, n int) string { return fmt.Sprintf("%s#P%04d", entrySK, n) }

type auditItem struct {
	key
	Type    string    `dynamodbav:"type"`
	ID      string    `dynamodbav:"id"`
	School  string    `dynamodbav:"school"`
	Actor   string    `dynamodbav:"actor"`
	Action  string    `dynamodbav:"action"`
	Subject string    `dynamodbav:"subject"`
	Pupils  []string  `dynamodbav:"pupils"`
	At      time.Time `dynamodbav:"at"`
	Source  string    `dynamodbav:"source"`
	Reason  string    `dynamodbav:"reason,omitempty"`
	GSI1PK  string    `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK  string    `dynamodbav:"GSI1SK,omitempty"`
	GSI3PK  string    `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK  string    `dynamodbav:"GSI3SK,omitempty"`
}

// auditRefItem puts an entry in the pupil index of one more of its pupils: the entry's key
// (its partition is the index item's own) and its actor, so a reading by pupil and person
// filters both.
type auditRefItem struct {
	key
	Type   string `dynamodbav:"type"`
	Entry  string `dynamodbav:"entry"`
	Actor  string `dynamodbav:"actor"`
	Pupil  string `dynamodbav:"pupil"`
	GSI3PK string `dynamodbav:"GSI3PK"`
	GSI3SK string `dynamodbav:"GSI3SK"`
}

// auditPupils are an entry's distinct pupils in their order: the first is the entry's own
// index key, each further one an index item.
func auditPupils(e safeguarding.AuditEntry) []safeguarding.PupilID {
	var out []safeguarding.PupilID
	for _, p := range e.Pupils {
		if p != "" && !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	return out
}

func auditToItem(e safeguarding.AuditEntry) auditItem {
	sk := auditSK(e.At, e.ID)
	it := auditItem{key: key{PK: auditPK(e.School, e.At), SK: sk}, Type: typeAudit,
		ID: e.ID, School: string(e.School), Actor: e.Actor, Action: e.Action, Subject: e.Subject, At: e.At, Source: e.Source,
		Reason: e.Reason, GSI1PK: auditByPK(e.School, e.Actor), GSI1SK: sk}
	for _, p := range e.Pupils {
		it.Pupils = append(it.Pupils, string(p))
	}
	if ps := auditPupils(e); len(ps) > 0 {
		it.GSI3PK, it.GSI3SK = auditOfPK(e.School, ps[0]), sk
	}
	return it
}

func auditFromItem(it auditItem) safeguarding.AuditEntry {
	e := safeguarding.AuditEntry{ID: it.ID, School: safeguarding.SchoolID(it.School), Actor: it.Actor, Action: it.Action,
		Subject: it.Subject, At: it.At, Source: it.Source, Reason: it.Reason}
	for _, p := range it.Pupils {
		e.Pupils = append(e.Pupils, safeguarding.PupilID(p))
	}
	return e
}

// auditRefs are the index items of an entry's pupils after the first.
func auditRefs(e safeguarding.AuditEntry) []auditRefItem {
	ps := auditPupils(e)
	if len(ps) < 2 {
		return nil
	}
	pk, sk := auditPK(e.School, e.At), auditSK(e.At, e.ID)
	out := make([]auditRefItem, 0, len(ps)-1)
	for i, p := range ps[1:] {
		out = append(out, auditRefItem{key: key{PK: pk, SK: auditRefSK(sk, i+2)}, Type: typeAuditRef, Entry: sk,
			Actor: e.Actor, Pupil: string(p), GSI3PK: auditOfPK(e.School, p), GSI3SK: sk})
	}
	return out
}

// auditPuts are the conditional puts of an entry and its index items, for the transaction
// of the write or read it records: appended, never written over (rule P4).
func (s *Store) auditPuts(e safeguarding.AuditEntry) []types.TransactWriteItem {
	items := []types.TransactWriteItem{s.putNew(auditToItem(e))}
	for _, r := range auditRefs(e) {
		items = append(items, s.putNew(r))
	}
	return items
}

// Audit saves one audit entry, never over another (rule P4): one conditional PutItem, or with
// several pupils one transaction with their index items. An entry of a list that touched more
// pupils than a transaction holds has its index items written first, 100 at a time, and
// commits last, so no entry is ever saved without them.
func (s *Store) Audit(ctx context.Context, e safeguarding.AuditEntry) error {
	items := s.auditPuts(e)
	if len(items) == 1 {
		return wrap("audit", s.putOnce(ctx, marshal(auditToItem(e))))
	}
	entry, refs := items[0], items[1:]
	for len(refs) > 99 {
		if err := s.transact(ctx, refs[len(refs)-100:], -1); err != nil {
			return wrap("audit", err)
		}
		refs = refs[:len(refs)-100]
	}
	return wrap("audit", s.transact(ctx, append([]types.TransactWriteItem{entry}, refs...), -1))
}

// maxAuditQueries bounds the Queries of a page read by pupil and person, whose filter on the
// person may leave a Query's items short of a page: the page is then shorter, with a cursor.
const maxAuditQueries = 5

// auditCursor is a page's position: the key of the last item read, as base64url.
var auditCursor = regexp.MustCompile(`^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)#([0-9A-Za-z-]{1,100})(#P\d{4})?$`)

func encodeAuditCursor(sk string) string { return base64.RawURLEncoding.EncodeToString([]byte(sk)) }

// queryLimit is a Query's Limit for n items, within what one Query of the trail reads.
func queryLimit(n int) *int32 {
	if n < 1 {
		n = 1
	}
	if n > 1000 {
		n = 1000
	}
	return aws.Int32(int32(n))
}

// auditPosition is where a page ended: the last item's key in the table, its entry's key (the
// same, or the entry an index item belongs to) and its time.
type auditPosition struct {
	sk, entrySK string
	at          time.Time
}

// decodeAuditCursor reads a cursor back; its time must lie in the page's dates.
func decodeAuditCursor(c string, q audit.Query) (auditPosition, error) {
	invalid := &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "cursor", Message: "is not a page of this list; start again from the first page"}}}
	raw, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return auditPosition{}, invalid
	}
	m := auditCursor.FindStringSubmatch(string(raw))
	if m == nil {
		return auditPosition{}, invalid
	}
	at, err := time.Parse("2006-01-02T15:04:05.000000000Z", m[1])
	if err != nil || at.Before(q.From) || !at.Before(q.To) {
		return auditPosition{}, invalid
	}
	return auditPosition{sk: string(raw), entrySK: m[1] + "#" + m[2], at: at}, nil
}

// AuditTrail reads the viewer (GetItem) and one page of a school's audit entries side by
// side: by pupil, one Query of GSI3 (filtered on the actor when by person too) and one
// BatchGetItem of the entries found through index items; by person only, one Query of GSI1;
// otherwise one Query of each day's partition, newest day first, until the page is full.
func (s *Store) AuditTrail(ctx context.Context, viewer string, school safeguarding.SchoolID, q audit.Query) (safeguarding.Principal, []safeguarding.AuditEntry, string, error) {
	var after *auditPosition
	if q.Cursor != "" {
		pos, err := decodeAuditCursor(q.Cursor, q)
		if err != nil {
			return safeguarding.Principal{}, nil, "", err
		}
		after = &pos
	}
	var (
		p       safeguarding.Principal
		entries []safeguarding.AuditEntry
		next    string
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		p, err = s.Principal(gctx, viewer)
		return err
	})
	g.Go(func() (err error) {
		if q.Pupil == "" && q.Person == "" {
			entries, next, err = s.auditByDay(gctx, school, q, after)
		} else {
			entries, next, err = s.auditByIndex(gctx, school, q, after)
		}
		return err
	})
	err := g.Wait()
	return p, entries, next, err
}

// auditByDay reads a page from the days' partitions, from the cursor's day (or the last
// day) back to the first.
func (s *Store) auditByDay(ctx context.Context, school safeguarding.SchoolID, q audit.Query, after *auditPosition) ([]safeguarding.AuditEntry, string, error) {
	day := q.To.AddDate(0, 0, -1)
	var start map[string]types.AttributeValue
	if after != nil {
		l := after.at.In(safeguarding.London)
		day = time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, safeguarding.London)
		start = key{PK: auditPK(school, after.at), SK: after.sk}.av()
	}
	var out []safeguarding.AuditEntry
	for !day.Before(q.From) {
		// A day's partition holds the index items of entries with several pupils beside the
		// entries: a Query reads twice what the page lacks, so that one Query a day fills it.
		page, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName: &s.table, KeyConditionExpression: aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(auditPK(school, day))},
			ScanIndexForward:          aws.Bool(false), Limit: queryLimit(2 * (q.Limit - len(out))), ExclusiveStartKey: start,
		})
		if err != nil {
			return nil, "", wrap("audit trail", err)
		}
		for _, item := range page.Items {
			var it auditItem
			if err := unmarshal(item, &it); err != nil {
				return nil, "", err
			}
			if it.Type != typeAudit {
				continue
			}
			if len(out) == q.Limit {
				// Full, with more to come: the next page starts after the last entry kept
				// (an entry's index items sort above it, so none of them is passed over).
				return out, encodeAuditCursor(auditSK(out[len(out)-1].At, out[len(out)-1].ID)), nil
			}
			out = append(out, auditFromItem(it))
		}
		start = page.LastEvaluatedKey
		if start == nil {
			day = day.AddDate(0, 0, -1)
		}
		if len(out) == q.Limit && (start != nil || !day.Before(q.From)) {
			return out, encodeAuditCursor(auditSK(out[len(out)-1].At, out[len(out)-1].ID)), nil
		}
	}
	return out, "", nil
}

// auditByIndex reads a page of one pupil's (GSI3) or one person's (GSI1) entries in the
// dates, then the entries that the pupil's index items point to.
func (s *Store) auditByIndex(ctx context.Context, school safeguarding.SchoolID, q audit.Query, after *auditPosition) ([]safeguarding.AuditEntry, string, error) {
	in := &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI1"),
		KeyConditionExpression:   aws.String("#pk = :pk AND #sk BETWEEN :lo AND :hi"),
		ExpressionAttributeNames: map[string]string{"#pk": "GSI1PK", "#sk": "GSI1SK"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(auditByPK(school, q.Person)),
			":lo": str(stamp(q.From)), ":hi": str(stamp(q.To))},
		ScanIndexForward: aws.Bool(false),
	}
	if q.Pupil != "" {
		in.IndexName, in.ExpressionAttributeNames = aws.String("GSI3"), map[string]string{"#pk": "GSI3PK", "#sk": "GSI3SK"}
		in.ExpressionAttributeValues[":pk"] = str(auditOfPK(school, q.Pupil))
		if q.Person != "" {
			// The pupil's entries are few beside a day's: filtering them on the actor reads
			// little, and a Query reads more of them at a time.
			in.FilterExpression, in.ExpressionAttributeNames["#actor"] = aws.String("#actor = :actor"), "actor"
			in.ExpressionAttributeValues[":actor"] = str(q.Person)
		}
	}
	if after != nil {
		start := key{PK: auditPK(school, after.at), SK: after.sk}.av()
		start[in.ExpressionAttributeNames["#pk"]] = in.ExpressionAttributeValues[":pk"]
		start[in.ExpressionAttributeNames["#sk"]] = str(after.entrySK)
		in.ExclusiveStartKey = start
	}
	type found struct {
		sk    string
		entry *safeguarding.AuditEntry
		ref   key
	}
	var items []found
	for range maxAuditQueries {
		in.Limit = queryLimit(q.Limit - len(items))
		if in.FilterExpression != nil {
			in.Limit = aws.Int32(100)
		}
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return nil, "", wrap("audit trail", err)
		}
		for _, item := range out.Items {
			var it auditItem
			if err := unmarshal(item, &it); err != nil {
				return nil, "", err
			}
			f := found{sk: it.SK}
			if it.Type == typeAuditRef {
				var r auditRefItem
				if err := unmarshal(item, &r); err != nil {
					return nil, "", err
				}
				f.ref = key{PK: r.PK, SK: r.Entry}
			} else {
				e := auditFromItem(it)
				f.entry = &e
			}
			items = append(items, f)
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
		if len(items) >= q.Limit || in.ExclusiveStartKey == nil {
			break
		}
	}
	next := ""
	switch {
	case len(items) > q.Limit:
		items = items[:q.Limit]
		next = encodeAuditCursor(items[len(items)-1].sk)
	case in.ExclusiveStartKey != nil:
		var k key
		if err := unmarshal(in.ExclusiveStartKey, &k); err != nil {
			return nil, "", err
		}
		next = encodeAuditCursor(k.SK)
	}
	var refs []key
	for _, f := range items {
		if f.entry == nil {
			refs = append(refs, f.ref)
		}
	}
	var byRef map[string]map[string]types.AttributeValue
	if len(refs) > 0 {
		var err error
		if byRef, err = s.batchGet(ctx, refs); err != nil {
			return nil, "", err
		}
	}
	out := make([]safeguarding.AuditEntry, 0, len(items))
	for _, f := range items {
		if f.entry != nil {
			out = append(out, *f.entry)
			continue
		}
		var it auditItem
		if err := unmarshalFound(byRef, f.ref, &it); err != nil {
			return nil, "", err
		}
		if it.ID != "" { // an index item is written before, or with, its entry: never alone but for a failed write
			out = append(out, auditFromItem(it))
		}
	}
	return out, next, nil
}

// AuditNames reads the concerns, pupils and people a page of the audit trail names, in one
// BatchGetItem of up to 100 keys (more only for a larger page).
func (s *Store) AuditNames(ctx context.Context, school safeguarding.SchoolID, cs []safeguarding.ConcernID, pupils []safeguarding.PupilID, people []string) (audit.Names, error) {
	n := audit.Names{Concerns: map[safeguarding.ConcernID]concerns.Concern{}, Pupils: map[safeguarding.PupilID]safeguarding.Pupil{},
		People: map[string]string{}}
	var keys []key
	for _, c := range cs {
		keys = append(keys, concernKey(school, c))
	}
	for _, p := range pupils {
		keys = append(keys, pupilKey(school, p))
	}
	for _, e := range people {
		keys = append(keys, userKey(e))
	}
	err := s.batchGetEach(ctx, keys, func(typ string, item map[string]types.AttributeValue) error {
		switch typ {
		case typeConcern:
			var it concernItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			n.Concerns[safeguarding.ConcernID(it.ID)] = concernFromItem(it)
		case typePupil:
			var it pupilItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			n.Pupils[safeguarding.PupilID(it.ID)] = pupilFromItem(it)
		case typeUser:
			var it userItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			n.People[it.Email] = it.Name
		}
		return nil
	})
	return n, err
}

// StaffNames names people by their sign-in email, in BatchGetItems of 100; anyone without a
// profile is absent.
func (s *Store) StaffNames(ctx context.Context, emails []string) (map[string]string, error) {
	n, err := s.AuditNames(ctx, "", nil, nil, emails)
	return n.People, err
}
