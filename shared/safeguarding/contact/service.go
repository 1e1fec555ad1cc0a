package contact

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Audit actions of contact details (rules P3, P4).
const (
	AuditFamilyActionsRead     = "family-actions.read"
	AuditContactsViewed        = "contacts.viewed"
	AuditContactsViewRefused   = "contacts.view-refused"
	AuditContactsChanged       = "contacts.changed"
	AuditContactsVersionsRead  = "contacts.versions-read"
	AuditContactsReport        = "contacts.report"
	AuditClosureContactChanged = "closure-contact.changed"
	AuditClosureContactsRead   = "closure-contacts.read"
)

// WithholdCallerID is the reminder the call screen shows staff who call from a personal phone.
const WithholdCallerID = "Calling from your own phone? Withhold your number: dial 141 before the number, or turn off Show My Caller ID in your phone's settings."

// ContactView is what showing a family's contact details needs, read together: the viewer,
// whether they are designated for closure contact, the school, the family, its details and
// what the viewer opened this hour (rule P3).
type ContactView struct {
	Viewer     safeguarding.Principal
	Designated bool
	School     safeguarding.School
	Family     Family // zero ID when there is no such family
	Details    ContactDetails
	Openings   ContactOpenings
}

// ContactEdit is what changing a family's contact details needs, read together.
type ContactEdit struct {
	Viewer  safeguarding.Principal
	Family  Family
	Details ContactDetails
	Prior   *safeguarding.PriorRequest
}

// DesignationEdit is what designating a member of staff needs, read together.
type DesignationEdit struct {
	Viewer  safeguarding.Principal
	Staff   safeguarding.Principal // Email "" when the person has no profile
	Current ClosureContact
	Prior   *safeguarding.PriorRequest
}

// FamilyActionEdit is what completing an action agreed with a family needs, read together.
type FamilyActionEdit struct {
	Viewer safeguarding.Principal
	Action FamilyAction // zero ID when there is none
	Prior  *safeguarding.PriorRequest
}

// ContactsStore is the storage port of contact details and closure contact.
type ContactsStore interface {
	// LoadContactView reads the viewer, their designation, the school, the family, its
	// contact details and what the viewer opened in the hour of at, in one round trip.
	LoadContactView(ctx context.Context, viewer string, school safeguarding.SchoolID, family string, at time.Time) (ContactView, error)
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
	// SaveContactOpening commits an opening of a family's contact details (OpeningWrite).
	SaveContactOpening(ctx context.Context, w OpeningWrite) error
	LoadContactEdit(ctx context.Context, viewer string, school safeguarding.SchoolID, family string, key safeguarding.RequestKey) (ContactEdit, error)
	SaveContactDetails(ctx context.Context, w ContactDetailsWrite) error
	ContactDetails(ctx context.Context, school safeguarding.SchoolID, family string) (ContactDetails, error)
	// ContactDetailsVersion reads one version (Version 0 when there is none).
	ContactDetailsVersion(ctx context.Context, school safeguarding.SchoolID, family string, version int) (ContactDetails, error)
	// ContactDetailsVersions reads every version, oldest first.
	ContactDetailsVersions(ctx context.Context, school safeguarding.SchoolID, family string) ([]ContactDetails, error)
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// ContactFamilies reads every family of the school with a summary of its contact details
	// and no number (rule H1).
	ContactFamilies(ctx context.Context, school safeguarding.SchoolID) ([]ContactCheck, error)
	ClosureContacts(ctx context.Context, school safeguarding.SchoolID) ([]ClosureContact, error)
	LoadDesignation(ctx context.Context, viewer string, school safeguarding.SchoolID, staff string, key safeguarding.RequestKey) (DesignationEdit, error)
	SaveClosureContact(ctx context.Context, c ClosureContact, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error
	LoadFamilyAction(ctx context.Context, viewer string, school safeguarding.SchoolID, family, id string, key safeguarding.RequestKey) (FamilyActionEdit, error)
	// SaveFamilyActionChange saves the action on the condition that its version is
	// prevVersion (ErrConflict), with its audit entry and idempotency record.
	SaveFamilyActionChange(ctx context.Context, a FamilyAction, prevVersion int, audit safeguarding.AuditEntry, req *safeguarding.RequestRecord) error
	ClosureContact(ctx context.Context, school safeguarding.SchoolID, email string) (ClosureContact, error)
	FamilyActions(ctx context.Context, school safeguarding.SchoolID, family string) ([]FamilyAction, error)
}

// Contacts holds the use cases of contact details (P3, H1) and closure contact.
type Contacts struct {
	Store ContactsStore
	NewID func(at time.Time) string
}

// ContactDetailsShown is a family's contact details as a designated person sees them.
type ContactDetailsShown struct {
	Family  Family
	Details ContactDetails
}

// View shows one family's contact details to a DSL, the Senior DSL or staff designated for
// closure contact (rule P3). Every view is audited before it is shown: who, when, which
// family, and the reason when one is given; a refused view is audited too. Anyone else gets
// ErrForbidden. Like every opening of a family's details, it counts toward the hour (count).
func (s Contacts) View(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, reason OpeningReason) (ContactDetailsShown, error) {
	return retried(func() (ContactDetailsShown, error) {
		v, err := s.Store.LoadContactView(ctx, who.Email, school, family, who.At)
		if err != nil {
			return ContactDetailsShown{}, err
		}
		audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditContactsViewed,
			Subject: "family/" + family + "/contact-details", Pupils: v.Family.Pupils(), At: who.At, Source: who.Source}
		if !safeguarding.CanSeeContactDetails(v.Viewer, school, v.Designated) {
			return ContactDetailsShown{}, s.refuse(ctx, v, audit)
		}
		if err := s.count(ctx, who, family, v, reason, audit); err != nil {
			return ContactDetailsShown{}, err
		}
		return ContactDetailsShown{Family: v.Family, Details: v.Details}, nil
	})
}

// retried runs an opening again when its write failed on its condition: another opening by
// the same person moved the hour's count between the read and the write, so it reads again
// and decides again.
func retried[T any](open func() (T, error)) (T, error) {
	const attempts = 3
	for attempt := 1; ; attempt++ {
		out, err := open()
		if !errors.Is(err, safeguarding.ErrConflict) || attempt == attempts {
			return out, err
		}
	}
}

// refuse audits a refused opening by a member of the school (audit with its action changed)
// and answers ErrForbidden; someone from elsewhere is refused without an entry.
func (s Contacts) refuse(ctx context.Context, v ContactView, audit safeguarding.AuditEntry) error {
	if v.Viewer.IsMember(audit.School) {
		audit.Action = AuditContactsViewRefused
		if err := s.Store.Audit(ctx, audit); err != nil {
			return err
		}
	}
	return safeguarding.ErrForbidden
}

// count is rule P3's counting for every door that shows someone a family's numbers or
// address (the view, the versions, the DSLs' form that changes them), once the door has
// decided that the person may go through it: it decides the opening from the hour's
// openings read with v (DecideOpening) and commits it with its audit entry, the reason kept
// in it, and the Senior DSL's alert of the first attempt past the school's number, in one
// transaction. Past the number without a reason it audits the attempt as
// AuditContactsReasonNeeded and answers ErrReasonNeeded: nothing may be shown.
func (s Contacts) count(ctx context.Context, who safeguarding.Caller, family string, v ContactView, reason OpeningReason, audit safeguarding.AuditEntry) error {
	if v.Family.ID() == "" {
		return fmt.Errorf("family %q: %w", family, safeguarding.ErrNotFound)
	}
	o, err := DecideOpening(v.Openings, v.School.ContactOpeningsLimit(), reason)
	if err != nil {
		return err
	}
	audit.Reason = o.Reason
	if o.Refused {
		audit.Action = AuditContactsReasonNeeded
	}
	w := OpeningWrite{Audit: audit, Family: family, Hour: OpeningHour(who.At), Opening: o}
	if o.Alert {
		w.Alerts = bulkReadingAlerts(v.School, audit)
	}
	if err := s.Store.SaveContactOpening(ctx, w); err != nil {
		return err
	}
	if o.Refused {
		return fmt.Errorf("family %q past %d families this hour: %w", family, o.Limit, safeguarding.ErrReasonNeeded)
	}
	return nil
}

// Edit saves a new version of a family's contact details that replaces every number and the
// address, with the reason, against the version the editor read (rules P3, P4, H1): only for
// an editor who may see the details (a DSL, or the office designated for closure contact),
// since replacing what one cannot see loses it. The office changes them with Patch. The
// answer carries no number.
func (s Contacts) Edit(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, in ContactInput, key safeguarding.RequestKey, fp string) (ContactDetails, error) {
	return s.change(ctx, who, school, family, key, fp, func(p safeguarding.Principal, prev ContactDetails) (ContactDetails, error) {
		sees, err := s.seesDetails(ctx, p, school)
		if err != nil {
			return ContactDetails{}, err
		}
		if !sees {
			return ContactDetails{}, fmt.Errorf("replacing contact details one may not see: %w", safeguarding.ErrForbidden)
		}
		return ReviseContactDetails(p, prev, in, who.At)
	})
}

// seesDetails is rule P3 for an editor: a DSL, or a member of staff a DSL designated for
// closure contact. The profile says who may be designated; the designation itself is read to
// make sure (one more read, only for them).
func (s Contacts) seesDetails(ctx context.Context, p safeguarding.Principal, school safeguarding.SchoolID) (bool, error) {
	if p.IsDSL(school) || !p.IsClosureContact(school) {
		return p.IsDSL(school), nil
	}
	cc, err := s.Store.ClosureContact(ctx, school, p.Email)
	if err != nil {
		return false, err
	}
	return safeguarding.CanSeeContactDetails(p, school, cc.Active), nil
}

// Patch saves a new version of a family's contact details that changes only what it names
// (rules P3, P4): the office's way, since it may change the details without seeing them. The
// version keeps what changed, by label, and each removal's reason.
func (s Contacts) Patch(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, in ContactPatch, key safeguarding.RequestKey, fp string) (ContactDetails, error) {
	return s.change(ctx, who, school, family, key, fp, func(p safeguarding.Principal, prev ContactDetails) (ContactDetails, error) {
		return PatchContactDetails(p, prev, in, who.At)
	})
}

// change loads a family's contact details, makes the next version with next and saves it with
// its audit entry and idempotency record. A replayed request answers the version it made.
func (s Contacts) change(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, key safeguarding.RequestKey, fp string,
	next func(safeguarding.Principal, ContactDetails) (ContactDetails, error)) (ContactDetails, error) {
	e, err := s.Store.LoadContactEdit(ctx, who.Email, school, family, key)
	if err != nil {
		return ContactDetails{}, err
	}
	if !safeguarding.CanEditContactDetails(e.Viewer, school) {
		return ContactDetails{}, safeguarding.ErrForbidden
	}
	if e.Family.ID() == "" {
		return ContactDetails{}, fmt.Errorf("family %q: %w", family, safeguarding.ErrNotFound)
	}
	if e.Prior != nil {
		return safeguarding.Replayed(*e.Prior, fp, s.versionMade(ctx, school, family))
	}
	prev := e.Details
	prev.s.School, prev.s.Family, prev.s.Pupils = school, family, e.Family.Pupils()
	d, err := next(e.Viewer, prev)
	if err != nil {
		return ContactDetails{}, err
	}
	w := ContactDetailsWrite{Details: d, Audit: safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email,
		Action: AuditContactsChanged, Subject: "family/" + family + "/contact-details", Pupils: d.s.Pupils, At: who.At, Source: who.Source}}
	if key.Key != "" {
		w.Request = &safeguarding.RequestRecord{Key: key, Fingerprint: fp, Receipt: safeguarding.Receipt{ID: family, RecordedAt: who.At, Version: d.s.Version}}
	}
	return safeguarding.SavedOnce(ctx, s.Store, key, fp, d, s.Store.SaveContactDetails(ctx, w), s.versionMade(ctx, school, family))
}

// versionMade answers a request already served with the version it made, whatever came after.
func (s Contacts) versionMade(ctx context.Context, school safeguarding.SchoolID, family string) func(safeguarding.PriorRequest) (ContactDetails, error) {
	return func(prior safeguarding.PriorRequest) (ContactDetails, error) {
		if prior.Receipt.Version == 0 { // a request kept before receipts named their version
			return s.Store.ContactDetails(ctx, school, family)
		}
		return s.Store.ContactDetailsVersion(ctx, school, family, prior.Receipt.Version)
	}
}

// ContactVersions are every version of a family's contact details, oldest first.
type ContactVersions struct {
	Family   Family
	Versions []ContactDetails
}

// Versions reads back every version of a family's contact details, oldest first, with who
// changed them, when, why and what changed (rule P4): for the DSLs and the Senior DSL of the
// school only (rule P3), each reading audited. Every version holds the family's numbers and
// address, so reading them is opening the family's details: it counts toward the hour like
// View, with the same reason past the school's number (count), and the versions are read
// only once the opening is committed.
func (s Contacts) Versions(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, reason OpeningReason) (ContactVersions, error) {
	f, err := retried(func() (Family, error) {
		v, err := s.Store.LoadContactView(ctx, who.Email, school, family, who.At)
		if err != nil {
			return Family{}, err
		}
		audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditContactsVersionsRead,
			Subject: "family/" + family + "/contact-details/versions", Pupils: v.Family.Pupils(), At: who.At, Source: who.Source}
		if !v.Viewer.IsDSL(school) {
			return Family{}, s.refuse(ctx, v, audit)
		}
		return v.Family, s.count(ctx, who, family, v, reason, audit)
	})
	if err != nil {
		return ContactVersions{}, err
	}
	versions, err := s.Store.ContactDetailsVersions(ctx, school, family)
	if err != nil {
		return ContactVersions{}, err
	}
	return ContactVersions{Family: f, Versions: versions}, nil
}

// ContactReportRow is one family short of up-to-date numbers (rule H1): no number, no address.
type ContactReportRow struct {
	Check    ContactCheck
	UpToDate int
	// LastConfirmedAt is the newest confirmation of any of its numbers (zero: none).
	LastConfirmedAt time.Time
}

// ContactReport lists the families of a school with fewer than two numbers confirmed within
// the period before now (rule H1), for the office to fix before a closure: the office and the
// DSLs. It carries no number or address (rule P3). The read is audited.
func (s Contacts) ContactReport(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, within time.Duration) ([]ContactReportRow, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return nil, err
	}
	if !safeguarding.CanEditContactDetails(p, school) {
		return nil, safeguarding.ErrForbidden
	}
	checks, err := s.Store.ContactFamilies(ctx, school)
	if err != nil {
		return nil, err
	}
	var out []ContactReportRow
	var pupils []safeguarding.PupilID
	for _, c := range checks {
		if c.Family.ID() == "" {
			continue
		}
		n := c.UpToDateNumbers(who.At, within)
		if n >= MinUpToDateNumbers {
			continue
		}
		r := ContactReportRow{Check: c, UpToDate: n}
		for _, at := range c.Confirmed {
			if at.After(r.LastConfirmedAt) {
				r.LastConfirmedAt = at
			}
		}
		out = append(out, r)
		pupils = append(pupils, c.Family.Pupils()...)
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditContactsReport,
		Subject: "families/contact-details-report", Pupils: pupils, At: who.At, Source: who.Source})
	return out, err
}

// ClosureContacts lists the school's designations for closure contact, for its DSLs.
func (s Contacts) ClosureContacts(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]ClosureContact, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return nil, err
	}
	if !p.IsDSL(school) {
		return nil, safeguarding.ErrForbidden
	}
	list, err := s.Store.ClosureContacts(ctx, school)
	if err != nil {
		return nil, err
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditClosureContactsRead,
		Subject: "closure-contacts", At: who.At, Source: who.Source})
	return list, err
}

// Designate designates a member of staff for closure contact, or ends it (a DSL, rule P3).
func (s Contacts) Designate(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, staff string, active bool, reason string, key safeguarding.RequestKey, fp string) (ClosureContact, error) {
	email, ok := safeguarding.NormaliseEmail(staff)
	if !ok {
		return ClosureContact{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "email", Message: "the email of a member of staff"}}}
	}
	e, err := s.Store.LoadDesignation(ctx, who.Email, school, email, key)
	if err != nil {
		return ClosureContact{}, err
	}
	if !e.Viewer.IsDSL(school) {
		return ClosureContact{}, safeguarding.ErrForbidden
	}
	if e.Prior != nil {
		return safeguarding.Replayed(*e.Prior, fp, func(safeguarding.PriorRequest) (ClosureContact, error) { return e.Current, nil })
	}
	cur := e.Current
	cur.School, cur.Email = school, email
	next, err := cur.Designate(e.Viewer, e.Staff, active, reason, who.At)
	if err != nil {
		return ClosureContact{}, err
	}
	audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditClosureContactChanged,
		Subject: "closure-contact/" + email, At: who.At, Source: who.Source}
	var req *safeguarding.RequestRecord
	if key.Key != "" {
		req = &safeguarding.RequestRecord{Key: key, Fingerprint: fp, Receipt: safeguarding.Receipt{ID: email, RecordedAt: who.At}}
	}
	return safeguarding.SavedOnce(ctx, s.Store, key, fp, next, s.Store.SaveClosureContact(ctx, next, audit, req), func(safeguarding.PriorRequest) (ClosureContact, error) {
		e, err := s.Store.LoadDesignation(ctx, who.Email, school, email, safeguarding.RequestKey{})
		return e.Current, err
	})
}

// CompleteFamilyAction records the outcome of an action agreed with a family on a call (its
// assignee or a DSL); it leaves the deadline engine's ladder.
func (s Contacts) CompleteFamilyAction(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family, id, outcome string, key safeguarding.RequestKey, fp string) (FamilyAction, error) {
	if id == "" || strings.ContainsAny(id, "#\x00") {
		return FamilyAction{}, fmt.Errorf("action %q: %w", id, safeguarding.ErrNotFound)
	}
	e, err := s.Store.LoadFamilyAction(ctx, who.Email, school, family, id, key)
	if err != nil {
		return FamilyAction{}, err
	}
	if e.Action.ID == "" || (!e.Viewer.IsDSL(school) && e.Action.Assignee != who.Email) {
		return FamilyAction{}, fmt.Errorf("action %q: %w", id, safeguarding.ErrNotFound)
	}
	if e.Prior != nil {
		return safeguarding.Replayed(*e.Prior, fp, func(safeguarding.PriorRequest) (FamilyAction, error) { return e.Action, nil })
	}
	next, err := e.Action.Complete(e.Viewer, outcome, who.At)
	if err != nil {
		return FamilyAction{}, err
	}
	audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditFamilyActionCompleted,
		Subject: "family/" + family + "/action/" + id, At: who.At, Source: who.Source}
	var req *safeguarding.RequestRecord
	if key.Key != "" {
		req = &safeguarding.RequestRecord{Key: key, Fingerprint: fp, Receipt: safeguarding.Receipt{ID: id, RecordedAt: who.At}}
	}
	return safeguarding.SavedOnce(ctx, s.Store, key, fp, next, s.Store.SaveFamilyActionChange(ctx, next, e.Action.Version, audit, req), func(safeguarding.PriorRequest) (FamilyAction, error) {
		e, err := s.Store.LoadFamilyAction(ctx, who.Email, school, family, id, safeguarding.RequestKey{})
		return e.Action, err
	})
}

// FamilyActions lists the actions agreed with a family on calls (rule H3): all of them for
// the DSLs and staff designated for closure contact, only their own for anyone else. The
// read is audited.
func (s Contacts) FamilyActions(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string) ([]FamilyAction, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return nil, err
	}
	if !p.IsMember(school) {
		return nil, safeguarding.ErrForbidden
	}
	designated := false
	if !p.IsDSL(school) {
		cc, err := s.Store.ClosureContact(ctx, school, who.Email)
		if err != nil {
			return nil, err
		}
		designated = cc.Active
	}
	list, err := s.Store.FamilyActions(ctx, school, family)
	if err != nil {
		return nil, err
	}
	if !safeguarding.CanSeeContactDetails(p, school, designated) {
		list = slices.DeleteFunc(list, func(a FamilyAction) bool { return a.Assignee != who.Email })
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditFamilyActionsRead,
		Subject: "family/" + family + "/actions", At: who.At, Source: who.Source})
	return list, err
}

// AuditCallListRead is the read of the families a designated person may call.
const AuditCallListRead = "call-list.read"

// CallList lists the school's families, without a number, for the people who call them: the
// DSLs and staff designated for closure contact (rule P3). Each family's numbers are then
// shown one family at a time by View. The read is audited.
func (s Contacts) CallList(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]ContactCheck, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return nil, err
	}
	designated := false
	if p.IsMember(school) && !p.IsDSL(school) {
		cc, err := s.Store.ClosureContact(ctx, school, who.Email)
		if err != nil {
			return nil, err
		}
		designated = cc.Active
	}
	if !safeguarding.CanSeeContactDetails(p, school, designated) {
		return nil, safeguarding.ErrForbidden
	}
	list, err := s.Store.ContactFamilies(ctx, school)
	if err != nil {
		return nil, err
	}
	var pupils []safeguarding.PupilID
	for _, c := range list {
		pupils = append(pupils, c.Family.Pupils()...)
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditCallListRead,
		Subject: "families/call-list", Pupils: pupils, At: who.At, Source: who.Source})
	return list, err
}
