package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
)

// Rule P4: an audit entry is appended, never written over. Saving one whose key exists
// already fails, and so does, whole, a transaction that carries it: the read it records is not
// marked either.
func TestRule_P4_AnAuditEntryIsNeverWrittenOver(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	e := safeguarding.AuditEntry{ID: "01AUDIT", School: "brook-lane", Actor: "dsl@brook.example", Action: "concern.read",
		Subject: "concern/C1", At: at}
	if err := s.Audit(ctx, e); err != nil {
		t.Fatal(err)
	}
	forged := e
	forged.Actor = "someone-else@brook.example"
	if err := s.Audit(ctx, forged); err == nil {
		t.Error("an audit entry was written over")
	}
	if err := s.AuditConcernRead(ctx, forged, "C1", nil); err == nil {
		t.Error("a read was recorded over an existing audit entry")
	}
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: readKey(e.School, "C1", forged.Actor).av(), ConsistentRead: aws.Bool(true)})
	if err != nil || out.Item != nil {
		t.Errorf("the failed transaction marked the read: %v %v", out.Item, err)
	}
	var it auditItem
	if ok, err := s.getItem(ctx, key{PK: auditPK(e.School, at), SK: stamp(at) + "#" + e.ID}, &it, true); !ok || err != nil || it.Actor != e.Actor {
		t.Errorf("the entry now says %+v (%v), want the first one", it, err)
	}
}

// trailFixture: a DSL, and entries over three school days by two people about three pupils.
func trailFixture(t *testing.T) (*Store, *dynamotest.Counter, time.Time) {
	t.Helper()
	db, table, calls := dynamotest.NewCountingClient(t)
	s := New(db, table)
	ctx := context.Background()
	if err := s.PutUser(ctx, safeguarding.Principal{Email: "dsl@brook.example", Name: "Dee Sell",
		Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"brook-lane": {safeguarding.RoleDSL}}}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 23, 0, 0, 0, 0, safeguarding.London)
	n := 0
	for d := range 3 {
		for i := range 15 {
			n++
			e := safeguarding.AuditEntry{ID: fmt.Sprintf("01E%04d", n), School: "brook-lane", Actor: []string{"ann@brook.example", "bob@brook.example"}[i%2],
				Action: "chronology.read", Subject: "pupil/p1", Pupils: []safeguarding.PupilID{"p1"},
				At: day.AddDate(0, 0, d).Add(time.Duration(8*60+i) * time.Minute), Source: "test"}
			if i%5 == 0 {
				e.Action, e.Subject, e.Pupils = "concern.read", "concern/C1", []safeguarding.PupilID{"p2", "p3"}
			}
			if err := s.Audit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Another school's entry, the same day: never in Brook Lane's trail.
	if err := s.Audit(ctx, safeguarding.AuditEntry{ID: "01X0001", School: "hillcrest", Actor: "ann@brook.example", Action: "chronology.read",
		Subject: "pupil/p1", Pupils: []safeguarding.PupilID{"p1"}, At: day.Add(9 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	calls.Reset()
	return s, calls, day
}

// readAll reads every page of q, newest first, and the round trips of each page.
func readAll(t *testing.T, s *Store, calls *dynamotest.Counter, q audit.Query) ([]safeguarding.AuditEntry, []int) {
	t.Helper()
	var all []safeguarding.AuditEntry
	var trips []int
	for page := 0; ; page++ {
		calls.Reset()
		_, got, next, err := s.AuditTrail(context.Background(), "dsl@brook.example", "brook-lane", q)
		if err != nil {
			t.Fatal(err)
		}
		trips = append(trips, calls.Total())
		all = append(all, got...)
		if next == "" || page > 20 {
			return all, trips
		}
		q.Cursor = next
	}
}

func newestFirst(t *testing.T, es []safeguarding.AuditEntry) {
	t.Helper()
	seen := map[string]bool{}
	for i, e := range es {
		if seen[e.ID] {
			t.Errorf("entry %s read twice", e.ID)
		}
		seen[e.ID] = true
		if i > 0 && es[i-1].At.Before(e.At) {
			t.Errorf("entry %s (%v) after an older one", e.ID, e.At)
		}
		if e.School != "brook-lane" {
			t.Errorf("entry %s of %s", e.ID, e.School)
		}
	}
}

// Rule P4: the trail of a school's days is read newest first, a page at a time across days,
// each entry once; by person and by pupil through their indexes in one Query a page; and the
// dates bound it.
func TestRule_P4_TheTrailIsReadByDatesPersonAndPupilAPageAtATime(t *testing.T) {
	s, calls, day := trailFixture(t)
	all := audit.Query{From: day, To: day.AddDate(0, 0, 3), Limit: 20}
	got, trips := readAll(t, s, calls, all)
	newestFirst(t, got)
	if len(got) != 45 || got[0].ID != "01E0045" || got[44].ID != "01E0001" {
		t.Errorf("read %d entries, %s first", len(got), got[0].ID)
	}
	for i, n := range trips {
		// The viewer, and a Query of each day the page reaches (two at most here).
		if n < 2 || n > 3 {
			t.Errorf("page %d took %d round trips", i, n)
		}
	}

	byPerson := all
	byPerson.Person = "bob@brook.example"
	got, trips = readAll(t, s, calls, byPerson)
	newestFirst(t, got)
	if len(got) != 21 || !slices.Equal(trips, []int{2, 2}) {
		t.Errorf("by person: %d entries, round trips %v", len(got), trips)
	}
	for _, e := range got {
		if e.Actor != "bob@brook.example" {
			t.Errorf("by person: %+v", e)
		}
	}

	oneDay := all
	oneDay.From, oneDay.To, oneDay.Pupil = day.AddDate(0, 0, 1), day.AddDate(0, 0, 2), "p1"
	got, _ = readAll(t, s, calls, oneDay)
	newestFirst(t, got)
	if len(got) != 12 {
		t.Errorf("p1 on the second day: %d entries, want 12", len(got))
	}
	for _, e := range got {
		if !e.At.After(day.AddDate(0, 0, 1)) || !e.At.Before(day.AddDate(0, 0, 2)) || !slices.Contains(e.Pupils, "p1") {
			t.Errorf("p1 on the second day: %+v", e)
		}
	}

	if _, _, _, err := s.AuditTrail(context.Background(), "dsl@brook.example", "brook-lane", audit.Query{From: day, To: day.AddDate(0, 0, 1), Limit: 20,
		Cursor: encodeAuditCursor(auditSK(day.AddDate(0, 0, 2), "01E0001"))}); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("a cursor outside the dates: %v", err)
	}
}

// Rule P4: an entry that touched two pupils is found by each, the second through an index item
// under the entry's own partition, written with it and never over another.
func TestRule_P4_AnEntryWithTwoPupilsIsFoundByBoth(t *testing.T) {
	s, calls, day := trailFixture(t)
	q := audit.Query{From: day, To: day.AddDate(0, 0, 3), Limit: 20}
	for _, p := range []safeguarding.PupilID{"p2", "p3"} {
		q.Pupil = p
		got, trips := readAll(t, s, calls, q)
		newestFirst(t, got)
		if len(got) != 9 {
			t.Errorf("%s: %d entries, want 9", p, len(got))
		}
		for _, e := range got {
			if e.Subject != "concern/C1" || !slices.Equal(e.Pupils, []safeguarding.PupilID{"p2", "p3"}) {
				t.Errorf("%s: %+v", p, e)
			}
		}
		// The viewer and one Query; for the second pupil one BatchGetItem of the entries too.
		if want := map[safeguarding.PupilID]int{"p2": 2, "p3": 3}[p]; !slices.Equal(trips, []int{want}) {
			t.Errorf("%s: round trips %v, want [%d]", p, trips, want)
		}
	}
	q.Pupil, q.Person = "p3", "ann@brook.example"
	if got, _ := readAll(t, s, calls, q); len(got) != 6 {
		t.Errorf("p3 by Ann: %d entries, want 6", len(got))
	}
	e := safeguarding.AuditEntry{ID: "01E0001", School: "brook-lane", Actor: "ann@brook.example", At: day.Add(8 * time.Hour),
		Action: "concern.read", Subject: "concern/C1", Pupils: []safeguarding.PupilID{"p2", "p3"}}
	var ref auditRefItem
	if ok, err := s.getItem(context.Background(), key{PK: auditPK(e.School, e.At), SK: auditRefSK(auditSK(e.At, e.ID), 2)}, &ref, true); !ok || err != nil ||
		ref.Entry != auditSK(e.At, e.ID) || ref.Pupil != "p3" {
		t.Errorf("the index item: %+v %v", ref, err)
	}
	e.ID = "01E9999"
	if err := s.Audit(context.Background(), e); err != nil {
		t.Fatal(err)
	}
	if err := s.Audit(context.Background(), e); err == nil {
		t.Error("an entry with two pupils was written over")
	}
}
