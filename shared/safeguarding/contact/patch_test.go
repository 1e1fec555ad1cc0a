package contact

import (
	"errors"
	"slices"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// heldDetails is a family with two numbers and an address, at version 3.
func heldDetails(t *testing.T) ContactDetails {
	t.Helper()
	confirmed := london(t, "2026-09-07 09:00:00")
	return RestoreContactDetails(ContactDetailsSnapshot{School: school, Family: "fam-1", Version: 3,
		Phones: []ContactPhone{
			{Label: "Mum, mobile", Number: "07700 900100", ConfirmedAt: confirmed},
			{Label: "Home", Number: "0117 4960100", ConfirmedAt: confirmed},
		},
		Address: ContactAddress{Lines: []string{"1 Alder Road"}, Postcode: "ZZ1 1AA"}})
}

// Rule P4: a change that names one new number keeps the address and every other number, as
// they were; the office never typed them, and nothing it could not see is lost.
func TestRule_P4_APatchNamingOneNewNumberKeepsEverythingElse(t *testing.T) {
	prev := heldDetails(t)
	now := london(t, "2026-11-23 10:00:00")
	next, err := PatchContactDetails(office, prev, ContactPatch{Version: 3, Reason: "Gran phoned the office",
		Phones: []PatchPhone{{Label: "Gran, mobile", Number: "07700900555", Confirmed: true}}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if next.Version() != 4 || len(next.Phones()) != 3 || next.Address().Postcode != "ZZ1 1AA" || !slices.Equal(next.Address().Lines, prev.Address().Lines) {
		t.Fatalf("next: %+v", next)
	}
	for i := range prev.Phones() {
		if next.Phones()[i] != prev.Phones()[i] {
			t.Errorf("number %d changed: %+v, was %+v", i, next.Phones()[i], prev.Phones()[i])
		}
	}
	if added := next.Phones()[2]; added.Label != "Gran, mobile" || added.Number != "07700 900555" || !added.ConfirmedAt.Equal(now) {
		t.Errorf("added: %+v", added)
	}
	if got, want := next.Changes().Summary(), "adds 1 number, keeps 2 numbers and the address"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}
	if next.ChangedBy() != office.Email || next.Reason() != "Gran phoned the office" {
		t.Errorf("who and why: %q %q", next.ChangedBy(), next.Reason())
	}
	if prev.Phones()[0].Number != "07700 900100" || len(prev.Phones()) != 2 {
		t.Error("the version read was changed in place")
	}
}

// Rule P4: a number typed under a label the family has replaces that number only; a tick
// confirms one; a removal removes only what it names, with its reason kept; the address
// changes only when a new one is given.
func TestRule_P4_APatchReplacesConfirmsAndRemovesOnlyWhatItNames(t *testing.T) {
	prev := heldDetails(t)
	now := london(t, "2026-11-23 10:00:00")

	next, err := PatchContactDetails(office, prev, ContactPatch{Version: 3, Reason: "Mum has a new phone",
		Phones: []PatchPhone{{Label: "mum,  MOBILE", Number: "07700 900199"}}, Confirm: []string{"home"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if p := next.Phones()[0]; p.Label != "Mum, mobile" || p.Number != "07700 900199" || !p.ConfirmedAt.IsZero() {
		t.Errorf("replaced: %+v (its label kept as written, the new number not yet confirmed)", p)
	}
	if p := next.Phones()[1]; p.Number != "0117 4960100" || !p.ConfirmedAt.Equal(now) {
		t.Errorf("confirmed: %+v", p)
	}
	if got, want := next.Changes().Summary(), "replaces 1 number, confirms 1 number, keeps the address"; got != want {
		t.Errorf("summary %q, want %q", got, want)
	}

	next, err = PatchContactDetails(office, prev, ContactPatch{Version: 3, Reason: "Landline cut off",
		Remove: []ContactRemoval{{Label: "Home", Reason: "Line no longer in use"}}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(next.Phones()) != 1 || next.Phones()[0] != prev.Phones()[0] || next.Address().IsZero() {
		t.Errorf("after removing Home: %+v", next)
	}
	if r := next.Changes().Removed; len(r) != 1 || r[0] != (ContactRemoval{Label: "Home", Reason: "Line no longer in use"}) {
		t.Errorf("removal kept as %+v", r)
	}

	next, err = PatchContactDetails(office, prev, ContactPatch{Version: 3, Reason: "Moved house",
		Address: &ContactAddress{Lines: []string{" 9 Beech Close "}, Postcode: "zz2 2bb"}}, now)
	if err != nil {
		t.Fatal(err)
	}
	if next.Address().Postcode != "ZZ2 2BB" || next.Address().Lines[0] != "9 Beech Close" || len(next.Phones()) != 2 ||
		next.Changes().Address != AddressChanged || next.Changes().Summary() != "changes the address, keeps 2 numbers" {
		t.Errorf("address change: %+v, %q", next, next.Changes().Summary())
	}
}

// Rule P4: a change that would lose something by mistake, or changes nothing, is refused with
// each problem named; a stale one is a conflict.
func TestRule_P4_APatchIsCheckedBeforeAnythingChanges(t *testing.T) {
	prev := heldDetails(t)
	now := london(t, "2026-11-23 10:00:00")
	for _, c := range []struct {
		name  string
		patch ContactPatch
		want  []string
	}{
		{"nothing", ContactPatch{Version: 3, Reason: "x"}, []string{"phones"}},
		{"no reason", ContactPatch{Version: 3, Confirm: []string{"Home"}}, []string{"reason"}},
		{"an unknown removal", ContactPatch{Version: 3, Reason: "x", Remove: []ContactRemoval{{Label: "Dad", Reason: "gone"}}}, []string{"remove[0].label"}},
		{"a removal without why", ContactPatch{Version: 3, Reason: "x", Remove: []ContactRemoval{{Label: "Home"}}}, []string{"remove[0].reason"}},
		{"replace and remove", ContactPatch{Version: 3, Reason: "x", Phones: []PatchPhone{{Label: "Home", Number: "0117 4960199"}},
			Remove: []ContactRemoval{{Label: "Home", Reason: "r"}}}, []string{"remove[0].label"}},
		{"an unknown confirmation", ContactPatch{Version: 3, Reason: "x", Confirm: []string{"Dad"}}, []string{"confirm[0]"}},
		{"a bad number", ContactPatch{Version: 3, Reason: "x", Phones: []PatchPhone{{Label: "Gran", Number: "12"}}}, []string{"phones[0].number"}},
		{"no label", ContactPatch{Version: 3, Reason: "x", Phones: []PatchPhone{{Number: "07700 900555"}}}, []string{"phones[0].label"}},
		{"a number held under another label", ContactPatch{Version: 3, Reason: "x", Phones: []PatchPhone{{Label: "Gran", Number: "07700900100"}}}, []string{"phones[0].number"}},
		{"one label twice", ContactPatch{Version: 3, Reason: "x", Phones: []PatchPhone{{Label: "Gran", Number: "07700 900555"}, {Label: "gran", Number: "07700 900556"}}}, []string{"phones[1].label"}},
		{"an empty address", ContactPatch{Version: 3, Reason: "x", Address: &ContactAddress{}}, []string{"address.lines"}},
		{"too many numbers", ContactPatch{Version: 3, Reason: "x", Phones: []PatchPhone{{Label: "a", Number: "07700 900551"}, {Label: "b", Number: "07700 900552"},
			{Label: "c", Number: "07700 900553"}, {Label: "d", Number: "07700 900554"}, {Label: "e", Number: "07700 900555"}}}, []string{"phones"}},
	} {
		_, err := PatchContactDetails(office, prev, c.patch, now)
		if got := problemFields(err); !slices.Equal(got, c.want) {
			t.Errorf("%s: problems %v (%v), want %v", c.name, got, err, c.want)
		}
	}
	if _, err := PatchContactDetails(office, prev, ContactPatch{Version: 2, Reason: "x", Confirm: []string{"Home"}}, now); !errors.Is(err, safeguarding.ErrConflict) {
		t.Errorf("a stale change: %v, want a conflict", err)
	}
	if _, err := PatchContactDetails(teacher, prev, ContactPatch{Version: 3, Reason: "x", Confirm: []string{"Home"}}, now); !errors.Is(err, safeguarding.ErrForbidden) {
		t.Errorf("a teacher's change: %v, want forbidden", err)
	}
}

// Rule P4: every version says what it changed, in words the page can show before saving.
func TestRule_P4_ChangesAreSummedUpInPlainWords(t *testing.T) {
	for _, c := range []struct {
		changes ContactChanges
		want    string
	}{
		{ContactChanges{Added: []string{"a"}, Kept: []string{"b", "c"}, Address: AddressKept}, "adds 1 number, keeps 2 numbers and the address"},
		{ContactChanges{Removed: []ContactRemoval{{Label: "a"}}, Kept: []string{"b"}, Address: AddressNone}, "removes 1 number, keeps 1 number"},
		{ContactChanges{Added: []string{"a", "b"}, Address: AddressAdded}, "adds 2 numbers, adds the address"},
		{ContactChanges{Address: AddressKept}, "keeps the address"},
		{ContactChanges{Address: AddressNone}, "changes nothing"},
	} {
		if got := c.changes.Summary(); got != c.want {
			t.Errorf("%+v: %q, want %q", c.changes, got, c.want)
		}
	}
}
