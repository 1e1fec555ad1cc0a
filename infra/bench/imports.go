package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// importResult is what importing a school's MIS export measured (rules P1, P3): the first
// import, then the same file again.
type importResult struct {
	exportFile
	Bytes                  int
	First, Again           imports.Record
	FirstTime, AgainTime   time.Duration
	FirstUsage, AgainUsage usage
}

// exportFile is what a generated export holds: its text, its pupils (rows), the contacts on
// its rows, the distinct parents, its families and those of more than one child.
type exportFile struct {
	CSV                                           string
	Pupils, Contacts, Parents, Families, Siblings int
}

// misExport is a school's MIS pupil export of n pupils as a MIS writes it: families of 1, 2,
// 3 and 2 children in turn (consecutive UPNs, so siblings are in different year groups and
// forms), the children of a family sharing their mother, with parental responsibility, as
// contact 1, and every other family of two their father as contact 2; each parent with a
// mobile and an email of their own. n = 2,000 gives 1,000 families and 3,000 contacts.
func misExport(n int) exportFile {
	var b strings.Builder
	var contacts, parents, families, siblings int
	b.WriteString("UPN,Legal Surname,Legal Forename,DOB,Year Group,Reg Group,Attendance %," +
		"Contact 1 Forename,Contact 1 Surname,Contact 1 Relationship,Contact 1 Responsibility,Contact 1 Priority,Contact 1 Mobile,Contact 1 Email," +
		"Contact 2 Forename,Contact 2 Surname,Contact 2 Relationship,Contact 2 Responsibility,Contact 2 Priority,Contact 2 Mobile,Contact 2 Email," +
		"Address Line 1,Town,Postcode\r\n")
	surnames := []string{"Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel", "Khan", "Evans", "Thomas"}
	forenames := []string{"Olivia", "Noah", "Amelia", "Muhammad", "Isla", "George", "Ava", "Leo", "Freya", "Oscar", "Lily", "Arthur", "Ivy"}
	mothers := []string{"Sarah", "Emma", "Laura", "Aisha", "Rebecca", "Claire"}
	fathers := []string{"James", "David", "Imran", "Michael", "Daniel", "Tom"}
	sizes := []int{1, 2, 3, 2}
	for i := 0; i < n; families++ {
		size := sizes[families%len(sizes)]
		surname := fmt.Sprintf("%s-%d", surnames[families%len(surnames)], families)
		second := families%4 == 1 || families%4 == 3
		if size > 1 && n-i > 1 {
			siblings++
		}
		parents++
		if second {
			parents++
		}
		for range size {
			if i == n {
				break
			}
			year := 7 + i%5
			fmt.Fprintf(&b, "B%06d,%s,%s,%d-%02d-%02d,Year %d,%d%c,%.1f,", i, surname, forenames[i%len(forenames)],
				2014-(year-7), 1+i%12, 1+i%28, year, year, 'A'+rune(i/5%14), 99.9-float64(i*37%130)/10)
			fmt.Fprintf(&b, "%s,%s,Mother,Y,1,07700 9%05d,mother%04d@example.org,", mothers[families%len(mothers)], surname, 2*families, families)
			contacts++
			if second {
				fmt.Fprintf(&b, "%s,%s,Father,Y,2,07700 9%05d,father%04d@example.org,", fathers[families%len(fathers)], surname, 2*families+1, families)
				contacts++
			} else {
				b.WriteString(",,,,,,,")
			}
			fmt.Fprintf(&b, "\"%d Park Road, Flat %d\",Leeds,LS%d %dAB\r\n", 1+families%300, 1+families%9, 1+families%27, families%10)
			i++
		}
	}
	return exportFile{CSV: b.String(), Pupils: n, Contacts: contacts, Parents: parents, Families: families, Siblings: siblings}
}

// importAtScale imports a school of pupils from its MIS export through the imports use case
// with the real store, as the office would, then the same file again.
func importAtScale(ctx context.Context, endpoint string, pupils int) (importResult, error) {
	const school = safeguarding.SchoolID("big-school")
	meter := newCapacityMeter()
	db := dynamodblocal.NewClient(endpoint, meter.Install)
	table := fmt.Sprintf("bench-imports-%d", time.Now().UnixNano())
	if err := dynamodblocal.CreateScratchTable(ctx, db, table); err != nil {
		return importResult{}, err
	}
	st := store.New(db, table)
	office := safeguarding.Principal{Email: "office@big.example", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleAdmin}}}
	if err := st.PutSchool(ctx, safeguarding.School{ID: school, Name: "Big School"}); err != nil {
		return importResult{}, err
	}
	if err := st.PutUser(ctx, office); err != nil {
		return importResult{}, err
	}
	r := importResult{exportFile: misExport(pupils)}
	r.Bytes = len(r.CSV)
	uc := imports.Imports{Store: st, NewID: store.NewID}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, safeguarding.London)
	run := func() (imports.Record, time.Duration, usage, error) {
		meter.Reset()
		t0 := time.Now()
		rec, err := uc.Import(ctx, safeguarding.Caller{Email: office.Email, At: at, Source: "bench"}, school,
			imports.Request{Data: []byte(r.CSV), MediaType: "text/csv"}, "")
		at = at.Add(time.Minute)
		return rec, time.Since(t0), meter.Snapshot(), err
	}
	var err error
	if r.First, r.FirstTime, r.FirstUsage, err = run(); err != nil {
		return r, err
	}
	if r.Again, r.AgainTime, r.AgainUsage, err = run(); err != nil {
		return r, err
	}
	if r.First.Created != pupils || len(r.First.Errors) != 0 || r.First.FamiliesFormed != r.Siblings || r.Again.Unchanged != pupils || r.Again.Created+r.Again.Updated+r.Again.Left != 0 {
		return r, fmt.Errorf("imports: first %+v, again %+v: want %d pupils created, %d families of siblings, then all unchanged", r.First, r.Again, pupils, r.Siblings)
	}
	return r, nil
}

func (r importResult) markdown(md *strings.Builder) {
	fmt.Fprintf(md, "\n## Importing a school's MIS export\n\n"+
		"A school of %s pupils (a file of %s KB, generated: families of 1, 2 and 3 children sharing their mother with parental "+
		"responsibility, %s families (%s of siblings), %s contacts on the rows, %s parents) imported through the imports use case with the real store, "+
		"as `POST .../imports` does, then the same file again. Units are DynamoDB Local's own figures (TOTAL: the table and its "+
		"indexes), and the write units by DynamoDB's documented prices for the table alone (1 WCU per KB of each item, twice that in "+
		"a transaction: DynamoDB Local reports far less for a transaction; the indexes' writes come on top); items written counts "+
		"each item of a transaction.\n\n"+
		"| | time (DynamoDB Local) | calls | read units | write units (DynamoDB Local) | write units (documented, table) | items written |\n|---|---|---|---|---|---|---|\n",
		thousands(r.Pupils), thousands(r.Bytes/1024), thousands(r.Families), thousands(r.Siblings), thousands(r.Contacts), thousands(r.Parents))
	row := func(name string, d time.Duration, u usage) {
		calls := 0
		for _, v := range u {
			calls += v.Calls
		}
		w := u.writes()
		fmt.Fprintf(md, "| %s | %s | %s (%s) | %s | %s | %s | %s |\n", name, d.Round(time.Millisecond), thousands(calls), usageCalls(u),
			rcu(u.reads().Units), rcu(w.Units), rcu(w.Documented), thousands(w.Items))
	}
	row("the first import", r.FirstTime, r.FirstUsage)
	row("the same file again", r.AgainTime, r.AgainUsage)
	fmt.Fprintf(md, "\nThe first import writes each pupil with their name-search items and roll item, each family with its contact "+
		"details (the current version and version 1), in transactions of at most 90 items. The same file again finds every pupil "+
		"unchanged (%s) and writes %s items: the import's record as it starts, then its final record with its audit entry.\n",
		thousands(r.Again.Unchanged), thousands(r.AgainUsage.writes().Items))
}
