package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

type linkedPupil struct {
	ID   string `dynamodbav:"id"`
	Role string `dynamodbav:"role"`
}

type concernItem struct {
	key
	Type              string        `dynamodbav:"type"`
	GSI1PK            string        `dynamodbav:"GSI1PK"`
	GSI1SK            string        `dynamodbav:"GSI1SK"`
	GSI2PK            string        `dynamodbav:"GSI2PK,omitempty"`
	GSI2SK            string        `dynamodbav:"GSI2SK,omitempty"`
	GSI3PK            string        `dynamodbav:"GSI3PK"`
	GSI3SK            string        `dynamodbav:"GSI3SK"`
	ID                string        `dynamodbav:"id"`
	Reference         string        `dynamodbav:"reference"`
	School            string        `dynamodbav:"school"`
	Pupils            []linkedPupil `dynamodbav:"pupils"`
	Category          string        `dynamodbav:"category"`
	Subcategories     []string      `dynamodbav:"subcategories"`
	HighPriority      bool          `dynamodbav:"highPriority"`
	ObservedAt        time.Time     `dynamodbav:"observedAt"`
	RecordedAt        time.Time     `dynamodbav:"recordedAt"`
	Deadline          time.Time     `dynamodbav:"deadline"`
	Late              bool          `dynamodbav:"late"`
	MinutesLate       int           `dynamodbav:"minutesLate"`
	Details           string        `dynamodbav:"details"`
	PupilWords        string        `dynamodbav:"pupilWords"`
	PeopleInvolved    []string      `dynamodbav:"peopleInvolved"`
	TagStaff          []string      `dynamodbav:"tagStaff"`
	AboutStaff        bool          `dynamodbav:"aboutStaff"`
	SubjectStaffEmail string        `dynamodbav:"subjectStaffEmail,omitempty"`
	AuthorEmail       string        `dynamodbav:"authorEmail"`
	AuthorName        string        `dynamodbav:"authorName"`
	Version           int           `dynamodbav:"version"`
	Closed            bool          `dynamodbav:"closed"`
	Complex           bool          `dynamodbav:"complex"`
	CaseEvents        []caseEvent   `dynamodbav:"caseEvents"`
	Revision          int           `dynamodbav:"revision"`
	AmendedAt         time.Time     `dynamodbav:"amendedAt,omitempty"`
	AmendedBy         string        `dynamodbav:"amendedBy,omitempty"`
	AmendedReason     string        `dynamodbav:"amendedReason,omitempty"`
	DSLOpenedAt       *time.Time    `dynamodbav:"dslOpenedAt,omitempty"` // absent until set: conditions test for it
	ActionTakenAt     *time.Time    `dynamodbav:"actionTakenAt,omitempty"`
	ResponseDueAt     *time.Time    `dynamodbav:"responseDueAt,omitempty"`
	ResponseMetAt     *time.Time    `dynamodbav:"responseMetAt,omitempty"`
	BodyMap           []bodyMark    `dynamodbav:"bodyMap,omitempty"`
}

// typeConcernDue is rule D1's due item of a concern, beside it in its partition.
const typeConcernDue = "concern-due"

// concernDueItem is a concern's due item of rule D1: open from the concern's transaction until
// the first action on it (SaveNewAction), walked up the ladder by the deadline engine.
type concernDueItem struct {
	key
	Type    string `dynamodbav:"type"`
	School  string `dynamodbav:"school"`
	Concern string `dynamodbav:"concern"`
	dueAttrs
}

func concernDueKey(s safeguarding.SchoolID, id safeguarding.ConcernID) key {
	return key{PK: concernKey(s, id).PK, SK: "DUE#D1"}
}

// meetResponse takes a concern's due item of rule D1 off the ladder, whatever step it reached:
// the first thing a DSL recorded on the concern met it.
func (s *Store) meetResponse(school safeguarding.SchoolID, id safeguarding.ConcernID) types.TransactWriteItem {
	return types.TransactWriteItem{Update: &types.Update{TableName: &s.table,
		Key:                       concernDueKey(school, id).av(),
		UpdateExpression:          aws.String("SET dueActive = :false REMOVE GSI2PK, GSI2SK"),
		ConditionExpression:       aws.String("attribute_exists(PK)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":false": &types.AttributeValueMemberBOOL{Value: false}}}}
}

// concernPuts are the conditional puts of a new concern: the concern, its first revision and,
// when it has one, its due item of rule D1; its index items (A111, A112); and its count in the reports' counters of the
// month (rule D10), one item whatever the concern.
func (s *Store) concernPuts(c concerns.Concern) []types.TransactWriteItem {
	items := []types.TransactWriteItem{s.putNew(concernToItem(c)), s.putNew(revisionToItem(c))}
	if !c.ResponseDueAt().IsZero() {
		items = append(items, s.putNew(concernDueItem{key: concernDueKey(c.School(), c.ID()), Type: typeConcernDue,
			School: string(c.School()), Concern: string(c.ID()), dueAttrs: dueToAttrs(c.ResponseDueItem())}))
	}
	items = append(items, s.concernIndexPuts(c)...)
	return append(items, s.countUpdates(c.School(), concernTally(c))...)
}

type bodyMark struct {
	Side string  `dynamodbav:"side"`
	X    float64 `dynamodbav:"x"`
	Y    float64 `dynamodbav:"y"`
	Note string  `dynamodbav:"note"`
}

// revisionItem is one immutable revision of a concern's content (rule P4).
type revisionItem struct {
	key
	Type           string    `dynamodbav:"type"`
	Number         int       `dynamodbav:"number"`
	At             time.Time `dynamodbav:"at"`
	By             string    `dynamodbav:"by"`
	Reason         string    `dynamodbav:"reason,omitempty"`
	Category       string    `dynamodbav:"category"`
	Subcategories  []string  `dynamodbav:"subcategories"`
	ObservedAt     time.Time `dynamodbav:"observedAt"`
	Details        string    `dynamodbav:"details"`
	PupilWords     string    `dynamodbav:"pupilWords"`
	PeopleInvolved []string  `dynamodbav:"peopleInvolved"`
}

func revisionToItem(c concerns.Concern) revisionItem {
	r := c.Revision()
	return revisionItem{key: key{PK: concernKey(c.School(), c.ID()).PK, SK: fmt.Sprintf("REVISION#%04d", r.Number)},
		Type: typeRevision, Number: r.Number, At: r.At, By: r.By, Reason: r.Reason, Category: string(r.Category),
		Subcategories: r.Subcategories, ObservedAt: r.ObservedAt, Details: r.Details, PupilWords: r.PupilWords,
		PeopleInvolved: r.PeopleInvolved}
}

func revisionFromItem(it revisionItem) concerns.Revision {
	return concerns.Revision{Number: it.Number, At: it.At, By: it.By, Reason: it.Reason, Category: safeguarding.Category(it.Category),
		Subcategories: it.Subcategories, ObservedAt: it.ObservedAt, Details: it.Details, PupilWords: it.PupilWords,
		PeopleInvolved: it.PeopleInvolved}
}

type caseEvent struct {
	At       time.Time `dynamodbav:"at"`
	By       string    `dynamodbav:"by"`
	Kind     string    `dynamodbav:"kind"`
	Decision string    `dynamodbav:"decision,omitempty"`
	Reason   string    `dynamodbav:"reason"`
}

func concernToItem(c concerns.Concern) concernItem {
	s := c.Snapshot()
	it := concernItem{
		key: concernKey(s.School, s.ID), Type: typeConcern,
		GSI1PK: concernsByTimePK(s.School), GSI1SK: stamp(s.RecordedAt) + "#" + string(s.ID),
		GSI2PK: concernAuthorPK(s.School, s.AuthorEmail), GSI2SK: stamp(s.RecordedAt) + "#" + string(s.ID),
		GSI3PK: casesPK(s.School, s.Closed), GSI3SK: stamp(s.RecordedAt) + "#" + string(s.ID),
		ID: string(s.ID), Reference: s.Reference, School: string(s.School), Category: string(s.Category),
		Subcategories: s.Subcategories, HighPriority: s.HighPriority, ObservedAt: s.ObservedAt,
		RecordedAt: s.RecordedAt, Deadline: s.Deadline, Late: s.Late, MinutesLate: s.MinutesLate,
		Details: s.Details, PupilWords: s.PupilWords, PeopleInvolved: s.PeopleInvolved, TagStaff: s.TagStaff,
		AboutStaff: s.AboutStaff, SubjectStaffEmail: s.SubjectStaffEmail, AuthorEmail: s.AuthorEmail,
		AuthorName: s.AuthorName, Version: s.Version, Closed: s.Closed, Complex: s.Complex,
		Revision: s.Revision, AmendedAt: s.AmendedAt, AmendedBy: s.AmendedBy, AmendedReason: s.AmendedReason,
		DSLOpenedAt: timePtr(s.DSLOpenedAt), ActionTakenAt: timePtr(s.ActionTakenAt), ResponseDueAt: timePtr(s.ResponseDueAt),
		ResponseMetAt: timePtr(s.ResponseMetAt),
	}
	for _, m := range s.BodyMap {
		it.BodyMap = append(it.BodyMap, bodyMark{Side: m.Side, X: m.X, Y: m.Y, Note: m.Note})
	}
	for _, p := range s.Pupils {
		it.Pupils = append(it.Pupils, linkedPupil{ID: string(p.ID), Role: string(p.Role)})
	}
	for _, e := range s.CaseEvents {
		it.CaseEvents = append(it.CaseEvents, caseEvent{At: e.At, By: e.By, Kind: e.Kind, Decision: e.Decision, Reason: e.Reason})
	}
	return it
}

func concernFromItem(it concernItem) concerns.Concern {
	s := concerns.ConcernSnapshot{
		ID: safeguarding.ConcernID(it.ID), Reference: it.Reference, School: safeguarding.SchoolID(it.School),
		Category: safeguarding.Category(it.Category), Subcategories: it.Subcategories, HighPriority: it.HighPriority,
		ObservedAt: it.ObservedAt, RecordedAt: it.RecordedAt, Deadline: it.Deadline, Late: it.Late,
		MinutesLate: it.MinutesLate, Details: it.Details, PupilWords: it.PupilWords, PeopleInvolved: it.PeopleInvolved,
		TagStaff: it.TagStaff, AboutStaff: it.AboutStaff, SubjectStaffEmail: it.SubjectStaffEmail,
		AuthorEmail: it.AuthorEmail, AuthorName: it.AuthorName, Version: it.Version, Closed: it.Closed, Complex: it.Complex,
		Revision: it.Revision, AmendedAt: it.AmendedAt, AmendedBy: it.AmendedBy, AmendedReason: it.AmendedReason,
		DSLOpenedAt: timeOf(it.DSLOpenedAt), ActionTakenAt: timeOf(it.ActionTakenAt), ResponseDueAt: timeOf(it.ResponseDueAt),
		ResponseMetAt: timeOf(it.ResponseMetAt),
	}
	for _, m := range it.BodyMap {
		s.BodyMap = append(s.BodyMap, concerns.BodyMark{Side: m.Side, X: m.X, Y: m.Y, Note: m.Note})
	}
	for _, e := range it.CaseEvents {
		s.CaseEvents = append(s.CaseEvents, concerns.CaseEvent{At: e.At, By: e.By, Kind: e.Kind, Decision: e.Decision, Reason: e.Reason})
	}
	for _, p := range it.Pupils {
		s.Pupils = append(s.Pupils, safeguarding.LinkedPupil{ID: safeguarding.PupilID(p.ID), Role: safeguarding.PupilRole(p.Role)})
	}
	return concerns.RestoreConcern(s)
}

type visibilityAttrs struct {
	AuthorEmail string   `dynamodbav:"authorEmail"`
	TagStaff    []string `dynamodbav:"tagStaff"`
	AboutStaff  bool     `dynamodbav:"aboutStaff"`
	Subject     string   `dynamodbav:"subjectStaffEmail,omitempty"`
}

type chronologyItem struct {
	key
	// GSI3PK and GSI3SK list the entry of a concern of the category Attendance among its
	// school's attendance reasons (rule C9, A67); no other entry has them.
	GSI3PK       string    `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK       string    `dynamodbav:"GSI3SK,omitempty"`
	Type         string    `dynamodbav:"type"`
	ID           string    `dynamodbav:"id"`
	School       string    `dynamodbav:"school"`
	Pupil        string    `dynamodbav:"pupil"`
	EntryType    string    `dynamodbav:"entryType"`
	At           time.Time `dynamodbav:"at"`
	ConcernID    string    `dynamodbav:"concernId,omitempty"`
	Reference    string    `dynamodbav:"reference,omitempty"`
	Role         string    `dynamodbav:"role,omitempty"`
	Category     string    `dynamodbav:"category,omitempty"`
	Subcat       []string  `dynamodbav:"subcategories"`
	HighPriority bool      `dynamodbav:"highPriority"`
	Late         bool      `dynamodbav:"late"`
	AuthorName   string    `dynamodbav:"authorName"`
	Summary      string    `dynamodbav:"summary"`
	visibilityAttrs
}

func chronologyToItem(e safeguarding.ChronologyEntry) chronologyItem {
	v := e.Visibility
	it := chronologyItem{
		key:  key{PK: pupilPK(v.School, e.Pupil), SK: chronologySK(e.At, e.ID)},
		Type: typeChronology, ID: e.ID, School: string(v.School), Pupil: string(e.Pupil), EntryType: string(e.Type),
		At: e.At, ConcernID: string(e.ConcernID), Reference: e.Reference, Role: string(e.Role),
		Category: string(e.Category), Subcat: e.Subcat, HighPriority: e.HighPriority, Late: e.Late,
		AuthorName: e.AuthorName, Summary: e.Summary,
		visibilityAttrs: visibilityAttrs{AuthorEmail: v.Author, TagStaff: v.Tagged, AboutStaff: v.AboutStaff, Subject: v.Subject},
	}
	if e.Type == safeguarding.EntryConcern && e.Category == safeguarding.CategoryAttendance {
		it.GSI3PK, it.GSI3SK = attendanceReasonsPK(v.School), string(e.Pupil)+"#"+it.SK
	}
	return it
}

func chronologyFromItem(it chronologyItem) safeguarding.ChronologyEntry {
	return safeguarding.ChronologyEntry{
		ID: it.ID, Pupil: safeguarding.PupilID(it.Pupil), Type: safeguarding.EntryType(it.EntryType), At: it.At,
		ConcernID: safeguarding.ConcernID(it.ConcernID), Reference: it.Reference, Role: safeguarding.PupilRole(it.Role),
		Category: safeguarding.Category(it.Category), Subcat: it.Subcat, HighPriority: it.HighPriority, Late: it.Late,
		AuthorName: it.AuthorName, Summary: it.Summary,
		Visibility: safeguarding.Visibility{School: safeguarding.SchoolID(it.School), Author: it.AuthorEmail,
			Tagged: it.TagStaff, AboutStaff: it.AboutStaff, Subject: it.Subject},
	}
}

type requestItem struct {
	key
	Type        string    `dynamodbav:"type"`
	Fingerprint string    `dynamodbav:"fingerprint"`
	ResultID    string    `dynamodbav:"resultId"`
	Reference   string    `dynamodbav:"reference"`
	RecordedAt  time.Time `dynamodbav:"recordedAt"`
	Late        bool      `dynamodbav:"late"`
	MinutesLate int       `dynamodbav:"minutesLate"`
	Version     int       `dynamodbav:"version,omitempty"`
	ExpiresAt   int64     `dynamodbav:"expiresAt"`
}

func requestToItem(r safeguarding.RequestRecord) requestItem {
	return requestItem{key: requestKey(r.Key), Type: typeRequest, Fingerprint: r.Fingerprint,
		ResultID: r.Receipt.ID, Reference: r.Receipt.Reference, RecordedAt: r.Receipt.RecordedAt,
		Late: r.Receipt.Late, MinutesLate: r.Receipt.MinutesLate, Version: r.Receipt.Version, ExpiresAt: r.Receipt.RecordedAt.Add(requestTTL).Unix()}
}

func requestFromItem(it requestItem) safeguarding.PriorRequest {
	return safeguarding.PriorRequest{Fingerprint: it.Fingerprint, Receipt: safeguarding.Receipt{
		ID: it.ResultID, Reference: it.Reference, RecordedAt: it.RecordedAt,
		Late: it.Late, MinutesLate: it.MinutesLate, Version: it.Version}}
}

// LoadRecording reads the author, the school, its catalogue and calendar, the named pupils and
// the idempotency record in one BatchGetItem.
func (s *Store) LoadRecording(ctx context.Context, author string, school safeguarding.SchoolID, pupils []safeguarding.PupilID, rk safeguarding.RequestKey) (concerns.Recording, error) {
	keys := []key{userKey(author), schoolKey(school), catalogueKey(school), calendarKey(school)}
	if len(pupils) > concerns.MaxPupilsPerConcern {
		pupils = pupils[:concerns.MaxPupilsPerConcern+1] // enough for the rule to refuse them
	}
	for _, p := range pupils {
		keys = append(keys, pupilKey(school, p), retentionKey(school, p))
	}
	if rk.Key != "" {
		keys = append(keys, requestKey(rk))
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return concerns.Recording{}, err
	}
	rec := concerns.Recording{Pupils: map[safeguarding.PupilID]safeguarding.Pupil{}}
	var u userItem
	if err := unmarshalFound(found, userKey(author), &u); err != nil {
		return rec, err
	}
	rec.Author = userFromItem(u)
	rec.Author.Email = author
	var sc schoolItem
	if err := unmarshalFound(found, schoolKey(school), &sc); err != nil {
		return rec, err
	}
	if sc.ID == "" || !rec.Author.IsMember(school) {
		return rec, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	rec.School = schoolFromItem(sc)
	cat, err := catalogueFromFound(found, school)
	if err != nil {
		return rec, err
	}
	rec.Catalogue = cat.Catalogue
	var ci calendarItem
	if err := unmarshalFound(found, calendarKey(school), &ci); err != nil {
		return rec, err
	}
	if ci.Type != "" {
		if rec.Calendar, err = calendarFromItem(ci); err != nil {
			return rec, err
		}
	}
	rec.Calendar.School = school
	for _, p := range pupils {
		var it pupilItem
		if err := unmarshalFound(found, pupilKey(school, p), &it); err != nil {
			return rec, err
		}
		if it.ID != "" {
			pu := pupilFromItem(it)
			var mark retentionItem
			if err := unmarshalFound(found, retentionKey(school, p), &mark); err != nil {
				return rec, err
			}
			pu.HasRecords = mark.GSI2PK != ""
			rec.Pupils[p] = pu
		}
	}
	if rk.Key != "" {
		var it requestItem
		if err := unmarshalFound(found, requestKey(rk), &it); err != nil {
			return rec, err
		}
		if it.Type != "" {
			prior := requestFromItem(it)
			rec.Prior = &prior
		}
	}
	return rec, nil
}

func unmarshalFound(found map[string]map[string]types.AttributeValue, k key, v any) error {
	item, ok := found[k.PK+"|"+k.SK]
	if !ok {
		return nil
	}
	return unmarshal(item, v)
}

// SaveConcern commits the concern, its due item of rule D1, its chronology entries, its audit
// entry, its outbox alerts and its idempotency record in one TransactWriteItems (see
// concerns.MaxPupilsPerConcern for how many that is at most). A transaction DynamoDB cancels because
// another one holds the same items (TransactionConflict) is tried again a few times.
func (s *Store) SaveConcern(ctx context.Context, w concerns.ConcernWrite) error {
	put := s.putNew
	var items []types.TransactWriteItem
	requestAt := -1
	if w.Request != nil {
		requestAt = len(items)
		items = append(items, put(requestToItem(*w.Request)))
	}
	items = append(items, s.concernPuts(w.Concern)...)
	for _, e := range w.Entries {
		items = append(items, put(chronologyToItem(e)))
	}
	items = append(items, s.auditPuts(w.Audit)...)
	for _, a := range w.Alerts {
		items = append(items, put(outboxToItem(a, w.Concern.RecordedAt())))
	}
	if len(items) > 100 {
		return fmt.Errorf("store: a concern of %d items does not fit one transaction: %w", len(items), safeguarding.ErrInvalid)
	}
	var first []safeguarding.ChronologyEntry
	for _, e := range w.Entries {
		if slices.Contains(w.FirstRecords, e.Pupil) {
			first = append(first, e)
		}
	}
	return s.transactWithMarks(ctx, items, requestAt, first)
}

// transact runs one transaction. A condition failure on the item at requestAt (the idempotency
// record) means the request was already made: ErrDuplicateRequest.
//
// Each call carries a ClientRequestToken, which the SDK makes for the call and sends with each
// of its retries: when DynamoDB did the transaction and its answer was lost (a 500 after the
// write), the retry is answered as the first was and does nothing more. The token is not
// taken from the request's Idempotency-Key: a client's second request makes its items anew
// (ids, times), which DynamoDB would refuse under the same token; the idempotency record
// answers that request instead.
func (s *Store) transact(ctx context.Context, items []types.TransactWriteItem, requestAt int) error {
	const attempts = 4
	for attempt := 0; ; attempt++ {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		var canceled *types.TransactionCanceledException
		if !errors.As(err, &canceled) {
			return wrap("transaction", err)
		}
		conflict := false
		for i, r := range canceled.CancellationReasons {
			code := aws.ToString(r.Code)
			switch {
			case i == requestAt && code == "ConditionalCheckFailed":
				return safeguarding.ErrDuplicateRequest
			case code == "ConditionalCheckFailed":
				return &conditionFailed{index: i}
			case code == "TransactionConflict":
				conflict = true
			}
		}
		if !conflict || attempt == attempts-1 {
			if conflict && requestAt >= 0 {
				// Another request with the same key holds the record: its outcome is the answer.
				return safeguarding.ErrDuplicateRequest
			}
			return fmt.Errorf("store: transaction: %w: %w", safeguarding.ErrConflict, err)
		}
		if err := backoff(ctx, attempt+1); err != nil {
			return err
		}
	}
}

// conditionFailed is a transaction cancelled by the condition of the item at index (it exists,
// or its version moved); errors.Is(err, ErrConflict) holds.
type conditionFailed struct{ index int }

func (e *conditionFailed) Error() string {
	return fmt.Sprintf("store: transaction: the condition of item %d failed: %v", e.index, safeguarding.ErrConflict)
}

func (e *conditionFailed) Unwrap() error { return safeguarding.ErrConflict }

// PriorRequest reads the idempotency record of a request, waiting briefly for a concurrent
// request with the same key to commit.
func (s *Store) PriorRequest(ctx context.Context, rk safeguarding.RequestKey) (safeguarding.PriorRequest, error) {
	for attempt := 0; attempt < 8; attempt++ {
		if attempt > 0 {
			if err := backoff(ctx, attempt); err != nil {
				return safeguarding.PriorRequest{}, err
			}
		}
		var it requestItem
		ok, err := s.getItem(ctx, requestKey(rk), &it, true)
		if err != nil {
			return safeguarding.PriorRequest{}, err
		}
		if ok {
			return requestFromItem(it), nil
		}
	}
	return safeguarding.PriorRequest{}, fmt.Errorf("store: request %q never committed: %w", rk.Key, safeguarding.ErrConflict)
}

// ConcernFor reads the viewer and the concern in one BatchGetItem.
func (s *Store) ConcernFor(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID) (safeguarding.Principal, concerns.Concern, error) {
	found, err := s.batchGet(ctx, []key{userKey(viewer), concernKey(school, id)})
	if err != nil {
		return safeguarding.Principal{}, concerns.Concern{}, err
	}
	var u userItem
	if err := unmarshalFound(found, userKey(viewer), &u); err != nil {
		return safeguarding.Principal{}, concerns.Concern{}, err
	}
	p := userFromItem(u)
	p.Email = viewer
	var c concernItem
	if err := unmarshalFound(found, concernKey(school, id), &c); err != nil {
		return p, concerns.Concern{}, err
	}
	if c.ID == "" {
		if !p.IsMember(school) {
			return p, concerns.Concern{}, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
		}
		return p, concerns.Concern{}, fmt.Errorf("concern %q: %w", id, safeguarding.ErrNotFound)
	}
	return p, concernFromItem(c), nil
}

// ChronologyFor reads the viewer (GetItem) and the pupil's partition, the pupil and every
// chronology entry in time order (Query), side by side.
func (s *Store) ChronologyFor(ctx context.Context, viewer string, school safeguarding.SchoolID, pupil safeguarding.PupilID) (safeguarding.Principal, safeguarding.Pupil, []safeguarding.ChronologyEntry, error) {
	var (
		p       safeguarding.Principal
		pu      pupilItem
		entries []safeguarding.ChronologyEntry
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		p, err = s.Principal(gctx, viewer)
		return err
	})
	g.Go(func() error {
		pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName:              &s.table,
			KeyConditionExpression: aws.String("PK = :pk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": &types.AttributeValueMemberS{Value: pupilPK(school, pupil)},
			},
		})
		for pager.HasMorePages() {
			out, err := pager.NextPage(gctx)
			if err != nil {
				return wrap("chronology", err)
			}
			for _, item := range out.Items {
				var k struct {
					Type string `dynamodbav:"type"`
				}
				if err := unmarshal(item, &k); err != nil {
					return err
				}
				switch k.Type {
				case typePupil:
					if err := unmarshal(item, &pu); err != nil {
						return err
					}
				case typeChronology:
					var it chronologyItem
					if err := unmarshal(item, &it); err != nil {
						return err
					}
					entries = append(entries, chronologyFromItem(it))
				}
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return p, safeguarding.Pupil{}, nil, err
	}
	if !p.IsMember(school) {
		return p, safeguarding.Pupil{}, nil, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	if pu.ID == "" {
		return p, safeguarding.Pupil{}, nil, fmt.Errorf("pupil %q: %w", pupil, safeguarding.ErrNotFound)
	}
	return p, pupilFromItem(pu), entries, nil
}

// SaveAmendment commits a concern's next revision: the concern's current content moves on,
// on the condition that its version is still the one read (ErrConflict), and the revision is
// kept as an item of its own beside every earlier one, with the chronology entries, the audit
// entry and the idempotency record, in one transaction.
func (s *Store) SaveAmendment(ctx context.Context, w concerns.AmendmentWrite) error {
	it := concernToItem(w.Concern)
	subcats, _ := marshalValue(it.Subcategories)
	people, _ := marshalValue(it.PeopleInvolved)
	observed, _ := marshalValue(it.ObservedAt)
	amendedAt, _ := marshalValue(it.AmendedAt)
	items, requestAt := s.commandItems(w.Request, w.Entries, w.Audit, nil, w.At)
	items = append(items,
		types.TransactWriteItem{Update: &types.Update{
			TableName: &s.table, Key: it.key.av(),
			UpdateExpression: aws.String("SET category = :category, subcategories = :subcats, observedAt = :observed, details = :details, " +
				"pupilWords = :words, peopleInvolved = :people, revision = :revision, amendedAt = :amendedAt, amendedBy = :amendedBy, " +
				"amendedReason = :reason, version = :version"),
			ConditionExpression: aws.String("version = :prev"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":category": str(it.Category), ":subcats": subcats, ":observed": observed, ":details": str(it.Details),
				":words": str(it.PupilWords), ":people": people, ":revision": num(it.Revision), ":amendedAt": amendedAt,
				":amendedBy": str(it.AmendedBy), ":reason": str(it.AmendedReason), ":version": num(it.Version), ":prev": num(w.PrevVersion),
			},
		}},
		types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(revisionToItem(w.Concern)),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	)
	err := s.transact(ctx, items, requestAt)
	if errors.Is(err, safeguarding.ErrConflict) {
		return fmt.Errorf("concern %s was changed by someone else: %w", w.Concern.Reference(), safeguarding.ErrConflict)
	}
	return err
}

// Revisions reads the viewer (GetItem) and the concern's partition: the concern and every
// revision of its content, oldest first (Query), side by side.
func (s *Store) Revisions(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID) (safeguarding.Principal, concerns.Concern, []concerns.Revision, error) {
	var (
		p    safeguarding.Principal
		c    *concernItem
		revs []concerns.Revision
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		p, err = s.Principal(gctx, viewer)
		return err
	})
	g.Go(func() error {
		return s.queryPartition(gctx, concernKey(school, id).PK, func(typ string, item map[string]types.AttributeValue) error {
			switch typ {
			case typeConcern:
				c = &concernItem{}
				return unmarshal(item, c)
			case typeRevision:
				var it revisionItem
				if err := unmarshal(item, &it); err != nil {
					return err
				}
				revs = append(revs, revisionFromItem(it))
			}
			return nil
		})
	})
	if err := g.Wait(); err != nil {
		return p, concerns.Concern{}, nil, err
	}
	if !p.IsMember(school) {
		return p, concerns.Concern{}, nil, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	if c == nil {
		return p, concerns.Concern{}, nil, fmt.Errorf("concern %q: %w", id, safeguarding.ErrNotFound)
	}
	return p, concernFromItem(*c), revs, nil
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
