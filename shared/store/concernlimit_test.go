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

// maxSchool seeds a school with leads people alerted of every concern by SMS and email (a
// Senior DSL and DSLs), 20 more staff to tag, an author and concerns.MaxPupilsPerConcern+1
// pupils.
func maxSchool(t *testing.T, s *Store, school safeguarding.SchoolID, leads int) (author safeguarding.Principal, tagged []string, pupils []safeguarding.PupilID) {
	t.Helper()
	ctx := context.Background()
	author = safeguarding.Principal{Email: "author@max.example", Name: "Ann Author", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleStaff}}}
	sc := safeguarding.School{ID: school, Name: "Max School", Roster: []safeguarding.StaffMember{{Email: author.Email, Roles: []safeguarding.Role{safeguarding.RoleStaff}}}}
	for i := range leads {
		role := safeguarding.RoleDSL
		if i == 0 {
			role = safeguarding.RoleSeniorDSL
		}
		sc.Roster = append(sc.Roster, safeguarding.StaffMember{Email: fmt.Sprintf("lead%02d@max.example", i), Roles: []safeguarding.Role{safeguarding.RoleStaff, role}})
	}
	for i := range concerns.MaxTaggedStaff {
		e := fmt.Sprintf("staff%02d@max.example", i)
		sc.Roster = append(sc.Roster, safeguarding.StaffMember{Email: e, Roles: []safeguarding.Role{safeguarding.RoleStaff}})
		tagged = append(tagged, e)
	}
	if err := s.PutUser(ctx, author); err != nil {
		t.Fatal(err)
	}
	if err := s.PutSchool(ctx, sc); err != nil {
		t.Fatal(err)
	}
	for i := range concerns.MaxPupilsPerConcern + 1 {
		p := safeguarding.Pupil{ID: safeguarding.PupilID(fmt.Sprintf("p%02d", i)), School: school, Name: fmt.Sprintf("Pupil %d", i)}
		if err := s.PutPupil(ctx, p); err != nil {
			t.Fatal(err)
		}
		pupils = append(pupils, p.ID)
	}
	return author, tagged, pupils
}

// DynamoDB's limit of 100 items in one transaction (rule C1's linked pupils, C4's alerts, D1's
// due item, D10's report counter): a high-priority concern at its maximum of pupils, with every
// member of staff it may tag and 12 people alerted by SMS and email, commits in one transaction
// of 99 items (a 13th person would make 101); one pupil more is refused by the rule, and one more person to alert is a problem
// naming the pupils, never a failure.
func TestRule_C1_C4_D1_ConcernAtItsMaximumOfPupilsCommitsInOneTransaction(t *testing.T) {
	db, table, calls := dynamotest.NewCountingClient(t)
	s := New(db, table)
	ctx := context.Background()
	const school = safeguarding.SchoolID("max-school")
	author, tagged, pupils := maxSchool(t, s, school, 12)
	uc := concerns.Concerns{Store: s, Catalogue: concerns.PolicyCatalogue(), Calendar: safeguarding.Weekdays{}, NewID: NewID}
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	in := concerns.NewConcern{PupilIDs: pupils[:concerns.MaxPupilsPerConcern], Category: "safeguarding", HighPriority: true,
		ObservedAt: at.Add(-time.Hour), Details: "x", TagStaff: tagged}
	if got := concerns.ConcernItems(concerns.MaxPupilsPerConcern, 2*12+len(tagged), len(tagged)); got != concerns.TransactionItems-1 {
		t.Fatalf("a concern at its maximum is %d items, want %d", got, concerns.TransactionItems-1)
	}
	calls.Reset()
	r, err := uc.Record(ctx, safeguarding.Caller{Email: author.Email, At: at}, school, in, safeguarding.RequestKey{School: school, Actor: author.Email, Key: "max"}, "fp")
	if err != nil {
		t.Fatalf("a concern at its maximum: %v", err)
	}
	// The concern commits whole in one transaction of 100 items; as it is the first record of
	// its 25 pupils, their marks for the retention list (rule S7), which do not fit beside it,
	// follow in one more once it is written.
	if n := calls.Counts()["TransactWriteItems"]; n != 2 {
		t.Errorf("%d transactions, want the concern's and the first records' marks", n)
	}
	var mark retentionItem
	if ok, err := s.getItem(ctx, retentionKey(school, pupils[0]), &mark, true); err != nil || !ok || mark.GSI2PK == "" {
		t.Errorf("the first record's mark %+v %v %v", mark, ok, err)
	}
	// A second concern about the same pupils is not their first record: one transaction.
	calls.Reset()
	if _, err := uc.Record(ctx, safeguarding.Caller{Email: author.Email, At: at.Add(time.Minute)}, school, in, safeguarding.RequestKey{}, ""); err != nil {
		t.Fatalf("a second concern at its maximum: %v", err)
	}
	if n := calls.Counts()["TransactWriteItems"]; n != 1 {
		t.Errorf("%d transactions, want one", n)
	}
	var due concernDueItem
	if ok, err := s.getItem(ctx, concernDueKey(school, safeguarding.ConcernID(r.ID)), &due, true); err != nil || !ok || !due.DueActive || due.GSI2PK == "" {
		t.Errorf("D1's due item %+v %v %v", due, ok, err)
	}

	more := in
	more.PupilIDs = pupils
	_, err = uc.Record(ctx, safeguarding.Caller{Email: author.Email, At: at}, school, more, safeguarding.RequestKey{}, "")
	var ve *safeguarding.ValidationError
	if !errors.As(err, &ve) || ve.Problems[0].Field != "pupilIds" {
		t.Errorf("%d pupils: %v", len(pupils), err)
	}

	// A school with a 13th person to alert: the same concern is a problem naming the pupils.
	const bigger = safeguarding.SchoolID("bigger-school")
	author2, tagged2, pupils2 := maxSchool(t, s, bigger, 13)
	in2 := in
	in2.PupilIDs, in2.TagStaff = pupils2[:concerns.MaxPupilsPerConcern], tagged2
	_, err = uc.Record(ctx, safeguarding.Caller{Email: author2.Email, At: at}, bigger, in2, safeguarding.RequestKey{}, "")
	if !errors.As(err, &ve) || ve.Problems[0].Field != "pupilIds" {
		t.Fatalf("a concern over 100 items: %v", err)
	}
	in2.PupilIDs = in2.PupilIDs[:concerns.MaxPupilsPerConcern-1]
	if _, err := uc.Record(ctx, safeguarding.Caller{Email: author2.Email, At: at}, bigger, in2, safeguarding.RequestKey{}, ""); err != nil {
		t.Errorf("one pupil fewer, as the problem says: %v", err)
	}
}
