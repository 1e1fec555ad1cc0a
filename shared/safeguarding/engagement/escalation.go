package engagement

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// EscalationStore is the storage port of the escalation job.
type EscalationStore interface {
	// EscalationSchools lists every school with the last local day the job reached for it.
	EscalationSchools(ctx context.Context) ([]safeguarding.SchoolDue, error)
	// FamiliesToLook lists a school's families whose next look is on a local day from `from`
	// to the day of now, through the sparse look index (never every family).
	FamiliesToLook(ctx context.Context, school safeguarding.SchoolID, from, now time.Time) ([]contact.Family, error)
	School(ctx context.Context, id safeguarding.SchoolID) (safeguarding.School, error)
	// LatestClosure reads the school's latest closure (zero when none, rule E0).
	LatestClosure(ctx context.Context, school safeguarding.SchoolID) (safeguarding.Closure, error)
	// SchoolFamilies lists every family of a school (one Query of its families list).
	SchoolFamilies(ctx context.Context, school safeguarding.SchoolID) ([]contact.Family, error)
	// ClosureSwept records that a run looked at every family of the school in closure c.
	ClosureSwept(ctx context.Context, c safeguarding.Closure) error
	SchoolCalendar(ctx context.Context, id safeguarding.SchoolID) (safeguarding.SchoolCalendar, error)
	// SaveFamily commits a write on the condition that the family's version is PrevVersion
	// (ErrConflict otherwise).
	SaveFamily(ctx context.Context, w contact.FamilyWrite) error
	// EscalationReached records the local day a run reached for a school, and keeps on the
	// registry a copy of each part of the school's run sheet the run had to read (read: the
	// parts read, as they were), unless a copy is there already.
	EscalationReached(ctx context.Context, school safeguarding.SchoolID, now time.Time, read SchoolSheet) error
}

// SchoolSheet is what a school's run needs besides its families: its calendar, its latest
// closure (zero when none) and the school's name and alert roster. The registry keeps a copy
// of each beside the school's entry, written with the item it copies, so the fan-out reads
// every school's in its one Query of the registry and hands each school its own; a part the
// registry has no copy of (written before it kept them) is read as before.
type SchoolSheet struct {
	Calendar *safeguarding.SchoolCalendar
	Closure  *safeguarding.Closure
	// School holds the school's name and the people alerts go to (its DSLs and Senior DSLs).
	School *safeguarding.School
}

// EscalationSchool is a school the run visits, with what the registry holds for its run.
type EscalationSchool struct {
	safeguarding.SchoolDue
	Sheet SchoolSheet
	// Due, when DueRead, is every family of the school due a look on or before the run's day
	// as the fan-out's read of the look index found them (none is an empty list): the run
	// reads no look index of its own. Each write is still conditional on the family's version,
	// so a family changed since the read is skipped, as one changed during a run is.
	Due     []contact.Family
	DueRead bool
}

// DueLooks is the federation's families due a look, as one read of the look index found
// them, by school. A school with more due than the read keeps is in Over (and not in
// Families): its run reads its own.
type DueLooks struct {
	Families map[safeguarding.SchoolID][]contact.Family
	Over     map[safeguarding.SchoolID]bool
}

// For hands a school the families the read found due, when it kept them all.
func (d DueLooks) For(s *EscalationSchool) {
	if d.Families == nil || d.Over[s.ID] {
		return
	}
	s.Due, s.DueRead = d.Families[s.ID], true
	if s.Due == nil {
		s.Due = []contact.Family{}
	}
}

// EscalationRun is what one run (or one school's part of it) did.
type EscalationRun struct {
	At        time.Time `json:"at"`
	Schools   int       `json:"schools"`
	Enqueued  int       `json:"enqueued,omitempty"`
	SchoolDay bool      `json:"schoolDay"`
	Closure   bool      `json:"closure"`
	Swept     bool      `json:"swept,omitempty"`
	Looked    int       `json:"looked"`
	Missing   int       `json:"missing"`
	LARaised  int       `json:"laRaised"`
	Alerts    int       `json:"alerts"`
	Skipped   int       `json:"skipped"`
}

// FamilyEscalation is the daily job of rules E2, E3 and E5.
type FamilyEscalation struct {
	Store        EscalationStore
	BankHolidays safeguarding.Calendar
	NewID        func(at time.Time) string
}

// firstEscalationLook is how far back a school's first run looks.
const firstEscalationLook = 60 * 24 * time.Hour

// RunSchool is one school's run at now: nothing on a day that is not a school day of that
// school; otherwise every family due a look, each in its own conditional write. Counting
// happens only while a closure lasts (rule E0): on the first run on or after the closure's
// day when a family never heard from reaches more than 5 silent school days, the run looks
// at every family of the school once; every other family's look is in the look index.
func (e FamilyEscalation) RunSchool(ctx context.Context, s safeguarding.SchoolDue, now time.Time) (EscalationRun, error) {
	return e.RunSchoolWith(ctx, EscalationSchool{SchoolDue: s}, now)
}

// RunSchoolWith is RunSchool with what the registry holds for the school's run: the parts of
// its sheet given are not read again.
func (e FamilyEscalation) RunSchoolWith(ctx context.Context, s EscalationSchool, now time.Time) (EscalationRun, error) {
	run := EscalationRun{At: now.UTC(), Schools: 1}
	var cal safeguarding.SchoolCalendar
	var read SchoolSheet // the parts of the sheet the run had to read itself
	var err error
	if s.Sheet.Calendar != nil {
		cal = *s.Sheet.Calendar
	} else {
		if cal, err = e.Store.SchoolCalendar(ctx, s.ID); err != nil {
			return run, err
		}
		stored := cal
		read.Calendar = &stored
	}
	cal.BankHolidays = e.BankHolidays
	if !cal.IsSchoolDay(now) {
		return run, nil
	}
	run.SchoolDay = true
	var closure safeguarding.Closure
	if s.Sheet.Closure != nil {
		closure = *s.Sheet.Closure
	} else {
		if closure, err = e.Store.LatestClosure(ctx, s.ID); err != nil {
			return run, err
		}
		stored := closure
		read.Closure = &stored
	}
	run.Closure = closure.Covers(now)
	from := s.From
	if from.IsZero() {
		from = now.Add(-firstEscalationLook)
	}
	var families []contact.Family
	sweep := run.Closure && !closure.Swept && !safeguarding.LocalDay(now).Before(closure.ClosureSchoolDay(cal, contact.SilentDaysMissing+1))
	if sweep {
		families, err = e.Store.SchoolFamilies(ctx, s.ID)
	} else if s.DueRead {
		for _, f := range s.Due {
			if f.School() == s.ID {
				families = append(families, f)
			}
		}
	} else {
		families, err = e.Store.FamiliesToLook(ctx, s.ID, from, now)
	}
	if err != nil {
		return run, err
	}
	run.Looked = len(families)
	var school safeguarding.School
	if s.Sheet.School != nil {
		school = *s.Sheet.School
	} else if len(families) > 0 {
		if school, err = e.Store.School(ctx, s.ID); err != nil {
			return run, err
		}
		stored := school
		read.School = &stored
	}
	for _, f := range families {
		w, ok := f.Check(cal, e.BankHolidays, closure, school, e.NewID(now), now)
		if !ok {
			continue
		}
		err := e.Store.SaveFamily(ctx, w)
		switch {
		case errors.Is(err, safeguarding.ErrConflict):
			run.Skipped++ // a contact or another run changed the family first
			continue
		case err != nil:
			return run, fmt.Errorf("family %s: %w", f.ID(), err)
		}
		if w.Family.Status() == contact.FamilyMissing && f.Status() != contact.FamilyMissing {
			run.Missing++
		}
		if !w.Family.LARaisedAt().IsZero() && f.LARaisedAt().IsZero() {
			run.LARaised++
		}
		run.Alerts += len(w.Alerts)
	}
	if sweep {
		// Only once every family was looked at: a run cut short sweeps again.
		if err := e.Store.ClosureSwept(ctx, closure); err != nil {
			return run, err
		}
		run.Swept = true
	}
	if run.Swept {
		read.Closure = nil // the sweep wrote the closure's copy
	}
	return run, e.Store.EscalationReached(ctx, s.ID, now, read)
}
