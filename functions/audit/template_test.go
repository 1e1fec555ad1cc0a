package main

import (
	"maps"
	"slices"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

func TestTemplateRoutesAreTheHandlersRoutes(t *testing.T) {
	template.CheckRoutes(t, "audit", slices.Collect(maps.Keys(handler{}.routes())))
}
