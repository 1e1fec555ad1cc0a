package main

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// ---- The DSL dashboard ----------------------------------------------------------------------

type dashboardRowView struct {
	Reference     string
	Link          string
	Pupils        string
	Category      string
	HighPriority  bool
	Unread        bool
	Late          bool
	MinutesLate   int
	RecordedAt    string
	StatusClosed  bool
	StatusComplex bool
	// Overdue: no DSL has recorded an action by its due time; AwaitingAction: none yet, due
	// ActionDue (the end of the school day it was recorded, or of the next one).
	Overdue        bool
	AwaitingAction bool
	ActionDue      string
}

type dashboardView struct {
	SchoolName string
	Rows       []dashboardRowView
}

// dashboard lists the school's recent concerns the DSL may see (Concerns.Dashboard): high
// priority on top, then newest first, unread and late ones marked, and those no DSL has acted
// on marked as awaiting action or, past its due time, overdue.
func (h *Handler) dashboard(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Dashboard {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	rows, err := h.Concerns.Dashboard(ctx, r.caller(s.claims.Email), schoolID)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	var ids []safeguarding.PupilID
	for _, row := range rows {
		for _, lp := range row.Concern.Pupils() {
			ids = append(ids, lp.ID)
		}
	}
	names := map[safeguarding.PupilID]safeguarding.Pupil{}
	if len(ids) > 0 {
		if names, err = h.Directory.Pupils(ctx, schoolID, ids); err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
	}
	v := dashboardView{}
	if school, err := h.Directory.School(ctx, schoolID); err == nil {
		v.SchoolName = school.Name
	}
	cat := concerns.PolicyCatalogue()
	for _, row := range rows {
		c := row.Concern
		var pupils []string
		for _, lp := range c.Pupils() {
			name := names[lp.ID].Name
			if name == "" {
				name = "Pupil " + string(lp.ID)
			}
			pupils = append(pupils, name)
		}
		rv := dashboardRowView{Reference: c.Reference(), Link: schoolPath(schoolID) + "/concerns/" + url.PathEscape(string(c.ID())),
			Pupils: strings.Join(pupils, ", "), Category: string(c.Category()), HighPriority: c.HighPriority(), Unread: !row.Read,
			Late: c.Late(), MinutesLate: c.MinutesLate(), RecordedAt: when(c.RecordedAt()),
			StatusClosed: c.Status() == concerns.CaseClosed, StatusComplex: c.Complex(),
			Overdue: row.Overdue, AwaitingAction: !row.ActionDueAt.IsZero(), ActionDue: when(row.ActionDueAt)}
		if def, ok := cat.Find(c.Category()); ok {
			rv.Category = def.Title
		}
		v.Rows = append(v.Rows, rv)
	}
	return h.page(r, http.StatusOK, "dashboard", pageData{Title: "Concerns", SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "concerns")})
}
