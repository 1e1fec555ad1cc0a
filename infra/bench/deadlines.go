package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// deadlineConfig is the size of the deadline engine's benchmark.
type deadlineConfig struct {
	Schools  int // schools, each with a teacher, a DSL and a Senior DSL
	Actions  int // open actions in all, spread evenly over the schools
	DueEvery int // one action in DueEvery is due a look at the run's time (100: 1%)
	Concerns int // concerns per school the actions are spread over
	Loaders  int // goroutines loading the actions
	Parallel int // schools the engine works on at once (the deadlines function's setting)
	// ScanSegments splits the Scan-based check into a parallel Scan of that many segments
	// (it reads, and costs, the same: DynamoDB Local is slow to page far into one Scan).
	ScanSegments int
	Progress     io.Writer // where loading reports its progress; nil for none
}

// deadlineResult is what the benchmark measured. Every figure comes from one table.
type deadlineResult struct {
	Config  deadlineConfig
	Now     time.Time
	Due     int // actions built due at Now
	Load    time.Duration
	Scan    usage // the Scan-based check
	ScanDue int   // items the Scan found due
	ScanDur time.Duration

	// The due items alone, from their sizes (read from the Scan's answer).
	DueBytes     int
	DuePacked    float64 // all of them in one read, rounded up once
	DuePerSchool float64 // one read per school holding just its due items, rounded up per school
	DuePerItem   float64 // each on its own, rounded up per item

	FirstRun    usage // the reads of a school's first run (no day reached yet), without its writes
	FirstRunDue int
	Run         usage // the real run, with the registry as a run earlier today left it
	RunResult   deadlines.DeadlineRun
	RunDur      time.Duration
	// RunGSI2Estimate is the run's due-index pages worked out from their items' sizes, per page:
	// a check of the size rules against DynamoDB Local's own figure.
	RunGSI2Estimate float64
}

// deadlineScale builds the benchmark's data in table through db (on which meter is installed),
// then measures, over the same data: a Scan-based check of what is due, the reads of a first
// run of the engine, and a real run of the engine.
func deadlineScale(ctx context.Context, db *dynamodb.Client, table string, meter *capacityMeter, cfg deadlineConfig) (deadlineResult, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	// A Tuesday afternoon in term (London is on UTC in November).
	now := time.Date(2026, 11, 24, 15, 0, 0, 0, time.UTC)
	res := deadlineResult{Config: cfg, Now: now}
	st := store.New(db, table)

	start := time.Now()
	actions, due, err := buildActions(ctx, st, cfg, now)
	if err != nil {
		return res, err
	}
	res.Due = due
	fmt.Fprintf(progress, "deadlines: loading %d actions (%d due) into %d schools with %d goroutines\n", len(actions), due, cfg.Schools, cfg.Loaders)
	if err := loadActions(ctx, st, actions, cfg.Loaders, progress); err != nil {
		return res, err
	}
	res.Load = time.Since(start)
	fmt.Fprintf(progress, "deadlines: loaded in %s\n", res.Load.Round(time.Second))

	// The Scan-based check: every item of the table, filtered to what is due.
	var mu sync.Mutex
	bySchool := map[string]int{}
	meter.Reset()
	meter.Keep(func(label string, items []map[string]types.AttributeValue) {
		if label != "Scan" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, it := range items {
			size := itemSize(it)
			school, _ := it["school"].(*types.AttributeValueMemberS)
			if school != nil {
				bySchool[school.Value] += size
			}
			res.DueBytes += size
			res.DuePerItem += readUnits(size)
		}
	})
	start = time.Now()
	if res.ScanDue, err = scanDue(ctx, db, table, now, max(1, cfg.ScanSegments), progress); err != nil {
		return res, err
	}
	res.ScanDur = time.Since(start)
	meter.Keep(nil)
	res.Scan = meter.Snapshot()
	res.DuePacked = readUnits(res.DueBytes)
	for _, b := range bySchool {
		res.DuePerSchool += readUnits(b)
	}
	if res.ScanDue != due {
		return res, fmt.Errorf("the Scan found %d items due, the data has %d", res.ScanDue, due)
	}
	fmt.Fprintf(progress, "deadlines: Scan found %d due in %s\n", res.ScanDue, res.ScanDur.Round(time.Millisecond))

	// A school's first run reads every local day of the week before now: the same reads as
	// RunSchool makes, without its writes (which would take the items off the index).
	meter.Reset()
	schools, err := st.Schools(ctx)
	if err != nil {
		return res, err
	}
	for _, s := range schools {
		items, err := st.DueItems(ctx, s.ID, s.From, now)
		if err != nil {
			return res, err
		}
		res.FirstRunDue += len(items)
		if len(items) > 0 {
			if _, err := st.School(ctx, s.ID); err != nil {
				return res, err
			}
		}
	}
	res.FirstRun = meter.Snapshot()

	// The real run, as the schedule makes it every 15 minutes: an earlier run today reached
	// today for every school.
	for _, s := range schools {
		if err := st.Reached(ctx, s.ID, now.Add(-15*time.Minute)); err != nil {
			return res, err
		}
	}
	meter.Reset()
	meter.Keep(func(label string, items []map[string]types.AttributeValue) {
		if label != "Query GSI2" {
			return
		}
		size := 0
		for _, it := range items {
			size += itemSize(it)
		}
		mu.Lock()
		defer mu.Unlock()
		res.RunGSI2Estimate += readUnits(size)
	})
	start = time.Now()
	res.RunResult, err = deadlines.Deadlines{Store: st, Parallel: cfg.Parallel}.Run(ctx, now)
	res.RunDur = time.Since(start)
	meter.Keep(nil)
	res.Run = meter.Snapshot()
	if err != nil {
		return res, fmt.Errorf("deadline run: %w", err)
	}
	if res.RunResult.Due != due || res.RunResult.Escalated != due {
		return res, fmt.Errorf("the run found %d due and escalated %d; the data has %d due", res.RunResult.Due, res.RunResult.Escalated, due)
	}
	fmt.Fprintf(progress, "deadlines: run escalated %d in %s\n", res.RunResult.Escalated, res.RunDur.Round(time.Millisecond))
	return res, nil
}

// scanDue is the Scan-based check: it reads the whole table, eventually consistent and page by
// page (in segments side by side), and keeps what is due at now. It returns how many are.
func scanDue(ctx context.Context, db *dynamodb.Client, table string, now time.Time, segments int, progress io.Writer) (int, error) {
	var found, pages atomic.Int64
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for seg := range segments {
		g.Go(func() error {
			in := &dynamodb.ScanInput{
				TableName:        &table,
				FilterExpression: aws.String("dueActive = :true AND dueNextAt <= :now"),
				ExpressionAttributeValues: map[string]types.AttributeValue{
					":true": &types.AttributeValueMemberBOOL{Value: true},
					":now":  &types.AttributeValueMemberS{Value: now.Format(time.RFC3339Nano)},
				},
			}
			if segments > 1 {
				in.Segment, in.TotalSegments = aws.Int32(int32(seg)), aws.Int32(int32(segments))
			}
			pager := dynamodb.NewScanPaginator(db, in)
			for pager.HasMorePages() {
				page, err := pager.NextPage(gctx)
				if err != nil {
					return fmt.Errorf("scan: %w", err)
				}
				found.Add(int64(len(page.Items)))
				if n := pages.Add(1); n%20 == 0 {
					fmt.Fprintf(progress, "deadlines: Scan page %d (%s)\n", n, time.Since(start).Round(time.Second))
				}
			}
			return nil
		})
	}
	err := g.Wait()
	return int(found.Load()), err
}

// buildActions saves the schools and makes the actions with the domain's own code: concerns
// recorded by a teacher, actions set by the DSL, assigned in turn to the teacher and the DSL.
// One action in cfg.DueEvery has its next look (a reminder) between five hours before now and
// now, on today's date; every other one is due 2 to 30 days later.
func buildActions(ctx context.Context, st *store.Store, cfg deadlineConfig, now time.Time) ([]casework.Action, int, error) {
	cal := calendar.EnglandAndWales()
	cat := concerns.PolicyCatalogue()
	recordedAt := now.Add(-7 * time.Hour)
	createdAt := now.Add(-6 * time.Hour)
	perSchool := cfg.Actions / cfg.Schools
	var out []casework.Action
	due := 0
	for s := range cfg.Schools {
		id := safeguarding.SchoolID(fmt.Sprintf("bench-%03d", s+1))
		staff := func(who string) string { return fmt.Sprintf("%s@%s.example", who, id) }
		roster := []safeguarding.StaffMember{
			{Email: staff("teacher"), Roles: []safeguarding.Role{safeguarding.RoleTeacher}},
			{Email: staff("dsl"), Roles: []safeguarding.Role{safeguarding.RoleDSL}},
			{Email: staff("senior-dsl"), Roles: []safeguarding.Role{safeguarding.RoleSeniorDSL}},
		}
		school := safeguarding.School{ID: id, Name: fmt.Sprintf("Bench School %d", s+1), Roster: roster}
		if err := st.PutSchool(ctx, school); err != nil {
			return nil, 0, err
		}
		member := func(m safeguarding.StaffMember) safeguarding.Principal {
			return safeguarding.Principal{Email: m.Email, Name: m.Email, Memberships: map[safeguarding.SchoolID][]safeguarding.Role{id: m.Roles}}
		}
		teacher, dsl := member(roster[0]), member(roster[1])
		var recorded []concerns.Concern
		for c := range cfg.Concerns {
			pupil := safeguarding.Pupil{ID: safeguarding.PupilID(fmt.Sprintf("p%d", c+1)), School: id, Name: fmt.Sprintf("Pupil %d", c+1)}
			concern, err := concerns.RecordConcern(safeguarding.ConcernID(store.NewID(recordedAt)), concerns.NewConcern{
				PupilIDs: []safeguarding.PupilID{pupil.ID}, Category: "safeguarding", ObservedAt: recordedAt.Add(-time.Hour),
				Details: "Came to school without a coat again and said there was no food at home at the weekend.",
			}, teacher, school, map[safeguarding.PupilID]safeguarding.Pupil{pupil.ID: pupil}, cat, cal, recordedAt)
			if err != nil {
				return nil, 0, fmt.Errorf("concern: %w", err)
			}
			recorded = append(recorded, concern)
		}
		for j := range perSchool {
			c := recorded[j%len(recorded)]
			n := j/len(recorded) + 1
			isDue := j%cfg.DueEvery == 0
			var dueAt time.Time
			if isDue { // next look (two hours before the due time) 0 to 299 minutes before now
				dueAt = now.Add(2*time.Hour - time.Duration((j/cfg.DueEvery*37)%300)*time.Minute)
			} else { // due 2 to 30 days on, at some time of day
				dueAt = now.AddDate(0, 0, 2+j%29).Add(time.Duration(j%360)*time.Minute - 3*time.Hour)
			}
			assignee := roster[j%2].Email
			a, err := casework.CreateAction(casework.ActionID(fmt.Sprintf("%s-A%d", c.ID(), n)), casework.NewAction{
				Type: string(casework.ActionCheckIn), AssigneeEmail: assignee,
				Notes: "Check in with the pupil at morning break; ask about meals and sleep, and note what is said in their own words.",
				DueAt: &dueAt, DueReason: "Agreed with the family at the meeting.",
			}, c, dsl, school, cal, createdAt)
			if err != nil {
				return nil, 0, fmt.Errorf("action %d of %s: %w", j, id, err)
			}
			if _, _, ok := casework.ParseActionID(a.ID()); !ok {
				return nil, 0, fmt.Errorf("action id %q does not parse", a.ID())
			}
			if next := a.DueItem().Due.NextAt; !next.After(now) != isDue || (isDue && safeguarding.LocalDay(next) != safeguarding.LocalDay(now)) {
				return nil, 0, fmt.Errorf("action %s: next look %s does not fit the plan (due: %v)", a.ID(), next, isDue)
			}
			if isDue {
				due++
			}
			out = append(out, a)
		}
	}
	return out, due, nil
}

// loadActions writes the actions with PutActions (BatchWriteItem, 25 a call) from several
// goroutines, reporting every 10,000.
func loadActions(ctx context.Context, st *store.Store, actions []casework.Action, workers int, progress io.Writer) error {
	const chunk = 500
	var done atomic.Int64
	next := make(chan []casework.Action)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(next)
		for part := range slices.Chunk(actions, chunk) {
			select {
			case next <- part:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	started := time.Now()
	for range max(1, workers) {
		g.Go(func() error {
			for part := range next {
				if err := st.PutActions(gctx, part); err != nil {
					return err
				}
				n := done.Add(int64(len(part)))
				if n%10000 < chunk && n >= 10000 || int(n) == len(actions) {
					fmt.Fprintf(progress, "deadlines: %d/%d loaded (%s)\n", n, len(actions), time.Since(started).Round(time.Second))
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// markdown writes the section of BENCHMARKS.md.
func (r deadlineResult) markdown(md *strings.Builder) {
	c := r.Config
	run, first, scan := r.Run.reads(), r.FirstRun.reads(), r.Scan.reads()
	fmt.Fprintf(md, "\n## Deadline engine at scale\n\n"+
		"%s open actions in %d schools (a teacher, a DSL and a Senior DSL each), made with the domain's own code "+
		"(`RecordConcern`, %d concerns a school, then `CreateAction`) and loaded with `PutActions` from %d goroutines (%s to build and load). "+
		"%s of them (1 in %d) have their next look at or before the run's time %s, all earlier that day; "+
		"every other one is due 2 to 30 days later. The engine's run is the real `Deadlines.Run` (%d schools at once, as the function runs it), "+
		"with the registry as a run earlier that day left it; the Scan-based check scans the whole table with "+
		"`dueActive = :true AND dueNextAt <= :now` (eventually consistent, paged%s), over the same data before the run. "+
		"A school's first run (no day reached yet) is measured apart, reads only: it queries each local day of the week before. "+
		"The table holds only these actions and the schools; a real one also holds concerns, chronologies and audit entries, "+
		"which a Scan reads too and the engine does not.\n\n",
		thousands(c.Actions), c.Schools, c.Concerns, c.Loaders, r.Load.Round(time.Second),
		thousands(r.Due), c.DueEvery, r.Now.Format(time.RFC3339), c.Parallel, segmentsNote(c.ScanSegments))
	fmt.Fprintf(md, "**Method.** Read capacity is DynamoDB Local's own figure: an SDK middleware sets `ReturnConsumedCapacity = TOTAL` on every "+
		"Query, Scan, GetItem and BatchGetItem and adds up `ConsumedCapacity.CapacityUnits` of the answers (%d answers lacked it). "+
		"DynamoDB Local bills an eventually consistent Query or Scan 0.5 RCU per 4 KB of the items read in each page, rounded up per page, "+
		"a GetItem at least 0.5 RCU, and a Query that finds nothing 0; the last column counts every call at least 0.5 RCU, "+
		"in case AWS bills an empty Query as it does a GetItem. As a check, the run's due-index pages worked out from their items' sizes "+
		"(attribute names plus values, DynamoDB's rules) come to %s RCU; DynamoDB Local reported %s. "+
		"What the due items alone need is worked out from their sizes (%s bytes in all, %s bytes each on average, read from the Scan's answer).\n\n",
		first.Missing+run.Missing+scan.Missing, rcu(r.RunGSI2Estimate), rcu(r.Run["Query GSI2"].Units),
		thousands(r.DueBytes), thousands(r.DueBytes/max(1, r.Due)))

	md.WriteString("| reads | calls | items read | RCU | RCU, 0.5 floor a call |\n|---|---|---|---|---|\n")
	fmt.Fprintf(md, "| the due items alone, in one read (sizes summed, rounded up once) | - | %s | %s | - |\n", thousands(r.Due), rcu(r.DuePacked))
	fmt.Fprintf(md, "| the due items alone, one read per school (rounded up per school) | %d | %s | %s | - |\n", c.Schools, thousands(r.Due), rcu(r.DuePerSchool))
	fmt.Fprintf(md, "| the due items alone, each on its own (rounded up per item) | %s | %s | %s | - |\n", thousands(r.Due), thousands(r.Due), rcu(r.DuePerItem))
	for _, l := range r.Run.labels() {
		if u := r.Run[l]; isRead(l) {
			fmt.Fprintf(md, "| run: %s | %d | %s | %s | %s |\n", l, u.Calls, thousands(u.Items), rcu(u.Units), rcu(u.Floored))
		}
	}
	fmt.Fprintf(md, "| **run: every read** | %d | %s | **%s** | %s |\n", run.Calls, thousands(run.Items), rcu(run.Units), rcu(run.Floored))
	fmt.Fprintf(md, "| a school's first run, reads only (a week of days per school) | %d | %s | %s | %s |\n", first.Calls, thousands(first.Items), rcu(first.Units), rcu(first.Floored))
	fmt.Fprintf(md, "| **Scan-based check** (%s items scanned, %s found due) | %d | %s | **%s** | %s |\n\n",
		thousands(scan.Scanned), thousands(r.ScanDue), scan.Calls, thousands(scan.Scanned), rcu(scan.Units), rcu(scan.Floored))

	fmt.Fprintf(md, "- **run / due items alone: %.2fx** (against one read of them all; target at most 3x); %.2fx against one read per school, %.2fx against a read of each.\n",
		run.Units/r.DuePacked, run.Units/r.DuePerSchool, run.Units/r.DuePerItem)
	fmt.Fprintf(md, "- **Scan / run: %.0fx** (%s RCU against %s). With a 0.5 RCU floor a call: run %.2fx the due items, first run %.2fx.\n",
		scan.Units/run.Units, rcu(scan.Units), rcu(run.Units), run.Floored/r.DuePacked, first.Floored/r.DuePacked)
	var writes []string
	for _, l := range r.Run.labels() {
		if u := r.Run[l]; !isRead(l) {
			writes = append(writes, fmt.Sprintf("%s %s (%s WCU)", thousands(u.Calls), l, rcu(u.Units)))
		}
	}
	fmt.Fprintf(md, "- The run's writes, for information: %s: one transaction per item moved (its update and its alerts), one registry update per school. "+
		"It escalated %s items with %s alerts.\n",
		strings.Join(writes, ", "), thousands(r.RunResult.Escalated), thousands(r.RunResult.Alerts))
	fmt.Fprintf(md, "- Time against DynamoDB Local (this machine, not AWS): the run %s, the Scan %s.\n",
		r.RunDur.Round(time.Millisecond), r.ScanDur.Round(time.Millisecond))
}

func segmentsNote(n int) string {
	if n <= 1 {
		return ""
	}
	return fmt.Sprintf("; a parallel Scan of %d segments, which reads the same items at the same cost, because DynamoDB Local slows down paging far into one Scan", n)
}

func rcu(u float64) string {
	if u == float64(int64(u)) {
		return thousands(int(u))
	}
	return fmt.Sprintf("%s.%d", thousands(int(u)), int((u-float64(int64(u)))*10+0.5))
}

// thousands writes n with commas: 100,000.
func thousands(n int) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// deadlinesAtScale runs the benchmark at its full size in a new table of the server at
// endpoint: 100,000 open actions in 50 schools, 1% of them due.
func deadlinesAtScale(ctx context.Context, endpoint string) (deadlineResult, error) {
	meter := newCapacityMeter()
	db := dynamodblocal.NewClient(endpoint, meter.Install)
	table := fmt.Sprintf("bench-deadlines-%d", time.Now().UnixNano())
	if err := dynamodblocal.CreateScratchTable(ctx, db, table); err != nil {
		return deadlineResult{}, err
	}
	return deadlineScale(ctx, db, table, meter, deadlineConfig{
		Schools: 50, Actions: 100_000, DueEvery: 100, Concerns: 5, Loaders: 8, Parallel: 16, ScanSegments: 16, Progress: os.Stderr,
	})
}
