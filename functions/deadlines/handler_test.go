package main

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/template"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The demo federation's people at Brook Lane.
var (
	teacher = apitest.Tom
	staff   = apitest.Priya
	dsl     = apitest.Daniel
	head    = apitest.Helen
)

type world struct {
	t     *testing.T
	db    *dynamodb.Client
	table string
	st    *store.Store
	h     handler
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	apitest.SeedDemo(t, db, table)
	return &world{t: t, db: db, table: table, st: st, h: handler{engine: deadlines.Deadlines{Store: st, Parallel: 4}}}
}

// local is a school-local time "2006-01-02 15:04:05".
var local = apitest.Local

// action records a concern at 10:00 and a DSL action on it at 11:00, due 17:00 that day.
func (w *world) action(school safeguarding.SchoolID, author, by, assignee string, pupil safeguarding.PupilID) casework.Action {
	w.t.Helper()
	ctx := context.Background()
	cal := calendar.EnglandAndWales()
	recorded := local("2026-11-23 10:00:00")
	r, err := concerns.Concerns{Store: w.st, Catalogue: concerns.PolicyCatalogue(), Calendar: cal, NewID: store.NewID}.Record(ctx,
		safeguarding.Caller{Email: author, At: recorded}, school, concerns.NewConcern{PupilIDs: []safeguarding.PupilID{pupil},
			Category: "wellbeing", ObservedAt: recorded.Add(-time.Minute), Details: "x"}, safeguarding.RequestKey{}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	a, err := casework.Cases{Store: w.st, Calendar: cal, NewID: store.NewID}.AddAction(ctx, safeguarding.Caller{Email: by, At: local("2026-11-23 11:00:00")},
		school, safeguarding.ConcernID(r.ID), casework.NewAction{Type: "dsl-action", AssigneeEmail: assignee}, safeguarding.RequestKey{}, "")
	if err != nil {
		w.t.Fatal(err)
	}
	return a
}

func (w *world) run(at time.Time) deadlines.DeadlineRun {
	w.t.Helper()
	ev, _ := json.Marshal(map[string]string{"time": at.UTC().Format(time.RFC3339), "id": "run"})
	r, err := w.h.Handle(context.Background(), ev)
	if err != nil {
		w.t.Fatal(err)
	}
	return r
}

// sent lists the escalation alerts in the outbox as "kind audience recipient channel".
func (w *world) sent() []string {
	w.t.Helper()
	var out []string
	for _, it := range apitest.Items(w.t, w.db, w.table) {
		s := func(k string) string { return apitest.Attr(it, k) }
		if s("type") == "outbox" && (s("kind") == "reminder" || s("kind") == "overdue") {
			out = append(out, fmt.Sprintf("%s %s %s %s %s", s("school"), s("kind"), s("audience"), s("recipient"), s("channel")))
		}
	}
	sort.Strings(out)
	return out
}

func equal(a, b []string) bool {
	sort.Strings(b)
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func TestRule_D8_WalksTheLadderOneStepAtATime(t *testing.T) {
	w := newWorld(t)
	w.action(seed.BrookLane, teacher, dsl, staff, "bl-01")
	bl := string(seed.BrookLane)
	steps := []struct {
		at   string
		want []string
	}{
		{"2026-11-23 14:45:00", nil},
		{"2026-11-23 15:00:00", []string{bl + " reminder assignee " + staff + " email"}},
		{"2026-11-23 15:15:00", nil},
		{"2026-11-23 17:00:00", []string{bl + " overdue assignee " + staff + " email"}},
		{"2026-11-23 17:15:00", nil},
		{"2026-11-24 17:00:00", []string{bl + " overdue dsl " + dsl + " email"}},
		{"2026-11-25 17:00:00", []string{bl + " overdue senior_dsl " + head + " email", bl + " overdue senior_dsl " + head + " sms"}},
	}
	var all []string
	for _, st := range steps {
		w.run(local(st.at))
		all = append(all, st.want...)
		if got := w.sent(); !equal(got, all) {
			t.Fatalf("after the run at %s: %v\nwant %v", st.at, got, all)
		}
	}
}

func TestRule_D8_ExactlyOneAlertPerStepUnderFiveConcurrentRuns(t *testing.T) {
	w := newWorld(t)
	w.action(seed.BrookLane, teacher, dsl, staff, "bl-01")
	for _, at := range []string{"2026-11-23 15:00:00", "2026-11-23 17:00:00", "2026-11-24 17:00:00"} {
		var wg sync.WaitGroup
		runs := make([]deadlines.DeadlineRun, 5)
		for i := range runs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				runs[i] = w.run(local(at))
			}()
		}
		wg.Wait()
		escalated := 0
		for _, r := range runs {
			escalated += r.Escalated
		}
		if escalated != 1 {
			t.Errorf("at %s: %d runs escalated, want exactly one (%+v)", at, escalated, runs)
		}
	}
	if got := w.sent(); len(got) != 3 {
		t.Errorf("alerts %v: want one per step", got)
	}
}

// Rule P4 for a job: each step up an item's ladder is audited with the engine as its actor and
// the action as its subject, once per step even under concurrent runs.
func TestRule_P4_D8_EachStepIsAuditedWithTheEngineAsItsActor(t *testing.T) {
	w := newWorld(t)
	a := w.action(seed.BrookLane, teacher, dsl, staff, "bl-01")
	for _, at := range []string{"2026-11-23 15:00:00", "2026-11-23 17:00:00"} {
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() { defer wg.Done(); w.run(local(at)) }()
		}
		wg.Wait()
	}
	var steps []string
	for _, it := range apitest.Items(t, w.db, w.table) {
		if apitest.Attr(it, "type") == "audit" && apitest.Attr(it, "actor") == deadlines.Actor {
			if apitest.Attr(it, "action") != deadlines.AuditDueEscalated || apitest.Attr(it, "subject") != "action/"+string(a.ID()) {
				t.Errorf("entry %v", it)
			}
			steps = append(steps, apitest.Attr(it, "at"))
		}
	}
	if len(steps) != 2 {
		t.Errorf("%d audit entries of the engine, want one per step: %v", len(steps), steps)
	}
}

func TestRule_D8_ADueItemOfOneSchoolNeverAlertsAnother(t *testing.T) {
	w := newWorld(t)
	w.action(seed.Hillcrest, seed.Email("Owen", "Price"), seed.Email("Chloe", "Adams"), seed.Email("Leah", "Morgan"), "hc-01")
	for _, at := range []string{"2026-11-23 17:00:00", "2026-11-24 17:00:00", "2026-11-25 17:00:00"} {
		w.run(local(at))
	}
	hillcrest := map[string]bool{}
	for _, s := range seed.Demo().Schools[1].Roster {
		hillcrest[s.Email] = true
	}
	got := w.sent()
	// The assignee, both Hillcrest DSLs (Sam Ellis works in both schools), its Senior DSL twice.
	if len(got) != 5 {
		t.Fatalf("alerts %v", got)
	}
	for _, a := range got {
		f := strings.Fields(a)
		if f[0] != string(seed.Hillcrest) || !hillcrest[f[3]] {
			t.Errorf("alert %q reaches beyond Hillcrest", a)
		}
	}
}

func TestRule_D8_AnActionCompletedASecondBeforeTheRunIsNotEscalated(t *testing.T) {
	w := newWorld(t)
	a := w.action(seed.BrookLane, teacher, dsl, staff, "bl-01")
	w.run(local("2026-11-23 15:00:00")) // the reminder
	_, err := casework.Cases{Store: w.st, Calendar: calendar.EnglandAndWales(), NewID: store.NewID}.Complete(context.Background(),
		safeguarding.Caller{Email: staff, At: local("2026-11-23 16:59:59")}, seed.BrookLane, a.ID(), "Done.", safeguarding.RequestKey{}, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, at := range []string{"2026-11-23 17:00:00", "2026-11-24 17:00:00"} {
		if r := w.run(local(at)); r.Escalated != 0 {
			t.Errorf("run at %s escalated a completed action: %+v", at, r)
		}
	}
	if got := w.sent(); len(got) != 1 {
		t.Errorf("alerts %v: only the reminder", got)
	}
}

func TestTemplateRunsTheEngineEvery15MinutesInLondonTime(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := tpl.FunctionByFolder("deadlines")
	if !ok || len(fn.Schedules) != 1 {
		t.Fatalf("DeadlinesFunction: %+v", fn)
	}
	s := fn.Schedules[0]
	if s.Name != "deadlines" || s.Expression != "rate(15 minutes)" || s.Timezone != "Europe/London" || !strings.Contains(s.Input, "<aws.scheduler.scheduled-time>") {
		t.Errorf("schedule %+v", s)
	}
}
