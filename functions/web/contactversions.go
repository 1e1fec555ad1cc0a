package main

import (
	"context"
	"net/http"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// versionView is one version of a family's contact details as the DSLs read it back: who
// changed them, when, why, what changed and the details as they then were (rule P4).
type versionView struct {
	Number          int
	ChangedAt, By   string
	Reason, Summary string
	Phones          []phoneRow
	Address         []string
	Removed         []contact.ContactRemoval
}

type contactVersionsView struct {
	SchoolName, Reference string
	Children              []string
	EditLink              string
	Versions              []versionView
}

// contactVersions shows every version of a family's contact details, newest first, to the
// DSLs and the Senior DSL (rules P3, P4); the reading is audited. Anyone else gets Page not
// found. Every version holds the family's numbers, so the page opens them like the call
// screen: past the hour's families it asks why instead (askWhy), and its form posts the
// reason back here (the POST route), which shows the versions at once.
func (h *Handler) contactVersions(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := r.param("id")
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Contacts == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	reason := openingReasonOf(r)
	vs, err := h.Contacts.Versions(ctx, r.caller(s.claims.Email), school, id, reason)
	if resp, ok := h.askWhy(ctx, r, s, p, school, reason, err, contactDetailsPage(school, contactVersionsPath(school, id))); ok {
		return resp
	}
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	names, err := h.pupilNames(ctx, school, vs.Family.Pupils())
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := contactVersionsView{Reference: vs.Family.Reference(), EditLink: contactEditPath(school, id)}
	for _, c := range vs.Family.Pupils() {
		v.Children = append(v.Children, names[c])
	}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	people := map[string]string{}
	for i := len(vs.Versions) - 1; i >= 0; i-- {
		d := vs.Versions[i]
		if _, ok := people[d.ChangedBy()]; !ok {
			people[d.ChangedBy()] = d.ChangedBy()
			if who, err := h.Directory.Principal(ctx, d.ChangedBy()); err == nil && who.Name != "" {
				people[d.ChangedBy()] = who.Name
			}
		}
		row := versionView{Number: d.Version(), ChangedAt: when(d.ChangedAt()), By: people[d.ChangedBy()], Reason: d.Reason(),
			Removed: d.Changes().Removed}
		if d.Changes().Address != "" {
			row.Summary = d.Changes().Summary()
		}
		for _, ph := range d.Phones() {
			row.Phones = append(row.Phones, phoneRow{Label: ph.Label, Number: ph.Number, LastConfirmed: when(ph.ConfirmedAt)})
		}
		if !d.Address().IsZero() {
			row.Address = append(append([]string{}, d.Address().Lines...), d.Address().Postcode)
		}
		v.Versions = append(v.Versions, row)
	}
	return h.page(r, http.StatusOK, "contact-versions", pageData{Title: "Earlier contact details of the " + familyOf(v.Children, v.Reference),
		SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "contact-report")})
}
