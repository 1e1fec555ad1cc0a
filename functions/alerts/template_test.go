package main

import (
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// The stream that feeds AlertsFunction carries outbox inserts only and reports partial failures.
func TestTemplateStreamFeedsOnlyOutboxInsertsWithPartialFailures(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := tpl.FunctionByFolder("alerts")
	if !ok || fn.LogicalID != "AlertsFunction" || len(fn.Streams) != 1 || len(fn.Routes) != 0 {
		t.Fatalf("AlertsFunction: %+v", fn)
	}
	s := fn.Streams[0]
	if !s.ReportBatchItemFailures || s.MaximumRetryAttempts <= 0 {
		t.Errorf("stream %+v must report batch item failures with finite retries", s)
	}
	if len(s.FilterPatterns) != 1 || !strings.Contains(s.FilterPatterns[0], `"S":["outbox"]`) || !strings.Contains(s.FilterPatterns[0], `"INSERT"`) {
		t.Errorf("filter %v must match outbox inserts only", s.FilterPatterns)
	}
}
