package store

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact/contacttest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
)

// cancelled is what DynamoDB answers a transaction it cancels, with one reason per item.
func cancelled(codes ...string) error {
	e := &types.TransactionCanceledException{Message: aws.String("Transaction cancelled")}
	for _, c := range codes {
		e.CancellationReasons = append(e.CancellationReasons, types.CancellationReason{Code: aws.String(c)})
	}
	return e
}

// A transaction DynamoDB cancels for a TransactionConflict (another transaction held one of its
// items at that moment) is tried again and lands; it is never taken for "someone else did it".
// DynamoDB Local never raises a TransactionConflict, so the first attempt is failed with one.
// A failed condition is still the conflict it was.
func TestTransactionConflictIsRetriedOnEveryCommandPath(t *testing.T) {
	db, table, calls := dynamotest.NewCountingClient(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	author, _, at := concernC1(t, s, school)
	exists := func(k key) bool {
		t.Helper()
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: k.av(), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		return out.Item != nil
	}
	retried := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Errorf("%s after a TransactionConflict: %v", what, err)
		}
		if n := calls.Count("TransactWriteItems"); n != 2 || calls.Pending("TransactWriteItems") != 0 {
			t.Errorf("%s: %d transactions, want the conflicted one and its retry", what, n)
		}
	}
	alert := func(id string) safeguarding.Alert {
		return safeguarding.Alert{ID: id, School: school, Kind: "concern", Recipient: author.Email,
			Channel: safeguarding.ChannelEmail, Priority: safeguarding.PriorityNormal, Reference: "C1", Subject: "C1"}
	}

	// The first DSL to open a concern: the note and its alert land, no false "opened first".
	calls.Reset()
	calls.FailNext("TransactWriteItems", cancelled("None", "None", "TransactionConflict", "None"))
	read := safeguarding.AuditEntry{ID: "r1", School: school, Actor: "dsl@brook.example", Action: concerns.AuditConcernRead, At: at}
	a := alert("opened-C1")
	retried("the first DSL's read", s.AuditConcernRead(ctx, read, "C1", &concerns.StatusNote{At: at, Alert: &a}))
	if !exists(outboxKey(a.ID)) {
		t.Error("the reporter's alert of the first opening was dropped")
	}
	read.ID = "r2"
	if err := s.AuditConcernRead(ctx, read, "C1", &concerns.StatusNote{At: at.Add(time.Minute)}); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a second first opening: %v, want ErrConflict (the condition)", err)
	}

	// A notice: its alert is sent, not dropped as "sent already".
	calls.Reset()
	calls.FailNext("TransactWriteItems", cancelled("TransactionConflict", "None"))
	notice := safeguarding.AuditEntry{ID: "n1", School: school, Actor: author.Email, Action: "concern.update-requested", At: at}
	retried("a notice", s.SaveNotice(ctx, notice, []safeguarding.Alert{alert("notice-C1")}))
	if !exists(outboxKey("notice-C1")) || !exists(auditToItem(notice).key) {
		t.Error("the notice's alert or audit entry was dropped")
	}

	// A school's catalogue: saved, not a false 409.
	calls.Reset()
	calls.FailNext("TransactWriteItems", cancelled("TransactionConflict", "None"))
	cat := concerns.SchoolCatalogue{School: school, Catalogue: concerns.PolicyCatalogue(), Version: 1}
	audit := safeguarding.AuditEntry{ID: "c1", School: school, Actor: author.Email, Action: "catalogue.changed", At: at}
	retried("the catalogue", s.SaveCatalogue(ctx, cat, 0, audit))
	if _, got, err := s.Catalogue(ctx, author.Email, school); err != nil || got.Version != 1 {
		t.Errorf("catalogue version %d, %v: want 1", got.Version, err)
	}
	audit.ID = "c2"
	if err := s.SaveCatalogue(ctx, cat, 0, audit); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a save on a stale version: %v, want ErrConflict", err)
	}

	// A step of the deadline ladder: the item moves and its alert is written, rather than the
	// run counting it as taken by another run.
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	fam := contact.RestoreFamily(contact.FamilySnapshot{ID: "fam-01", School: school, Children: []contact.FamilyChild{{Pupil: "p1"}}, Version: 1})
	if err := s.PutFamily(ctx, fam); err != nil {
		t.Fatal(err)
	}
	next := contacttest.Family(fam, func(s *contact.FamilySnapshot) { s.Version = 2 })
	fa := contact.FamilyAction{ID: "01JCALL-A1", School: school, Family: "fam-01", Reference: "FAM-01", Description: "books",
		Assignee: author.Email, Status: safeguarding.ActionOpen, CreatedAt: now, CreatedBy: author.Email, Version: 1,
		Due: safeguarding.NewDueState(now.Add(26*time.Hour), now)}
	if err := s.SaveFamily(ctx, contact.FamilyWrite{Family: next, PrevVersion: 1, Actions: []contact.FamilyAction{fa}, At: now}); err != nil {
		t.Fatal(err)
	}
	later := now.Add(25 * time.Hour)
	all, err := s.DueItems(ctx, school, now, later)
	due := slices.DeleteFunc(all, func(d safeguarding.DueItem) bool { return d.Kind != safeguarding.DueFamilyAction }) // not the concern's own (D1)
	if err != nil || len(due) != 1 {
		t.Fatalf("due %+v %v", due, err)
	}
	step, _, ok := due[0].Advance(later)
	if !ok {
		t.Fatalf("%+v does not advance at %s", due[0], later)
	}
	calls.Reset()
	calls.FailNext("TransactWriteItems", cancelled("TransactionConflict", "None"))
	retried("an escalation", s.Escalate(ctx, due[0], step, []safeguarding.Alert{alert("due-A1")}, deadlines.StepAudit(due[0], step, later)))
	if !exists(outboxKey("due-A1")) {
		t.Error("the step's alert was dropped")
	}
	if err := s.Escalate(ctx, due[0], step, nil, deadlines.StepAudit(due[0], step, later)); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("the same step again: %v, want ErrConflict (the item moved)", err)
	}
}
