package main

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// The office's form for a family's contact details (rules P3, P4). The office may change the
// details but not see them, so the form lists each number by whose it is, never its digits:
// a tick confirms one, a number typed under it replaces it, removing one is a choice with a
// reason, new numbers are added below, and the address changes only when "Change the address"
// is ticked. Nothing else is touched. The form is checked before it is saved: the page says
// what saving will do ("adds 1 number, keeps 2 numbers and the address"), and only a form
// saved as it was checked is saved.

// heldRow is one number the family has, as the office's form sends it.
type heldRow struct {
	Label         string
	LastConfirmed string // when it was last confirmed, for the page
	Confirmed     bool
	Number        string // a new number that replaces it
	Remove        bool
	RemoveReason  string
}

// newRow is a number to add.
type newRow struct {
	Label, Number string
	Confirmed     bool
}

// contactPatchForm is the office's form as it was sent.
type contactPatchForm struct {
	Key, Version, Reason string
	// Checked is the fingerprint of the form as the page last checked it: saving needs the
	// form to be the one whose changes the page showed.
	Checked       string
	Save          bool
	Held          []heldRow
	New           []newRow
	ChangeAddress bool
	Lines         []string
	Postcode      string
}

// newRows is how many rows for new numbers the office's form offers.
const newRows = 2

// readContactPatchForm reads the office's form: held-N-label, held-N-confirmed ("yes"),
// held-N-number, held-N-remove ("yes") and held-N-remove-reason for each number the family
// has; new-N-label, new-N-number and new-N-confirmed; change-address ("yes"), address-line-N,
// address-postcode, reason, version, key, checked and step ("save" or "check"). It reads one
// row more than the domain allows, so the domain can say there are too many.
func readContactPatchForm(v url.Values) contactPatchForm {
	f := contactPatchForm{Key: strings.TrimSpace(v.Get("key")), Version: strings.TrimSpace(v.Get("version")),
		Reason: v.Get("reason"), Checked: v.Get("checked"), Save: v.Get("step") == "save",
		ChangeAddress: v.Get("change-address") == "yes", Postcode: v.Get("address-postcode")}
	for i := range contact.MaxContactPhones + 1 {
		n := "held-" + strconv.Itoa(i)
		if !v.Has(n + "-label") {
			break
		}
		f.Held = append(f.Held, heldRow{Label: v.Get(n + "-label"), Confirmed: v.Get(n+"-confirmed") == "yes",
			Number: v.Get(n + "-number"), Remove: v.Get(n+"-remove") == "yes", RemoveReason: v.Get(n + "-remove-reason")})
	}
	for i := range contact.MaxContactPhones + 1 {
		n := "new-" + strconv.Itoa(i)
		if !v.Has(n+"-label") && !v.Has(n+"-number") {
			break
		}
		f.New = append(f.New, newRow{Label: v.Get(n + "-label"), Number: v.Get(n + "-number"), Confirmed: v.Get(n+"-confirmed") == "yes"})
	}
	for i := range addressRows {
		f.Lines = append(f.Lines, v.Get("address-line-"+strconv.Itoa(i)))
	}
	return f
}

// fingerprint is the form's content: what is saved, whichever step sends it.
func (f contactPatchForm) fingerprint(school safeguarding.SchoolID, family string) string {
	parts := []string{"contact-patch", string(school), family, f.Version, f.Reason, strconv.FormatBool(f.ChangeAddress), f.Postcode}
	for _, h := range f.Held {
		parts = append(parts, h.Label, strconv.FormatBool(h.Confirmed), h.Number, strconv.FormatBool(h.Remove), h.RemoveReason)
	}
	for _, n := range f.New {
		if n != (newRow{}) {
			parts = append(parts, n.Label, n.Number, strconv.FormatBool(n.Confirmed))
		}
	}
	return commandFingerprint(append(parts, f.Lines...)...)
}

// patch turns the form into the domain's change; anchors maps each of the domain's field
// names to the element it belongs to on the form. Problems only the form can see come back as
// problems.
func (f contactPatchForm) patch() (contact.ContactPatch, map[string]string, []problem) {
	var in contact.ContactPatch
	var ps []problem
	anchors := map[string]string{"phones": "new-0-label", "address.lines": "address-line-0",
		"address.postcode": "address-postcode", "reason": "reason"}
	version, err := strconv.Atoi(f.Version)
	if err != nil || version < 0 {
		ps = append(ps, problem{Anchor: "reason", Message: "The form is out of date: reload the page and type the changes again"})
	}
	in.Version, in.Reason = version, f.Reason
	phone := func(label, number string, confirmed bool, id string) {
		field := "phones[" + strconv.Itoa(len(in.Phones)) + "]"
		anchors[field+".label"], anchors[field+".number"] = id+"-label", id+"-number"
		in.Phones = append(in.Phones, contact.PatchPhone{Label: label, Number: number, Confirmed: confirmed})
	}
	for i, h := range f.Held {
		id := "held-" + strconv.Itoa(i)
		switch {
		case strings.TrimSpace(h.Number) != "":
			phone(h.Label, h.Number, h.Confirmed, id)
			anchors["phones["+strconv.Itoa(len(in.Phones)-1)+"].label"] = id + "-number"
		case h.Confirmed:
			anchors["confirm["+strconv.Itoa(len(in.Confirm))+"]"] = id + "-confirmed"
			in.Confirm = append(in.Confirm, h.Label)
		}
		if h.Remove {
			field := "remove[" + strconv.Itoa(len(in.Remove)) + "]"
			anchors[field+".label"], anchors[field+".reason"] = id+"-remove", id+"-remove-reason"
			in.Remove = append(in.Remove, contact.ContactRemoval{Label: h.Label, Reason: h.RemoveReason})
		}
	}
	for i, n := range f.New {
		if strings.TrimSpace(n.Label) == "" && strings.TrimSpace(n.Number) == "" && !n.Confirmed {
			continue
		}
		phone(n.Label, n.Number, n.Confirmed, "new-"+strconv.Itoa(i))
		anchors["phones["+strconv.Itoa(len(in.Phones)-1)+"].label"] = "new-" + strconv.Itoa(i) + "-label"
	}
	if f.ChangeAddress {
		in.Address = &contact.ContactAddress{Postcode: f.Postcode}
		for i, l := range f.Lines {
			if strings.TrimSpace(l) == "" {
				continue
			}
			anchors["address.lines["+strconv.Itoa(len(in.Address.Lines))+"]"] = "address-line-" + strconv.Itoa(i)
			in.Address.Lines = append(in.Address.Lines, l)
		}
	}
	return in, anchors, ps
}

// changesView is what the page says saving will do, number by number.
type changesView struct {
	Summary                          string
	Added, Replaced, Confirmed, Kept []string
	Removed                          []contact.ContactRemoval
	Address                          string
}

func toChangesView(c contact.ContactChanges) *changesView {
	v := &changesView{Summary: c.Summary(), Added: c.Added, Replaced: c.Replaced, Confirmed: c.Confirmed, Kept: c.Kept, Removed: c.Removed}
	switch c.Address {
	case contact.AddressAdded:
		v.Address = "Adds the address"
	case contact.AddressChanged:
		v.Address = "Changes the address"
	case contact.AddressKept:
		v.Address = "Keeps the address"
	}
	return v
}

// patchForm fills the office's form for the numbers the family has now: a form sent back keeps
// what was typed for each number, matched by whose it is.
func patchForm(start contact.ContactEditStart, sent *contactPatchForm) contactPatchForm {
	var f contactPatchForm
	if sent != nil {
		f = *sent
	}
	f.Held = nil
	for _, n := range start.Held {
		row := heldRow{Label: n.Label, LastConfirmed: when(n.ConfirmedAt)}
		if sent != nil {
			for _, s := range sent.Held {
				if strings.EqualFold(strings.TrimSpace(s.Label), strings.TrimSpace(n.Label)) {
					row.Confirmed, row.Number, row.Remove, row.RemoveReason = s.Confirmed, s.Number, s.Remove, s.RemoveReason
				}
			}
		}
		f.Held = append(f.Held, row)
	}
	room := max(1, min(newRows, contact.MaxContactPhones-len(start.Held)))
	for len(f.New) < room {
		f.New = append(f.New, newRow{})
	}
	for len(f.Lines) < addressRows {
		f.Lines = append(f.Lines, "")
	}
	return f
}

// submitContactPatch checks the office's form and, once the page has shown what saving will
// do and the form is sent as it was checked, saves it (rules P3, P4).
func (h *Handler) submitContactPatch(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := r.param("id")
	f := readContactPatchForm(r.form)
	st := contactEditState{sent: true, patch: &f}
	in, anchors, own := f.patch()
	for _, p := range own {
		st.problems.add(p.Anchor, p.Message)
	}
	fp := f.fingerprint(school, id)
	if len(own) > 0 || !f.Save || f.Checked != fp {
		st.check, st.anchors, st.recheck = &in, anchors, f.Save
		return h.contactEditWith(ctx, r, s, st)
	}
	_, err := h.Contacts.Patch(ctx, r.caller(s.claims.Email), school, id, in, requestKey(school, s.claims.Email, formKeyOf(f.Key)), fp)
	return h.contactSaved(ctx, r, s, st, anchors, err)
}
