package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }

// Every school's concerns and imports recorded before the lists existed are put on them, the
// lists the pages read find them, the output names no one; a second run writes nothing.
func TestReindexPutsEverySchoolsEarlierConcernsAndImportsOnTheirListsOnce(t *testing.T) {
	ctx := context.Background()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	const author, tagged = "teacher@reindex.example", "colleague@reindex.example"
	schools := []safeguarding.SchoolID{"brook-lane", "hillcrest"}
	for _, school := range schools {
		roster := []safeguarding.StaffMember{{Email: author, Roles: []safeguarding.Role{safeguarding.RoleStaff}},
			{Email: tagged, Roles: []safeguarding.Role{safeguarding.RoleStaff}},
			{Email: "head@reindex.example", Roles: []safeguarding.Role{safeguarding.RoleStaff, safeguarding.RoleSeniorDSL}}}
		if err := st.PutSchool(ctx, safeguarding.School{ID: school, Name: string(school), Roster: roster}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutUser(ctx, safeguarding.Principal{Email: author, Name: "Tess Teacher",
			Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"brook-lane": {safeguarding.RoleStaff}, "hillcrest": {safeguarding.RoleStaff}}}); err != nil {
			t.Fatal(err)
		}
		if err := st.PutPupil(ctx, safeguarding.Pupil{ID: "p1", School: school, Name: "Pat Pupil"}); err != nil {
			t.Fatal(err)
		}
		uc := concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(), Calendar: safeguarding.Weekdays{}, NewID: store.NewID}
		r, err := uc.Record(ctx, safeguarding.Caller{Email: author, At: at}, school, concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"p1"},
			Category: "safeguarding", ObservedAt: at.Add(-time.Hour), Details: "x", TagStaff: []string{tagged}}, safeguarding.RequestKey{}, "")
		if err != nil {
			t.Fatal(err)
		}
		rec := imports.Record{ID: "imp-1", School: school, By: "office@reindex.example", At: at, Status: imports.StatusDone, Applied: true}
		if err := st.StartImport(ctx, rec); err != nil {
			t.Fatal(err)
		}
		// As the concern and the import were saved before the lists.
		pk := "SCHOOL#" + string(school) + "#CONCERN#" + r.ID
		for _, u := range []struct{ pk, sk, remove string }{{pk, "CONCERN", "GSI2PK, GSI2SK"}, {"SCHOOL#" + string(school) + "#IMPORT#imp-1", "IMPORT", "GSI1PK, GSI1SK"}} {
			if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: map[string]types.AttributeValue{"PK": s(u.pk), "SK": s(u.sk)},
				UpdateExpression: aws.String("REMOVE " + u.remove)}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: map[string]types.AttributeValue{"PK": s(pk), "SK": s("TAG#" + tagged)}}); err != nil {
			t.Fatal(err)
		}
	}
	lists := func(school safeguarding.SchoolID) (mine, taggedIn, imported int) {
		t.Helper()
		for i, r := range []concerns.ConcernRange{{List: concerns.ListAuthor, Author: author, Limit: 10}, {List: concerns.ListTagged, Author: tagged, Limit: 10}} {
			chunk, err := st.ConcernRange(ctx, school, r)
			if err != nil {
				t.Fatal(err)
			}
			if i == 0 {
				mine = len(chunk.Concerns)
			} else {
				taggedIn = len(chunk.Concerns)
			}
		}
		l, err := st.Imports(ctx, school, 10)
		if err != nil {
			t.Fatal(err)
		}
		return mine, taggedIn, len(l)
	}
	for _, school := range schools {
		if a, b, c := lists(school); a+b+c != 0 {
			t.Fatalf("before, %s: %d %d %d", school, a, b, c)
		}
	}
	var out bytes.Buffer
	got, err := Reindex(ctx, db, table, &out)
	if want := (Totals{Schools: 2, ReindexReport: store.ReindexReport{Concerns: 2, Authors: 2, Tagged: 2}, Imports: 2}); err != nil || got != want {
		t.Fatalf("reindex: %+v %v, want %+v", got, err, want)
	}
	for _, school := range schools {
		if a, b, c := lists(school); a != 1 || b != 1 || c != 1 {
			t.Errorf("after, %s: %d raised, %d tagged in, %d imports", school, a, b, c)
		}
		if !strings.Contains(out.String(), string(school)+": concerns looked at: 1,") {
			t.Errorf("no line for %s: %s", school, out.String())
		}
	}
	if strings.Contains(out.String(), "@") || strings.Contains(out.String(), "Pat") || strings.Contains(out.String(), "Tess") {
		t.Errorf("the output names someone: %s", out.String())
	}
	if got, err := Reindex(ctx, db, table, &bytes.Buffer{}); err != nil || got.Writes() != 0 || got.Imports != 0 {
		t.Errorf("again: %+v %v", got, err)
	}
}
