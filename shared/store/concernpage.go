package store

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
)

// ConcernPage reads one view of a concern in two round trips: one consistent Query of the
// concern's partition (the concern, its actions, attachments and revisions; read marks are
// filtered out), then one BatchGetItem of the viewer, the school, its catalogue and calendar
// and the concern's pupils (at most MaxPupilsPerConcern, so one batch).
func (s *Store) ConcernPage(ctx context.Context, viewer string, school safeguarding.SchoolID, id safeguarding.ConcernID) (casework.CasePage, error) {
	var (
		pg      casework.CasePage
		concern *concernItem
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
			return pg, wrap("concern page", err)
		}
		for _, item := range out.Items {
			t, _ := item["type"].(*types.AttributeValueMemberS)
			if t == nil {
				continue
			}
			switch t.Value {
			case typeConcern:
				concern = &concernItem{}
				if err := unmarshal(item, concern); err != nil {
					return pg, err
				}
			case typeRevision:
				var it revisionItem
				if err := unmarshal(item, &it); err != nil {
					return pg, err
				}
				pg.Revisions = append(pg.Revisions, revisionFromItem(it))
			case typeAttachment:
				var it attachmentItem
				if err := unmarshal(item, &it); err != nil {
					return pg, err
				}
				pg.Attachments = append(pg.Attachments, attachmentFromItem(it))
			case typeAction:
				var it actionItem
				if err := unmarshal(item, &it); err != nil {
					return pg, err
				}
				pg.Actions = append(pg.Actions, actionFromItem(it))
			}
		}
	}
	keys := []key{userKey(viewer), schoolKey(school), catalogueKey(school), calendarKey(school)}
	if concern != nil {
		pg.Concern = concernFromItem(*concern)
		for _, lp := range pg.Concern.Pupils() {
			keys = append(keys, pupilKey(school, lp.ID))
		}
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return pg, err
	}
	var u userItem
	if err := unmarshalFound(found, userKey(viewer), &u); err != nil {
		return pg, err
	}
	pg.Viewer = userFromItem(u)
	pg.Viewer.Email = viewer
	if concern == nil {
		if !pg.Viewer.IsMember(school) {
			return pg, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
		}
		return pg, fmt.Errorf("concern %q: %w", id, safeguarding.ErrNotFound)
	}
	var sc schoolItem
	if err := unmarshalFound(found, schoolKey(school), &sc); err != nil {
		return pg, err
	}
	if sc.ID != "" {
		pg.School = schoolFromItem(sc)
	}
	cat, err := catalogueFromFound(found, school)
	if err != nil {
		return pg, err
	}
	pg.Catalogue = cat.Catalogue
	var ci calendarItem
	if err := unmarshalFound(found, calendarKey(school), &ci); err != nil {
		return pg, err
	}
	if pg.Calendar, err = schoolCalendarOf(ci, school); err != nil {
		return pg, err
	}
	pg.Pupils = map[safeguarding.PupilID]safeguarding.Pupil{}
	for _, lp := range pg.Concern.Pupils() {
		var it pupilItem
		if err := unmarshalFound(found, pupilKey(school, lp.ID), &it); err != nil {
			return pg, err
		}
		if it.ID != "" {
			pg.Pupils[lp.ID] = pupilFromItem(it)
		}
	}
	return pg, nil
}
