package tableflag

import (
	"flag"
	"io"
	"strings"
	"testing"
)

func parse(t *testing.T, args ...string) *Table {
	t.Helper()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	table := Define(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return table
}

// Without a table or -local, the command says what to give, and opens nothing.
func TestATableMustBeNamed(t *testing.T) {
	t.Setenv("TABLE_NAME", "")
	if _, _, err := parse(t).Open(); err == nil || !strings.Contains(err.Error(), "-table") {
		t.Errorf("no table: %v", err)
	}
}

// -table, or TABLE_NAME, names the table in AWS.
func TestTheTableIsNamedByTheFlagOrTheEnvironment(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-2")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("TABLE_NAME", "keepsafe-env")
	for args, want := range map[string]string{"": "keepsafe-env", "-table=keepsafe-prod": "keepsafe-prod"} {
		var list []string
		if args != "" {
			list = []string{args}
		}
		db, name, err := parse(t, list...).Open()
		if err != nil || db == nil || name != want {
			t.Errorf("%q: %v %q, want %q", args, err, name, want)
		}
	}
}

// -local reads where `make run` keeps its endpoints; with no stack running there, it says so.
func TestLocalNeedsARunningStack(t *testing.T) {
	if _, _, err := parse(t, "-local", "-local-data", t.TempDir()).Open(); err == nil {
		t.Error("-local opened a stack that is not running")
	}
}
