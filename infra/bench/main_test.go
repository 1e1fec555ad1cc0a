package main

import (
	"os"
	"path/filepath"
	"testing"
)

// make bench rewrites BENCHMARKS.md but keeps the sections it does not measure.
func TestKeptSectionsAreTheHandWrittenOnes(t *testing.T) {
	file := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if got := keptSections(file); got != "" {
		t.Errorf("no file: kept %q", got)
	}
	src := "# Benchmarks\n\nWritten by `make bench`.\n\n## Bootstraps\n\n| a | b |\n\n" +
		"## The test suite\n\nBy hand.\n\n| before | after |\n\n## Later\n\nmeasured\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	want := "\n## The test suite\n\nBy hand.\n\n| before | after |\n"
	if got := keptSections(file); got != want {
		t.Errorf("kept %q, want %q", got, want)
	}
}
