package main

import (
	"context"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
)

// Rule D10: the governors' report of a school with its concerns, and a federation's, read a
// handful of counter items by key and never a Scan or a Query, however many concerns there
// are; the figures are the concerns recorded. `make bench` runs it at 5,000 concerns and 50
// schools.
func TestRule_D10_TheGovernorsReportReadsAHandfulOfItemsAtAnySize(t *testing.T) {
	r, err := reportsAtScale(context.Background(), dynamotest.Endpoint(t), 120, 12, 7, 40)
	if err != nil {
		t.Fatal(err)
	}
	for name, u := range map[string]usage{"the school's": r.School, "the federation's": r.Federation} {
		if u["Scan"].Calls != 0 || u["Query"].Calls != 0 {
			t.Errorf("%s report: %v", name, u)
		}
	}
	if b := r.School["BatchGetItem"].Calls; b != 2 {
		t.Errorf("the school's report: %d BatchGetItem, want 2 (%v)", b, r.School)
	}
	// 7 schools of 9 months: 63 keys, one batch; the viewer and their schools' names, one each.
	if b := r.Federation["BatchGetItem"].Calls; b != 2 || r.Federation["GetItem"].Calls != 1 {
		t.Errorf("the federation's report: %v", r.Federation)
	}
	var md strings.Builder
	r.markdown(&md)
	t.Log(md.String())
}
