package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
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
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// escalationConfig is the size of one escalation benchmark (rules E2-E5: the daily job on
// families who go quiet).
type escalationConfig struct {
	Name        string // what the data is, for BENCHMARKS.md
	Schools     int
	MinFamilies int // families per school, drawn evenly from MinFamilies to MaxFamilies
	MaxFamilies int
	Loaders     int // goroutines loading the data
	Parallel    int // schools run at once, as the SQS worker's concurrency would
	// ScanSegments splits the Scan-based check into a parallel Scan of that many segments (it
	// reads, and costs, the same).
	ScanSegments int
	Progress     io.Writer // where loading reports its progress; nil for none
}

// escalationPlan is what the data was built to hold at the run's time.
type escalationPlan struct {
	Families     int
	Children     int
	Untracked    int // never acknowledged, tracking not started: never looked at
	Recent       int // 0 to 5 silent school days
	MissingToday int // 6 silent school days at the run: logged MISSING by it
	Missing      int // 7 to 19: MISSING already
	LAToday      int // 20 at the run: the LA raised by it
	LARaised     int // 21 or more: MISSING and the LA raised already
	Due          int // families whose next look is on or before the run's day
}

// escalationResult is what one benchmark measured. Every figure comes from one table.
type escalationResult struct {
	Config escalationConfig
	Now    time.Time
	Plan   escalationPlan
	Load   time.Duration

	Scan    usage // the Scan-based check
	ScanDue int   // families the Scan found due a look
	ScanDur time.Duration
	// Every family of every school, one Query of the school's families list (GSI1, A41) each.
	Every    usage
	EveryDue int
	EveryDur time.Duration
	// Sizes from the Scan's answer: every family, and the families due a look.
	FamilyBytes  int
	DueBytes     int
	DuePacked    float64 // the due families alone, in one read (rounded up once)
	DuePerSchool float64 // the due families alone, one read per school

	Run         usage // the real run: the fan-out's read of the registry, then each school's worker
	RunResult   engagement.EscalationRun
	RunDur      time.Duration
	RunGSI2Est  float64 // the run's look-index pages worked out from their items' sizes
	Rerun       usage   // the same run again, the same day
	RerunResult engagement.EscalationRun
	RerunDur    time.Duration
}

// The run's day: Tuesday 24 November 2026, 05:30 in London (on UTC in November), the day
// after a run on Monday reached every school.
var (
	escalationNow  = time.Date(2026, 11, 24, 5, 30, 0, 0, time.UTC)
	escalationPrev = time.Date(2026, 11, 23, 5, 30, 0, 0, time.UTC)
)

// benchCalendar is each school's own calendar: the autumn term with its half term, so the
// longer silences span a holiday (the job counts school days, and looks early, never late).
func benchCalendar(id safeguarding.SchoolID) safeguarding.SchoolCalendar {
	d := func(s string) time.Time {
		t, _ := time.ParseInLocation(time.DateOnly, s, safeguarding.London)
		return t
	}
	return safeguarding.SchoolCalendar{School: id, Version: 1,
		Terms: []safeguarding.Term{{Name: "Autumn 2026", From: d("2026-09-03"), To: d("2026-12-18")},
			{Name: "Spring 2027", From: d("2027-01-05"), To: d("2027-03-26")}},
		DaysOff: []safeguarding.DayOff{{Kind: safeguarding.DayOffHoliday, From: d("2026-10-26"), To: d("2026-10-30"), Note: "Half term"},
			{Kind: safeguarding.DayOffINSET, From: d("2026-11-27"), To: d("2026-11-27")}}}
}

// escalationScale builds the benchmark's data in table through db (on which meter is
// installed), then measures over the same data: a Scan-based check of which families are due
// a look, the real run (as the schedule and its SQS worker make it: the registry read once,
// then FamilyEscalation.RunSchool per school, Parallel at once), and the same run again.
func escalationScale(ctx context.Context, db *dynamodb.Client, table string, meter *capacityMeter, cfg escalationConfig) (escalationResult, error) {
	progress := cfg.Progress
	if progress == nil {
		progress = io.Discard
	}
	now := escalationNow
	res := escalationResult{Config: cfg, Now: now}
	st := store.New(db, table)
	bank := calendar.EnglandAndWales()

	start := time.Now()
	schools, families, plan, err := buildFamilies(cfg, bank, now)
	if err != nil {
		return res, err
	}
	res.Plan = plan
	fmt.Fprintf(progress, "escalation (%s): loading %d schools and %d families (%d due a look) with %d goroutines\n",
		cfg.Name, len(schools), len(families), plan.Due, cfg.Loaders)
	if err := loadFamilies(ctx, st, schools, families, cfg.Loaders, progress, cfg.Name); err != nil {
		return res, err
	}
	res.Load = time.Since(start)
	fmt.Fprintf(progress, "escalation (%s): loaded in %s\n", cfg.Name, res.Load.Round(time.Second))

	// The Scan-based check: every item of the table; the families among them are kept and
	// those with a next look on or before today counted.
	today := now.In(safeguarding.London).Format(time.DateOnly)
	var mu sync.Mutex
	due := map[string]int{}
	meter.Reset()
	meter.Keep(func(label string, items []map[string]types.AttributeValue) {
		if label != "Scan" {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		for _, it := range items {
			size := itemSize(it)
			school := attrString(it, "school")
			res.FamilyBytes += size
			if look := attrString(it, "nextLook"); look != "" && look <= today {
				due[school] += size
				res.DueBytes += size
				res.ScanDue++
			}
		}
	})
	start = time.Now()
	if err := scanFamilies(ctx, db, table, max(1, cfg.ScanSegments)); err != nil {
		return res, err
	}
	res.ScanDur = time.Since(start)
	meter.Keep(nil)
	res.Scan = meter.Snapshot()
	for _, b := range due {
		res.DuePerSchool += readUnits(b)
	}
	res.DuePacked = readUnits(res.DueBytes)
	if res.ScanDue != plan.Due {
		return res, fmt.Errorf("the Scan found %d families due a look, the data has %d", res.ScanDue, plan.Due)
	}
	fmt.Fprintf(progress, "escalation (%s): Scan found %d due in %s\n", cfg.Name, res.ScanDue, res.ScanDur.Round(time.Millisecond))

	// The other full approach: every family of every school, one Query of each school's
	// families list (GSI1, the H1 report's partition), side by side.
	meter.Reset()
	meter.Keep(func(label string, items []map[string]types.AttributeValue) {
		mu.Lock()
		defer mu.Unlock()
		for _, it := range items {
			if look := attrString(it, "nextLook"); attrString(it, "type") == "family" && look != "" && look <= today {
				res.EveryDue++
			}
		}
	})
	start = time.Now()
	err = queryEveryFamily(ctx, db, table, schools, cfg.Parallel)
	res.EveryDur = time.Since(start)
	meter.Keep(nil)
	res.Every = meter.Snapshot()
	if err != nil {
		return res, err
	}
	if got := res.Every.reads().Items; got != plan.Families || res.EveryDue != plan.Due {
		return res, fmt.Errorf("a Query per school read %d families and found %d due; the data has %d families, %d due", got, res.EveryDue, plan.Families, plan.Due)
	}

	job := engagement.FamilyEscalation{Store: st, BankHolidays: bank, NewID: store.NewID}
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
		res.RunGSI2Est += readUnits(size)
	})
	start = time.Now()
	res.RunResult, err = runEscalation(ctx, st, job, now, cfg.Parallel)
	res.RunDur = time.Since(start)
	meter.Keep(nil)
	res.Run = meter.Snapshot()
	if err != nil {
		return res, fmt.Errorf("escalation run: %w", err)
	}
	r := res.RunResult
	if r.Looked != plan.Due || r.Missing != plan.MissingToday || r.LARaised != plan.LAToday || r.Skipped != 0 || r.Schools != cfg.Schools {
		return res, fmt.Errorf("the run looked at %d, logged %d missing, raised the LA for %d, skipped %d in %d schools; the data has %d due, %d to log missing, %d for the LA in %d schools",
			r.Looked, r.Missing, r.LARaised, r.Skipped, r.Schools, plan.Due, plan.MissingToday, plan.LAToday, cfg.Schools)
	}
	fmt.Fprintf(progress, "escalation (%s): run looked at %d, %d missing, %d LA in %s\n", cfg.Name, r.Looked, r.Missing, r.LARaised, res.RunDur.Round(time.Millisecond))

	// The same run again, the same day (a redelivered message, a second schedule firing).
	meter.Reset()
	start = time.Now()
	res.RerunResult, err = runEscalation(ctx, st, job, now, cfg.Parallel)
	res.RerunDur = time.Since(start)
	res.Rerun = meter.Snapshot()
	if err != nil {
		return res, fmt.Errorf("escalation rerun: %w", err)
	}
	if rr := res.RerunResult; rr.Looked != 0 || rr.Missing != 0 || rr.LARaised != 0 || rr.Alerts != 0 || res.Rerun["TransactWriteItems"].Calls != 0 {
		return res, fmt.Errorf("the rerun the same day did something: %+v, %v", rr, res.Rerun)
	}
	return res, nil
}

func attrString(item map[string]types.AttributeValue, name string) string {
	if v, ok := item[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// dueKept is how many families due a look the fan-out keeps for one school (as the
// escalation function's fan-out does; a school with more reads its own).
const dueKept = 200

// runEscalation is one daily run as the EscalationFunction makes it: on a day that is a school
// day somewhere, the registry and the look index read once (the fan-out: the registry's
// Query, then one Query a shard of the look index holding a school), then one school per message,
// each the worker's FamilyEscalation.RunSchoolWith with the school's run sheet from the
// registry and its families due a look (as its message carries them), parallel schools at once.
func runEscalation(ctx context.Context, st *store.Store, job engagement.FamilyEscalation, now time.Time, parallel int) (engagement.EscalationRun, error) {
	total := engagement.EscalationRun{At: now.UTC()}
	if !job.BankHolidays.IsSchoolDay(now) {
		return total, nil
	}
	total.SchoolDay = true
	schools, err := st.EscalationSheets(ctx)
	if err != nil {
		return total, err
	}
	ids := make([]safeguarding.SchoolID, len(schools))
	for i, s := range schools {
		ids[i] = s.ID
	}
	due, err := st.FamiliesDue(ctx, now, ids, dueKept)
	if err != nil {
		return total, err
	}
	for i := range schools {
		due.For(&schools[i])
	}
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, parallel))
	for _, s := range schools {
		g.Go(func() error {
			r, err := job.RunSchoolWith(gctx, s, now)
			if err != nil {
				return fmt.Errorf("school %s: %w", s.ID, err)
			}
			mu.Lock()
			defer mu.Unlock()
			total.Schools++
			total.Looked += r.Looked
			total.Missing += r.Missing
			total.LARaised += r.LARaised
			total.Alerts += r.Alerts
			total.Skipped += r.Skipped
			return nil
		})
	}
	return total, g.Wait()
}

// scanFamilies is the Scan-based check: it reads the whole table, eventually consistent and
// page by page (in segments side by side), keeping the families.
func scanFamilies(ctx context.Context, db *dynamodb.Client, table string, segments int) error {
	g, gctx := errgroup.WithContext(ctx)
	for seg := range segments {
		g.Go(func() error {
			in := &dynamodb.ScanInput{
				TableName:                 &table,
				FilterExpression:          aws.String("#type = :family"),
				ExpressionAttributeNames:  map[string]string{"#type": "type"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":family": &types.AttributeValueMemberS{Value: "family"}},
			}
			if segments > 1 {
				in.Segment, in.TotalSegments = aws.Int32(int32(seg)), aws.Int32(int32(segments))
			}
			pager := dynamodb.NewScanPaginator(db, in)
			for pager.HasMorePages() {
				if _, err := pager.NextPage(gctx); err != nil {
					return fmt.Errorf("scan: %w", err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// queryEveryFamily reads every family of every school: one Query (paged) of each school's
// families list, the partition of GSI1 the H1 report reads (data.md A41), here with whole
// items, as a job deciding from them would need.
func queryEveryFamily(ctx context.Context, db *dynamodb.Client, table string, schools []benchSchool, parallel int) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, parallel))
	for _, s := range schools {
		g.Go(func() error {
			pager := dynamodb.NewQueryPaginator(db, &dynamodb.QueryInput{
				TableName: &table, IndexName: aws.String("GSI1"),
				KeyConditionExpression:    aws.String("GSI1PK = :pk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: "SCHOOL#" + string(s.school.ID) + "#FAMILIES"}},
			})
			for pager.HasMorePages() {
				if _, err := pager.NextPage(gctx); err != nil {
					return fmt.Errorf("families of %s: %w", s.school.ID, err)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// benchSchool is one school of the benchmark with its calendar.
type benchSchool struct {
	school  safeguarding.School
	cal     safeguarding.SchoolCalendar
	closure safeguarding.Closure
}

// buildFamilies makes the schools and their families with the domain's own code. Each family
// is acknowledged (Family.Acknowledge, its next look as the engagement API sets it) on a school
// day chosen for the silence it should have at now, and then goes through every daily run
// since, in memory (Family.Check on each school day its next look had come), so it is stored
// as the job left it: MISSING once 6 school days silent, the LA raised at 20, looked at again
// early when a holiday delayed the count. Most families acknowledged in the last week; a few
// are silent 6 or more school days, fewer 20 or more, and a few were never acknowledged.
func buildFamilies(cfg escalationConfig, bank safeguarding.Calendar, now time.Time) ([]benchSchool, []contact.Family, escalationPlan, error) {
	var plan escalationPlan
	cal := benchCalendar("")
	cal.BankHolidays = bank
	today := safeguarding.LocalDay(now)
	yesterday := today.AddDate(0, 0, -1)
	// The school days before today, latest first: back[s] is the day a family acknowledged
	// to be s school days silent at now.
	var back []time.Time
	for d := yesterday; len(back) < 40; d = d.AddDate(0, 0, -1) {
		if cal.IsSchoolDay(d) {
			back = append(back, d)
		}
	}
	if !back[0].Equal(yesterday) {
		return nil, nil, plan, fmt.Errorf("the day before the run, %s, is not a school day", yesterday.Format(time.DateOnly))
	}
	termStart := cal.Terms[0].From
	var schools []benchSchool
	var out []contact.Family
	for i := range cfg.Schools {
		id := safeguarding.SchoolID(fmt.Sprintf("esc-%04d", i+1))
		staff := func(who string) string { return fmt.Sprintf("%s@%s.example", who, id) }
		school := safeguarding.School{ID: id, Name: fmt.Sprintf("Bench School %d", i+1), Roster: []safeguarding.StaffMember{
			{Email: staff("teacher"), Roles: []safeguarding.Role{safeguarding.RoleTeacher}},
			{Email: staff("dsl"), Roles: []safeguarding.Role{safeguarding.RoleDSL}},
			{Email: staff("deputy-dsl"), Roles: []safeguarding.Role{safeguarding.RoleDSL}},
			{Email: staff("senior-dsl"), Roles: []safeguarding.Role{safeguarding.RoleSeniorDSL}},
		}}
		sc := benchCalendar(id)
		// A full closure since the start of term (rule E0), whose look at every family was
		// taken on its 7th school day: every day since, only the look index is read.
		closure := safeguarding.Closure{ID: "bench-closure", School: id, From: termStart, StartedBy: staff("senior-dsl"),
			StartedAt: termStart, Swept: true, Version: 1}
		schools = append(schools, benchSchool{school: school, cal: sc, closure: closure})
		sc.BankHolidays = bank

		rng := rand.New(rand.NewPCG(uint64(i), 0x5eed))
		n := cfg.MinFamilies + rng.IntN(cfg.MaxFamilies-cfg.MinFamilies+1)
		pupil := 0
		for j := range n {
			fs := contact.FamilySnapshot{ID: fmt.Sprintf("f%04d", j+1), School: id, TrackedSince: termStart, Status: contact.FamilyEngaged}
			kids := 1
			if r := rng.Float64(); r > 0.9 {
				kids = 3
			} else if r > 0.6 {
				kids = 2
			}
			for range kids {
				pupil++
				fs.Children = append(fs.Children, contact.FamilyChild{Pupil: safeguarding.PupilID(fmt.Sprintf("p%05d", pupil)),
					ClassName: fmt.Sprintf("Class %d", 1+rng.IntN(14))})
			}
			plan.Families++
			plan.Children += kids
			silent := -1
			switch r := rng.Float64(); {
			case r < 0.90:
				silent = rng.IntN(5)
			case r < 0.93:
				silent = 5
			case r < 0.955:
				silent = 6
			case r < 0.98:
				silent = 7 + rng.IntN(13)
			case r < 0.985:
				silent = 20
			case r < 0.995:
				silent = 21 + rng.IntN(10)
			}
			switch {
			case silent < 0:
				plan.Untracked++
				fs.TrackedSince = time.Time{}
				out = append(out, contact.RestoreFamily(fs))
				continue
			case silent <= contact.SilentDaysMissing:
				plan.Recent++
			case silent == contact.SilentDaysMissing+1:
				plan.MissingToday++
			case silent < contact.SilentDaysLA:
				plan.Missing++
			case silent == contact.SilentDaysLA:
				plan.LAToday++
			default:
				plan.LARaised++
			}
			f := contact.RestoreFamily(fs)
			ackDay := back[silent]
			at := ackDay.Add(8*time.Hour + time.Duration(rng.IntN(600))*time.Minute)
			w, ok, err := f.Acknowledge(contact.Acknowledgement{FamilyID: f.ID(), At: at, Kind: contact.AckKinds[rng.IntN(3)]},
				school.Roster[0].Email, "ack", at.Add(time.Minute))
			if err != nil || !ok {
				return nil, nil, plan, fmt.Errorf("acknowledging %s/%s: %v %v", id, f.ID(), ok, err)
			}
			f = w.Family
			f.LookAfterContact(bank, at.Add(time.Minute))
			// Every run since: on each school day of the school after the acknowledgement, a
			// look if the family's next look had come.
			for k := silent - 1; k >= 0; k-- {
				day := back[k]
				if f.NextLook().IsZero() || safeguarding.LocalDay(f.NextLook()).After(day) {
					continue
				}
				if w, ok := f.Check(sc, bank, closure, school, "run", day.Add(5*time.Hour+30*time.Minute)); ok {
					f = w.Family
				}
			}
			if !f.NextLook().IsZero() && !safeguarding.LocalDay(f.NextLook()).After(today) {
				plan.Due++
			}
			out = append(out, f)
		}
	}
	return schools, out, plan, nil
}

// loadFamilies saves each school (with the registry entry), its calendar and the day the job
// last reached for it (the run before), then the families with PutFamilies (BatchWriteItem,
// 25 a call), from several goroutines.
func loadFamilies(ctx context.Context, st *store.Store, schools []benchSchool, families []contact.Family, workers int, progress io.Writer, name string) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, workers))
	for _, s := range schools {
		g.Go(func() error {
			if err := st.PutSchool(gctx, s.school); err != nil {
				return err
			}
			if err := st.PutClosure(gctx, s.closure); err != nil {
				return err
			}
			if err := st.PutSchoolCalendar(gctx, s.cal); err != nil {
				return err
			}
			return st.EscalationReached(gctx, s.school.ID, escalationPrev, engagement.SchoolSheet{})
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	const chunk = 500
	var done atomic.Int64
	started := time.Now()
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(max(1, workers))
	for part := range slices.Chunk(families, chunk) {
		g.Go(func() error {
			if err := st.PutFamilies(gctx, part); err != nil {
				return err
			}
			n := done.Add(int64(len(part)))
			if n%20000 < chunk && n >= 20000 || int(n) == len(families) {
				fmt.Fprintf(progress, "escalation (%s): %d/%d families loaded (%s)\n", name, n, len(families), time.Since(started).Round(time.Second))
			}
			return nil
		})
	}
	return g.Wait()
}

// markdown writes one benchmark's part of BENCHMARKS.md.
func (r escalationResult) markdown(md *strings.Builder) {
	c, p := r.Config, r.Plan
	run, rerun, scan, every := r.Run.reads(), r.Rerun.reads(), r.Scan.reads(), r.Every.reads()
	fmt.Fprintf(md, "\n### %s\n\n", c.Name)
	if c.Schools > 1 && c.Schools < 2000 {
		fmt.Fprintf(md, "Fewer schools than the 2,000 the job is built for (`ESCALATION_SCHOOLS` was set): "+
			"the registry's read grows with the schools and the look index's with the families due (and one Query a shard holding a school, at most 16), "+
			"so the ratios at 2,000 schools differ.\n\n")
	}
	fmt.Fprintf(md, "%s families (%s children) in %s, %s with %d goroutines (%s to build and load). "+
		"At the run: %s acknowledged within the last 5 school days, %s reaching 6 silent school days (logged MISSING by the run), "+
		"%s already MISSING (7 to 19), %s reaching 20 (the LA raised by the run), %s past 20 (the LA raised before), %s never acknowledged. "+
		"%s families have their next look on or before the run's day (the MISSING and LA steps, and families looked at again because the half term delayed their count).\n\n",
		thousands(p.Families), thousands(p.Children), schoolsPhrase(c), familiesPhrase(c), c.Loaders, r.Load.Round(time.Second),
		thousands(p.Recent), thousands(p.MissingToday), thousands(p.Missing), thousands(p.LAToday), thousands(p.LARaised), thousands(p.Untracked),
		thousands(p.Due))

	md.WriteString("| reads | calls | items read | RCU | RCU, 0.5 floor a call |\n|---|---|---|---|---|\n")
	fmt.Fprintf(md, "| the due families alone, in one read (sizes summed, rounded up once) | - | %s | %s | - |\n", thousands(p.Due), rcu(r.DuePacked))
	if c.Schools > 1 {
		fmt.Fprintf(md, "| the due families alone, one read per school | - | %s | %s | - |\n", thousands(p.Due), rcu(r.DuePerSchool))
	}
	for _, l := range r.Run.labels() {
		if u := r.Run[l]; isRead(l) {
			fmt.Fprintf(md, "| run: %s | %s | %s | %s | %s |\n", l, thousands(u.Calls), thousands(u.Items), rcu(u.Units), rcu(u.Floored))
		}
	}
	fmt.Fprintf(md, "| **run: every read** | %s | %s | **%s** | %s |\n", thousands(run.Calls), thousands(run.Items), rcu(run.Units), rcu(run.Floored))
	fmt.Fprintf(md, "| rerun the same day: every read | %s | %s | %s | %s |\n", thousands(rerun.Calls), thousands(rerun.Items), rcu(rerun.Units), rcu(rerun.Floored))
	fmt.Fprintf(md, "| **every family, one Query per school** (its families list, GSI1; %s found due) | %s | %s | **%s** | %s |\n",
		thousands(r.EveryDue), thousands(every.Calls), thousands(every.Items), rcu(every.Units), rcu(every.Floored))
	fmt.Fprintf(md, "| **Scan-based check** (%s items scanned, %s families due found) | %s | %s | **%s** | %s |\n\n",
		thousands(scan.Scanned), thousands(r.ScanDue), thousands(scan.Calls), thousands(scan.Scanned), rcu(scan.Units), rcu(scan.Floored))

	writes := func(u usage) (string, int) {
		var parts []string
		n := 0
		for _, l := range u.labels() {
			if v := u[l]; !isRead(l) {
				parts = append(parts, fmt.Sprintf("%s %s (%s WCU)", thousands(v.Calls), l, rcu(v.Units)))
				n += v.Calls
			}
		}
		if len(parts) == 0 {
			return "none", 0
		}
		return strings.Join(parts, ", "), n
	}
	runWrites, runWriteCalls := writes(r.Run)
	rerunWrites, rerunWriteCalls := writes(r.Rerun)
	fmt.Fprintf(md, "- **Scan / run: %.1fx** (%s RCU against %s); **a Query of every family per school / run: %.1fx** (%s RCU); with the 0.5 RCU floor a call: %.1fx and %.1fx. Run / the due families alone: %.2fx.\n",
		scan.Units/run.Units, rcu(scan.Units), rcu(run.Units), every.Units/run.Units, rcu(every.Units), scan.Floored/run.Floored, every.Floored/run.Floored, run.Units/r.DuePacked)
	perSchool := ""
	if c.Schools > 1 {
		perSchool = fmt.Sprintf(", %.1f per school", float64(run.Calls+runWriteCalls)/float64(c.Schools))
	}
	fmt.Fprintf(md, "- Round trips per run: %s (%s reads, %s writes)%s; the Scan-based check takes %s before it could write anything.\n",
		thousands(run.Calls+runWriteCalls), thousands(run.Calls), thousands(runWriteCalls), perSchool, plural(scan.Calls, "Scan call"))
	fmt.Fprintf(md, "- The run's writes: %s: one transaction per family that changed (%s logged MISSING, %s raised to the LA, the rest looked at again later), "+
		"each with its chronology entries, alerts and phone call; one registry update per school. %s alerts.\n",
		runWrites, thousands(r.RunResult.Missing), thousands(r.RunResult.LARaised), thousands(r.RunResult.Alerts))
	fmt.Fprintf(md, "- **Rerun the same day**: it looked at %d families and changed none (%d alerts); it read %s RCU in %s calls (the registry with every school's run sheet, and one empty Query a shard of the look index holding a school) "+
		"and wrote %s: the registry's mark of the day reached (%s), nothing else.\n",
		r.RerunResult.Looked, r.RerunResult.Alerts, rcu(rerun.Units), thousands(rerun.Calls), rerunWrites, plural(rerunWriteCalls, "call"))
	fmt.Fprintf(md, "- Time against DynamoDB Local (this machine, not AWS): the run %s, the rerun %s, the Scan %s, the Queries of every family %s.\n",
		r.RunDur.Round(time.Millisecond), r.RerunDur.Round(time.Millisecond), r.ScanDur.Round(time.Millisecond), r.EveryDur.Round(time.Millisecond))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return thousands(n) + " " + what + "s"
}

func schoolsPhrase(c escalationConfig) string {
	if c.Schools == 1 {
		return "one school"
	}
	return thousands(c.Schools) + " schools"
}

func familiesPhrase(c escalationConfig) string {
	if c.MinFamilies == c.MaxFamilies {
		return "loaded with `PutFamilies`"
	}
	return fmt.Sprintf("%d to %d families each, loaded with `PutFamilies`", c.MinFamilies, c.MaxFamilies)
}

// escalationMarkdown writes the section of BENCHMARKS.md.
func escalationMarkdown(md *strings.Builder, results ...escalationResult) {
	missing := 0
	var est, got float64
	for _, r := range results {
		missing += r.Run.reads().Missing + r.Rerun.reads().Missing + r.Scan.reads().Missing + r.Every.reads().Missing
		est += r.RunGSI2Est
		got += r.Run["Query GSI2"].Units
	}
	fmt.Fprintf(md, "\n## Escalation job (families who go quiet) at scale\n\n"+
		"The daily run of rules E2-E5 at %s (a Tuesday; the run of the Monday before reached every school), as the `escalation` function makes it: "+
		"the fan-out reads the registry once (`EscalationSheets`, one paged Query), then the schools' families due a look once "+
		"(`FamiliesDue`, data.md A110: the sparse look index, GSI2, spread over %d shards by school, one Query of every day up to the run's a shard holding a school), "+
		"then one school per SQS message, each the worker's `FamilyEscalation.RunSchoolWith` "+
		"with the store it uses (here side by side, as the queue's concurrency would run them). The registry entry of each school holds its run sheet (data.md A97): "+
		"copies of its calendar, its latest closure (rule E0: every school is in one since the start of term, its look at every family taken) and its name and "+
		"alert roster, each written with the item it copies; the message carries it and the school's due families (up to %d; a school with more reads its own, A24), "+
		"so the worker reads nothing and writes one transaction per family that changes, conditional on the version the fan-out read. "+
		"Two full approaches read the same data before the run: a Scan of the whole table (`type = family`, eventually consistent, paged), "+
		"and one Query per school of its families list (GSI1, the partition the H1 report reads, here with whole items), side by side. "+
		"Each school keeps its own calendar (the autumn term with its half term). The table holds the schools, the registry, the calendars, the closures and the families; "+
		"a real one also holds pupils, concerns, chronologies, earlier alerts and audit entries, which a Scan reads too and the job does not.\n\n",
		results[0].Now.In(safeguarding.London).Format("Monday 2 January 2006 15:04 MST"), store.LookShards, dueKept)
	fmt.Fprintf(md, "**Method.** As for the deadline engine: `ReturnConsumedCapacity = TOTAL` on every call, DynamoDB Local's own figures "+
		"(%d answers lacked them); the last column counts every read at least 0.5 RCU, as AWS may bill an empty Query. "+
		"As a check, the runs' look-index pages worked out from their items' sizes come to %s RCU; DynamoDB Local reported %s.\n",
		missing, rcu(est), rcu(got))
	for _, r := range results {
		r.markdown(md)
	}
}

// federationSchools is the size of the federation `make bench` measures: 2,000 schools.
// Every school's run is its own (one message, its own partitions), so the per-school figures
// do not depend on it; ESCALATION_SCHOOLS=200 make bench is a quicker look.
const federationSchools = 2000

// escalationAtScale runs both benchmarks, each in a new table of the server at endpoint: one
// school of 600 families, then a federation (federationSchools, or ESCALATION_SCHOOLS).
func escalationAtScale(ctx context.Context, endpoint string) ([]escalationResult, error) {
	schools := federationSchools
	if v := os.Getenv("ESCALATION_SCHOOLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 10000 {
			return nil, fmt.Errorf("ESCALATION_SCHOOLS=%q: want a number of schools from 1 to 10000", v)
		}
		schools = n
	}
	var out []escalationResult
	for _, cfg := range []escalationConfig{
		{Name: "One school of 600 families", Schools: 1, MinFamilies: 600, MaxFamilies: 600, Loaders: 4, Parallel: 1, ScanSegments: 1},
		{Name: fmt.Sprintf("A federation of %s schools", thousands(schools)), Schools: schools, MinFamilies: 50, MaxFamilies: 100, Loaders: 8, Parallel: 16, ScanSegments: 16},
	} {
		cfg.Progress = os.Stderr
		meter := newCapacityMeter()
		db := dynamodblocal.NewClient(endpoint, meter.Install)
		table := fmt.Sprintf("bench-escalation-%d", time.Now().UnixNano())
		if err := dynamodblocal.CreateScratchTable(ctx, db, table); err != nil {
			return nil, err
		}
		r, err := escalationScale(ctx, db, table, meter, cfg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", cfg.Name, err)
		}
		out = append(out, r)
	}
	return out, nil
}
