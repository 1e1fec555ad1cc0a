package store

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/keepsafe-schools/keepsafe/infra/template"
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
func TestRule_P4_NoFunctionMayChangeOrRemoveAnAuditEntry(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	auditKey := auditPK("brook-lane", time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC))
	type statement struct {
		Effect    string                    `yaml:"Effect"`
		Action    yaml.Node                 `yaml:"Action"`
		Resource  yaml.Node                 `yaml:"Resource"`
		Condition map[string]map[string]any `yaml:"Condition"`
	}
	onTable := func(s statement) bool {
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
	actions := func(s statement) []string {
		if s.Action.Kind == yaml.ScalarNode {
			return []string{s.Action.Value}
		}
		var out []string
		_ = s.Action.Decode(&out)
		return out
	}
	changes := func(acts []string) (update, remove bool) {
		for _, a := range acts {
			update = update || a == "dynamodb:UpdateItem" || a == "dynamodb:*"
			remove = remove || a == "dynamodb:DeleteItem" || a == "dynamodb:*"
		}
		return update, remove
	}
	checked := 0
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
		var mayChange, denied bool
		for _, p := range props.Policies {
			for _, s := range p.Statement {
				if !onTable(s) {
					continue
				}
				update, remove := changes(actions(s))
				switch s.Effect {
				case "Allow":
					mayChange = mayChange || update || remove
				case "Deny":
					if !update || !remove {
						continue
					}
					patterns, _ := s.Condition["ForAnyValue:StringLike"]["dynamodb:LeadingKeys"].([]any)
					for _, pat := range patterns {
						if glob(fmt.Sprint(pat)).MatchString(auditKey) {
							denied = true
						}
					}
				}
			}
		}
		if mayChange {
			checked++
			if !denied {
				t.Errorf("%s may update or delete the table's items, audit entries (%s) included", r.LogicalID, auditKey)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no function may update or delete the table's items: the test reads the template wrongly")
	}
}

// glob is an IAM StringLike pattern as a regular expression: * any run of characters, ? one.
func glob(pattern string) *regexp.Regexp {
	q := regexp.QuoteMeta(pattern)
	q = strings.ReplaceAll(q, `\*`, ".*")
	q = strings.ReplaceAll(q, `\?`, ".")
	return regexp.MustCompile("^" + q + "$")
}
