package main

import (
	"context"
	"net/http"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Rule D7: the person who raised a concern is told that steps were taken (status only, never
// the details), and can ask what happened.

// reporterView is what the reporter's concern page says of its progress: when a DSL first
// opened it and when the first action was taken, nothing of what the action was.
type reporterView struct {
	OpenedAt  time.Time
	ActionAt  time.Time
	UpdateURL string
}

// reporterStatus is the status section for p on concern c: only its author sees it, and not
// a DSL, who sees the whole case work instead.
func reporterStatus(c concerns.Concern, p safeguarding.Principal) *reporterView {
	if !c.ShowsStatusTo(p) {
		return nil
	}
	pr := c.Progress()
	return &reporterView{OpenedAt: pr.DSLOpenedAt, ActionAt: pr.ActionTakenAt,
		UpdateURL: concernPath(c.School(), c.ID()) + "/update-requests"}
}

// requestUpdate is the reporter's "Ask for an update": the DSLs who may see the concern are
// emailed (at most once a day for one concern), and the request is audited. Anyone but the
// author gets "Page not found".
func (h *Handler) requestUpdate(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := safeguarding.ConcernID(r.param("id"))
	if err := h.Concerns.RequestUpdate(ctx, r.caller(s.claims.Email), school, id); err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	return redirect(concernPath(school, id)+"?done=update-requested#progress", http.StatusSeeOther)
}
