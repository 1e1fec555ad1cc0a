package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
)

var _ transfers.Store = (*Store)(nil)

// A transfer of a pupil's file to their new school (rule S5):
//
//	TRANSFER#<id> / TRANSFER      the transfer, its progress, its link (hashes only) and history;
//	                              GSI1 lists it at the sending school, GSI3 at a receiving school
//	                              of the federation, GSI2 holds it on the deadline ladder while due
//
// The id is the same at both schools, so the receiving school finds it by its id alone.
const typeTransfer = "transfer"

func transferKey(id string) key { return key{PK: "TRANSFER#" + id, SK: "TRANSFER"} }

// transfersOutPK and transfersInPK list a school's transfers, newest first: those from it
// (GSI1) and those to it (GSI3).
func transfersOutPK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#TRANSFERS-OUT" }
func transfersInPK(s safeguarding.SchoolID) string  { return "SCHOOL#" + string(s) + "#TRANSFERS-IN" }

// CopyChunk is how many items of a pupil's file one transaction copies, with the update of the
// transfer's progress: well under TransactWriteItems' 100 items and 4 MB.
const CopyChunk = 40

type transferEventItem struct {
	At   time.Time `dynamodbav:"at"`
	By   string    `dynamodbav:"by,omitempty"`
	Kind string    `dynamodbav:"kind"`
	Note string    `dynamodbav:"note,omitempty"`
}

type transferItem struct {
	key
	Type           string              `dynamodbav:"type"`
	GSI1PK         string              `dynamodbav:"GSI1PK"`
	GSI1SK         string              `dynamodbav:"GSI1SK"`
	GSI3PK         string              `dynamodbav:"GSI3PK,omitempty"`
	GSI3SK         string              `dynamodbav:"GSI3SK,omitempty"`
	ID             string              `dynamodbav:"id"`
	School         string              `dynamodbav:"school"`
	FromName       string              `dynamodbav:"fromName"`
	Pupil          string              `dynamodbav:"pupil"`
	PupilName      string              `dynamodbav:"pupilName"`
	ToSchool       string              `dynamodbav:"toSchool,omitempty"`
	ToSchoolName   string              `dynamodbav:"toSchoolName,omitempty"`
	ToDSLEmail     string              `dynamodbav:"toDslEmail,omitempty"`
	Status         string              `dynamodbav:"status"`
	RecordedBy     string              `dynamodbav:"recordedBy"`
	RecordedAt     time.Time           `dynamodbav:"recordedAt"`
	DueBy          time.Time           `dynamodbav:"dueBy"`
	SentBy         string              `dynamodbav:"sentBy,omitempty"`
	SentAt         *time.Time          `dynamodbav:"sentAt,omitempty"`
	ReceivedBy     string              `dynamodbav:"receivedBy,omitempty"`
	ReceivedAt     *time.Time          `dynamodbav:"receivedAt,omitempty"`
	ReceivingPupil string              `dynamodbav:"receivingPupil,omitempty"`
	Copied         int                 `dynamodbav:"copied"`
	CopiedThrough  string              `dynamodbav:"copiedThrough,omitempty"`
	LinkTokenHash  string              `dynamodbav:"linkTokenHash,omitempty"`
	LinkCodeHash   string              `dynamodbav:"linkCodeHash,omitempty"`
	LinkExpiresAt  *time.Time          `dynamodbav:"linkExpiresAt,omitempty"`
	LinkTries      int                 `dynamodbav:"linkTries,omitempty"`
	LinkLocked     bool                `dynamodbav:"linkLocked,omitempty"`
	LinkUsed       bool                `dynamodbav:"linkUsed,omitempty"`
	LinkObject     string              `dynamodbav:"linkObject,omitempty"`
	LinkVersion    string              `dynamodbav:"linkObjectVersion,omitempty"`
	History        []transferEventItem `dynamodbav:"history"`
	Fingerprint    string              `dynamodbav:"fingerprint"`
	Version        int                 `dynamodbav:"version"`
	dueAttrs
}

func transferToItem(t transfers.Transfer, due safeguarding.DueItem, through string) transferItem {
	it := transferItem{key: transferKey(t.ID), Type: typeTransfer,
		GSI1PK: transfersOutPK(t.From), GSI1SK: stamp(t.RecordedAt) + "#" + t.ID,
		ID: t.ID, School: string(t.From), FromName: t.FromName, Pupil: string(t.Pupil), PupilName: t.PupilName,
		ToSchool: string(t.To.School), ToSchoolName: t.To.SchoolName, ToDSLEmail: t.To.DSLEmail, Status: string(t.Status),
		RecordedBy: t.RecordedBy, RecordedAt: t.RecordedAt, DueBy: t.DueBy, SentBy: t.SentBy, SentAt: timePtr(t.SentAt),
		ReceivedBy: t.ReceivedBy, ReceivedAt: timePtr(t.ReceivedAt), ReceivingPupil: string(t.ReceivingPupil), Copied: t.Copied,
		CopiedThrough: through, LinkTokenHash: t.Link.TokenHash, LinkCodeHash: t.Link.CodeHash, LinkExpiresAt: timePtr(t.Link.ExpiresAt),
		LinkTries: t.Link.Tries, LinkLocked: t.Link.Locked, LinkUsed: t.Link.Used, LinkObject: t.Link.ObjectKey, LinkVersion: t.Link.ObjectVersion,
		Fingerprint: t.Fingerprint, Version: t.Version, dueAttrs: dueToAttrs(due)}
	if t.To.InFederation() {
		it.GSI3PK, it.GSI3SK = transfersInPK(t.To.School), it.GSI1SK
	}
	for _, e := range t.History {
		it.History = append(it.History, transferEventItem{At: e.At, By: e.By, Kind: e.Kind, Note: e.Note})
	}
	return it
}

func transferFromItem(it transferItem) transfers.Transfer {
	t := transfers.Transfer{ID: it.ID, From: safeguarding.SchoolID(it.School), FromName: it.FromName, Pupil: safeguarding.PupilID(it.Pupil),
		PupilName: it.PupilName, To: transfers.Destination{School: safeguarding.SchoolID(it.ToSchool), SchoolName: it.ToSchoolName, DSLEmail: it.ToDSLEmail},
		Status: transfers.Status(it.Status), RecordedBy: it.RecordedBy, RecordedAt: it.RecordedAt, DueBy: it.DueBy, SentBy: it.SentBy,
		SentAt: timeOf(it.SentAt), ReceivedBy: it.ReceivedBy, ReceivedAt: timeOf(it.ReceivedAt), ReceivingPupil: safeguarding.PupilID(it.ReceivingPupil),
		Copied: it.Copied, Link: transfers.Link{TokenHash: it.LinkTokenHash, CodeHash: it.LinkCodeHash, ExpiresAt: timeOf(it.LinkExpiresAt),
			Tries: it.LinkTries, Locked: it.LinkLocked, Used: it.LinkUsed, ObjectKey: it.LinkObject, ObjectVersion: it.LinkVersion},
		Fingerprint: it.Fingerprint, Version: it.Version}
	for _, e := range it.History {
		t.History = append(t.History, transfers.Event{At: e.At, By: e.By, Kind: e.Kind, Note: e.Note})
	}
	return t
}

// LoadMove reads what recording a move needs in one BatchGetItem: the viewer, the school, its
// calendar, the pupil, the receiving school of the federation and the transfer under id.
func (s *Store) LoadMove(ctx context.Context, viewer string, school safeguarding.SchoolID, pupil safeguarding.PupilID, to safeguarding.SchoolID, id string) (transfers.MoveCase, error) {
	var (
		mc  transfers.MoveCase
		cal calendarItem
		pu  pupilItem
		toI schoolItem
		tr  transferItem
	)
	b := newBatch().viewer(viewer, &mc.Viewer).school(school, &mc.Viewer, &mc.School).item(calendarKey(school), &cal).
		item(pupilKey(school, pupil), &pu).item(transferKey(id), &tr)
	if to != "" && to != school {
		b.item(schoolKey(to), &toI)
	}
	if err := s.load(ctx, b); err != nil {
		return mc, err
	}
	var err error
	if mc.Calendar, err = schoolCalendarOf(cal, school); err != nil {
		return mc, err
	}
	if pu.ID != "" {
		mc.Pupil = pupilFromItem(pu)
	}
	if toI.ID != "" {
		mc.To = schoolFromItem(toI)
	}
	if tr.ID != "" {
		t := transferFromItem(tr)
		mc.Existing = &t
	}
	return mc, nil
}

// Load reads the viewer and a transfer in one BatchGetItem.
func (s *Store) Load(ctx context.Context, viewer string, id string) (safeguarding.Principal, transfers.Transfer, error) {
	var p safeguarding.Principal
	var tr transferItem
	if err := s.load(ctx, newBatch().viewer(viewer, &p).item(transferKey(id), &tr)); err != nil {
		return p, transfers.Transfer{}, err
	}
	if tr.ID == "" {
		return p, transfers.Transfer{}, fmt.Errorf("transfer %q: %w", id, safeguarding.ErrNotFound)
	}
	return p, transferFromItem(tr), nil
}

// LoadLink reads a transfer by its id (one consistent GetItem), for its link.
func (s *Store) LoadLink(ctx context.Context, id string) (transfers.Transfer, error) {
	var tr transferItem
	ok, err := s.getItem(ctx, transferKey(id), &tr, true)
	if err != nil {
		return transfers.Transfer{}, err
	}
	if !ok {
		return transfers.Transfer{}, fmt.Errorf("transfer %q: %w", id, safeguarding.ErrNotFound)
	}
	return transferFromItem(tr), nil
}

// Save writes a transfer with its chronology entries, audit entries and alerts in one
// TransactWriteItems. A new transfer (version 1) goes on the deadline ladder; a later version
// is written on the condition that the stored one is the version before, and leaves it.
func (s *Store) Save(ctx context.Context, t transfers.Transfer, w transfers.Writes) error {
	due := t.DueItem(t.RecordedAt)
	put := &types.Put{TableName: &s.table}
	if t.Version <= 1 {
		put.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		due.Due = due.Due.Stop()
		put.ConditionExpression = aws.String("version = :prev")
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": num(t.Version - 1)}
	}
	// The copy's cursor (copiedThrough) is left out: a transfer is saved again only once its
	// copy is done, and no copy follows.
	put.Item = marshal(transferToItem(t, due, ""))
	items := []types.TransactWriteItem{{Put: put}}
	for _, e := range w.Entries {
		items = append(items, s.putNew(chronologyToItem(e)))
	}
	for _, a := range w.Audits {
		items = append(items, s.auditPuts(a)...)
	}
	at := t.RecordedAt
	if n := len(t.History); n > 0 {
		at = t.History[n-1].At
	}
	for _, a := range w.Alerts {
		items = append(items, s.putNew(outboxToItem(a, at)))
	}
	requestAt := -1
	if t.Version <= 1 {
		requestAt = 0
	}
	err := s.transact(ctx, items, requestAt)
	var cf *conditionFailed
	if errors.As(err, &cf) && cf.index == 0 {
		return fmt.Errorf("store: transfer %s changed: %w", t.ID, safeguarding.ErrConflict)
	}
	return wrap("save transfer", err)
}

// Transfers lists the viewer and the transfers from a school (GSI1) and to it (GSI3), newest
// first: three calls at once.
func (s *Store) Transfers(ctx context.Context, viewer string, school safeguarding.SchoolID) (safeguarding.Principal, []transfers.Transfer, error) {
	var (
		p       safeguarding.Principal
		out, in []transfers.Transfer
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() (err error) {
		p, err = s.Principal(gctx, viewer)
		return err
	})
	list := func(index, pkName, pk string, dst *[]transfers.Transfer) func() error {
		return func() error {
			pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
				TableName: &s.table, IndexName: aws.String(index),
				KeyConditionExpression:    aws.String(pkName + " = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
				ScanIndexForward:          aws.Bool(false),
			})
			for pager.HasMorePages() {
				page, err := pager.NextPage(gctx)
				if err != nil {
					return wrap("transfers", err)
				}
				for _, item := range page.Items {
					var it transferItem
					if err := unmarshal(item, &it); err != nil {
						return err
					}
					*dst = append(*dst, transferFromItem(it))
				}
			}
			return nil
		}
	}
	g.Go(list("GSI1", "GSI1PK", transfersOutPK(school), &out))
	g.Go(list("GSI3", "GSI3PK", transfersInPK(school), &in))
	if err := g.Wait(); err != nil {
		return p, nil, err
	}
	if !p.IsMember(school) {
		return p, nil, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	all := append(out, in...)
	slices.SortFunc(all, func(a, b transfers.Transfer) int { return b.RecordedAt.Compare(a.RecordedAt) })
	return p, all, nil
}

// sourceItem is one item of the pupil's file to copy, and where its copy goes.
type sourceItem struct {
	to   key
	item map[string]types.AttributeValue
}

// CopyFile copies what is left of the pupil's whole file into the receiving school of the
// federation (rule S5): the pupil's chronology, each concern it names with every version, its
// case work and its file references, each copy keeping its provenance (the transfer, the
// school it came from, when and by whom). The pupil is matched at the receiving school by UPN,
// or made there (name, date of birth, UPN) so its DSLs find them.
//
// Reads: the pupil's partition and the sending school's roll (for the UPN) at once, then each
// concern's partition (eight at once), then the receiving school's roll item and pupil when
// the UPN is known. Writes: the items in key order, CopyChunk to a TransactWriteItems with
// the update of the transfer's progress (how many, and the last key copied) on the condition
// that the progress is the one read; each copy is written only where nothing is, or where this
// transfer's own copy is. A copy cut short resumes after the last key copied, so a retry
// writes nothing twice. The copy needs no Scan.
func (s *Store) CopyFile(ctx context.Context, t transfers.Transfer, by string, at time.Time) (transfers.Transfer, error) {
	if !t.To.InFederation() {
		return t, fmt.Errorf("store: transfer %s goes outside the federation: %w", t.ID, safeguarding.ErrInvalid)
	}
	var cur transferItem
	if ok, err := s.getItem(ctx, transferKey(t.ID), &cur, true); err != nil {
		return t, err
	} else if !ok || cur.Version != t.Version {
		return t, fmt.Errorf("store: transfer %s changed: %w", t.ID, safeguarding.ErrConflict)
	}
	from, to := t.From, t.To.School
	var (
		partition []map[string]types.AttributeValue
		upn       string
	)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		return s.queryWhole(gctx, pupilPK(from, t.Pupil), func(item map[string]types.AttributeValue) { partition = append(partition, item) })
	})
	g.Go(func() error {
		// The pupil's UPN, from the sending school's roll: one Query of the roll, filtered to the pupil.
		pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName: &s.table, KeyConditionExpression: aws.String("PK = :pk"), FilterExpression: aws.String("pupil = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(rollPK(from)), ":p": str(string(t.Pupil))},
		})
		for pager.HasMorePages() {
			page, err := pager.NextPage(gctx)
			if err != nil {
				return wrap("roll", err)
			}
			for _, item := range page.Items {
				var r rollItem
				if err := unmarshal(item, &r); err != nil {
					return err
				}
				upn = r.UPN
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return t, err
	}
	var pupil safeguarding.Pupil
	var concernIDs []string
	for _, item := range partition {
		var k struct {
			Type      string `dynamodbav:"type"`
			ConcernID string `dynamodbav:"concernId"`
		}
		if err := unmarshal(item, &k); err != nil {
			return t, err
		}
		switch k.Type {
		case typePupil:
			var it pupilItem
			if err := unmarshal(item, &it); err != nil {
				return t, err
			}
			pupil = pupilFromItem(it)
		case typeChronology:
			if k.ConcernID != "" && !slices.Contains(concernIDs, k.ConcernID) {
				concernIDs = append(concernIDs, k.ConcernID)
			}
		}
	}
	if pupil.ID == "" {
		return t, fmt.Errorf("pupil %q: %w", t.Pupil, safeguarding.ErrNotFound)
	}
	concernItems := make([][]map[string]types.AttributeValue, len(concernIDs))
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(exportQueries)
	for i, id := range concernIDs {
		g.Go(func() error {
			return s.queryWhole(gctx, concernKey(from, safeguarding.ConcernID(id)).PK, func(item map[string]types.AttributeValue) {
				if typ, _ := item["type"].(*types.AttributeValueMemberS); typ != nil && typ.Value != typeRead {
					concernItems[i] = append(concernItems[i], item)
				}
			})
		})
	}
	if err := g.Wait(); err != nil {
		return t, err
	}

	// The pupil at the receiving school: the one the transfer found before, the one its roll
	// holds under the UPN, or a new one.
	receiving := safeguarding.PupilID(cur.ReceivingPupil)
	var made []sourceItem
	if receiving == "" && upn != "" {
		if p, ok, err := s.PupilByUPN(ctx, to, upn); err != nil {
			return t, err
		} else if ok {
			receiving = p.ID
		}
	}
	// A pupil made by this transfer has an id of its own; a resumed copy makes them again
	// only if the cursor has not passed their items.
	if receiving == "" || receiving == safeguarding.PupilID("TR"+t.ID) {
		receiving = safeguarding.PupilID("TR" + t.ID)
		np := safeguarding.Pupil{ID: receiving, School: to, Name: pupil.Name, DateOfBirth: pupil.DateOfBirth}
		made = append(made, sourceItem{to: pupilKey(to, receiving), item: marshal(pupilToItem(np))})
		for _, tok := range nameTokens(np.Name) {
			made = append(made, sourceItem{to: key{PK: pupilNamePK(to), SK: tok + "#" + string(receiving)}, item: marshal(pupilNameToItem(np, tok))})
		}
		if upn != "" {
			k := key{PK: rollPK(to), SK: "UPN#" + upn}
			made = append(made, sourceItem{to: k, item: marshal(rollItem{key: k, Type: typeRoll, UPN: upn, Pupil: string(receiving), Name: np.Name})})
		}
	}

	fromPupilPK, toPupilPK := pupilPK(from, t.Pupil), pupilPK(to, receiving)
	fromPrefix, toPrefix := "SCHOOL#"+string(from)+"#", "SCHOOL#"+string(to)+"#"
	items := slices.Clone(made)
	add := func(item map[string]types.AttributeValue) error {
		var k key
		if err := unmarshal(item, &k); err != nil {
			return err
		}
		typ, _ := item["type"].(*types.AttributeValueMemberS)
		if typ != nil && typ.Value == typePupil {
			return nil // the receiving school's own pupil item, above
		}
		pk := k.PK
		switch {
		case pk == fromPupilPK:
			pk = toPupilPK
		case strings.HasPrefix(pk, fromPrefix):
			pk = toPrefix + strings.TrimPrefix(pk, fromPrefix)
		default:
			return fmt.Errorf("store: copying %s: an item outside the school: %w", t.ID, safeguarding.ErrInvalid)
		}
		copied := make(map[string]types.AttributeValue, len(item)+5)
		for a, v := range item {
			copied[a] = v
		}
		// The copy is the receiving school's record, in no list or ladder of its own: the
		// lists and the deadline engine work on what that school records.
		for _, a := range []string{"GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK", "GSI3SK", "expiresAt"} {
			delete(copied, a)
		}
		if _, ok := copied["dueActive"]; ok {
			copied["dueActive"] = &types.AttributeValueMemberBOOL{Value: false}
		}
		copied["PK"], copied["school"] = str(pk), str(string(to))
		if p, _ := copied["pupil"].(*types.AttributeValueMemberS); p != nil && p.Value == string(t.Pupil) {
			copied["pupil"] = str(string(receiving))
		}
		copied["transferId"], copied["transferredFrom"], copied["transferredFromName"] = str(t.ID), str(string(from)), str(t.FromName)
		copied["transferredAt"], copied["transferredBy"] = str(at.UTC().Format(time.RFC3339Nano)), str(by)
		items = append(items, sourceItem{to: key{PK: pk, SK: k.SK}, item: copied})
		return nil
	}
	for _, item := range partition {
		if err := add(item); err != nil {
			return t, err
		}
	}
	for _, c := range concernItems {
		for _, item := range c {
			if err := add(item); err != nil {
				return t, err
			}
		}
	}
	for i := range made {
		items[i].item["transferId"] = str(t.ID)
	}
	order := func(k key) string { return k.PK + "\x00" + k.SK }
	slices.SortFunc(items, func(a, b sourceItem) int { return strings.Compare(order(a.to), order(b.to)) })
	items = slices.DeleteFunc(items, func(si sourceItem) bool { return cur.CopiedThrough != "" && order(si.to) <= cur.CopiedThrough })

	version, copiedN := cur.Version, cur.Copied
	for start := 0; start < len(items); start += CopyChunk {
		chunk := items[start:min(start+CopyChunk, len(items))]
		next := order(chunk[len(chunk)-1].to)
		tx := make([]types.TransactWriteItem, 0, len(chunk)+1)
		tx = append(tx, types.TransactWriteItem{Update: &types.Update{TableName: &s.table, Key: transferKey(t.ID).av(),
			UpdateExpression:    aws.String("SET copied = :n, copiedThrough = :through, receivingPupil = :rp, version = :v"),
			ConditionExpression: aws.String("version = :prev AND copied = :prevN"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":n": num(copiedN + len(chunk)), ":through": str(next),
				":rp": str(string(receiving)), ":v": num(version + 1), ":prev": num(version), ":prevN": num(copiedN)}}})
		for _, si := range chunk {
			tx = append(tx, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: si.item,
				ConditionExpression:       aws.String("attribute_not_exists(PK) OR transferId = :t"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":t": str(t.ID)}}})
		}
		err := s.transact(ctx, tx, -1)
		var cf *conditionFailed
		if errors.As(err, &cf) && cf.index > 0 {
			// The receiving school holds some of these already: an earlier transfer of the same
			// pupil copied them. They are kept as they are (nothing is written over), and the
			// rest of the chunk is written.
			if tx, err = s.withoutHeld(ctx, tx, t.ID); err == nil {
				err = s.transact(ctx, tx, -1)
			}
		}
		switch {
		case errors.As(err, &cf) && cf.index == 0:
			return t, fmt.Errorf("store: transfer %s copied by another request: %w", t.ID, safeguarding.ErrConflict)
		case errors.As(err, &cf):
			return t, fmt.Errorf("store: transfer %s: the receiving school holds a record with the key of a copy: %w", t.ID, safeguarding.ErrConflict)
		case err != nil:
			return t, wrap("copy", err)
		}
		version, copiedN = version+1, copiedN+len(chunk)
	}
	t.Version, t.Copied, t.ReceivingPupil = version, copiedN, receiving
	return t, nil
}

// queryWhole reads a whole partition, paged, consistently.
func (s *Store) queryWhole(ctx context.Context, pk string, each func(map[string]types.AttributeValue)) error {
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, KeyConditionExpression: aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)}, ConsistentRead: aws.Bool(true),
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return wrap("query", err)
		}
		for _, item := range page.Items {
			each(item)
		}
	}
	return nil
}

// Federation lists every school with its name: the registry (one Query), then the schools
// (BatchGetItem, 100 to a call).
func (s *Store) Federation(ctx context.Context) ([]safeguarding.School, error) {
	reg, err := s.Schools(ctx)
	if err != nil {
		return nil, err
	}
	keys := make([]key, 0, len(reg))
	for _, r := range reg {
		keys = append(keys, schoolKey(r.ID))
	}
	var out []safeguarding.School
	err = s.batchGetEach(ctx, keys, func(typ string, item map[string]types.AttributeValue) error {
		if typ != typeSchool {
			return nil
		}
		var it schoolItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out = append(out, schoolFromItem(it))
		return nil
	})
	return out, err
}

// withoutHeld drops from a chunk's transaction (the progress update first, then the copies)
// each copy whose key the receiving school holds already under another transfer or none: one
// BatchGetItem of the chunk's keys.
func (s *Store) withoutHeld(ctx context.Context, tx []types.TransactWriteItem, id string) ([]types.TransactWriteItem, error) {
	keys := make([]key, 0, len(tx)-1)
	for _, w := range tx[1:] {
		var k key
		if err := unmarshal(w.Put.Item, &k); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return nil, err
	}
	out := tx[:1:1]
	for i, w := range tx[1:] {
		held, ok := found[keys[i].PK+"|"+keys[i].SK]
		if ok {
			if by, _ := held["transferId"].(*types.AttributeValueMemberS); by == nil || by.Value != id {
				continue
			}
		}
		out = append(out, w)
	}
	return out, nil
}
