package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// The escalation job reads the families due a look and little else (rules E2, E5, data.md
// A24): for one school of 600 families, a real run reads far less than a Scan-based check
// of the same data, finds exactly the families the data has due, logs MISSING and raises the
// LA for exactly those it should, and a rerun the same day changes nothing. Capacity units,
// not time: `make bench` runs the same at 2,000 schools.
func TestRule_E2_E5_EscalationRunReadsOnlyTheFamiliesDueALook(t *testing.T) {
	meter := newCapacityMeter()
	db, table := dynamotest.New(t, meter.Install)
	r, err := escalationScale(context.Background(), db, table, meter, escalationConfig{
		Name: "one school", Schools: 1, MinFamilies: 600, MaxFamilies: 600, Loaders: 4, Parallel: 1, ScanSegments: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkEscalation(t, r)
	run, scan, every := r.Run.reads(), r.Scan.reads(), r.Every.reads()
	if ratio := scan.Units / run.Units; ratio < 5 {
		t.Errorf("the Scan read %v RCU, only %.1fx the run's %v RCU; want at least 5x\n%v", scan.Units, ratio, run.Units, r.Run)
	}
	if ratio := every.Units / run.Units; ratio < 5 {
		t.Errorf("a Query of every family read %v RCU, only %.1fx the run's %v RCU; want at least 5x", every.Units, ratio, run.Units)
	}
	// One school: the registry (with the school's run sheet) and one Query of its shard of
	// the look index, whatever the days since the last run.
	if run.Calls != 2 {
		t.Errorf("%d reads, want 2 (the registry, the school's shard of the look index): %v", run.Calls, r.Run)
	}
}

// The same at a federation of small schools, run side by side as the SQS worker's
// concurrency would: every school's due families are found and nothing else is read.
func TestEscalationRunAcrossAFederationReadsEachSchoolsDueFamilies(t *testing.T) {
	meter := newCapacityMeter()
	db, table := dynamotest.New(t, meter.Install)
	r, err := escalationScale(context.Background(), db, table, meter, escalationConfig{
		Name: "federation", Schools: 30, MinFamilies: 50, MaxFamilies: 100, Loaders: 4, Parallel: 8, ScanSegments: 2,
	})
	if err != nil {
		t.Fatal(err)
	}
	checkEscalation(t, r)
	// The registry once, with every school's run sheet (data.md A97), and the look index once,
	// one Query a shard (A110); the workers read nothing.
	if run := r.Run.reads(); run.Calls != 1+shardsOf(r.Config.Schools) {
		t.Errorf("%d reads for 30 schools, want %d: %v", run.Calls, 1+shardsOf(r.Config.Schools), r.Run)
	}
	if got := r.Run["GetItem"].Calls + r.Run["BatchGetItem"].Calls; got != 0 {
		t.Errorf("%d reads of single items for 30 schools, want none: the run sheets hold them", got)
	}
	// The morning run's targets (issue 20): at most 3x what the due families alone need, and
	// at least 10x less than a Scan of the same data, also counting every call at least 0.5 RCU.
	run, scan := r.Run.reads(), r.Scan.reads()
	if run.Units > 3*r.DuePacked {
		t.Errorf("the run read %v RCU, %.2fx the due families' %v; want at most 3x", run.Units, run.Units/r.DuePacked, r.DuePacked)
	}
	if run.Units*10 > scan.Units || run.Floored*10 > scan.Floored {
		t.Errorf("the Scan read %v RCU (%v floored), the run %v (%v): want the run at least 10x less", scan.Units, scan.Floored, run.Units, run.Floored)
	}
}

func checkEscalation(t *testing.T, r escalationResult) {
	t.Helper()
	p := r.Plan
	run, rerun, scan, every := r.Run.reads(), r.Rerun.reads(), r.Scan.reads(), r.Every.reads()
	if run.Missing+rerun.Missing+scan.Missing+every.Missing > 0 {
		t.Fatalf("DynamoDB Local did not report the consumed capacity of every read: run %+v, rerun %+v, scan %+v", run, rerun, scan)
	}
	if p.MissingToday == 0 || p.LAToday == 0 || p.Due < p.MissingToday+p.LAToday || p.Recent < p.Families/2 {
		t.Fatalf("the data does not have the spread it is meant to: %+v", p)
	}
	// escalationScale itself fails unless these hold; checked here so a change there shows.
	if r.RunResult.Looked != p.Due || r.ScanDue != p.Due || r.RunResult.Missing != p.MissingToday || r.RunResult.LARaised != p.LAToday {
		t.Errorf("run %+v, scan found %d; plan %+v", r.RunResult, r.ScanDue, p)
	}
	if r.RunResult.Alerts != 2*p.MissingToday+p.LAToday {
		t.Errorf("%d alerts; want one per DSL (two a school) per family logged MISSING and one to the Senior DSL per LA step", r.RunResult.Alerts)
	}
	if items := r.Run["Query GSI2"].Items; items != p.Due {
		t.Errorf("the look index returned %d families; %d are due", items, p.Due)
	}
	// The rerun reads the registry (every school's run sheet) and finds the look index empty.
	if r.Rerun["Query GSI2"].Items != 0 || r.Rerun["TransactWriteItems"].Calls != 0 || r.RerunResult.Looked != 0 ||
		rerun.Calls != 1+shardsOf(r.Config.Schools) {
		t.Errorf("the rerun the same day: %v", r.Rerun)
	}
	if scan.Scanned <= p.Families || scan.Units <= run.Units {
		t.Errorf("the Scan scanned %d items for %v RCU, the run read %v", scan.Scanned, scan.Units, run.Units)
	}
	if every.Items != p.Families || every.Calls < r.Config.Schools || every.Units <= run.Units || r.EveryDue != p.Due {
		t.Errorf("a Query of every family per school: %+v, %d due found; the run read %v", every, r.EveryDue, run.Units)
	}
	if est, got := r.RunGSI2Est, r.Run["Query GSI2"].Units; est != got {
		t.Errorf("item sizes give %v RCU for the run's look-index pages, DynamoDB Local reported %v", est, got)
	}
	var md strings.Builder
	escalationMarkdown(&md, r)
	t.Log(md.String())
}

// shardsOf is how many shards of the look index hold the benchmark's first n schools.
func shardsOf(n int) int {
	shards := map[string]bool{}
	for i := range n {
		shards[store.LookShard(safeguarding.SchoolID(fmt.Sprintf("esc-%04d", i+1)))] = true
	}
	return len(shards)
}
