package main

import (
	"context"
	"net/http"

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
}

type governorConcern struct {
	Reference, Link, Category, RecordedAt string
	HighPriority, Unread, Closed          bool
}

// governors is a governor's home at a school: the concerns routed to them, newest first
// among the school's recent ones (the dashboard's reading, audited), and the report's link.
func (h *Handler) governors(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Governors {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	rows, err := h.Concerns.Dashboard(ctx, r.caller(s.claims.Email), schoolID)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := governorsView{ReportLink: governorsReportPath(schoolID)}
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
