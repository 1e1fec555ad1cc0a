package main

import (
	"io/fs"
	"path"
	"regexp"
	"strings"
	"testing"
)

// Rules P3, P4: every form that takes anything about a pupil, a family or a member of staff
// says autocomplete="off", so the browser keeps no copy of what is typed in it and refills
// none of its fields when Back loads the page again (the browser tests in browser_back_test.go
// press Back after sending). Only the forms about the school itself (its calendar and its
// categories) and the sign-out button are left as they are: they hold nothing about a person.
func TestRule_P4_EveryFormAboutAPersonHasAutocompleteOff(t *testing.T) {
	exempt := map[string]bool{"layout.html": true, "calendar.html": true, "categories.html": true}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil || len(names) == 0 {
		t.Fatalf("no templates: %v", err)
	}
	formTag := regexp.MustCompile(`<form\b[^>]*>`)
	var forms int
	for _, n := range names {
		b, err := templateFiles.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		for _, tag := range formTag.FindAllString(string(b), -1) {
			forms++
			if !exempt[path.Base(n)] && !strings.Contains(tag, ` autocomplete="off"`) {
				t.Errorf("%s: %s has no autocomplete=\"off\"", path.Base(n), tag)
			}
		}
	}
	if forms < 20 {
		t.Errorf("found %d forms in the templates: is the pattern still right?", forms)
	}
}
