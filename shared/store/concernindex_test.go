package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Rules P2, C4, C5: a concern about a member of staff who is also tagged writes, in its own
// transaction, an index item for each other tagged member of staff and one for the concerns
// about staff, never one for its subject: the tagged list finds it for the others only, the
// list about staff finds it; a position not of the lists' form is refused naming the cursor,
// and a position read on another school's list gives nothing of this one.
func TestRule_P2_C4_C5_ATaggedConcernAboutStaffIsIndexedForTheOthersOnly(t *testing.T) {
	db, table, calls := dynamotest.NewCountingClient(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("index-school")
	author, tagged, pupils := maxSchool(t, s, school, 1)
	uc := concerns.Concerns{Store: s, Catalogue: concerns.PolicyCatalogue(), Calendar: safeguarding.Weekdays{}, NewID: NewID}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	in := concerns.NewConcern{PupilIDs: pupils[:1], Category: "safeguarding", ObservedAt: at.Add(-time.Hour), Details: "x",
		TagStaff: tagged[:3], AboutStaff: true, SubjectStaffEmail: tagged[1]}
	calls.Reset()
	r, err := uc.Record(ctx, safeguarding.Caller{Email: author.Email, At: at}, school, in, safeguarding.RequestKey{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := calls.Counts()["TransactWriteItems"]; n > 2 {
		t.Errorf("%d transactions", n)
	}
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
		}
		return ids
	}
	id := safeguarding.ConcernID(r.ID)
	for _, e := range []string{tagged[0], tagged[2]} {
		if got := list(concerns.ConcernRange{List: concerns.ListTagged, Author: e}); len(got) != 1 || got[0] != id {
			t.Errorf("%s's tagged list: %v", e, got)
		}
	}
	if got := list(concerns.ConcernRange{List: concerns.ListTagged, Author: tagged[1]}); len(got) != 0 {
		t.Errorf("its subject's tagged list: %v (C5)", got)
	}
	if got := list(concerns.ConcernRange{List: concerns.ListAboutStaff}); len(got) != 1 || got[0] != id {
		t.Errorf("the list about staff: %v", got)
	}
	if got := list(concerns.ConcernRange{List: concerns.ListAboutStaff, HighPriority: true}); len(got) != 0 {
		t.Errorf("high priority only: %v", got)
	}
	var tag concernIndexItem
	if ok, err := s.getItem(ctx, concernTagKey(school, id, tagged[0]), &tag, true); err != nil || !ok || tag.Type != typeConcernTag || tag.Concern != string(id) {
		t.Errorf("the index item of a tagged member of staff: %+v %v %v", tag, ok, err)
	}
	if ok, err := s.getItem(ctx, concernTagKey(school, id, tagged[1]), &concernIndexItem{}, true); err != nil || ok {
		t.Errorf("an index item for the subject: %v %v", ok, err)
	}
	if _, err := s.ConcernRange(ctx, school, concerns.ConcernRange{List: concerns.ListTagged, Author: tagged[0], After: "x", Limit: 10}); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("a forged position: %v", err)
	}
	if _, err := s.ConcernRange(ctx, school, concerns.ConcernRange{List: concerns.ListTagged, Limit: 10}); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("a tagged list of nobody: %v", err)
	}
	_, c, err := s.ConcernFor(ctx, author.Email, school, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []concerns.ConcernList{concerns.ListTagged, concerns.ListAboutStaff} {
		chunk, err := s.ConcernRange(ctx, "another-school", concerns.ConcernRange{List: l, Author: tagged[0], After: concerns.PositionOf(c), Limit: 100})
		if err != nil || len(chunk.Concerns) != 0 {
			t.Errorf("another school's list %d from this one's position: %v %v", l, chunk.Concerns, err)
		}
	}
}
