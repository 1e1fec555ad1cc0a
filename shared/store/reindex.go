package store

import (
	"context"
	"errors"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

// ReindexReport counts what a reindex of one school's concerns found and wrote.
type ReindexReport struct {
	// Concerns is how many concerns of the school were looked at.
	Concerns int
	// Authors is how many were put on their author's list (A98).
	Authors int
	// Tagged is how many index items were written for the staff a concern tagged (A111).
	Tagged int
	// AboutStaff is how many concerns about a member of staff were put on their list (A112).
	AboutStaff int
}

// Writes is how many items the reindex wrote.
func (r ReindexReport) Writes() int { return r.Authors + r.Tagged + r.AboutStaff }

// reindexPage bounds the concerns one Query of the reindex reads, so their index items' keys
// are checked in a few BatchGetItems.
const reindexPage = 100

// ReindexConcerns puts a school's concerns recorded before the lists of A98, A111 and A112
// existed onto them, as recording a concern does now: the concern item's author keys
// (GSI2PK/GSI2SK) where it has none, and each of its index items (concernIndexItems: a
// concern-tag item for each member of staff it is listed for as tagged, never its subject,
// and a concern-about-staff item when it is about a member of staff) that is not there. Whom a
// concern tagged and whether it is about staff are never amended, so the concern item as it
// stands decides them.
//
// Reads: the school's concerns by time (A10: Query GSI1, 100 to a page, no Scan), then the
// index items each page's concerns should have (BatchGetItem, 100 keys each). Writes: an
// UpdateItem of a concern's author keys on the condition that it exists and has none, and a
// PutItem of each missing index item on the condition that nothing is there; a write whose
// condition fails (a second run beside this one wrote it) is not counted. A concern recorded
// meanwhile has its keys and items already, and is written nothing; run again, it writes
// nothing.
func (s *Store) ReindexConcerns(ctx context.Context, school safeguarding.SchoolID) (ReindexReport, error) {
	var r ReindexReport
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI1"), Limit: aws.Int32(reindexPage),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(concernsByTimePK(school))},
	})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return r, wrap("concerns to reindex", err)
		}
		var (
			missingAuthor []concernItem
			want          []concernIndexItem
			keys          []key
		)
		for _, item := range page.Items {
			var it concernItem
			if err := unmarshal(item, &it); err != nil {
				return r, err
			}
			if it.Type != typeConcern || it.School != string(school) {
				continue
			}
			r.Concerns++
			c := concernFromItem(it)
			if it.GSI2PK == "" {
				missingAuthor = append(missingAuthor, concernToItem(c))
			}
			for _, ix := range concernIndexItems(c) {
				want = append(want, ix)
				keys = append(keys, ix.key)
			}
		}
		held := map[key]bool{}
		err = s.batchGetEach(ctx, keys, func(_ string, item map[string]types.AttributeValue) error {
			var k key
			if err := unmarshal(item, &k); err != nil {
				return err
			}
			held[k] = true
			return nil
		})
		if err != nil {
			return r, err
		}
		for _, it := range missingAuthor {
			_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: it.key.av(),
				UpdateExpression:          aws.String("SET GSI2PK = :pk, GSI2SK = :sk"),
				ConditionExpression:       aws.String("attribute_exists(PK) AND attribute_not_exists(GSI2PK)"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(it.GSI2PK), ":sk": str(it.GSI2SK)}})
			wrote, err := written(err)
			if err != nil {
				return r, err
			}
			if wrote {
				r.Authors++
			}
		}
		for _, ix := range want {
			if held[ix.key] {
				continue
			}
			_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: marshal(ix),
				ConditionExpression: aws.String("attribute_not_exists(PK)")})
			wrote, err := written(err)
			if err != nil {
				return r, err
			}
			switch {
			case !wrote:
			case ix.Type == typeConcernTag:
				r.Tagged++
			default:
				r.AboutStaff++
			}
		}
	}
	return r, nil
}

// ReindexImports puts a school's imports saved before the list of A100 existed onto it, as
// saving an import does now: each of the imports ids names that is not a check (a preview)
// and has no GSI1PK gets the keys importToItem gives it and, as it was saved before imports
// counted their rows with errors, that count from the row errors it kept (at most
// imports.MaxErrorsKept of them, so a lower bound for a file with more). An import's items
// are one partition each and nothing lists a school's imports but A100 itself, so the caller
// finds the ids (the reindex command: one filtered Scan, an operator's one-off); here one
// BatchGetItem of 100 imports at a time, then an UpdateItem of each to index on the condition
// that it exists, is no check and has no keys. It returns how many it put on the list; run
// again, none.
func (s *Store) ReindexImports(ctx context.Context, school safeguarding.SchoolID, ids []string) (int, error) {
	keys := make([]key, 0, len(ids))
	for _, id := range ids {
		keys = append(keys, importKey(school, id))
	}
	var todo []importItem
	err := s.batchGetEach(ctx, keys, func(typ string, item map[string]types.AttributeValue) error {
		var it importItem
		if typ != typeImport {
			return nil
		}
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		if it.School == string(school) && !it.Preview && it.GSI1PK == "" {
			todo = append(todo, it)
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, it := range todo {
		rec := importFromItem(it)
		listed := importToItem(rec)
		_, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &s.table, Key: it.key.av(),
			UpdateExpression:    aws.String("SET GSI1PK = :pk, GSI1SK = :sk, errorRows = if_not_exists(errorRows, :errorRows)"),
			ConditionExpression: aws.String("attribute_exists(PK) AND preview = :false AND attribute_not_exists(GSI1PK)"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(listed.GSI1PK), ":sk": str(listed.GSI1SK),
				":errorRows": num(imports.ErrorRows(rec.Errors)), ":false": &types.AttributeValueMemberBOOL{Value: false}}})
		wrote, err := written(err)
		if err != nil {
			return n, err
		}
		if wrote {
			n++
		}
	}
	return n, nil
}

// written says whether a conditional write of a reindex wrote: a failed condition (the item
// or its keys are there already) is no error.
func written(err error) (bool, error) {
	var failed *types.ConditionalCheckFailedException
	if errors.As(err, &failed) {
		return false, nil
	}
	return err == nil, wrap("reindex", err)
}
