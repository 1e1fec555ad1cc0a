package main

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/anchor"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/seals"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// sealedWorld is the demo with two audited reads on Monday, sealed on Tuesday morning by the
// seal function's job, its anchors in a real local S3.
func sealedWorld(t *testing.T) (*world, *dynamodb.Client, string) {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	apitest.SeedDemo(t, db, table)
	root, err := filepath.Abs("../..")
	apitest.Must(t, err)
	local, err := stack.StartS3(context.Background(), stack.S3Options{Root: root, Buckets: []string{"anchors"},
		Credentials: map[string]string{"test": "test-secret"}})
	apitest.Must(t, err)
	t.Cleanup(local.Close)
	anchors := anchor.Anchors{Bucket: "anchors", RetentionYears: 25,
		S3: s3.New(s3.Options{Region: "eu-west-2", BaseEndpoint: aws.String(local.Endpoint), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider("test", "test-secret", "")})}
	w := &world{t: t, st: st, h: newHandler(st, anchors)}
	for _, hhmm := range []string{"09:00", "09:30"} {
		w.read(apitest.Daniel, at(hhmm), nil) // each reading of the trail is itself audited
	}
	_, err = seals.Sealer{Store: st, Anchors: anchors, From: "2026-11-23"}.Run(context.Background(), apitest.Local("2026-11-24 08:00"))
	apitest.Must(t, err)
	return w, db, table
}

func (w *world) verify(email string, now time.Time, query url.Values) (int, map[string]any) {
	w.t.Helper()
	path := "/api/schools/brook-lane/audit/verify"
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	resp := apitest.Serve(w.t, w.h.Handle, api.Event("GET", path, email, "", now, nil))
	return resp.StatusCode, apitest.Object(w.t, resp)
}

func TestRule_P4_TheSeniorDSLVerifiesADayAndAChangedEntryIsNamed(t *testing.T) {
	w, db, table := sealedWorld(t)
	now := apitest.Local("2026-11-24 09:00")
	monday := url.Values{"from": {"2026-11-23"}, "to": {"2026-11-23"}}
	status, body := w.verify(apitest.Helen, now, monday)
	if status != 200 || body["verified"] != true || body["entries"] != 2.0 || body["problem"] != nil {
		t.Fatalf("%d %v", status, body)
	}

	// Someone with access to the table changes who read the trail at 9:30.
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{TableName: &table,
		KeyConditionExpression:    aws.String("PK = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "SCHOOL#brook-lane#AUDIT#2026-11-23"}}})
	apitest.Must(t, err)
	last := out.Items[len(out.Items)-1]
	_, err = db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: &table,
		Key: map[string]types.AttributeValue{"PK": last["PK"], "SK": last["SK"]}, UpdateExpression: aws.String("SET actor = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": &types.AttributeValueMemberS{Value: apitest.Tom}}})
	apitest.Must(t, err)
	status, body = w.verify(apitest.Helen, now, monday)
	p, _ := body["problem"].(map[string]any)
	entry, _ := p["entry"].(map[string]any)
	if status != 200 || body["verified"] != false || p["kind"] != seals.EntryChanged || entry["at"] != "2026-11-23T09:30:00Z" ||
		p["detail"] != "The audit entry of Monday 23 November 2026 at 09:30:00 was changed after it was sealed." {
		t.Errorf("%d %v", status, body)
	}
}

func TestRule_P4_OnlyTheSeniorDSLVerifiesThroughTheAPIAndEveryParameterIsChecked(t *testing.T) {
	w, _, _ := sealedWorld(t)
	now := apitest.Local("2026-11-24 09:00")
	for _, email := range []string{apitest.Daniel, apitest.Tom, apitest.Martin, apitest.Robert} {
		if status, _ := w.verify(email, now, nil); status != 403 {
			t.Errorf("%s: %d", email, status)
		}
	}
	for field, q := range map[string]url.Values{
		"from":  {"from": {"23/11/2026"}},
		"to":    {"from": {"2026-11-23"}, "to": {"2026-11-22"}},
		"since": {"since": {"2026-11-23"}},
	} {
		status, body := w.verify(apitest.Helen, now, q)
		if status != 400 || !apitest.NamesField(body, field) {
			t.Errorf("%v: %d %v", q, status, body)
		}
	}
	// Without dates: today, whose entries are not sealed yet and none overdue.
	if status, body := w.verify(apitest.Helen, now, nil); status != 200 || body["from"] != "2026-11-24" || body["verified"] != true {
		t.Errorf("today: %d %v", status, body)
	}
}
