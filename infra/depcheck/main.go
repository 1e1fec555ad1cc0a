// Command depcheck enforces the dependency direction of DESIGN.md on the packages of this
// module (test files are not checked: tests may use the infra helpers):
//
//   - shared/safeguarding, the domain, imports only the standard library;
//   - the adapters in shared/ (every folder of shared/ but safeguarding) import no other
//     adapter: of the project's packages they may import only shared/safeguarding;
//   - no function (functions/<name>) imports another function;
//   - nothing in shared/ imports infra/ or functions/.
//
// Packages below one component (shared/store/keys under shared/store) belong to it. It runs
// `go list -e -json ./...` from the working directory, prints every violation and exits 1 if
// there is any.
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strings"
)

// allowed lists imports between project packages that the rules would refuse but that are
// accepted on purpose, as "importer -> imported" components (e.g. "shared/store -> shared/alert").
// Every entry needs a comment saying why. It is empty: keep the rule strict.
var allowed = map[string]bool{}

// Package is the part of `go list -json` output that the rules need.
type Package struct {
	ImportPath string
	Imports    []string
	Error      *struct{ Err string }
}

// Violation is one import that breaks a rule.
type Violation struct {
	From, To string // full import paths
	Rule     string
}

func (v Violation) String() string { return v.From + " imports " + v.To + ": " + v.Rule }

func main() {
	pkgs, module, err := load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "depcheck:", err)
		os.Exit(2)
	}
	graph := map[string][]string{}
	for _, p := range pkgs {
		if p.Error != nil {
			fmt.Fprintf(os.Stderr, "depcheck: %s: %s\n", p.ImportPath, p.Error.Err)
		}
		graph[p.ImportPath] = p.Imports
	}
	vs := Check(module, graph, isStd, allowed)
	for _, v := range vs {
		fmt.Println(v)
	}
	if len(vs) > 0 {
		fmt.Printf("depcheck: %d dependency violation(s); see DESIGN.md, Layout\n", len(vs))
		os.Exit(1)
	}
	fmt.Printf("depcheck: %d packages follow the dependency direction\n", len(graph))
}

// load lists the module's packages with `go list`.
func load() ([]Package, string, error) {
	modOut, err := exec.Command("go", "list", "-m").Output()
	if err != nil {
		return nil, "", fmt.Errorf("go list -m: %w", err)
	}
	module := strings.TrimSpace(string(modOut))
	cmd := exec.Command("go", "list", "-e", "-json", "./...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("go list: %w\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			return nil, "", fmt.Errorf("go list output: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, module, nil
}

// isStd reports whether an import path is in the standard library: its first element has no
// dot (the rule `go` itself uses), and it is not the module's own path.
func isStd(path string) bool {
	first, _, _ := strings.Cut(path, "/")
	return !strings.Contains(first, ".")
}

// Check applies the rules to graph (import path -> direct imports) of the module's packages.
// std tells standard-library paths apart; allow holds accepted "from -> to" component pairs.
func Check(module string, graph map[string][]string, std func(string) bool, allow map[string]bool) []Violation {
	var out []Violation
	for from, imports := range graph {
		fromRel, ok := rel(module, from)
		if !ok {
			continue
		}
		fromComp := component(fromRel)
		for _, to := range imports {
			toRel, own := rel(module, to)
			if !own {
				if fromComp == "shared/safeguarding" && !std(to) {
					out = append(out, Violation{from, to, "the domain (shared/safeguarding) imports only the standard library"})
				}
				continue
			}
			toComp := component(toRel)
			if toComp == fromComp || allow[fromComp+" -> "+toComp] {
				continue
			}
			if rule := broken(fromComp, toComp); rule != "" {
				out = append(out, Violation{from, to, rule})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].To < out[j].To
	})
	return out
}

// broken returns the rule an import from component from to component to breaks, or "".
func broken(from, to string) string {
	top := func(c string) string { t, _, _ := strings.Cut(c, "/"); return t }
	switch {
	case from == "shared/safeguarding":
		return "the domain (shared/safeguarding) imports only the standard library"
	case top(from) == "shared" && (top(to) == "infra" || top(to) == "functions"):
		return "shared/ never imports infra/ or functions/"
	case top(from) == "shared" && top(to) == "shared" && to != "shared/safeguarding":
		return "adapters in shared/ never import each other (only shared/safeguarding)"
	case top(from) == "functions" && top(to) == "functions":
		return "functions never import functions"
	}
	return ""
}

// rel returns path relative to the module ("" for the module's root package).
func rel(module, path string) (string, bool) {
	if path == module {
		return "", true
	}
	r, ok := strings.CutPrefix(path, module+"/")
	return r, ok
}

// component is the first two elements of a module-relative path under shared/ or functions/
// ("shared/store" for "shared/store/keys"), else the path itself.
func component(r string) string {
	parts := strings.SplitN(r, "/", 3)
	if len(parts) >= 2 && (parts[0] == "shared" || parts[0] == "functions") {
		return parts[0] + "/" + parts[1]
	}
	return r
}
