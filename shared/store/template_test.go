package store

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/keepsafe-schools/keepsafe/infra/template"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// The table template.yaml declares is the one this package's keys assume.
func TestTemplateTableHasTheKeysTheStoreUses(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	def, err := tpl.Table()
	if err != nil {
		t.Fatal(err)
	}
	if def.Key("HASH") != "PK" || def.Key("RANGE") != "SK" {
		t.Errorf("table keys %s/%s, want PK/SK", def.Key("HASH"), def.Key("RANGE"))
	}
	gsi, ok := def.GSI("GSI1")
	if !ok || len(gsi.KeySchema) != 2 || gsi.KeySchema[0].AttributeName != "GSI1PK" || gsi.KeySchema[1].AttributeName != "GSI1SK" {
		t.Errorf("GSI1 %+v", gsi)
	}
	if def.TTLAttribute != "expiresAt" || def.StreamViewType != "NEW_IMAGE" {
		t.Errorf("ttl %q stream %q, want expiresAt and NEW_IMAGE (the alerts function reads new images)", def.TTLAttribute, def.StreamViewType)
	}
	if !def.PointInTimeRecovery || !def.DeletionProtection || !def.SSEEnabled {
		t.Errorf("table must have point-in-time recovery, deletion protection and KMS encryption: %+v", def)
	}
}

// Rule P4: no function's role may change or remove an audit entry. Every role that may update or
// delete the table's items is denied both on the partition keys of audit entries, by a
// pattern that matches the keys this package writes them under (auditPK), so a change of key
// layout that escaped the condition fails here.
// statement is one IAM policy statement of a function's role.
type statement struct {
	Effect    string                    `yaml:"Effect"`
	Action    yaml.Node                 `yaml:"Action"`
	Resource  yaml.Node                 `yaml:"Resource"`
	Condition map[string]map[string]any `yaml:"Condition"`
}

func (s statement) onTable() bool {
	resources := []*yaml.Node{&s.Resource}
	if s.Resource.Kind == yaml.SequenceNode {
		resources = s.Resource.Content
	}
	for _, r := range resources {
		if r.Tag == "!GetAtt" && r.Value == "Table.Arn" {
			return true
		}
	}
	return false
}

// changes says whether the statement names updating or deleting items.
func (s statement) changes() (update, remove bool) {
	acts := []string{s.Action.Value}
	if s.Action.Kind != yaml.ScalarNode {
		acts = nil
		_ = s.Action.Decode(&acts)
	}
	for _, a := range acts {
		update = update || a == "dynamodb:UpdateItem" || a == "dynamodb:*"
		remove = remove || a == "dynamodb:DeleteItem" || a == "dynamodb:*"
	}
	return update, remove
}

// leadingKeys are the statement's patterns on dynamodb:LeadingKeys under the given operator.
func (s statement) leadingKeys(operator string) []string {
	patterns, _ := s.Condition[operator]["dynamodb:LeadingKeys"].([]any)
	out := make([]string, len(patterns))
	for i, p := range patterns {
		out[i] = fmt.Sprint(p)
	}
	return out
}

// tableStatements are the statements on the table of every function's role, by function.
func tableStatements(t *testing.T) map[string][]statement {
	t.Helper()
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]statement{}
	for _, r := range tpl.Resources() {
		if r.Type != "AWS::Serverless::Function" || r.Properties == nil {
			continue
		}
		var props struct {
			Policies []struct {
				Statement []statement `yaml:"Statement"`
			} `yaml:"Policies"`
		}
		if err := r.Properties.Decode(&props); err != nil {
			t.Fatalf("%s: %v", r.LogicalID, err)
		}
		for _, p := range props.Policies {
			for _, s := range p.Statement {
				if s.onTable() {
					out[r.LogicalID] = append(out[r.LogicalID], s)
				}
			}
		}
	}
	return out
}

func matchesAny(patterns []string, key string) bool {
	for _, p := range patterns {
		if glob(p).MatchString(key) {
			return true
		}
	}
	return false
}

func TestRule_P4_NoFunctionMayChangeOrRemoveAnAuditEntry(t *testing.T) {
	protected := []string{auditPK("brook-lane", time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)), sealsPK("brook-lane")}
	checked := 0
	for fn, statements := range tableStatements(t) {
		mayChange, denied := false, map[string]bool{}
		for _, s := range statements {
			update, remove := s.changes()
			switch s.Effect {
			case "Allow":
				mayChange = mayChange || update || remove
			case "Deny":
				for _, k := range protected {
					denied[k] = denied[k] || update && remove && matchesAny(s.leadingKeys("ForAnyValue:StringLike"), k)
				}
			}
		}
		if !mayChange {
			continue
		}
		checked++
		for _, k := range protected {
			if !denied[k] {
				t.Errorf("%s may update or delete the table's items, %s included", fn, k)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no function may update or delete the table's items: the test reads the template wrongly")
	}
}

// Records are never deleted: the one function that deletes items (the subscriptions
// reconciler, forgetting a person's alert subscription) may delete only in the alert
// partitions, never a record, an audit entry or any other item.
func TestRule_P4_DeleteItemOnlyOnAlertSubscriptions(t *testing.T) {
	const school = "brook-lane"
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	own := []string{alertSubKey(school, "dsl@brook-lane.example", safeguarding.ChannelSMS).PK, alertLeaseKey(school).PK}
	others := []string{auditPK(school, at), schoolKey(school).PK, pupilPK(school, "P1"), concernKey(school, "C1").PK,
		userKey("dsl@brook-lane.example").PK, outboxKey("X").PK, concernsByTimePK(school), familiesPK(school),
		requestKey(safeguarding.RequestKey{School: school, Actor: "a@b.example", Key: "ALERTS#x"}).PK}
	deleters := 0
	for fn, statements := range tableStatements(t) {
		for _, s := range statements {
			if _, remove := s.changes(); !remove || s.Effect != "Allow" {
				continue
			}
			deleters++
			patterns := s.leadingKeys("ForAllValues:StringLike")
			if len(patterns) == 0 {
				t.Errorf("%s may delete any item of the table", fn)
				continue
			}
			for _, k := range own {
				if !matchesAny(patterns, k) {
					t.Errorf("%s may not delete its own item %s", fn, k)
				}
			}
			for _, k := range others {
				if matchesAny(patterns, k) {
					t.Errorf("%s may delete %s", fn, k)
				}
			}
		}
	}
	if deleters != 1 {
		t.Errorf("%d statements allow deleting items, want the subscriptions function's one", deleters)
	}
}

// glob is an IAM StringLike pattern as a regular expression: * any run of characters, ? one.
func glob(pattern string) *regexp.Regexp {
	q := regexp.QuoteMeta(pattern)
	q = strings.ReplaceAll(q, `\*`, ".*")
	q = strings.ReplaceAll(q, `\?`, ".")
	return regexp.MustCompile("^" + q + "$")
}
