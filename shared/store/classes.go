package store

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

var _ engagement.ClassStore = (*Store)(nil)

// classPupilsPK lists the pupils of one class (GSI1), for marking the class's
// acknowledgements (rule E1). Only pupil items carry it, not their name-search copies.
func classPupilsPK(s safeguarding.SchoolID, class string) string {
	return "SCHOOL#" + string(s) + "#CLASS#" + class
}

// classPupilSK orders a class by name; the id keeps namesakes apart.
func classPupilSK(p safeguarding.Pupil) string {
	return strings.ToLower(p.Name) + "#" + string(p.ID)
}

// Classes lists a school's classes with their teachers, in name order (one Query, A26).
func (s *Store) Classes(ctx context.Context, school safeguarding.SchoolID) ([]engagement.Class, error) {
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:              &s.table,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :class)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str("SCHOOL#" + string(school)), ":class": str("CLASS#"),
		},
	})
	var out []engagement.Class
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("classes", err)
		}
		for _, item := range page.Items {
			var it classItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			out = append(out, engagement.Class{School: school, Name: it.Name, Teachers: it.Teachers})
		}
	}
	return out, nil
}

// ClassPupils lists the pupils of one class in name order (one Query of GSI1, paged).
func (s *Store) ClassPupils(ctx context.Context, school safeguarding.SchoolID, class string) ([]safeguarding.Pupil, error) {
	pager := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName: &s.table, IndexName: aws.String("GSI1"),
		KeyConditionExpression:    aws.String("GSI1PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(classPupilsPK(school, class))},
	})
	var out []safeguarding.Pupil
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, wrap("class pupils", err)
		}
		for _, item := range page.Items {
			var it pupilItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			if it.Type == typePupil {
				out = append(out, pupilFromItem(it))
			}
		}
	}
	return out, nil
}

// Families reads the named families of a school, 100 to a BatchGetItem; absent ones are left
// out.
func (s *Store) Families(ctx context.Context, school safeguarding.SchoolID, ids []string) (map[string]contact.Family, error) {
	out := map[string]contact.Family{}
	var keys []key
	for _, id := range ids {
		if id != "" && !strings.Contains(id, "#") {
			keys = append(keys, familyKey(school, id))
		}
	}
	for batch := range slices.Chunk(keys, 100) {
		found, err := s.batchGet(ctx, batch)
		if err != nil {
			return nil, err
		}
		for _, item := range found {
			var it familyItem
			if err := unmarshal(item, &it); err != nil {
				return nil, err
			}
			out[it.ID] = familyFromItem(it)
		}
	}
	return out, nil
}
