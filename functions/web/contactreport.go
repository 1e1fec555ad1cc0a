package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// The H1 report (rules H1, P3): the families of a school short of two up-to-date numbers,
// for the office (admin) and the DSLs, as the contacts use case allows, each with a link to
// the form that changes its details. It never shows a number or an address.

func contactReportPath(school safeguarding.SchoolID) string {
	return schoolPath(school) + "/contact-details/report"
}

func contactEditPath(school safeguarding.SchoolID, family string) string {
	return schoolPath(school) + "/families/" + url.PathEscape(family) + "/contact-details/edit"
}

func contactVersionsPath(school safeguarding.SchoolID, family string) string {
	return schoolPath(school) + "/families/" + url.PathEscape(family) + "/contact-details/versions"
}

// upToDateWithin is how recently a number must have been confirmed to count (rule H1).
const upToDateWithin = time.Duration(contact.DefaultUpToDateDays) * 24 * time.Hour

type contactReportRow struct {
	Reference, Children string
	UpToDate, Numbers   int
	HasAddress          bool
	LastConfirmed       string
	Link                string
}

type contactReportView struct {
	SchoolName   string
	UpToDateDays int
	Done         string
	Families     []contactReportRow
}

// contactReport lists the families with fewer than two up-to-date numbers (rule H1), each
// with a link to change its details: never a number or an address.
func (h *Handler) contactReport(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Contacts == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	rows, err := h.Contacts.ContactReport(ctx, r.caller(s.claims.Email), school, upToDateWithin)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	var ids []safeguarding.PupilID
	for _, row := range rows {
		ids = append(ids, row.Check.Family.Pupils()...)
	}
	names, err := h.pupilNames(ctx, school, ids)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := contactReportView{UpToDateDays: contact.DefaultUpToDateDays}
	if r.ev.QueryStringParameters["done"] == "saved" {
		v.Done = "Contact details saved as a new version."
	}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	for _, row := range rows {
		var kids []string
		for _, c := range row.Check.Family.Pupils() {
			kids = append(kids, names[c])
		}
		v.Families = append(v.Families, contactReportRow{Reference: row.Check.Family.Reference(), Children: strings.Join(kids, ", "),
			UpToDate: row.UpToDate, Numbers: row.Check.Numbers, HasAddress: row.Check.HasAddress,
			LastConfirmed: whenDay(row.LastConfirmedAt), Link: contactEditPath(school, row.Check.Family.ID())})
	}
	return h.page(r, http.StatusOK, "contact-report", pageData{Title: "Families short of contact numbers", SignedIn: true,
		CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "contact-report")})
}
