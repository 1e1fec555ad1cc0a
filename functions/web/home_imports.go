package main

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

// The homes' lines about the school's imports (rule P1) and the teacher's classes (rule E1),
// and the page of the school's recent imports the DSLs' count links to.

// importHistoryRoute lists the school's recent imports for those who import and the DSLs.
const importHistoryRoute = "GET /schools/{school}/import-history"

func init() { routes[importHistoryRoute] = (*Handler).importHistory }

func importHistoryPath(school safeguarding.SchoolID) string {
	return schoolPath(school) + "/import-history"
}

// importRow is one import as the lists show it: when, who, and how it went, in plain words.
type importRow struct {
	When, Who, Outcome string
	// Link is the import's result, for those who may open it.
	Link string
	// Problem: the import had rows with errors, or failed.
	Problem bool
}

// importOutcome says how an import went: the rows imported and those with errors.
func importOutcome(r imports.Record) string {
	rows := func(n int) string { return strconv.Itoa(n) + " " + plural(n, "row", "rows") }
	switch {
	case r.Status == imports.StatusRunning:
		return "Still being read"
	case r.Status == imports.StatusFailed:
		return "The file could not be read: nothing changed"
	case !r.Applied:
		return "Not imported: " + rows(r.ErrorRows) + " with errors"
	case r.ErrorRows > 0:
		return rows(r.Rows-r.ErrorRows) + " imported, " + rows(r.ErrorRows) + " with errors left out"
	}
	return rows(r.Rows) + " imported, none with errors"
}

// importRows are the imports as the lists show them, their people by name (one read of
// their profiles); a link to each result when the reader may open it.
func (h *Handler) importRows(ctx context.Context, school safeguarding.SchoolID, list []imports.Record, links bool) ([]importRow, error) {
	var emails []string
	for _, r := range list {
		if r.By != "" && !slices.Contains(emails, r.By) {
			emails = append(emails, r.By)
		}
	}
	names := map[string]string{}
	if len(emails) > 0 {
		var err error
		if names, err = h.Directory.StaffNames(ctx, emails); err != nil {
			return nil, err
		}
	}
	out := make([]importRow, 0, len(list))
	for _, r := range list {
		row := importRow{When: when(r.At), Who: names[r.By], Outcome: importOutcome(r),
			Problem: r.ErrorRows > 0 || r.Status == imports.StatusFailed}
		if row.Who == "" {
			row.Who = "Someone who has left the school"
		}
		if links {
			row.Link = importsPath(school) + "/" + url.PathEscape(r.ID)
		}
		out = append(out, row)
	}
	return out, nil
}

// importNeeds adds the school's imports to a home (one Query of the imports by time): for the
// office and the Senior DSL when the last import was and how it went, linked to its result;
// for the DSLs and the Senior DSL how many recent imports had rows with errors, linked to the
// list of imports.
func (h *Handler) importNeeds(ctx context.Context, who safeguarding.Caller, p safeguarding.Principal, school safeguarding.SchoolID, out *homeNeeds) {
	a := safeguarding.AccessFor(p, school)
	if h.Imports == nil || !a.ImportList {
		return
	}
	list, err := h.Imports.Recent(ctx, who, school)
	if err != nil {
		out.Failed = true
		return
	}
	if a.Imports {
		link := homeLink{Key: "last-import", Text: "No pupils imported yet: import them from the school's MIS", Href: importsPath(school)}
		if len(list) > 0 {
			last := list[0]
			link = homeLink{Key: "last-import", Text: "Last import, " + when(last.At) + ": " + lowerFirst(importOutcome(last)),
				Href: importsPath(school) + "/" + url.PathEscape(last.ID)}
		}
		out.Links = append(out.Links, link)
	}
	if a.Dashboard { // the DSLs and the Senior DSL
		out.Needs = append(out.Needs, needOf("imports-errors", imports.WithErrors(list, who.At), "import with errors in the last 30 days",
			"imports with errors in the last 30 days", "No imports with errors in the last 30 days", importHistoryPath(school)))
	}
}

// classNeeds adds, for each class the teacher marks, how many of its families were not heard
// from today (rule E1), linked to the class's marking page: the count the page shows as not
// yet "Acknowledged today".
func (h *Handler) classNeeds(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, out *homeNeeds) {
	counts, err := h.Classes.UnheardToday(ctx, who, school)
	if err != nil {
		out.Failed = true
		return
	}
	for i, c := range counts {
		href := acknowledgementsPath(school, c.Class)
		switch {
		case c.Families == 0:
			out.Links = append(out.Links, homeLink{Key: "class", Text: "Mark which families replied today: " + c.Class, Href: href})
		case c.Unheard == 0:
			out.Links = append(out.Links, homeLink{Key: "class", Text: "Every family in " + c.Class + " heard from today", Href: href})
		default:
			out.Needs = append(out.Needs, needOf("class-"+string(rune('a'+i%26)), c.Unheard, "family in "+c.Class+" not heard from today",
				"families in "+c.Class+" not heard from today", "", href))
		}
	}
}

// importHistoryView is the list of the school's recent imports.
type importHistoryView struct {
	SchoolName string
	Imports    []importRow
	// ImportURL is the import page, for those who import.
	ImportURL string
}

// importHistory lists the school's recent imports, newest first: when, who and how each went,
// each linked to its result for those who import.
func (h *Handler) importHistory(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if h.Imports == nil || !imports.CanList(p, school) {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	list, err := h.Imports.Recent(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	canImport := imports.CanImport(p, school)
	v := importHistoryView{}
	if v.Imports, err = h.importRows(ctx, school, list, canImport); err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if canImport {
		v.ImportURL = importsPath(school)
	}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	return h.page(r, http.StatusOK, "import-history", pageData{Title: "Recent imports", SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, school, "import-history")})
}
