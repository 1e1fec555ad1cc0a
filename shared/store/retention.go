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
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/retention"
)

var _ retention.Store = (*Store)(nil)

// Rule S7 (A94-A96). Each pupil with a retention item under their partition
// (SCHOOL#s#PUPIL#p / RETENTION). It is in GSI2, the list of records reaching the 25th
// birthday, only once it carries both of its keys: GSI2PK, which the first record about the
// pupil writes (every write of a chronology entry sets it, recordMarks), and GSI2SK, the date
// of the 25th birthday, which the import (or the demo seed) writes from the date of birth. So
// the index holds only pupils with records and a known date of birth. The item also carries
// the pupil's legal hold, moved against holdVersion; each change of it is a version item of
// its own (HOLD#<n>), never overwritten.
const (
	typeRetention   = "retention"
	typeHoldVersion = "legal-hold-version"
)

func retentionKey(s safeguarding.SchoolID, p safeguarding.PupilID) key {
	return key{PK: pupilPK(s, p), SK: "RETENTION"}
}

func retentionPK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#RETENTION" }

func retentionSK(reaches time.Time, p safeguarding.PupilID) string {
	return reaches.Format(time.DateOnly) + "#" + string(p)
}

func holdVersionKey(s safeguarding.SchoolID, p safeguarding.PupilID, n int) key {
	return key{PK: pupilPK(s, p), SK: fmt.Sprintf("HOLD#%06d", n)}
}

type retentionItem struct {
	key
	GSI2PK        string    `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK        string    `dynamodbav:"GSI2SK,omitempty"`
	Type          string    `dynamodbav:"type"`
	School        string    `dynamodbav:"school"`
	Pupil         string    `dynamodbav:"pupil"`
	DateOfBirth   string    `dynamodbav:"dateOfBirth,omitempty"`
	FirstRecordAt time.Time `dynamodbav:"firstRecordAt,omitempty"`
	HoldVersion   int       `dynamodbav:"holdVersion,omitempty"`
	HoldID        string    `dynamodbav:"holdId,omitempty"`
	HoldReason    string    `dynamodbav:"holdReason,omitempty"`
	HoldReviewOn  string    `dynamodbav:"holdReviewOn,omitempty"`
	HoldBy        string    `dynamodbav:"holdBy,omitempty"`
	HoldAt        time.Time `dynamodbav:"holdAt,omitempty"`
}

func (it retentionItem) state() retention.State {
	st := retention.State{Version: it.HoldVersion}
	if it.HoldID != "" {
		h := &retention.Hold{ID: it.HoldID, Reason: it.HoldReason, PlacedBy: it.HoldBy, PlacedAt: it.HoldAt}
		if d, err := time.ParseInLocation(time.DateOnly, it.HoldReviewOn, safeguarding.London); err == nil {
			h.ReviewOn = d
		}
		st.Hold = h
	}
	return st
}

type holdVersionItem struct {
	key
	Type     string    `dynamodbav:"type"`
	School   string    `dynamodbav:"school"`
	Pupil    string    `dynamodbav:"pupil"`
	N        int       `dynamodbav:"version"`
	Kind     string    `dynamodbav:"kind"`
	HoldID   string    `dynamodbav:"holdId"`
	Reason   string    `dynamodbav:"reason"`
	ReviewOn string    `dynamodbav:"reviewOn,omitempty"`
	By       string    `dynamodbav:"by"`
	At       time.Time `dynamodbav:"at"`
}

// recordMarks are the updates that put each pupil of entries in the retention index's
// partition (GSI2PK): the pupil now has a record. Idempotent, so a record made after the
// first sets it again; one update per pupil.
func (s *Store) recordMarks(entries []safeguarding.ChronologyEntry) []types.TransactWriteItem {
	seen := map[key]bool{}
	var out []types.TransactWriteItem
	for _, e := range entries {
		school := e.Visibility.School
		k := retentionKey(school, e.Pupil)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: k.av(),
			UpdateExpression:         aws.String("SET GSI2PK = :pk, #type = :type, school = :school, pupil = :pupil, firstRecordAt = if_not_exists(firstRecordAt, :at)"),
			ExpressionAttributeNames: map[string]string{"#type": "type"},
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(retentionPK(school)), ":type": str(typeRetention),
				":school": str(string(school)), ":pupil": str(string(e.Pupil)), ":at": str(e.At.UTC().Format(time.RFC3339Nano))}}})
	}
	return out
}

// transactWithMarks commits items with the record marks of entries in the same transaction
// when they fit its 100 items; otherwise the marks follow in transactions of their own once
// the record is written (a mark only says that a record exists, so it never comes first).
func (s *Store) transactWithMarks(ctx context.Context, items []types.TransactWriteItem, requestAt int, entries []safeguarding.ChronologyEntry) error {
	marks := s.recordMarks(entries)
	if len(items)+len(marks) <= 100 {
		return s.transact(ctx, append(items, marks...), requestAt)
	}
	if err := s.transact(ctx, items, requestAt); err != nil {
		return err
	}
	for start := 0; start < len(marks); start += 100 {
		if err := s.transact(ctx, marks[start:min(start+100, len(marks))], -1); err != nil {
			return err
		}
	}
	return nil
}

// dateOfBirthUpdate writes a pupil's date of birth and 25th birthday on their retention item
// (GSI2SK), or nothing when the date of birth is not known.
func (s *Store) dateOfBirthUpdate(p safeguarding.Pupil) (types.TransactWriteItem, bool) {
	if p.DateOfBirth.IsZero() {
		return types.TransactWriteItem{}, false
	}
	return types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: retentionKey(p.School, p.ID).av(),
		UpdateExpression:         aws.String("SET GSI2SK = :sk, dateOfBirth = :dob, #type = :type, school = :school, pupil = :pupil"),
		ExpressionAttributeNames: map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":sk":  str(retentionSK(retention.ReachesAge(p.DateOfBirth), p.ID)),
			":dob": str(p.DateOfBirth.Format(time.DateOnly)), ":type": str(typeRetention),
			":school": str(string(p.School)), ":pupil": str(string(p.ID))}}}, true
}

// DueBy reads the school's pupils with records whose 25th birthday is on or before before,
// soonest first: one Query of GSI2 per 1 MB page (A94).
func (s *Store) DueBy(ctx context.Context, school safeguarding.SchoolID, before time.Time) ([]retention.Due, error) {
	next := time.Date(before.Year(), before.Month(), before.Day()+1, 0, 0, 0, 0, safeguarding.London)
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{TableName: &s.table, IndexName: aws.String("GSI2"),
		KeyConditionExpression: aws.String("GSI2PK = :pk AND GSI2SK < :next"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(retentionPK(school)), ":next": str(next.Format(time.DateOnly))}})
	var out []retention.Due
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("retention", err)
		}
		for _, item := range page.Items {
			var it retentionItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			d := retention.Due{Pupil: safeguarding.PupilID(it.Pupil), State: it.state()}
			if dob, err := time.ParseInLocation(time.DateOnly, it.DateOfBirth, safeguarding.London); err == nil {
				d.ReachesAge = retention.ReachesAge(dob)
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// ListedPupils reads the named pupils, 100 to a BatchGetItem (A3), however many.
func (s *Store) ListedPupils(ctx context.Context, school safeguarding.SchoolID, ids []safeguarding.PupilID) (map[safeguarding.PupilID]safeguarding.Pupil, error) {
	keys := make([]key, len(ids))
	for i, id := range ids {
		keys[i] = pupilKey(school, id)
	}
	out := map[safeguarding.PupilID]safeguarding.Pupil{}
	err := s.batchGetEach(ctx, keys, func(typ string, item map[string]types.AttributeValue) error {
		if typ != typePupil {
			return nil
		}
		var it pupilItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out[safeguarding.PupilID(it.ID)] = pupilFromItem(it)
		return nil
	})
	return out, err
}

// recordCounters is how many pupils' chronologies are counted side by side.
const recordCounters = 8

// Records counts each pupil's chronology entries: one Query (Select COUNT, keys only read) of
// each pupil's partition, eight at a time (A95).
func (s *Store) Records(ctx context.Context, school safeguarding.SchoolID, ids []safeguarding.PupilID) (map[safeguarding.PupilID]int, error) {
	counts := make([]int, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(recordCounters)
	for i, id := range ids {
		g.Go(func() error {
			pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{TableName: &s.table, Select: types.SelectCount,
				KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :chron)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":pk": str(pupilPK(school, id)), ":chron": str("CHRON#")}})
			for pager.HasMorePages() {
				page, err := pager.NextPage(gctx)
				if err != nil {
					return wrap("records", err)
				}
				counts[i] += int(page.Count)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[safeguarding.PupilID]int, len(ids))
	for i, id := range ids {
		out[id] = counts[i]
	}
	return out, nil
}

// LoadHold reads the viewer, the pupil, their retention item and an earlier request in one
// BatchGetItem (A96).
func (s *Store) LoadHold(ctx context.Context, viewer string, school safeguarding.SchoolID, pupil safeguarding.PupilID, rk safeguarding.RequestKey) (retention.Load, error) {
	var (
		l  retention.Load
		pu pupilItem
		it retentionItem
	)
	err := s.load(ctx, newBatch().viewer(viewer, &l.Viewer).item(pupilKey(school, pupil), &pu).item(retentionKey(school, pupil), &it).prior(rk, &l.Prior))
	if err != nil {
		return l, err
	}
	if pu.ID != "" {
		p := pupilFromItem(pu)
		l.Pupil = &p
	}
	l.State = it.state()
	return l, nil
}

// SaveHold commits a hold's change in one TransactWriteItems: the retention item's hold
// attributes on the condition that its holdVersion is still w.Prev, the version item (never
// over another), the audit entry and the request record (A96).
func (s *Store) SaveHold(ctx context.Context, w retention.Write) error {
	v := w.Version
	vi := holdVersionItem{key: holdVersionKey(w.School, w.Pupil, v.N), Type: typeHoldVersion, School: string(w.School), Pupil: string(w.Pupil),
		N: v.N, Kind: v.Kind, HoldID: v.HoldID, Reason: v.Reason, By: v.By, At: v.At}
	if !v.ReviewOn.IsZero() {
		vi.ReviewOn = v.ReviewOn.Format(time.DateOnly)
	}
	values := map[string]types.AttributeValue{":prev": num(w.Prev), ":zero": num(0), ":next": num(w.Next.Version),
		":type": str(typeRetention), ":school": str(string(w.School)), ":pupil": str(string(w.Pupil))}
	expr := "SET holdVersion = :next, #type = :type, school = :school, pupil = :pupil"
	if h := w.Next.Hold; h != nil {
		expr += ", holdId = :id, holdReason = :reason, holdBy = :by, holdAt = :at"
		values[":id"], values[":reason"], values[":by"] = str(h.ID), str(h.Reason), str(h.PlacedBy)
		values[":at"] = str(h.PlacedAt.UTC().Format(time.RFC3339Nano))
		if !h.ReviewOn.IsZero() {
			expr += ", holdReviewOn = :review"
			values[":review"] = str(h.ReviewOn.Format(time.DateOnly))
		} else {
			expr += " REMOVE holdReviewOn"
		}
	} else {
		expr += " REMOVE holdId, holdReason, holdReviewOn, holdBy, holdAt"
	}
	items, requestAt := s.commandItems(w.Request, nil, w.Audit, nil, w.Audit.At)
	items = append(items, s.putNew(vi), types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
		Key: retentionKey(w.School, w.Pupil).av(), UpdateExpression: aws.String(expr),
		ConditionExpression:       aws.String("holdVersion = :prev OR (attribute_not_exists(holdVersion) AND :prev = :zero)"),
		ExpressionAttributeNames:  map[string]string{"#type": "type"},
		ExpressionAttributeValues: values}})
	err := s.transact(ctx, items, requestAt)
	if cf := (*conditionFailed)(nil); errors.As(err, &cf) {
		return fmt.Errorf("store: the pupil's legal hold was changed by someone else (version %s): %w", strconv.Itoa(w.Prev), safeguarding.ErrConflict)
	}
	return err
}

// PutRecord writes a chronology entry as it stands, with its pupil's record mark, in one
// transaction: for the demo seed, which writes the records of former pupils (rule S7).
func (s *Store) PutRecord(ctx context.Context, e safeguarding.ChronologyEntry) error {
	items := []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: marshal(chronologyToItem(e))}}}
	return s.transact(ctx, append(items, s.recordMarks([]safeguarding.ChronologyEntry{e})...), -1)
}
