package main

import (
	"context"
	"errors"
	"net/http"
	"slices"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// The governors' home (rule P2): a governor sees the concerns routed to them (C5, a concern
// about a member of staff) and the governors' report, and nothing else of the records. The
// report itself is its own page (/schools/{school}/reports/governors); this page links to it.

func governorsPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/governors" }

type governorsView struct {
	SchoolName string
	ReportLink string
	Concerns   []governorConcern
	// Page is this page's number; PrevURL and NextURL the pages either side ("" at an end).
	Page             int
	PrevURL, NextURL string
}

type governorConcern struct {
	Reference, Link, Category, RecordedAt string
	HighPriority, Unread, Closed          bool
}

// governors is a governor's home at a school: a page of the concerns routed to them, every
// one of the school's concerns about a member of staff (A112) newest first, 50 to a page with
// signed page tokens (the dashboard's use case, audited: never a concern about themselves,
// C5), and the report's link.
func (h *Handler) governors(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Governors {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	path := governorsPath(schoolID)
	scope := "governors\x00" + string(schoolID)
	var trail []string
	if tok := r.ev.QueryStringParameters["page"]; tok != "" {
		if trail, err = s.readPageToken(scope, tok); err != nil {
			return h.badPage(r, &s, path)
		}
	}
	q := concerns.DashboardQuery{AboutStaff: true}
	if len(trail) > 0 {
		q.After = trail[len(trail)-1]
	}
	page, err := h.Concerns.DashboardPage(ctx, r.caller(s.claims.Email), schoolID, q)
	if errors.Is(err, safeguarding.ErrInvalid) {
		return h.badPage(r, &s, path)
	}
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	rows := page.Rows
	slices.SortStableFunc(rows, func(a, b concerns.DashboardRow) int { return b.Concern.RecordedAt().Compare(a.Concern.RecordedAt()) })
	v := governorsView{ReportLink: governorsReportPath(schoolID), Page: len(trail) + 1}
	v.PrevURL, v.NextURL = pagesOf(s, path, scope, nil, trail, page.Next)
	if school, err := h.Directory.School(ctx, schoolID); err == nil {
		v.SchoolName = school.Name
	}
	for _, row := range rows {
		c := row.Concern
		// Routed to them: a concern about a member of staff (C5), never its subject's own.
		if !c.AboutStaff() {
			continue
		}
		v.Concerns = append(v.Concerns, governorConcern{Reference: c.Reference(), Link: concernPath(schoolID, c.ID()),
			Category: categoryTitle(c.Category()), RecordedAt: when(c.RecordedAt()), HighPriority: c.HighPriority(), Unread: !row.Read,
			Closed: c.Status() == concerns.CaseClosed})
	}
	return h.page(r, http.StatusOK, "governors", pageData{Title: "For governors", SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "governors")})
}
