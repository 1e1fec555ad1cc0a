package main

import (
	"reflect"
	"strings"
	"testing"
)

const mod = "example.org/app"

func TestCheck(t *testing.T) {
	graph := map[string][]string{
		mod + "/shared/safeguarding":          {"time", "errors", mod + "/shared/safeguarding/rules"},
		mod + "/shared/safeguarding/rules":    {"strings", "github.com/aws/aws-sdk-go-v2/aws"},
		mod + "/shared/store":                 {"context", mod + "/shared/safeguarding", mod + "/shared/store/keys", "github.com/aws/aws-sdk-go-v2/service/dynamodb"},
		mod + "/shared/store/keys":            {"fmt"},
		mod + "/shared/httpapi":               {mod + "/shared/identity", mod + "/infra/template"},
		mod + "/shared/identity":              {mod + "/shared/safeguarding"},
		mod + "/functions/concerns":           {mod + "/shared/store", mod + "/shared/httpapi", mod + "/functions/concerns/handler"},
		mod + "/functions/concerns/handler":   {mod + "/shared/safeguarding"},
		mod + "/functions/web":                {mod + "/functions/concerns/handler"},
		mod + "/infra/local":                  {mod + "/functions/concerns/handler", mod + "/shared/store"},
		mod + "/shared/alert":                 {mod + "/functions/web"},
		"other.org/notours":                   {mod + "/functions/web"},
		mod + "/shared/safeguarding/calendar": {mod + "/shared/store"},
	}
	got := Check(mod, graph, isStd, nil)
	want := []Violation{
		{mod + "/functions/web", mod + "/functions/concerns/handler", "functions never import functions"},
		{mod + "/shared/alert", mod + "/functions/web", "shared/ never imports infra/ or functions/"},
		{mod + "/shared/httpapi", mod + "/infra/template", "shared/ never imports infra/ or functions/"},
		{mod + "/shared/httpapi", mod + "/shared/identity", "adapters in shared/ never import each other (only shared/safeguarding)"},
		{mod + "/shared/safeguarding/calendar", mod + "/shared/store", "the domain (shared/safeguarding) imports only the standard library"},
		{mod + "/shared/safeguarding/rules", "github.com/aws/aws-sdk-go-v2/aws", "the domain (shared/safeguarding) imports only the standard library"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("violations:\n%v\nwant:\n%v", got, want)
	}

	// An accepted exception silences exactly its pair of components.
	got = Check(mod, graph, isStd, map[string]bool{"shared/httpapi -> shared/identity": true})
	if len(got) != len(want)-1 {
		t.Errorf("with an exception: %v", got)
	}
	for _, v := range got {
		if v.From == mod+"/shared/httpapi" && v.To == mod+"/shared/identity" {
			t.Error("exception not applied")
		}
	}
}

func TestClean(t *testing.T) {
	graph := map[string][]string{
		mod + "/shared/safeguarding": {"time"},
		mod + "/shared/store":        {mod + "/shared/safeguarding"},
		mod + "/functions/concerns":  {mod + "/shared/store", mod + "/shared/safeguarding"},
		mod + "/infra/local":         {mod + "/functions/concerns", mod + "/infra/template"},
	}
	if got := Check(mod, graph, isStd, nil); len(got) != 0 {
		t.Errorf("violations in a clean graph: %v", got)
	}
}

func TestIsStd(t *testing.T) {
	for path, want := range map[string]bool{
		"fmt": true, "net/http": true, "golang.org/x/tools": false, "github.com/a/b": false, mod + "/x": false,
	} {
		if isStd(path) != want {
			t.Errorf("isStd(%s) = %v", path, !want)
		}
	}
}

func TestComponent(t *testing.T) {
	for in, want := range map[string]string{
		"shared/store/keys": "shared/store", "shared/store": "shared/store", "functions/web/tmpl": "functions/web",
		"infra/local": "infra/local", "": "",
	} {
		if got := component(in); got != want {
			t.Errorf("component(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCheckDomain(t *testing.T) {
	k := mod + "/shared/safeguarding"
	graph := map[string][]string{
		k:                        {"time", k + "/concerns"},
		k + "/concerns":          {"errors", k},
		k + "/casework":          {k, k + "/concerns"},
		k + "/visits":            {k, k + "/casework"},
		k + "/safeguardingtest":  {k, k + "/concerns"},
		mod + "/shared/store":    {k, k + "/visits", k + "/safeguardingtest"},
		mod + "/functions/cases": {k + "/casework"},
	}
	edges := map[string]bool{"casework -> concerns": true}
	got := CheckDomain(mod, graph, edges)
	want := []Violation{
		{k, k + "/concerns", "the kernel (shared/safeguarding) imports no capability"},
		{k + "/concerns", k, "an import cycle: " + k + " -> " + k + "/concerns -> " + k},
		{k + "/visits", k + "/casework", "a capability imports only the kernel and the capabilities depcheck's capabilityEdges lists"},
		{mod + "/shared/store", k + "/safeguardingtest", "the domain's test support (shared/safeguarding/safeguardingtest) is imported by tests only"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("violations:\n%v\nwant:\n%v", got, want)
	}

	// The allowed edges, the kernel importing the standard library only: clean.
	clean := map[string][]string{
		k:                     {"time"},
		k + "/concerns":       {k},
		k + "/casework":       {k, k + "/concerns"},
		mod + "/shared/store": {k, k + "/casework"},
		// test support may import test support
		k + "/concerns/concernstest": {k, k + "/concerns", k + "/safeguardingtest"},
	}
	if got := CheckDomain(mod, clean, edges); len(got) != 0 {
		t.Errorf("violations in a clean domain: %v", got)
	}
}

func TestCapabilityEdgesHaveNoCycle(t *testing.T) {
	graph := map[string][]string{}
	for e := range capabilityEdges {
		from, to, _ := strings.Cut(e, " -> ")
		graph[from] = append(graph[from], to)
	}
	if vs := cycles(graph); len(vs) != 0 {
		t.Errorf("capabilityEdges has a cycle: %v", vs)
	}
}
