package main

import (
	"os"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// Rule P4: the anchors bucket is created with Object Lock, compliance mode by default for the
// retention the template's parameter says, versioned, private, and kept when the stack goes;
// the function seals every 15 minutes in London time and may write anchors, never delete them.
func TestRule_P4_TheAnchorsBucketLocksInComplianceModeAndTheSealRunsEvery15Minutes(t *testing.T) {
	p, err := template.Find()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var tpl struct {
		Parameters struct {
			Retention struct {
				Default  int `yaml:"Default"`
				MinValue int `yaml:"MinValue"`
			} `yaml:"AuditAnchorRetentionYears"`
		} `yaml:"Parameters"`
		Resources map[string]yaml.Node `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(raw, &tpl); err != nil {
		t.Fatal(err)
	}
	var bucket struct {
		Type                string `yaml:"Type"`
		DeletionPolicy      string `yaml:"DeletionPolicy"`
		UpdateReplacePolicy string `yaml:"UpdateReplacePolicy"`
		Properties          struct {
			ObjectLockEnabled       bool `yaml:"ObjectLockEnabled"`
			ObjectLockConfiguration struct {
				ObjectLockEnabled string `yaml:"ObjectLockEnabled"`
				Rule              struct {
					DefaultRetention struct {
						Mode  string    `yaml:"Mode"`
						Years yaml.Node `yaml:"Years"`
					} `yaml:"DefaultRetention"`
				} `yaml:"Rule"`
			} `yaml:"ObjectLockConfiguration"`
			VersioningConfiguration struct {
				Status string `yaml:"Status"`
			} `yaml:"VersioningConfiguration"`
			PublicAccessBlockConfiguration map[string]bool `yaml:"PublicAccessBlockConfiguration"`
		} `yaml:"Properties"`
	}
	node := tpl.Resources["AuditAnchorsBucket"]
	if err := node.Decode(&bucket); err != nil {
		t.Fatal(err)
	}
	lock := bucket.Properties.ObjectLockConfiguration
	if bucket.Type != "AWS::S3::Bucket" || !bucket.Properties.ObjectLockEnabled || lock.ObjectLockEnabled != "Enabled" ||
		lock.Rule.DefaultRetention.Mode != "COMPLIANCE" || lock.Rule.DefaultRetention.Years.Value != "AuditAnchorRetentionYears" {
		t.Errorf("anchors bucket: %+v", bucket)
	}
	if bucket.Properties.VersioningConfiguration.Status != "Enabled" || len(bucket.Properties.PublicAccessBlockConfiguration) != 4 ||
		bucket.DeletionPolicy != "Retain" || bucket.UpdateReplacePolicy != "Retain" {
		t.Errorf("anchors bucket: versioned, private and retained, got %+v", bucket)
	}
	if r := tpl.Parameters.Retention; r.Default < 25 || r.MinValue < 1 {
		t.Errorf("retention %+v: at least the records' 25 years by default", r)
	}

	tp, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	var fn *template.Function
	for _, f := range tp.Functions() {
		if f.Folder == "seal" {
			fn = &f
		}
	}
	if fn == nil || len(fn.Schedules) != 1 || fn.Schedules[0].Name != "seal" || fn.Schedules[0].Expression != "rate(15 minutes)" ||
		fn.Schedules[0].Timezone != "Europe/London" {
		t.Fatalf("seal function: %+v", fn)
	}
	if fn.Env["AUDIT_ANCHOR_RETENTION_YEARS"] != "25" || fn.Env["AUDIT_CHAIN_FROM"] == "" {
		t.Errorf("environment %v", fn.Env)
	}
	policies := sealPolicies(t, tpl.Resources["SealFunction"])
	if !strings.Contains(policies, "s3:PutObjectRetention") || strings.Contains(policies, "s3:Delete") ||
		strings.Contains(policies, "s3:BypassGovernanceRetention") || strings.Contains(policies, "dynamodb:UpdateItem") {
		t.Errorf("the seal function's policies: %s", policies)
	}
}

func sealPolicies(t *testing.T, fn yaml.Node) string {
	t.Helper()
	var props struct {
		Properties struct {
			Policies yaml.Node `yaml:"Policies"`
		} `yaml:"Properties"`
	}
	if err := fn.Decode(&props); err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(&props.Properties.Policies)
	if err != nil {
		t.Fatal(err)
	}
	// The Deny of rule P4 names UpdateItem on purpose; only what is allowed counts here.
	allowed := []string{}
	for _, part := range strings.Split(string(out), "- Effect: ") {
		if strings.HasPrefix(part, "Allow") {
			allowed = append(allowed, part)
		}
	}
	return strings.Join(allowed, "\n")
}
