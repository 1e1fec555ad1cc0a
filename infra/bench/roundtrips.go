package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/bucket"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/retention"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// operation is one use case, measured: DynamoDB calls per run by operation, and its time
// against DynamoDB Local (which says more about this machine than about AWS).
type operation struct {
	name  string
	calls map[string]int
	perOp time.Duration
}

func roundTrips(ctx context.Context, endpoint string) ([]operation, error) {
	counter := dynamotest.NewCounter()
	db := dynamodblocal.NewClient(endpoint, counter.Install)
	table := fmt.Sprintf("bench-%d", time.Now().UnixNano())
	if err := dynamodblocal.CreateScratchTable(ctx, db, table); err != nil {
		return nil, err
	}
	st := store.New(db, table)
	const school = "bench-school"
	roster := []safeguarding.StaffMember{}
	for i := range 6 { // a teacher, four DSLs and the Senior DSL: 11 alerts per high-priority concern
		roles := []safeguarding.Role{safeguarding.RoleDSL}
		if i == 0 {
			roles = []safeguarding.Role{safeguarding.RoleTeacher}
		} else if i == 5 {
			roles = []safeguarding.Role{safeguarding.RoleSeniorDSL}
		}
		email := fmt.Sprintf("staff%d@bench.example", i)
		roster = append(roster, safeguarding.StaffMember{Email: email, Roles: roles})
		if err := st.PutUser(ctx, safeguarding.Principal{Email: email, Name: email, Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: roles}}); err != nil {
			return nil, err
		}
	}
	if err := st.PutSchool(ctx, safeguarding.School{ID: school, Name: "Bench School", Roster: roster}); err != nil {
		return nil, err
	}
	// Rule S7: both pupils turn 25 within three months of the benchmark's day, so the
	// retention list has them both once the first concern makes their first record.
	for i, p := range []string{"p1", "p2"} {
		dob := time.Date(2002, time.January, 20+i, 0, 0, 0, 0, safeguarding.London)
		if err := st.PutPupil(ctx, safeguarding.Pupil{ID: safeguarding.PupilID(p), School: school, Name: "Pupil " + p, DateOfBirth: dob}); err != nil {
			return nil, err
		}
	}
	uc := concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(), Calendar: calendar.EnglandAndWales(), NewID: store.NewID}
	cases := casework.Cases{Store: st, Calendar: calendar.EnglandAndWales(), NewID: store.NewID}
	trail := audit.Trail{Store: st, NewID: store.NewID}
	kept := retention.Service{Store: st, NewID: store.NewID}
	head := safeguarding.Caller{Email: "staff5@bench.example", Source: "bench"}
	teacher := safeguarding.Caller{Email: "staff0@bench.example", Source: "bench"}
	dsl := safeguarding.Caller{Email: "staff1@bench.example", Source: "bench"}
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	newConcern := concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"p1", "p2"}, Category: "safeguarding",
		HighPriority: true, ObservedAt: now, Details: "Benchmark concern."}
	var lastID safeguarding.ConcernID
	n := 0

	// A concern with one checked file, to open.
	signer, err := bucket.New(aws.Config{Region: "eu-west-2", Credentials: credentials.NewStaticCredentialsProvider("bench", "bench", "")}, "bench-attachments", "")
	if err != nil {
		return nil, err
	}
	files := concerns.Attachments{Store: st, Signer: signer, NewID: store.NewID}
	teacher.At = now
	withFile, err := uc.Record(ctx, teacher, school, newConcern, safeguarding.RequestKey{}, "fp")
	if err != nil {
		return nil, err
	}
	up, err := files.RequestUpload(ctx, teacher, school, safeguarding.ConcernID(withFile.ID),
		concerns.NewAttachment{FileName: "notes.pdf", ContentType: "application/pdf", Size: 9}, safeguarding.RequestKey{}, "")
	if err != nil {
		return nil, err
	}
	if _, err := files.Verify(ctx, up.Attachment.ObjectKey(), "v1", 9, []byte("%PDF-1.7\n"), now); err != nil {
		return nil, err
	}

	// A pupil with two concerns who moves to another school of the federation (S5).
	const other = "bench-school-2"
	if err := st.PutSchool(ctx, safeguarding.School{ID: other, Name: "Bench School 2", Roster: roster[1:2]}); err != nil {
		return nil, err
	}
	for _, p := range []string{"p3", "p4"} {
		if err := st.PutPupil(ctx, safeguarding.Pupil{ID: safeguarding.PupilID(p), School: school, Name: "Pupil " + p}); err != nil {
			return nil, err
		}
	}
	for i := range 2 {
		teacher.At = now.Add(-time.Duration(i+1) * time.Hour)
		if _, err := uc.Record(ctx, teacher, school, concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"p3"}, Category: "wellbeing",
			ObservedAt: teacher.At, Details: "Benchmark concern."}, safeguarding.RequestKey{}, ""); err != nil {
			return nil, err
		}
	}
	moves := transfers.Transfers{Store: st, NewID: store.NewID, Random: rand.Reader, Calendar: calendar.EnglandAndWales()}

	ops := []struct {
		name string
		run  func() error
	}{
		{"record a concern (2 pupils, high priority, Idempotency-Key)", func() error {
			n++
			teacher.At = now.Add(time.Duration(n) * time.Second)
			r, err := uc.Record(ctx, teacher, school, newConcern, safeguarding.RequestKey{School: school, Actor: teacher.Email, Key: fmt.Sprint("k", n)}, "fp")
			lastID = safeguarding.ConcernID(r.ID)
			return err
		}},
		{"replay of the same Idempotency-Key", func() error {
			_, err := uc.Record(ctx, teacher, school, newConcern, safeguarding.RequestKey{School: school, Actor: teacher.Email, Key: fmt.Sprint("k", n)}, "fp")
			return err
		}},
		{"read a concern (audited)", func() error {
			dsl.At = now
			_, err := uc.Concern(ctx, dsl, school, lastID)
			return err
		}},
		{"view a concern's page (web: with its versions, files, case work and pupils; audited once)", func() error {
			_, err := cases.ConcernPage(ctx, dsl, school, lastID)
			return err
		}},
		{"read a pupil's chronology (audited)", func() error {
			_, _, err := uc.Chronology(ctx, dsl, school, "p1")
			return err
		}},
		{"open a checked attachment (audited; signs a one-minute URL)", func() error {
			_, err := files.Open(ctx, dsl, school, safeguarding.ConcernID(withFile.ID), up.Attachment.ID())
			return err
		}},
		{"record a pupil's move to a school of the federation (S5; audited, on the deadline ladder)", func() error {
			dsl.At = now
			_, err := moves.Record(ctx, dsl, school, "p4", transfers.Move{ToSchool: other}, "")
			return err
		}},
		{"record a move and send the file within the federation (S5; a pupil with 2 concerns, one chunk)", func() error {
			dsl.At = now
			t, err := moves.Record(ctx, dsl, school, "p3", transfers.Move{ToSchool: other}, "")
			if err == nil {
				_, err = moves.SendWithin(ctx, dsl, school, t.ID)
			}
			return err
		}},
		{"list the records reaching the 25th birthday (2 pupils listed; audited)", func() error {
			head.At = now
			_, err := kept.Due(ctx, head, school, time.Time{}, false)
			return err
		}},
		{"the SLT review: cases, overdue work, low attendance (audited)", func() error {
			dsl.At = now
			_, err := cases.ReviewList(ctx, dsl, school)
			return err
		}},
		{"the Senior DSL's home: the complex cases due their review (audited)", func() error {
			dsl.At = now
			_, err := cases.ReviewsDue(ctx, dsl, school)
			return err
		}},
		{"read a page of the audit trail by person (audited)", func() error {
			_, err := trail.Read(ctx, dsl, school, audit.Filter{Person: teacher.Email})
			return err
		}},
	}
	var out []operation
	for _, op := range ops {
		counter.Reset()
		if err := op.run(); err != nil {
			return nil, fmt.Errorf("%s: %w", op.name, err)
		}
		calls := counter.Counts()
		var failed error
		res := testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
				if err := op.run(); err != nil {
					failed = err
					b.FailNow()
				}
			}
		})
		if failed != nil {
			return nil, fmt.Errorf("%s: %w", op.name, failed)
		}
		out = append(out, operation{name: op.name, calls: calls, perOp: time.Duration(res.NsPerOp())})
	}
	return out, nil
}
