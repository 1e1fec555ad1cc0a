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
// version and each number's label, never a number or the address. A DSL, or a member of
// the office a DSL designated for closure contact, gets the details too. The read is audited either way (a DSL's as a view of the details); anyone else gets
// ErrForbidden.
func (s Contacts) StartContactEdit(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, within time.Duration) (ContactEditStart, error) {
	e, err := s.Store.LoadContactEdit(ctx, who.Email, school, family, safeguarding.RequestKey{})
	if err != nil {
		return ContactEditStart{}, err
	}
	if !safeguarding.CanEditContactDetails(e.Viewer, school) {
		return ContactEditStart{}, safeguarding.ErrForbidden
	}
	if e.Family.ID() == "" {
		return ContactEditStart{}, fmt.Errorf("family %q: %w", family, safeguarding.ErrNotFound)
	}
	// The office may see the details too when a DSL designated them for closure contact.
	shown, err := s.seesDetails(ctx, e.Viewer, school)
	if err != nil {
		return ContactEditStart{}, err
	}
	d := e.Details
	out := ContactEditStart{Family: e.Family, Version: d.s.Version, Numbers: len(d.s.Phones), UpToDate: d.UpToDateNumbers(who.At, within),
		HasAddress: !d.s.Address.IsZero(), ChangedAt: d.s.ChangedAt, Shown: shown,
		editor: e.Viewer, current: d}
	out.current.s.School, out.current.s.Family, out.current.s.Pupils = school, family, e.Family.Pupils()
	for _, p := range d.s.Phones {
		out.Held = append(out.Held, HeldNumber{Label: p.Label, ConfirmedAt: p.ConfirmedAt})
	}
	audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditContactsEditOpened,
		Subject: "family/" + family + "/contact-details", Pupils: e.Family.Pupils(), At: who.At, Source: who.Source}
	if out.Shown {
		audit.Action = AuditContactsViewed
		out.Details = d
	}
	if err := s.Store.Audit(ctx, audit); err != nil {
		return ContactEditStart{}, err
	}
	return out, nil
}
