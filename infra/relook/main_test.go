package main

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// Every school's families still on the old look keys are moved, and the morning run's read
// finds them; a second run moves nothing.
func TestRelookMovesEverySchoolsFamiliesOnceAndTheRunFindsThem(t *testing.T) {
	ctx := context.Background()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	next := time.Date(2026, 11, 17, 0, 0, 0, 0, safeguarding.London)
	for _, school := range []safeguarding.SchoolID{"brook-lane", "hillcrest"} {
		if err := st.PutSchool(ctx, safeguarding.School{ID: school, Name: string(school)}); err != nil {
			t.Fatal(err)
		}
		f := contact.RestoreFamily(contact.FamilySnapshot{ID: "fam-1", School: school, Status: contact.FamilyEngaged,
			LastContactAt: next.AddDate(0, 0, -11), NextLook: next, Children: []contact.FamilyChild{{Pupil: "p1", ClassName: "Willows"}}})
		if err := st.PutFamily(ctx, f); err != nil {
			t.Fatal(err)
		}
		// As a family was saved before the index was sharded.
		_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table,
			Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "SCHOOL#" + string(school) + "#FAMILY#fam-1"},
				"SK": &types.AttributeValueMemberS{Value: "FAMILY"}},
			UpdateExpression: aws.String("SET GSI2PK = :pk, GSI2SK = :sk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "SCHOOL#" + string(school) + "#LOOK#2026-11-17"},
				":sk": &types.AttributeValueMemberS{Value: "fam-1"}}})
		if err != nil {
			t.Fatal(err)
		}
	}
	now := next.Add(5*time.Hour + 30*time.Minute)
	if due, err := st.FamiliesDue(ctx, now, []safeguarding.SchoolID{"brook-lane", "hillcrest"}, 10); err != nil || len(due.Families) != 0 {
		t.Fatalf("before: %v %v", due.Families, err)
	}
	if schools, moved, err := Relook(ctx, st); err != nil || schools != 2 || moved != 2 {
		t.Fatalf("relook: %d schools, %d moved, %v", schools, moved, err)
	}
	due, err := st.FamiliesDue(ctx, now, []safeguarding.SchoolID{"brook-lane", "hillcrest"}, 10)
	if err != nil || len(due.Families["brook-lane"]) != 1 || len(due.Families["hillcrest"]) != 1 {
		t.Errorf("after: %v %v", due.Families, err)
	}
	if _, moved, err := Relook(ctx, st); err != nil || moved != 0 {
		t.Errorf("again: %d moved, %v", moved, err)
	}
}
