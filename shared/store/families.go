package store

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

var (
	_ engagement.EscalationStore = (*Store)(nil)
	_ engagement.EngagementStore = (*Store)(nil)
)

const (
	typeFamily = "family"
	typeCall   = "call"
)

// familyPK is a family's partition in one school: the family record and its phone calls.
func familyPK(s safeguarding.SchoolID, id string) string {
	return "SCHOOL#" + string(s) + "#FAMILY#" + id
}

func familyKey(s safeguarding.SchoolID, id string) key { return key{PK: familyPK(s, id), SK: "FAMILY"} }

// LookShards is how many partitions of the look index (GSI2) the federation's families are
// spread over, each school's in one (lookShard). Every family write that moves a next look
// writes to the index, so one partition for the whole federation would take every school's
// morning of acknowledgements at once; 16 keep each well under a partition's write limit,
// and the fan-out's read stays one Query a shard. Changing it moves every family's keys.
const LookShards = 16

// LookShard is the look index's partition of a school's families (LOOK#00 to LOOK#15).
func LookShard(s safeguarding.SchoolID) string {
	h := fnv.New32a()
	_, _ = h.Write([]byte(s)) // a hash.Hash's Write never returns an error
	return fmt.Sprintf("LOOK#%02d", h.Sum32()%LookShards)
}

// lookSK orders a shard by the local day of the next look, then school and family, so the
// fan-out reads every family due on or before a day in one key range (data.md A110) and a
// school's run reads its own of one day by the prefix lookPrefix (A24). A family is in the
// index only while a look could change something.
func lookSK(s safeguarding.SchoolID, day, family string) string {
	return day + "#" + string(s) + "#" + family
}

func lookPrefix(s safeguarding.SchoolID, day string) string { return day + "#" + string(s) + "#" }

// missingPK lists a school's MISSING families, longest missing first (GSI3).
func missingPK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#FAMILIES#missing" }

type childItem struct {
	Pupil     string `dynamodbav:"pupil"`
	ClassName string `dynamodbav:"className"`
}

type familyItem struct {
	key
	Type           string      `dynamodbav:"type"`
	GSI1PK         string      `dynamodbav:"GSI1PK"`
	GSI1SK         string      `dynamodbav:"GSI1SK"`
	GSI2PK         string      `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK         string      `dynamodbav:"GSI2SK,omitempty"`
	GSI3PK         string      `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK         string      `dynamodbav:"GSI3SK,omitempty"`
	ID             string      `dynamodbav:"id"`
	School         string      `dynamodbav:"school"`
	Children       []childItem `dynamodbav:"children"`
	TrackedSince   time.Time   `dynamodbav:"trackedSince"`
	LastContactAt  time.Time   `dynamodbav:"lastContactAt"`
	LastContactHow string      `dynamodbav:"lastContactHow,omitempty"`
	Status         string      `dynamodbav:"status"`
	MissingSince   time.Time   `dynamodbav:"missingSince"`
	LARaisedAt     time.Time   `dynamodbav:"laRaisedAt"`
	LANotifiedAt   time.Time   `dynamodbav:"laNotifiedAt"`
	Attempts       int         `dynamodbav:"attempts"`
	LastAttemptAt  time.Time   `dynamodbav:"lastAttemptAt"`
	CallDueAt      time.Time   `dynamodbav:"callDueAt"`
	CallKey        string      `dynamodbav:"callKey,omitempty"`
	CallOwner      string      `dynamodbav:"callOwner,omitempty"`
	Decision       string      `dynamodbav:"decision,omitempty"`
	// ContactDeclinedAt: the family asked not to be contacted (absent while happy to be).
	ContactDeclinedAt *time.Time `dynamodbav:"contactDeclinedAt,omitempty"`
	NextLook          string     `dynamodbav:"nextLook,omitempty"`
	Version           int        `dynamodbav:"version"`
}

func familyToItem(f contact.Family) familyItem {
	s := f.Snapshot()
	it := familyItem{key: familyKey(s.School, s.ID), Type: typeFamily, ID: s.ID, School: string(s.School),
		TrackedSince: s.TrackedSince, LastContactAt: s.LastContactAt, LastContactHow: s.LastContactHow, Status: string(s.Status),
		MissingSince: s.MissingSince, LARaisedAt: s.LARaisedAt, LANotifiedAt: s.LANotifiedAt, Attempts: s.Attempts,
		LastAttemptAt: s.LastAttemptAt, CallDueAt: s.CallDueAt, CallKey: s.CallKey, CallOwner: s.CallOwner, Decision: s.Decision, Version: s.Version,
		Children: []childItem{}, GSI1PK: familiesPK(s.School), GSI1SK: s.ID + "#FAMILY", ContactDeclinedAt: timePtr(s.ContactDeclinedAt)}
	if it.Status == "" {
		it.Status = string(contact.FamilyEngaged)
	}
	for _, c := range s.Children {
		it.Children = append(it.Children, childItem{Pupil: string(c.Pupil), ClassName: c.ClassName})
	}
	if !s.NextLook.IsZero() {
		it.NextLook = localDate(s.NextLook)
		it.GSI2PK, it.GSI2SK = LookShard(s.School), lookSK(s.School, it.NextLook, s.ID)
	}
	if s.Status == contact.FamilyMissing {
		it.GSI3PK, it.GSI3SK = missingPK(s.School), stamp(s.MissingSince)+"#"+s.ID
	}
	return it
}

func familyFromItem(it familyItem) contact.Family {
	s := contact.FamilySnapshot{ID: it.ID, School: safeguarding.SchoolID(it.School), TrackedSince: it.TrackedSince,
		LastContactAt: it.LastContactAt, LastContactHow: it.LastContactHow, Status: contact.FamilyStatus(it.Status),
		MissingSince: it.MissingSince, LARaisedAt: it.LARaisedAt, LANotifiedAt: it.LANotifiedAt, Attempts: it.Attempts,
		LastAttemptAt: it.LastAttemptAt, CallDueAt: it.CallDueAt, CallKey: it.CallKey, CallOwner: it.CallOwner, Decision: it.Decision, Version: it.Version,
		ContactDeclinedAt: timeOf(it.ContactDeclinedAt)}
	for _, c := range it.Children {
		s.Children = append(s.Children, contact.FamilyChild{Pupil: safeguarding.PupilID(c.Pupil), ClassName: c.ClassName})
	}
	if it.NextLook != "" {
		s.NextLook, _ = parseLocalDate(it.NextLook)
	}
	return contact.RestoreFamily(s)
}

// callItem is the phone call of rule E3: an item with the deadline engine's due attributes,
// so the engine walks it up the ladder of rule D8 like an action.
type callItem struct {
	key
	Type   string `dynamodbav:"type"`
	School string `dynamodbav:"school"`
	Family string `dynamodbav:"family"`
	// GSI3 lists the school's open calls (openCallsPK) for the work lists, while it is open.
	GSI3PK string `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK string `dynamodbav:"GSI3SK,omitempty"`
	// Pupils are the family's children, for the work lists' names.
	Pupils []string `dynamodbav:"pupils,omitempty"`
	dueAttrs
}

func pupilStrings(ids []safeguarding.PupilID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}

func putInput(table string, item any) *dynamodb.PutItemInput {
	return &dynamodb.PutItemInput{TableName: &table, Item: marshal(item)}
}

// PutFamily saves a family as it is, for seeding and imports (never a person's command).
func (s *Store) PutFamily(ctx context.Context, f contact.Family) error {
	_, err := s.db.PutItem(ctx, putInput(s.table, familyToItem(f)))
	return wrap("put family", err)
}

// PutFamilies loads families in bulk, 25 to a BatchWriteItem: imports and benchmarks.
func (s *Store) PutFamilies(ctx context.Context, families []contact.Family) error {
	items := make([]map[string]types.AttributeValue, len(families))
	for i, f := range families {
		items[i] = marshal(familyToItem(f))
	}
	return s.batchPut(ctx, "put families", items)
}

// SaveFamily commits one change to a family in one transaction: the family on the condition
// that its version is still the one read (ErrConflict), its chronology entries, alerts, audit
// entry and idempotency record, and the phone call it opens or closes.
func (s *Store) SaveFamily(ctx context.Context, w contact.FamilyWrite) error {
	f := w.Family
	put := s.putNew
	var items []types.TransactWriteItem
	requestAt := -1
	if w.Request != nil {
		requestAt = 0
		items = append(items, put(requestToItem(*w.Request)))
	}
	if w.OpenCall != nil {
		ck := key{PK: familyPK(f.School(), f.ID()), SK: "CALL#" + w.OpenCall.ID}
		// The family keeps the store's handle on its open call, to close it later.
		fs := f.Snapshot()
		fs.CallKey = ck.SK
		f = contact.RestoreFamily(fs)
		items = append(items, put(callItem{key: ck, Type: typeCall, School: string(f.School()), Family: f.ID(), dueAttrs: dueToAttrs(*w.OpenCall),
			GSI3PK: openCallsPK(f.School()), GSI3SK: stamp(w.OpenCall.Due.DueAt) + "#" + w.OpenCall.ID, Pupils: pupilStrings(f.Pupils())}))
	}
	famPut := &types.Put{TableName: &s.table, Item: marshal(familyToItem(f)),
		ConditionExpression:       aws.String("version = :prev"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":prev": num(w.PrevVersion)}}
	items = append(items, types.TransactWriteItem{Put: famPut})
	if w.CloseCall != "" {
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
			Key:                       key{PK: familyPK(f.School(), f.ID()), SK: w.CloseCall}.av(),
			UpdateExpression:          aws.String("SET dueActive = :false REMOVE GSI2PK, GSI2SK, GSI3PK, GSI3SK"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":false": &types.AttributeValueMemberBOOL{Value: false}}}})
	}
	if w.AssignCall != "" && f.CallKey() != "" {
		// rule E3: the call taken from the DSLs as a group; its ladder now alerts its owner.
		items = append(items, types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
			Key:                       key{PK: familyPK(f.School(), f.ID()), SK: f.CallKey()}.av(),
			UpdateExpression:          aws.String("SET dueAssignee = :who"),
			ConditionExpression:       aws.String("dueActive = :true"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":who": str(w.AssignCall), ":true": &types.AttributeValueMemberBOOL{Value: true}}}})
	}
	for _, a := range w.Actions {
		items = append(items, put(familyActionToItem(a)))
	}
	for _, e := range w.Entries {
		items = append(items, put(chronologyToItem(e)))
	}
	for _, a := range w.Audits {
		items = append(items, s.auditPuts(a)...)
	}
	for _, a := range w.Alerts {
		items = append(items, put(outboxToItem(a, w.At)))
	}
	items = append(items, s.countUpdates(f.School(), familyTally(w))...) // the reports' counters (D10)
	if len(items) > 100 {
		return fmt.Errorf("store: a family change of %d items does not fit one transaction: %w", len(items), safeguarding.ErrInvalid)
	}
	return s.transactWithMarks(ctx, items, requestAt, w.Entries)
}

// EscalationSchools lists every school from the registry with the last local day the
// escalation job reached for it (one Query, paged).
func (s *Store) EscalationSchools(ctx context.Context) ([]safeguarding.SchoolDue, error) {
	var out []safeguarding.SchoolDue
	err := s.queryPartition(ctx, "SCHOOLS", func(typ string, item map[string]types.AttributeValue) error {
		var it struct {
			School  string `dynamodbav:"school"`
			Reached string `dynamodbav:"escalationReached"`
		}
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		sd := safeguarding.SchoolDue{ID: safeguarding.SchoolID(it.School)}
		if it.Reached != "" {
			from, err := parseLocalDate(it.Reached)
			if err != nil {
				return fmt.Errorf("store: school %s: escalation reached %q: %w", it.School, it.Reached, err)
			}
			sd.From = from
		}
		out = append(out, sd)
		return nil
	})
	return out, err
}

// EscalationReached records the local day the escalation job reached for a school, and in the
// same UpdateItem keeps a copy of each part of the run sheet the run read (A97), only where the
// registry has none: a write of the item copied since the run read it has put its own copy
// there first, which stays.
func (s *Store) EscalationReached(ctx context.Context, school safeguarding.SchoolID, now time.Time, read engagement.SchoolSheet) error {
	set := map[string]any{}
	if read.Calendar != nil {
		maps.Copy(set, calendarSheet(*read.Calendar))
	}
	if read.Closure != nil {
		maps.Copy(set, closureSheet(*read.Closure))
	}
	if read.School != nil {
		maps.Copy(set, schoolSheet(*read.School))
	}
	expr := "SET escalationReached = :day"
	values := map[string]types.AttributeValue{":day": str(localDate(now))}
	for i, name := range slicesSorted(set) {
		v, err := attributevalue.Marshal(set[name])
		if err != nil {
			return err
		}
		n := strconv.Itoa(i)
		expr += ", " + name + " = if_not_exists(" + name + ", :s" + n + ")"
		values[":s"+n] = v
	}
	_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &s.table, Key: schoolsKey(school).av(),
		UpdateExpression:          aws.String(expr),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: values,
	})
	return wrap("escalation reached", err)
}

// FamiliesToLook queries the look index (GSI2) for one school's families whose next look is
// on each local day from `from` to the day of now (A24): one Query a day, of the school's
// keys in its shard, never every family. The fan-out reads them for every school at once
// (FamiliesDue); this is the worker's own read when its message carries none.
func (s *Store) FamiliesToLook(ctx context.Context, school safeguarding.SchoolID, from, now time.Time) ([]contact.Family, error) {
	var out []contact.Family
	seen := map[string]bool{}
	last := localDate(now)
	for day := safeguarding.LocalDay(from); localDate(day) <= last; day = day.AddDate(0, 0, 1) {
		pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName: &s.table, IndexName: aws.String("GSI2"),
			KeyConditionExpression: aws.String("GSI2PK = :pk AND begins_with(GSI2SK, :day)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(LookShard(school)),
				":day": str(lookPrefix(school, localDate(day)))},
		})
		for pager.HasMorePages() {
			page, err := pager.NextPage(ctx)
			if err != nil {
				return nil, wrap("families to look at", err)
			}
			for _, item := range page.Items {
				var it familyItem
				if err := unmarshal(item, &it); err != nil {
					return nil, err
				}
				// A school whose id begins with this one's and a "#" shares the prefix.
				if it.School == string(school) && !seen[it.ID] {
					seen[it.ID] = true
					out = append(out, familyFromItem(it))
				}
			}
		}
	}
	return out, nil
}

// FamiliesDue reads every family of the given schools whose next look is on or before the
// local day of now (A110): one Query of each shard of the look index that holds one of the
// schools (all 16 for a federation, one for a school alone), paged, side by side, every day up
// to now in one key range (a look an earlier run missed is read too). A school with more than
// perSchool families due has them read but not kept: it is listed in Over, and its run reads
// them itself (FamiliesToLook), so neither the fan-out's memory nor a message grows with a
// school's worst day.
func (s *Store) FamiliesDue(ctx context.Context, now time.Time, schools []safeguarding.SchoolID, perSchool int) (engagement.DueLooks, error) {
	due := engagement.DueLooks{Families: map[safeguarding.SchoolID][]contact.Family{}, Over: map[safeguarding.SchoolID]bool{}}
	after := localDate(safeguarding.LocalDay(now).AddDate(0, 0, 1)) // every key of a day sorts before the next day
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	listed := map[safeguarding.SchoolID]bool{}
	var shards []string
	for _, id := range schools {
		listed[id] = true
		if sh := LookShard(id); !slices.Contains(shards, sh) {
			shards = append(shards, sh)
		}
	}
	for _, shard := range shards {
		g.Go(func() error {
			pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
				TableName: &s.table, IndexName: aws.String("GSI2"),
				KeyConditionExpression:    aws.String("GSI2PK = :pk AND GSI2SK < :after"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(shard), ":after": str(after)},
			})
			for pager.HasMorePages() {
				page, err := pager.NextPage(gctx)
				if err != nil {
					return wrap("families due a look", err)
				}
				var fams []contact.Family
				for _, item := range page.Items {
					var it familyItem
					if err := unmarshal(item, &it); err != nil {
						return err
					}
					if it.Type == typeFamily && listed[safeguarding.SchoolID(it.School)] {
						fams = append(fams, familyFromItem(it))
					}
				}
				mu.Lock()
				for _, f := range fams {
					id := f.School()
					switch {
					case due.Over[id]:
					case len(due.Families[id]) >= perSchool:
						due.Over[id] = true
						delete(due.Families, id)
					default:
						due.Families[id] = append(due.Families[id], f)
					}
				}
				mu.Unlock()
			}
			return nil
		})
	}
	return due, g.Wait()
}

// MissingFamilies reads the viewer and a school's MISSING families (GSI3), longest first.
func (s *Store) MissingFamilies(ctx context.Context, viewer string, school safeguarding.SchoolID) (safeguarding.Principal, []contact.Family, error) {
	p, err := s.Principal(ctx, viewer)
	if err != nil {
		return p, nil, err
	}
	p.Email = viewer
	if !p.IsMember(school) {
		return p, nil, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	var out []contact.Family
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI3"),
		KeyConditionExpression:    aws.String("GSI3PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(missingPK(school))},
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return p, nil, wrap("missing families", err)
		}
		for _, item := range page.Items {
			var it familyItem
			if err := unmarshal(item, &it); err != nil {
				return p, nil, err
			}
			out = append(out, familyFromItem(it))
		}
	}
	return p, out, nil
}

// Family reads the viewer and one family in one BatchGetItem.
func (s *Store) Family(ctx context.Context, viewer string, school safeguarding.SchoolID, id string) (safeguarding.Principal, contact.Family, error) {
	found, err := s.batchGet(ctx, []key{userKey(viewer), familyKey(school, id)})
	if err != nil {
		return safeguarding.Principal{}, contact.Family{}, err
	}
	var u userItem
	if err := unmarshalFound(found, userKey(viewer), &u); err != nil {
		return safeguarding.Principal{}, contact.Family{}, err
	}
	p := userFromItem(u)
	p.Email = viewer
	if !p.IsMember(school) {
		return p, contact.Family{}, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	var it familyItem
	if err := unmarshalFound(found, familyKey(school, id), &it); err != nil {
		return p, contact.Family{}, err
	}
	if it.ID == "" {
		return p, contact.Family{}, fmt.Errorf("family %q: %w", id, safeguarding.ErrNotFound)
	}
	return p, familyFromItem(it), nil
}

// RelookFamilies moves a school's families saved before the look index was sharded (their
// GSI2PK still SCHOOL#<school>#LOOK#<day>, which no run reads) onto their shard's keys (A110):
// one Query of the school's families list (GSI1, paged, only those with the old keys
// returned), then an UpdateItem of each one's two keys on the condition that they and its
// version are as read (a family written since has its new keys already). It returns how many
// it moved; run again, it moves none.
func (s *Store) RelookFamilies(ctx context.Context, school safeguarding.SchoolID) (int, error) {
	old := "SCHOOL#" + string(school) + "#LOOK#"
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		FilterExpression:          aws.String("begins_with(GSI2PK, :old)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(familiesPK(school)), ":old": str(old)},
	})
	moved := 0
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return moved, wrap("families to move", err)
		}
		for _, item := range page.Items {
			var it familyItem
			if err := unmarshal(item, &it); err != nil {
				return moved, err
			}
			if it.Type != typeFamily || it.NextLook == "" {
				continue
			}
			_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: &s.table, Key: it.key.av(),
				UpdateExpression:    aws.String("SET GSI2PK = :pk, GSI2SK = :sk"),
				ConditionExpression: aws.String("GSI2PK = :was AND version = :version"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(LookShard(school)),
					":sk": str(lookSK(school, it.NextLook, it.ID)), ":was": str(it.GSI2PK), ":version": num(it.Version)},
			})
			var failed *types.ConditionalCheckFailedException
			switch {
			case errors.As(err, &failed):
				continue // written since, with its new keys
			case err != nil:
				return moved, wrap("move a family's look", err)
			}
			moved++
		}
	}
	return moved, nil
}
