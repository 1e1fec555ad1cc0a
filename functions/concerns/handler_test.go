package main

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestRecordConcernCommitsRecordChronologyAuditAndAlertsInOneTransaction(t *testing.T) {
	w := newWorld(t)
	resp, body := w.record(teacher, validBody, at("09:30"), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if body["id"] == "" || !strings.HasPrefix(body["reference"].(string), "C-") || body["late"] != false {
		t.Errorf("receipt %v", body)
	}
	if got := w.counter.Counts(); got["BatchGetItem"] != 1 || got["TransactWriteItems"] != 1 || len(got) != 2 {
		t.Errorf("round trips %v, want one BatchGetItem and one TransactWriteItems", got)
	}
	got := w.items()
	// High priority: the DSL and the Senior DSL by SMS and email, the tagged colleague by email.
	want := map[string]int{"concern": 1, "chronology": 2, "audit": 1, "outbox": 5}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%d %s items, want %d (all: %v)", got[k], k, v, got)
		}
	}
}

func TestFailedTransactionWritesNothing(t *testing.T) {
	w := newWorld(t)
	const fixed = "01JFIXEDFIXEDFIXEDFIXEDFIX"
	w.h.concerns.NewID = func(time.Time) string { return fixed }
	// An item already at the new concern's key makes DynamoDB cancel the whole transaction.
	_, err := w.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &w.table, Item: map[string]types.AttributeValue{
		"PK":   &types.AttributeValueMemberS{Value: "SCHOOL#" + brook + "#CONCERN#" + fixed},
		"SK":   &types.AttributeValueMemberS{Value: "CONCERN"},
		"type": &types.AttributeValueMemberS{Value: "concern"},
	}})
	must(t, err)
	before := w.items()
	resp, _ := w.record(teacher, validBody, at("09:30"), nil)
	if resp.StatusCode != 409 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if after := w.items(); !maps.Equal(before, after) {
		t.Errorf("items before %v, after %v: a cancelled transaction wrote something", before, after)
	}
}

func TestTransactionConflictIsRetried(t *testing.T) {
	w := newWorld(t)
	conflict := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled"),
		CancellationReasons: []types.CancellationReason{{Code: aws.String("TransactionConflict")}}}
	w.counter.FailNext("TransactWriteItems", conflict)
	resp, _ := w.record(teacher, validBody, at("09:30"), map[string]string{"Idempotency-Key": "k-conflict"})
	if resp.StatusCode != 201 {
		t.Fatalf("status %d: %s", resp.StatusCode, resp.Body)
	}
	if n := w.counter.Count("TransactWriteItems"); n != 2 {
		t.Errorf("%d transactions, want the conflicted one and its retry", n)
	}
	if got := w.items()["concern"]; got != 1 {
		t.Errorf("%d concerns", got)
	}
}

func TestIdempotencyKeySentTwentyTimesConcurrentlyGivesOneConcern(t *testing.T) {
	w := newWorld(t)
	var wg sync.WaitGroup
	bodies := make([]string, 20)
	codes := make([]int, 20)
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := w.h.Handle(context.Background(), event("POST", "/api/schools/"+brook+"/concerns", teacher, validBody, at("09:30"),
				map[string]string{"Idempotency-Key": "same-key-20"}))
			if err != nil {
				t.Error(err)
				return
			}
			codes[i], bodies[i] = resp.StatusCode, resp.Body
		}()
	}
	wg.Wait()
	for i := range 20 {
		if codes[i] != 201 || bodies[i] != bodies[0] {
			t.Errorf("request %d: %d %s, want 201 %s", i, codes[i], bodies[i], bodies[0])
		}
	}
	got := w.items()
	if got["concern"] != 1 || got["outbox"] != 5 || got["chronology"] != 2 || got["request"] != 1 {
		t.Errorf("items %v: want one concern, its 2 entries, 5 alerts and one request record", got)
	}
}

func TestIdempotencyKeyWithAnotherBodyIsRefused(t *testing.T) {
	w := newWorld(t)
	key := map[string]string{"Idempotency-Key": "k1"}
	first, _ := w.record(teacher, validBody, at("09:30"), key)
	again, _ := w.record(teacher, validBody, at("09:31"), key)
	if first.StatusCode != 201 || again.StatusCode != 201 || again.Body != first.Body {
		t.Fatalf("replay: %d %s / %d %s", first.StatusCode, first.Body, again.StatusCode, again.Body)
	}
	other, body := w.record(teacher, strings.Replace(validBody, "3cm", "4cm", 1), at("09:32"), key)
	if other.StatusCode != 422 || other.Headers["Content-Type"] != "application/problem+json" {
		t.Fatalf("reused key: %d %v", other.StatusCode, body)
	}
	if n := w.items()["concern"]; n != 1 {
		t.Errorf("%d concerns", n)
	}
}

func TestBadRequestsGiveProblemsAndWriteNothing(t *testing.T) {
	w := newWorld(t)
	before := w.items()
	huge := `{"pupilIds":["p1"],"category":"safeguarding","details":"` + strings.Repeat("a", 70<<10) + `"}`
	for _, tc := range []struct {
		name, email, body string
		status            int
		field             string
	}{
		{"malformed JSON", teacher, `{"pupilIds":["p1"`, 400, ""},
		{"not an object", teacher, `[1,2]`, 400, "body"},
		{"empty body", teacher, ``, 400, ""},
		{"two values", teacher, `{} {}`, 400, ""},
		{"unknown category", teacher, strings.Replace(validBody, `"category":"safeguarding"`, `"category":"gossip"`, 1), 400, "category"},
		{"unknown sub-category", teacher, strings.Replace(validBody, "physical-related", "cyberbullying", 1), 400, "subcategories"},
		{"missing pupil", teacher, strings.Replace(validBody, `"pupilIds":["p1","p2"],`, ``, 1), 400, "pupilIds"},
		{"no such pupil", teacher, strings.Replace(validBody, `"p2"`, `"nobody"`, 1), 400, "pupilIds"},
		{"pupil of another school", teacher, strings.Replace(validBody, `"p2"`, `"x1"`, 1), 400, "pupilIds"},
		{"wrong type", teacher, strings.Replace(validBody, `"highPriority":true`, `"highPriority":"yes"`, 1), 400, "highPriority"},
		{"pupil ids not a list", teacher, strings.Replace(validBody, `["p1","p2"]`, `"p1"`, 1), 400, "pupilIds"},
		{"bad time", teacher, strings.Replace(validBody, `2026-11-23T09:00:00Z`, `yesterday`, 1), 400, "observedAt"},
		{"unknown field", teacher, strings.Replace(validBody, `{`, `{"victim":"p1",`, 1), 400, "victim"},
		{"no details", teacher, strings.Replace(validBody, `"Bruise on Ava's left arm, about 3cm."`, `""`, 1), 400, "details"},
		{"body over the limit", teacher, huge, 413, ""},
		{"no email claim", "", validBody, 401, ""},
		{"not staff of this school", hillDSL, validBody, 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := w.record(tc.email, tc.body, at("09:30"), nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.status, resp.Body)
			}
			if resp.Headers["Content-Type"] != "application/problem+json" || body["title"] == "" || body["detail"] == "" || body["status"] != float64(tc.status) {
				t.Errorf("not a problem document: %v %s", resp.Headers, resp.Body)
			}
			if tc.field != "" && !namesField(body, tc.field) {
				t.Errorf("problem does not name %s: %v", tc.field, body)
			}
		})
	}
	if after := w.items(); !maps.Equal(before, after) {
		t.Errorf("bad requests wrote: before %v after %v", before, after)
	}
}

func TestRule_P2_ConcernVisibleToAuthorTaggedAndDSLsOnly(t *testing.T) {
	w := newWorld(t)
	untagged := strings.Replace(validBody, `"tagStaff":["a.patel@brook.example"]`, `"tagStaff":[]`, 1)
	_, rec := w.record(teacher, untagged, at("09:30"), nil)
	id := rec["id"].(string)
	for _, tc := range []struct {
		who    string
		status int
	}{{teacher, 200}, {dsl, 200}, {head, 200}, {colleague, 404}, {hillDSL, 403}} {
		resp, _ := w.do(event("GET", "/api/schools/"+brook+"/concerns/"+id, tc.who, "", at("10:00"), nil))
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", tc.who, resp.StatusCode, tc.status)
		}
	}
	// Another school's path cannot reach the concern, even for that school's DSL.
	resp, _ := w.do(event("GET", "/api/schools/"+hill+"/concerns/"+id, hillDSL, "", at("10:00"), nil))
	if resp.StatusCode != 404 {
		t.Errorf("other school's path: %d", resp.StatusCode)
	}
	for _, tc := range []struct {
		who     string
		entries int
	}{{teacher, 1}, {dsl, 1}, {colleague, 0}} {
		_, body := w.do(event("GET", "/api/schools/"+brook+"/pupils/p1/chronology", tc.who, "", at("10:00"), nil))
		if got := len(body["entries"].([]any)); got != tc.entries {
			t.Errorf("%s sees %d chronology entries, want %d", tc.who, got, tc.entries)
		}
	}
	resp, _ = w.do(event("GET", "/api/schools/"+brook+"/pupils/p1/chronology", hillDSL, "", at("10:00"), nil))
	if resp.StatusCode != 403 {
		t.Errorf("other school's DSL reading a chronology: %d", resp.StatusCode)
	}
}

func TestRule_P4_EveryReadOfARecordIsAudited(t *testing.T) {
	w := newWorld(t)
	_, rec := w.record(teacher, validBody, at("09:30"), nil)
	w.do(event("GET", "/api/schools/"+brook+"/concerns/"+rec["id"].(string), dsl, "", at("10:00"), nil))
	w.do(event("GET", "/api/schools/"+brook+"/pupils/p1/chronology", dsl, "", at("10:01"), nil))
	w.do(event("GET", "/api/schools/"+brook+"/pupils/p1/chronology", colleague, "", at("10:02"), nil))
	if got := w.items()["audit"]; got != 4 {
		t.Errorf("%d audit entries, want the write and three reads", got)
	}
}

func TestChronologyShowsEachPupilTheirOwnEntryInOrder(t *testing.T) {
	w := newWorld(t)
	w.record(teacher, validBody, at("09:30"), nil)
	w.record(teacher, strings.Replace(validBody, `"p1","p2"`, `"p2"`, 1), at("11:00"), nil)
	_, body := w.do(event("GET", "/api/schools/"+brook+"/pupils/p2/chronology", dsl, "", at("12:00"), nil))
	entries := body["entries"].([]any)
	if len(entries) != 2 {
		t.Fatalf("%d entries", len(entries))
	}
	first, second := entries[0].(map[string]any), entries[1].(map[string]any)
	if first["at"].(string) >= second["at"].(string) || first["type"] != "concern" || first["role"] != "subject" {
		t.Errorf("entries out of order or wrong: %v", entries)
	}
	if body["pupil"].(map[string]any)["name"] != "Ben Brown" {
		t.Errorf("pupil %v", body["pupil"])
	}
}

func TestRule_C3_LateConcernThroughTheAPI(t *testing.T) {
	w := newWorld(t)
	// Observed 09:00 GMT, recorded 12:45: 45 minutes after the noon deadline.
	resp, body := w.record(teacher, validBody, at("12:45"), nil)
	if resp.StatusCode != 201 || body["late"] != true || body["minutesLate"] != float64(45) {
		t.Fatalf("%d %v", resp.StatusCode, body)
	}
	resp, body = w.record(teacher, validBody, at("12:00"), nil)
	if body["late"] != false || body["minutesLate"] != float64(0) {
		t.Fatalf("exactly at noon: %d %v", resp.StatusCode, body)
	}
}

// The store satisfies the port the use cases need.
var _ concerns.ConcernStore = (*store.Store)(nil)

func TestRule_C1_EachLinkedPupilKeepsTheirOwnRole(t *testing.T) {
	w := newWorld(t)
	body := `{"pupils":[{"id":"p1","role":"subject"},{"id":"p2","role":"alleged-to-have-harmed"}],"category":"behaviour",
		"subcategories":["physical-bullying"],"observedAt":"2026-11-23T09:00:00Z","details":"Ben pushed Ava over in the playground."}`
	resp, _ := w.record(teacher, body, at("09:30"), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("%d %s", resp.StatusCode, resp.Body)
	}
	roles := map[string]string{}
	for _, p := range []string{"p1", "p2"} {
		_, chron := w.do(event("GET", "/api/schools/"+brook+"/pupils/"+p+"/chronology", dsl, "", at("10:00"), nil))
		entries := chron["entries"].([]any)
		if len(entries) != 1 {
			t.Fatalf("%s: %v", p, entries)
		}
		roles[p] = entries[0].(map[string]any)["role"].(string)
		if strings.Contains(fmt.Sprint(entries[0]), "alleged") && p == "p1" {
			t.Errorf("the other pupil's role leaks into %s's chronology: %v", p, entries[0])
		}
	}
	if roles["p1"] != "subject" || roles["p2"] != "alleged-to-have-harmed" {
		t.Errorf("roles %v", roles)
	}
	for _, bad := range []string{
		`{"pupils":[{"id":"p1","role":"victim"}],"category":"behaviour","details":"x"}`,
		`{"pupils":[{"id":"p1","role":"witness"}],"category":"behaviour","details":"x"}`,
	} {
		if resp, body := w.record(teacher, bad, at("09:30"), nil); resp.StatusCode != 400 || !namesField(body, "pupils") {
			t.Errorf("%s: %d %v", bad, resp.StatusCode, body)
		}
	}
}

func (w *world) amend(email, id, body string, now time.Time) (httpapi.Response, map[string]any) {
	return w.do(event("POST", "/api/schools/"+brook+"/concerns/"+id+"/amendments", email, body, now, nil))
}

func (w *world) revisions(email, id string, now time.Time) (httpapi.Response, map[string]any) {
	return w.do(event("GET", "/api/schools/"+brook+"/concerns/"+id+"/revisions", email, "", now, nil))
}

func TestRule_P4_AmendmentsAreNewRevisionsWithAReasonAndTheOldTextStays(t *testing.T) {
	w := newWorld(t)
	_, rec := w.record(teacher, validBody, at("09:30"), nil)
	id := rec["id"].(string)
	if resp, body := w.amend(teacher, id, `{"version":1,"details":"Bruise on Ava's right arm."}`, at("10:00")); resp.StatusCode != 400 || !namesField(body, "reason") {
		t.Errorf("no reason: %d %v", resp.StatusCode, body)
	}
	// The tagged colleague may read the concern but only its author or a DSL corrects it.
	if resp, _ := w.amend(colleague, id, `{"version":1,"details":"x","reason":"y"}`, at("10:00")); resp.StatusCode != 403 {
		t.Errorf("a tagged colleague amending: %d", resp.StatusCode)
	}
	resp, body := w.amend(teacher, id, `{"version":1,"details":"Bruise on Ava's right arm, about 3cm.","reason":"I wrote left; it was the right arm."}`, at("10:00"))
	if resp.StatusCode != 200 || body["revision"] != float64(2) || body["version"] != float64(2) {
		t.Fatalf("amend: %d %v", resp.StatusCode, body)
	}
	resp, body = w.amend(dsl, id, `{"version":2,"pupilWords":"Dad grabbed my arm.","reason":"Fuller quote from the child"}`, at("11:00"))
	if resp.StatusCode != 200 || body["revision"] != float64(3) {
		t.Fatalf("second amendment: %d %v", resp.StatusCode, body)
	}
	resp, revs := w.revisions(dsl, id, at("12:00"))
	list := revs["revisions"].([]any)
	if resp.StatusCode != 200 || len(list) != 3 {
		t.Fatalf("revisions: %d %v", resp.StatusCode, revs)
	}
	first, second, third := list[0].(map[string]any), list[1].(map[string]any), list[2].(map[string]any)
	if first["details"] != "Bruise on Ava's left arm, about 3cm." || first["revision"] != float64(1) ||
		second["reason"] != "I wrote left; it was the right arm." || third["pupilWords"] != "Dad grabbed my arm." || third["by"] != dsl {
		t.Errorf("revisions out of order or incomplete: %v", list)
	}
	_, chron := w.do(event("GET", "/api/schools/"+brook+"/pupils/p1/chronology", dsl, "", at("12:00"), nil))
	types := []string{}
	for _, e := range chron["entries"].([]any) {
		types = append(types, e.(map[string]any)["type"].(string))
	}
	if fmt.Sprint(types) != "[concern amendment amendment]" {
		t.Errorf("chronology %v", types)
	}
}

func TestRule_P4_AnAmendmentRacingAnotherGets409(t *testing.T) {
	w := newWorld(t)
	_, rec := w.record(teacher, validBody, at("09:30"), nil)
	id := rec["id"].(string)
	var wg sync.WaitGroup
	codes := make([]int, 5)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, _ := w.amend(dsl, id, fmt.Sprintf(`{"version":1,"details":"Version %d","reason":"race"}`, i), at("10:00"))
			codes[i] = resp.StatusCode
		}()
	}
	wg.Wait()
	won := 0
	for _, c := range codes {
		if c == 200 {
			won++
		} else if c != 409 {
			t.Errorf("status %d, want 200 or 409", c)
		}
	}
	if won != 1 {
		t.Errorf("codes %v: want exactly one amendment to win", codes)
	}
	// A stale version read before the winner is refused too, not silently overwritten.
	if resp, _ := w.amend(teacher, id, `{"version":1,"details":"late","reason":"stale"}`, at("10:05")); resp.StatusCode != 409 {
		t.Errorf("stale version: %d", resp.StatusCode)
	}
	_, revs := w.revisions(dsl, id, at("11:00"))
	if n := len(revs["revisions"].([]any)); n != 2 {
		t.Errorf("%d revisions, want the original and the one winner", n)
	}
}

func TestDashboardHighPriorityOnTopNewestFirstUnreadMarked(t *testing.T) {
	w := newWorld(t)
	normal := strings.Replace(validBody, `"highPriority":true`, `"highPriority":false`, 1)
	_, old := w.record(teacher, normal, at("09:10"), nil)
	_, urgent := w.record(teacher, validBody, at("09:20"), nil)
	_, late := w.record(teacher, normal, at("12:30"), nil) // observed 09:00: 30 minutes late
	dash := func(who string) []any {
		resp, body := w.do(event("GET", "/api/schools/"+brook+"/concerns", who, "", at("13:00"), nil))
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %v", who, resp.StatusCode, body)
		}
		return body["concerns"].([]any)
	}
	rows := dash(dsl)
	order := []string{}
	for _, r := range rows {
		order = append(order, r.(map[string]any)["id"].(string))
	}
	if fmt.Sprint(order) != fmt.Sprint([]string{urgent["id"].(string), late["id"].(string), old["id"].(string)}) {
		t.Fatalf("order %v", order)
	}
	if rows[1].(map[string]any)["late"] != true || rows[1].(map[string]any)["minutesLate"] != float64(30) || rows[0].(map[string]any)["read"] != false {
		t.Errorf("rows %v", rows)
	}
	w.do(event("GET", "/api/schools/"+brook+"/concerns/"+urgent["id"].(string), dsl, "", at("13:05"), nil))
	if rows := dash(dsl); rows[0].(map[string]any)["read"] != true || rows[1].(map[string]any)["read"] != false {
		t.Errorf("after reading the urgent one: %v", rows)
	}
	if rows := dash(colleague); len(rows) != 3 { // tagged in all three
		t.Errorf("the tagged colleague sees %d", len(rows))
	}
}

func (w *world) catalogue(method, path, email, body string) (httpapi.Response, map[string]any) {
	return w.do(event(method, path, email, body, at("08:00"), nil))
}

func TestRule_C2_TheSchoolGovernsItsSubcategories(t *testing.T) {
	w := newWorld(t)
	base := "/api/schools/" + brook + "/categories"
	resp, body := w.catalogue("GET", base, teacher, "")
	if resp.StatusCode != 200 || body["version"] != float64(0) || len(body["categories"].([]any)) != 6 {
		t.Fatalf("catalogue: %d %v", resp.StatusCode, body)
	}
	add := func(who, body string) (httpapi.Response, map[string]any) {
		return w.catalogue("POST", base+"/safeguarding/subcategories", who, body)
	}
	if resp, _ := add(teacher, `{"title":"Online safety","version":0}`); resp.StatusCode != 403 {
		t.Errorf("a teacher changing the catalogue: %d", resp.StatusCode)
	}
	if resp, body := add(dsl, `{"title":"Online safety","version":0}`); resp.StatusCode != 201 || body["id"] != "online-safety" {
		t.Fatalf("add: %d %v", resp.StatusCode, body)
	}
	if resp, _ := add(dsl, `{"title":"Radicalisation","version":0}`); resp.StatusCode != 409 {
		t.Errorf("a stale catalogue version: %d", resp.StatusCode)
	}
	withNew := strings.Replace(validBody, `"physical-related"`, `"online-safety"`, 1)
	resp, rec := w.record(teacher, withNew, at("09:30"), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("recording with the school's new sub-category: %d %v", resp.StatusCode, rec)
	}
	resp, _ = w.catalogue("POST", base+"/safeguarding/subcategories/online-safety", dsl, `{"retired":true,"version":1}`)
	if resp.StatusCode != 200 {
		t.Fatalf("retire: %d", resp.StatusCode)
	}
	if resp, body := w.record(teacher, withNew, at("09:40"), nil); resp.StatusCode != 400 || !namesField(body, "subcategories") {
		t.Errorf("recording with a retired sub-category: %d %v", resp.StatusCode, body)
	}
	_, old := w.do(event("GET", "/api/schools/"+brook+"/concerns/"+rec["id"].(string), dsl, "", at("10:00"), nil))
	if fmt.Sprint(old["subcategories"]) != "[online-safety]" {
		t.Errorf("the old record lost its retired sub-category: %v", old["subcategories"])
	}
}

// outbox lists the outbox items' kinds and recipients, "kind recipient".
func (w *world) outbox() []string {
	w.t.Helper()
	var out []string
	for _, it := range apitest.Items(w.t, w.db, w.table) {
		if apitest.Attr(it, "type") == "outbox" {
			out = append(out, it["kind"].(*types.AttributeValueMemberS).Value+" "+it["recipient"].(*types.AttributeValueMemberS).Value)
		}
	}
	return out
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

func TestRule_D7_TheReporterLearnsThatADSLOpenedItNeverTheDetails(t *testing.T) {
	w := newWorld(t)
	_, rec := w.record(teacher, validBody, at("09:30"), nil)
	id := rec["id"].(string)
	_, c := w.do(event("GET", "/api/schools/"+brook+"/concerns/"+id, teacher, "", at("09:40"), nil))
	if c["progress"].(map[string]any)["dslOpenedAt"] != nil {
		t.Fatalf("opened before any DSL read it: %v", c["progress"])
	}
	w.do(event("GET", "/api/schools/"+brook+"/concerns/"+id, dsl, "", at("10:00"), nil))
	w.do(event("GET", "/api/schools/"+brook+"/concerns/"+id, head, "", at("10:05"), nil)) // a second DSL: no second email
	_, c = w.do(event("GET", "/api/schools/"+brook+"/concerns/"+id, teacher, "", at("10:10"), nil))
	if c["progress"].(map[string]any)["dslOpenedAt"] != at("10:00").UTC().Format(time.RFC3339) {
		t.Errorf("progress %v", c["progress"])
	}
	if n := count(w.outbox(), "concern-opened "+teacher); n != 1 {
		t.Errorf("%d 'opened' emails to the reporter, want 1", n)
	}
	// The reporter asks what happened: the DSLs are emailed, once a day however often asked.
	ask := func(who string) int {
		resp, _ := w.do(event("POST", "/api/schools/"+brook+"/concerns/"+id+"/update-requests", who, "", at("11:00"), nil))
		return resp.StatusCode
	}
	if first, again := ask(teacher), ask(teacher); first != 202 || again != 202 {
		t.Fatalf("asking for an update: %d, then %d", first, again)
	}
	if ask(colleague) != 403 {
		t.Error("someone other than the reporter asking")
	}
	out := w.outbox()
	if count(out, "update-requested "+dsl) != 1 || count(out, "update-requested "+head) != 1 {
		t.Errorf("outbox %v", out)
	}
}

func TestRule_C1_BodyMapMarksAreKeptWithTheConcern(t *testing.T) {
	w := newWorld(t)
	body := strings.Replace(validBody, `"tagStaff"`, `"bodyMap":[{"side":"front","x":0.31,"y":0.42,"note":"3cm bruise, yellowing"},{"side":"back","x":0.5,"y":0.2,"note":""}],"tagStaff"`, 1)
	resp, rec := w.record(teacher, body, at("09:30"), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("%d %v", resp.StatusCode, rec)
	}
	_, c := w.do(event("GET", "/api/schools/"+brook+"/concerns/"+rec["id"].(string), dsl, "", at("10:00"), nil))
	marks := c["bodyMap"].([]any)
	if len(marks) != 2 || marks[0].(map[string]any)["note"] != "3cm bruise, yellowing" || marks[0].(map[string]any)["x"] != 0.31 {
		t.Errorf("body map %v", marks)
	}
	for _, bad := range []string{`[{"side":"left","x":0.1,"y":0.1}]`, `[{"side":"front","x":1.5,"y":0.1}]`, `[{"side":"front","x":"a","y":0.1}]`} {
		b := strings.Replace(validBody, `"tagStaff"`, `"bodyMap":`+bad+`,"tagStaff"`, 1)
		if resp, body := w.record(teacher, b, at("09:30"), nil); resp.StatusCode != 400 || !strings.Contains(fmt.Sprint(body), "bodyMap") {
			t.Errorf("%s: %d %v", bad, resp.StatusCode, body)
		}
	}
}
