package main

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// Changing a family's contact details (rules P3, P4), by the office or a DSL: a new version
// with a reason, saved against the version the page was opened at. Someone who may see the
// details (a DSL) gets them in the form and saves them all; the office, which may not, gets
// its own form that names only what changes (contactpatch.go). Nothing typed stays in the
// browser (autocomplete off, no cache).

// phoneRow is one number as the form sends it. ConfirmedAt is the confirmation the page was
// opened with (RFC 3339, only on a DSL's form); Confirmed is the "confirmed up to date today"
// tick, which confirms it now.
type phoneRow struct {
	Label, Number, ConfirmedAt string
	Confirmed                  bool
	LastConfirmed              string
}

// contactEditForm is the contact details form as it was sent.
type contactEditForm struct {
	Key, Version, Reason string
	Phones               []phoneRow
	Lines                []string
	Postcode             string
}

// Rows of the form: the numbers, and the lines of the address.
const (
	phoneRowsMin = 3
	addressRows  = contact.MaxAddressLines
)

// readContactEditForm reads the form's fields: phone-N-label, phone-N-number,
// phone-N-confirmed ("yes") and phone-N-confirmed-at for N from 0, address-line-N,
// address-postcode, reason, version and key. It reads one row more than the domain allows, so
// the domain can say there are too many.
func readContactEditForm(v url.Values) contactEditForm {
	f := contactEditForm{Key: strings.TrimSpace(v.Get("key")), Version: strings.TrimSpace(v.Get("version")),
		Reason: v.Get("reason"), Postcode: v.Get("address-postcode")}
	for i := range contact.MaxContactPhones + 1 {
		n := "phone-" + strconv.Itoa(i)
		f.Phones = append(f.Phones, phoneRow{Label: v.Get(n + "-label"), Number: v.Get(n + "-number"),
			ConfirmedAt: strings.TrimSpace(v.Get(n + "-confirmed-at")), Confirmed: v.Get(n+"-confirmed") == "yes"})
	}
	for i := range addressRows {
		f.Lines = append(f.Lines, v.Get("address-line-"+strconv.Itoa(i)))
	}
	return f
}

func (f contactEditForm) fingerprint(school safeguarding.SchoolID, family string) string {
	parts := []string{"contact-details", string(school), family, f.Version, f.Reason, f.Postcode}
	for _, p := range f.Phones {
		parts = append(parts, p.Label, p.Number, p.ConfirmedAt, strconv.FormatBool(p.Confirmed))
	}
	return commandFingerprint(append(parts, f.Lines...)...)
}

// input turns the form into the domain's change. Blank rows are left out; anchors maps each
// of the domain's field names to the element it belongs to on the form. Problems only the
// form can see come back as problems; everything else is the domain's to check.
func (f contactEditForm) input(now time.Time) (contact.ContactInput, map[string]string, []problem) {
	var in contact.ContactInput
	var ps []problem
	anchors := map[string]string{"phones": "phone-0-label", "address.lines": "address-line-0",
		"address.postcode": "address-postcode", "reason": "reason"}
	version, err := strconv.Atoi(f.Version)
	if err != nil || version < 0 {
		ps = append(ps, problem{Anchor: "reason", Message: "The form is out of date: reload the page and type the details again"})
	}
	in.Version = version
	for i, row := range f.Phones {
		if strings.TrimSpace(row.Label) == "" && strings.TrimSpace(row.Number) == "" && !row.Confirmed {
			continue
		}
		ph := contact.ContactPhone{Label: row.Label, Number: row.Number}
		if row.ConfirmedAt != "" {
			at, err := time.Parse(time.RFC3339, row.ConfirmedAt)
			if err != nil {
				ps = append(ps, problem{Anchor: "phone-" + strconv.Itoa(i) + "-confirmed", Message: "Tick whether the number was confirmed today"})
			}
			ph.ConfirmedAt = at
		}
		if row.Confirmed {
			ph.ConfirmedAt = now
		}
		field, id := "phones["+strconv.Itoa(len(in.Phones))+"]", "phone-"+strconv.Itoa(i)
		anchors[field+".label"], anchors[field+".number"], anchors[field+".confirmedAt"] = id+"-label", id+"-number", id+"-confirmed"
		in.Phones = append(in.Phones, ph)
	}
	for i, l := range f.Lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		anchors["address.lines["+strconv.Itoa(len(in.Address.Lines))+"]"] = "address-line-" + strconv.Itoa(i)
		in.Address.Lines = append(in.Address.Lines, l)
	}
	in.Address.Postcode = f.Postcode
	in.Reason = f.Reason
	return in, anchors, ps
}

type contactEditView struct {
	SchoolName, Reference string
	Children              []string
	// Shown: the editor may see the details (a DSL), and the form starts from them.
	Shown             bool
	Numbers, UpToDate int
	HasAddress        bool
	ChangedAt         string
	Conflict          bool
	// Saved are the details saved now, shown to a DSL whose save lost to someone else's.
	Saved               []phoneRow
	SavedAddress        []string
	Problems            formProblems
	Form                contactEditForm
	PostURL, ReportLink string
	UpToDateDays        int
	// Patch is the office's form (when not Shown); Changes what saving it will do, once
	// checked; Recheck that it changed after it was checked.
	Patch        contactPatchForm
	Changes      *changesView
	Recheck      bool
	VersionsLink string
}

// contactEditState is the form as sent, its problems, and whether it lost to someone else's
// save.
type contactEditState struct {
	sent     bool
	problems formProblems
	form     contactEditForm
	conflict bool
	// The office's form as sent, the change to check, its anchors, and whether it was sent
	// to be saved but had changed since it was checked.
	patch   *contactPatchForm
	check   *contact.ContactPatch
	anchors map[string]string
	recheck bool
	// reason is why a DSL opens one more family's details this hour (rule P3), sent by the
	// question why.
	reason contact.OpeningReason
}

// contactDetailsPage is a page of one family's details under the office's report (the form
// that changes them, the earlier versions) as askWhy needs it.
func contactDetailsPage(school safeguarding.SchoolID, post string) openingPage {
	return openingPage{post: post, back: contactReportPath(school), backText: "Back to families short of contact numbers", nav: "contact-report"}
}

func (h *Handler) contactEdit(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.contactEditWith(ctx, r, s, contactEditState{})
}

// contactEditWith shows the form to the office or a DSL: a DSL's starts from the details (an
// audited view, rule P3, that counts toward the hour like the call screen: past the hour's
// families it asks why first, askWhy); the office's is blank, with how many numbers the family
// has, and counts nothing. A form sent back keeps what was typed; after someone else's save it
// is sent against the new version.
func (h *Handler) contactEditWith(ctx context.Context, r *request, s session, st contactEditState) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := r.param("id")
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Contacts == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	start, err := h.Contacts.StartContactEdit(ctx, r.caller(s.claims.Email), school, id, upToDateWithin, st.reason)
	if resp, ok := h.askWhy(ctx, r, s, p, school, st.reason, err, contactDetailsPage(school, contactEditPath(school, id))); ok {
		return resp
	}
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	names, err := h.pupilNames(ctx, school, start.Family.Pupils())
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	var changes *changesView
	if st.check != nil && len(st.problems.List) == 0 && !st.conflict {
		c, err := start.Preview(*st.check, r.now)
		var ve *safeguarding.ValidationError
		switch {
		case errors.As(err, &ve):
			st.problems.addValidation(ve, st.anchors, "reason")
		case errors.Is(err, safeguarding.ErrConflict):
			st.conflict = true
		case err != nil:
			return h.errorPage(r, statusFor(err), &s)
		default:
			changes = toChangesView(c)
		}
	}
	v := contactEditView{Reference: start.Family.Reference(), Shown: start.Shown, Numbers: start.Numbers, UpToDate: start.UpToDate,
		HasAddress: start.HasAddress, ChangedAt: when(start.ChangedAt), Conflict: st.conflict, Problems: st.problems,
		PostURL: contactEditPath(school, id), ReportLink: contactReportPath(school), UpToDateDays: contact.DefaultUpToDateDays,
		Changes: changes, Recheck: st.recheck && changes != nil}
	if safeguarding.AccessFor(p, school).ContactVersions {
		v.VersionsLink = contactVersionsPath(school, id)
	}
	if start.ChangedAt.IsZero() {
		v.ChangedAt = ""
	}
	for _, c := range start.Family.Pupils() {
		v.Children = append(v.Children, names[c])
	}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	if st.conflict && start.Shown {
		for _, ph := range start.Details.Phones() {
			v.Saved = append(v.Saved, phoneRow{Label: ph.Label, Number: ph.Number})
		}
		v.SavedAddress = append(slices.Clone(start.Details.Address().Lines), start.Details.Address().Postcode)
		if start.Details.Address().IsZero() {
			v.SavedAddress = nil
		}
	}
	if st.sent {
		v.Form = st.form
		for len(v.Form.Phones) > 0 && v.Form.Phones[len(v.Form.Phones)-1] == (phoneRow{}) {
			v.Form.Phones = v.Form.Phones[:len(v.Form.Phones)-1]
		}
		for i, ph := range v.Form.Phones {
			if at, err := time.Parse(time.RFC3339, ph.ConfirmedAt); err == nil {
				v.Form.Phones[i].LastConfirmed = when(at)
			}
		}
	} else {
		v.Form = contactEditForm{Key: rand.Text()}
		if start.Shown {
			for _, ph := range start.Details.Phones() {
				row := phoneRow{Label: ph.Label, Number: ph.Number}
				if !ph.ConfirmedAt.IsZero() {
					row.ConfirmedAt, row.LastConfirmed = ph.ConfirmedAt.UTC().Format(time.RFC3339), when(ph.ConfirmedAt)
				}
				v.Form.Phones = append(v.Form.Phones, row)
			}
			v.Form.Lines = append(v.Form.Lines, start.Details.Address().Lines...)
			v.Form.Postcode = start.Details.Address().Postcode
		}
	}
	// A new form is sent against the version as it is now, and so is one that lost to someone
	// else's save: the person has seen the warning and sends what they typed again on purpose.
	// A form sent back with problems keeps the version it was opened at, so a save made
	// meanwhile still conflicts.
	if _, err := strconv.Atoi(v.Form.Version); !st.sent || st.conflict || err != nil {
		v.Form.Version = strconv.Itoa(start.Version)
	}
	if !start.Shown {
		v.Patch = patchForm(start, st.patch)
		if st.patch == nil {
			v.Patch.Key = rand.Text()
		}
		if _, err := strconv.Atoi(v.Patch.Version); st.patch == nil || st.conflict || err != nil {
			v.Patch.Version = strconv.Itoa(start.Version)
		}
		if changes != nil {
			v.Patch.Checked = v.Patch.fingerprint(school, id)
		}
	}
	rows := max(phoneRowsMin, min(len(v.Form.Phones)+2, contact.MaxContactPhones))
	for len(v.Form.Phones) < rows {
		v.Form.Phones = append(v.Form.Phones, phoneRow{})
	}
	if len(v.Form.Phones) > contact.MaxContactPhones+1 {
		v.Form.Phones = v.Form.Phones[:contact.MaxContactPhones+1]
	}
	for len(v.Form.Lines) < addressRows {
		v.Form.Lines = append(v.Form.Lines, "")
	}
	title, status := "Change contact details of the "+familyOf(v.Children, v.Reference), http.StatusOK
	switch {
	case st.conflict:
		title, status = "Error: "+title, http.StatusConflict
	case len(st.problems.List) > 0:
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "contact-edit", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "contact-report")})
}

// submitContactEdit saves a new version of the family's contact details against the version
// the page was opened at (rules P3, P4), then goes back to the report.
func (h *Handler) submitContactEdit(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := r.param("id")
	if h.Contacts == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	if r.form.Get("form") == "patch" {
		return h.submitContactPatch(ctx, r, s)
	}
	if reason := openingReasonOf(r); reason.Given {
		return h.contactEditWith(ctx, r, s, contactEditState{reason: reason})
	}
	f := readContactEditForm(r.form)
	st := contactEditState{sent: true, form: f}
	in, anchors, own := f.input(r.now)
	for _, p := range own {
		st.problems.add(p.Anchor, p.Message)
	}
	if len(own) > 0 {
		return h.contactEditWith(ctx, r, s, st)
	}
	_, err := h.Contacts.Edit(ctx, r.caller(s.claims.Email), school, id, in, requestKey(school, s.claims.Email, formKeyOf(f.Key)), f.fingerprint(school, id))
	return h.contactSaved(ctx, r, s, st, anchors, err)
}

// contactSaved answers a save of either form: the form again with the problems named or the
// conflict shown, what was typed kept; else back to the report.
func (h *Handler) contactSaved(ctx context.Context, r *request, s session, st contactEditState, anchors map[string]string, err error) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		st.problems.addValidation(ve, anchors, "reason")
		return h.contactEditWith(ctx, r, s, st)
	case errors.Is(err, safeguarding.ErrConflict):
		st.conflict = true
		return h.contactEditWith(ctx, r, s, st)
	case err != nil:
		return h.caseWorkFailed(r, s, err, contactEditPath(school, r.param("id")))
	}
	return redirect(contactReportPath(school)+"?done=saved#done", http.StatusSeeOther)
}
