package seed

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Rule S7 in the demo: every pupil has a date of birth in their year group's school year, and
// each school has former pupils, long left, whose records are kept until their 25th birthday.
// Some reach it in the winter of 2026-27, one has passed it and one is years away, so the
// Senior DSL's "Records to review" has something to show.

// birthDate is a date of birth in the school year of yearGroup in 2026-27 (Reception: born
// September 2021 to August 2022), spread over the year by n.
func birthDate(yearGroup string, n int) time.Time {
	offset := 0 // Reception
	if g, ok := strings.CutPrefix(yearGroup, "Year "); ok {
		offset, _ = strconv.Atoi(g)
	}
	start := time.Date(2021-offset, time.September, 1, 0, 0, 0, 0, safeguarding.London)
	return start.AddDate(0, 0, (n*37)%365)
}

// FormerPupil is a pupil who left long ago, with the records kept about them.
type FormerPupil struct {
	Pupil   safeguarding.Pupil
	Records []safeguarding.ChronologyEntry
}

// formerPupils are each school's former pupils with records: by first and last name, date of
// birth and the summaries of their records (each a closed concern from their time there).
func formerPupils(senior map[safeguarding.SchoolID]string) []FormerPupil {
	day := func(s string) time.Time {
		t, err := time.ParseInLocation(time.DateOnly, s, safeguarding.London)
		if err != nil {
			panic(err)
		}
		return t
	}
	var out []FormerPupil
	for i, f := range []struct {
		school   safeguarding.SchoolID
		name     string
		born     string
		summary  []string
		recorded []string
	}{
		{BrookLane, "Jordan Hale", "2002-01-20", []string{"Came to school hungry several days running", "Disclosed arguments at home"}, []string{"2009-03-02 10:15", "2009-06-11 14:40"}},
		{BrookLane, "Casey Marsh", "2002-02-14", []string{"Bruise on arm, explanation did not fit"}, []string{"2010-01-18 09:05"}},
		{BrookLane, "Riley Stone", "2001-11-03", []string{"Left alone at home overnight", "Referred to children's social care", "Case closed after support"}, []string{"2008-10-06 08:50", "2008-10-07 11:00", "2009-02-02 15:30"}},
		{BrookLane, "Morgan Reed", "2004-05-30", []string{"Worried about a new adult at home"}, []string{"2011-09-19 13:20"}},
		{Hillcrest, "Taylor Quinn", "2002-03-08", []string{"Missing from school for a week"}, []string{"2012-05-14 09:30"}},
	} {
		p := safeguarding.Pupil{ID: safeguarding.PupilID(fmt.Sprintf("%s-former-%02d", f.school, i+1)), School: f.school, Name: f.name,
			DateOfBirth: day(f.born), Left: true}
		fp := FormerPupil{Pupil: p}
		for n, s := range f.summary {
			at, err := time.ParseInLocation("2006-01-02 15:04", f.recorded[n], safeguarding.London)
			if err != nil {
				panic(err)
			}
			fp.Records = append(fp.Records, safeguarding.ChronologyEntry{ID: fmt.Sprintf("%s-r%d", p.ID, n+1), Pupil: p.ID,
				Type: safeguarding.EntryConcern, At: at.UTC(), Reference: fmt.Sprintf("%d-%03d", at.Year(), 10+n), Category: "safeguarding",
				AuthorName: "A former DSL", Summary: s, Visibility: safeguarding.Visibility{School: f.school, Author: senior[f.school]}})
		}
		out = append(out, fp)
	}
	return out
}

// RecordWriter is what seeding the former pupils needs of the store (shared/store.Store).
type RecordWriter interface {
	PutPupil(context.Context, safeguarding.Pupil) error
	// PutRecord writes a chronology entry as it stands, with its pupil's mark for the
	// retention list (rule S7); writing it again changes nothing.
	PutRecord(context.Context, safeguarding.ChronologyEntry) error
}

// ApplyFormerPupils writes the demo's former pupils and their records through w.
func ApplyFormerPupils(ctx context.Context, w RecordWriter, d Data) error {
	for _, f := range d.FormerPupils {
		if err := w.PutPupil(ctx, f.Pupil); err != nil {
			return fmt.Errorf("seed: former pupil %s: %w", f.Pupil.ID, err)
		}
		for _, e := range f.Records {
			if err := w.PutRecord(ctx, e); err != nil {
				return fmt.Errorf("seed: record %s: %w", e.ID, err)
			}
		}
	}
	return nil
}
