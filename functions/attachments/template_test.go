package main

import (
	"maps"
	"slices"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

func TestTemplateRoutesAreTheHandlersRoutes(t *testing.T) {
	routes := slices.Collect(maps.Keys(handler{}.routes()))
	template.CheckRoutes(t, "attachments", append(routes, slices.Collect(maps.Keys(handler{}.publicRoutes()))...))
}
