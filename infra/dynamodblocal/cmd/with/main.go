// Command with runs a command beside DynamoDB Local servers that all of it shares:
//
//	go run ./infra/dynamodblocal/cmd/with -- go test ./...
//
// It starts DynamoDB Local in memory on free ports, one server per CPU, at least 4 and at most
// 8 (-servers sets how many; the jar is fetched into the project's cache first if needed), and
// runs the command with KEEPSAFE_DYNAMODB_ENDPOINT set to their URLs, so that infra/dynamotest
// makes its tables there in every test binary instead of starting a server in each (see
// dynamodblocal.EndpointEnv). When the command ends, passed or failed, it stops the servers and
// exits with the command's exit code. An interrupt reaches the command as it would without this
// wrapper; the servers are stopped once the command has ended.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
)

// One server answers one request at a time in effect, and a transaction holds its locks while
// it waits: with at least 4, even on 2 CPUs, the test binaries that run side by side are seldom held up
// by each other's calls (most of such a wait is idle, not work).
var servers = flag.Int("servers", min(max(runtime.NumCPU(), 4), 8), "how many DynamoDB Local servers to start; tables are spread over them")

func main() {
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: with [-servers n] [--] command [args...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	args := flag.Args()
	if len(args) == 0 || *servers < 1 {
		flag.Usage()
		os.Exit(2)
	}
	os.Exit(run(args))
}

func run(args []string) int {
	// Signals are caught from here on, so that the servers are always stopped: an interrupt
	// from the terminal reaches the command (in the same process group) by itself, and a
	// signal sent to this process alone is passed on to it.
	signals := make(chan os.Signal, 4)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(signals)

	dir, err := dynamodblocal.Ensure(dynamodblocal.CacheDir())
	if err != nil {
		fmt.Fprintln(os.Stderr, "with:", err)
		return 1
	}
	srvs := make([]*dynamodblocal.Server, *servers)
	errs := make([]error, *servers)
	var wg sync.WaitGroup
	for i := range srvs {
		wg.Go(func() {
			srvs[i], errs[i] = dynamodblocal.Start(context.Background(), dynamodblocal.Options{Dir: dir, InMemory: true, Brief: true})
		})
	}
	wg.Wait()
	var urls []string
	for _, s := range srvs {
		if s != nil {
			defer s.Stop()
			urls = append(urls, s.Endpoint)
		}
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintln(os.Stderr, "with:", err)
		return 1
	}
	endpoint := strings.Join(urls, ",")
	fmt.Fprintf(os.Stderr, "DynamoDB Local for the run: %s=%s\n", dynamodblocal.EndpointEnv, endpoint)

	select {
	case sig := <-signals: // while the servers started
		fmt.Fprintln(os.Stderr, "with:", sig)
		return 1
	default:
	}

	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(), dynamodblocal.EndpointEnv+"="+endpoint)
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "with:", err)
		return 1
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-signals:
			_ = cmd.Process.Signal(sig)
		case err := <-done:
			var exit *exec.ExitError
			switch {
			case err == nil:
				return 0
			case errors.As(err, &exit):
				if code := exit.ExitCode(); code > 0 {
					return code
				}
				return 1 // ended by a signal
			default:
				fmt.Fprintln(os.Stderr, "with:", err)
				return 1
			}
		}
	}
}
