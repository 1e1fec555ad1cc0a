package main

import (
	"maps"
	"slices"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

func TestTemplateRoutesAreTheHandlersRoutes(t *testing.T) {
	template.CheckRoutes(t, "reports", slices.Collect(maps.Keys(handler{}.routes())))
}
