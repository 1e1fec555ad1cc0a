package dynamotest

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

func TestMain(m *testing.M) { Main(m) }

func key(t *testing.T, pk, sk string) map[string]types.AttributeValue {
	def := TableDef(t)
	return map[string]types.AttributeValue{
		def.Key("HASH"):  &types.AttributeValueMemberS{Value: pk},
		def.Key("RANGE"): &types.AttributeValueMemberS{Value: sk},
	}
}

func TestNewGivesFreshTablesInParallel(t *testing.T) {
	names := make(chan string, 4)
	t.Run("group", func(t *testing.T) {
		for i := range 4 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				client, table := New(t)
				names <- table
				ctx := context.Background()
				out, err := client.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(table)})
				if err != nil {
					t.Fatal(err)
				}
				if out.Count != 0 {
					t.Errorf("new table %s has %d items", table, out.Count)
				}
				if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(t, "P", "S")}); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
	close(names)
	seen := map[string]bool{}
	for n := range names {
		if seen[n] {
			t.Errorf("table name %s given twice", n)
		}
		seen[n] = true
	}
	if len(seen) != 4 {
		t.Errorf("got %d tables, want 4", len(seen))
	}
}

func TestCounterCountsCalls(t *testing.T) {
	client, table, counter := NewCountingClient(t)
	ctx := context.Background()
	if n := counter.Total(); n != 0 {
		t.Fatalf("creating the table counted %d calls: %v", n, counter.Counts())
	}
	for _, sk := range []string{"A", "B"} {
		if _, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(t, "P", sk)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(t, "P", "A")}); err != nil {
		t.Fatal(err)
	}
	_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String(table), Item: key(t, "P", "C")}},
		{Delete: &types.Delete{TableName: aws.String(table), Key: key(t, "P", "B")}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"PutItem": 2, "GetItem": 1, "TransactWriteItems": 1}
	got := counter.Counts()
	if len(got) != len(want) {
		t.Errorf("counts = %v, want %v", got, want)
	}
	for op, n := range want {
		if got[op] != n || counter.Count(op) != n {
			t.Errorf("%s: %d calls, want %d (all: %v)", op, got[op], n, got)
		}
	}
	if counter.Total() != 4 {
		t.Errorf("Total = %d", counter.Total())
	}
	counter.Reset()
	if counter.Total() != 0 || counter.Count("PutItem") != 0 {
		t.Errorf("after Reset: %v", counter.Counts())
	}
}

func TestFailNextInjectsTransactionConflict(t *testing.T) {
	client, table, counter := NewCountingClient(t)
	ctx := context.Background()
	conflict := &types.TransactionCanceledException{
		Message:             aws.String("Transaction cancelled, please refer cancellation reasons for specific reasons [TransactionConflict]"),
		CancellationReasons: []types.CancellationReason{{Code: aws.String("TransactionConflict")}},
	}
	counter.FailNext("TransactWriteItems", conflict)
	if counter.Pending("TransactWriteItems") != 1 {
		t.Fatal("fault not queued")
	}
	write := func() error {
		_, err := client.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
			{Put: &types.Put{TableName: aws.String(table), Item: key(t, "P", "T")}},
		}})
		return err
	}

	// Another operation is not affected.
	if _, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(t, "P", "T")}); err != nil {
		t.Fatal(err)
	}

	err := write()
	var tce *types.TransactionCanceledException
	if !errors.As(err, &tce) || aws.ToString(tce.CancellationReasons[0].Code) != "TransactionConflict" {
		t.Fatalf("injected call returned %v", err)
	}
	var oe *smithy.OperationError
	if !errors.As(err, &oe) || oe.Operation() != "TransactWriteItems" {
		t.Errorf("injected error not wrapped as the SDK does: %#v", err)
	}
	// Nothing was sent: the item is not there.
	got, err := client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(t, "P", "T"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	if got.Item != nil {
		t.Fatalf("the failed transaction wrote %v", got.Item)
	}

	// The fault is used up: the next call goes through.
	if err := write(); err != nil {
		t.Fatalf("second call: %v", err)
	}
	got, err = client.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(table), Key: key(t, "P", "T"), ConsistentRead: aws.Bool(true)})
	if err != nil || got.Item == nil {
		t.Fatalf("after retry: %v, %v", got.Item, err)
	}
	if n := counter.Count("TransactWriteItems"); n != 2 {
		t.Errorf("TransactWriteItems calls = %d, want 2", n)
	}

	// Queued faults are used one call each, in order.
	counter.FailNext("PutItem", errors.New("first"))
	counter.FailNext("PutItem", errors.New("second"))
	put := func() error {
		_, err := client.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: key(t, "P", "Q")})
		return err
	}
	if err := put(); err == nil || !containsMsg(err, "first") {
		t.Errorf("first put: %v", err)
	}
	if err := put(); err == nil || !containsMsg(err, "second") {
		t.Errorf("second put: %v", err)
	}
	if err := put(); err != nil {
		t.Errorf("third put: %v", err)
	}
}

func containsMsg(err error, s string) bool {
	for ; err != nil; err = errors.Unwrap(err) {
		if err.Error() == s {
			return true
		}
	}
	return false
}
