// Command bench measures what the project promises to keep small and writes BENCHMARKS.md:
// DynamoDB round trips per operation, the deadline engine's and the escalation job's read
// capacity at scale against a Scan, sealing a busy school's audit day, importing a school of
// 2,000 pupils from its MIS export (and the same file again), the governors' report of a school
// with 5,000 concerns and of a federation of 50 schools, concerns recorded and chronologies read
// through the local gateway by 1, 8 and 32 clients beside bare DynamoDB calls, a burst of 500
// concerns and the time to their last alert, the PDF of a chronology of 500
// entries, the size of each function's
// bootstrap, and each function's start-up time next to the smallest possible Go Lambda. Run
// it with `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
)

// startRuns is how many cold starts each bootstrap is timed over.
const startRuns = 41

// startupOnly measures the bootstraps alone and prints their table without writing
// BENCHMARKS.md: a quick look while working on start-up (go run ./infra/bench -startup).
var startupOnly = flag.Bool("startup", false, "measure only the bootstraps' size and start-up, print it, write nothing")

// escalationOnly measures the escalation job alone and prints its section without writing
// BENCHMARKS.md (go run ./infra/bench -escalation; ESCALATION_SCHOOLS sets the federation).
var escalationOnly = flag.Bool("escalation", false, "measure only the escalation job at scale, print its section, write nothing")

func main() {
	testing.Init()
	flag.Parse()
	ctx := context.Background()
	root, err := dynamodblocal.RepoRoot()
	if err != nil {
		log.Fatal(err)
	}
	var md strings.Builder
	if *startupOnly {
		bootstraps(&md, root)
		fmt.Print(md.String())
		return
	}
	fmt.Fprintf(&md, "# Benchmarks\n\nWritten by `make bench` on %s (%s/%s, %d CPUs). Figures from one machine: compare them with each other, not with AWS.\n\n",
		time.Now().UTC().Format(time.DateOnly), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())

	// DynamoDB round trips.
	dir, err := dynamodblocal.Ensure(dynamodblocal.CacheDir())
	if err != nil {
		log.Fatal(err)
	}
	if *escalationOnly {
		srv, err := dynamodblocal.Start(ctx, dynamodblocal.Options{Dir: dir, InMemory: true})
		if err != nil {
			log.Fatal(err)
		}
		escalation, err := escalationAtScale(ctx, srv.Endpoint)
		srv.Stop()
		if err != nil {
			log.Fatal(err)
		}
		var section strings.Builder
		escalationMarkdown(&section, escalation...)
		fmt.Print(section.String())
		return
	}
	srv, err := dynamodblocal.Start(ctx, dynamodblocal.Options{Dir: dir, InMemory: true})
	if err != nil {
		log.Fatal(err)
	}
	ops, err := roundTrips(ctx, srv.Endpoint)
	if err != nil {
		srv.Stop()
		log.Fatal(err)
	}
	deadlines, err := deadlinesAtScale(ctx, srv.Endpoint)
	srv.Stop()
	if err != nil {
		log.Fatal(err)
	}
	// The escalation job on a server of its own: once DynamoDB Local holds the deadline
	// benchmark's 100,000 items every call slows down many times over, which would measure
	// DynamoDB Local rather than the job.
	srv, err = dynamodblocal.Start(ctx, dynamodblocal.Options{Dir: dir, InMemory: true})
	if err != nil {
		log.Fatal(err)
	}
	escalation, err := escalationAtScale(ctx, srv.Endpoint)
	srv.Stop()
	if err != nil {
		log.Fatal(err)
	}
	srv, err = dynamodblocal.Start(ctx, dynamodblocal.Options{Dir: dir, InMemory: true})
	if err != nil {
		log.Fatal(err)
	}
	sealing, err := sealingAtScale(ctx, srv.Endpoint, root, 50_000)
	srv.Stop()
	if err != nil {
		log.Fatal(err)
	}
	srv, err = dynamodblocal.Start(ctx, dynamodblocal.Options{Dir: dir, InMemory: true})
	if err != nil {
		log.Fatal(err)
	}
	importing, err := importAtScale(ctx, srv.Endpoint, 2000)
	srv.Stop()
	if err != nil {
		log.Fatal(err)
	}
	srv, err = dynamodblocal.Start(ctx, dynamodblocal.Options{Dir: dir, InMemory: true})
	if err != nil {
		log.Fatal(err)
	}
	reporting, err := reportsAtScale(ctx, srv.Endpoint, 5000, 200, 50, 100)
	srv.Stop()
	if err != nil {
		log.Fatal(err)
	}
	// The load benchmark and the burst, each on a local stack of its own (the whole product).
	st, err := startLoadStack(ctx)
	if err != nil {
		log.Fatal(err)
	}
	loaded, err := loadBench(ctx, st, loadClients, loadRequests)
	st.Close()
	if err != nil {
		log.Fatal(err)
	}
	if st, err = startLoadStack(ctx); err != nil {
		log.Fatal(err)
	}
	burstOf, err := burst(ctx, st, burstConcerns, burstClients, 5*time.Minute)
	st.Close()
	if err != nil {
		log.Fatal(err)
	}
	md.WriteString("## DynamoDB round trips per operation\n\nCounted by an SDK middleware on the real client against DynamoDB Local. " +
		"Calls made side by side (errgroup) count separately but cost one round trip of latency.\n\n" +
		"| operation | calls | time per operation (DynamoDB Local) |\n|---|---|---|\n")
	for _, op := range ops {
		fmt.Fprintf(&md, "| %s | %s | %s |\n", op.name, callList(op.calls), op.perOp.Round(10*time.Microsecond))
	}
	deadlines.markdown(&md)
	escalationMarkdown(&md, escalation...)
	sealing.markdown(&md)
	importing.markdown(&md)
	reporting.markdown(&md)
	loaded.markdown(&md)
	burstOf.markdown(&md)
	chronologyPDF, err := pdfAtScale(500)
	if err != nil {
		log.Fatal(err)
	}
	chronologyPDF.markdown(&md)

	bootstraps(&md, root)
	file := filepath.Join(root, "BENCHMARKS.md")
	md.WriteString(keptSections(file))
	if err := os.WriteFile(file, []byte(md.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Print(md.String())
}

// The load benchmark's clients at each level and requests of each kind per level, and the
// burst's concerns and clients.
var (
	loadClients   = []int{1, 8, 32}
	loadRequests  = 200
	burstConcerns = 500
	burstClients  = 32
)

// bootstraps builds each function as `make build` does and writes the table of their sizes and
// start-up times, next to the smallest Go Lambda's.
func bootstraps(md *strings.Builder, root string) {
	tmp, err := os.MkdirTemp("", "bench")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	folders, _ := filepath.Glob(filepath.Join(root, "functions", "*", "main.go"))
	type fn struct{ name, pkg string }
	fns := []fn{{"minimal Go Lambda (yardstick)", "./infra/bench/minimal"}}
	for _, f := range folders {
		name := filepath.Base(filepath.Dir(f))
		fns = append(fns, fn{name, "./functions/" + name})
	}
	fmt.Fprintf(md, "\n## Bootstraps\n\nBuilt as `make build` does (`-tags lambda.norpc -trimpath -ldflags='-s -w'`, CGO off). "+
		"Size is of the arm64 binary Lambda runs. Start-up is the host build's time from exec to its first request to the Lambda Runtime API "+
		"(the end of Lambda's init phase), median of %d runs taken in turns.\n\n| function | arm64 size | start-up | vs minimal |\n|---|---|---|---|\n", startRuns)
	var hosts []string
	var sizes []int64
	for _, f := range fns {
		arm := filepath.Join(tmp, "arm64", f.name, "bootstrap")
		host := filepath.Join(tmp, "host", f.name, "bootstrap")
		if err := build(root, f.pkg, "arm64", arm); err != nil {
			log.Fatal(err)
		}
		if err := build(root, f.pkg, runtime.GOARCH, host); err != nil {
			log.Fatal(err)
		}
		st, err := os.Stat(arm)
		if err != nil {
			log.Fatal(err)
		}
		hosts = append(hosts, host)
		sizes = append(sizes, st.Size())
	}
	medians, err := startups(hosts, lambdaEnv(), startRuns)
	if err != nil {
		log.Fatal(err)
	}
	for i, f := range fns {
		fmt.Fprintf(md, "| %s | %.1f MiB | %s | %.2fx |\n", f.name, float64(sizes[i])/(1<<20),
			medians[i].Round(10*time.Microsecond), float64(medians[i])/float64(medians[0]))
	}
}

// handWritten are the sections of BENCHMARKS.md that bench does not measure (where start-up
// goes, read with GODEBUG=inittrace=1; the test suite's times, taken on a fresh clone); a new
// run keeps them as they were, at the end.
var handWritten = []string{"## Where start-up goes", "## The test suite"}

// keptSections returns the hand-written sections of the file, each up to the next "## "
// heading, with a blank line before each.
func keptSections(file string) string {
	b, err := os.ReadFile(file)
	if err != nil {
		return ""
	}
	lines := strings.SplitAfter(string(b), "\n")
	var out strings.Builder
	for i := 0; i < len(lines); i++ {
		if !slices.Contains(handWritten, strings.TrimRight(lines[i], "\n")) {
			continue
		}
		out.WriteString("\n")
		out.WriteString(lines[i])
		for i+1 < len(lines) && !strings.HasPrefix(lines[i+1], "## ") {
			i++
			out.WriteString(lines[i])
		}
	}
	kept := strings.TrimRight(out.String(), "\n")
	if kept == "" {
		return ""
	}
	return kept + "\n"
}

func callList(calls map[string]int) string {
	var parts []string
	for op, n := range calls {
		parts = append(parts, fmt.Sprintf("%d %s", n, op))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}
