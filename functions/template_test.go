// Package functions holds one folder per Lambda; this test keeps the folders and the
// functions of template.yaml one to one.
package functions

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

func TestEveryFunctionFolderIsATemplateFunctionAndBack(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	var declared []string
	for _, f := range tpl.Functions() {
		declared = append(declared, f.Folder)
		// STYLE.md: a folder name in kebab-case matches its SAM logical id (cases -> CasesFunction).
		want := ""
		for _, part := range strings.Split(f.Folder, "-") {
			want += strings.ToUpper(part[:1]) + part[1:]
		}
		if f.LogicalID != want+"Function" {
			t.Errorf("folder %s has logical id %s, want %sFunction", f.Folder, f.LogicalID, want)
		}
	}
	mains, err := filepath.Glob("*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	var folders []string
	for _, m := range mains {
		folders = append(folders, filepath.Dir(m))
	}
	slices.Sort(declared)
	slices.Sort(folders)
	if !slices.Equal(declared, folders) {
		t.Errorf("template.yaml functions %v, functions/ folders %v", declared, folders)
	}
}
