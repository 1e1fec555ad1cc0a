package retention

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Audit actions of rule S7 (P4).
const (
	AuditRead   = "retention.read"
	AuditPlaced = "legal-hold.placed"
	AuditLifted = "legal-hold.lifted"
)

// Age is rule S7's: records are kept until the child's 25th birthday.
const Age = 25

// DefaultMonths is how far ahead the list looks when the reader chooses no date.
const DefaultMonths = 3

// MaxReason bounds a hold's reason (characters).
const MaxReason = 2000

// ReachesAge is the day a child born on dob turns 25, as a local date. A child born on
// 29 February reaches it on 1 March in a year without one, as English law counts it.
func ReachesAge(dob time.Time) time.Time {
	return time.Date(dob.Year()+Age, dob.Month(), dob.Day(), 0, 0, 0, 0, safeguarding.London)
}

// Hold is a legal hold in place on a pupil's records.
type Hold struct {
	ID       string
	Reason   string
	ReviewOn time.Time // zero: no review date
	PlacedBy string
	PlacedAt time.Time
}

// State is a pupil's hold as the store keeps it: the version of the pupil's holds (0 when no
// hold was ever placed) and the hold in place, if any.
type State struct {
	Version int
	Hold    *Hold
}

// Version is one change of a pupil's holds, kept beside every earlier one (never overwritten).
type Version struct {
	N        int
	Kind     string // "placed" or "lifted"
	HoldID   string
	Reason   string
	ReviewOn time.Time
	By       string
	At       time.Time
}

// Due is one pupil of the index: records made, and a date of birth known.
type Due struct {
	Pupil      safeguarding.PupilID
	ReachesAge time.Time
	State      State
}

// Row is one pupil on the list.
type Row struct {
	Pupil      safeguarding.Pupil
	ReachesAge time.Time
	Records    int
	State      State
}

// List is the list as the Senior DSL reads it.
type List struct {
	Before time.Time
	Rows   []Row
}

// Store is what the use cases need of the table.
type Store interface {
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// DueBy reads the school's pupils with records whose 25th birthday is on or before
	// before, soonest first, with their holds.
	DueBy(ctx context.Context, school safeguarding.SchoolID, before time.Time) ([]Due, error)
	// ListedPupils reads the named pupils, however many; one not found is left out.
	ListedPupils(ctx context.Context, school safeguarding.SchoolID, ids []safeguarding.PupilID) (map[safeguarding.PupilID]safeguarding.Pupil, error)
	// Records counts each named pupil's chronology entries.
	Records(ctx context.Context, school safeguarding.SchoolID, ids []safeguarding.PupilID) (map[safeguarding.PupilID]int, error)
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
	// LoadHold reads the person, the pupil, their hold and an earlier request with key.
	LoadHold(ctx context.Context, viewer string, school safeguarding.SchoolID, pupil safeguarding.PupilID, key safeguarding.RequestKey) (Load, error)
	// SaveHold writes the pupil's next hold state and its version, on the condition that the
	// state is still at prev (ErrConflict), with the audit entry and the request record.
	SaveHold(ctx context.Context, w Write) error
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
}

// Load is what a hold's change reads first.
type Load struct {
	Viewer safeguarding.Principal
	Pupil  *safeguarding.Pupil
	State  State
	Prior  *safeguarding.PriorRequest
}

// Write is a hold's change.
type Write struct {
	School  safeguarding.SchoolID
	Pupil   safeguarding.PupilID
	Prev    int
	Next    State
	Version Version
	Audit   safeguarding.AuditEntry
	Request *safeguarding.RequestRecord
}

// Service holds rule S7's use cases.
type Service struct {
	Store Store
	NewID func(time.Time) string
}

// CanManage is who reads the list and places and lifts holds: the Senior DSL (S7).
func CanManage(p safeguarding.Principal, school safeguarding.SchoolID) bool {
	return safeguarding.AccessFor(p, school).Retention
}

// DefaultBefore is the list's date when the reader chooses none: today plus three months.
func DefaultBefore(now time.Time) time.Time {
	t := now.In(safeguarding.London)
	return time.Date(t.Year(), t.Month()+DefaultMonths, t.Day(), 0, 0, 0, 0, safeguarding.London)
}

// Due lists the school's pupils with records whose 25th birthday is on or before before
// (zero: DefaultBefore), soonest first; a held pupil only when withHeld. The reading is
// audited with every pupil it lists (P4).
func (s Service) Due(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, before time.Time, withHeld bool) (List, error) {
	if before.IsZero() {
		before = DefaultBefore(who.At)
	}
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return List{}, err
	}
	p.Email = who.Email
	if !CanManage(p, school) {
		return List{}, safeguarding.ErrForbidden
	}
	due, err := s.Store.DueBy(ctx, school, before)
	if err != nil {
		return List{}, err
	}
	var ids []safeguarding.PupilID
	for _, d := range due {
		if d.State.Hold == nil || withHeld {
			ids = append(ids, d.Pupil)
		}
	}
	out := List{Before: before, Rows: []Row{}}
	if len(ids) > 0 {
		pupils, err := s.Store.ListedPupils(ctx, school, ids)
		if err != nil {
			return List{}, err
		}
		counts, err := s.Store.Records(ctx, school, ids)
		if err != nil {
			return List{}, err
		}
		out.Rows = Rows(due, pupils, counts, withHeld)
	}
	audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditRead,
		Subject: "retention?before=" + before.Format(time.DateOnly), At: who.At, Source: who.Source}
	for _, r := range out.Rows {
		audit.Pupils = append(audit.Pupils, r.Pupil.ID)
	}
	if err := s.Store.Audit(ctx, audit); err != nil {
		return List{}, err
	}
	return out, nil
}

// Rows puts the list together: soonest 25th birthday first (then by name), only pupils found
// with at least one record, held ones only when withHeld.
func Rows(due []Due, pupils map[safeguarding.PupilID]safeguarding.Pupil, counts map[safeguarding.PupilID]int, withHeld bool) []Row {
	rows := []Row{}
	for _, d := range due {
		pu, ok := pupils[d.Pupil]
		if !ok || counts[d.Pupil] == 0 || (d.State.Hold != nil && !withHeld) {
			continue
		}
		rows = append(rows, Row{Pupil: pu, ReachesAge: d.ReachesAge, Records: counts[d.Pupil], State: d.State})
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(a.ReachesAge.Compare(b.ReachesAge), cmp.Compare(a.Pupil.Name, b.Pupil.Name), cmp.Compare(a.Pupil.ID, b.Pupil.ID))
	})
	return rows
}

// Placing is a hold asked for: its reason and maybe a review date; Version is the version of
// the pupil's holds the asker read (-1: whatever it is now).
type Placing struct {
	Reason   string
	ReviewOn time.Time
	Version  int
}

// Place puts a legal hold on a pupil's records (S7). A pupil already held is a conflict.
func (s Service) Place(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, in Placing,
	key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error) {
	reason := strings.TrimSpace(in.Reason)
	var ps safeguarding.Problems
	checkReason(&ps, reason)
	if !in.ReviewOn.IsZero() && !in.ReviewOn.After(who.At) {
		ps.Add("reviewOn", "a date after today")
	}
	if err := ps.Err(); err != nil {
		return safeguarding.Receipt{}, err
	}
	l, err := s.load(ctx, who, school, pupil, key)
	if err != nil || l.Prior != nil {
		return s.replay(l, fingerprint, err)
	}
	if in.Version >= 0 && in.Version != l.State.Version {
		return safeguarding.Receipt{}, fmt.Errorf("holds version %d, now %d: %w", in.Version, l.State.Version, safeguarding.ErrConflict)
	}
	if l.State.Hold != nil {
		return safeguarding.Receipt{}, fmt.Errorf("a hold is already in place: %w", safeguarding.ErrConflict)
	}
	h := &Hold{ID: s.NewID(who.At), Reason: reason, ReviewOn: in.ReviewOn, PlacedBy: who.Email, PlacedAt: who.At}
	n := l.State.Version + 1
	v := Version{N: n, Kind: "placed", HoldID: h.ID, Reason: reason, ReviewOn: in.ReviewOn, By: who.Email, At: who.At}
	return s.save(ctx, who, school, pupil, l.State.Version, State{Version: n, Hold: h}, v, AuditPlaced, key, fingerprint)
}

// Lift ends the hold id on a pupil's records with a reason (S7); version is the version of
// the pupil's holds the asker read (-1: whatever it is now). A hold not in place is a conflict.
func (s Service) Lift(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, id, reason string, version int,
	key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error) {
	reason = strings.TrimSpace(reason)
	var ps safeguarding.Problems
	checkReason(&ps, reason)
	if err := ps.Err(); err != nil {
		return safeguarding.Receipt{}, err
	}
	l, err := s.load(ctx, who, school, pupil, key)
	if err != nil || l.Prior != nil {
		return s.replay(l, fingerprint, err)
	}
	if version >= 0 && version != l.State.Version {
		return safeguarding.Receipt{}, fmt.Errorf("holds version %d, now %d: %w", version, l.State.Version, safeguarding.ErrConflict)
	}
	if l.State.Hold == nil || l.State.Hold.ID != id {
		return safeguarding.Receipt{}, fmt.Errorf("hold %q is not in place: %w", id, safeguarding.ErrConflict)
	}
	n := l.State.Version + 1
	v := Version{N: n, Kind: "lifted", HoldID: id, Reason: reason, By: who.Email, At: who.At}
	return s.save(ctx, who, school, pupil, l.State.Version, State{Version: n}, v, AuditLifted, key, fingerprint)
}

func checkReason(ps *safeguarding.Problems, reason string) {
	switch {
	case reason == "":
		ps.Add("reason", "say why")
	case !utf8.ValidString(reason) || utf8.RuneCountInString(reason) > MaxReason:
		ps.Add("reason", "at most %d characters of text", MaxReason)
	}
}

func (s Service) load(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, key safeguarding.RequestKey) (Load, error) {
	l, err := s.Store.LoadHold(ctx, who.Email, school, pupil, key)
	if err != nil {
		return l, err
	}
	l.Viewer.Email = who.Email
	if !CanManage(l.Viewer, school) {
		return l, safeguarding.ErrForbidden
	}
	if l.Pupil == nil {
		return l, fmt.Errorf("pupil %q: %w", pupil, safeguarding.ErrNotFound)
	}
	return l, nil
}

func (s Service) replay(l Load, fingerprint string, err error) (safeguarding.Receipt, error) {
	if err != nil {
		return safeguarding.Receipt{}, err
	}
	return safeguarding.Replayed(*l.Prior, fingerprint, safeguarding.ReceiptOf)
}

func (s Service) save(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, prev int, next State, v Version,
	action string, key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error) {
	receipt := safeguarding.Receipt{ID: v.HoldID, RecordedAt: who.At, Version: next.Version}
	var req *safeguarding.RequestRecord
	if key.Key != "" {
		req = &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: receipt}
	}
	err := s.Store.SaveHold(ctx, Write{School: school, Pupil: pupil, Prev: prev, Next: next, Version: v, Request: req,
		Audit: safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: action,
			Subject: "pupil/" + string(pupil), Pupils: []safeguarding.PupilID{pupil}, At: who.At, Source: who.Source}})
	return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, receipt, err, safeguarding.ReceiptOf)
}
