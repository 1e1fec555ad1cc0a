// Package dynamotest gives tests a real DynamoDB: one DynamoDB Local per test binary (in memory,
// on a free port, started on first use) and a fresh table from template.yaml for every call of
// New, so tests are independent and may run in parallel.
//
// A package that uses it stops the server when its tests end by calling Main from TestMain:
//
//	func TestMain(m *testing.M) { dynamotest.Main(m) }
//
// Without it the server is still killed when the test binary exits (on Linux), but less
// tidily.
//
// Counter counts the calls a client makes per operation and can make the next call of an
// operation fail before it is sent, to test paths DynamoDB Local never takes, such as a
// TransactionConflict.
package dynamotest

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/infra/template"
)

var (
	once     sync.Once
	server   *dynamodblocal.Server
	tableDef template.TableDef
	setupErr error
	tables   atomic.Int64
)

func setup() {
	once.Do(func() {
		tableDef, setupErr = dynamodblocal.TableDef()
		if setupErr != nil {
			return
		}
		var dir string
		dir, setupErr = dynamodblocal.Ensure(dynamodblocal.CacheDir())
		if setupErr != nil {
			return
		}
		server, setupErr = dynamodblocal.Start(context.Background(), dynamodblocal.Options{Dir: dir, InMemory: true})
	})
}

// Main runs the tests and then stops the server; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the shared server, if it was started. Main calls it.
func Stop() {
	if server != nil {
		server.Stop()
	}
}

// Endpoint returns the shared server's endpoint, starting it if needed.
func Endpoint(t testing.TB) string {
	t.Helper()
	setup()
	if setupErr != nil {
		t.Fatalf("dynamotest: DynamoDB Local: %v", setupErr)
	}
	return server.Endpoint
}

// TableDef returns the table definition read from template.yaml.
func TableDef(t testing.TB) template.TableDef {
	t.Helper()
	Endpoint(t)
	return tableDef
}

// New returns a client of the shared DynamoDB Local and the name of a new, empty table made as
// template.yaml defines it. The table is deleted when the test ends.
func New(t testing.TB, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, string) {
	t.Helper()
	endpoint := Endpoint(t)
	admin := dynamodblocal.NewClient(endpoint)
	name := tableName(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := dynamodblocal.CreateTableFromDef(ctx, admin, tableDef, name); err != nil {
		t.Fatalf("dynamotest: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, _ = admin.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return dynamodblocal.NewClient(endpoint, optFns...), name
}

// NewCountingClient is New with a Counter installed on the client. Creating the table is not
// counted.
func NewCountingClient(t testing.TB) (*dynamodb.Client, string, *Counter) {
	t.Helper()
	c := NewCounter()
	client, name := New(t, c.Install)
	return client, name, c
}

// tableName makes a valid, unique table name that says which test made it.
func tableName(t testing.TB) string {
	var b strings.Builder
	for _, r := range t.Name() {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	base := b.String()
	if base == "" {
		base = "test"
	}
	if len(base) > 200 {
		base = base[:200]
	}
	return fmt.Sprintf("%s-%d", base, tables.Add(1))
}
