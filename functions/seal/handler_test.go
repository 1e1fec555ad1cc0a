package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/anchor"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/seals"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

const (
	brook   = safeguarding.SchoolID("brook-lane")
	hill    = safeguarding.SchoolID("hillcrest")
	anchors = "anchors-test"
)

var (
	must   = apitest.Must
	senior = safeguarding.Principal{Email: "s.senior@brook.example",
		Memberships: map[safeguarding.SchoolID][]safeguarding.Role{brook: {safeguarding.RoleStaff, safeguarding.RoleSeniorDSL}}}
)

// world is a fresh table with two schools, a real local S3 for the anchors, and the handler.
type world struct {
	t       *testing.T
	db      *dynamodb.Client
	table   string
	st      *store.Store
	s3      *s3.Client
	anchors anchor.Anchors
	h       handler
	n       int
	now     time.Time // the last run's time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	root, err := filepath.Abs("../..")
	must(t, err)
	local, err := stack.StartS3(context.Background(), stack.S3Options{Root: root, Buckets: []string{anchors},
		Credentials: map[string]string{"test": "test-secret"}})
	must(t, err)
	t.Cleanup(local.Close)
	client := s3.New(s3.Options{Region: "eu-west-2", BaseEndpoint: aws.String(local.Endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider("test", "test-secret", "")})
	w := &world{t: t, db: db, table: table, st: st, s3: client,
		anchors: anchor.Anchors{S3: client, Bucket: anchors, RetentionYears: 25}}
	w.h = handler{sealer: seals.Sealer{Store: st, Anchors: w.anchors, From: "2026-11-23"}}
	for _, id := range []safeguarding.SchoolID{brook, hill} {
		must(t, st.PutSchool(context.Background(), safeguarding.School{ID: id, Name: string(id)}))
	}
	must(t, st.PutUser(context.Background(), senior))
	return w
}

// write adds an audit entry of school at t, as every audited request does.
func (w *world) write(school safeguarding.SchoolID, t time.Time) safeguarding.AuditEntry {
	w.t.Helper()
	w.n++
	e := safeguarding.AuditEntry{ID: fmt.Sprintf("E%05d", w.n), School: school, Actor: "t.jones@brook.example",
		Action: "concern.read", Subject: "concern/C1", Pupils: []safeguarding.PupilID{"p1"}, At: t, Source: "api"}
	must(w.t, w.st.Audit(context.Background(), e))
	return e
}

// run invokes the function as EventBridge Scheduler does, at the schedule's time.
func (w *world) run(at time.Time) seals.Run {
	w.t.Helper()
	w.now = at
	raw, _ := json.Marshal(map[string]string{"time": at.UTC().Format(time.RFC3339), "id": "run"})
	r, err := w.h.Handle(context.Background(), raw)
	must(w.t, err)
	return r
}

func (w *world) verify(from, to string) seals.Report {
	w.t.Helper()
	rep, err := seals.Verifier{Store: w.st, Anchors: w.anchors, NewID: store.NewID}.Verify(context.Background(),
		safeguarding.Caller{Email: senior.Email, At: w.now, Source: "test"}, brook, from, to)
	must(w.t, err)
	return rep
}

// auditKey is an entry's key in the table.
func auditKey(e safeguarding.AuditEntry) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"PK": &types.AttributeValueMemberS{Value: "SCHOOL#" + string(e.School) + "#AUDIT#" + e.At.In(safeguarding.London).Format(time.DateOnly)},
		"SK": &types.AttributeValueMemberS{Value: e.At.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + e.ID},
	}
}

func TestRule_P4_ASealingRunTwiceOverTheSamePeriodChangesNothing(t *testing.T) {
	w := newWorld(t)
	for i := range 5 {
		w.write(brook, apitest.At("09:00").Add(time.Duration(i)*time.Minute))
	}
	w.write(hill, apitest.At("09:10"))
	first := w.run(apitest.At("10:00"))
	if first.Seals != 2 || first.Entries != 6 || first.Schools != 2 {
		t.Fatalf("first run %+v: a seal for each school, holding its entries", first)
	}
	before := apitest.Items(t, w.db, w.table)
	again := w.run(apitest.At("10:00"))
	if again.Seals != 0 || again.Entries != 0 {
		t.Errorf("the same run again sealed %+v", again)
	}
	quiet := w.run(apitest.At("10:15"))
	if quiet.Seals != 0 {
		t.Errorf("a run with nothing new sealed %+v", quiet)
	}
	if after := apitest.Items(t, w.db, w.table); len(after) != len(before) {
		t.Errorf("the table had %d items and now has %d", len(before), len(after))
	}
	if rep := w.verify("2026-11-23", "2026-11-23"); rep.Problem != nil || rep.Entries != 5 || rep.Unsealed != 0 {
		t.Errorf("verify: %+v", rep)
	}
}

func TestRule_P4_EntriesWrittenDuringASealAreInTheNextOneAndNoneIsLost(t *testing.T) {
	w := newWorld(t)
	start := apitest.At("08:00")
	var mu sync.Mutex
	written := map[string]bool{}
	for step := range 6 {
		now := start.Add(time.Duration(step) * 15 * time.Minute)
		var wg sync.WaitGroup
		for writer := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 10 {
					// Each request's entry carries its own time: the last 15 minutes, up to now.
					at := now.Add(-time.Duration(writer*10+i) * 20 * time.Second)
					e := safeguarding.AuditEntry{ID: fmt.Sprintf("S%dW%dI%02d", step, writer, i), School: brook,
						Actor: "a@brook.example", Action: "pupil.read", At: at}
					if err := w.st.Audit(context.Background(), e); err != nil {
						t.Error(err)
						return
					}
					mu.Lock()
					written[e.At.UTC().Format("2006-01-02T15:04:05.000000000Z")+"#"+e.ID] = true
					mu.Unlock()
				}
			}()
		}
		w.run(now) // while the writers write
		wg.Wait()
	}
	w.run(start.Add(3 * time.Hour))
	sealed, err := w.st.Seals(context.Background(), brook, 1, "2026-11-23")
	must(t, err)
	seen := map[string]int{}
	for _, s := range sealed {
		for _, e := range s.Entries {
			seen[e.Key]++
		}
	}
	for k := range written {
		if seen[k] != 1 {
			t.Errorf("entry %s is in %d seals", k, seen[k])
		}
	}
	if len(seen) != len(written) {
		t.Errorf("%d entries sealed, %d written", len(seen), len(written))
	}
	if rep := w.verify("2026-11-23", "2026-11-23"); rep.Problem != nil || rep.Entries != len(written) {
		t.Errorf("verify: %+v", rep)
	}
}

func TestRule_P4_TheDaysLastSealIsAnchoredInComplianceMode(t *testing.T) {
	w := newWorld(t)
	w.write(brook, apitest.At("09:00"))
	w.run(apitest.At("10:00"))
	midnight := apitest.Local("2026-11-24 00:30")
	r := w.run(midnight)
	if r.Anchors != 2 || r.Seals != 2 {
		t.Fatalf("run after midnight %+v: each school's day anchored", r)
	}
	head, err := w.s3.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(anchors),
		Key: aws.String(anchor.Key(brook, "2026-11-23"))})
	must(t, err)
	if head.ObjectLockMode != s3types.ObjectLockModeCompliance || head.ObjectLockRetainUntilDate == nil ||
		!head.ObjectLockRetainUntilDate.Equal(midnight.AddDate(25, 0, 0).UTC().Truncate(time.Second)) {
		t.Errorf("anchor locked %q until %v", head.ObjectLockMode, head.ObjectLockRetainUntilDate)
	}
	if _, err := w.s3.DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(anchors),
		Key: aws.String(anchor.Key(brook, "2026-11-23"))}); err == nil {
		t.Error("a locked anchor was deleted")
	}
	got, ok, err := w.anchors.Get(context.Background(), brook, "2026-11-23")
	must(t, err)
	last, _, anchored, err := w.st.LastSeal(context.Background(), brook)
	must(t, err)
	if !ok || got.Hash != last.Hash || !last.Closes || !anchored || last.Day != "2026-11-23" {
		t.Errorf("anchor %+v, last seal %+v anchored %v", got, last, anchored)
	}
	if again := w.run(midnight); again.Anchors != 0 || again.Seals != 0 {
		t.Errorf("the run again: %+v", again)
	}
}

// sealedDays writes entries on Monday and Tuesday, seals and anchors Monday, and seals Tuesday
// in two seals (the entries of 9:00 and 9:05, then 9:10's).
func sealedDays(t *testing.T) (*world, []safeguarding.AuditEntry) {
	w := newWorld(t)
	var es []safeguarding.AuditEntry
	for _, at := range []string{"2026-11-23 09:00", "2026-11-23 11:00", "2026-11-24 09:00", "2026-11-24 09:05", "2026-11-24 09:10"} {
		es = append(es, w.write(brook, apitest.Local(at)))
	}
	w.run(apitest.Local("2026-11-24 09:30"))
	w.run(apitest.Local("2026-11-24 12:00"))
	if rep := w.verify("2026-11-24", "2026-11-24"); rep.Problem != nil || rep.AnchorDay != "2026-11-23" || rep.Entries != 3 || rep.Seals != 2 {
		t.Fatalf("before any change: %+v", rep)
	}
	return w, es
}

func TestRule_P4_VerifyNamesAnEntryChangedAfterItWasSealed(t *testing.T) {
	w, es := sealedDays(t)
	_, err := w.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: &w.table, Key: auditKey(es[3]),
		UpdateExpression:          aws.String("SET actor = :a"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":a": &types.AttributeValueMemberS{Value: "someone.else@brook.example"}}})
	must(t, err)
	rep := w.verify("2026-11-24", "2026-11-24")
	if rep.Problem == nil || rep.Problem.Kind != seals.EntryChanged || rep.Problem.Key != auditKey(es[3])["SK"].(*types.AttributeValueMemberS).Value {
		t.Errorf("verify: %+v", rep.Problem)
	}
}

func TestRule_P4_VerifyNamesAnEntryDeletedOrAddedAfterItsPeriodWasSealed(t *testing.T) {
	w, es := sealedDays(t)
	_, err := w.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: &w.table, Key: auditKey(es[2])})
	must(t, err)
	rep := w.verify("2026-11-24", "2026-11-24")
	if rep.Problem == nil || rep.Problem.Kind != seals.EntryRemoved || rep.Problem.Key != auditKey(es[2])["SK"].(*types.AttributeValueMemberS).Value {
		t.Errorf("deleted: %+v", rep.Problem)
	}

	w, _ = sealedDays(t)
	slipped := w.write(brook, apitest.Local("2026-11-24 09:01"))
	rep = w.verify("2026-11-24", "2026-11-24")
	if rep.Problem == nil || rep.Problem.Kind != seals.EntryAdded || rep.Problem.Key != auditKey(slipped)["SK"].(*types.AttributeValueMemberS).Value {
		t.Errorf("slipped in: %+v", rep.Problem)
	}
}

func TestRule_P4_VerifyNamesASealChangedOrRemovedAfterItsAnchor(t *testing.T) {
	w, _ := sealedDays(t)
	seal := func(seq int) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "SCHOOL#brook-lane#SEALS"},
			"SK": &types.AttributeValueMemberS{Value: fmt.Sprintf("SEAL#%012d", seq)}}
	}
	anchored, _, err := w.anchors.Get(context.Background(), brook, "2026-11-23")
	must(t, err)
	// Rewriting the anchored seal (its entries emptied and hash re-computed) is seen against the anchor.
	_, err = w.db.UpdateItem(context.Background(), &dynamodb.UpdateItemInput{TableName: &w.table, Key: seal(anchored.Seq),
		UpdateExpression: aws.String("SET closes = :f"), ExpressionAttributeValues: map[string]types.AttributeValue{":f": &types.AttributeValueMemberBOOL{Value: false}}})
	must(t, err)
	if rep := w.verify("2026-11-24", "2026-11-24"); rep.Problem == nil || rep.Problem.Kind != seals.SealChanged || rep.Problem.Seq != anchored.Seq {
		t.Errorf("anchored seal changed: %+v", rep.Problem)
	}

	w, _ = sealedDays(t)
	anchored, _, err = w.anchors.Get(context.Background(), brook, "2026-11-23")
	must(t, err)
	_, err = w.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: &w.table, Key: seal(anchored.Seq + 1)})
	must(t, err)
	if rep := w.verify("2026-11-24", "2026-11-24"); rep.Problem == nil || rep.Problem.Kind != seals.SealMissing || rep.Problem.Seq != anchored.Seq+1 {
		t.Errorf("seal removed: %+v", rep.Problem)
	}

	// The last seal removed: its entries, long old enough to be sealed, are in no seal.
	w, es := sealedDays(t)
	anchored, _, err = w.anchors.Get(context.Background(), brook, "2026-11-23")
	must(t, err)
	_, err = w.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: &w.table, Key: seal(anchored.Seq + 2)})
	must(t, err)
	rep := w.verify("2026-11-24", "2026-11-24")
	if rep.Problem == nil || rep.Problem.Kind != seals.EntryNotSealed || rep.Problem.Key != auditKey(es[4])["SK"].(*types.AttributeValueMemberS).Value {
		t.Errorf("last seal removed: %+v", rep.Problem)
	}
}

func TestRule_P4_OnlyTheSeniorDSLVerifiesAndEachVerificationIsAudited(t *testing.T) {
	w := newWorld(t)
	dsl := safeguarding.Principal{Email: "d@brook.example", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{brook: {safeguarding.RoleDSL}}}
	other := safeguarding.Principal{Email: "x@hill.example", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{hill: {safeguarding.RoleSeniorDSL}}}
	v := seals.Verifier{Store: w.st, Anchors: w.anchors, NewID: store.NewID}
	for _, p := range []safeguarding.Principal{dsl, other} {
		must(t, w.st.PutUser(context.Background(), p))
		if _, err := v.Verify(context.Background(), safeguarding.Caller{Email: p.Email, At: apitest.At("12:00")}, brook, "2026-11-23", "2026-11-23"); !errors.Is(err, safeguarding.ErrForbidden) {
			t.Errorf("%s: %v", p.Email, err)
		}
	}
	if _, err := v.Verify(context.Background(), safeguarding.Caller{Email: senior.Email, At: apitest.At("12:00")}, brook, "2026-11-23", "2026-11-22"); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("a range ending before it starts: %v", err)
	}
	w.now = apitest.At("12:00")
	w.verify("2026-11-23", "2026-11-23")
	n := 0
	for _, it := range apitest.Items(t, w.db, w.table) {
		if apitest.Attr(it, "action") == seals.AuditVerified && apitest.Attr(it, "actor") == senior.Email {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d audit entries of the verification, want 1", n)
	}
}
