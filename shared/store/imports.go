package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

var _ imports.Store = (*Store)(nil)

// A school's roll, as its imports left it, is a partition of its own, one small item per
// pupil by UPN, read whole by one Query (paged) when a file is compared with it; an import's
// record is an item of its own:
//
//	SCHOOL#<school>#ROLL / UPN#<upn>            the pupil's id, the row's fingerprint, left, family
//	SCHOOL#<school>#IMPORT#<id> / IMPORT        who, when, the file's hash, status, counts, row errors
//
// An import that is not a check (a preview) is also on GSI1, under the school's imports by
// time (A100), read newest first for the homes and the import page:
//
//	GSI1 SCHOOL#<school>#IMPORTS / <at>#<id>
const (
	typeRoll   = "roll"
	typeImport = "import"
	// importChunk bounds the items of one of an import's transactions (DynamoDB allows 100).
	importChunk = 90
)

func rollPK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#ROLL" }

// importsPK is the school's imports by time on GSI1 (A100).
func importsPK(s safeguarding.SchoolID) string { return "SCHOOL#" + string(s) + "#IMPORTS" }

func importKey(s safeguarding.SchoolID, id string) key {
	return key{PK: "SCHOOL#" + string(s) + "#IMPORT#" + id, SK: "IMPORT"}
}

type rollItem struct {
	key
	Type        string `dynamodbav:"type"`
	UPN         string `dynamodbav:"upn"`
	Pupil       string `dynamodbav:"pupil"`
	Fingerprint string `dynamodbav:"fingerprint"`
	Left        bool   `dynamodbav:"left"`
	Family      string `dynamodbav:"family"`
	Name        string `dynamodbav:"name,omitempty"`
}

type rowErrorItem struct {
	Line    int    `dynamodbav:"line"`
	Field   string `dynamodbav:"field"`
	Message string `dynamodbav:"message"`
	UPN     string `dynamodbav:"upn,omitempty"`
}

type importItem struct {
	key
	Type           string         `dynamodbav:"type"`
	GSI1PK         string         `dynamodbav:"GSI1PK,omitempty"`
	GSI1SK         string         `dynamodbav:"GSI1SK,omitempty"`
	ID             string         `dynamodbav:"id"`
	School         string         `dynamodbav:"school"`
	By             string         `dynamodbav:"by"`
	At             time.Time      `dynamodbav:"at"`
	FileHash       string         `dynamodbav:"fileHash"`
	Status         string         `dynamodbav:"status"`
	Applied        bool           `dynamodbav:"applied"`
	Preview        bool           `dynamodbav:"preview"`
	Full           bool           `dynamodbav:"full"`
	ValidRows      bool           `dynamodbav:"validRows"`
	Uploaded       bool           `dynamodbav:"uploaded,omitempty"`
	ExpectHash     string         `dynamodbav:"expectHash,omitempty"`
	Rows           int            `dynamodbav:"rows"`
	Created        int            `dynamodbav:"created"`
	Updated        int            `dynamodbav:"updated"`
	Unchanged      int            `dynamodbav:"unchanged"`
	Left           int            `dynamodbav:"left"`
	FamiliesFormed int            `dynamodbav:"familiesFormed"`
	ErrorRows      int            `dynamodbav:"errorRows"`
	Errors         []rowErrorItem `dynamodbav:"errors"`
}

func importToItem(r imports.Record) importItem {
	it := importItem{key: importKey(r.School, r.ID), Type: typeImport, ID: r.ID, School: string(r.School), By: r.By, At: r.At,
		FileHash: r.FileHash, Status: r.Status, Applied: r.Applied, Preview: r.Preview, Full: r.Full, ValidRows: r.ValidRows,
		Uploaded: r.Uploaded, ExpectHash: r.ExpectHash, Rows: r.Rows, Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged, Left: r.Left, FamiliesFormed: r.FamiliesFormed,
		ErrorRows: r.ErrorRows, Errors: []rowErrorItem{}}
	if !r.Preview {
		it.GSI1PK, it.GSI1SK = importsPK(r.School), stamp(r.At)+"#"+r.ID
	}
	for _, e := range r.Errors {
		it.Errors = append(it.Errors, rowErrorItem(e))
	}
	return it
}

func importFromItem(it importItem) imports.Record {
	r := imports.Record{ID: it.ID, School: safeguarding.SchoolID(it.School), By: it.By, At: it.At, FileHash: it.FileHash,
		Status: it.Status, Applied: it.Applied, Preview: it.Preview, Full: it.Full, ValidRows: it.ValidRows,
		Uploaded: it.Uploaded, ExpectHash: it.ExpectHash, Rows: it.Rows,
		Created: it.Created, Updated: it.Updated, Unchanged: it.Unchanged, Left: it.Left, FamiliesFormed: it.FamiliesFormed,
		ErrorRows: it.ErrorRows}
	for _, e := range it.Errors {
		r.Errors = append(r.Errors, imports.RowError(e))
	}
	return r
}

// Roll reads the school's roll (one Query of its partition, paged, consistent).
func (s *Store) Roll(ctx context.Context, school safeguarding.SchoolID) ([]imports.Existing, error) {
	items, err := s.queryAll(ctx, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(rollPK(school))},
		ConsistentRead:            aws.Bool(true),
	}, "roll")
	if err != nil {
		return nil, err
	}
	out := make([]imports.Existing, 0, len(items))
	for _, item := range items {
		var it rollItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		out = append(out, imports.Existing{UPN: it.UPN, Pupil: safeguarding.PupilID(it.Pupil), Fingerprint: it.Fingerprint,
			Left: it.Left, Family: it.Family, Name: it.Name})
	}
	return out, nil
}

// ImportRecord reads an import's record.
func (s *Store) ImportRecord(ctx context.Context, school safeguarding.SchoolID, id string) (imports.Record, bool, error) {
	var it importItem
	ok, err := s.getItem(ctx, importKey(school, id), &it, true)
	if err != nil || !ok {
		return imports.Record{}, false, err
	}
	return importFromItem(it), true, nil
}

// Imports reads the school's latest imports that were not checks, newest first, at most limit
// of them (one Query of GSI1, A100), without their row errors.
func (s *Store) Imports(ctx context.Context, school safeguarding.SchoolID, limit int) ([]imports.Record, error) {
	page, err := s.db.Query(ctx, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI1"), Limit: aws.Int32(int32(min(max(limit, 1), imports.MaxListed))),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(importsPK(school))},
		ScanIndexForward:          aws.Bool(false),
		ProjectionExpression:      aws.String("#type, id, school, #by, #at, #status, applied, preview, #full, validRows, uploaded, #rows, created, updated, unchanged, #left, familiesFormed, errorRows"),
		ExpressionAttributeNames: map[string]string{"#type": "type", "#by": "by", "#at": "at", "#status": "status", "#full": "full",
			"#rows": "rows", "#left": "left"},
	})
	if err != nil {
		return nil, wrap("imports", err)
	}
	out := make([]imports.Record, 0, len(page.Items))
	for _, item := range page.Items {
		var it importItem
		if err := unmarshal(item, &it); err != nil {
			return nil, err
		}
		out = append(out, importFromItem(it))
	}
	return out, nil
}

// StartImport saves a running import's record unless one that read its file was saved already
// (a resume keeps the first try's); an import waiting for its uploaded file is replaced.
func (s *Store) StartImport(ctx context.Context, r imports.Record) error {
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: marshal(importToItem(r)),
		ConditionExpression:       aws.String("attribute_not_exists(PK) OR fileHash = :none"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":none": str("")}})
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return nil
	}
	return wrap("start import", err)
}

// FinishImport saves the import's final record with its audit entry, in one transaction.
func (s *Store) FinishImport(ctx context.Context, r imports.Record, audit safeguarding.AuditEntry) error {
	items := append([]types.TransactWriteItem{{Put: &types.Put{TableName: &s.table, Item: marshal(importToItem(r))}}}, s.auditPuts(audit)...)
	return s.transact(ctx, items, -1)
}

// Current reads the school's classes (one Query) and the pupils and the families (with their
// contact details) an import changes, 100 keys to a BatchGetItem.
func (s *Store) Current(ctx context.Context, school safeguarding.SchoolID, pupils []safeguarding.PupilID, families []string) (imports.Current, error) {
	cur := imports.Current{Pupils: map[safeguarding.PupilID]safeguarding.Pupil{}, Families: map[string]contact.Family{},
		Contacts: map[string]contact.ContactDetails{}, Classes: map[string]bool{}}
	classes, err := s.Classes(ctx, school)
	if err != nil {
		return cur, err
	}
	for _, c := range classes {
		cur.Classes[c.Name] = true
	}
	var keys []key
	for _, p := range pupils {
		keys = append(keys, pupilKey(school, p))
	}
	for _, f := range families {
		keys = append(keys, familyKey(school, f), contactsKey(school, f))
	}
	err = s.batchGetEach(ctx, keys, func(typ string, item map[string]types.AttributeValue) error {
		switch typ {
		case typePupil:
			var it pupilItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			cur.Pupils[safeguarding.PupilID(it.ID)] = pupilFromItem(it)
		case typeFamily:
			var it familyItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			cur.Families[it.ID] = familyFromItem(it)
		case typeContacts:
			var it contactsItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			c := contactsFromItem(it)
			cur.Contacts[c.Family()] = c
		}
		return nil
	})
	return cur, err
}

// ApplyImport writes an import in transactions of at most importChunk items: each family with
// its contact details against the versions read, then each pupil with its name-search items
// and its roll item in one transaction (a pupil is never on the roll without its record). Every
// record is written in the state the import gives, so a chunk written twice changes nothing;
// an import cut short is resumed by running it again.
func (s *Store) ApplyImport(ctx context.Context, w imports.Write) error {
	put := func(v any) types.TransactWriteItem {
		return types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: marshal(v)}}
	}
	// Families first, pupils and their roll items after: the roll is what a resumed import
	// compares the file with, so a pupil is on it only once everything of theirs is written.
	var families, pupils [][]types.TransactWriteItem
	for _, name := range w.Classes {
		families = append(families, []types.TransactWriteItem{{Put: &types.Put{TableName: &s.table,
			Item:                marshal(classItem{key: classKey(w.School, name), Type: typeClass, Name: name, Teachers: []string{}}),
			ConditionExpression: aws.String("attribute_not_exists(PK)")}}})
	}
	details := map[string]contact.ContactDetails{}
	for _, c := range w.Contacts {
		details[c.Family()] = c
	}
	for _, f := range w.Families {
		fam := &types.Put{TableName: &s.table, Item: marshal(familyToItem(f))}
		if f.Version() == 1 {
			fam.ConditionExpression = aws.String("attribute_not_exists(PK)")
		} else {
			fam.ConditionExpression = aws.String("version = :prev")
			fam.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": num(f.Version() - 1)}
		}
		g := []types.TransactWriteItem{{Put: fam}}
		if c, ok := details[f.ID()]; ok {
			g = append(g, contactsPuts(s.table, c)...)
		}
		families = append(families, g)
	}
	for i, p := range w.Pupils {
		g := []types.TransactWriteItem{put(pupilToItem(p))}
		// Rule S7: the date of birth dates the pupil's place on the retention list (A94).
		if u, ok := s.dateOfBirthUpdate(p); ok {
			g = append(g, u)
		}
		// A renamed pupil's items under the words of the former name take the new name too, so
		// that a search by the former name passes over them (SearchPupils).
		for _, tok := range nameTokens(p.Name + " " + w.FormerNames[p.ID]) {
			g = append(g, put(pupilNameToItem(p, tok)))
		}
		r := w.Roll[i]
		g = append(g, put(rollItem{key: key{PK: rollPK(w.School), SK: "UPN#" + r.UPN}, Type: typeRoll, UPN: r.UPN, Pupil: string(r.Pupil),
			Fingerprint: r.Fingerprint, Left: r.Left, Family: r.Family, Name: r.Name}))
		pupils = append(pupils, g)
	}
	if err := s.transactChunks(ctx, families); err != nil {
		return fmt.Errorf("store: the import's families: %w", err)
	}
	return s.transactChunks(ctx, pupils)
}

// importParallel is how many of an import's transactions run side by side: they touch
// different items, and one after another a school of 2,000 pupils takes most of a request's
// 30 seconds.
const importParallel = 8

// transactChunks writes groups of items (each group in one transaction, never split) in
// transactions of at most importChunk items, importParallel at a time.
func (s *Store) transactChunks(ctx context.Context, groups [][]types.TransactWriteItem) error {
	var chunks [][]types.TransactWriteItem
	var chunk []types.TransactWriteItem
	for _, g := range groups {
		if len(chunk)+len(g) > importChunk {
			chunks, chunk = append(chunks, chunk), nil
		}
		chunk = append(chunk, g...)
	}
	if len(chunk) > 0 {
		chunks = append(chunks, chunk)
	}
	eg, ctx := errgroup.WithContext(ctx)
	eg.SetLimit(importParallel)
	for _, c := range chunks {
		eg.Go(func() error { return s.transact(ctx, c, -1) })
	}
	return eg.Wait()
}

// contactsPuts are the puts of a new version of contact details: the current item moves on
// on the condition that its version is still the one before, and the version item is added
// beside every earlier one, never over it (rule P4).
func contactsPuts(table string, c contact.ContactDetails) []types.TransactWriteItem {
	cur := &types.Put{TableName: &table, Item: marshal(contactsToItem(c, true))}
	if c.Version() == 1 {
		cur.ConditionExpression = aws.String("attribute_not_exists(PK)")
	} else {
		cur.ConditionExpression = aws.String("version = :prev")
		cur.ExpressionAttributeValues = map[string]types.AttributeValue{":prev": num(c.Version() - 1)}
	}
	return []types.TransactWriteItem{{Put: cur}, {Put: &types.Put{TableName: &table, Item: marshal(contactsToItem(c, false)),
		ConditionExpression: aws.String("attribute_not_exists(PK)")}}}
}
