package printout

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/pdftext"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
)

// A chronology long enough for several pages: every entry in order, "Confidential" and the
// page's number on every page, the producer and the date (rule D10).
func TestRule_D10_ThePDFHasEveryEntryInOrderAndConfidentialOnEveryPage(t *testing.T) {
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	var entries []safeguarding.ChronologyEntry
	for i := range 60 {
		entries = append(entries, safeguarding.ChronologyEntry{Type: safeguarding.EntryContact, At: start.Add(time.Duration(59-i) * time.Hour),
			Visibility: safeguarding.Visibility{School: "s"}, AuthorName: "Dina Okafor", Summary: "Entry number " + string(rune('A'+i%26)) + strings.Repeat("x", i%5) + " (" + itoa(59-i) + ")"})
	}
	r := exports.Build(exports.Held{
		Viewer:  safeguarding.Principal{Email: "d@x", Name: "Dina Okafor", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{"s": {safeguarding.RoleDSL}}},
		School:  safeguarding.School{ID: "s", Name: "Brook Lane Primary"},
		Pupil:   safeguarding.Pupil{ID: "p1", School: "s", Name: "Ava Brown", YearGroup: "Year 4"},
		Entries: entries,
	}, exports.Options{}, time.Date(2026, 12, 1, 10, 30, 0, 0, time.UTC))
	pdf, err := Chronology(r, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pages, err := pdftext.Pages(pdf)
	if err != nil {
		t.Fatal(err)
	}
	if len(pages) < 3 {
		t.Fatalf("%d pages, want several", len(pages))
	}
	for i, p := range pages {
		if !strings.Contains(p, "CONFIDENTIAL") || !strings.Contains(p, "Confidential.") {
			t.Errorf("page %d is not marked confidential:\n%s", i+1, p)
		}
		if want := "Page " + itoa(i+1) + " of " + itoa(len(pages)); !strings.Contains(p, want) {
			t.Errorf("page %d lacks %q", i+1, want)
		}
		if !strings.Contains(p, "Brook Lane Primary - Ava Brown") {
			t.Errorf("page %d lacks the school and the pupil", i+1)
		}
	}
	all := strings.Join(pages, "\n")
	if !strings.Contains(all, "Produced by Dina Okafor on Tue 1 Dec 2026, 10:30") {
		t.Errorf("no producer and date:\n%s", pages[0])
	}
	last := -1
	for i := range 60 {
		at := strings.Index(all, "("+itoa(i)+")")
		if at < 0 || at < last {
			t.Fatalf("entry %d missing or out of order", i)
		}
		last = at
	}
}

var itoa = strconv.Itoa
