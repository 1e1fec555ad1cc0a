package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
)

// TestMain stops, after every test, the local stack of the load tests (if they started it) and
// DynamoDB Local.
func TestMain(m *testing.M) {
	code := m.Run()
	if loadStack != nil {
		loadStack.Close()
	}
	dynamotest.Stop()
	os.Exit(code)
}

// The deadline engine reads what is due and little else (rule D8, data.md A17): with 2,000
// open actions of which 1% are due, a real run's reads stay within 3x of what reading the due
// items alone needs, and far below a Scan-based check of the same data. Capacity units, not
// time: `make bench` runs the same comparison at 100,000.
func TestDeadlineEngineReadsWithin3xOfTheDueItems(t *testing.T) {
	meter := newCapacityMeter()
	db, table := dynamotest.New(t, meter.Install)
	r, err := deadlineScale(context.Background(), db, table, meter, deadlineConfig{
		Schools: 2, Actions: 2000, DueEvery: 100, Concerns: 2, Loaders: 4, Parallel: 16,
	})
	if err != nil {
		t.Fatal(err)
	}
	run, scan := r.Run.reads(), r.Scan.reads()
	if run.Missing+scan.Missing+r.FirstRun.reads().Missing > 0 {
		t.Fatalf("DynamoDB Local did not report the consumed capacity of every read: run %+v, scan %+v", run, scan)
	}
	if r.Due != 20 || r.RunResult.Escalated != 20 {
		t.Fatalf("due %d, escalated %d; want 20", r.Due, r.RunResult.Escalated)
	}
	if r.DuePacked <= 0 || run.Units <= 0 {
		t.Fatalf("no read units measured: due items %v, run %v", r.DuePacked, run.Units)
	}
	if ratio := run.Units / r.DuePacked; ratio > 3 {
		t.Errorf("the run read %v RCU, %.2fx the %v RCU the due items alone need; want at most 3x\n%v", run.Units, ratio, r.DuePacked, r.Run)
	}
	if ratio := scan.Units / run.Units; ratio < 10 {
		t.Errorf("the Scan read %v RCU, only %.1fx the run's %v RCU; want at least 10x", scan.Units, ratio, run.Units)
	}
	if est, got := r.RunGSI2Estimate, r.Run["Query GSI2"].Units; est != got {
		t.Errorf("item sizes give %v RCU for the run's due-index pages, DynamoDB Local reported %v", est, got)
	}
	var md strings.Builder
	r.markdown(&md)
	t.Log(md.String())
}
