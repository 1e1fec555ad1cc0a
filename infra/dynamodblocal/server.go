package dynamodblocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Region is the region the local clients claim; DynamoDB Local keeps one database per region
// and access key unless -sharedDb is given.
const Region = "eu-west-2"

// EndpointEnv names the environment variable through which running DynamoDB Local servers are
// shared: when it holds their URLs ("http://127.0.0.1:<port>", comma-separated when there are
// several), infra/dynamotest makes its tables there instead of starting a server in each test
// binary. cmd/with sets it for the command it runs.
const EndpointEnv = "KEEPSAFE_DYNAMODB_ENDPOINT"

// StartTimeout is how long Start waits for the server to answer: a JVM starting on a busy
// two-core machine (several test binaries at once) can take well over half a minute.
const StartTimeout = 2 * time.Minute

// Options says how to run DynamoDB Local.
type Options struct {
	// Dir is the folder that holds DynamoDBLocal.jar (what Ensure returns).
	Dir string
	// InMemory keeps all data in memory; it is lost when the server stops.
	InMemory bool
	// DBPath is the folder for the database file when not InMemory. The server runs with
	// -sharedDb so that every client, whatever its credentials and region, sees one database.
	DBPath string
	// Port to listen on; 0 picks a free one.
	Port int
	// Brief tunes the JVM for runs of minutes on a small machine (the tests, `make run`): the
	// client compiler only and the serial collector. The optimising compiler's work costs
	// more CPU than it saves before such a run ends: on two CPUs the web package's paging
	// tests took 17 s and 21 s of CPU with it, 32 s and 50 s without. The benchmarks leave it
	// off, to measure DynamoDB Local at its best.
	Brief bool
}

// Server is a running DynamoDB Local.
type Server struct {
	// Endpoint is the base URL of the server: "http://127.0.0.1:<port>".
	Endpoint string
	Port     int

	cmd      *exec.Cmd
	out      *syncBuffer
	done     chan struct{} // closed when the process has exited
	waitErr  error
	stopOnce sync.Once
}

// Start runs DynamoDB Local and waits until it answers a ListTables call (up to StartTimeout
// or until ctx ends). The server's own output is kept and shown only in errors (see Output).
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Dir == "" {
		return nil, errors.New("dynamodblocal: Options.Dir is empty")
	}
	if !ready(opts.Dir) {
		return nil, fmt.Errorf("dynamodblocal: no %s in %s (call Ensure first)", JarName, opts.Dir)
	}
	if !opts.InMemory && opts.DBPath == "" {
		return nil, errors.New("dynamodblocal: set Options.InMemory or Options.DBPath")
	}
	if opts.Port != 0 {
		return start(ctx, opts, opts.Port)
	}
	// A free port may be taken by someone else before Java binds it: then try another.
	var err error
	for range 3 {
		var port int
		port, err = freePort()
		if err != nil {
			return nil, fmt.Errorf("dynamodblocal: free port: %w", err)
		}
		var s *Server
		s, err = start(ctx, opts, port)
		if err == nil || !errors.Is(err, errExited) {
			return s, err
		}
	}
	return nil, err
}

var errExited = errors.New("DynamoDB Local exited before it was ready")

func start(ctx context.Context, opts Options, port int) (*Server, error) {
	var args []string
	if opts.Brief {
		args = append(args, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC")
	}
	args = append(args,
		"-Djava.library.path=DynamoDBLocal_lib",
		"-jar", JarName,
		"-disableTelemetry",
		"-port", strconv.Itoa(port),
	)
	if opts.InMemory {
		args = append(args, "-inMemory")
	} else {
		dbPath, err := filepath.Abs(opts.DBPath)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dbPath, 0o755); err != nil {
			return nil, fmt.Errorf("dynamodblocal: %w", err)
		}
		args = append(args, "-dbPath", dbPath, "-sharedDb")
	}

	s := &Server{
		Endpoint: "http://127.0.0.1:" + strconv.Itoa(port),
		Port:     port,
		out:      &syncBuffer{},
		done:     make(chan struct{}),
	}
	s.cmd = exec.Command("java", args...)
	s.cmd.Dir = opts.Dir
	s.cmd.Stdout = s.out
	s.cmd.Stderr = s.out
	s.cmd.SysProcAttr = sysProcAttr()
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("dynamodblocal: start java: %w", err)
	}
	go func() {
		s.waitErr = s.cmd.Wait()
		close(s.done)
	}()

	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return nil, fmt.Errorf("dynamodblocal: %w\n--- DynamoDB Local output ---\n%s", err, s.Output())
	}
	return s, nil
}

func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	client := NewClient(s.Endpoint, func(o *dynamodb.Options) { o.RetryMaxAttempts = 1 })
	var last error
	for {
		attempt, cancelAttempt := context.WithTimeout(ctx, 2*time.Second)
		_, err := client.ListTables(attempt, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
		cancelAttempt()
		if err == nil {
			return nil
		}
		last = err
		select {
		case <-s.done:
			return fmt.Errorf("%w: %v", errExited, s.waitErr)
		case <-ctx.Done():
			return fmt.Errorf("DynamoDB Local not ready on port %d: %v (last error: %v)", s.Port, ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Stop kills the server's process group and waits for it to exit. It is safe to call twice.
func (s *Server) Stop() {
	if s == nil || s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.stopOnce.Do(func() {
		_ = killGroup(s.cmd.Process.Pid)
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
		}
	})
}

// Output returns what the server has written so far.
func (s *Server) Output() string { return s.out.String() }

// NewClient returns an SDK client for a DynamoDB Local endpoint: static credentials, region
// eu-west-2, BaseEndpoint set to endpoint and response checksum validation turned off (the
// only place it is; a client for AWS keeps it). optFns adjust the options further.
//
// Its retryer allows more attempts than the SDK's default, waits at most a second between
// them and has no retry quota: a DynamoDB Local shared by a whole test run, on a busy machine,
// answers some transactions with a 500 ("too long waiting for a lock ... will succeed in
// actual DynamoDB API"), which AWS does not.
func NewClient(endpoint string, optFns ...func(*dynamodb.Options)) *dynamodb.Client {
	opts := dynamodb.Options{
		Region:                          Region,
		Credentials:                     credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint:                    aws.String(endpoint),
		DisableValidateResponseChecksum: true,
		Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
			o.MaxAttempts = 10
			o.MaxBackoff = time.Second
			o.RateLimiter = ratelimit.None
		}),
	}
	return dynamodb.New(opts, optFns...)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
