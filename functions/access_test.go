package functions

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// roleCheck is a decision about who may do what taken from a person's roles: the domain's to
// take (safeguarding.AccessFor and the entities' Can... methods), never a handler's or a page's.
var roleCheck = regexp.MustCompile(`\.(IsDSL|IsMember|IsClosureContact)\(\w|safeguarding\.Role(Staff|Teacher|Admin|DSL|SeniorDSL|Governor)\b|\bhasRole\b|safeguarding\.Can[A-Z]\w*\(`)

func TestNoHandlerOrPageDecidesAccessFromRoles(t *testing.T) {
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if !strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, ".html") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if roleCheck.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
				t.Errorf("%s:%d decides access from roles: %s", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
