package seals

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Store is what sealing and verifying need of the table.
type Store interface {
	// Schools lists every school.
	Schools(ctx context.Context) ([]safeguarding.SchoolDue, error)
	// LastSeal reads a school's newest seal (ok false: none yet) and whether it is anchored.
	LastSeal(ctx context.Context, school safeguarding.SchoolID) (s Seal, ok, anchored bool, err error)
	// Entries reads a school's entries of one local day with keys after `after` and up to upTo,
	// in key order, with a consistent read.
	Entries(ctx context.Context, school safeguarding.SchoolID, day, after, upTo string) ([]Entry, error)
	// PutSeal saves a new seal: ErrConflict when its number is taken.
	PutSeal(ctx context.Context, s Seal) error
	// MarkAnchored records that a seal was anchored.
	MarkAnchored(ctx context.Context, s Seal, at time.Time) error
	// Seals reads a school's seals numbered from `from` on, in order, up to the first one whose
	// Day is after lastDay.
	Seals(ctx context.Context, school safeguarding.SchoolID, from int, lastDay string) ([]Seal, error)
	// Principal reads a person's profile (ErrForbidden when none).
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// Audit saves an audit entry, never over another.
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
}

// Anchors keep each day's last seal where it cannot be changed or removed before its
// retention ends.
type Anchors interface {
	// Put anchors a day's last seal; at is the sealing run's time, from which the retention
	// counts. Anchoring the same seal again is harmless.
	Put(ctx context.Context, s Seal, at time.Time) error
	// Get reads the seal anchored for a school's day (ok false: none).
	Get(ctx context.Context, school safeguarding.SchoolID, day string) (s Seal, ok bool, err error)
}

// Sealer seals every school's new audit entries.
type Sealer struct {
	Store   Store
	Anchors Anchors
	// From is the local date (YYYY-MM-DD) every school's chain starts on: no entry is older.
	// A school's first run seals (and anchors) each day from then, one after another.
	From string
}

// Run is what one sealing run did.
type Run struct {
	At      time.Time
	Schools int
	Seals   int
	Entries int
	Anchors int
}

// Run seals each school's entries older than Settle at now that no seal holds yet. A run
// that finds another sealing the same school leaves the school to it; a school that fails is
// retried by the next run, and the others go on.
func (s Sealer) Run(ctx context.Context, now time.Time) (Run, error) {
	run := Run{At: now}
	if _, err := time.Parse(time.DateOnly, s.From); err != nil {
		return run, fmt.Errorf("seals: the chains' first day %q is not a date", s.From)
	}
	schools, err := s.Store.Schools(ctx)
	if err != nil {
		return run, err
	}
	var errs []error
	for _, sc := range schools {
		if err := s.seal(ctx, sc.ID, now, &run); err != nil {
			errs = append(errs, fmt.Errorf("school %s: %w", sc.ID, err))
			continue
		}
		run.Schools++
	}
	return run, errors.Join(errs...)
}

func (s Sealer) seal(ctx context.Context, school safeguarding.SchoolID, now time.Time, run *Run) error {
	last, ok, anchored, err := s.Store.LastSeal(ctx, school)
	if err != nil {
		return err
	}
	if ok && last.Closes && !anchored {
		if err := s.anchor(ctx, last, now, run); err != nil {
			return err
		}
	}
	target := now.Add(-Settle)
	for {
		w, done := Next(last, ok, s.From, target)
		if done {
			return nil
		}
		entries, err := s.Store.Entries(ctx, school, w.Day, w.After, w.UpTo)
		if err != nil {
			return err
		}
		sealed := w.Seal(school, entries, now)
		if len(sealed) == 0 {
			return nil
		}
		for _, sl := range sealed {
			if err := s.Store.PutSeal(ctx, sl); errors.Is(err, safeguarding.ErrConflict) {
				return nil // another run is sealing this school
			} else if err != nil {
				return err
			}
			run.Seals++
		}
		run.Entries += len(entries)
		last, ok = sealed[len(sealed)-1], true
		if !last.Closes {
			return nil
		}
		if err := s.anchor(ctx, last, now, run); err != nil {
			return err
		}
	}
}

func (s Sealer) anchor(ctx context.Context, sl Seal, now time.Time, run *Run) error {
	if err := s.Anchors.Put(ctx, sl, now); err != nil {
		return err
	}
	run.Anchors++
	return s.Store.MarkAnchored(ctx, sl, now)
}

// MaxVerifyDays bounds one verification.
const MaxVerifyDays = 31

// CanVerify: the Senior DSL verifies their school's audit (rule P4).
func CanVerify(p safeguarding.Principal, school safeguarding.SchoolID) bool {
	return p.Has(school, safeguarding.RoleSeniorDSL)
}

// AuditVerified is the audit action of a verification.
const AuditVerified = "audit.verified"

// Verifier checks a school's sealed audit for its Senior DSL.
type Verifier struct {
	Store   Store
	Anchors Anchors
	NewID   func(time.Time) string
}

// Verify re-computes a school's seals over the local days from..to (YYYY-MM-DD, inclusive),
// from the seal anchored for the day before from (or the chain's first seal when there is
// none), and reports the first entry or seal that no longer matches, or an entry that should
// have been sealed by then and is not. Only the school's Senior DSL verifies; each
// verification is itself audited.
func (v Verifier) Verify(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, from, to string) (Report, error) {
	p, err := v.Store.Principal(ctx, who.Email)
	if err != nil {
		return Report{}, err
	}
	if !CanVerify(p, school) {
		return Report{}, safeguarding.ErrForbidden
	}
	if err := checkRange(from, to); err != nil {
		return Report{}, err
	}
	rep, err := verify(ctx, v.Store, v.Anchors, school, from, to, who.At)
	if err != nil {
		return rep, err
	}
	return rep, v.Store.Audit(ctx, safeguarding.AuditEntry{ID: v.NewID(who.At), School: school, Actor: who.Email,
		Action: AuditVerified, Subject: "audit/" + from + "/" + to, At: who.At, Source: who.Source})
}

func verify(ctx context.Context, st Store, anchors Anchors, school safeguarding.SchoolID, from, to string, now time.Time) (Report, error) {
	rep := Report{From: from, To: to}
	before := localDate(dayStart(from).AddDate(0, 0, -1))
	anchored, ok, err := anchors.Get(ctx, school, before)
	if err != nil {
		return rep, err
	}
	var chain Chain
	first := 1
	if ok {
		rep.AnchorDay, first = before, anchored.Seq
	}
	seals, err := st.Seals(ctx, school, first, to)
	if err != nil {
		return rep, err
	}
	if ok {
		if len(seals) == 0 || seals[0].Seq != anchored.Seq {
			rep.Problem = &Problem{Kind: SealMissing, Seq: anchored.Seq, Day: before}
			return rep, nil
		}
		if seals[0].Hash != anchored.Hash || seals[0].Sum() != anchored.Hash {
			rep.Problem = &Problem{Kind: SealChanged, Seq: anchored.Seq, Day: before}
			return rep, nil
		}
		chain, seals = StartAt(seals[0]), seals[1:]
	}
	days := map[string][]Entry{}
	entries := func(day string) ([]Entry, error) {
		if e, ok := days[day]; ok {
			return e, nil
		}
		e, err := st.Entries(ctx, school, day, "", KeyBefore(dayStart(nextDay(day))))
		days[day] = e
		return e, err
	}
	sealedTo := map[string]string{} // the last sealed key of each day in range
	for _, sl := range seals {
		if rep.Problem = chain.Next(sl); rep.Problem != nil {
			return rep, nil
		}
		if sl.Day < from || sl.Day > to {
			continue
		}
		day, err := entries(sl.Day)
		if err != nil {
			return rep, err
		}
		rep.Seals++
		rep.Entries += len(sl.Entries)
		if rep.Problem = Compare(sl, sl.InRange(day)); rep.Problem != nil {
			return rep, nil
		}
		sealedTo[sl.Day] = sl.UpTo
	}
	for d := from; d <= to; d = nextDay(d) {
		day, err := entries(d)
		if err != nil {
			return rep, err
		}
		n, p := Unsealed(day, sealedTo[d], now)
		rep.Unsealed += n
		if p != nil && rep.Problem == nil {
			p.Day = d
			rep.Problem = p
		}
	}
	return rep, nil
}

func checkRange(from, to string) error {
	var ps safeguarding.Problems
	f, errF := time.ParseInLocation(time.DateOnly, from, safeguarding.London)
	t, errT := time.ParseInLocation(time.DateOnly, to, safeguarding.London)
	if errF != nil {
		ps.Add("from", "must be a date (YYYY-MM-DD)")
	}
	if errT != nil {
		ps.Add("to", "must be a date (YYYY-MM-DD)")
	}
	if errF == nil && errT == nil {
		if t.Before(f) {
			ps.Add("to", "must not be before from")
		} else if t.Sub(f) > (MaxVerifyDays-1)*24*time.Hour+time.Hour {
			ps.Add("to", "at most %d days after from", MaxVerifyDays-1)
		}
	}
	return ps.Err()
}
