package main

import (
	"context"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
)

// Sealing reads each of the day's entries once, in as few Queries as its pages need, writes
// one seal per 1,000 entries and the day's anchor, and a second run writes nothing; the check
// reads the day's entries once more and finds them all. `make bench` runs the same at 50,000.
func TestRule_P4_SealingADayReadsEachEntryOnceAndVerifyFindsThemAll(t *testing.T) {
	root, err := dynamodblocal.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	r, err := sealingAtScale(context.Background(), dynamotest.Endpoint(t), root, 2500)
	if err != nil {
		t.Fatal(err)
	}
	if r.Seal.Seals != 3 || r.Seal.Anchors != 1 {
		t.Errorf("run %+v: 3 seals of at most 1,000 entries, the last one anchored", r.Seal)
	}
	// The registry, the last seal, then the day's entries in pages of 1 MB (about 2,500 of
	// these entries, with their index keys, in three pages).
	if q := r.SealUsage["Query"]; q.Items != 2500+1 || q.Calls > 2+3 {
		t.Errorf("sealing read %d items in %d Queries: the entries once, and the registry", q.Items, q.Calls)
	}
	if r.RepeatUsage["PutItem"].Calls != 0 {
		t.Errorf("the second run wrote %v", r.RepeatUsage)
	}
}
