package contact

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// ContactPatch is a change to a family's contact details that names only what changes (rule
// P4): the office may keep the details up to date without seeing them (rule P3), so it cannot
// be asked to type again what it cannot see. Everything it does not name is kept.
type ContactPatch struct {
	// Version is the version the editor read (0 when none was recorded yet).
	Version int
	Reason  string
	// Phones are numbers added, or each replacing the number held under the same label.
	Phones []PatchPhone
	// Confirm names numbers held that someone confirmed up to date now, by their labels.
	Confirm []string
	// Remove names numbers held to remove, each with why.
	Remove []ContactRemoval
	// Address replaces the address; nil keeps it.
	Address *ContactAddress
}

// PatchPhone is a number typed in: Confirmed says it was confirmed up to date now.
type PatchPhone struct {
	Label     string
	Number    string
	Confirmed bool
}

// ContactRemoval is a number removed on purpose, named by its label, with the reason.
type ContactRemoval struct {
	Label  string
	Reason string
}

// AddressChange is what a version did to the address.
type AddressChange string

// What a version can do to the address.
const (
	AddressNone    AddressChange = "none" // none was held, none is
	AddressKept    AddressChange = "kept"
	AddressAdded   AddressChange = "added"
	AddressChanged AddressChange = "changed"
	AddressRemoved AddressChange = "removed"
)

// ContactChanges is what one version changed, by the numbers' labels and never a number or an
// address line, so it can be shown to the office (rule P3) and kept with the version (P4).
type ContactChanges struct {
	Added     []string
	Replaced  []string
	Confirmed []string
	Removed   []ContactRemoval
	Kept      []string
	Address   AddressChange
}

// IsZero reports whether nothing changes.
func (c ContactChanges) IsZero() bool {
	return len(c.Added) == 0 && len(c.Replaced) == 0 && len(c.Confirmed) == 0 && len(c.Removed) == 0 &&
		(c.Address == AddressNone || c.Address == AddressKept || c.Address == "")
}

// Summary says the change in plain words, as the page shows it before saving: "adds 1
// number, keeps 2 numbers and the address".
func (c ContactChanges) Summary() string {
	numbers := func(n int) string {
		if n == 1 {
			return "1 number"
		}
		return strconv.Itoa(n) + " numbers"
	}
	var parts []string
	for _, p := range []struct {
		verb string
		n    int
	}{{"adds", len(c.Added)}, {"replaces", len(c.Replaced)}, {"confirms", len(c.Confirmed)}, {"removes", len(c.Removed)}} {
		if p.n > 0 {
			parts = append(parts, p.verb+" "+numbers(p.n))
		}
	}
	switch c.Address {
	case AddressAdded:
		parts = append(parts, "adds the address")
	case AddressChanged:
		parts = append(parts, "changes the address")
	case AddressRemoved:
		parts = append(parts, "removes the address")
	}
	switch kept := len(c.Kept); {
	case kept > 0 && c.Address == AddressKept:
		parts = append(parts, "keeps "+numbers(kept)+" and the address")
	case kept > 0:
		parts = append(parts, "keeps "+numbers(kept))
	case c.Address == AddressKept:
		parts = append(parts, "keeps the address")
	}
	if len(parts) == 0 {
		return "changes nothing"
	}
	return strings.Join(parts, ", ")
}

// sameLabel compares labels as people type them: capitals and spacing aside.
func sameLabel(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// DescribeChanges is what next changed from prev, number by number under their labels; a
// removal's reason comes from removed when it names it.
func DescribeChanges(prev, next ContactDetails, removed []ContactRemoval) ContactChanges {
	var c ContactChanges
	for _, n := range next.s.Phones {
		i := slices.IndexFunc(prev.s.Phones, func(p ContactPhone) bool { return sameLabel(p.Label, n.Label) })
		switch {
		case i < 0:
			c.Added = append(c.Added, n.Label)
		case prev.s.Phones[i].Number != n.Number:
			c.Replaced = append(c.Replaced, n.Label)
		case n.ConfirmedAt.After(prev.s.Phones[i].ConfirmedAt):
			c.Confirmed = append(c.Confirmed, n.Label)
		default:
			c.Kept = append(c.Kept, n.Label)
		}
	}
	for _, p := range prev.s.Phones {
		if !slices.ContainsFunc(next.s.Phones, func(n ContactPhone) bool { return sameLabel(p.Label, n.Label) }) {
			r := ContactRemoval{Label: p.Label}
			if j := slices.IndexFunc(removed, func(r ContactRemoval) bool { return sameLabel(r.Label, p.Label) }); j >= 0 {
				r.Reason = removed[j].Reason
			}
			c.Removed = append(c.Removed, r)
		}
	}
	switch was, is := !prev.s.Address.IsZero(), !next.s.Address.IsZero(); {
	case !was && !is:
		c.Address = AddressNone
	case !was:
		c.Address = AddressAdded
	case !is:
		c.Address = AddressRemoved
	case slices.Equal(prev.s.Address.Lines, next.s.Address.Lines) && prev.s.Address.Postcode == next.s.Address.Postcode:
		c.Address = AddressKept
	default:
		c.Address = AddressChanged
	}
	return c
}

// PatchContactDetails is the next version of a family's contact details after a change that
// names only what changes (rules P3, P4): p is the office or a DSL (ErrForbidden otherwise),
// every number typed is added or replaces the one held under its label, confirmations and
// removals name numbers held, a removal says why, the address changes only when a new one is
// given, and everything else is kept. in.Version must be the version read (ErrConflict). A
// change that changes nothing is refused, so no empty version hides the last real one.
func PatchContactDetails(p safeguarding.Principal, prev ContactDetails, in ContactPatch, now time.Time) (ContactDetails, error) {
	if !safeguarding.CanEditContactDetails(p, prev.s.School) {
		return ContactDetails{}, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	next := ContactDetails{s: ContactDetailsSnapshot{School: prev.s.School, Family: prev.s.Family, Pupils: prev.s.Pupils, Version: prev.s.Version + 1,
		ChangedAt: now.UTC(), ChangedBy: p.Email, Phones: slices.Clone(prev.s.Phones), Address: prev.s.Address}}
	held := func(label string) int {
		return slices.IndexFunc(next.s.Phones, func(ph ContactPhone) bool { return sameLabel(ph.Label, label) })
	}

	var removals []ContactRemoval
	for i, r := range in.Remove {
		field := fmt.Sprintf("remove[%d]", i)
		label, reason := strings.TrimSpace(r.Label), strings.TrimSpace(r.Reason)
		j := held(label)
		switch {
		case j < 0:
			ps.Add(field+".label", "the family has no number under this name")
		case slices.ContainsFunc(in.Phones, func(ph PatchPhone) bool { return sameLabel(ph.Label, label) }):
			ps.Add(field+".label", "a new number is typed for it: replace it or remove it, not both")
		}
		if reason == "" {
			ps.Add(field+".reason", "say why the number is removed (for example \"no longer in use\")")
		}
		safeguarding.CheckText(&ps, field+".reason", reason, MaxContactReason)
		if j >= 0 {
			removals = append(removals, ContactRemoval{Label: next.s.Phones[j].Label, Reason: reason})
			next.s.Phones = slices.Delete(next.s.Phones, j, j+1)
		}
	}

	for i, ph := range in.Phones {
		field := fmt.Sprintf("phones[%d]", i)
		label := strings.TrimSpace(ph.Label)
		number, ok := checkPhone(&ps, field, label, ph.Number)
		if slices.ContainsFunc(in.Phones[:i], func(o PatchPhone) bool { return sameLabel(o.Label, label) }) {
			ps.Add(field+".label", "two numbers are typed under the same name")
			continue
		}
		if !ok {
			continue
		}
		if k := slices.IndexFunc(next.s.Phones, func(o ContactPhone) bool { return o.Number == number && !sameLabel(o.Label, label) }); k >= 0 {
			ps.Add(field+".number", "the family already has this number, under %q", next.s.Phones[k].Label)
			continue
		}
		row := ContactPhone{Label: label, Number: number}
		if ph.Confirmed {
			row.ConfirmedAt = now.UTC()
		}
		if j := held(label); j >= 0 {
			row.Label = next.s.Phones[j].Label
			if number == next.s.Phones[j].Number && !ph.Confirmed {
				row.ConfirmedAt = next.s.Phones[j].ConfirmedAt // the same number typed again
			}
			next.s.Phones[j] = row
		} else {
			next.s.Phones = append(next.s.Phones, row)
		}
	}

	for i, label := range in.Confirm {
		j := held(strings.TrimSpace(label))
		if j < 0 {
			ps.Add(fmt.Sprintf("confirm[%d]", i), "the family has no number under this name")
			continue
		}
		next.s.Phones[j].ConfirmedAt = now.UTC()
	}

	if len(next.s.Phones) > MaxContactPhones {
		ps.Add("phones", "at most %d numbers: remove one first", MaxContactPhones)
	}
	if in.Address != nil {
		next.s.Address = checkAddress(&ps, *in.Address)
		if len(in.Address.Lines) == 0 && strings.TrimSpace(in.Address.Postcode) == "" {
			ps.Add("address.lines", "the new address: its first line and its postcode")
		}
	}
	next.s.Reason = strings.TrimSpace(in.Reason)
	if next.s.Reason == "" {
		ps.Add("reason", "say why the details change (for example \"Mum phoned with her new number\")")
	}
	safeguarding.CheckText(&ps, "reason", next.s.Reason, MaxContactReason)
	if err := ps.Err(); err != nil {
		return ContactDetails{}, err
	}
	// A stale change is a conflict before anything else: what it would change was meant
	// against the version its editor read.
	if in.Version != prev.s.Version {
		return ContactDetails{}, fmt.Errorf("changing version %d of contact details now at %d: %w", in.Version, prev.s.Version, safeguarding.ErrConflict)
	}
	next.s.Changes = DescribeChanges(prev, next, removals)
	if next.s.Changes.IsZero() {
		return ContactDetails{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "phones",
			Message: "nothing changes: add or replace a number, confirm or remove one, or change the address"}}}
	}
	return next, nil
}

// checkPhone checks one number and its label, and returns the number in its one written form.
func checkPhone(ps *safeguarding.Problems, field, label, number string) (string, bool) {
	if label == "" {
		ps.Add(field+".label", "say whose number it is (for example \"Mum, mobile\")")
	}
	safeguarding.CheckText(ps, field+".label", label, MaxContactLabel)
	n, ok := safeguarding.NormalisePhone(number)
	if !ok {
		ps.Add(field+".number", "a UK phone number (like 07700 900000) or an international one starting with +")
	}
	return n, ok
}

// checkAddress checks an address and returns it trimmed, its postcode in its written form.
func checkAddress(ps *safeguarding.Problems, in ContactAddress) ContactAddress {
	var out ContactAddress
	if len(in.Lines) > MaxAddressLines {
		ps.Add("address.lines", "at most %d lines", MaxAddressLines)
	}
	for i, l := range in.Lines {
		if i >= MaxAddressLines {
			break
		}
		l = strings.TrimSpace(l)
		if l == "" {
			ps.Add(fmt.Sprintf("address.lines[%d]", i), "leave out empty lines")
			continue
		}
		safeguarding.CheckText(ps, fmt.Sprintf("address.lines[%d]", i), l, MaxAddressLineChars)
		out.Lines = append(out.Lines, l)
	}
	if strings.TrimSpace(in.Postcode) != "" {
		pc, ok := NormalisePostcode(in.Postcode)
		if !ok {
			ps.Add("address.postcode", "a UK postcode, like ZZ99 9ZZ")
		}
		out.Postcode = pc
	}
	if len(out.Lines) == 0 && out.Postcode != "" {
		ps.Add("address.lines", "the first line of the address, with the postcode")
	}
	return out
}
