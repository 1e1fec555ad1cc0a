package store

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/attendance"
)

var _ attendance.Store = (*Store)(nil)

// LowAttendance reads the school's pupils below below (at most the threshold the index
// holds), lowest first: one Query of GSI3 per 1 MB page (A67). A pupil above the threshold,
// without a figure or who left is not in the index.
func (s *Store) LowAttendance(ctx context.Context, school safeguarding.SchoolID, below float64) ([]safeguarding.Pupil, error) {
	var out []safeguarding.Pupil
	err := s.queryGSI3(ctx, "pupils below attendance", &dynamodb.QueryInput{
		KeyConditionExpression: aws.String("GSI3PK = :pk AND GSI3SK < :below"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(lowAttendancePK(school)), ":below": str(attendanceSK(below))},
	}, func(item map[string]types.AttributeValue) error {
		var it pupilItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out = append(out, pupilFromItem(it))
		return nil
	})
	return out, err
}

// AttendanceReasons reads the chronology entries of the school's concerns of the category
// Attendance, by pupil then time: one Query of GSI3 per 1 MB page (A67).
func (s *Store) AttendanceReasons(ctx context.Context, school safeguarding.SchoolID) ([]safeguarding.ChronologyEntry, error) {
	var out []safeguarding.ChronologyEntry
	err := s.queryGSI3(ctx, "attendance reasons", &dynamodb.QueryInput{
		KeyConditionExpression:    aws.String("GSI3PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(attendanceReasonsPK(school))},
	}, func(item map[string]types.AttributeValue) error {
		var it chronologyItem
		if err := unmarshal(item, &it); err != nil {
			return err
		}
		out = append(out, chronologyFromItem(it))
		return nil
	})
	return out, err
}

// queryGSI3 runs a Query of GSI3 page by page, handing each item to each.
func (s *Store) queryGSI3(ctx context.Context, what string, in *dynamodb.QueryInput, each func(map[string]types.AttributeValue) error) error {
	in.TableName, in.IndexName = &s.table, aws.String("GSI3")
	pager := dynamodb.NewQueryPaginator(s.db, in)
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return wrap(what, err)
		}
		for _, item := range page.Items {
			if err := each(item); err != nil {
				return err
			}
		}
	}
	return nil
}
