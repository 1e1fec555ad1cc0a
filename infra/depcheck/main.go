// Command depcheck enforces the dependency direction of DESIGN.md on the packages of this
// module (test files are not checked: tests may use the infra helpers):
//
//   - shared/safeguarding, the domain (the kernel and the capabilities below it), imports only
//     the standard library and its own packages;
//   - the adapters in shared/ (every folder of shared/ but safeguarding) import no other
//     adapter: of the project's packages they may import only shared/safeguarding;
//   - no function (functions/<name>) imports another function;
//   - nothing in shared/ imports infra/ or functions/;
//   - inside the domain (CheckDomain): the kernel, shared/safeguarding itself, imports no
//     capability (shared/safeguarding/<capability>); a capability imports the kernel and only
//     the capabilities that capabilityEdges lists; the domain's test support
//     (shared/safeguarding/safeguardingtest, concerns/concernstest, contact/contacttest) is
//     imported by tests only; and no import cycle runs through the domain's packages.
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
	"slices"
	"sort"
	"strings"
)

// allowed lists imports between project packages that the rules would refuse but that are
// accepted on purpose, as "importer -> imported" components (e.g. "shared/store -> shared/alert").
// Every entry needs a comment saying why. It is empty: keep the rule strict.
var allowed = map[string]bool{}

// capabilityEdges are the only imports allowed between the domain's capabilities, as
// "importer -> imported" (DESIGN.md, Layout): one direction only, never a circle.
//   - visits -> concerns: an immediate concern on a doorstep is recorded as a concern (V5).
//   - imports -> contact: an import forms families and writes their contact details (P1, P3).
//   - audit -> concerns, audit -> casework: the audit trail hides from a reader the entries
//     about a concern whose case work rule C5 hides from them, and knows an action's concern.
//   - exports -> concerns, exports -> casework: a pupil's record produced to print or export
//     holds their concerns with every version and the case work on them (D10).
//   - casework -> attendance: the SLT review lists the pupils below 90% attendance with the
//     reasons logged (C9), as the attendance list puts them together.
//   - deadlines imports the kernel only: the due items, their state and the ladder are the
//     kernel's, since actions, families' agreed actions and visits all carry them.
var capabilityEdges = map[string]bool{
	"audit -> casework":      true,
	"audit -> concerns":      true,
	"casework -> attendance": true,
	"casework -> concerns":   true,
	"engagement -> contact":  true,
	"exports -> casework":    true,
	"exports -> concerns":    true,
	"visits -> contact":      true,
	"visits -> concerns":     true,
	"imports -> contact":     true,
}

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
	vs := append(Check(module, graph, isStd, allowed), CheckDomain(module, graph, capabilityEdges)...)
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

// domainRoot is the kernel's path; every capability is one folder below it.
const domainRoot = "shared/safeguarding"

// isTestSupport reports whether a module-relative path is one of the domain's test-support
// packages (shared/safeguarding/safeguardingtest, concerns/concernstest, contact/contacttest):
// fixtures for tests only, which may import each other.
func isTestSupport(r string) bool {
	_, in := capability(r)
	return in && strings.HasSuffix(r[strings.LastIndex(r, "/")+1:], "test")
}

// capability returns the capability of a module-relative path inside the domain ("" for the
// kernel) and whether the path is in the domain at all.
func capability(r string) (string, bool) {
	if r == domainRoot {
		return "", true
	}
	rest, ok := strings.CutPrefix(r, domainRoot+"/")
	if !ok {
		return "", false
	}
	c, _, _ := strings.Cut(rest, "/")
	return c, true
}

// CheckDomain applies the domain's own rules to graph: the kernel imports no capability, a
// capability imports only the capabilities edges allows ("importer -> imported"), only test
// support imports test support, and no cycle runs through the domain's packages.
func CheckDomain(module string, graph map[string][]string, edges map[string]bool) []Violation {
	var out []Violation
	domain := map[string][]string{}
	for from, imports := range graph {
		fromRel, ok := rel(module, from)
		if !ok {
			continue
		}
		fromCap, fromIn := capability(fromRel)
		for _, to := range imports {
			toRel, own := rel(module, to)
			if !own {
				continue
			}
			toCap, toIn := capability(toRel)
			if !toIn {
				continue
			}
			switch {
			case isTestSupport(toRel) && !isTestSupport(fromRel):
				out = append(out, Violation{from, to, "the domain's test support (" + toRel + ") is imported by tests only"})
			case isTestSupport(toRel) || isTestSupport(fromRel):
			case !fromIn:
			case fromCap == "" && toCap != "":
				out = append(out, Violation{from, to, "the kernel (shared/safeguarding) imports no capability"})
			case fromCap != "" && toCap != "" && fromCap != toCap && !edges[fromCap+" -> "+toCap]:
				out = append(out, Violation{from, to, "a capability imports only the kernel and the capabilities depcheck's capabilityEdges lists"})
			}
			if fromIn {
				domain[from] = append(domain[from], to)
			}
		}
	}
	out = append(out, cycles(domain)...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].To < out[j].To
	})
	return out
}

// cycles reports one import of each cycle in graph, the one that closes it.
func cycles(graph map[string][]string) []Violation {
	var out []Violation
	const (
		unseen = iota
		open
		done
	)
	state := map[string]int{}
	var visit func(p string, path []string)
	visit = func(p string, path []string) {
		state[p] = open
		path = append(path, p)
		tos := append([]string(nil), graph[p]...)
		sort.Strings(tos)
		for _, to := range tos {
			switch state[to] {
			case open:
				i := slices.Index(path, to)
				out = append(out, Violation{p, to, "an import cycle: " + strings.Join(append(path[i:], to), " -> ")})
			case unseen:
				visit(to, path)
			}
		}
		state[p] = done
	}
	var roots []string
	for p := range graph {
		roots = append(roots, p)
	}
	sort.Strings(roots)
	for _, p := range roots {
		if state[p] == unseen {
			visit(p, nil)
		}
	}
	return out
}
