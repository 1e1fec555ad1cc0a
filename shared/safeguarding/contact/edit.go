package contact

import (
	"context"
	"fmt"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// AuditContactsEditOpened is the office opening a family's contact details to change them
// without seeing them (rule P3): the family, its version and how many numbers it holds.
const AuditContactsEditOpened = "contacts.edit-opened"

// ContactEditStart is what the page that changes a family's contact details starts from: the
// version it saves against (rule P4), each number by its label and when it was confirmed, and
// whether an address is held, never a number or the address. Shown says the editor may see the
// details (rule P3: a DSL, the Senior DSL or designated staff); only then does Details hold the
// numbers and the address.
type ContactEditStart struct {
	Family     Family
	Version    int
	Numbers    int
	UpToDate   int
	HasAddress bool
	ChangedAt  time.Time
	Held       []HeldNumber
	Shown      bool
	Details    ContactDetails

	editor  safeguarding.Principal
	current ContactDetails
}

// HeldNumber is a number as the office may know it: whose it is and when it was confirmed.
type HeldNumber struct {
	Label       string
	ConfirmedAt time.Time
}

// Preview says what a change would do to the details as they were opened, without saving it
// or showing them: the office checks its change before it saves (rule P4). It fails as Patch
// would, with a *ValidationError naming each field or ErrConflict for a stale version.
func (e ContactEditStart) Preview(in ContactPatch, now time.Time) (ContactChanges, error) {
	next, err := PatchContactDetails(e.editor, e.current, in, now)
	return next.s.Changes, err
}

// StartContactEdit opens a family's contact details for the office or a DSL to change them
// (rules P3, P4). The office keeps details up to date without seeing them: it gets the
// version and each number's label, never a number or the address, and nothing is counted.
// Someone who may see the details (a DSL, or a member of the office a DSL designated for
// closure contact) gets them too, to start the form from: that is opening the family's
// details, audited as a view and counted toward the hour like View, with the same reason
// past the school's number (count). Anyone else gets ErrForbidden.
func (s Contacts) StartContactEdit(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, within time.Duration, reason OpeningReason) (ContactEditStart, error) {
	return retried(func() (ContactEditStart, error) {
		v, err := s.Store.LoadContactView(ctx, who.Email, school, family, who.At)
		if err != nil {
			return ContactEditStart{}, err
		}
		if !safeguarding.CanEditContactDetails(v.Viewer, school) {
			return ContactEditStart{}, safeguarding.ErrForbidden
		}
		if v.Family.ID() == "" {
			return ContactEditStart{}, fmt.Errorf("family %q: %w", family, safeguarding.ErrNotFound)
		}
		d := v.Details
		out := ContactEditStart{Family: v.Family, Version: d.s.Version, Numbers: len(d.s.Phones), UpToDate: d.UpToDateNumbers(who.At, within),
			HasAddress: !d.s.Address.IsZero(), ChangedAt: d.s.ChangedAt, Shown: safeguarding.CanSeeContactDetails(v.Viewer, school, v.Designated),
			editor: v.Viewer, current: d}
		out.current.s.School, out.current.s.Family, out.current.s.Pupils = school, family, v.Family.Pupils()
		for _, p := range d.s.Phones {
			out.Held = append(out.Held, HeldNumber{Label: p.Label, ConfirmedAt: p.ConfirmedAt})
		}
		audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditContactsEditOpened,
			Subject: "family/" + family + "/contact-details", Pupils: v.Family.Pupils(), At: who.At, Source: who.Source}
		if !out.Shown {
			return out, s.Store.Audit(ctx, audit)
		}
		audit.Action = AuditContactsViewed
		if err := s.count(ctx, who, family, v, reason, audit); err != nil {
			return ContactEditStart{}, err
		}
		out.Details = d
		return out, nil
	})
}
