package main

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/retention"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// retentionSetup seeds the demo federation with its former pupils (infra/local/seed): at
// Brook Lane, Riley Stone turned 25 on 3 November 2026 (three records), Jordan Hale turns 25
// on 20 January 2027 (two), Casey Marsh on 14 February 2027 (one) and Morgan Reed in 2029.
func retentionSetup(t *testing.T) (handler, *store.Store, *dynamodb.Client, string, *dynamotest.Counter) {
	t.Helper()
	db, table, calls := dynamotest.NewCountingClient(t)
	st := store.New(db, table)
	apitest.SeedDemo(t, db, table)
	apitest.Must(t, seed.ApplyFormerPupils(context.Background(), st, seed.Demo()))
	return handler{store: st, retention: retention.Service{Store: st, NewID: store.NewID}}, st, db, table, calls
}

type retentionBody struct {
	Before string `json:"before"`
	Pupils []struct {
		ID, Name, DateOfBirth string
		TwentyFifthBirthday   string `json:"twentyFifthBirthday"`
		Records, HoldVersion  int
		Left                  bool
		Hold                  *struct{ ID, Reason, ReviewOn string }
	} `json:"pupils"`
	Status int `json:"status"`
}

func (b retentionBody) names() []string {
	out := []string{}
	for _, p := range b.Pupils {
		out = append(out, p.Name)
	}
	return out
}

func listRetention(t *testing.T, h handler, email, query string, now time.Time) (int, retentionBody) {
	t.Helper()
	path := "/api/schools/brook-lane/retention"
	if query != "" {
		path += "?" + query
	}
	resp := apitest.Serve(t, h.Handle, api.Event("GET", path, email, "", now, nil))
	var b retentionBody
	apitest.Must(t, json.Unmarshal([]byte(resp.Body), &b))
	return resp.StatusCode, b
}

func holdCommand(t *testing.T, h handler, email, path, body, key string, now time.Time) (int, map[string]any) {
	t.Helper()
	var headers map[string]string
	if key != "" {
		headers = map[string]string{"Idempotency-Key": key}
	}
	resp := apitest.Serve(t, h.Handle, api.Event("POST", path, email, body, now, headers))
	var out map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return resp.StatusCode, out
}

// Rule S7: the Senior DSL's list holds the pupils with records whose 25th birthday is on or
// before the date chosen (by default today plus three months), soonest first, each with name,
// date of birth, 25th birthday and how many records; a pupil without records is not on it,
// however old. Reading it costs a fixed number of round trips plus one count per pupil listed.
func TestRule_S7_RecordsReachingTheTwentyFifthBirthdayAreListedSoonestFirst(t *testing.T) {
	h, _, _, _, calls := retentionSetup(t)
	now := apitest.At("10:00") // Monday 23 November 2026
	calls.Reset()
	status, b := listRetention(t, h, apitest.Helen, "", now)
	if status != 200 || b.Before != "2027-02-23" {
		t.Fatalf("%d %+v", status, b)
	}
	if got := fmt.Sprint(b.names()); got != "[Riley Stone Jordan Hale Casey Marsh]" {
		t.Errorf("by default %s, want Riley, Jordan, Casey (Morgan turns 25 in 2029; Hillcrest's are not Brook Lane's)", got)
	}
	if len(b.Pupils) == 3 {
		r := b.Pupils[0]
		if r.DateOfBirth != "2001-11-03" || r.TwentyFifthBirthday != "2026-11-03" || r.Records != 3 || !r.Left || r.Hold != nil {
			t.Errorf("Riley %+v", r)
		}
		if b.Pupils[1].Records != 2 || b.Pupils[2].Records != 1 || b.Pupils[1].TwentyFifthBirthday != "2027-01-20" {
			t.Errorf("Jordan %+v, Casey %+v", b.Pupils[1], b.Pupils[2])
		}
	}
	// GetItem of the reader; one Query of the index and one count per pupil listed (three);
	// one BatchGetItem of the pupils; the audit entry.
	want := map[string]int{"GetItem": 1, "Query": 4, "BatchGetItem": 1, "TransactWriteItems": 1}
	if got := calls.Counts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("round trips %v, want %v", got, want)
	}

	if _, b := listRetention(t, h, apitest.Helen, "before=2027-01-31", now); fmt.Sprint(b.names()) != "[Riley Stone Jordan Hale]" {
		t.Errorf("before 31 January 2027: %v", b.names())
	}
	if status, b := listRetention(t, h, apitest.Helen, "before=31/01/2027", now); status != 400 {
		t.Errorf("a date the list cannot read: %d %+v", status, b)
	}
	// Every current pupil has a date of birth; none has a record, so none is listed, even
	// decades ahead, until a concern is recorded about them: their first record puts them on it.
	if _, b := listRetention(t, h, apitest.Helen, "before=2060-01-01", now); len(b.Pupils) != 4 {
		t.Errorf("by 2060, only the four former pupils: %v", b.names())
	}
}

// Rule S7: a pupil's first record (a concern, through its own use case) puts them on the list.
func TestRule_S7_APupilsFirstRecordPutsThemOnTheList(t *testing.T) {
	h, st, _, _, _ := retentionSetup(t)
	now := apitest.At("10:00")
	uc := concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(), Calendar: safeguarding.Weekdays{}, NewID: store.NewID}
	pupils, err := st.FindPupils(context.Background(), seed.BrookLane, "Chidi", 5)
	if err != nil || len(pupils) != 1 {
		t.Fatalf("%v %v", pupils, err)
	}
	if _, err := uc.Record(context.Background(), safeguarding.Caller{Email: apitest.Daniel, At: now}, seed.BrookLane,
		concerns.NewConcern{PupilIDs: []safeguarding.PupilID{pupils[0].ID}, Category: "safeguarding", ObservedAt: now.Add(-time.Hour), Details: "x"},
		safeguarding.RequestKey{}, ""); err != nil {
		t.Fatal(err)
	}
	_, b := listRetention(t, h, apitest.Helen, "before=2060-01-01", now)
	found := false
	for _, p := range b.Pupils {
		if p.Name == "Chidi Okafor" {
			found = p.Records == 1 && p.DateOfBirth != "" && !p.Left
		}
	}
	if !found || len(b.Pupils) != 5 {
		t.Errorf("after Chidi's first record: %+v", b.Pupils)
	}
}

// Rule S7: nothing is deleted automatically. Years past their 25th birthday, Riley Stone keeps
// every record and is still on the list, waiting for a person's review.
func TestRule_S7_APupilPastTwentyFiveKeepsEveryRecordAndStaysListed(t *testing.T) {
	h, _, db, table, _ := retentionSetup(t)
	later := apitest.Local("2031-06-02 09:00")
	_, b := listRetention(t, h, apitest.Helen, "", later)
	if len(b.Pupils) == 0 || b.Pupils[0].Name != "Riley Stone" || b.Pupils[0].Records != 3 {
		t.Fatalf("in 2031: %+v", b.Pupils)
	}
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{TableName: &table, Select: types.SelectCount,
		KeyConditionExpression: aws.String("PK = :pk AND begins_with(SK, :c)"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": &types.AttributeValueMemberS{Value: "SCHOOL#brook-lane#PUPIL#" + b.Pupils[0].ID}, ":c": &types.AttributeValueMemberS{Value: "CHRON#"}}})
	if err != nil || out.Count != 3 {
		t.Errorf("Riley's records in 2031: %d %v", out.Count, err)
	}
}

// Rule S7: a legal hold keeps a pupil off the list (shown, with the hold, when asked), lifting
// it brings them back; each change is a version of its own against the version read (409 when
// stale or when a hold is already in place), audited, and the same request twice is one change.
func TestRule_S7_ALegalHoldKeepsAPupilOffTheListUntilLifted(t *testing.T) {
	h, _, db, table, calls := retentionSetup(t)
	now := apitest.At("10:00")
	_, b := listRetention(t, h, apitest.Helen, "", now)
	jordan := b.Pupils[1]
	if jordan.Name != "Jordan Hale" || jordan.HoldVersion != 0 {
		t.Fatalf("%+v", jordan)
	}
	holds := "/api/schools/brook-lane/pupils/" + jordan.ID + "/legal-holds"
	if status, out := holdCommand(t, h, apitest.Helen, holds, `{"version":0}`, "", now); status != 400 || fmt.Sprint(out["errors"]) == "" {
		t.Errorf("without a reason: %d %v", status, out)
	}
	calls.Reset()
	status, placed := holdCommand(t, h, apitest.Helen, holds, `{"reason":"Family court proceedings","reviewOn":"2027-09-01","version":0}`, "hold-1", now)
	if status != 201 || placed["holdVersion"] != 1.0 {
		t.Fatalf("place: %d %v", status, placed)
	}
	// One BatchGetItem (the reader, the pupil, the hold, the request) and one transaction.
	if got, want := calls.Counts(), map[string]int{"BatchGetItem": 1, "TransactWriteItems": 1}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("placing: %v, want %v", got, want)
	}
	if status, again := holdCommand(t, h, apitest.Helen, holds, `{"reason":"Family court proceedings","reviewOn":"2027-09-01","version":0}`, "hold-1", now); status != 201 || again["id"] != placed["id"] {
		t.Errorf("the same request again: %d %v, want the first answer", status, again)
	}
	if status, _ := holdCommand(t, h, apitest.Helen, holds, `{"reason":"Another","version":0}`, "", now); status != 409 {
		t.Errorf("a hold from a stale version: %d", status)
	}
	if status, _ := holdCommand(t, h, apitest.Helen, holds, `{"reason":"Another"}`, "", now); status != 409 {
		t.Errorf("a second hold while one is in place: %d", status)
	}
	if _, b := listRetention(t, h, apitest.Helen, "", now); fmt.Sprint(b.names()) != "[Riley Stone Casey Marsh]" {
		t.Errorf("with Jordan held: %v", b.names())
	}
	_, b = listRetention(t, h, apitest.Helen, "held=include", now)
	if len(b.Pupils) != 3 || b.Pupils[1].Hold == nil || b.Pupils[1].Hold.Reason != "Family court proceedings" || b.Pupils[1].Hold.ReviewOn != "2027-09-01" || b.Pupils[1].HoldVersion != 1 {
		t.Errorf("held ones shown: %+v", b.Pupils)
	}

	lift := holds + "/" + placed["id"].(string) + "/lift"
	if status, _ := holdCommand(t, h, apitest.Helen, holds+"/someother/lift", `{"reason":"Proceedings ended","version":1}`, "", now); status != 409 {
		t.Errorf("lifting a hold not in place: %d", status)
	}
	if status, out := holdCommand(t, h, apitest.Helen, lift, `{"reason":"Proceedings ended","version":1}`, "", now.Add(time.Hour)); status != 200 || out["holdVersion"] != 2.0 {
		t.Errorf("lift: %d %v", status, out)
	}
	if status, _ := holdCommand(t, h, apitest.Helen, lift, `{"reason":"Again","version":1}`, "", now.Add(time.Hour)); status != 409 {
		t.Errorf("lifting again from a stale version: %d", status)
	}
	if _, b := listRetention(t, h, apitest.Helen, "", now); fmt.Sprint(b.names()) != "[Riley Stone Jordan Hale Casey Marsh]" {
		t.Errorf("after the lift: %v", b.names())
	}
	counts := apitest.CountItems(t, db, table, map[string]string{"audit": "action", "legal-hold-version": "kind"})
	if counts["legal-hold-version:placed"] != 1 || counts["legal-hold-version:lifted"] != 1 {
		t.Errorf("versions kept: %v", counts)
	}
	if counts["audit:legal-hold.placed"] != 1 || counts["audit:legal-hold.lifted"] != 1 || counts["audit:retention.read"] != 4 {
		t.Errorf("audited: %v", counts)
	}
}

// Rule S7: the list and the holds are the Senior DSL's. A DSL may not place a hold, a teacher
// may not read the list, and a pupil of another school is not found.
func TestRule_S7_OnlyTheSeniorDSLListsAndHolds(t *testing.T) {
	h, _, db, table, _ := retentionSetup(t)
	now := apitest.At("10:00")
	if status, _ := listRetention(t, h, apitest.Tom, "", now); status != 403 {
		t.Errorf("a teacher listing: %d", status)
	}
	if status, _ := listRetention(t, h, apitest.Daniel, "", now); status != 403 {
		t.Errorf("a DSL listing: %d", status)
	}
	if status, _ := listRetention(t, h, apitest.Robert, "", now); status != 403 {
		t.Errorf("another school's Senior DSL: %d", status)
	}
	holds := "/api/schools/brook-lane/pupils/brook-lane-former-01/legal-holds"
	if status, _ := holdCommand(t, h, apitest.Daniel, holds, `{"reason":"x"}`, "", now); status != 403 {
		t.Errorf("a DSL placing a hold: %d", status)
	}
	if status, _ := holdCommand(t, h, apitest.Helen, "/api/schools/brook-lane/pupils/hillcrest-former-05/legal-holds", `{"reason":"x"}`, "", now); status != 404 {
		t.Errorf("a pupil of another school: %d", status)
	}
	if n := apitest.CountItems(t, db, table, nil)["legal-hold-version"]; n != 0 {
		t.Errorf("%d holds written by refused requests", n)
	}
}
