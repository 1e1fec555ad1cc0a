package store

import (
	"testing"

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
