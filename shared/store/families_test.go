package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact/contacttest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

// Families against DynamoDB Local: the sparse look index the escalation job reads (A24), the
// MISSING list (A25), conditional and idempotent changes, and a class acknowledged at once.

const famSchool = safeguarding.SchoolID("brook-lane")

var (
	famDSL     = "dsl@brook.example"
	famHead    = "head@brook.example"
	famTeacher = "teacher@brook.example"
	famOther   = "dsl@hill.example"
)

// famLocal is a Europe/London wall-clock time.
func famLocal(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, safeguarding.London)
	if err != nil {
		panic(err)
	}
	return t
}

// famQueryMeter counts the Queries of a client and the items each read before any filter
// (ScannedCount), per index.
type famQueryMeter struct {
	mu      sync.Mutex
	calls   map[string]int
	scanned map[string]int
}

func (m *famQueryMeter) install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(stack *middleware.Stack) error {
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("famQueryMeter",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleInitialize(ctx, in)
				q, ok := in.Parameters.(*dynamodb.QueryInput)
				if err != nil || !ok || awsmiddleware.GetOperationName(ctx) != "Query" {
					return out, md, err
				}
				index := aws.ToString(q.IndexName)
				m.mu.Lock()
				defer m.mu.Unlock()
				m.calls[index]++
				if r, ok := out.Result.(*dynamodb.QueryOutput); ok {
					m.scanned[index] += int(r.ScannedCount)
				}
				return out, md, err
			}), middleware.After)
	})
}

func (m *famQueryMeter) reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls, m.scanned = map[string]int{}, map[string]int{}
}

type famWorld struct {
	t      *testing.T
	db     *dynamodb.Client
	table  string
	s      *Store
	calls  *dynamotest.Counter
	reads  *famQueryMeter
	school safeguarding.School
}

func newFamWorld(t *testing.T) *famWorld {
	t.Helper()
	reads := &famQueryMeter{}
	reads.reset()
	calls := dynamotest.NewCounter()
	db, table := dynamotest.New(t, calls.Install, reads.install)
	w := &famWorld{t: t, db: db, table: table, s: New(db, table), calls: calls, reads: reads}
	ctx := context.Background()
	roster := []safeguarding.StaffMember{
		{Email: famTeacher, Roles: []safeguarding.Role{safeguarding.RoleTeacher}},
		{Email: famDSL, Roles: []safeguarding.Role{safeguarding.RoleDSL}},
		{Email: famHead, Roles: []safeguarding.Role{safeguarding.RoleSeniorDSL}},
	}
	w.school = safeguarding.School{ID: famSchool, Name: "Brook Lane", Roster: roster}
	if err := w.s.PutSchool(ctx, w.school); err != nil {
		t.Fatal(err)
	}
	if err := w.s.PutSchool(ctx, safeguarding.School{ID: "hillcrest", Name: "Hillcrest"}); err != nil {
		t.Fatal(err)
	}
	for _, m := range roster {
		if err := w.s.PutUser(ctx, safeguarding.Principal{Email: m.Email, Name: m.Email, Memberships: map[safeguarding.SchoolID][]safeguarding.Role{famSchool: m.Roles}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.s.PutUser(ctx, safeguarding.Principal{Email: famOther, Name: "Other", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"hillcrest": {safeguarding.RoleDSL}}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// family is a family of two children acknowledged at ack (zero: never), with the next look
// the engagement API gives it.
func (w *famWorld) family(id string, ack time.Time) contact.Family {
	f := contact.RestoreFamily(contact.FamilySnapshot{ID: id, School: famSchool, Status: contact.FamilyEngaged, Children: []contact.FamilyChild{
		{Pupil: safeguarding.PupilID(id + "-a"), ClassName: "Acorns"}, {Pupil: safeguarding.PupilID(id + "-b"), ClassName: "Willows"}}})
	if ack.IsZero() {
		return f
	}
	f = contacttest.Family(f, func(s *contact.FamilySnapshot) { s.LastContactAt, s.LastContactHow = ack.UTC(), contact.AckThumbsUp })
	f.LookAfterContact(safeguarding.Weekdays{}, ack)
	return f
}

// item reads an item as stored, attribute by attribute (nil when there is none).
func (w *famWorld) item(pk, sk string) map[string]types.AttributeValue {
	w.t.Helper()
	out, err := w.db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: &w.table, ConsistentRead: aws.Bool(true),
		Key: key{PK: pk, SK: sk}.av()})
	if err != nil {
		w.t.Fatal(err)
	}
	return out.Item
}

func famAttr(it map[string]types.AttributeValue, name string) string {
	switch v := it[name].(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return v.Value
	case *types.AttributeValueMemberBOOL:
		return fmt.Sprint(v.Value)
	case nil:
		return "-"
	}
	return "?"
}

// count counts the items of a type in the table (a test may Scan; the product never does).
func (w *famWorld) count(typ string) int {
	w.t.Helper()
	n := 0
	p := dynamodb.NewScanPaginator(w.db, &dynamodb.ScanInput{TableName: &w.table})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		for _, it := range page.Items {
			if famAttr(it, "type") == typ {
				n++
			}
		}
	}
	return n
}

func (w *famWorld) stored(id string) contact.Family {
	w.t.Helper()
	_, f, err := w.s.Family(context.Background(), famDSL, famSchool, id)
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

// famClosure is a full closure open since the start of the autumn term (rule E0).
var famClosure = safeguarding.Closure{ID: "cl-autumn", School: famSchool, From: famLocal("2026-09-03 00:00"), Version: 1}

func TestRule_E2_TheLookIndexHoldsAFamilyOnlyWhileALookCouldChangeSomething(t *testing.T) {
	w := newFamWorld(t)
	ctx := context.Background()
	fri := famLocal("2026-11-06 16:00")
	untracked := w.family("f-new", time.Time{})
	acked := w.family("f-acked", fri)
	if err := w.s.PutFamilies(ctx, []contact.Family{untracked, acked}); err != nil {
		t.Fatal(err)
	}
	// Never acknowledged, not tracked: nowhere in the look index or the MISSING list.
	it := w.item(familyPK(famSchool, "f-new"), "FAMILY")
	if famAttr(it, "GSI2PK") != "-" || famAttr(it, "GSI3PK") != "-" || famAttr(it, "nextLook") != "-" {
		t.Errorf("an untracked family is indexed: GSI2PK %s, GSI3PK %s", famAttr(it, "GSI2PK"), famAttr(it, "GSI3PK"))
	}
	// Acknowledged on Friday 6 Nov: looked at on the day after its 6th silent school day
	// (Mon 16 Nov), Tuesday 17 Nov.
	it = w.item(familyPK(famSchool, "f-acked"), "FAMILY")
	if famAttr(it, "GSI2PK") != LookShard(famSchool) || famAttr(it, "GSI2SK") != "2026-11-17#brook-lane#f-acked" || famAttr(it, "GSI3PK") != "-" {
		t.Errorf("look index of an acknowledged family: %s / %s, GSI3PK %s", famAttr(it, "GSI2PK"), famAttr(it, "GSI2SK"), famAttr(it, "GSI3PK"))
	}
	// The job's look on the 17th logs it MISSING: it moves to the day it would reach 20 and
	// joins the MISSING list.
	tue := famLocal("2026-11-17 05:30")
	wr, ok := acked.Check(safeguarding.Weekdays{}, safeguarding.Weekdays{}, famClosure, w.school, "E1", tue)
	if !ok || wr.Family.Status() != contact.FamilyMissing {
		t.Fatalf("the check did not log it missing: %+v", wr.Family)
	}
	if err := w.s.SaveFamily(ctx, wr); err != nil {
		t.Fatal(err)
	}
	it = w.item(familyPK(famSchool, "f-acked"), "FAMILY")
	if famAttr(it, "GSI2SK") != "2026-12-05#brook-lane#f-acked" || famAttr(it, "GSI3PK") != "SCHOOL#brook-lane#FAMILIES#missing" ||
		famAttr(it, "GSI3SK") != stamp(tue)+"#f-acked" || famAttr(it, "version") != "1" {
		t.Errorf("a MISSING family: GSI2SK %s, GSI3PK %s, GSI3SK %s, version %s", famAttr(it, "GSI2SK"), famAttr(it, "GSI3PK"), famAttr(it, "GSI3SK"), famAttr(it, "version"))
	}
	// At 20 silent school days the LA is raised and nothing is left for a look to do: the family
	// leaves the look index (and stays MISSING).
	missing := w.stored("f-acked")
	wr, ok = missing.Check(safeguarding.Weekdays{}, safeguarding.Weekdays{}, famClosure, w.school, "E2", famLocal("2026-12-05 05:30"))
	if !ok || wr.Family.LARaisedAt().IsZero() {
		t.Fatalf("20 days did not raise the LA: %+v", wr.Family)
	}
	if err := w.s.SaveFamily(ctx, wr); err != nil {
		t.Fatal(err)
	}
	it = w.item(familyPK(famSchool, "f-acked"), "FAMILY")
	if famAttr(it, "GSI2PK") != "-" || famAttr(it, "GSI2SK") != "-" || famAttr(it, "GSI3PK") == "-" {
		t.Errorf("after the LA step: GSI2PK %s, GSI3PK %s", famAttr(it, "GSI2PK"), famAttr(it, "GSI3PK"))
	}
	// A new acknowledgement ends MISSING (E6): off the MISSING list, back in the look index
	// from the day of the acknowledgement.
	ack := famLocal("2026-12-07 09:00")
	wr, ok, err := w.stored("f-acked").Acknowledge(contact.Acknowledgement{FamilyID: "f-acked", At: ack, Kind: contact.AckMessage}, famTeacher, "E3", ack)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	wr.Family.LookAfterContact(safeguarding.Weekdays{}, ack)
	if err := w.s.SaveFamily(ctx, wr); err != nil {
		t.Fatal(err)
	}
	it = w.item(familyPK(famSchool, "f-acked"), "FAMILY")
	if famAttr(it, "GSI2SK") != "2026-12-16#brook-lane#f-acked" || famAttr(it, "GSI3PK") != "-" || famAttr(it, "status") != "engaged" {
		t.Errorf("after an acknowledgement: GSI2SK %s, GSI3PK %s, status %s", famAttr(it, "GSI2SK"), famAttr(it, "GSI3PK"), famAttr(it, "status"))
	}
}

func TestRule_E2_FamiliesToLookReadsOnlyTheFamiliesDueALook(t *testing.T) {
	w := newFamWorld(t)
	ctx := context.Background()
	// 40 families acknowledged on every school day of a fortnight, so their looks fall on
	// different days; some looks fall on Monday 16 and Tuesday 17 Nov, the days the run reads.
	var all []contact.Family
	want := map[string]bool{}
	days := []string{"2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-09", "2026-11-10", "2026-11-11", "2026-11-12", "2026-11-13"}
	for i := range 40 {
		f := w.family(fmt.Sprintf("f%02d", i), famLocal(days[i%len(days)]+" 15:00"))
		all = append(all, f)
		if d := localDate(f.NextLook()); d == "2026-11-16" || d == "2026-11-17" {
			want[f.ID()] = true
		}
	}
	// Families never acknowledged, a family of another school due the same day, and one due
	// before the last day the job reached (an earlier run's).
	all = append(all, w.family("f-new", time.Time{}))
	other := w.family("f-other", famLocal("2026-11-06 15:00"))
	other = contacttest.Family(other, func(s *contact.FamilySnapshot) { s.School = "hillcrest" })
	early := w.family("f-early", famLocal("2026-10-30 15:00")) // looked at on Sat 7 Nov
	all = append(all, other, early)
	if err := w.s.PutFamilies(ctx, all); err != nil {
		t.Fatal(err)
	}
	if len(want) < 4 || len(want) > 12 {
		t.Fatalf("%d families due: the data does not test much", len(want))
	}

	w.reads.reset()
	got, err := w.s.FamiliesToLook(ctx, famSchool, famLocal("2026-11-16 05:30"), famLocal("2026-11-17 05:30"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, f := range got {
		ids = append(ids, f.ID())
		if !want[f.ID()] || f.School() != famSchool || len(f.Children()) != 2 || f.LastContactAt().IsZero() {
			t.Errorf("read %+v", f)
		}
	}
	if len(got) != len(want) {
		t.Errorf("read %v, want the %d due on the 16th and 17th", ids, len(want))
	}
	// One Query of the look index per day, and nothing read but the families returned.
	if w.reads.calls["GSI2"] != 2 || w.reads.scanned["GSI2"] != len(want) || len(w.reads.calls) != 1 {
		t.Errorf("queries %v, items read %v; want 2 Queries of GSI2 reading %d items", w.reads.calls, w.reads.scanned, len(want))
	}
	// A first run (no day reached yet) reads from further back and finds the early one too:
	// every tracked Brook Lane family whose look falls from 1 to 17 Nov, none later.
	got, err = w.s.FamiliesToLook(ctx, famSchool, famLocal("2026-11-01 05:30"), famLocal("2026-11-17 05:30"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range all {
		if f.School() == famSchool && !f.NextLook().IsZero() && localDate(f.NextLook()) <= "2026-11-17" {
			n++
		}
	}
	if len(got) != n || !slices.ContainsFunc(got, func(f contact.Family) bool { return f.ID() == "f-early" }) {
		t.Errorf("from 1 Nov: %d families, want the %d looked at from 1 to 17 Nov, f-early among them", len(got), n)
	}
}

// The fan-out's read of the look index (A110): every family of the federation due a look on
// or before the run's day, whatever day it fell due, by school, in one Query a shard; none due
// later. A school with more due than the read keeps is listed to read its own.
func TestRule_E2_FamiliesDueReadsTheFederationsDueFamiliesInOneQueryAShard(t *testing.T) {
	w := newFamWorld(t)
	ctx := context.Background()
	days := []string{"2026-10-30", "2026-11-02", "2026-11-04", "2026-11-06", "2026-11-09", "2026-11-11", "2026-11-13"}
	var all []contact.Family
	want := map[safeguarding.SchoolID]map[string]bool{}
	for i := range 28 {
		f := w.family(fmt.Sprintf("f%02d", i), famLocal(days[i%len(days)]+" 15:00"))
		if i%4 == 3 { // a quarter of them at Hillcrest
			f = contacttest.Family(f, func(s *contact.FamilySnapshot) { s.School = "hillcrest" })
		}
		all = append(all, f)
		if localDate(f.NextLook()) <= "2026-11-17" {
			if want[f.School()] == nil {
				want[f.School()] = map[string]bool{}
			}
			want[f.School()][f.ID()] = true
		}
	}
	all = append(all, w.family("f-new", time.Time{})) // never acknowledged: in no look
	if err := w.s.PutFamilies(ctx, all); err != nil {
		t.Fatal(err)
	}
	if len(want[famSchool]) < 5 || len(want["hillcrest"]) < 2 || len(want[famSchool])+len(want["hillcrest"]) > 24 {
		t.Fatalf("due %v: the data does not test much", want)
	}

	w.reads.reset()
	both := []safeguarding.SchoolID{famSchool, "hillcrest"}
	shards := 2
	if LookShard(famSchool) == LookShard("hillcrest") {
		shards = 1
	}
	due, err := w.s.FamiliesDue(ctx, famLocal("2026-11-17 05:30"), both, 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(due.Over) != 0 || len(due.Families) != 2 {
		t.Errorf("schools %d, over %v; want the two, none over", len(due.Families), due.Over)
	}
	n := 0
	for school, fams := range due.Families {
		for _, f := range fams {
			n++
			if !want[school][f.ID()] || f.School() != school || len(f.Children()) != 2 || f.LastContactAt().IsZero() || f.NextLook().IsZero() {
				t.Errorf("%s: read %+v", school, f)
			}
		}
		if len(fams) != len(want[school]) {
			t.Errorf("%s: %d families read, want %d", school, len(fams), len(want[school]))
		}
	}
	// One Query a shard holding one of the schools, reading nothing but the families returned.
	if w.reads.calls["GSI2"] != shards || w.reads.scanned["GSI2"] != n || len(w.reads.calls) != 1 {
		t.Errorf("queries %v, items read %v; want %d Queries of GSI2 reading %d items", w.reads.calls, w.reads.scanned, shards, n)
	}
	// Brook Lane alone: one Query, and none of Hillcrest's families kept.
	w.reads.reset()
	due, err = w.s.FamiliesDue(ctx, famLocal("2026-11-17 05:30"), []safeguarding.SchoolID{famSchool}, 100)
	if err != nil || len(due.Families) != 1 || len(due.Families[famSchool]) != len(want[famSchool]) || w.reads.calls["GSI2"] != 1 {
		t.Errorf("Brook Lane alone: %d schools, %d families, %v; %d Queries", len(due.Families), len(due.Families[famSchool]), err, w.reads.calls["GSI2"])
	}
	// Keeping at most 3 a school: Brook Lane reads its own; Hillcrest's are kept if few enough.
	due, err = w.s.FamiliesDue(ctx, famLocal("2026-11-17 05:30"), both, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !due.Over[famSchool] || due.Families[famSchool] != nil {
		t.Errorf("Brook Lane with %d due, 3 kept: over %v, %d kept", len(want[famSchool]), due.Over, len(due.Families[famSchool]))
	}
	var es engagement.EscalationSchool
	es.ID = famSchool
	due.For(&es)
	if es.DueRead {
		t.Error("a school past the limit was handed families")
	}
	es = engagement.EscalationSchool{}
	es.ID = "nowhere"
	due.For(&es)
	if !es.DueRead || es.Due == nil || len(es.Due) != 0 {
		t.Errorf("a school with none due: %+v", es)
	}
}

func TestRule_E2_E3_SaveFamilyIsConditionalOnTheVersionReadAndWritesNothingWhenRefused(t *testing.T) {
	w := newFamWorld(t)
	ctx := context.Background()
	f := w.family("f1", famLocal("2026-11-06 16:00"))
	if err := w.s.PutFamily(ctx, f); err != nil {
		t.Fatal(err)
	}
	tue := famLocal("2026-11-17 05:30")
	missing, ok := f.Check(safeguarding.Weekdays{}, safeguarding.Weekdays{}, famClosure, w.school, "M1", tue)
	if !ok || missing.OpenCall == nil || len(missing.Entries) != 2 || len(missing.Alerts) != 1 {
		t.Fatalf("the check: %+v", missing)
	}
	w.calls.Reset()
	if err := w.s.SaveFamily(ctx, missing); err != nil {
		t.Fatal(err)
	}
	if n := w.calls.Count("TransactWriteItems"); n != 1 || w.calls.Total() != 1 {
		t.Errorf("calls %v: want one transaction", w.calls.Counts())
	}
	// rule E3: the phone call, due within 24 hours, is on the deadline engine's due index under
	// the day of its first look (the 18th: a reminder before it is due), and the family points at
	// it; it belongs to the DSLs as a group (no assignee) and is on the school's open calls.
	stored := w.stored("f1")
	call := w.item(familyPK(famSchool, "f1"), stored.CallKey())
	if stored.Version() != 1 || stored.CallKey() == "" || famAttr(call, "dueActive") != "true" || famAttr(call, "dueKind") != "phone-call" ||
		famAttr(call, "GSI2PK") != "SCHOOL#brook-lane#DUE#2026-11-18" || famAttr(call, "dueAssignee") != "" ||
		famAttr(call, "GSI3PK") != "SCHOOL#brook-lane#CALLS#open" {
		t.Fatalf("family %+v; call dueActive %s, dueKind %s, GSI2PK %s, dueAssignee %s, GSI3PK %s", stored,
			famAttr(call, "dueActive"), famAttr(call, "dueKind"), famAttr(call, "GSI2PK"), famAttr(call, "dueAssignee"), famAttr(call, "GSI3PK"))
	}
	entries, outbox := w.count("chronology"), w.count("outbox")

	// The same change again (a redelivered message, an overlapping run): refused, and its
	// entries, alerts and call are not written twice.
	if err := w.s.SaveFamily(ctx, missing); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("the same change twice: %v", err)
	}
	// A change made from the version read before (a teacher's acknowledgement racing the job).
	ack := famLocal("2026-11-17 08:00")
	stale, ok, err := f.Acknowledge(contact.Acknowledgement{FamilyID: "f1", At: ack, Kind: contact.AckMessage}, famTeacher, "A1", ack)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if err := w.s.SaveFamily(ctx, stale); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a change from a stale version: %v", err)
	}
	// A family that is not there cannot be changed into being.
	ghost := stale
	ghost.Family = contacttest.Family(ghost.Family, func(s *contact.FamilySnapshot) { s.ID = "f-ghost" })
	if err := w.s.SaveFamily(ctx, ghost); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a change to a family that does not exist: %v", err)
	}
	if w.count("chronology") != entries || w.count("outbox") != outbox || w.count("family") != 1 {
		t.Errorf("refused changes wrote: chronology %d -> %d, outbox %d -> %d", entries, w.count("chronology"), outbox, w.count("outbox"))
	}
	if got := w.stored("f1"); got.Version() != 1 || got.Status() != contact.FamilyMissing || got.LastContactAt().Equal(ack) {
		t.Errorf("after refused changes: %+v", got)
	}

	// The same acknowledgement from the version stored: MISSING ends, the call leaves the
	// ladder (rule E6), with a contact_restored entry for each child, in one transaction.
	fresh, ok, err := w.stored("f1").Acknowledge(contact.Acknowledgement{FamilyID: "f1", At: ack, Kind: contact.AckMessage}, famTeacher, "A2", ack)
	if err != nil || !ok || fresh.CloseCall != stored.CallKey() {
		t.Fatal(ok, err, fresh.CloseCall)
	}
	if err := w.s.SaveFamily(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	call = w.item(familyPK(famSchool, "f1"), stored.CallKey())
	if famAttr(call, "dueActive") != "false" || famAttr(call, "GSI2PK") != "-" {
		t.Errorf("the call after contact: %v", call)
	}
	if got := w.stored("f1"); got.Version() != 2 || got.Status() != contact.FamilyEngaged || got.CallKey() != "" || w.count("chronology") != entries+2 {
		t.Errorf("after the acknowledgement: %+v, %d entries", got, w.count("chronology"))
	}
	if _, list, err := w.s.MissingFamilies(ctx, famDSL, famSchool); err != nil || len(list) != 0 {
		t.Errorf("still listed missing: %v %v", list, err)
	}
}

func TestSaveFamilyWithAnIdempotencyKeyIsDoneOnce(t *testing.T) {
	w := newFamWorld(t)
	ctx := context.Background()
	f := w.family("f1", famLocal("2026-11-06 16:00"))
	if err := w.s.PutFamily(ctx, f); err != nil {
		t.Fatal(err)
	}
	at := famLocal("2026-11-17 10:00")
	rk := safeguarding.RequestKey{School: famSchool, Actor: famDSL, Key: "call-1"}
	change := func(version int) contact.FamilyWrite {
		next := contacttest.Family(f, func(s *contact.FamilySnapshot) { s.Attempts, s.LastAttemptAt, s.Version = 1, at.UTC(), version+1 })
		return contact.FamilyWrite{Family: next, PrevVersion: version, At: at,
			Audits:  []safeguarding.AuditEntry{{ID: fmt.Sprintf("audit-%d", version), School: famSchool, Actor: famDSL, Action: engagement.AuditFamilyChanged, Subject: "family/f1", At: at}},
			Request: &safeguarding.RequestRecord{Key: rk, Fingerprint: "fp-1", Receipt: safeguarding.Receipt{ID: "f1", RecordedAt: at}}}
	}
	if err := w.s.SaveFamily(ctx, change(0)); err != nil {
		t.Fatal(err)
	}
	// The retry of the same request, even one that would otherwise apply (version 1 now), is
	// told the key was taken; the earlier request's fingerprint is there to compare.
	if err := w.s.SaveFamily(ctx, change(1)); !errors.Is(err, safeguarding.ErrDuplicateRequest) {
		t.Fatalf("the same key again: %v", err)
	}
	prior, err := w.s.PriorRequest(ctx, rk)
	if err != nil || prior.Fingerprint != "fp-1" || prior.Receipt.ID != "f1" {
		t.Errorf("prior request %+v %v", prior, err)
	}
	if got := w.stored("f1"); got.Version() != 1 || w.count("audit") != 1 || w.count("request") != 1 {
		t.Errorf("after a repeated key: version %d, %d audit entries, %d requests", got.Version(), w.count("audit"), w.count("request"))
	}
}

func TestRule_E2_MissingFamiliesAreListedLongestFirstForMembersOnly(t *testing.T) {
	w := newFamWorld(t)
	ctx := context.Background()
	for _, c := range []struct {
		id    string
		since string
	}{{"f-b", "2026-11-18 05:30"}, {"f-a", "2026-11-10 05:30"}, {"f-c", "2026-11-20 05:30"}} {
		f := w.family(c.id, famLocal("2026-11-02 15:00"))
		f = contacttest.Family(f, func(s *contact.FamilySnapshot) {
			s.Status, s.MissingSince = contact.FamilyMissing, famLocal(c.since).UTC()
		})
		if err := w.s.PutFamily(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.s.PutFamily(ctx, w.family("f-engaged", famLocal("2026-11-20 15:00"))); err != nil {
		t.Fatal(err)
	}
	w.reads.reset()
	p, list, err := w.s.MissingFamilies(ctx, famDSL, famSchool)
	if err != nil || p.Email != famDSL {
		t.Fatal(p, err)
	}
	var ids []string
	for _, f := range list {
		ids = append(ids, f.ID())
	}
	if !slices.Equal(ids, []string{"f-a", "f-b", "f-c"}) {
		t.Errorf("listed %v, want the longest missing first and no engaged family", ids)
	}
	if w.reads.calls["GSI3"] != 1 || w.reads.scanned["GSI3"] != 3 {
		t.Errorf("queries %v, read %v: want one Query of GSI3 reading the three", w.reads.calls, w.reads.scanned)
	}
	if _, _, err := w.s.MissingFamilies(ctx, famOther, famSchool); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("another school's DSL: %v", err)
	}
	if _, _, err := w.s.Family(ctx, famOther, famSchool, "f-a"); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("another school's DSL reading a family: %v", err)
	}
	if _, _, err := w.s.Family(ctx, famDSL, famSchool, "f-nobody"); !errors.Is(err, safeguarding.ErrNotFound) {
		t.Errorf("no such family: %v", err)
	}
	if _, _, err := w.s.Family(ctx, famDSL, "hillcrest", "f-a"); !errors.Is(err, safeguarding.ErrForbidden) && !errors.Is(err, safeguarding.ErrNotFound) {
		t.Errorf("a Brook Lane family through another school's path: %v", err)
	}
}

func TestEscalationRegistryKeepsTheDayReachedPerSchool(t *testing.T) {
	w := newFamWorld(t)
	ctx := context.Background()
	if err := w.s.EscalationReached(ctx, famSchool, famLocal("2026-11-17 05:30"), engagement.SchoolSheet{}); err != nil {
		t.Fatal(err)
	}
	schools, err := w.s.EscalationSchools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	from := map[safeguarding.SchoolID]time.Time{}
	for _, s := range schools {
		from[s.ID] = s.From
	}
	if len(from) != 2 || !from[famSchool].Equal(famLocal("2026-11-17 00:00")) || !from["hillcrest"].IsZero() {
		t.Errorf("registry %v", schools)
	}
	// A school that is not in the registry is not created by the job's mark.
	if err := w.s.EscalationReached(ctx, "nowhere", famLocal("2026-11-17 05:30"), engagement.SchoolSheet{}); err == nil {
		t.Error("marked a school that does not exist")
	}
}

func TestRule_E1_AWholeClassIsAcknowledgedInOneBatchWithSiblingsCountedOnce(t *testing.T) {
	w := newFamWorld(t)
	ctx := context.Background()
	if err := w.s.PutClass(ctx, famSchool, "Acorns", []string{famTeacher}); err != nil {
		t.Fatal(err)
	}
	// Acorns: 12 pupils in 9 families (three pairs of siblings in the class).
	var fams []contact.Family
	var acks []contact.Acknowledgement
	at := famLocal("2026-11-23 15:00")
	for i := range 9 {
		f := contact.RestoreFamily(contact.FamilySnapshot{ID: fmt.Sprintf("f%d", i), School: famSchool, Status: contact.FamilyEngaged})
		kids := 1
		if i < 3 {
			kids = 2
		}
		for k := range kids {
			p := safeguarding.Pupil{ID: safeguarding.PupilID(fmt.Sprintf("p%d%d", i, k)), School: famSchool, Name: fmt.Sprintf("Pupil %d %d", i, k), ClassName: "Acorns", FamilyID: f.ID()}
			if err := w.s.PutPupil(ctx, p); err != nil {
				t.Fatal(err)
			}
			f = contacttest.Family(f, func(s *contact.FamilySnapshot) {
				s.Children = append(s.Children, contact.FamilyChild{Pupil: p.ID, ClassName: "Acorns"})
			})
			acks = append(acks, contact.Acknowledgement{PupilID: p.ID, At: at.Add(time.Duration(k) * time.Minute), Kind: contact.AckThumbsUp})
		}
		fams = append(fams, f)
	}
	if err := w.s.PutFamilies(ctx, fams); err != nil {
		t.Fatal(err)
	}
	eng := engagement.Engagement{Store: w.s, BankHolidays: safeguarding.Weekdays{}, NewID: NewID}
	who := safeguarding.Caller{Email: famTeacher, At: famLocal("2026-11-23 16:00")}
	rk := safeguarding.RequestKey{School: famSchool, Actor: famTeacher, Key: "acorns"}
	w.calls.Reset()
	res, err := eng.Acknowledge(ctx, who, famSchool, acks, rk, "fp")
	if err != nil {
		t.Fatal(err)
	}
	if res.Changed != 9 || len(res.Families) != 9 {
		t.Errorf("changed %d, families %d; want 9 families changed once each", res.Changed, len(res.Families))
	}
	// The reads of a class: one BatchGetItem (caller, school, key, pupils) beside one Query
	// (the caller's classes), one BatchGetItem of the families; then one transaction per
	// family and one for the audit entry and the key.
	want := map[string]int{"BatchGetItem": 2, "Query": 1, "TransactWriteItems": 10}
	if got := w.calls.Counts(); len(got) != len(want) || got["BatchGetItem"] != 2 || got["Query"] != 1 || got["TransactWriteItems"] != 10 {
		t.Errorf("calls %v, want %v", got, want)
	}
	for i, f := range fams {
		got := w.stored(f.ID())
		newest := at
		if i < 3 {
			newest = at.Add(time.Minute) // the later sibling's acknowledgement
		}
		if !got.LastContactAt().Equal(newest) || got.Version() != 1 || got.NextLook().IsZero() {
			t.Errorf("family %s: %+v", f.ID(), got)
		}
	}
	// The same batch again with its key: nothing changes, nothing is written but the audit
	// entry of the replay, in one transaction with its pupils' index items (rule P4).
	w.calls.Reset()
	if _, err := eng.Acknowledge(ctx, who, famSchool, acks, rk, "fp"); err != nil {
		t.Fatal(err)
	}
	if got := w.calls.Counts(); got["TransactWriteItems"] != 1 || got["PutItem"] != 0 {
		t.Errorf("the replay: calls %v", got)
	}
	// A version conflict (another teacher's acknowledgement landing first) is retried against
	// the family as it now is.
	later := []contact.Acknowledgement{{FamilyID: "f5", At: at.Add(time.Hour), Kind: contact.AckMessage}}
	w.calls.FailNext("TransactWriteItems", &types.TransactionCanceledException{Message: aws.String("conflict"),
		CancellationReasons: []types.CancellationReason{{Code: aws.String("ConditionalCheckFailed")}}})
	res, err = eng.Acknowledge(ctx, safeguarding.Caller{Email: famTeacher, At: at.Add(2 * time.Hour)}, famSchool, later, safeguarding.RequestKey{}, "")
	if err != nil || res.Changed != 1 {
		t.Fatalf("after a conflict: %+v %v", res, err)
	}
	if got := w.stored("f5"); got.Version() != 2 || !got.LastContactAt().Equal(at.Add(time.Hour)) {
		t.Errorf("f5 after the retried change: %+v", got)
	}
}

// A family saved with the look keys from before the index was sharded is moved onto its
// shard's keys, where the morning run finds it; a family written since is left as it is, and
// moving again moves nothing.
func TestRule_E2_RelookFamiliesMovesFamiliesSavedWithTheOldLookKeys(t *testing.T) {
	w := newFamWorld(t)
	ctx := context.Background()
	oldKeys := func(id, day string) {
		_, err := w.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &w.table, Key: familyKey(famSchool, id).av(),
			UpdateExpression:          aws.String("SET GSI2PK = :pk, GSI2SK = :sk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str("SCHOOL#brook-lane#LOOK#" + day), ":sk": str(id)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	a, b := w.family("f-a", famLocal("2026-11-06 16:00")), w.family("f-b", famLocal("2026-11-05 16:00"))
	if err := w.s.PutFamilies(ctx, []contact.Family{a, b, w.family("f-new", time.Time{})}); err != nil {
		t.Fatal(err)
	}
	oldKeys("f-a", localDate(a.NextLook()))
	oldKeys("f-b", localDate(b.NextLook()))
	now := famLocal("2026-11-17 05:30")
	if due, err := w.s.FamiliesDue(ctx, now, []safeguarding.SchoolID{famSchool}, 100); err != nil || len(due.Families[famSchool]) != 0 {
		t.Fatalf("families with the old keys were read: %v %v", due.Families, err)
	}
	// f-b is written again before the move: its Put gives it the new keys.
	if err := w.s.PutFamily(ctx, b); err != nil {
		t.Fatal(err)
	}
	moved, err := w.s.RelookFamilies(ctx, famSchool)
	if err != nil || moved != 1 {
		t.Fatalf("moved %d, %v; want f-a alone", moved, err)
	}
	it := w.item(familyPK(famSchool, "f-a"), "FAMILY")
	if famAttr(it, "GSI2PK") != LookShard(famSchool) || famAttr(it, "GSI2SK") != localDate(a.NextLook())+"#brook-lane#f-a" || famAttr(it, "version") != "0" {
		t.Errorf("f-a after the move: %s / %s, version %s", famAttr(it, "GSI2PK"), famAttr(it, "GSI2SK"), famAttr(it, "version"))
	}
	due, err := w.s.FamiliesDue(ctx, now, []safeguarding.SchoolID{famSchool}, 100)
	if err != nil || len(due.Families[famSchool]) != 2 {
		t.Errorf("due after the move: %d, %v; want f-a and f-b", len(due.Families[famSchool]), err)
	}
	if moved, err := w.s.RelookFamilies(ctx, famSchool); err != nil || moved != 0 {
		t.Errorf("again: moved %d, %v", moved, err)
	}
}
