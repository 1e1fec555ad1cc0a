package store

import (
	"context"
	"errors"
	"maps"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Rule P4: one view of a concern reads the concern with its revisions and attachments, the
// viewer, the school, its catalogue and the pupils in one Query and one BatchGetItem; the
// read marks in the same partition are left out.
func TestRule_P4_ConcernPageIsOneQueryAndOneBatchGet(t *testing.T) {
	db, table, calls := dynamotest.NewCountingClient(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("brook-lane")
	author, c, at := concernC1(t, s, school)
	a, err := concerns.NewAttachmentFor("A1", concerns.NewAttachment{FileName: "notes.pdf", ContentType: "application/pdf", Size: 9}, c, author, at)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAttachment(ctx, concerns.AttachmentWrite{Attachment: a, Audit: safeguarding.AuditEntry{ID: "a1", School: school, At: at}}); err != nil {
		t.Fatal(err)
	}
	read := safeguarding.AuditEntry{ID: "a2", School: school, Actor: author.Email, Action: concerns.AuditConcernRead, At: at}
	if err := s.AuditConcernRead(ctx, read, "C1", nil); err != nil {
		t.Fatal(err)
	}

	calls.Reset()
	pg, err := s.ConcernPage(ctx, author.Email, school, "C1")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := calls.Counts(), map[string]int{"Query": 1, "BatchGetItem": 1}; !maps.Equal(got, want) {
		t.Errorf("round trips %v, want %v", got, want)
	}
	if pg.Viewer.Email != author.Email || !pg.Viewer.IsMember(school) || pg.School.Name != "Brook Lane" || pg.Concern.ID() != "C1" {
		t.Errorf("viewer %+v, school %q, concern %q", pg.Viewer, pg.School.Name, pg.Concern.ID())
	}
	if len(pg.Revisions) != 1 || pg.Revisions[0].Number != 1 {
		t.Errorf("revisions %+v", pg.Revisions)
	}
	if len(pg.Attachments) != 1 || pg.Attachments[0].FileName() != "notes.pdf" {
		t.Errorf("attachments %v", pg.Attachments)
	}
	if len(pg.Actions) != 0 {
		t.Errorf("actions %v: none stored", pg.Actions)
	}
	if _, ok := pg.Catalogue.Find("wellbeing"); !ok {
		t.Error("no catalogue: a school that never changed its own has the policy's")
	}
	if len(pg.Pupils) != 1 || pg.Pupils["p1"].Name != "Ava Brown" {
		t.Errorf("pupils %v", pg.Pupils)
	}

	if _, err := s.ConcernPage(ctx, author.Email, school, "C2"); !errors.Is(err, safeguarding.ErrNotFound) {
		t.Errorf("a concern that does not exist: %v", err)
	}
	if _, err := s.ConcernPage(ctx, "someone@else.example", school, "C2"); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a concern that does not exist, for someone of no school: %v", err)
	}
}
