package main

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

func setup(t *testing.T) handler {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	ctx := context.Background()
	both := safeguarding.Principal{Email: "sam@fed.example", Name: "Sam Lee", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{
		"brook-lane": {safeguarding.RoleStaff, safeguarding.RoleDSL}, "hillcrest": {safeguarding.RoleTeacher}}}
	for _, err := range []error{
		st.PutUser(ctx, both),
		st.PutPupil(ctx, safeguarding.Pupil{ID: "p1", School: "brook-lane", Name: "Ava Brown", YearGroup: "Year 3", ClassName: "Oak", FamilyID: "f1"}),
		st.PutPupil(ctx, safeguarding.Pupil{ID: "p2", School: "brook-lane", Name: "Ben Brown", YearGroup: "Year 5", ClassName: "Ash", FamilyID: "f1"}),
		st.PutPupil(ctx, safeguarding.Pupil{ID: "p3", School: "brook-lane", Name: "Ava Smith", YearGroup: "Year 3", ClassName: "Oak", FamilyID: "f2"}),
		st.PutPupil(ctx, safeguarding.Pupil{ID: "x1", School: "north", Name: "Ava North", FamilyID: "f9"}),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	return handler{store: st}
}

var api = apitest.For("people")

// get serves a GET of path with query by email, now.
func get(t *testing.T, h handler, path, email string, query map[string]string) (int, map[string]any) {
	t.Helper()
	req := api.Event("GET", path, email, "", time.Now(), nil)
	req.QueryStringParameters = query
	resp := apitest.Serve(t, h.Handle, req)
	var body map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &body)
	return resp.StatusCode, body
}

func TestRule_P1_MeListsRolesPerSchool(t *testing.T) {
	h := setup(t)
	status, body := get(t, h, "/api/me", "Sam@Fed.example", nil)
	if status != 200 || body["email"] != "sam@fed.example" || body["name"] != "Sam Lee" {
		t.Fatalf("%d %v", status, body)
	}
	ms := body["memberships"].([]any)
	if len(ms) != 2 || ms[0].(map[string]any)["school"] != "brook-lane" || len(ms[0].(map[string]any)["roles"].([]any)) != 2 {
		t.Errorf("memberships %v", ms)
	}
	// Someone signed in with no roles anywhere is still answered: with none.
	status, body = get(t, h, "/api/me", "new@fed.example", nil)
	if status != 200 || len(body["memberships"].([]any)) != 0 {
		t.Errorf("%d %v", status, body)
	}
}

func TestPupilSearchByAnyNameWithinOneSchool(t *testing.T) {
	h := setup(t)
	search := func(school, q string) (int, []string) {
		status, body := get(t, h, "/api/schools/"+school+"/pupils", "sam@fed.example", map[string]string{"q": q})
		var names []string
		if ps, ok := body["pupils"].([]any); ok {
			for _, p := range ps {
				names = append(names, p.(map[string]any)["name"].(string))
			}
		}
		return status, names
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"ava", []string{"Ava Brown", "Ava Smith"}},
		{"BRO", []string{"Ava Brown", "Ben Brown"}},
		{"ava br", []string{"Ava Brown"}},
		{"zed", nil},
		{"", []string{"Ava Brown", "Ava Smith", "Ben Brown"}},
	} {
		status, got := search("brook-lane", tc.q)
		if status != 200 || len(got) != len(tc.want) {
			t.Errorf("q=%q: %d %v, want %v", tc.q, status, got, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("q=%q: %v, want %v", tc.q, got, tc.want)
			}
		}
	}
	if status, _ := search("north", "ava"); status != 403 {
		t.Errorf("search of a school without a role: %d, want 403", status)
	}
}
