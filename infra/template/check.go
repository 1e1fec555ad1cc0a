package template

import (
	"slices"
	"strings"
	"testing"
)

// CheckRoutes fails t unless the routes template.yaml gives the function in functions/<folder>
// are exactly served (its handler's route keys), each behind the JWT authorizer unless it is a
// web page. Each function's tests call it, so a route added on one side only is caught.
func CheckRoutes(t testing.TB, folder string, served []string) {
	t.Helper()
	tpl, err := LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	fn, ok := tpl.FunctionByFolder(folder)
	if !ok {
		t.Fatalf("template.yaml has no function with CodeUri build/%s/", folder)
	}
	var declared []string
	for _, r := range fn.Routes {
		declared = append(declared, r.RouteKey())
		if strings.HasPrefix(r.Path, "/api/") && !r.Auth {
			t.Errorf("%s has no JWT authorizer", r.RouteKey())
		}
	}
	served = slices.Clone(served)
	slices.Sort(declared)
	slices.Sort(served)
	if !slices.Equal(declared, served) {
		t.Errorf("%s: template routes %v\nhandler routes %v", fn.LogicalID, declared, served)
	}
}
