package main

import (
	"context"
	"fmt"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Rules D9 and C9: the SLT review also lists the work past its due time (an open action whose
// due time has passed, read from the actions' due index, and a concern no DSL acted on by its
// due time) and the pupils below 90% attendance with the reasons logged, in a fixed number of
// round trips whatever the school's size.
func TestRule_D9_C9_TheSLTReviewListsOverdueWorkAndLowAttendance(t *testing.T) {
	db, table, calls := dynamotest.NewCountingClient(t)
	st := store.New(db, table)
	apitest.SeedDemo(t, db, table)
	w := &world{t: t, db: db, table: table, st: st, h: newHandler(st)}
	ctx := context.Background()
	for _, p := range seed.Demo().Pupils {
		if p.ID == "bl-03" {
			p.Attendance, p.HasAttendance = 84.5, true
			apitest.Must(t, st.PutPupil(ctx, p))
		}
	}
	c := w.concern(false, at("09:00"))
	if status, _ := w.addAction(dsl, c, `{"type":"dsl-action","assigneeEmail":"`+staff+`"}`, at("09:30"), nil); status != 201 { // due 17:00 today
		t.Fatalf("action: %d", status)
	}
	w.addAction(dsl, c, `{"type":"check-in","assigneeEmail":"`+staff+`"}`, at("09:31"), nil) // due in a week
	uc := concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(), Calendar: calendar.EnglandAndWales(), NewID: store.NewID}
	reason, err := uc.Record(ctx, safeguarding.Caller{Email: apitest.Grace, At: at("09:40")}, seed.BrookLane, concerns.NewConcern{
		PupilIDs: []safeguarding.PupilID{"bl-03"}, Category: "attendance", ObservedAt: at("09:00"), Details: "Late: the bus was cancelled."},
		safeguarding.RequestKey{}, "")
	apitest.Must(t, err)

	calls.Reset()
	status, review := w.call("GET", "/api/schools/brook-lane/review", dsl, "", at("18:00"), nil)
	if status != 200 {
		t.Fatalf("review: %d %v", status, review)
	}
	overdue := review["overdueActions"].([]any)
	if len(overdue) != 1 || overdue[0].(map[string]any)["type"] != "dsl-action" || overdue[0].(map[string]any)["overdue"] != true {
		t.Errorf("overdue actions %v", overdue)
	}
	late := review["overdueConcerns"].([]any)
	if len(late) != 1 || late[0].(map[string]any)["concernId"] != reason.ID {
		t.Errorf("concerns no DSL acted on by their due time %v", late)
	}
	low := review["lowAttendance"].([]any)
	if len(low) != 1 {
		t.Fatalf("low attendance %v", low)
	}
	row := low[0].(map[string]any)
	reasons := row["reasons"].([]any)
	if row["pupilId"] != "bl-03" || row["attendance"] != 84.5 || len(reasons) != 1 || reasons[0].(map[string]any)["reference"] != reason.Reference {
		t.Errorf("low attendance %v", row)
	}
	// The calendar and the reader (GetItem); the open cases, the recent concerns, the overdue
	// actions, the pupils below 90% and their reasons (Query); the audit entry.
	want := map[string]int{"GetItem": 2, "Query": 5, "TransactWriteItems": 1}
	if got := calls.Counts(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("round trips %v, want %v", got, want)
	}
	// Before the action's due time, nothing is overdue.
	if _, review := w.call("GET", "/api/schools/brook-lane/review", dsl, "", at("12:00"), nil); len(review["overdueActions"].([]any)) != 0 ||
		len(review["overdueConcerns"].([]any)) != 0 {
		t.Errorf("at noon: %v %v", review["overdueActions"], review["overdueConcerns"])
	}
}
