package main

import (
	"cmp"
	"context"
	"net/http"
	"net/url"
	"slices"
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
	// Reporter is who recorded it, by name.
	Reporter string
}

type dashboardView struct {
	SchoolName string
	Rows       []dashboardRowView
	// Filter is what the form asked for; Listed how many of the recent concerns it left
	// (Total); Categories the choices of the category filter.
	Filter        dashboardFilter
	Filtered      bool
	Listed, Total int
	Categories    []option
}

// dashboardFilter narrows the dashboard's rows: by status, priority, category, what waits
// (unread or overdue) and words of a pupil's name. Each value the form cannot give is "".
type dashboardFilter struct {
	Status, Priority, Category, Show, Pupil string
}

// maxPupilFilter bounds the pupil's name a filter takes.
const maxPupilFilter = 100

// readDashboardFilter reads the dashboard's query: values outside the form's choices are
// dropped (the filter is then "any"), a pupil's name is trimmed and cut to its bound.
func readDashboardFilter(q url.Values) dashboardFilter {
	f := dashboardFilter{}
	switch v := q.Get("status"); v {
	case "open", "closed":
		f.Status = v
	}
	if q.Get("priority") == "high" {
		f.Priority = "high"
	}
	if c := q.Get("category"); c != "" {
		if _, ok := concerns.PolicyCatalogue().Find(safeguarding.Category(c)); ok {
			f.Category = c
		}
	}
	switch v := q.Get("show"); v {
	case "unread", "overdue":
		f.Show = v
	}
	f.Pupil = strings.Join(strings.Fields(q.Get("pupil")), " ")
	if r := []rune(f.Pupil); len(r) > maxPupilFilter {
		f.Pupil = string(r[:maxPupilFilter])
	}
	return f
}

func (f dashboardFilter) any() bool { return f != dashboardFilter{} }

// keeps says whether a row passes the filter; pupils are its pupils' names.
func (f dashboardFilter) keeps(row concerns.DashboardRow, pupils []string) bool {
	c := row.Concern
	switch {
	case f.Status == "open" && c.Status() == concerns.CaseClosed, f.Status == "closed" && c.Status() != concerns.CaseClosed:
		return false
	case f.Priority == "high" && !c.HighPriority():
		return false
	case f.Category != "" && string(c.Category()) != f.Category:
		return false
	case f.Show == "unread" && (row.Read || c.Status() == concerns.CaseClosed), f.Show == "overdue" && !row.Overdue:
		return false
	}
	if f.Pupil != "" {
		want := strings.ToLower(f.Pupil)
		return slices.ContainsFunc(pupils, func(n string) bool { return strings.Contains(strings.ToLower(n), want) })
	}
	return true
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
	q, _ := url.ParseQuery(r.ev.RawQueryString)
	v := dashboardView{Filter: readDashboardFilter(q), Total: len(rows)}
	v.Filtered = v.Filter.any()
	if school, err := h.Directory.School(ctx, schoolID); err == nil {
		v.SchoolName = school.Name
	}
	cat := concerns.PolicyCatalogue()
	for _, def := range cat {
		v.Categories = append(v.Categories, option{Value: string(def.ID), Title: def.Title, Checked: string(def.ID) == v.Filter.Category})
	}
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
		if !v.Filter.keeps(row, pupils) {
			continue
		}
		rv := dashboardRowView{Reference: c.Reference(), Link: schoolPath(schoolID) + "/concerns/" + url.PathEscape(string(c.ID())),
			Pupils: strings.Join(pupils, ", "), Category: string(c.Category()), HighPriority: c.HighPriority(), Unread: !row.Read,
			Late: c.Late(), MinutesLate: c.MinutesLate(), RecordedAt: when(c.RecordedAt()),
			StatusClosed: c.Status() == concerns.CaseClosed, StatusComplex: c.Complex(),
			Overdue: row.Overdue, AwaitingAction: !row.ActionDueAt.IsZero(), ActionDue: when(row.ActionDueAt),
			Reporter: cmp.Or(c.AuthorName(), "A member of staff")}
		if def, ok := cat.Find(c.Category()); ok {
			rv.Category = def.Title
		}
		v.Rows = append(v.Rows, rv)
	}
	v.Listed = len(v.Rows)
	return h.page(r, http.StatusOK, "dashboard", pageData{Title: "Concerns", SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "concerns")})
}
