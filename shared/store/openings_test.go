package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// Rule P3: the hour's set of families moves only under the condition the decision read, so
// two openings decided on the same count cannot both take the last place without a reason,
// nor both alert; the reason is kept on the audit entry (rule P4).
func TestRule_P3_P4_TheHoursCountMovesOnlyUnderTheConditionItWasDecidedOn(t *testing.T) {
	db, table := dynamotest.New(t)
	s := New(db, table)
	ctx := context.Background()
	const school, actor = safeguarding.SchoolID("brook-lane"), "dsl@school.example"
	at := time.Date(2026, 11, 23, 10, 20, 0, 0, time.UTC)
	n := 0
	open := func(family string, o contact.Opening, reason string) error {
		n++
		w := contact.OpeningWrite{Family: family, Hour: contact.OpeningHour(at), Opening: o,
			Audit: safeguarding.AuditEntry{ID: fmt.Sprintf("a%03d", n), School: school, Actor: actor, Action: contact.AuditContactsViewed,
				Subject: "family/" + family + "/contact-details", At: at, Reason: reason}}
		if o.Alert {
			w.Alerts = []safeguarding.Alert{{ID: "bulk#" + w.Audit.ID, School: school, Kind: contact.AlertBulkContactReading,
				Audience: safeguarding.AudienceSeniorDSL, Recipient: "head@school.example", Channel: safeguarding.ChannelEmail}}
		}
		return s.SaveContactOpening(ctx, w)
	}
	within := contact.Opening{Count: true, Limit: 3}
	for _, f := range []string{"f1", "f2", "f1"} {
		if err := open(f, within, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Both read two families; the first takes the last place, the second's condition fails.
	if err := open("f3", within, ""); err != nil {
		t.Fatal(err)
	}
	if err := open("f4", within, ""); !errors.Is(err, safeguarding.ErrConflict) {
		t.Fatalf("a second family into the last place: %v", err)
	}
	if err := open("f3", within, ""); err != nil {
		t.Errorf("the family already counted, decided on a stale count: %v", err)
	}
	// Past it, with a reason: the first alerts, a second alert decided on the same read fails.
	beyond := contact.Opening{Count: true, Limit: 3, Beyond: true, Alert: true, Reason: "call back"}
	if err := open("f4", beyond, "call back"); err != nil {
		t.Fatal(err)
	}
	if err := open("f5", beyond, "call back"); !errors.Is(err, safeguarding.ErrConflict) {
		t.Fatalf("a second alert the same hour: %v", err)
	}
	beyond.Alert = false
	if err := open("f5", beyond, "call back"); err != nil {
		t.Fatal(err)
	}
	var it openingsItem
	ok, err := s.getItem(ctx, openingsKey(school, actor, at), &it, true)
	if err != nil || !ok || len(it.Families) != 5 || it.AlertedAt == "" {
		t.Fatalf("the hour: %+v %v", it, err)
	}
	v, err := s.LoadContactView(ctx, actor, school, "f5", at.Add(30*time.Minute))
	if err != nil || v.Openings != (contact.ContactOpenings{Families: 5, Counted: true, Alerted: true}) {
		t.Errorf("read back in the same hour: %+v %v", v.Openings, err)
	}
	if v, _ := s.LoadContactView(ctx, actor, school, "f5", at.Add(time.Hour)); v.Openings != (contact.ContactOpenings{}) {
		t.Errorf("the next hour: %+v", v.Openings)
	}
	raw, _ := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: openingsKey(school, actor, at).av()})
	exp, _ := raw.Item["expiresAt"].(*types.AttributeValueMemberN)
	if exp == nil || exp.Value != strconv.FormatInt(contact.OpeningHour(at).Add(48*time.Hour).Unix(), 10) {
		t.Errorf("expiresAt %v, want two days past the hour", raw.Item["expiresAt"])
	}
	audit, _ := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: key{PK: auditPK(school, at), SK: stamp(at) + "#a007"}.av()})
	if r, _ := audit.Item["reason"].(*types.AttributeValueMemberS); r == nil || r.Value != "call back" {
		t.Errorf("the audit entry's reason: %v", audit.Item)
	}
}
