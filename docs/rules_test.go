package docs

import (
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// An id of the rule book: one of its letters and one or two digits (D3, D10).
const ruleIDPattern = `[PCDHVES][0-9]{1,2}\b`

var (
	ruleIDExact = regexp.MustCompile(`^` + ruleIDPattern + `$`)
	// One id or a range of them (D1-D5).
	ruleItem = regexp.MustCompile(`(` + ruleIDPattern + `)(?:-(` + ruleIDPattern + `))?`)
	// A list of ids or ranges: "C4, S6", "E2-E6 and H2".
	ruleList = `(?:` + ruleIDPattern + `(?:-` + ruleIDPattern + `)?)(?:(?:,\s*|\s+and\s+|\s*/\s*)` +
		ruleIDPattern + `(?:-` + ruleIDPattern + `)?)*`
	// "rule D8", "Rules E2-E5", "rules C4, S6".
	afterRule = regexp.MustCompile(`\b[Rr]ules?\s+(` + ruleList + `)`)
	// "(D8)", "(E1-E6)", "(P3, H1-H3, D8)", "(D7: ...)".
	inParens = regexp.MustCompile(`\((` + ruleList + `)\s*[):]`)
	// A comment carried on to the next line.
	commentBreak = regexp.MustCompile(`\n[ \t]*//[ \t]?`)
	testFunc     = regexp.MustCompile(`^func (Test\w+)\(`)
	ruleRow      = regexp.MustCompile(`^\|\s*(` + ruleIDPattern + `)\s*\|`)
	testInCell   = regexp.MustCompile("`(Test\\w+)`")
)

// ruleIDsIn returns the ids a text names the way the code names rules: after "rule" or
// "rules", or in parentheses, ranges expanded.
func ruleIDsIn(text string) []string {
	text = commentBreak.ReplaceAllString(text, " ")
	var ids []string
	for _, re := range []*regexp.Regexp{afterRule, inParens} {
		for _, m := range re.FindAllStringSubmatch(text, -1) {
			for _, r := range ruleItem.FindAllStringSubmatch(m[1], -1) {
				ids = append(ids, expandRuleRange(r[1], r[2])...)
			}
		}
	}
	return ids
}

// expandRuleRange turns D1-D5 into D1 ... D5. A range that is not one (letters that differ,
// or backwards) gives its two ends, so each still needs its row.
func expandRuleRange(from, to string) []string {
	if to == "" {
		return []string{from}
	}
	a, _ := strconv.Atoi(from[1:])
	b, _ := strconv.Atoi(to[1:])
	if from[0] != to[0] || a > b {
		return []string{from, to}
	}
	var ids []string
	for i := a; i <= b; i++ {
		ids = append(ids, from[:1]+strconv.Itoa(i))
	}
	return ids
}

// ruleIDsOfTestName returns the ids a TestRule_ name carries: every part between
// underscores that is an id (TestRule_P3_H1_H2_H3_..., TestRule_D4_..._D7_...).
func ruleIDsOfTestName(name string) []string {
	rest, ok := strings.CutPrefix(name, "TestRule_")
	if !ok {
		return nil
	}
	var ids []string
	for _, part := range strings.Split(rest, "_") {
		if ruleIDExact.MatchString(part) {
			ids = append(ids, part)
		}
	}
	return ids
}

type ruleUse struct{ id, where string }

type testDecl struct {
	where string
	doc   string // the // lines right above the func, joined
}

// moduleRoot is the folder above docs/ that holds go.mod.
func moduleRoot(t *testing.T) string {
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the docs folder")
		}
		dir = parent
	}
}

// scanModule reads every .go file of the module (not node_modules, .cache, build or a
// hidden folder) for the rule ids it names and the tests it declares.
func scanModule(t *testing.T, root string) (uses []ruleUse, tests map[string][]testDecl) {
	tests = map[string][]testDecl{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "node_modules" || name == ".cache" || name == "build" || strings.HasPrefix(name, ".")) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		lines := strings.Split(string(b), "\n")
		for i, line := range lines {
			where := rel + ":" + strconv.Itoa(i+1)
			// A comment carried over several lines is read as one, from its first line.
			if i > 0 && isComment(lines[i-1]) && isComment(line) {
				continue
			}
			text := line
			for j := i + 1; isComment(line) && j < len(lines) && isComment(lines[j]); j++ {
				text += "\n" + lines[j]
			}
			for _, id := range ruleIDsIn(text) {
				uses = append(uses, ruleUse{id, where})
			}
			m := testFunc.FindStringSubmatch(line)
			if m == nil || !strings.HasSuffix(name, "_test.go") {
				continue
			}
			for _, id := range ruleIDsOfTestName(m[1]) {
				uses = append(uses, ruleUse{id, where})
			}
			var doc []string
			for j := i - 1; j >= 0 && isComment(lines[j]); j-- {
				doc = append([]string{strings.TrimSpace(lines[j])}, doc...)
			}
			tests[m[1]] = append(tests[m[1]], testDecl{where, strings.Join(doc, "\n")})
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return uses, tests
}

func isComment(line string) bool { return strings.HasPrefix(strings.TrimSpace(line), "//") }

type ruleBookRow struct {
	line  int
	tests []string
}

// readRuleBook reads the rows of rules.md: | id | rule | tests |.
func readRuleBook(t *testing.T) map[string]ruleBookRow {
	b, err := os.ReadFile("rules.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]ruleBookRow{}
	for i, line := range strings.Split(string(b), "\n") {
		m := ruleRow.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		id, n := m[1], i+1
		cells := strings.Split(strings.Trim(strings.TrimSpace(line), "|"), "|")
		if len(cells) != 3 {
			t.Errorf("rules.md:%d: row %s has %d cells, want 3 (id | rule | tests); a rule must not contain |", n, id, len(cells))
			continue
		}
		if _, dup := rows[id]; dup {
			t.Errorf("rules.md:%d: a second row for %s", n, id)
		}
		cell := strings.TrimSpace(cells[2])
		var names []string
		for _, m := range testInCell.FindAllStringSubmatch(cell, -1) {
			if slices.Contains(names, m[1]) {
				t.Errorf("rules.md:%d: %s lists %s twice", n, id, m[1])
			}
			names = append(names, m[1])
		}
		if rest := strings.Trim(testInCell.ReplaceAllString(cell, ""), ", "); (len(names) == 0 && cell != "none yet") || (len(names) > 0 && rest != "") {
			t.Errorf("rules.md:%d: the tests of %s are %q; want test names in backticks, comma-separated, or \"none yet\"", n, id, cell)
		}
		rows[id] = ruleBookRow{n, names}
	}
	if len(rows) == 0 {
		t.Fatal("rules.md has no rule rows")
	}
	return rows
}

// The rule book stays true to the code: every rule id the code names has a row; every test a
// row lists exists and names that rule (in its name or its doc comment); every TestRule_ test
// is listed in the row of each id its name carries.
//
// Why the table must list every TestRule_ test, and not only some: it is how a reader finds
// the proof of a rule, and a test added without its row would go unseen. A row of twenty
// names is long, but it is one line of Markdown and the check says exactly which name is
// missing where, so it stays practical. Tests that name a rule only in their doc comment are
// listed too but not required: doc comments also mention rules as cross-references ("like a
// late concern, rule C3"), which do not make the test a proof of that rule.
func TestRuleBook_EveryRuleIDInTheCodeHasARowAndEveryTestNamedExists(t *testing.T) {
	rows := readRuleBook(t)
	uses, tests := scanModule(t, moduleRoot(t))

	missing := map[string][]string{}
	for _, u := range uses {
		if _, ok := rows[u.id]; !ok {
			missing[u.id] = append(missing[u.id], u.where)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(missing)) {
		where := missing[id]
		if len(where) > 5 {
			where = append(where[:5], "...")
		}
		t.Errorf("the code names rule %s, which has no row in rules.md: %s", id, strings.Join(where, ", "))
	}

	for _, id := range slices.Sorted(maps.Keys(rows)) {
		row := rows[id]
		for _, name := range row.tests {
			decls, ok := tests[name]
			if !ok {
				t.Errorf("rules.md:%d: %s lists %s, but no _test.go file declares func %s(", row.line, id, name, name)
				continue
			}
			if !slices.ContainsFunc(decls, func(d testDecl) bool {
				return slices.Contains(ruleIDsOfTestName(name), id) || slices.Contains(ruleIDsIn(d.doc), id)
			}) {
				t.Errorf("rules.md:%d: %s lists %s (%s), whose name and doc comment do not name %s", row.line, id, name, decls[0].where, id)
			}
		}
	}

	for _, name := range slices.Sorted(maps.Keys(tests)) {
		for _, id := range ruleIDsOfTestName(name) {
			if row, ok := rows[id]; ok && !slices.Contains(row.tests, name) {
				t.Errorf("rules.md:%d: the row of %s does not list %s (%s)", row.line, id, name, tests[name][0].where)
			}
		}
	}
}
