// Package docs holds the project's documents; its test keeps the OpenAPI file true to the
// routes template.yaml gives the functions.
package docs

import (
	"os"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

func TestOpenAPIDocumentsEveryAPIRouteAndNoOther(t *testing.T) {
	b, err := os.ReadFile("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Paths map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	var routed []string
	for _, r := range tpl.Routes() {
		if strings.HasPrefix(r.Path, "/api/") {
			routed = append(routed, r.RouteKey())
		}
	}
	slices.Sort(documented)
	slices.Sort(routed)
	if !slices.Equal(documented, routed) {
		t.Errorf("openapi.yaml documents %v\ntemplate.yaml routes %v", documented, routed)
	}
}
