package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/printout"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
)

// pdfRuns is how many times the chronology's PDF is drawn for the median.
const pdfRuns = 21

// pdfResult is the PDF of a long chronology: how long it takes to draw and how large it is.
type pdfResult struct {
	Entries, Concerns, Pages int
	Median                   time.Duration
	Bytes                    int
}

// longChronology is a pupil's record of n entries, as a DSL of the school sees it: a concern
// for every other entry, each corrected once (its two versions), and between them corrections,
// actions and calls to the family, one every few hours.
func longChronology(n int) (exports.Record, error) {
	const school = safeguarding.SchoolID("bench-school")
	staff := []safeguarding.StaffMember{{Email: "dsl@bench.example", Roles: []safeguarding.Role{safeguarding.RoleDSL}}}
	sc := safeguarding.School{ID: school, Name: "Bench Primary School", Roster: staff}
	pupil := safeguarding.Pupil{ID: "p1", School: school, Name: "Sam Taylor", YearGroup: "Year 5", ClassName: "5B"}
	dsl := safeguarding.Principal{Email: "dsl@bench.example", Name: "Dana Lee", Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: {safeguarding.RoleDSL}}}
	h := exports.Held{Viewer: dsl, School: sc, Pupil: pupil}
	start := time.Date(2025, 9, 1, 8, 30, 0, 0, time.UTC)
	details := "Sam arrived late and upset, saying there had been shouting at home last night; he was given breakfast and spoke to his teacher. " +
		"He said he did not want to go home at the end of the day. Seen by the class teacher and the teaching assistant."
	for i := range n {
		at := start.Add(time.Duration(i) * 7 * time.Hour)
		switch {
		case i%2 == 0:
			c, err := concerns.RecordConcern(safeguarding.ConcernID(fmt.Sprintf("C%05d", i)), concerns.NewConcern{
				PupilIDs: []safeguarding.PupilID{pupil.ID}, Category: "safeguarding", ObservedAt: at.Add(-time.Hour), Details: details,
				PupilWords: "I don't want to go home.", PeopleInvolved: []string{"His mother", "His stepfather"}},
				dsl, sc, map[safeguarding.PupilID]safeguarding.Pupil{pupil.ID: pupil}, concerns.PolicyCatalogue(), safeguarding.Weekdays{}, at)
			if err != nil {
				return exports.Record{}, err
			}
			v2 := c.Revision()
			v2.Number, v2.At, v2.Reason, v2.Details = 2, at.Add(time.Hour), "Added who saw him", details+" The office saw him too."
			h.Concerns = append(h.Concerns, exports.ConcernFile{Concern: c, Revisions: []concerns.Revision{c.Revision(), v2}})
			h.Entries = append(h.Entries, concerns.ConcernEntries(c)...)
		default:
			typ := []safeguarding.EntryType{safeguarding.EntryAmendment, safeguarding.EntryAction, safeguarding.EntryContact}[i%3]
			h.Entries = append(h.Entries, safeguarding.ChronologyEntry{ID: fmt.Sprintf("E%05d", i), Pupil: pupil.ID, Type: typ, At: at,
				AuthorName: "Dana Lee", Summary: "Phoned Sam's mother, who said he was fine at home; a check-in is booked for Friday.",
				Visibility: safeguarding.Visibility{School: school}})
		}
	}
	return exports.Build(h, exports.Options{}, start.Add(time.Duration(n)*7*time.Hour)), nil
}

// pdfAtScale draws the PDF of a chronology of n entries pdfRuns times.
func pdfAtScale(n int) (pdfResult, error) {
	rec, err := longChronology(n)
	if err != nil {
		return pdfResult{}, err
	}
	r := pdfResult{Entries: len(rec.Entries), Concerns: len(rec.Concerns)}
	var times []time.Duration
	for range pdfRuns {
		began := time.Now()
		b, err := printout.Chronology(rec, printout.Options{})
		if err != nil {
			return r, err
		}
		times = append(times, time.Since(began))
		r.Bytes = len(b)
		r.Pages = strings.Count(string(b), "/Type /Page\n")
	}
	slices.Sort(times)
	r.Median = times[len(times)/2]
	return r, nil
}

func (r pdfResult) markdown(md *strings.Builder) {
	fmt.Fprintf(md, "\n## The chronology as a PDF\n\nA pupil's chronology of %d entries (%d concerns, each with two versions) drawn as the PDF a DSL downloads, "+
		"median of %d runs; the store's reads are not in it. A response carries at most %.1f MiB of PDF (6 MB base64).\n\n"+
		"| entries | pages | size | time |\n|---|---|---|---|\n| %d | %d | %.0f KiB | %s |\n",
		r.Entries, r.Concerns, pdfRuns, float64(printout.MaxBytes)/(1<<20), r.Entries, r.Pages, float64(r.Bytes)/1024, r.Median.Round(100*time.Microsecond))
}
