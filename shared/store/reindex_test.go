package store

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

// unindexConcern makes a concern as it was recorded before the lists of A98, A111 and A112
// existed: no author keys on the concern item, no index items beside it.
func unindexConcern(t *testing.T, db *dynamodb.Client, table string, school safeguarding.SchoolID, id safeguarding.ConcernID, tagged []string) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: concernKey(school, id).av(),
		UpdateExpression: aws.String("REMOVE GSI2PK, GSI2SK")}); err != nil {
		t.Fatal(err)
	}
	keys := []key{concernAboutStaffKey(school, id)}
	for _, e := range tagged {
		keys = append(keys, concernTagKey(school, id, e))
	}
	for _, k := range keys {
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: k.av()}); err != nil {
			t.Fatal(err)
		}
	}
}

// Rules P2, C4, C5: concerns recorded before the lists of A98, A111 and A112 existed are put
// on them by the reindex as recording one puts it now: on its author's list, on the lists of
// the staff it tagged but never on its subject's own (C5), and a concern about staff on the
// governors' list, each as its latest version reads; a concern recorded since, already on its
// lists, is written nothing, and a second run writes nothing at all.
func TestRule_P2_C4_C5_ReindexPutsEarlierConcernsOnTheirListsOnce(t *testing.T) {
	db, table, calls := dynamotest.NewCountingClient(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("reindex-school")
	author, tagged, pupils := maxSchool(t, s, school, 1)
	uc := concerns.Concerns{Store: s, Catalogue: concerns.PolicyCatalogue(), Calendar: safeguarding.Weekdays{}, NewID: NewID}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	record := func(in concerns.NewConcern, at time.Time) safeguarding.ConcernID {
		t.Helper()
		in.PupilIDs, in.Category, in.ObservedAt, in.Details = pupils[:1], "safeguarding", at.Add(-time.Hour), "what happened"
		r, err := uc.Record(ctx, safeguarding.Caller{Email: author.Email, At: at}, school, in, safeguarding.RequestKey{}, "")
		if err != nil {
			t.Fatal(err)
		}
		return safeguarding.ConcernID(r.ID)
	}
	// Tagged: tagged[0] and tagged[1]; about staff: tagged[1], who is tagged too; plain.
	taggedOnly := record(concerns.NewConcern{TagStaff: tagged[:2]}, at)
	aboutStaff := record(concerns.NewConcern{TagStaff: tagged[:2], AboutStaff: true, SubjectStaffEmail: tagged[1]}, at.Add(time.Minute))
	plain := record(concerns.NewConcern{}, at.Add(2*time.Minute))
	// The concern about staff is corrected before the reindex: its lists show the correction.
	corrected := "what happened, corrected"
	if _, err := uc.Amend(ctx, safeguarding.Caller{Email: author.Email, At: at.Add(time.Hour)}, school, aboutStaff, 1,
		concerns.Amendment{Details: &corrected, Reason: "a typing slip"}, safeguarding.RequestKey{}, ""); err != nil {
		t.Fatal(err)
	}
	for _, id := range []safeguarding.ConcernID{taggedOnly, aboutStaff, plain} {
		unindexConcern(t, db, table, school, id, tagged[:2])
	}
	since := record(concerns.NewConcern{TagStaff: tagged[:1]}, at.Add(2*time.Hour))

	list := func(r concerns.ConcernRange) []safeguarding.ConcernID {
		t.Helper()
		r.Limit = 100
		chunk, err := s.ConcernRange(ctx, school, r)
		if err != nil {
			t.Fatal(err)
		}
		var ids []safeguarding.ConcernID
		for _, c := range chunk.Concerns {
			ids = append(ids, c.ID())
			if c.ID() == aboutStaff && c.Details() != corrected {
				t.Errorf("the concern about staff on a list reads %q, not its correction", c.Details())
			}
		}
		return ids
	}
	mine := concerns.ConcernRange{List: concerns.ListAuthor, Author: author.Email}
	if got := list(mine); !slices.Equal(got, []safeguarding.ConcernID{since}) {
		t.Fatalf("before: the author's list %v", got)
	}

	calls.Reset()
	r, err := s.ReindexConcerns(ctx, school)
	if err != nil {
		t.Fatal(err)
	}
	// 3 onto the author's list; tagged[0] twice and tagged[1] once (not on the one about them).
	if want := (ReindexReport{Concerns: 4, Authors: 3, Tagged: 3, AboutStaff: 1}); r != want {
		t.Errorf("report %+v, want %+v", r, want)
	}
	if c := calls.Counts(); c["Scan"] != 0 || c["Query"] != 1 || c["UpdateItem"] != 3 || c["PutItem"] != 4 {
		t.Errorf("calls %v", c)
	}
	if got := list(mine); !slices.Equal(got, []safeguarding.ConcernID{since, plain, aboutStaff, taggedOnly}) {
		t.Errorf("the author's list %v", got)
	}
	if got := list(concerns.ConcernRange{List: concerns.ListTagged, Author: tagged[0]}); !slices.Equal(got, []safeguarding.ConcernID{since, aboutStaff, taggedOnly}) {
		t.Errorf("%s's tagged list %v", tagged[0], got)
	}
	if got := list(concerns.ConcernRange{List: concerns.ListTagged, Author: tagged[1]}); !slices.Equal(got, []safeguarding.ConcernID{taggedOnly}) {
		t.Errorf("the subject's tagged list %v: never the concern about them (C5)", got)
	}
	if got := list(concerns.ConcernRange{List: concerns.ListAboutStaff}); !slices.Equal(got, []safeguarding.ConcernID{aboutStaff}) {
		t.Errorf("the governors' list %v", got)
	}
	var it concernItem
	if ok, err := s.getItem(ctx, concernKey(school, plain), &it, true); err != nil || !ok || it.Version != 1 || it.Details != "what happened" {
		t.Errorf("the concern item beyond its keys: %+v %v %v", it, ok, err)
	}

	calls.Reset()
	if r, err := s.ReindexConcerns(ctx, school); err != nil || r.Writes() != 0 || r.Concerns != 4 {
		t.Errorf("again: %+v %v", r, err)
	}
	if c := calls.Counts(); c["UpdateItem"] != 0 || c["PutItem"] != 0 || c["TransactWriteItems"] != 0 || c["BatchWriteItem"] != 0 {
		t.Errorf("again, writes: %v", c)
	}
}

// Rule P1: imports saved before the recent imports' list (A100) existed are put on it with the
// count of their rows with errors, checks (previews) are not, and a second run writes nothing.
func TestRule_P1_ReindexPutsEarlierImportsOnTheList(t *testing.T) {
	db, table, calls := dynamotest.NewCountingClient(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("reindex-imports")
	at := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	errs := []imports.RowError{{Line: 3, Field: "upn", Message: "is missing"}, {Line: 3, Field: "surname", Message: "is missing"},
		{Line: 7, Field: "dob", Message: "is not a date"}}
	recs := []imports.Record{
		{ID: "imp-1", School: school, By: "office@reindex.example", At: at, Status: imports.StatusDone, Applied: true, Rows: 10, Created: 8, ErrorRows: 2, Errors: errs},
		{ID: "imp-2", School: school, By: "office@reindex.example", At: at.Add(time.Hour), Status: imports.StatusDone, Preview: true, Rows: 10},
		{ID: "imp-3", School: school, By: "office@reindex.example", At: at.Add(2 * time.Hour), Status: imports.StatusDone, Applied: true, Rows: 10, Unchanged: 10},
	}
	audit := func(r imports.Record) safeguarding.AuditEntry {
		return safeguarding.AuditEntry{ID: NewID(r.At), School: school, Actor: r.By, Action: imports.AuditApplied, Subject: "import/" + r.ID, At: r.At, Source: "test"}
	}
	for _, r := range recs {
		if err := s.StartImport(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.FinishImport(ctx, r, audit(r)); err != nil {
			t.Fatal(err)
		}
	}
	// As imp-1 and imp-3 were saved before the list: neither its keys nor the count of rows with errors.
	for _, id := range []string{"imp-1", "imp-3"} {
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: importKey(school, id).av(),
			UpdateExpression: aws.String("REMOVE GSI1PK, GSI1SK, errorRows")}); err != nil {
			t.Fatal(err)
		}
	}
	listed := func() []imports.Record {
		t.Helper()
		l, err := s.Imports(ctx, school, imports.MaxListed)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	if l := listed(); len(l) != 0 {
		t.Fatalf("before: %v", l)
	}
	ids := []string{"imp-1", "imp-2", "imp-3", "imp-none"}
	if n, err := s.ReindexImports(ctx, school, ids); err != nil || n != 2 {
		t.Fatalf("reindex: %d %v", n, err)
	}
	l := listed()
	if len(l) != 2 || l[0].ID != "imp-3" || l[1].ID != "imp-1" || l[1].ErrorRows != 2 || l[0].ErrorRows != 0 || !l[1].At.Equal(at) {
		t.Errorf("after: %+v", l)
	}
	var preview importItem
	if ok, err := s.getItem(ctx, importKey(school, "imp-2"), &preview, true); err != nil || !ok || preview.GSI1PK != "" || preview.GSI1SK != "" {
		t.Errorf("the check: %+v %v %v", preview, ok, err)
	}
	if n, err := s.ReindexImports(ctx, "another-school", ids); err != nil || n != 0 {
		t.Errorf("another school's: %d %v", n, err)
	}
	calls.Reset()
	if n, err := s.ReindexImports(ctx, school, ids); err != nil || n != 0 {
		t.Errorf("again: %d %v", n, err)
	}
	if c := calls.Counts(); c["UpdateItem"] != 0 || c["PutItem"] != 0 {
		t.Errorf("again, writes: %v", c)
	}
}
