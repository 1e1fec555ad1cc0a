package deadlines

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// DeadlineStore is the storage port of the deadline engine.
type DeadlineStore interface {
	// Schools lists every school with the day its last run reached.
	Schools(ctx context.Context) ([]safeguarding.SchoolDue, error)
	// DueItems lists a school's active items whose next look is at or before now, from the
	// local day from, through the due index (never a Scan).
	DueItems(ctx context.Context, school safeguarding.SchoolID, from, now time.Time) ([]safeguarding.DueItem, error)
	School(ctx context.Context, id safeguarding.SchoolID) (safeguarding.School, error)
	// Escalate moves one item from its state to next and writes the alerts and the step's
	// audit entry, in one transaction conditioned on the item still being in the state read:
	// ErrConflict when another run (or its completion) moved it first.
	Escalate(ctx context.Context, item safeguarding.DueItem, next safeguarding.DueState, alerts []safeguarding.Alert, audit safeguarding.AuditEntry) error
	// Reached records that a run reached now for the school.
	Reached(ctx context.Context, school safeguarding.SchoolID, now time.Time) error
}

// DeadlineRun is what one run of the engine did.
type DeadlineRun struct {
	At        time.Time `json:"at"`
	Schools   int       `json:"schools"`
	Due       int       `json:"due"`
	Escalated int       `json:"escalated"`
	Alerts    int       `json:"alerts"`
	Skipped   int       `json:"skipped"`
}

// Deadlines is the deadline engine (rule D8).
type Deadlines struct {
	Store DeadlineStore
	// Parallel bounds how many schools one run works on at once.
	Parallel int
}

// Run walks every due item of every school one step up its ladder at now (the schedule's
// event time). Each step is one conditional transaction, so overlapping or repeated runs never
// send a step twice; an item done a moment before the run is not escalated.
func (d Deadlines) Run(ctx context.Context, now time.Time) (DeadlineRun, error) {
	schools, err := d.Store.Schools(ctx)
	if err != nil {
		return DeadlineRun{}, err
	}
	run := DeadlineRun{At: now.UTC(), Schools: len(schools)}
	var mu sync.Mutex
	var errs []error
	sem := make(chan struct{}, max(1, d.Parallel))
	var wg sync.WaitGroup
	for _, s := range schools {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			r, err := d.RunSchool(ctx, s, now)
			mu.Lock()
			defer mu.Unlock()
			run.Due += r.Due
			run.Escalated += r.Escalated
			run.Alerts += r.Alerts
			run.Skipped += r.Skipped
			if err != nil {
				errs = append(errs, fmt.Errorf("school %s: %w", s.ID, err))
			}
		}()
	}
	wg.Wait()
	return run, errors.Join(errs...)
}

// RunSchool walks one school's due items; a fan-out worker calls it for one school.
func (d Deadlines) RunSchool(ctx context.Context, s safeguarding.SchoolDue, now time.Time) (DeadlineRun, error) {
	run := DeadlineRun{At: now.UTC(), Schools: 1}
	items, err := d.Store.DueItems(ctx, s.ID, s.From, now)
	if err != nil {
		return run, err
	}
	run.Due = len(items)
	var school safeguarding.School
	if len(items) > 0 {
		if school, err = d.Store.School(ctx, s.ID); err != nil {
			return run, err
		}
	}
	for _, item := range items {
		next, step, ok := item.Advance(now)
		if !ok {
			run.Skipped++
			continue
		}
		alerts := safeguarding.EscalationAlerts(item, step, school, now)
		err := d.Store.Escalate(ctx, item, next, alerts, StepAudit(item, next, now))
		switch {
		case errors.Is(err, safeguarding.ErrConflict):
			run.Skipped++ // another run took this step, or the item was done meanwhile
		case err != nil:
			return run, err
		default:
			run.Escalated++
			run.Alerts += len(alerts)
		}
	}
	return run, d.Store.Reached(ctx, s.ID, now)
}

// Actor is who the audit trail names for the deadline engine's steps (rule P4), and
// AuditDueEscalated what it did.
const (
	Actor             = "system:deadlines"
	AuditDueEscalated = "due.escalated"
)

// StepAudit is the audit entry of one step up an item's ladder (rule P4): the engine changes
// the record the item belongs to (an action, a call agreed with a family, a visit), as its
// actor. Its id names the item and the step, so the entry of a step is one whatever the run.
func StepAudit(item safeguarding.DueItem, next safeguarding.DueState, now time.Time) safeguarding.AuditEntry {
	return safeguarding.AuditEntry{ID: fmt.Sprintf("due-%s-step-%d", item.StepKey(), next.Step), School: item.School, Actor: Actor,
		Action: AuditDueEscalated, Subject: stepSubject(item), At: now.UTC()}
}

// stepSubject names the record a step changed as the audit trail names it elsewhere, so that
// the reader shows it, and hides it from whoever may not see it (an action on a concern about
// them, rule C5), as it does the other entries about that record.
func stepSubject(item safeguarding.DueItem) string {
	switch {
	case item.Kind == "action":
		return "action/" + item.ID
	case strings.HasPrefix(item.Kind, "visit-"):
		return "visit/" + item.Subject
	case item.Kind == "phone-call":
		return "family/" + item.Subject + "/call"
	case item.Kind == safeguarding.DueConcernResponse || item.Kind == safeguarding.DueStaffConcernResponse:
		return "concern/" + item.Subject
	case item.Kind == safeguarding.DueFamilyAction:
		return "family/" + item.Subject + "/action"
	}
	return item.Kind + "/" + item.Subject
}
