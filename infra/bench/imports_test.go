package main

import (
	"context"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
)

// Rule P1: a school's export imported, then the same file again: the second import writes
// nothing but its own record (started, then finished with its audit entry). `make bench` runs
// the same at 2,000 pupils.
func TestRule_P1_ReImportingTheSameExportWritesOnlyTheImportsRecord(t *testing.T) {
	r, err := importAtScale(context.Background(), dynamotest.Endpoint(t), 200)
	if err != nil {
		t.Fatal(err)
	}
	if r.Families != 100 || r.Contacts != 300 || r.Parents != 150 {
		t.Errorf("the file: %d families, %d contacts, %d parents; want 100, 300, 150", r.Families, r.Contacts, r.Parents)
	}
	if w := r.FirstUsage.writes(); w.Items < 200*3 || w.Missing > 0 {
		t.Errorf("the first import wrote %d items (%d without capacity): %v", w.Items, w.Missing, r.FirstUsage)
	}
	again := r.AgainUsage
	if again["PutItem"].Items != 1 || again["TransactWriteItems"].Calls != 1 || again["TransactWriteItems"].Items != 2 ||
		again.writes().Items != 3 || again.writes().Missing > 0 {
		t.Errorf("the same file again wrote %v; want the record as it starts (PutItem), then it with its audit entry (one transaction of 2)", again)
	}
	var md strings.Builder
	r.markdown(&md)
	t.Log(md.String())
	if again.writes().Units <= 0 {
		t.Errorf("no write units reported: %v", again)
	}
}
