package concerns

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// CaseStatus is whether a concern's case is being worked.
type CaseStatus string

const (
	CaseOpen   CaseStatus = "open"
	CaseClosed CaseStatus = "closed"
)

// Case events.
const (
	CaseClosedEvent   = "closed"
	CaseReopened      = "reopened"
	CaseMarkedComplex = "marked-complex"
	CaseNotComplex    = "not-complex"
	CaseReviewed      = "reviewed"
)

// Review decisions for a complex case (rule D9).
const (
	DecisionKeepOpen = "keep-open"
	DecisionClose    = "close"
)

// ComplexReviewEvery is how often a complex case is reviewed at a school that has entered no
// terms in its calendar: twice a term, taken as every six weeks from when it was marked complex
// or last reviewed (rule D9). A school with terms has its complex cases reviewed in each half
// of each term (ReviewDue).
const ComplexReviewEvery = 42 * 24 * time.Hour

// CaseEvent is one line of a case's history. Nothing is removed from it: a closed case keeps
// the reason it was closed for after it is reopened.
type CaseEvent struct {
	At       time.Time
	By       string
	Kind     string
	Decision string
	Reason   string
}

func (c *Concern) caseChange(by safeguarding.Principal, kind, decision, reason string, now time.Time) error {
	if !by.IsDSL(c.school) || !c.CanView(by) {
		return safeguarding.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	var ps safeguarding.Problems
	if reason == "" {
		ps.Add("reason", "record the reason")
	}
	safeguarding.CheckText(&ps, "reason", reason, safeguarding.MaxNotesChars)
	if err := ps.Err(); err != nil {
		return err
	}
	c.caseEvents = append(c.caseEvents, CaseEvent{At: now.UTC(), By: by.Email, Kind: kind, Decision: decision, Reason: reason})
	c.version++
	return nil
}

// Close closes an open case with the reason, which is kept (rule D9).
func (c *Concern) Close(by safeguarding.Principal, reason string, now time.Time) error {
	if c.Status() != CaseOpen {
		return fmt.Errorf("case %s is already closed: %w", c.reference, safeguarding.ErrConflict)
	}
	if err := c.caseChange(by, CaseClosedEvent, "", reason, now); err != nil {
		return err
	}
	c.closed = true
	return nil
}

// Reopen opens a closed case again, with the reason.
func (c *Concern) Reopen(by safeguarding.Principal, reason string, now time.Time) error {
	if c.Status() != CaseClosed {
		return fmt.Errorf("case %s is open: %w", c.reference, safeguarding.ErrConflict)
	}
	if err := c.caseChange(by, CaseReopened, "", reason, now); err != nil {
		return err
	}
	c.closed = false
	return nil
}

// MarkComplex marks a case complex (or not), with the reason; a complex case is reviewed
// twice a term (rule D9).
func (c *Concern) MarkComplex(by safeguarding.Principal, complex bool, reason string, now time.Time) error {
	if c.complex == complex {
		return fmt.Errorf("case %s is already so: %w", c.reference, safeguarding.ErrConflict)
	}
	kind := CaseMarkedComplex
	if !complex {
		kind = CaseNotComplex
	}
	if err := c.caseChange(by, kind, "", reason, now); err != nil {
		return err
	}
	c.complex = complex
	return nil
}

// Review records a complex case's review with the decision to keep it open or close it and
// the reason for it (rule D9).
func (c *Concern) Review(by safeguarding.Principal, decision, reason string, now time.Time) error {
	if decision != DecisionKeepOpen && decision != DecisionClose {
		return &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "decision", Message: "keep-open or close"}}}
	}
	if c.Status() != CaseOpen {
		return fmt.Errorf("case %s is closed: %w", c.reference, safeguarding.ErrConflict)
	}
	if err := c.caseChange(by, CaseReviewed, decision, reason, now); err != nil {
		return err
	}
	if decision == DecisionClose {
		c.closed = true
	}
	return nil
}

// Status is whether the case is open or closed.
func (c Concern) Status() CaseStatus {
	if c.closed {
		return CaseClosed
	}
	return CaseOpen
}

// Complex reports whether a DSL marked the case complex.
func (c Concern) Complex() bool { return c.complex }

// CaseEvents is the case's history, oldest first.
func (c Concern) CaseEvents() []CaseEvent { return slices.Clone(c.caseEvents) }

// ReviewDue reports whether a complex open case is due its review at now (rule D9): twice a
// term by the school's own terms (cal), that is when it was neither marked complex nor reviewed
// since the half of the term now falls in began (or the latest half, between terms); with no
// terms entered, six weeks after it was marked complex or last reviewed.
func (c Concern) ReviewDue(now time.Time, cal safeguarding.SchoolCalendar) bool {
	if !c.complex || c.closed {
		return false
	}
	since := c.recordedAt
	for _, e := range c.caseEvents {
		if e.Kind == CaseMarkedComplex || e.Kind == CaseReviewed {
			since = e.At
		}
	}
	if start, ok := cal.HalfTermStart(now); ok {
		return since.Before(start)
	}
	return !now.Before(since.Add(ComplexReviewEvery))
}
