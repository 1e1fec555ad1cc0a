package stack

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	dbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/smithy-go"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
)

func TestParseFaults(t *testing.T) {
	f, err := ParseFaults("dynamodb=0.3, dynamodb-after=0.2, conflict=0.1,sns-down=10m,sns-fail=0.4,stream-crash=0.2,queue-crash=0.25,stream-duplicate=0.5,alerts-die-after-publish=0.1,seed=7")
	if err != nil {
		t.Fatal(err)
	}
	want := FaultSpec{DynamoDB: 0.3, DynamoDBAfter: 0.2, Conflict: 0.1, SNSDown: Duration(10 * time.Minute), SNSFail: 0.4, StreamCrash: 0.2, QueueCrash: 0.25,
		StreamDuplicate: 0.5, AlertsDieAfterPublish: 0.1, Seed: 7}
	if f != want {
		t.Errorf("parsed %+v, want %+v", f, want)
	}
	for _, bad := range []string{"dynamodb=1.5", "dynamodb", "sns-down=soon", "sns-down=-1m", "flood=0.1", "conflict=-0.1", "dynamodb-after=2"} {
		if _, err := ParseFaults(bad); err == nil {
			t.Errorf("ParseFaults(%q) gave no error", bad)
		}
	}
	if f, err := ParseFaults(""); err != nil || f != (FaultSpec{}) {
		t.Errorf("no faults: %+v %v", f, err)
	}
}

func TestDevFaultsSetShowAndClear(t *testing.T) {
	s := testStack(t)
	defer s.SetFaults(FaultSpec{})
	resp, b := do(t, "POST", s.URL+"/dev/faults", "", strings.NewReader(`{"dynamodb":0.3,"dynamodbAfter":0.2,"alertsDieAfterPublish":0.1,"snsDown":"10m","seed":3}`))
	if resp.StatusCode != 200 || !strings.Contains(string(b), `"dynamodb":0.3`) || !strings.Contains(string(b), `"snsDownUntil"`) ||
		!strings.Contains(string(b), `"dynamodbAfter":0.2`) || !strings.Contains(string(b), `"alertsDieAfterPublish":0.1`) {
		t.Fatalf("POST: %d %s", resp.StatusCode, b)
	}
	if resp, b := do(t, "GET", s.URL+"/dev/faults", "", nil); resp.StatusCode != 200 || !strings.Contains(string(b), `"snsDown":"10m0s"`) {
		t.Errorf("GET: %d %s", resp.StatusCode, b)
	}
	for _, bad := range []string{`{"dynamodb":2}`, `{"dynamodbAfter":-1}`, `{"alertsDieAfterPublish":1.5}`, `{"snsDown":"later"}`, `{"flood":1}`, `not json`} {
		if resp, b := do(t, "POST", s.URL+"/dev/faults", "", strings.NewReader(bad)); resp.StatusCode != 400 {
			t.Errorf("POST %s: %d %s", bad, resp.StatusCode, b)
		}
	}
	if resp, b := do(t, "DELETE", s.URL+"/dev/faults", "", nil); resp.StatusCode != 200 || strings.Contains(string(b), "dynamodb") {
		t.Errorf("DELETE: %d %s", resp.StatusCode, b)
	}
}

// functionsDynamoDB is a client that reaches DynamoDB Local the way the functions do, through
// the faults, retrying as optFns say.
func functionsDynamoDB(s *Stack, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	return dynamodb.New(dynamodb.Options{
		Region: Region, Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretKey, ""),
		BaseEndpoint: aws.String(s.dynamoProxy),
	}, optFns...)
}

func TestDynamoDBFaultsAreWhatTheSDKGetsFromDynamoDB(t *testing.T) {
	s := testStack(t)
	defer s.SetFaults(FaultSpec{})
	ctx := context.Background()
	once := functionsDynamoDB(s, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })

	s.SetFaults(FaultSpec{DynamoDB: 1, Seed: 1})
	codes := map[string]int{}
	for range 30 {
		_, err := once.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(TableName), Key: map[string]dbtypes.AttributeValue{
			"PK": &dbtypes.AttributeValueMemberS{Value: "X"}, "SK": &dbtypes.AttributeValueMemberS{Value: "X"}}})
		var api smithy.APIError
		if !errors.As(err, &api) {
			t.Fatalf("GetItem under faults: %v", err)
		}
		codes[api.ErrorCode()]++
	}
	for _, code := range []string{"ProvisionedThroughputExceededException", "ThrottlingException", "InternalServerError"} {
		if codes[code] == 0 {
			t.Errorf("no %s among %v", code, codes)
		}
	}

	s.SetFaults(FaultSpec{Conflict: 1})
	put := func(id string) dbtypes.TransactWriteItem {
		return dbtypes.TransactWriteItem{Put: &dbtypes.Put{TableName: aws.String(TableName), Item: map[string]dbtypes.AttributeValue{
			"PK": &dbtypes.AttributeValueMemberS{Value: "FAULT#" + id}, "SK": &dbtypes.AttributeValueMemberS{Value: "X"}}}}
	}
	_, err := once.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []dbtypes.TransactWriteItem{put("a"), put("b")}})
	var cancelled *dbtypes.TransactionCanceledException
	if !errors.As(err, &cancelled) || len(cancelled.CancellationReasons) != 2 ||
		!slices.ContainsFunc(cancelled.CancellationReasons, func(r dbtypes.CancellationReason) bool { return aws.ToString(r.Code) == "TransactionConflict" }) {
		t.Fatalf("TransactWriteItems under a conflict: %v", err)
	}
	// Nothing reached the table.
	if out, err := s.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(TableName), Key: map[string]dbtypes.AttributeValue{
		"PK": &dbtypes.AttributeValueMemberS{Value: "FAULT#a"}, "SK": &dbtypes.AttributeValueMemberS{Value: "X"}}}); err != nil || out.Item != nil {
		t.Errorf("a cancelled transaction wrote: %v %v", out.Item, err)
	}

	// With 30% of calls refused, the functions' retry policy rides it out.
	s.SetFaults(FaultSpec{DynamoDB: 0.3, Seed: 2})
	retrying := functionsDynamoDB(s, func(o *dynamodb.Options) { o.Retryer = awsenv.Retryer() })
	for i := range 20 {
		if _, err := retrying.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(TableName), Item: map[string]dbtypes.AttributeValue{
			"PK": &dbtypes.AttributeValueMemberS{Value: fmt.Sprintf("FAULT#retry-%d", i)}, "SK": &dbtypes.AttributeValueMemberS{Value: "X"}}}); err != nil {
			t.Fatalf("PutItem %d with retries: %v", i, err)
		}
	}
	if n := s.Faults().Injected["dynamodb"]; n == 0 {
		t.Error("no fault struck in 20 calls at 30%")
	}
}

// A write whose answer is lost: it is done in the table, the SDK gets a 500. A transaction
// retried with the same ClientRequestToken (the SDK's retries carry the one it made for the
// call) is the same transaction, and DynamoDB answers it as it answered the first.
func TestDynamoDBFaultAfterTheWriteLeavesTheWriteDone(t *testing.T) {
	s := testStack(t)
	defer s.SetFaults(FaultSpec{})
	ctx := context.Background()
	once := functionsDynamoDB(s, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	key := func(id string) map[string]dbtypes.AttributeValue {
		return map[string]dbtypes.AttributeValue{"PK": &dbtypes.AttributeValueMemberS{Value: "AFTER#" + id}, "SK": &dbtypes.AttributeValueMemberS{Value: "X"}}
	}
	exists := func(id string) bool {
		out, err := s.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(TableName), Key: key(id), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item != nil
	}

	s.SetFaults(FaultSpec{DynamoDBAfter: 1})
	_, err := once.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(TableName), Item: key("put")})
	var api smithy.APIError
	if !errors.As(err, &api) || api.ErrorCode() != "InternalServerError" {
		t.Fatalf("PutItem under the fault: %v", err)
	}
	if !exists("put") {
		t.Error("the put answered 500 was not done")
	}
	// Reads are not struck.
	if _, err := once.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(TableName), Key: key("put")}); err != nil {
		t.Errorf("GetItem under the fault: %v", err)
	}

	tx := &dynamodb.TransactWriteItemsInput{ClientRequestToken: aws.String("after-the-write-1"), TransactItems: []dbtypes.TransactWriteItem{
		{Put: &dbtypes.Put{TableName: aws.String(TableName), Item: key("tx-a"), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
		{Put: &dbtypes.Put{TableName: aws.String(TableName), Item: key("tx-b"), ConditionExpression: aws.String("attribute_not_exists(PK)")}},
	}}
	if _, err := once.TransactWriteItems(ctx, tx); !errors.As(err, &api) || api.ErrorCode() != "InternalServerError" {
		t.Fatalf("TransactWriteItems under the fault: %v", err)
	}
	if !exists("tx-a") || !exists("tx-b") {
		t.Error("the transaction answered 500 was not done")
	}
	s.SetFaults(FaultSpec{})
	if _, err := once.TransactWriteItems(ctx, tx); err != nil {
		t.Errorf("the same transaction again, with its token: %v", err)
	}
	if n := s.Faults().Injected["dynamodb-after"]; n != 0 {
		t.Errorf("counts not cleared: %d", n)
	}
}

// Each function process reaches DynamoDB at a path of its own; with alertsDieAfterPublish,
// the process whose sentAt mark arrives is killed there, the mark not written, and which
// outbox item it was is kept. Without it the mark goes through.
func TestAFunctionDiesWhenItsSentMarkArrives(t *testing.T) {
	s := testStack(t)
	defer s.SetFaults(FaultSpec{})
	ctx := context.Background()
	tok := tokenFor(t, s, dslEmail)
	key := map[string]dbtypes.AttributeValue{"PK": &dbtypes.AttributeValueMemberS{Value: "OUTBOX#echo"}, "SK": &dbtypes.AttributeValueMemberS{Value: "OUTBOX"}}
	if _, err := s.DynamoDB().PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(TableName), Item: key}); err != nil {
		t.Fatal(err)
	}
	marked := func() bool {
		out, err := s.DynamoDB().GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(TableName), Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item["sentAt"] != nil
	}

	s.SetFaults(FaultSpec{AlertsDieAfterPublish: 1})
	if resp, b := do(t, "GET", s.URL+"/echo/mark-sent", tok, nil); resp.StatusCode != 500 {
		t.Errorf("the dying function answered %d %s", resp.StatusCode, b)
	}
	if st := s.Faults(); !slices.Equal(st.DiedAfterPublish, []string{"echo"}) || st.Injected["alerts-die-after-publish"] != 1 {
		t.Errorf("faults state %+v", st)
	}
	if marked() {
		t.Error("the mark was written by a process killed as it arrived")
	}

	s.SetFaults(FaultSpec{})
	if resp, b := do(t, "GET", s.URL+"/echo/mark-sent", tok, nil); resp.StatusCode != 200 {
		t.Errorf("the mark with no fault: %d %s", resp.StatusCode, b)
	}
	if !marked() {
		t.Error("the mark with no fault was not written")
	}
}

func TestSNSIsDownForAPeriodOfTheLocalClock(t *testing.T) {
	s := testStack(t)
	defer s.SetFaults(FaultSpec{})
	defer s.Clock().Release()
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	s.Clock().Pin(at)
	s.SetFaults(FaultSpec{SNSDown: Duration(10 * time.Minute)})
	client := sns.New(sns.Options{Region: Region, Credentials: credentials.NewStaticCredentialsProvider(accessKeyID, secretKey, ""),
		BaseEndpoint: aws.String(s.SNSEndpoint), RetryMaxAttempts: 1})
	publish := func() error {
		_, err := client.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(AlertsTopicARN), Message: aws.String("m")})
		return err
	}
	var api smithy.APIError
	if err := publish(); !errors.As(err, &api) || api.ErrorCode() != "ServiceUnavailable" {
		t.Fatalf("publish while down: %v", err)
	}
	s.Clock().Pin(at.Add(9 * time.Minute))
	if err := publish(); err == nil {
		t.Fatal("SNS up after 9 minutes of 10")
	}
	s.Clock().Pin(at.Add(10 * time.Minute))
	if err := publish(); err != nil {
		t.Fatalf("publish after the outage: %v", err)
	}
}

func resetSink() {
	sink.mu.Lock()
	sink.fail, sink.crash, sink.hold, sink.holding, sink.batches = nil, nil, nil, nil, nil
	sink.mu.Unlock()
}

func containsBatch(batches [][]string, want ...string) bool {
	return slices.ContainsFunc(batches, func(b []string) bool { return slices.Equal(b, want) })
}

// A function error (a crash, a timeout) retries the batch whole, split in two where the
// source says BisectBatchOnFunctionError, so a record that always crashes its function ends up
// alone and dead-lettered, and the others are delivered.
func TestStreamBatchSplitInTwoAfterAFunctionError(t *testing.T) {
	s := testStack(t)
	db := s.DynamoDB()
	resetSink()
	defer resetSink()
	before := len(s.DeadLetters())
	sink.mu.Lock()
	sink.crash = map[string]int{"b3": 1, "bad": -1}
	sink.mu.Unlock()
	for _, id := range []string{"b1", "b2", "b3", "b4"} {
		putItem(t, db, "split", id)
	}
	waitFor(t, "b3,b4 retried", func() bool { return containsBatch(sink.seen(), "b3", "b4") })
	if seen := sink.seen(); !containsBatch(seen, "b1", "b2", "b3", "b4") || !containsBatch(seen, "b1", "b2") {
		t.Errorf("batches %v, want b1..b4 then b1,b2 and b3,b4", seen)
	}

	for _, id := range []string{"c1", "bad", "c3", "c4"} {
		putItem(t, db, "split", id)
	}
	waitFor(t, "bad dead-lettered", func() bool { return len(s.DeadLetters()) > before })
	dl := s.DeadLetters()[before:]
	if len(dl) != 1 || dl[0].StreamInfo.BatchSize != 1 || dl[0].Condition != conditionRetries || dl[0].Event != "Split" {
		t.Errorf("dead letters %+v", dl)
	}
	delivered := map[string]bool{}
	for _, b := range sink.seen() {
		if len(b) == 1 || !slices.Contains(b, "bad") {
			for _, id := range b {
				delivered[id] = true
			}
		}
	}
	if !delivered["c1"] || !delivered["c3"] || !delivered["c4"] {
		t.Errorf("the good records were not delivered apart from the bad one: %v", sink.seen())
	}
}

// A function that dies in the middle of a batch has handled its first records; the batch is
// retried whole, and after the last retry its records' metadata goes to the dead letters.
func TestInjectedCrashAndDuplicateDelivery(t *testing.T) {
	s := testStack(t)
	db := s.DynamoDB()
	resetSink()
	defer resetSink()
	defer s.SetFaults(FaultSpec{})
	before := len(s.DeadLetters())

	s.SetFaults(FaultSpec{StreamDuplicate: 1})
	putItem(t, db, "outbox", "twice")
	waitFor(t, "twice delivered twice", func() bool {
		n := 0
		for _, b := range sink.seen() {
			n += len(slices.DeleteFunc(slices.Clone(b), func(id string) bool { return id != "twice" }))
		}
		return n == 2
	})
	if err := s.Settle(context.Background()); err != nil {
		t.Fatal(err)
	}
	resetSink()

	s.SetFaults(FaultSpec{StreamCrash: 1, Seed: 5})
	putItem(t, db, "outbox", "k1")
	putItem(t, db, "outbox", "k2")
	putItem(t, db, "outbox", "k3")
	waitFor(t, "the crashing batch dead-lettered", func() bool { return len(s.DeadLetters()) > before })
	dl := s.DeadLetters()[before]
	if dl.StreamInfo.BatchSize != 3 || dl.Attempts != 3 || !strings.Contains(dl.Reason, "died in the middle") {
		t.Errorf("dead letter %+v", dl)
	}
	for _, b := range sink.seen() {
		if len(b) >= 3 || !slices.Equal(b, []string{"k1", "k2", "k3"}[:len(b)]) {
			t.Errorf("a crashed batch handled %v, not a part from its start", b)
		}
	}
	if n := s.Faults().Injected["stream-crash"]; n != 3 {
		t.Errorf("%d crashes, want 3 (the first delivery and two retries)", n)
	}
}

// A record still failing when it has been in the stream for 24 hours (of the local clock) is
// gone from the stream: the on-failure destination gets its metadata.
func TestStreamRecordsExpireAfterADay(t *testing.T) {
	s := testStack(t)
	db := s.DynamoDB()
	resetSink()
	defer resetSink()
	defer s.Clock().Release()
	before := len(s.DeadLetters())
	hold := make(chan struct{})
	sink.mu.Lock()
	sink.fail = map[string]int{"old": -1}
	sink.hold = map[string]chan struct{}{"old": hold}
	sink.mu.Unlock()
	start := time.Now()
	s.Clock().Pin(start)
	putItem(t, db, "split", "old")
	waitFor(t, "old delivered", func() bool {
		sink.mu.Lock()
		defer sink.mu.Unlock()
		return sink.holding["old"]
	})
	s.Clock().Pin(start.Add(25 * time.Hour))
	close(hold)
	waitFor(t, "old expired", func() bool { return len(s.DeadLetters()) > before })
	dl := s.DeadLetters()[before]
	if dl.Condition != conditionAge || dl.StreamInfo.BatchSize != 1 || dl.Attempts != 1 {
		t.Errorf("dead letter %+v, want the record's age exceeded after one attempt", dl)
	}
}

// FuzzParseFaults: whatever KEEPSAFE_FAULTS holds, ParseFaults answers without panicking, and
// what it accepts is a valid spec.
func FuzzParseFaults(f *testing.F) {
	for _, seed := range []string{"dynamodb=0.3,conflict=0.1,sns-down=10m", "seed=1", "", "stream-crash=1,,", "x=y", "sns-down=-1h"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		got, err := ParseFaults(spec)
		if err == nil {
			if verr := got.validate(); verr != nil {
				t.Errorf("ParseFaults(%q) accepted an invalid spec: %v", spec, verr)
			}
		}
	})
}
