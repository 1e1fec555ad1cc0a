package store

import (
	"context"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
)

// exportQueries is how many concerns' partitions HeldAbout reads at once.
const exportQueries = 8

// HeldAbout reads everything held about a pupil (rule D10): the viewer and the pupil's
// chronology (ChronologyFor, two round trips at once), then one consistent Query of each
// concern the chronology names (the concern, its revisions, actions and attachments; eight at
// once), then the school and the concerns' other pupils by BatchGetItem, 100 keys to a call.
// Nothing after the chronology is read for a viewer admit refuses. A chronology naming n
// concerns costs 2 + n + ceil((1 + pupils)/100) round trips, without a Scan.
func (s *Store) HeldAbout(ctx context.Context, viewer string, school safeguarding.SchoolID, pupil safeguarding.PupilID, admit func(safeguarding.Principal) error) (exports.Held, error) {
	var h exports.Held
	var err error
	h.Viewer, h.Pupil, h.Entries, err = s.ChronologyFor(ctx, viewer, school, pupil)
	if err != nil {
		return h, err
	}
	if err := admit(h.Viewer); err != nil {
		return h, err
	}
	var ids []safeguarding.ConcernID
	for _, e := range h.Entries {
		if e.ConcernID != "" && !slices.Contains(ids, e.ConcernID) {
			ids = append(ids, e.ConcernID)
		}
	}
	files := make([]*exports.ConcernFile, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(exportQueries)
	for i, id := range ids {
		g.Go(func() error {
			f, err := s.concernFile(gctx, school, id)
			files[i] = f
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return h, err
	}
	keys := []key{schoolKey(school)}
	for _, f := range files {
		if f == nil {
			continue
		}
		h.Concerns = append(h.Concerns, *f)
		for _, lp := range f.Concern.Pupils() {
			if lp.ID != pupil {
				keys = append(keys, pupilKey(school, lp.ID))
			}
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.PK != b.PK {
			return compareStrings(a.PK, b.PK)
		}
		return compareStrings(a.SK, b.SK)
	})
	keys = slices.Compact(keys)
	h.Pupils = map[safeguarding.PupilID]safeguarding.Pupil{}
	var mu sync.Mutex
	err = s.batchGetEach(ctx, keys, func(typ string, item map[string]types.AttributeValue) error {
		mu.Lock()
		defer mu.Unlock()
		switch typ {
		case typeSchool:
			var sc schoolItem
			if err := unmarshal(item, &sc); err != nil {
				return err
			}
			h.School = schoolFromItem(sc)
		case typePupil:
			var it pupilItem
			if err := unmarshal(item, &it); err != nil {
				return err
			}
			h.Pupils[safeguarding.PupilID(it.ID)] = pupilFromItem(it)
		}
		return nil
	})
	return h, err
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// concernFile reads one concern's partition: the concern, its revisions, actions and
// attachments (read marks are filtered out). A concern that is not there is nil.
func (s *Store) concernFile(ctx context.Context, school safeguarding.SchoolID, id safeguarding.ConcernID) (*exports.ConcernFile, error) {
	var (
		f     exports.ConcernFile
		found bool
	)
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		FilterExpression:          aws.String("#type <> :read"),
		ExpressionAttributeNames:  map[string]string{"#type": "type"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(concernKey(school, id).PK), ":read": str(typeRead)},
		ConsistentRead:            aws.Bool(true),
	})
	for pager.HasMorePages() {
		out, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("a concern of the record", err)
		}
		for _, item := range out.Items {
			t, _ := item["type"].(*types.AttributeValueMemberS)
			if t == nil {
				continue
			}
			switch t.Value {
			case typeConcern:
				var it concernItem
				if err := unmarshal(item, &it); err != nil {
					return nil, err
				}
				f.Concern, found = concernFromItem(it), true
			case typeRevision:
				var it revisionItem
				if err := unmarshal(item, &it); err != nil {
					return nil, err
				}
				f.Revisions = append(f.Revisions, revisionFromItem(it))
			case typeAttachment:
				var it attachmentItem
				if err := unmarshal(item, &it); err != nil {
					return nil, err
				}
				f.Attachments = append(f.Attachments, attachmentFromItem(it))
			case typeAction:
				var it actionItem
				if err := unmarshal(item, &it); err != nil {
					return nil, err
				}
				f.Actions = append(f.Actions, actionFromItem(it))
			}
		}
	}
	if !found {
		return nil, nil
	}
	return &f, nil
}
