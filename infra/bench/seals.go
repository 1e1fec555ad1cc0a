package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/sync/errgroup"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/anchor"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/seals"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// sealResult is what sealing a busy school's day, and verifying it, measured (rule P4).
type sealResult struct {
	Entries      int
	Day          string
	Seal         seals.Run
	SealTime     time.Duration
	SealUsage    usage
	Verify       seals.Report
	VerifyTime   time.Duration
	VerifyUsage  usage
	RepeatSeals  int // seals written by the same run again: none
	RepeatUsage  usage
	AnchorBucket string
}

// sealingAtScale writes a day of a busy school's audit (entries spread over the school day),
// then runs the seal function's job after midnight, which seals the whole day and anchors it in
// the local S3, then verifies the day as the Senior DSL would.
func sealingAtScale(ctx context.Context, endpoint, root string, entries int) (sealResult, error) {
	const school = safeguarding.SchoolID("busy-school")
	r := sealResult{Entries: entries, Day: "2026-11-23", AnchorBucket: "bench-anchors"}
	meter := newCapacityMeter()
	db := dynamodblocal.NewClient(endpoint, meter.Install)
	table := fmt.Sprintf("bench-seals-%d", time.Now().UnixNano())
	if err := dynamodblocal.CreateScratchTable(ctx, db, table); err != nil {
		return r, err
	}
	st := store.New(db, table)
	if err := st.PutSchool(ctx, safeguarding.School{ID: school, Name: "Busy School"}); err != nil {
		return r, err
	}
	local, err := stack.StartS3(ctx, stack.S3Options{Root: root, Buckets: []string{r.AnchorBucket},
		Credentials: map[string]string{"bench": "bench-secret"}})
	if err != nil {
		return r, err
	}
	defer local.Close()
	anchors := anchor.Anchors{Bucket: r.AnchorBucket, RetentionYears: 25,
		S3: s3.New(s3.Options{Region: "eu-west-2", BaseEndpoint: aws.String(local.Endpoint), UsePathStyle: true,
			Credentials: credentials.NewStaticCredentialsProvider("bench", "bench-secret", "")})}

	// A day of reads and writes from 07:30 to 18:00, as the school's requests write them.
	start := time.Date(2026, 11, 23, 7, 30, 0, 0, safeguarding.London)
	step := 10*time.Hour + 30*time.Minute
	var written atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i := range entries {
		g.Go(func() error {
			at := start.Add(step * time.Duration(i) / time.Duration(entries))
			err := st.Audit(gctx, safeguarding.AuditEntry{ID: store.NewID(at), School: school,
				Actor: fmt.Sprintf("member%03d@busy.example", i%120), Action: "concern.read",
				Subject: fmt.Sprintf("concern/01JCONCERN%016d", i%4000), Pupils: []safeguarding.PupilID{safeguarding.PupilID(fmt.Sprintf("P%04d", i%600))},
				At: at, Source: "api"})
			if n := written.Add(1); n%10000 == 0 {
				fmt.Fprintf(os.Stderr, "seals: %d audit entries written\n", n)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return r, err
	}

	sealer := seals.Sealer{Store: st, Anchors: anchors, From: r.Day}
	after := time.Date(2026, 11, 24, 0, 30, 0, 0, safeguarding.London)
	meter.Reset()
	t0 := time.Now()
	if r.Seal, err = sealer.Run(ctx, after); err != nil {
		return r, err
	}
	r.SealTime, r.SealUsage = time.Since(t0), meter.Snapshot()

	meter.Reset()
	again, err := sealer.Run(ctx, after)
	if err != nil {
		return r, err
	}
	r.RepeatSeals, r.RepeatUsage = again.Seals, meter.Snapshot()

	senior := safeguarding.Principal{Email: "head@busy.example", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleSeniorDSL}}}
	if err := st.PutUser(ctx, senior); err != nil {
		return r, err
	}
	verifier := seals.Verifier{Store: st, Anchors: anchors, NewID: store.NewID}
	meter.Reset()
	t0 = time.Now()
	if r.Verify, err = verifier.Verify(ctx, safeguarding.Caller{Email: senior.Email, At: after, Source: "bench"}, school, r.Day, r.Day); err != nil {
		return r, err
	}
	r.VerifyTime, r.VerifyUsage = time.Since(t0), meter.Snapshot()
	if r.Verify.Problem != nil || r.Verify.Entries != entries || r.Seal.Entries != entries || r.RepeatSeals != 0 {
		return r, fmt.Errorf("seals: sealed %+v, verified %+v, repeated %d: want every entry sealed once and verified", r.Seal, r.Verify, r.RepeatSeals)
	}
	return r, nil
}

func (r sealResult) markdown(md *strings.Builder) {
	fmt.Fprintf(md, "\n## Sealing the audit (a busy school's day)\n\n"+
		"%d audit entries of one school over one school day (the busiest school's reads and writes), sealed by one run of the seal "+
		"function's job after midnight (so the whole day in one run: %d seals of at most %d entries, chained, and the day's last one "+
		"anchored in the local S3 under Object Lock), then the same run again, then `audit/verify` over that day. Read units are "+
		"DynamoDB Local's own figures (consistent reads, as the job and the check read).\n\n"+
		"| | time (DynamoDB Local) | calls | read units | items read |\n|---|---|---|---|---|\n",
		r.Entries, r.Seal.Seals, seals.MaxEntries)
	row := func(name string, d time.Duration, u usage) {
		reads := u.reads()
		calls := 0
		for _, v := range u {
			calls += v.Calls
		}
		fmt.Fprintf(md, "| %s | %s | %d (%s) | %.0f | %d |\n", name, d.Round(time.Millisecond), calls, usageCalls(u), reads.Units, reads.Items)
	}
	row("sealing the day", r.SealTime, r.SealUsage)
	row("the same run again (nothing to seal)", 0, r.RepeatUsage)
	row("`audit/verify` over the day", r.VerifyTime, r.VerifyUsage)
	fmt.Fprintf(md, "\nThe second run writes nothing (%d seals). Sealing reads each entry once; the check reads the day's entries "+
		"once and every seal of the day (each holds its entries' keys and digests, so its read costs about as much again).\n", r.RepeatSeals)
}

// usageCalls lists the calls of each kind, "12 Query, 51 PutItem".
func usageCalls(u usage) string {
	counts := map[string]int{}
	for _, l := range u.labels() {
		counts[l] = u[l].Calls
	}
	return callList(counts)
}
