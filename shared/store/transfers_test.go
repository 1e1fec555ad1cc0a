package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
)

// transferWorld is two schools of a federation: Brook Lane, where Ava Brown has a file of
// several concerns, and Hill Top, where she moves.
type transferWorld struct {
	s        *Store
	calls    *dynamotest.Counter
	tx       *cutter
	svc      transfers.Transfers
	at       time.Time
	concerns int
}

const (
	trFrom    = safeguarding.SchoolID("brook-lane")
	trTo      = safeguarding.SchoolID("hill-top")
	trDSL     = "dan.reyes@brook.example"
	trHead    = "helen.carter@brook.example"
	trTeacher = "tia.jones@brook.example"
	trToDSL   = "hana.ali@hill.example"
	trToHead  = "sam.okoye@hill.example"
)

// cutter cuts the copy short: before the n-th TransactWriteItems from now it queues a fault
// with the counter's FailNext, as a Lambda timing out mid-copy would leave it.
type cutter struct {
	API
	calls *dynamotest.Counter
	mu    sync.Mutex
	in    int
}

func (c *cutter) cutAt(n int) { c.mu.Lock(); c.in = n; c.mu.Unlock() }

func (c *cutter) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, o ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	c.mu.Lock()
	if c.in > 0 {
		c.in--
		if c.in == 0 {
			c.calls.FailNext("TransactWriteItems", errors.New("the function timed out"))
		}
	}
	c.mu.Unlock()
	return c.API.TransactWriteItems(ctx, in, o...)
}

func newTransferWorld(t *testing.T, nConcerns int) *transferWorld {
	t.Helper()
	db, table, calls := dynamotest.NewCountingClient(t)
	cut := &cutter{API: db, calls: calls}
	s := New(cut, table)
	ctx := context.Background()
	people := []safeguarding.Principal{
		{Email: trDSL, Name: "Dan Reyes", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{trFrom: {safeguarding.RoleStaff, safeguarding.RoleDSL}}},
		{Email: trHead, Name: "Helen Carter", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{trFrom: {safeguarding.RoleStaff, safeguarding.RoleSeniorDSL}}},
		{Email: trTeacher, Name: "Tia Jones", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{trFrom: {safeguarding.RoleStaff, safeguarding.RoleTeacher}, trTo: {safeguarding.RoleTeacher}}},
		{Email: trToDSL, Name: "Hana Ali", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{trTo: {safeguarding.RoleStaff, safeguarding.RoleDSL}}},
		{Email: trToHead, Name: "Sam Okoye", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{trTo: {safeguarding.RoleSeniorDSL}}},
	}
	roster := func(school safeguarding.SchoolID) []safeguarding.StaffMember {
		var out []safeguarding.StaffMember
		for _, p := range people {
			if rs := p.Memberships[school]; len(rs) > 0 {
				out = append(out, safeguarding.StaffMember{Email: p.Email, Roles: rs})
			}
		}
		return out
	}
	for _, p := range people {
		if err := s.PutUser(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	for _, sc := range []safeguarding.School{{ID: trFrom, Name: "Brook Lane", Roster: roster(trFrom)}, {ID: trTo, Name: "Hill Top", Roster: roster(trTo)}} {
		if err := s.PutSchool(ctx, sc); err != nil {
			t.Fatal(err)
		}
	}
	dob := time.Date(2015, 3, 4, 0, 0, 0, 0, safeguarding.London)
	if err := s.PutPupil(ctx, safeguarding.Pupil{ID: "p1", School: trFrom, Name: "Ava Brown", DateOfBirth: dob}); err != nil {
		t.Fatal(err)
	}
	// Thursday 27 May 2027, before the late May bank holiday.
	at := time.Date(2027, 5, 27, 9, 0, 0, 0, time.UTC)
	cs := concerns.Concerns{Store: s, Catalogue: concerns.PolicyCatalogue(), Calendar: holidaysOf("2027-05-31"), NewID: NewID}
	for i := range nConcerns {
		when := at.Add(-time.Duration(nConcerns-i) * 24 * time.Hour)
		if _, err := cs.Record(ctx, safeguarding.Caller{Email: trTeacher, At: when}, trFrom, concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"p1"},
			Category: "wellbeing", ObservedAt: when.Add(-time.Hour), Details: fmt.Sprintf("what happened, %d", i)}, safeguarding.RequestKey{}, ""); err != nil {
			t.Fatal(err)
		}
	}
	n := 0
	svc := transfers.Transfers{Store: s, Calendar: holidaysOf("2027-05-31"), Random: bytes.NewReader(bytes.Repeat([]byte{9, 41, 200, 3}, 400)),
		NewID: func(at time.Time) string { n++; return fmt.Sprintf("%s-%04d", NewID(at), n) }}
	calls.Reset()
	return &transferWorld{s: s, calls: calls, tx: cut, svc: svc, at: at, concerns: nConcerns}
}

type holidaysOf string

func (h holidaysOf) IsSchoolDay(d time.Time) bool {
	l := d.In(safeguarding.London)
	return l.Weekday() != time.Saturday && l.Weekday() != time.Sunday && !strings.Contains(string(h), l.Format(time.DateOnly))
}

func (w *transferWorld) caller(email string, at time.Time) safeguarding.Caller {
	return safeguarding.Caller{Email: email, At: at, Source: "test"}
}

func TestRule_S5_WithinTheFederationTheFileIsCopiedResumedAfterACutAndReceived(t *testing.T) {
	w := newTransferWorld(t, 30)
	ctx := context.Background()

	// A teacher may not record a move.
	if _, err := w.svc.Record(ctx, w.caller(trTeacher, w.at), trFrom, "p1", transfers.Move{ToSchool: trTo}, ""); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Fatalf("a teacher records a move: %v", err)
	}
	w.calls.Reset()
	tr, err := w.svc.Record(ctx, w.caller(trDSL, w.at), trFrom, "p1", transfers.Move{ToSchool: trTo}, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	// Recording: one BatchGetItem, one TransactWriteItems.
	if got := w.calls.Counts(); w.calls.Total() != 2 || got["BatchGetItem"] != 1 || got["TransactWriteItems"] != 1 {
		t.Errorf("recording took %v", got)
	}
	// Friday 4 June 2027, 17:00 BST: Fri 28, Tue 1, Wed 2, Thu 3, Fri 4 (Monday 31 May a bank holiday).
	if want := time.Date(2027, 6, 4, 16, 0, 0, 0, time.UTC); tr.Status != transfers.StatusDue || !tr.DueBy.Equal(want) || tr.To.SchoolName != "Hill Top" {
		t.Errorf("recorded %+v, due %s", tr.Status, tr.DueBy)
	}
	again, err := w.svc.Record(ctx, w.caller(trDSL, w.at.Add(time.Minute)), trFrom, "p1", transfers.Move{ToSchool: trTo}, "key-1")
	if err != nil || again.ID != tr.ID {
		t.Errorf("the same request again: %v %s", err, again.ID)
	}

	// The copy: the pupil's partition (the pupil, 30 entries, 1 transfer entry) and the 30
	// concerns' partitions come to more than two chunks. The second chunk is cut.
	w.tx.cutAt(2)
	if _, err := w.svc.SendWithin(ctx, w.caller(trDSL, w.at.Add(time.Hour)), trFrom, tr.ID); err == nil {
		t.Fatal("the cut copy succeeded")
	}
	_, cut, err := w.s.Load(ctx, trDSL, tr.ID)
	if err != nil || cut.Status != transfers.StatusDue || cut.Copied != CopyChunk || cut.ReceivingPupil == "" {
		t.Fatalf("after the cut: %v %s copied %d to %q", err, cut.Status, cut.Copied, cut.ReceivingPupil)
	}
	total := w.sourceItems(t, tr.ID) + 2 // the name items of the pupil made at Hill Top
	w.calls.Reset()
	sent, err := w.svc.SendWithin(ctx, w.caller(trHead, w.at.Add(2*time.Hour)), trFrom, tr.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Resuming: Load (BatchGetItem), the receiving school (GetItem), the transfer (GetItem),
	// the pupil's partition and the roll (2 Queries), a Query per concern, one chunk left, and
	// the send's own transaction.
	counts := w.calls.Counts()
	if counts["TransactWriteItems"] != (total-CopyChunk+CopyChunk-1)/CopyChunk+1 || counts["Query"] != 2+w.concerns || counts["GetItem"] != 2 || counts["BatchGetItem"] != 1 || counts["Scan"] != 0 {
		t.Errorf("resuming took %v", counts)
	}
	if sent.Status != transfers.StatusSent || sent.Copied != total || sent.SentBy != trHead {
		t.Errorf("sent %s, copied %d of %d", sent.Status, sent.Copied, total)
	}
	// Sending again is refused: the file went.
	if _, err := w.svc.SendWithin(ctx, w.caller(trDSL, w.at.Add(3*time.Hour)), trFrom, tr.ID); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("sent twice: %v", err)
	}

	// The receiving school's DSL finds Ava with her whole file, each record with its provenance.
	_, pupil, entries, err := w.s.ChronologyFor(ctx, trToDSL, trTo, sent.ReceivingPupil)
	if err != nil || pupil.Name != "Ava Brown" || pupil.DateOfBirth.IsZero() {
		t.Fatalf("at the receiving school: %v %+v", err, pupil)
	}
	if kinds := entryTypes(entries); kinds[safeguarding.EntryConcern] != w.concerns || kinds[safeguarding.EntryTransfer] != 2 {
		t.Errorf("the receiving chronology: %v", kinds)
	}
	found, err := w.s.SearchPupils(ctx, trTo, "ava", 10)
	if err != nil || len(found) != 1 || found[0].ID != sent.ReceivingPupil {
		t.Errorf("finding Ava at Hill Top: %v %+v", err, found)
	}
	var copied concernItem
	if ok, err := w.s.getItem(ctx, concernKey(trTo, entries[0].ConcernID), &copied, true); err != nil || !ok || copied.School != string(trTo) {
		t.Errorf("the copied concern: %v %v %+v", ok, err, copied.School)
	}
	prov := w.item(t, concernKey(trTo, entries[0].ConcernID))
	if famAttrAny(prov, "transferredFrom") != string(trFrom) || famAttrAny(prov, "transferredBy") != trDSL || famAttrAny(prov, "transferId") != tr.ID || prov["GSI1PK"] != nil {
		t.Errorf("provenance: %v", prov)
	}
	// The receiving DSLs are alerted, without a name.
	for _, r := range []string{trToDSL, trToHead} {
		a := w.item(t, outboxKey("transfer-"+tr.ID+"#sent#"+r+"#email"))
		if famAttrAny(a, "kind") != "transfer" || strings.Contains(fmt.Sprint(a), "Ava") {
			t.Errorf("alert to %s: %v", r, a)
		}
	}

	// The sending school keeps its copy.
	_, _, kept, err := w.s.ChronologyFor(ctx, trDSL, trFrom, "p1")
	if err != nil || entryTypes(kept)[safeguarding.EntryConcern] != w.concerns || entryTypes(kept)[safeguarding.EntryTransfer] != 2 {
		t.Errorf("the sending school's chronology: %v %v", err, entryTypes(kept))
	}
	if ok, err := w.s.getItem(ctx, concernKey(trFrom, entries[0].ConcernID), &copied, true); err != nil || !ok || copied.School != string(trFrom) {
		t.Errorf("the sending school's concern: %v %v", ok, err)
	}

	// The receipt: the sending school's DSL and a teacher of the receiving one may not confirm.
	if _, err := w.svc.ConfirmReceipt(ctx, w.caller(trDSL, w.at.Add(4*time.Hour)), trFrom, tr.ID); !errors.Is(err, safeguarding.ErrNotFound) {
		t.Errorf("the sending school confirms: %v", err)
	}
	if _, err := w.svc.ConfirmReceipt(ctx, w.caller(trTeacher, w.at.Add(4*time.Hour)), trTo, tr.ID); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher confirms: %v", err)
	}
	w.calls.Reset()
	got, err := w.svc.ConfirmReceipt(ctx, w.caller(trToDSL, w.at.Add(4*time.Hour)), trTo, tr.ID)
	if err != nil || got.Status != transfers.StatusReceived || got.ReceivedBy != trToDSL {
		t.Fatalf("receipt: %v %+v", err, got.Status)
	}
	if c := w.calls.Counts(); w.calls.Total() != 2 || c["TransactWriteItems"] != 1 {
		t.Errorf("the receipt took %v", c)
	}
	// Both schools see it, received, with its history.
	for _, v := range []struct {
		who    string
		school safeguarding.SchoolID
	}{{trDSL, trFrom}, {trToDSL, trTo}} {
		list, err := w.svc.List(ctx, w.caller(v.who, w.at.Add(5*time.Hour)), v.school)
		if err != nil || len(list) != 1 || list[0].Status != transfers.StatusReceived || len(list[0].History) != 3 {
			t.Errorf("%s lists %v %+v", v.school, err, list)
		}
	}
	if _, err := w.svc.List(ctx, w.caller(trTeacher, w.at), trFrom); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher lists transfers: %v", err)
	}
}

func entryTypes(es []safeguarding.ChronologyEntry) map[safeguarding.EntryType]int {
	out := map[safeguarding.EntryType]int{}
	for _, e := range es {
		out[e.Type]++
	}
	return out
}

func (w *transferWorld) item(t *testing.T, k key) map[string]any {
	t.Helper()
	var m map[string]any
	ok, err := w.s.getItem(context.Background(), k, &m, true)
	if err != nil || !ok {
		t.Fatalf("%s %s: %v %v", k.PK, k.SK, ok, err)
	}
	return m
}

func famAttrAny(m map[string]any, name string) string { s, _ := m[name].(string); return s }

func TestRule_S5_AnUnsentTransferClimbsTheDeadlineLadderUntilSent(t *testing.T) {
	w := newTransferWorld(t, 1)
	ctx := context.Background()
	tr, err := w.svc.Record(ctx, w.caller(trDSL, w.at), trFrom, "p1", transfers.Move{ToSchool: trTo}, "")
	if err != nil {
		t.Fatal(err)
	}
	engine := deadlines.Deadlines{Store: w.s, Parallel: 1}
	overdue := tr.DueBy.Add(time.Minute)
	if _, err := engine.Run(ctx, tr.DueBy.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	day := func(at time.Time) string { return safeguarding.LocalDay(at).Format(time.DateOnly) }
	w.item(t, outboxKey("transfer-"+tr.ID+"#reminder1#"+day(tr.DueBy)+"#"+trDSL+"#email"))
	if _, err := engine.Run(ctx, overdue); err != nil {
		t.Fatal(err)
	}
	a := w.item(t, outboxKey("transfer-"+tr.ID+"#overdue2#"+day(overdue)+"#"+trDSL+"#email"))
	if famAttrAny(a, "kind") != "overdue" {
		t.Errorf("overdue alert %v", a)
	}
	next := overdue.Add(25 * time.Hour)
	if _, err := engine.Run(ctx, next); err != nil {
		t.Fatal(err)
	}
	w.item(t, outboxKey("transfer-"+tr.ID+"#overdue3#"+day(next)+"#"+trDSL+"#email"))
	// Sent: the item leaves the ladder.
	if _, err := w.svc.SendWithin(ctx, w.caller(trDSL, next.Add(time.Hour)), trFrom, tr.ID); err != nil {
		t.Fatal(err)
	}
	run, err := engine.Run(ctx, next.Add(3*24*time.Hour))
	if err != nil || run.Escalated != 0 {
		t.Errorf("after sending: %v %+v", err, run)
	}
}

func TestRule_S5_OutsideTheFederationTheLinkAndItsCodeAreKeptAndTheDownloadIsTheReceipt(t *testing.T) {
	w := newTransferWorld(t, 1)
	ctx := context.Background()
	tr, err := w.svc.Record(ctx, w.caller(trDSL, w.at), trFrom, "p1", transfers.Move{ToSchoolName: "St Anne's", ToDSLEmail: "dsl@stannes.example"}, "")
	if err != nil {
		t.Fatal(err)
	}
	w.calls.Reset()
	sent, err := w.svc.SendOutside(ctx, w.caller(trDSL, w.at.Add(time.Hour)), trFrom, tr.ID, func(transfers.Transfer) (string, string, error) {
		return "transfers/brook-lane/" + tr.ID + ".zip", "v1", nil
	})
	if err != nil || sent.Code == "" || sent.Token == "" {
		t.Fatal(err)
	}
	if c := w.calls.Counts(); w.calls.Total() != 2 || c["TransactWriteItems"] != 1 {
		t.Errorf("sending outside took %v", c)
	}
	stored := w.item(t, transferKey(tr.ID))
	if strings.Contains(fmt.Sprint(stored), sent.Code) || strings.Contains(fmt.Sprint(stored), sent.Token) {
		t.Error("the code or the token is stored")
	}
	// The link and its code are given to the sending DSL only: no alert holds the token.
	var link map[string]any
	if ok, err := w.s.getItem(ctx, outboxKey("transfer-"+tr.ID+"#link#"+sent.Transfer.SentAt.UTC().Format("20060102T150405.000000000")), &link, true); ok || err != nil {
		t.Errorf("an alert holds the link's token: %v %v", link, err)
	}
	now := w.at.Add(2 * time.Hour)
	if _, err := w.svc.Download(ctx, tr.ID, sent.Token, "12345678", now, "test"); !errors.Is(err, transfers.ErrWrongCode) && sent.Code != "12345678" {
		t.Errorf("a wrong code: %v", err)
	}
	got, err := w.svc.Download(ctx, tr.ID, sent.Token, sent.Code, now.Add(time.Minute), "test")
	if err != nil || got.Status != transfers.StatusReceived || got.Link.Tries != 1 {
		t.Fatalf("the right code: %v %+v", err, got)
	}
	if _, err := w.svc.Download(ctx, tr.ID, sent.Token, sent.Code, now.Add(2*time.Minute), "test"); !errors.Is(err, transfers.ErrLinkUsed) {
		t.Errorf("a second download: %v", err)
	}
	if _, err := w.svc.Download(ctx, tr.ID, "another", sent.Code, now.Add(2*time.Minute), "test"); !errors.Is(err, transfers.ErrNoLink) {
		t.Errorf("another token: %v", err)
	}
	_, final, _ := w.s.Load(ctx, trDSL, tr.ID)
	kinds := []string{}
	for _, e := range final.History {
		kinds = append(kinds, e.Kind)
	}
	if strings.Join(kinds, ",") != "recorded,sent,wrong-code,downloaded,received,refused" {
		t.Errorf("history %v", kinds)
	}
}

// sourceItems counts the items of the sending school's file a copy takes: the pupil's
// partition and each concern's (read marks left out).
func (w *transferWorld) sourceItems(t *testing.T, id string) int {
	t.Helper()
	ctx := context.Background()
	n := 0
	var ids []string
	err := w.s.queryWhole(ctx, pupilPK(trFrom, "p1"), func(item map[string]types.AttributeValue) {
		n++
		if c, _ := item["concernId"].(*types.AttributeValueMemberS); c != nil && !slices.Contains(ids, c.Value) {
			ids = append(ids, c.Value)
		}
	})
	for _, c := range ids {
		if err == nil {
			err = w.s.queryWhole(ctx, concernKey(trFrom, safeguarding.ConcernID(c)).PK, func(item map[string]types.AttributeValue) {
				if typ, _ := item["type"].(*types.AttributeValueMemberS); typ.Value != typeRead {
					n++
				}
			})
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// A second transfer of the same pupil to the same school (sent again after a move back, or
// recorded twice) finds the first copy there: it keeps it as it is, writes what is new and is
// sent.
func TestRule_S5_ASecondTransferToTheSameSchoolKeepsWhatTheFirstCopied(t *testing.T) {
	w := newTransferWorld(t, 2)
	ctx := context.Background()
	var sent []transfers.Transfer
	for i := range 2 {
		at := w.at.Add(time.Duration(i) * time.Hour)
		tr, err := w.svc.Record(ctx, w.caller(trDSL, at), trFrom, "p1", transfers.Move{ToSchool: trTo}, "")
		if err != nil {
			t.Fatal(err)
		}
		s, err := w.svc.SendWithin(ctx, w.caller(trDSL, at.Add(time.Minute)), trFrom, tr.ID)
		if err != nil {
			t.Fatalf("send %d: %v", i+1, err)
		}
		sent = append(sent, s)
	}
	_, _, entries, err := w.s.ChronologyFor(ctx, trToDSL, trTo, sent[1].ReceivingPupil)
	if err != nil {
		t.Fatal(err)
	}
	prov := w.item(t, concernKey(trTo, entries[0].ConcernID))
	if famAttrAny(prov, "transferId") != sent[0].ID {
		t.Errorf("the first copy was written over: %v", prov["transferId"])
	}
}
