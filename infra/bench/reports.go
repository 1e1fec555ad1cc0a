package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/reports"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// reportsResult is what the governors' report measured (rule D10): one school's report with
// its concerns, then a federation's over its schools.
type reportsResult struct {
	Concerns   int // the big school's concerns in the term
	Recorded   int // of them, recorded through the real path (the rest as counter items)
	Schools    int // the federation's schools
	PerSchool  int // concerns in the term at each other school
	School     usage
	SchoolTime time.Duration
	Federation usage
	FedTime    time.Duration
	FedTotal   int
}

// reportsAtScale writes a federation of schools, the first with concerns concerns in the autumn
// term 2026 and every other with perSchool: recorded of the first school's through the
// concerns use case with the real store (each counted in its own transaction), the rest as the
// counter items recording leaves (store.PutCounts, a month's sums at a time). It then reads the
// governors' report of the first school, and the federation's, as their governor (a governor
// of every school), and checks their figures.
func reportsAtScale(ctx context.Context, endpoint string, concernCount, recorded, schools, perSchool int) (reportsResult, error) {
	r := reportsResult{Concerns: concernCount, Recorded: recorded, Schools: schools, PerSchool: perSchool}
	meter := newCapacityMeter()
	db := dynamodblocal.NewClient(endpoint, meter.Install)
	table := fmt.Sprintf("bench-reports-%d", time.Now().UnixNano())
	if err := dynamodblocal.CreateScratchTable(ctx, db, table); err != nil {
		return r, err
	}
	st := store.New(db, table)
	governor := safeguarding.Principal{Email: "governor@federation.example", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{}}
	teacher := safeguarding.Principal{Email: "teacher@school-000.example", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{}}
	months := reports.SchoolYear(2026).Months()[:4] // September to December 2026
	for i := range schools {
		id := safeguarding.SchoolID(fmt.Sprintf("school-%03d", i))
		governor.Memberships[id] = []safeguarding.Role{safeguarding.RoleGovernor}
		if err := st.PutSchool(ctx, safeguarding.School{ID: id, Name: fmt.Sprintf("School %d", i)}); err != nil {
			return r, err
		}
		n := perSchool
		if i == 0 {
			n = concernCount - recorded
		}
		for m, month := range months {
			share := n / len(months)
			if m < n%len(months) {
				share++
			}
			high := share / 5
			onTime := share * 9 / 10
			c := reports.Counts{Month: month, Concerns: share, High: high, Normal: share - high, D1OnTime: onTime, D1Late: share - onTime,
				Referrals: share / 20, ByCategory: map[safeguarding.Category]int{safeguarding.CategorySafeguarding: share - share/3, safeguarding.CategoryWellbeing: share / 3}}
			if err := st.PutCounts(ctx, id, c); err != nil {
				return r, err
			}
		}
	}
	first := safeguarding.SchoolID("school-000")
	teacher.Memberships[first] = []safeguarding.Role{safeguarding.RoleTeacher}
	for _, p := range []safeguarding.Principal{governor, teacher} {
		if err := st.PutUser(ctx, p); err != nil {
			return r, err
		}
	}
	if err := st.PutPupil(ctx, safeguarding.Pupil{ID: "p-1", School: first, Name: "A Pupil", YearGroup: "Year 7"}); err != nil {
		return r, err
	}
	uc := concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(), Calendar: calendar.EnglandAndWales(), NewID: store.NewID}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, safeguarding.London)
	for i := range recorded {
		now := at.Add(time.Duration(i) * time.Minute)
		if _, err := uc.Record(ctx, safeguarding.Caller{Email: teacher.Email, At: now, Source: "bench"}, first, concerns.NewConcern{
			PupilIDs: []safeguarding.PupilID{"p-1"}, Category: "safeguarding", ObservedAt: now.Add(-time.Hour), Details: "Bench concern."},
			safeguarding.RequestKey{}, ""); err != nil {
			return r, err
		}
	}

	uc2 := reports.Reports{Store: st, NewID: store.NewID}
	who := safeguarding.Caller{Email: governor.Email, At: time.Date(2026, 12, 10, 16, 0, 0, 0, safeguarding.London), Source: "bench"}
	meter.Reset()
	t0 := time.Now()
	rep, err := uc2.GovernorsReport(ctx, who, first, "2026-autumn")
	r.SchoolTime, r.School = time.Since(t0), meter.Snapshot()
	if err != nil {
		return r, err
	}
	if rep.Total.Concerns != concernCount {
		return r, fmt.Errorf("reports: the school's report counts %d concerns, want %d", rep.Total.Concerns, concernCount)
	}
	meter.Reset()
	t0 = time.Now()
	fed, _, err := uc2.FederationReport(ctx, who, "2026-autumn")
	r.FedTime, r.Federation = time.Since(t0), meter.Snapshot()
	if err != nil {
		return r, err
	}
	r.FedTotal = fed.Total.Concerns
	if want := concernCount + (schools-1)*perSchool; fed.Total.Concerns != want {
		return r, fmt.Errorf("reports: the federation's report counts %d concerns, want %d", fed.Total.Concerns, want)
	}
	return r, nil
}

func (r reportsResult) markdown(md *strings.Builder) {
	fmt.Fprintf(md, "\n## The governors' report\n\n"+
		"The governors' report for the autumn term 2026 (September to December, beside the summer term) through the reports use case "+
		"with the real store, as `GET .../reports/governors` does: a school with %s concerns in the term (%s recorded through the concerns "+
		"use case, each counted in its own transaction; the rest written as the counter items recording leaves, a month's sums at a "+
		"time), then the federation's report summing %d schools (%s concerns each in the other schools) for a governor of all of them. "+
		"Neither reads a record: a handful of counter items by key, whatever the number of concerns.\n\n"+
		"| report | time (DynamoDB Local) | calls | read units | items read | writes |\n|---|---|---|---|---|---|\n",
		thousands(r.Concerns), thousands(r.Recorded), r.Schools, thousands(r.PerSchool))
	row := func(name string, d time.Duration, u usage) {
		reads := u.reads()
		fmt.Fprintf(md, "| %s | %s | %s | %s | %s | %s |\n", name, d.Round(100*time.Microsecond), usageCalls(u), rcu(reads.Units),
			thousands(reads.Items), thousands(u.writes().Items))
	}
	row(fmt.Sprintf("one school, %s concerns", thousands(r.Concerns)), r.SchoolTime, r.School)
	row(fmt.Sprintf("a federation of %d schools, %s concerns", r.Schools, thousands(r.FedTotal)), r.FedTime, r.Federation)
	md.WriteString("\nThe writes are each reading's audit entry: one for a school, one in each school's trail for a federation (in one transaction).\n")
}
