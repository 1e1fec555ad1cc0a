package store

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
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
