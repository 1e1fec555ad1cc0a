package main

import (
	"context"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact/contacttest"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

const brook = "brook-lane"

var (
	now = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	// Every family number of the demo (07700 900100-133) in any form: spaced, unspaced, E.164.
	familyNumber = regexp.MustCompile(`(?:0|\+44\s?)7700\s?900\s?1[0-3]\d`)
	// Any line of a demo address.
	familyAddress = regexp.MustCompile(`(?:Alder Road|Beech Close|Cedar Way|Damson Lane|Elm Terrace|Fern Street|ZZ\d \d[A-Z]{2})`)
)

var (
	helen  = apitest.Helen
	daniel = apitest.Daniel
	tom    = apitest.Tom // designated for closure contact in the seed
	priya  = apitest.Priya
	grace  = apitest.Grace
	martin = apitest.Martin
	sam    = apitest.Sam
	robert = apitest.Robert
	leah   = apitest.Leah // designated for closure contact at Hillcrest
	owen   = apitest.Owen
	chloe  = apitest.Chloe
	fatima = apitest.Fatima
	ruth   = apitest.Ruth
	nobody = apitest.Stranger
)

type fixture struct {
	h     handler
	db    *dynamodb.Client
	table string
	st    *store.Store
	count *dynamotest.Counter
}

func setup(t *testing.T) fixture {
	t.Helper()
	db, table, count := dynamotest.NewCountingClient(t)
	st := store.New(db, table)
	apitest.SeedDemoWithFamilies(t, db, table)
	return fixture{h: newHandler(st), db: db, table: table, st: st, count: count}
}

var api = apitest.For("contacts")

// call serves one request to a route with its path parameters and scans its answer (rule P3):
// no family number or address in any response but a successful GET of contact details.
func (f fixture) call(t *testing.T, method, route, email string, params map[string]string, query map[string]string, body any, key string) (int, map[string]any) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	var headers map[string]string
	if key != "" {
		headers = map[string]string{"Idempotency-Key": key}
	}
	req := api.Event(method, apitest.Path(route, params), email, string(b), now, headers)
	req.QueryStringParameters = query
	resp := apitest.Serve(t, f.h.Handle, req)
	scanResponse(t, route, resp)
	var out map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return resp.StatusCode, out
}

func scanResponse(t *testing.T, route string, resp httpapi.Response) {
	t.Helper()
	designated := (route == viewRoute || route == versionsRoute) && resp.StatusCode == 200
	if !designated && (familyNumber.MatchString(resp.Body) || familyAddress.MatchString(resp.Body)) {
		t.Errorf("rule P3: %s answered %d with a family's contact details: %s", route, resp.StatusCode, resp.Body)
	}
	if resp.Headers["Cache-Control"] != "no-store" {
		t.Errorf("%s: Cache-Control %q", route, resp.Headers["Cache-Control"])
	}
}

const viewRoute = "GET /api/schools/{school}/families/{id}/contact-details"

func (f fixture) view(t *testing.T, email, school, family string) (int, map[string]any) {
	t.Helper()
	return f.call(t, "GET", viewRoute, email, map[string]string{"school": school, "id": family}, nil, nil, "")
}

// audits reads a school's audit trail of the day (A11).
func (f fixture) audits(t *testing.T, school string) []map[string]types.AttributeValue {
	t.Helper()
	out, err := f.db.Query(context.Background(), &dynamodb.QueryInput{TableName: &f.table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "SCHOOL#" + school + "#AUDIT#" + now.In(safeguarding.London).Format(time.DateOnly)}}})
	if err != nil {
		t.Fatal(err)
	}
	return out.Items
}

// attr is an item's string attribute.
var attr = apitest.Attr

func TestRule_P3_OnlyDesignatedStaffSeeContactDetailsAndEveryViewIsAudited(t *testing.T) {
	f := setup(t)
	for _, c := range []struct {
		email, school string
		want          int
	}{
		{helen, brook, 200}, {daniel, brook, 200}, {tom, brook, 200},
		{priya, brook, 403}, {grace, brook, 403}, {martin, brook, 403}, {sam, brook, 403}, {robert, brook, 403},
		{leah, brook, 403}, {nobody, brook, 403},
		{robert, "hillcrest", 200}, {chloe, "hillcrest", 200}, {sam, "hillcrest", 200}, {leah, "hillcrest", 200},
		{owen, "hillcrest", 403}, {fatima, "hillcrest", 403}, {ruth, "hillcrest", 403}, {tom, "hillcrest", 403}, {daniel, "hillcrest", 403},
	} {
		family := "fam-01"
		status, body := f.view(t, c.email, c.school, family)
		if status != c.want {
			t.Errorf("%s at %s: %d, want %d (%v)", c.email, c.school, status, c.want, body)
			continue
		}
		if status == 200 {
			phones, _ := body["phones"].([]any)
			if len(phones) != 2 || body["reminder"] == "" || len(body["address"].(map[string]any)["lines"].([]any)) == 0 {
				t.Errorf("%s sees %v", c.email, body)
			}
		}
	}
	// Every view, and every refused view by a member of the school, left an entry: who and which family.
	for school, want := range map[string][]string{
		brook:       {helen, daniel, tom},
		"hillcrest": {robert, chloe, sam, leah},
	} {
		var viewed, refused []string
		for _, it := range f.audits(t, school) {
			if attr(it, "subject") != "family/fam-01/contact-details" {
				t.Errorf("audit subject %q", attr(it, "subject"))
			}
			switch attr(it, "action") {
			case contact.AuditContactsViewed:
				viewed = append(viewed, attr(it, "actor"))
			case contact.AuditContactsViewRefused:
				refused = append(refused, attr(it, "actor"))
			}
		}
		slices.Sort(viewed)
		slices.Sort(want)
		if !slices.Equal(viewed, want) {
			t.Errorf("%s: views audited %v, want %v", school, viewed, want)
		}
		if len(refused) == 0 {
			t.Errorf("%s: no refused view audited", school)
		}
	}
}

// Rule P3: the hour's count of openings is read in the view's BatchGetItem and moves in the
// audit entry's transaction, so a view is still one read and one write.
func TestRule_P3_AViewIsOneBatchGetAndOneAuditedWrite(t *testing.T) {
	f := setup(t)
	calls := f.calls(func() {
		if status, body := f.view(t, daniel, brook, "fam-03"); status != 200 || body["familyId"] != "fam-03" || body["upToDateNumbers"] != float64(2) {
			t.Fatalf("%d %v", status, body)
		}
	})
	if len(calls) != 2 || calls["BatchGetItem"] != 1 || calls["TransactWriteItems"] != 1 {
		t.Errorf("round trips %v, want one BatchGetItem and one TransactWriteItems", calls)
	}
	if status, _ := f.view(t, daniel, brook, "fam-99"); status != 404 {
		t.Errorf("no such family: %d", status)
	}
	if status, _ := f.view(t, daniel, brook, "fam#01"); status != 404 {
		t.Errorf("a family id with a key separator: %d", status)
	}
}

// calls counts the DynamoDB round trips of do by operation.
func (f fixture) calls(do func()) map[string]int {
	before := f.count.Counts()
	do()
	calls := map[string]int{}
	for op, n := range f.count.Counts() {
		if d := n - before[op]; d > 0 {
			calls[op] = d
		}
	}
	return calls
}

// Rule P3: reading a family's versions opens its details like a view, counted in the same
// BatchGetItem and audit transaction, then reads the versions in one Query; a reading refused
// for want of a reason is the read and its audited refusal, without the Query.
func TestRule_P3_AVersionsReadIsOneBatchGetOneAuditedWriteAndOneQuery(t *testing.T) {
	f := setup(t)
	sc, err := f.st.School(context.Background(), brook)
	apitest.Must(t, err)
	sc.ContactOpeningsPerHour = 1
	apitest.Must(t, f.st.PutSchool(context.Background(), sc))
	calls := f.calls(func() {
		if status, body := f.versionsAt(t, daniel, brook, "fam-03", now, nil); status != 200 || body["familyId"] != "fam-03" {
			t.Fatalf("%d %v", status, body)
		}
	})
	if len(calls) != 3 || calls["BatchGetItem"] != 1 || calls["TransactWriteItems"] != 1 || calls["Query"] != 1 {
		t.Errorf("round trips %v, want one BatchGetItem, one TransactWriteItems and one Query", calls)
	}
	calls = f.calls(func() {
		if status, _ := f.versionsAt(t, daniel, brook, "fam-04", now, nil); status != 428 {
			t.Fatalf("past the hour's family: %d", status)
		}
	})
	if len(calls) != 2 || calls["BatchGetItem"] != 1 || calls["TransactWriteItems"] != 1 {
		t.Errorf("round trips of a refused reading %v, want one BatchGetItem and one TransactWriteItems", calls)
	}
}

func TestRule_P3_ADSLDesignatesAndUndesignatesStaffForClosureContact(t *testing.T) {
	f := setup(t)
	route := "PUT /api/schools/{school}/closure-contacts/{email}"
	set := func(by, staff string, body any, key string) (int, map[string]any) {
		return f.call(t, "PUT", route, by, map[string]string{"school": brook, "email": staff}, nil, body, key)
	}
	if status, _ := f.view(t, priya, brook, "fam-01"); status != 403 {
		t.Fatalf("before: %d", status)
	}
	if status, _ := set(grace, priya, map[string]any{"active": true}, ""); status != 403 {
		t.Errorf("the office designates: %d", status)
	}
	if status, _ := set(tom, priya, map[string]any{"active": true}, ""); status != 403 {
		t.Errorf("a designated teacher designates: %d", status)
	}
	if status, body := set(daniel, priya, map[string]any{}, ""); status != 400 || !strings.Contains(body["detail"].(string), "active") {
		t.Errorf("no active: %d %v", status, body)
	}
	if status, body := set(daniel, leah, map[string]any{"active": true}, ""); status != 400 || !strings.Contains(body["detail"].(string), "email") {
		t.Errorf("staff of another school: %d %v", status, body)
	}
	status, body := set(daniel, priya, map[string]any{"active": true, "reason": "Calls Saplings families"}, "k1")
	if status != 200 || body["active"] != true || len(body["history"].([]any)) != 1 {
		t.Fatalf("designate: %d %v", status, body)
	}
	if status, _ := set(daniel, priya, map[string]any{"active": true, "reason": "Calls Saplings families"}, "k1"); status != 200 {
		t.Errorf("a repeated request: %d", status)
	}
	if status, _ := set(daniel, priya, map[string]any{"active": false}, "k1"); status != 409 && status != 422 {
		t.Errorf("the key reused for another body: %d", status)
	}
	if status, _ := f.view(t, priya, brook, "fam-01"); status != 200 {
		t.Errorf("designated: %d", status)
	}
	if status, body := set(helen, priya, map[string]any{"active": false, "reason": "Back in school"}, ""); status != 200 || body["active"] != false || len(body["history"].([]any)) != 2 {
		t.Errorf("undesignate: %d %v", status, body)
	}
	if status, _ := f.view(t, priya, brook, "fam-01"); status != 403 {
		t.Errorf("undesignated: %d", status)
	}
	status, body = f.call(t, "GET", "GET /api/schools/{school}/closure-contacts", daniel, map[string]string{"school": brook}, nil, nil, "")
	if status != 200 || len(body["staff"].([]any)) != 2 {
		t.Errorf("designations: %d %v", status, body)
	}
	if status, _ := f.call(t, "GET", "GET /api/schools/{school}/closure-contacts", tom, map[string]string{"school": brook}, nil, nil, ""); status != 403 {
		t.Errorf("a teacher lists designations: %d", status)
	}
}

const editRoute = "PUT /api/schools/{school}/families/{id}/contact-details"

// Rule P4: a DSL replaces a family's contact details as a new version with its reason; the
// office, which may change them but not see them (P3), may not replace what it cannot see
// and changes them with PATCH (patch_test.go).
func TestRule_P4_ADSLReplacesContactDetailsAsVersionsWithReasons(t *testing.T) {
	f := setup(t)
	edit := func(email string, body any, key string) (int, map[string]any) {
		return f.call(t, "PUT", editRoute, email, map[string]string{"school": brook, "id": "fam-05"}, nil, body, key)
	}
	good := map[string]any{"version": 1, "reason": "New data collection sheet",
		"phones": []any{
			map[string]any{"label": "Kelly Fletcher, mobile", "number": "07700 900108", "confirmedAt": "2026-11-23T09:00:00Z"},
			map[string]any{"label": "Dean Fletcher, mobile", "number": "+44 7700 900109", "confirmedAt": "2026-11-23T09:00:00Z"}},
		"address": map[string]any{"lines": []any{"19 Cedar Way", "Brookhill"}, "postcode": "zz2 5ae"}}
	for _, who := range []string{tom, priya, martin, robert, grace} {
		if status, _ := edit(who, good, ""); status != 403 {
			t.Errorf("%s edits: %d", who, status)
		}
	}
	status, body := edit(daniel, map[string]any{"version": 1, "phones": []any{map[string]any{"label": "", "number": "12345", "confirmedAt": "yesterday"}}}, "")
	if status != 400 || !strings.Contains(body["detail"].(string), "phones[0].confirmedAt") {
		t.Errorf("a bad time: %d %v", status, body)
	}
	status, body = edit(daniel, map[string]any{"version": 1, "phones": []any{map[string]any{"label": "", "number": "12345"}},
		"address": map[string]any{"postcode": "nowhere"}}, "")
	if status != 400 {
		t.Fatalf("invalid: %d %v", status, body)
	}
	var fields []string
	for _, e := range body["errors"].([]any) {
		fields = append(fields, e.(map[string]any)["field"].(string))
	}
	for _, want := range []string{"phones[0].label", "phones[0].number", "address.postcode", "reason"} {
		if !slices.Contains(fields, want) {
			t.Errorf("no problem named %s: %v", want, fields)
		}
	}
	if status, body := edit(daniel, map[string]any{"reason": "x"}, ""); status != 400 || !strings.Contains(body["detail"].(string), "version") {
		t.Errorf("no version: %d %v", status, body)
	}
	status, body = edit(daniel, good, "e1")
	if status != 200 || body["version"] != float64(2) || body["numbers"] != float64(2) || body["upToDateNumbers"] != float64(2) || body["hasAddress"] != true {
		t.Fatalf("edit: %d %v", status, body)
	}
	if status, body := edit(daniel, good, "e1"); status != 200 || body["version"] != float64(2) {
		t.Errorf("a repeated request: %d %v", status, body)
	}
	if status, _ := edit(helen, good, ""); status != 409 {
		t.Errorf("an edit of version 1 now at 2: %d", status)
	}
	versions, err := f.st.ContactDetailsVersions(context.Background(), brook, "fam-05")
	if err != nil || len(versions) != 2 || versions[0].Reason() != "Data collection sheet, autumn term" || versions[1].Reason() != "New data collection sheet" ||
		versions[1].ChangedBy() != daniel || versions[1].Phones()[1].Number != "07700 900109" || versions[1].Address().Postcode != "ZZ2 5AE" {
		t.Errorf("versions %+v %v", versions, err)
	}
	status, body = f.view(t, daniel, brook, "fam-05")
	if status != 200 || body["version"] != float64(2) || body["reason"] != "New data collection sheet" {
		t.Errorf("the current version: %d %v", status, body)
	}
	var changed int
	for _, it := range f.audits(t, brook) {
		if attr(it, "action") == contact.AuditContactsChanged && attr(it, "actor") == daniel {
			changed++
		}
	}
	if changed != 1 {
		t.Errorf("%d change audit entries, want 1", changed)
	}
}

const reportRoute = "GET /api/schools/{school}/contact-details/report"

func TestRule_H1_FamiliesWithFewerThanTwoUpToDateNumbersAreListedWithoutNumbers(t *testing.T) {
	f := setup(t)
	report := func(email, school string, query map[string]string) (int, map[string]any) {
		return f.call(t, "GET", reportRoute, email, map[string]string{"school": school}, query, nil, "")
	}
	ids := func(body map[string]any) []string {
		var out []string
		for _, r := range body["families"].([]any) {
			out = append(out, r.(map[string]any)["id"].(string))
		}
		return out
	}
	status, body := report(grace, brook, nil)
	if status != 200 || !slices.Equal(ids(body), []string{"fam-05"}) || body["upToDateDays"] != float64(contact.DefaultUpToDateDays) {
		t.Fatalf("brook lane: %d %v", status, body)
	}
	row := body["families"].([]any)[0].(map[string]any)
	if row["numbers"] != float64(2) || row["upToDateNumbers"] != float64(1) || row["hasAddress"] != true || len(row["pupilIds"].([]any)) != 1 {
		t.Errorf("row %v", row)
	}
	if status, body := report(chloe, "hillcrest", nil); status != 200 || !slices.Equal(ids(body), []string{"fam-13"}) {
		t.Errorf("hillcrest: %d %v", status, body)
	}
	// A shorter period puts every family on the list: confirmed in September, 77 days ago.
	if status, body := report(daniel, brook, map[string]string{"upToDateDays": "30"}); status != 200 || len(ids(body)) < 10 {
		t.Errorf("30 days: %d %v", status, body)
	}
	for _, bad := range []string{"0", "x", "731", "-1"} {
		if status, body := report(grace, brook, map[string]string{"upToDateDays": bad}); status != 400 || !strings.Contains(body["detail"].(string), "upToDateDays") {
			t.Errorf("upToDateDays=%s: %d %v", bad, status, body)
		}
	}
	// A family with no contact details at all is on it too.
	if err := f.st.PutFamily(context.Background(), contact.RestoreFamily(contact.FamilySnapshot{ID: "fam-new", School: brook,
		Children: []contact.FamilyChild{{Pupil: "bl-99"}}})); err != nil {
		t.Fatal(err)
	}
	before := f.count.Total()
	status, body = report(grace, brook, nil)
	if status != 200 || !slices.Equal(ids(body), []string{"fam-05", "fam-new"}) {
		t.Errorf("with a new family: %d %v", status, body)
	}
	if n := f.count.Total() - before; n != 3 || f.count.Count("Scan") != 0 {
		t.Errorf("%d round trips (want a GetItem, a Query and the audit's PutItem), scans %d", n, f.count.Count("Scan"))
	}
	for _, who := range []string{tom, priya, martin, sam, nobody} {
		if status, _ := report(who, brook, nil); status != 403 {
			t.Errorf("%s reads the report: %d", who, status)
		}
	}
}

func TestRule_H3_AnActionAgreedOnACallIsListedAndCompletedByItsAssignee(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	a := contact.FamilyAction{ID: "01JCALL-A1", School: brook, Family: "fam-01", Reference: "FAM-01", Description: "Post the reading books",
		Assignee: priya, Status: safeguarding.ActionOpen, CreatedAt: now, CreatedBy: tom, Version: 1, Due: safeguarding.NewDueState(now.Add(48*time.Hour), now)}
	fam, err := f.st.ContactFamilies(ctx, brook)
	if err != nil || len(fam) == 0 {
		t.Fatal(err)
	}
	_, family, err := f.st.Family(ctx, daniel, brook, "fam-01")
	if err != nil {
		t.Fatal(err)
	}
	next := contacttest.Family(family, func(s *contact.FamilySnapshot) { s.Version++ })
	if err := f.st.SaveFamily(ctx, contact.FamilyWrite{Family: next, PrevVersion: family.Version(), Actions: []contact.FamilyAction{a}, At: now}); err != nil {
		t.Fatal(err)
	}
	list := "GET /api/schools/{school}/families/{id}/actions"
	params := map[string]string{"school": brook, "id": "fam-01"}
	for who, want := range map[string]int{tom: 1, daniel: 1, priya: 1, grace: 0} {
		status, body := f.call(t, "GET", list, who, params, nil, nil, "")
		if status != 200 || len(body["actions"].([]any)) != want {
			t.Errorf("%s lists: %d %v", who, status, body)
		}
	}
	complete := "POST /api/schools/{school}/families/{id}/actions/{action}/complete"
	cp := map[string]string{"school": brook, "id": "fam-01", "action": a.ID}
	if status, _ := f.call(t, "POST", complete, grace, cp, nil, map[string]any{"outcome": "done"}, ""); status != 404 {
		t.Errorf("someone else completes: %d", status)
	}
	if status, body := f.call(t, "POST", complete, priya, cp, nil, map[string]any{"outcome": ""}, ""); status != 400 || !strings.Contains(body["detail"].(string), "outcome") {
		t.Errorf("no outcome: %d %v", status, body)
	}
	status, body := f.call(t, "POST", complete, priya, cp, nil, map[string]any{"outcome": "Posted first class"}, "c1")
	if status != 200 || body["status"] != "completed" || body["completedBy"] != priya {
		t.Fatalf("complete: %d %v", status, body)
	}
	if status, _ := f.call(t, "POST", complete, priya, cp, nil, map[string]any{"outcome": "Posted first class"}, "c1"); status != 200 {
		t.Errorf("a repeated request: %d", status)
	}
	if due, err := f.st.DueItems(ctx, brook, now, now.Add(72*time.Hour)); err != nil || len(due) != 0 {
		t.Errorf("a completed action is still due: %v %v", due, err)
	}
	if status, _ := f.call(t, "POST", complete, daniel, map[string]string{"school": brook, "id": "fam-01", "action": "nope"}, nil, map[string]any{"outcome": "x"}, ""); status != 404 {
		t.Errorf("no such action: %d", status)
	}
}
