package contact

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// ContactPhone is one of a family's phone numbers (rules H1, P3): who or what it reaches, the
// number, and when someone last confirmed it is up to date (zero: never confirmed).
type ContactPhone struct {
	Label       string
	Number      string
	ConfirmedAt time.Time
}

// UpToDate reports whether the number was confirmed within the period before now (rule H1).
func (p ContactPhone) UpToDate(now time.Time, within time.Duration) bool {
	return upToDate([]time.Time{p.ConfirmedAt}, now, within) == 1
}

// ContactAddress is a family's postal address (rule P3).
type ContactAddress struct {
	Lines    []string
	Postcode string
}

// IsZero reports whether no address is recorded.
func (a ContactAddress) IsZero() bool { return len(a.Lines) == 0 && a.Postcode == "" }

// ContactDetailsSnapshot is every field of one version of a family's contact details, for a
// store to save it and rebuild it (RestoreContactDetails).
type ContactDetailsSnapshot struct {
	School  safeguarding.SchoolID
	Family  string
	Phones  []ContactPhone
	Address ContactAddress
	// Pupils are the family's children at the school when the version was written (for the
	// audit trail and the H1 report, which carry no numbers).
	Pupils    []safeguarding.PupilID
	Version   int // 0: none recorded yet
	ChangedAt time.Time
	ChangedBy string
	Reason    string
	// Changes is what this version changed from the one before, by label (never a number).
	Changes ContactChanges
}

// ContactDetails are a family's phone numbers and address as one school holds them. They are
// kept apart from the family record that lists and engagement read: only designated staff see
// them (rule P3). Each change is a new version with who, when and why; earlier versions stay
// (rule P4). Its fields are kept unexported: ReviseContactDetails and PatchContactDetails
// check every version, and only a store rebuilds one, from what it saved or what seeding and
// imports put through it (RestoreContactDetails).
type ContactDetails struct{ s ContactDetailsSnapshot }

// RestoreContactDetails rebuilds a version of contact details a store saved, or, with only
// School and Family, the details of a family that has none recorded yet.
func RestoreContactDetails(s ContactDetailsSnapshot) ContactDetails { return ContactDetails{s: s} }

// Snapshot returns a copy of every field.
func (c ContactDetails) Snapshot() ContactDetailsSnapshot {
	s := c.s
	s.Phones, s.Address, s.Pupils, s.Changes = c.Phones(), c.Address(), c.Pupils(), c.Changes()
	return s
}

func (c ContactDetails) School() safeguarding.SchoolID { return c.s.School }

func (c ContactDetails) Family() string { return c.s.Family }

// Phones are the family's numbers, in the order they were given.
func (c ContactDetails) Phones() []ContactPhone { return slices.Clone(c.s.Phones) }

func (c ContactDetails) Address() ContactAddress {
	a := c.s.Address
	a.Lines = slices.Clone(a.Lines)
	return a
}

// Pupils are the family's children at the school when the version was written.
func (c ContactDetails) Pupils() []safeguarding.PupilID { return slices.Clone(c.s.Pupils) }

// Version is the version's number; 0 when none is recorded yet.
func (c ContactDetails) Version() int { return c.s.Version }

func (c ContactDetails) ChangedAt() time.Time { return c.s.ChangedAt }

func (c ContactDetails) ChangedBy() string { return c.s.ChangedBy }

func (c ContactDetails) Reason() string { return c.s.Reason }

// Changes is what this version changed from the one before, by label (never a number).
func (c ContactDetails) Changes() ContactChanges {
	ch := c.s.Changes
	ch.Added, ch.Replaced, ch.Confirmed = slices.Clone(ch.Added), slices.Clone(ch.Replaced), slices.Clone(ch.Confirmed)
	ch.Removed, ch.Kept = slices.Clone(ch.Removed), slices.Clone(ch.Kept)
	return ch
}

// Limits of contact details.
const (
	MaxContactPhones    = 6
	MaxContactLabel     = 60
	MaxAddressLines     = 4
	MaxAddressLineChars = 100
	MaxContactReason    = 500
	// MinUpToDateNumbers is rule H1: every family needs at least two up-to-date numbers.
	MinUpToDateNumbers = 2
	// DefaultUpToDateDays is how recently a number must have been confirmed to count as up to
	// date for rule H1, unless the report is asked for another period: about half a school
	// year, so the data-collection check each autumn and a spring check keep families off the
	// list.
	DefaultUpToDateDays = 183
	MaxUpToDateDays     = 730
)

// UpToDateNumbers counts the numbers confirmed within the period before now (rule H1).
func (c ContactDetails) UpToDateNumbers(now time.Time, within time.Duration) int {
	confirmed := make([]time.Time, len(c.s.Phones))
	for i, p := range c.s.Phones {
		confirmed[i] = p.ConfirmedAt
	}
	return upToDate(confirmed, now, within)
}

// ShortOfNumbers reports whether the family has fewer than two up-to-date numbers (rule H1).
func (c ContactDetails) ShortOfNumbers(now time.Time, within time.Duration) bool {
	return c.UpToDateNumbers(now, within) < MinUpToDateNumbers
}

// ContactCheck is one family as the H1 report sees it: how many numbers it has and when each
// was confirmed, whether an address is held; never a number or an address (rule P3).
type ContactCheck struct {
	Family     Family // ID, School and Children only
	HasDetails bool
	Numbers    int
	Confirmed  []time.Time
	HasAddress bool
	Version    int
}

// UpToDateNumbers counts the numbers confirmed within the period before now (rule H1).
func (c ContactCheck) UpToDateNumbers(now time.Time, within time.Duration) int {
	return upToDate(c.Confirmed, now, within)
}

func upToDate(confirmed []time.Time, now time.Time, within time.Duration) int {
	n := 0
	for _, at := range confirmed {
		if !at.IsZero() && !at.Before(now.Add(-within)) {
			n++
		}
	}
	return n
}

// ContactDetailsWrite is one new version of a family's contact details with its audit entry
// and the idempotency record of the request, committed together.
type ContactDetailsWrite struct {
	Details ContactDetails
	Audit   safeguarding.AuditEntry
	Request *safeguarding.RequestRecord
}

// ContactInput is a change to a family's contact details as the office or a DSL gives it.
type ContactInput struct {
	Phones  []ContactPhone
	Address ContactAddress
	Reason  string
	// Version is the version the editor read (0 when none was recorded yet).
	Version int
}

// postcodePattern is compiled on first use, not at every function's start-up.
var postcodePattern = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$`)
})

// NormalisePostcode upper-cases a UK postcode and puts one space before its last three
// characters; it reports false for anything that is not shaped like one.
func NormalisePostcode(s string) (string, bool) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	if len(s) < 5 || len(s) > 7 {
		return "", false
	}
	s = s[:len(s)-3] + " " + s[len(s)-3:]
	return s, postcodePattern().MatchString(s)
}

// ReviseContactDetails is the next version of a family's contact details: p is the office or
// a DSL (ErrForbidden otherwise), in.Version must be the version read (ErrConflict), every
// field is checked (a *ValidationError naming each field), and the reason is kept (rule P4).
func ReviseContactDetails(p safeguarding.Principal, prev ContactDetails, in ContactInput, now time.Time) (ContactDetails, error) {
	if !safeguarding.CanEditContactDetails(p, prev.s.School) {
		return ContactDetails{}, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	next := ContactDetails{s: ContactDetailsSnapshot{School: prev.s.School, Family: prev.s.Family, Pupils: prev.s.Pupils, Version: prev.s.Version + 1,
		ChangedAt: now.UTC(), ChangedBy: p.Email}}
	if len(in.Phones) > MaxContactPhones {
		ps.Add("phones", "at most %d numbers", MaxContactPhones)
	}
	seen := map[string]bool{}
	for i, ph := range in.Phones {
		if i >= MaxContactPhones {
			break
		}
		field := fmt.Sprintf("phones[%d]", i)
		label := strings.TrimSpace(ph.Label)
		number, ok := checkPhone(&ps, field, label, ph.Number)
		if ok && seen[number] {
			ps.Add(field+".number", "the same number is listed twice")
		}
		seen[number] = true
		// A label names its number in later changes and in the history: no two alike.
		if slices.ContainsFunc(next.s.Phones, func(o ContactPhone) bool { return sameLabel(o.Label, label) }) && label != "" {
			ps.Add(field+".label", "two numbers have the same name: tell them apart (for example \"Mum, mobile\" and \"Mum, work\")")
		}
		if ph.ConfirmedAt.After(now.Add(5 * time.Minute)) {
			ps.Add(field+".confirmedAt", "when the number was last confirmed, not in the future")
		}
		confirmed := time.Time{}
		if !ph.ConfirmedAt.IsZero() {
			confirmed = ph.ConfirmedAt.UTC()
		}
		next.s.Phones = append(next.s.Phones, ContactPhone{Label: label, Number: number, ConfirmedAt: confirmed})
	}
	next.s.Address = checkAddress(&ps, in.Address)
	next.s.Reason = strings.TrimSpace(in.Reason)
	if next.s.Reason == "" {
		ps.Add("reason", "say why the details change (for example \"confirmed by phone with Mum\")")
	}
	safeguarding.CheckText(&ps, "reason", next.s.Reason, MaxContactReason)
	if err := ps.Err(); err != nil {
		return ContactDetails{}, err
	}
	next.s.Changes = DescribeChanges(prev, next, nil)
	if in.Version != prev.s.Version {
		return ContactDetails{}, fmt.Errorf("editing version %d of contact details now at %d: %w", in.Version, prev.s.Version, safeguarding.ErrConflict)
	}
	return next, nil
}

// Designate sets whether the person is designated for closure contact (a DSL only); staff
// must be members of the school. The history keeps every change (rule P4).
func (c ClosureContact) Designate(p safeguarding.Principal, staff safeguarding.Principal, active bool, reason string, now time.Time) (ClosureContact, error) {
	if !p.IsDSL(c.School) {
		return ClosureContact{}, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	if active && !staff.IsMember(c.School) {
		ps.Add("email", "not a member of staff of this school")
	}
	reason = strings.TrimSpace(reason)
	safeguarding.CheckText(&ps, "reason", reason, MaxContactReason)
	if err := ps.Err(); err != nil {
		return ClosureContact{}, err
	}
	next := c
	next.History = append(append([]ClosureContactEvent(nil), c.History...), ClosureContactEvent{At: now.UTC(), By: p.Email, Active: active, Reason: reason})
	next.Active = active
	next.Version++
	return next, nil
}
