package main

import (
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
)

type callResponse struct {
	At      time.Time `json:"at"`
	By      string    `json:"by"`
	Outcome string    `json:"outcome"`
	Notes   string    `json:"notes,omitempty"`
}

type childSeenResponse struct {
	PupilID string `json:"pupilId"`
	Seen    bool   `json:"seen"`
	Notes   string `json:"notes,omitempty"`
}

type doorstepResponse struct {
	At       time.Time           `json:"at"`
	By       string              `json:"by"`
	Children []childSeenResponse `json:"children"`
}

type childObservationResponse struct {
	PupilID string `json:"pupilId"`
	appearance
}

type observationsResponse struct {
	At          time.Time                  `json:"at"`
	By          string                     `json:"by"`
	Children    []childObservationResponse `json:"children"`
	Adults      appearance                 `json:"adults"`
	Late        bool                       `json:"late"`
	MinutesLate int                        `json:"minutesLate"`
}

type nextResponse struct {
	At                time.Time  `json:"at"`
	By                string     `json:"by"`
	NextVisitAt       *time.Time `json:"nextVisitAt,omitempty"`
	NoNextVisitReason string     `json:"noNextVisitReason,omitempty"`
	SupportOffered    string     `json:"supportOffered"`
}

type concernRef struct {
	ID        string    `json:"id"`
	Reference string    `json:"reference"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
}

type dueResponse struct {
	DueAt   time.Time `json:"dueAt"`
	Open    bool      `json:"open"`
	Overdue bool      `json:"overdue"`
	// Step is how far up its escalation policy the item went (0: nobody alerted yet).
	Step int `json:"step"`
}

type addressResponse struct {
	Lines    []string `json:"lines"`
	Postcode string   `json:"postcode,omitempty"`
}

// visitResponse is a visit as the API shows it. Only the read of one visit carries the
// family's address, for its staff, line manager and DSLs, audited (rules V2, P3); lists never.
type visitResponse struct {
	ID               string                `json:"id"`
	Reference        string                `json:"reference"`
	Status           string                `json:"status"`
	FamilyID         string                `json:"familyId"`
	PupilIDs         []string              `json:"pupilIds"`
	StaffEmails      []string              `json:"staffEmails"`
	LineManagerEmail string                `json:"lineManagerEmail"`
	PlannedStart     time.Time             `json:"plannedStart"`
	PlannedEnd       time.Time             `json:"plannedEnd"`
	PlannedBy        string                `json:"plannedBy"`
	PlannedAt        time.Time             `json:"plannedAt"`
	Reason           string                `json:"reason,omitempty"`
	AuthorisedBy     string                `json:"authorisedBy,omitempty"`
	AuthorisedAt     *time.Time            `json:"authorisedAt,omitempty"`
	CalledAhead      []callResponse        `json:"calledAhead"`
	StartedAt        *time.Time            `json:"startedAt,omitempty"`
	StaffPresent     []string              `json:"staffPresent,omitempty"`
	Doorstep         *doorstepResponse     `json:"doorstep,omitempty"`
	Concerns         []concernRef          `json:"concerns"`
	Observations     *observationsResponse `json:"observations,omitempty"`
	NextVisit        *nextResponse         `json:"nextVisit,omitempty"`
	CheckedOutAt     *time.Time            `json:"checkedOutAt,omitempty"`
	CheckedOutBy     string                `json:"checkedOutBy,omitempty"`
	CancelledAt      *time.Time            `json:"cancelledAt,omitempty"`
	CancelReason     string                `json:"cancelReason,omitempty"`
	Checkout         *dueResponse          `json:"checkout,omitempty"`
	ObservationsDue  *dueResponse          `json:"observationsDue,omitempty"`
	NextVisitDue     *dueResponse          `json:"nextVisitDue,omitempty"`
	Address          *addressResponse      `json:"address,omitempty"`
	DutyTeamNumber   string                `json:"dutyTeamNumber,omitempty"`
	Raised           *concernRef           `json:"raisedConcern,omitempty"`
	Version          int                   `json:"version"`
}

func optional(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func due(s safeguarding.DueState, now time.Time) *dueResponse {
	if s.DueAt.IsZero() {
		return nil
	}
	return &dueResponse{DueAt: s.DueAt, Open: s.Active, Overdue: s.Active && !now.Before(s.DueAt), Step: s.Step}
}

func toResponse(r visits.VisitResult, now time.Time) visitResponse {
	s := r.Visit.Snapshot()
	out := visitResponse{ID: s.ID, Reference: s.Reference, Status: string(s.Status), FamilyID: s.Family, PupilIDs: []string{},
		StaffEmails: s.Staff, LineManagerEmail: s.LineManager, PlannedStart: s.PlannedStart, PlannedEnd: s.PlannedEnd,
		PlannedBy: s.PlannedBy, PlannedAt: s.PlannedAt, Reason: s.Reason, AuthorisedBy: s.AuthorisedBy, AuthorisedAt: optional(s.AuthorisedAt),
		CalledAhead: []callResponse{}, StartedAt: optional(s.StartedAt), StaffPresent: s.StaffPresent, Concerns: []concernRef{},
		CheckedOutAt: optional(s.CheckedOutAt), CheckedOutBy: s.CheckedOutBy, CancelledAt: optional(s.CancelledAt),
		CancelReason: s.CancelReason, Checkout: due(s.Checkout, now), ObservationsDue: due(s.ObservationsDue, now),
		NextVisitDue: due(s.NextDue, now), DutyTeamNumber: r.DutyTeamNumber, Version: s.Version}
	for _, p := range s.Children {
		out.PupilIDs = append(out.PupilIDs, string(p))
	}
	for _, c := range s.Calls {
		out.CalledAhead = append(out.CalledAhead, callResponse(c))
	}
	if d := s.Doorstep; d != nil {
		out.Doorstep = &doorstepResponse{At: d.At, By: d.By, Children: []childSeenResponse{}}
		for _, c := range d.Children {
			out.Doorstep.Children = append(out.Doorstep.Children, childSeenResponse{PupilID: string(c.Pupil), Seen: c.Seen, Notes: c.Notes})
		}
	}
	for _, c := range s.Concerns {
		out.Concerns = append(out.Concerns, concernRef{ID: string(c.ID), Reference: c.Reference, At: c.At, By: c.By})
	}
	if o := s.Observations; o != nil {
		out.Observations = &observationsResponse{At: o.At, By: o.By, Adults: appearance(o.Adults), Late: o.Late,
			MinutesLate: o.MinutesLate, Children: []childObservationResponse{}}
		for _, c := range o.Children {
			out.Observations.Children = append(out.Observations.Children, childObservationResponse{PupilID: string(c.Pupil), appearance: appearance(c.Appearance)})
		}
	}
	if n := s.Next; n != nil {
		out.NextVisit = &nextResponse{At: n.At, By: n.By, NextVisitAt: optional(n.NextAt), NoNextVisitReason: n.NoneReason, SupportOffered: n.SupportOffered}
	}
	if a := r.Address; a != nil {
		out.Address = &addressResponse{Lines: a.Lines, Postcode: a.Postcode}
	}
	if c := r.Raised; c != nil {
		out.Raised = &concernRef{ID: string(c.ID()), Reference: c.Reference(), At: c.RecordedAt(), By: c.AuthorEmail()}
	}
	return out
}
