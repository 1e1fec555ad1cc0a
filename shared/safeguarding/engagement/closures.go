package engagement

import (
	"context"
	"fmt"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// ClosureStore is the storage port of a school's full closures (rule E0).
type ClosureStore interface {
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// LatestClosure reads the school's latest closure, open or ended (zero when it has had
	// none): one item, read by every count of silent school days.
	LatestClosure(ctx context.Context, school safeguarding.SchoolID) (safeguarding.Closure, error)
	// Closures lists every closure of the school, earliest first.
	Closures(ctx context.Context, school safeguarding.SchoolID) ([]safeguarding.Closure, error)
	// StartClosure saves a new closure with its audit entry, on the condition that no closure
	// of the school is open and the latest ended before its first day (ErrConflict).
	StartClosure(ctx context.Context, c safeguarding.Closure, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error
	// EndClosure saves the closure's end with its audit entry, on the condition that it is
	// still open at the version before (ErrConflict).
	EndClosure(ctx context.Context, c safeguarding.Closure, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
	// LoadClosure reads what a command on closures needs in one read: the viewer (a stranger
	// to the school is ErrForbidden), the latest closure and any earlier request with the key.
	LoadClosure(ctx context.Context, viewer string, school safeguarding.SchoolID, key safeguarding.RequestKey) (ClosureCase, error)
}

// ClosureCase is what a command on closures reads first.
type ClosureCase struct {
	Viewer safeguarding.Principal
	Latest safeguarding.Closure
	Prior  *safeguarding.PriorRequest
}

// Audit actions of closures.
const (
	AuditClosureStarted = "closure.started"
	AuditClosureEnded   = "closure.ended"
)

// Closures holds the use cases of a school's full closures (rule E0), for its Senior DSL.
type Closures struct {
	Store ClosureStore
	NewID func(at time.Time) string
}

// member reads the caller and refuses a stranger to the school.
func (s Closures) member(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (safeguarding.Principal, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return p, err
	}
	p.Email = who.Email
	if !p.IsMember(school) {
		return p, safeguarding.ErrForbidden
	}
	return p, nil
}

// CanManage answers whether the caller may start and end the school's closures (the Senior
// DSL): nil, or ErrForbidden. An API checks it before it looks at a request's body.
func (s Closures) CanManage(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) error {
	p, err := s.member(ctx, who, school)
	if err != nil {
		return err
	}
	if !safeguarding.CanManageClosures(p, school) {
		return safeguarding.ErrForbidden
	}
	return nil
}

// List lists the school's closures for any member of its staff: whether the school is in a
// closure is no secret from those who work there.
func (s Closures) List(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]safeguarding.Closure, error) {
	if _, err := s.member(ctx, who, school); err != nil {
		return nil, err
	}
	return s.Store.Closures(ctx, school)
}

// Latest reads the school's latest closure (zero when none) for any member of its staff.
func (s Closures) Latest(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (safeguarding.Closure, error) {
	if _, err := s.member(ctx, who, school); err != nil {
		return safeguarding.Closure{}, err
	}
	return s.Store.LatestClosure(ctx, school)
}

// Start starts a full closure on the local day of from (rule E0): the Senior DSL only; a
// second open closure is ErrConflict. A request repeated with its Idempotency-Key gets the
// closure it started.
func (s Closures) Start(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, from time.Time, key safeguarding.RequestKey, fp string) (safeguarding.Closure, error) {
	cc, err := s.Store.LoadClosure(ctx, who.Email, school, key)
	if err != nil {
		return safeguarding.Closure{}, err
	}
	p, latest := cc.Viewer, cc.Latest
	if !safeguarding.CanManageClosures(p, school) {
		return safeguarding.Closure{}, safeguarding.ErrForbidden
	}
	if cc.Prior != nil {
		return safeguarding.Replayed(*cc.Prior, fp, s.closureOf(ctx, school))
	}
	c, err := safeguarding.StartClosure(p, school, latest, s.NewID(who.At), from, who.At)
	if err != nil {
		return safeguarding.Closure{}, err
	}
	err = s.Store.StartClosure(ctx, c, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email,
		Action: AuditClosureStarted, Subject: "closure/" + c.ID, At: who.At, Source: who.Source}, request(key, fp, c.ID, who.At))
	return safeguarding.SavedOnce(ctx, s.Store, key, fp, c, err, s.closureOf(ctx, school))
}

func request(key safeguarding.RequestKey, fp, id string, at time.Time) *safeguarding.RequestRecord {
	if key.Key == "" {
		return nil
	}
	return &safeguarding.RequestRecord{Key: key, Fingerprint: fp, Receipt: safeguarding.Receipt{ID: id, RecordedAt: at}}
}

// closureOf answers a repeated request with the closure it named, as it stands.
func (s Closures) closureOf(ctx context.Context, school safeguarding.SchoolID) func(safeguarding.PriorRequest) (safeguarding.Closure, error) {
	return func(prior safeguarding.PriorRequest) (safeguarding.Closure, error) {
		all, err := s.Store.Closures(ctx, school)
		if err != nil {
			return safeguarding.Closure{}, err
		}
		for _, c := range all {
			if c.ID == prior.Receipt.ID {
				return c, nil
			}
		}
		return safeguarding.Closure{}, fmt.Errorf("closure %q: %w", prior.Receipt.ID, safeguarding.ErrNotFound)
	}
}

// End ends the open closure id with its last day, inclusive (rule E0): the Senior DSL only.
// From then on nothing is counted; a family still MISSING stays so until contact is made.
func (s Closures) End(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, lastDay time.Time, key safeguarding.RequestKey, fp string) (safeguarding.Closure, error) {
	cc, err := s.Store.LoadClosure(ctx, who.Email, school, key)
	if err != nil {
		return safeguarding.Closure{}, err
	}
	p, latest := cc.Viewer, cc.Latest
	if !safeguarding.CanManageClosures(p, school) {
		return safeguarding.Closure{}, safeguarding.ErrForbidden
	}
	if cc.Prior != nil {
		return safeguarding.Replayed(*cc.Prior, fp, s.closureOf(ctx, school))
	}
	if latest.ID != id {
		all, err := s.Store.Closures(ctx, school)
		if err != nil {
			return safeguarding.Closure{}, err
		}
		for _, c := range all {
			if c.ID == id {
				return safeguarding.Closure{}, fmt.Errorf("closure %s has ended: %w", id, safeguarding.ErrConflict)
			}
		}
		return safeguarding.Closure{}, fmt.Errorf("closure %q: %w", id, safeguarding.ErrNotFound)
	}
	c, err := latest.End(p, lastDay, who.At)
	if err != nil {
		return safeguarding.Closure{}, err
	}
	err = s.Store.EndClosure(ctx, c, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email,
		Action: AuditClosureEnded, Subject: "closure/" + c.ID, At: who.At, Source: who.Source}, request(key, fp, c.ID, who.At))
	return safeguarding.SavedOnce(ctx, s.Store, key, fp, c, err, s.closureOf(ctx, school))
}
