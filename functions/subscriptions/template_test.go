package main

import (
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// SubscriptionsFunction reads the table's stream for user and school changes only (never
// outbox items), with partial failures, finite retries and a dead-letter destination.
func TestTemplateStreamFeedsOnlyUserAndSchoolChanges(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := tpl.FunctionByFolder("subscriptions")
	if !ok || fn.LogicalID != "SubscriptionsFunction" || len(fn.Streams) != 1 || len(fn.Routes) != 0 {
		t.Fatalf("SubscriptionsFunction: %+v", fn)
	}
	s := fn.Streams[0]
	if !s.ReportBatchItemFailures || s.MaximumRetryAttempts <= 0 {
		t.Errorf("stream %+v must report batch item failures with finite retries", s)
	}
	if len(s.FilterPatterns) != 1 || !strings.Contains(s.FilterPatterns[0], `"S":["user","school"]`) || strings.Contains(s.FilterPatterns[0], "outbox") {
		t.Errorf("filter %v must match user and school items only", s.FilterPatterns)
	}
	if fn.Env["ALERTS_SUBSCRIPTIONS_PER_TOPIC"] == "" {
		t.Error("the subscriptions per topic are not set")
	}
	r, ok := tpl.Resource("SubscriptionsFunction")
	if !ok {
		t.Fatal("no SubscriptionsFunction")
	}
	var props strings.Builder
	dump(&props, r.Properties)
	for _, want := range []string{"SubscriptionsDeadLetterQueue", "sns:Subscribe", "sns:Unsubscribe", "sns:CreateTopic", "keepsafe-${Stage}-*"} {
		if !strings.Contains(props.String(), want) {
			t.Errorf("SubscriptionsFunction lacks %s", want)
		}
	}
}

// dump writes every scalar under n.
func dump(b *strings.Builder, n *yaml.Node) {
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		b.WriteString(n.Value + "\n")
	}
	for _, c := range n.Content {
		dump(b, c)
	}
}
