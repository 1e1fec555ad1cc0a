package main

import (
	"maps"
	"slices"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// The routes template.yaml gives CasesFunction are exactly the routes the handler serves.
func TestTemplateRoutesAreTheHandlersRoutes(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := tpl.FunctionByFolder("cases")
	if !ok || fn.LogicalID != "CasesFunction" {
		t.Fatalf("no CasesFunction with CodeUri build/cases/ in template.yaml: %+v", fn)
	}
	var declared []string
	for _, r := range fn.Routes {
		declared = append(declared, r.RouteKey())
		if !r.Auth {
			t.Errorf("%s has no JWT authorizer", r.RouteKey())
		}
	}
	served := slices.Collect(maps.Keys(handler{}.routes()))
	slices.Sort(declared)
	slices.Sort(served)
	if !slices.Equal(declared, served) {
		t.Errorf("template routes %v, handler routes %v", declared, served)
	}
}
