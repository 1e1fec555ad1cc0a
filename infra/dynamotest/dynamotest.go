// Package dynamotest gives tests a real DynamoDB: one DynamoDB Local per test binary (in memory,
// on a free port, started on first use) and a fresh table from template.yaml for every call of
// New, so tests are independent and may run in parallel.
//
// When $KEEPSAFE_DYNAMODB_ENDPOINT names running DynamoDB Local servers ("http://127.0.0.1:<port>",
// comma-separated when there are several), every test binary uses them instead of starting its
// own: `make test` starts one per CPU for the whole run (infra/dynamodblocal/cmd/with), and New
// spreads the tables over them in turn, because one server answers about one call at a time.
// Table names carry the process id, so binaries that share a server never meet in one table.
//
// A package that uses it stops the server it started when its tests end by calling Main from
// TestMain:
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
	once      sync.Once
	server    *dynamodblocal.Server // nil when $KEEPSAFE_DYNAMODB_ENDPOINT gave the servers
	endpoints []string
	tableDef  template.TableDef
	setupErr  error
	tables    atomic.Int64
)

func setup() {
	once.Do(func() {
		tableDef, setupErr = dynamodblocal.TableDef()
		if setupErr != nil {
			return
		}
		// No test reads these tables' stream (the local stack makes its own tables), and
		// DynamoDB Local slows as stream records pile up (dynamodblocal.CreateScratchTable).
		tableDef.StreamViewType = ""
		if env := os.Getenv(dynamodblocal.EndpointEnv); env != "" {
			for e := range strings.SplitSeq(env, ",") {
				if e = strings.TrimSpace(e); e != "" {
					endpoints = append(endpoints, e)
				}
			}
			for _, e := range endpoints {
				if setupErr = answers(e); setupErr != nil {
					return
				}
			}
			if len(endpoints) > 0 {
				return
			}
		}
		var dir string
		dir, setupErr = dynamodblocal.Ensure(dynamodblocal.CacheDir())
		if setupErr != nil {
			return
		}
		server, setupErr = dynamodblocal.Start(context.Background(), dynamodblocal.Options{Dir: dir, InMemory: true, Brief: true})
		if setupErr == nil {
			endpoints = []string{server.Endpoint}
		}
	})
}

// answers checks that the DynamoDB Local named by EndpointEnv is there, so that a stale
// variable fails with its name rather than as a refused connection in each test.
func answers(url string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := dynamodblocal.NewClient(url)
	if _, err := client.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)}); err != nil {
		return fmt.Errorf("%s=%s does not answer: %w", dynamodblocal.EndpointEnv, url, err)
	}
	return nil
}

// Main runs the tests and then stops the server; call it from TestMain.
func Main(m *testing.M) {
	code := m.Run()
	Stop()
	os.Exit(code)
}

// Stop stops the server this binary started, if it did. Main calls it.
func Stop() {
	if server != nil {
		server.Stop()
	}
}

// Endpoint returns the shared server's endpoint, starting it if needed. Of a pool it is always
// the same one in a test binary.
func Endpoint(t testing.TB) string {
	t.Helper()
	setup()
	if setupErr != nil {
		t.Fatalf("dynamotest: DynamoDB Local: %v", setupErr)
	}
	return endpoints[os.Getpid()%len(endpoints)]
}

// TableDef returns the table definition read from template.yaml.
func TableDef(t testing.TB) template.TableDef {
	t.Helper()
	Endpoint(t)
	return tableDef
}

// New returns a client of the shared DynamoDB Local and the name of a new, empty table made as
// template.yaml defines it, without its stream. The table is deleted when the test ends.
func New(t testing.TB, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, string) {
	t.Helper()
	Endpoint(t)
	n := tables.Add(1)
	endpoint := endpoints[(os.Getpid()+int(n))%len(endpoints)] // a pool's servers take turns
	admin := dynamodblocal.NewClient(endpoint)
	name := tableName(t, n)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
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

// tableName makes a valid table name that says which test made it, unique on a server that
// test binaries share: the process id tells the binaries apart, a counter the tables of one.
func tableName(t testing.TB, n int64) string {
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
	return fmt.Sprintf("%s-%d-%d", base, os.Getpid(), n)
}
