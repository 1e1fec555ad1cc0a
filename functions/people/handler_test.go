package main

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

func setup(t *testing.T) handler {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	ctx := context.Background()
	both := safeguarding.Principal{Email: "sam@fed.example", Subject: seed.Subject("sam@fed.example"), Name: "Sam Lee", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{
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

// Rule S8: a person is the identity provider's subject with a verified email. A token that
// carries Sam's email (as written, or in other capitals) for another account, or Sam's own
// account with an email the provider has not verified, reads nothing of Sam's; Sam's own does.
func TestRule_S8_AnotherAccountWithTheSameEmailIsRefused(t *testing.T) {
	h := setup(t)
	me := func(email string, claims map[string]string) (int, map[string]any) {
		t.Helper()
		req := api.Event("GET", "/api/me", email, "", time.Now(), nil)
		maps.Copy(req.RequestContext.Authorizer.JWT.Claims, claims)
		resp := apitest.Serve(t, h.Handle, req)
		var body map[string]any
		_ = json.Unmarshal([]byte(resp.Body), &body)
		return resp.StatusCode, body
	}
	for name, tc := range map[string]struct {
		email  string
		claims map[string]string
	}{
		"Sam's email, another account":                   {"sam@fed.example", map[string]string{"sub": "another-account"}},
		"Sam's email in other capitals, another account": {"SAM@Fed.Example", map[string]string{"sub": "another-account"}},
		"Sam's account, the email not verified":          {"sam@fed.example", map[string]string{"email_verified": "false"}},
		"Sam's account, no word on the email":            {"sam@fed.example", map[string]string{"email_verified": ""}},
	} {
		if status, body := me(tc.email, tc.claims); status != 403 || body["name"] != nil || body["memberships"] != nil {
			t.Errorf("%s: %d %v, want 403 and nothing of Sam's", name, status, body)
		}
	}
	if status, body := me("sam@fed.example", nil); status != 200 || body["name"] != "Sam Lee" {
		t.Errorf("Sam's own token: %d %v", status, body)
	}
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

// Rule P1: the search finds a pupil by the UPN their import brought, and a class's pupils by
// the class's name, in the response the concern form's search has always had.
func TestRule_P1_PupilSearchByUPNAndByClass(t *testing.T) {
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	ctx := context.Background()
	sam := safeguarding.Principal{Email: "sam@fed.example", Subject: seed.Subject("sam@fed.example"), Name: "Sam Lee",
		Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"brook-lane": {safeguarding.RoleStaff}}}
	apitest.Must(t, st.PutUser(ctx, sam))
	apitest.Must(t, st.ApplyImport(ctx, imports.Write{School: "brook-lane", Classes: []string{"Oak"}, Pupils: []safeguarding.Pupil{
		{ID: "p1", School: "brook-lane", Name: "Ava Brown", YearGroup: "Year 3", ClassName: "Oak", FamilyID: "f1"},
		{ID: "p2", School: "brook-lane", Name: "Ben Oakley", YearGroup: "Year 5", ClassName: "Ash", FamilyID: "f2"}},
		Roll: []imports.Existing{{UPN: "A123456789012", Pupil: "p1"}, {UPN: "B123456789012", Pupil: "p2"}}}))
	h := handler{store: st}
	for q, want := range map[string][]string{
		"b123456789012": {"p2/Ben Oakley/Year 5/Ash/f2"},
		"C123456789012": nil,
		"oak":           {"p1/Ava Brown/Year 3/Oak/f1", "p2/Ben Oakley/Year 5/Ash/f2"},
	} {
		status, body := get(t, h, "/api/schools/brook-lane/pupils", sam.Email, map[string]string{"q": q})
		var got []string
		for _, p := range body["pupils"].([]any) {
			m := p.(map[string]any)
			got = append(got, m["id"].(string)+"/"+m["name"].(string)+"/"+m["yearGroup"].(string)+"/"+m["className"].(string)+"/"+m["familyId"].(string))
		}
		if status != 200 || !slices.Equal(got, want) {
			t.Errorf("q=%q: %d %v, want %v", q, status, got, want)
		}
	}
}
