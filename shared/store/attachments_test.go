package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// The attachment items against DynamoDB Local: kept in the concern's partition, one
// transaction with the audit entry, a verdict given once (rule C6, P4).
func TestRule_C6_AttachmentItemsLiveInTheConcernsPartitionAndAreCheckedOnce(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	author, c, at := concernC1(t, s, school)
	a, err := concerns.NewAttachmentFor("A1", concerns.NewAttachment{FileName: "notes.pdf", ContentType: "application/pdf", Size: 9},
		c, author, at)
	if err != nil {
		t.Fatal(err)
	}
	audit := safeguarding.AuditEntry{ID: "a1", School: school, Actor: author.Email, Action: concerns.AuditAttachmentRequested, At: at}
	if err := s.SaveAttachment(ctx, concerns.AttachmentWrite{Attachment: a, Audit: audit}); err != nil {
		t.Fatal(err)
	}
	// The same attachment twice is refused by its condition, audit entry and all.
	if err := s.SaveAttachment(ctx, concerns.AttachmentWrite{Attachment: a, Audit: safeguarding.AuditEntry{ID: "a2", School: school, At: at}}); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("saved twice: %v", err)
	}

	p, got, list, err := s.Attachments(ctx, author.Email, school, "C1")
	if err != nil || p.Email != author.Email || got.ID() != "C1" || len(list) != 1 {
		t.Fatalf("attachments: %v %v %v", err, got.ID(), list)
	}
	if l := list[0]; l.FileName() != "notes.pdf" || l.Status() != concerns.AttachmentPending || l.Size() != 9 || !l.At().Equal(at) {
		t.Errorf("listed %+v", l.Snapshot())
	}
	// Another school's path does not reach it.
	if _, err := s.Attachment(ctx, "hillcrest", "C1", "A1"); !errors.Is(err, safeguarding.ErrNotFound) {
		t.Errorf("another school's key: %v", err)
	}

	checked := a.Check(9, []byte("%PDF-1.7"), at.Add(time.Minute))
	verdict := safeguarding.AuditEntry{ID: "a3", School: school, Actor: concerns.VerifierActor, Action: concerns.AuditAttachmentVerified, At: at.Add(time.Minute)}
	if err := s.SaveCheck(ctx, checked, verdict); err != nil {
		t.Fatal(err)
	}
	verdict.ID = "a4"
	if err := s.SaveCheck(ctx, a.Check(9, []byte("<html>"), at.Add(2*time.Minute)), verdict); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a second verdict: %v", err)
	}
	again, err := s.Attachment(ctx, school, "C1", "A1")
	if err != nil || again.Status() != concerns.AttachmentVerified || !again.CheckedAt().Equal(at.Add(time.Minute)) {
		t.Errorf("after the check: %v %+v", err, again.Snapshot())
	}

	// The use case's check keeps the object version it verified, and AttachmentFor reads the
	// viewer, the concern and the attachment together.
	b, err := concerns.NewAttachmentFor("A2", concerns.NewAttachment{FileName: "scan.pdf", ContentType: "application/pdf", Size: 9},
		c, author, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAttachment(ctx, concerns.AttachmentWrite{Attachment: b, Audit: safeguarding.AuditEntry{ID: "a5", School: school, At: at}}); err != nil {
		t.Fatal(err)
	}
	n := 0
	uc := concerns.Attachments{Store: s, NewID: func(time.Time) string { n++; return fmt.Sprint("v", n) }}
	if _, err := uc.Verify(ctx, b.ObjectKey(), "version-42", 9, []byte("%PDF-1.7\n"), at.Add(3*time.Minute)); err != nil {
		t.Fatal(err)
	}
	viewer, concern, opened, err := s.AttachmentFor(ctx, author.Email, school, "C1", "A2")
	if err != nil || viewer.Email != author.Email || concern.ID() != "C1" || opened.Version() != "version-42" || opened.Status() != concerns.AttachmentVerified {
		t.Errorf("attachment for: %v %v %v %+v", err, viewer.Email, concern.ID(), opened.Snapshot())
	}
	if _, _, _, err := s.AttachmentFor(ctx, author.Email, school, "C1", "A9"); !errors.Is(err, safeguarding.ErrNotFound) {
		t.Errorf("no such attachment: %v", err)
	}
	if _, _, _, err := s.AttachmentFor(ctx, author.Email, "hillcrest", "C1", "A2"); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("another school: %v", err)
	}
}

// concernC1 writes a member of staff of school (Tia), the school, its pupil p1 (Ava Brown) and
// concern C1 about Ava, recorded by Tia at 09:30 UTC on 23 November 2026; it returns Tia, the
// concern and when it was recorded.
func concernC1(t *testing.T, s *Store, school safeguarding.SchoolID) (safeguarding.Principal, concerns.Concern, time.Time) {
	t.Helper()
	ctx := context.Background()
	author := safeguarding.Principal{Email: "t.jones@brook.example", Name: "Tia",
		Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleStaff}}}
	sc := safeguarding.School{ID: school, Name: "Brook Lane", Roster: []safeguarding.StaffMember{{Email: author.Email, Roles: []safeguarding.Role{safeguarding.RoleStaff}}}}
	pupil := safeguarding.Pupil{ID: "p1", School: school, Name: "Ava Brown"}
	for _, err := range []error{s.PutUser(ctx, author), s.PutSchool(ctx, sc), s.PutPupil(ctx, pupil)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	c, err := concerns.RecordConcern("C1", concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"p1"}, Category: "wellbeing",
		ObservedAt: at.Add(-time.Hour), Details: "x"}, author, sc, map[safeguarding.PupilID]safeguarding.Pupil{"p1": pupil},
		concerns.PolicyCatalogue(), safeguarding.Weekdays{}, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveConcern(ctx, concerns.ConcernWrite{Concern: c, Audit: safeguarding.AuditEntry{ID: "a0", School: school, At: at}}); err != nil {
		t.Fatal(err)
	}
	return author, c, at
}
