package main

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
)

// One local stack for the load and burst tests of the package, closed after them all (TestMain).
var (
	loadStack    *stack.Stack
	loadStackErr error
	loadOnce     sync.Once
)

func sharedLoadStack(t *testing.T) *stack.Stack {
	t.Helper()
	if testing.Short() {
		t.Skip("starts the local stack")
	}
	loadOnce.Do(func() { loadStack, loadStackErr = startLoadStack(context.Background()) })
	if loadStackErr != nil {
		t.Fatal(loadStackErr)
	}
	return loadStack
}

// The load benchmark at a tiny size: every concern the gateway answered 201 for is in its
// school's concern list once, and every request of each level was timed. Counts, never times:
// `make bench` runs 1, 8 and 32 clients.
func TestLoadBenchmarkRecordsEveryConcernOnce(t *testing.T) {
	ctx := context.Background()
	st := sharedLoadStack(t)
	r, err := loadBench(ctx, st, []int{1, 3}, 4)
	if err != nil {
		t.Fatal(err)
	}
	if want := 1 + 2*4; r.Recorded != want || r.Distinct != want || r.Stored != want {
		t.Errorf("%d concerns answered 201, %d distinct, %d stored; want %d of each", r.Recorded, r.Distinct, r.Stored, want)
	}
	if len(r.Levels) != 2 {
		t.Fatalf("%d levels", len(r.Levels))
	}
	for _, l := range r.Levels {
		for name, got := range map[string]latencies{"write": l.Write, "read": l.Read, "bare write": l.BareWrite, "bare read": l.BareRead} {
			if len(got.times) != 4 || got.pct(0.99) <= 0 {
				t.Errorf("%d clients, %s: %d times", l.Clients, name, len(got.times))
			}
		}
	}
	// A concern's write: at least the concern, its chronology entry, its audit entry, an alert
	// to each DSL and Senior DSL, and the request record.
	if r.Items < 5 {
		t.Errorf("the yardstick copies %d items a concern's write made", r.Items)
	}
	var md strings.Builder
	r.markdown(&md)
	t.Log(md.String())
}

// The burst at a tiny size: every concern recorded once, and every DSL and Senior DSL of its
// school alerted by SMS and email through the stream, the alerts function and SNS, once.
func TestBurstAlertsEveryDSLOfEveryConcern(t *testing.T) {
	ctx := context.Background()
	st := sharedLoadStack(t)
	r, err := burst(ctx, st, 10, 4, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if r.Recorded != 10 || r.Distinct != 10 || r.Stored != 10 {
		t.Errorf("%d answered 201, %d distinct, %d stored; want 10", r.Recorded, r.Distinct, r.Stored)
	}
	if r.Expected < 10*4 || r.Alerted != r.Expected || r.Concerned != 10 || r.Extra != 0 {
		t.Errorf("alerts: %d called for, %d published, %d twice; %d concerns with every DSL alerted", r.Expected, r.Alerted, r.Extra, r.Concerned)
	}
	var md strings.Builder
	r.markdown(&md)
	t.Log(md.String())
}
