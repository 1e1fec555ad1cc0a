package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/attendance"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
)

// need is one line of a home's "Needs you now": how many things wait, in plain words, and the
// page that lists them. A zero shows None, plainly, without a link.
type need struct {
	// Key names the line for the tests and the page's anchors ("unread", "overdue", ...).
	Key   string
	Count int
	// Text is the line with its count ("3 concerns not yet read"); None the line for zero.
	Text, None string
	Href       string
}

// needOf makes a need: one and many in their own words.
func needOf(key string, n int, one, many, none, href string) need {
	text := "1 " + one
	if n != 1 {
		text = strconv.Itoa(n) + " " + many
	}
	return need{Key: key, Count: n, Text: text, None: none, Href: href}
}

// homeLink is a link on a home without a count (the latest report, a class to mark).
type homeLink struct {
	Key, Text, Href string
}

// homeNeeds is what one school's home shows a person: the counts their roles call for and
// the few links their day starts from. Every count comes from the use case of the page it
// links to, with the reader as caller, so it counts exactly what that page would show them.
type homeNeeds struct {
	Needs []need
	Links []homeLink
	// Failed: a count could not be read; the page says so rather than showing a wrong zero.
	Failed bool
}

// needsAt reads the counts of p's home at school. Each use case is called at most once, its
// result shared by the roles' lines (one count of the open concerns serves the DSL's unread
// and overdue lines; the governor's is a count of the concerns about staff, A112).
func (h *Handler) needsAt(ctx context.Context, r *request, s session, p safeguarding.Principal, school safeguarding.SchoolID) homeNeeds {
	a := safeguarding.AccessFor(p, school)
	who := r.caller(s.claims.Email)
	senior := a.SeniorDuties
	var out homeNeeds
	add := func(n need) { out.Needs = append(out.Needs, n) }

	if a.Dashboard {
		// The open concerns, all of them (the dashboard's pages of "show=unread" and
		// "show=overdue", counted by the same use case in one reading).
		counts, _, err := h.Concerns.DashboardCount(ctx, who, school,
			concerns.DashboardQuery{Show: concerns.ShowUnread}, concerns.DashboardQuery{Show: concerns.ShowOverdue})
		unread, overdue := 0, 0
		if err != nil {
			out.Failed = true
		} else {
			unread, overdue = counts[0], counts[1]
		}
		add(needOf("unread", unread, "concern not yet read", "concerns not yet read", "No concerns waiting to be read", schoolPath(school)+"/concerns?show=unread"))
		add(needOf("overdue", overdue, "concern past the time to act on it", "concerns past the time to act on them",
			"No concerns past the time to act on them", schoolPath(school)+"/concerns?show=overdue"))
	}
	if a.Work {
		list, err := h.Cases.MyWork(ctx, who, school, "me", safeguarding.ActionOpen)
		if err != nil {
			out.Failed = true
		}
		late := 0
		for _, act := range list {
			if !act.DueAt().IsZero() && act.DueAt().Before(r.now) {
				late++
			}
		}
		add(needOf("work", len(list), "piece of work for you", "pieces of work for you", "No work for you", schoolPath(school)+"/work"))
		if late > 0 {
			add(needOf("work-late", late, "of them past its due time", "of them past their due time", "", schoolPath(school)+"/work"))
		}
	}
	if a.Families && h.Engagement != nil {
		rows, err := h.Engagement.MissingFamilies(ctx, who, school)
		if err != nil {
			out.Failed = true
		}
		add(needOf("missing", len(rows), "family not heard from", "families not heard from", "No families missing", familiesPath(school)))
		if senior {
			la := 0
			for _, row := range rows {
				if row.NextDue == "la-notification" {
					la++
				}
			}
			add(needOf("la-due", la, "family to tell the local authority about", "families to tell the local authority about",
				"No local authority notifications due", familiesPath(school)))
		}
	}
	if a.Work && h.Visits != nil {
		list, err := h.Visits.List(ctx, who, school)
		if err != nil {
			out.Failed = true
		}
		today, waiting := 0, 0
		day := r.now.In(safeguarding.London).Format(time.DateOnly)
		for _, v := range list {
			snap := v.Snapshot()
			switch snap.Status {
			case visits.VisitCancelled, visits.VisitDeclined:
				continue
			case visits.VisitPlanned:
				waiting++
			}
			if snap.PlannedStart.In(safeguarding.London).Format(time.DateOnly) == day {
				today++
			}
		}
		add(needOf("visits-today", today, "home visit today", "home visits today", "No home visits today", visitsPath(school)))
		if senior {
			add(needOf("visits-waiting", waiting, "home visit waiting for you to authorise it", "home visits waiting for you to authorise them",
				"No home visits waiting for you to authorise them", visitsPath(school)))
		}
	}
	if senior && a.Review {
		due, err := h.Cases.ReviewsDue(ctx, who, school)
		if err != nil {
			out.Failed = true
		}
		add(needOf("reviews", len(due), "complex case due its review", "complex cases due their review",
			"No case reviews due", schoolPath(school)+"/review"))
	}
	if senior && a.Transfers && h.Transfers != nil {
		list, err := h.Transfers.List(ctx, who, school)
		if err != nil {
			out.Failed = true
		}
		due, sent := 0, 0
		for _, t := range list {
			switch {
			case t.From == school && t.Status == transfers.StatusDue:
				due++
			case t.From != school && t.Status == transfers.StatusSent:
				sent++
			}
		}
		add(needOf("transfers", due, "pupil's file to send to their new school", "pupils' files to send to their new schools",
			"No files waiting to be sent", transfersPath(school)))
		add(needOf("transfers-in", sent, "file sent to you to confirm", "files sent to you to confirm",
			"No files sent to you to confirm", transfersPath(school)))
	}
	if a.Teacher || (a.Work && !a.Dashboard) {
		// Every concern they recorded ("Concerns you raised", by the same use case).
		counts, _, err := h.Concerns.DashboardCount(ctx, who, school,
			concerns.DashboardQuery{Mine: true}, concerns.DashboardQuery{Mine: true, Show: concerns.ShowWaiting})
		mine, waiting := 0, 0
		if err != nil {
			out.Failed = true
		} else {
			mine, waiting = counts[0], counts[1]
		}
		add(needOf("raised", mine, "concern you raised", "concerns you raised", "No concerns raised by you", raisedPath(school)))
		if waiting > 0 {
			add(needOf("raised-waiting", waiting, "of them not yet acted on by a DSL", "of them not yet acted on by a DSL", "", raisedPath(school)))
		}
	}
	if a.Teacher && h.Classes != nil {
		h.classNeeds(ctx, who, school, &out)
	}
	if a.ContactNumbers && !a.Dashboard && h.Contacts != nil {
		list, err := h.Contacts.ContactReport(ctx, who, school, upToDateWithin)
		if err != nil {
			out.Failed = true
		}
		add(needOf("numbers", len(list), "family short of contact numbers", "families short of contact numbers",
			"No families short of contact numbers", contactReportPath(school)))
	}
	if a.Attendance && !a.Dashboard && h.Attendance != nil {
		list, err := h.Attendance.BelowThreshold(ctx, who, school, attendance.Threshold)
		if err != nil {
			out.Failed = true
		}
		add(needOf("attendance", len(list), "pupil below 90% attendance", "pupils below 90% attendance",
			"No pupils below 90% attendance", attendancePath(school)))
	}
	if a.Governors {
		// Every concern about a member of staff they may see (A112; never one about
		// themselves, C5), counted by the use case of their page.
		routed := 0
		if counts, _, err := h.Concerns.DashboardCount(ctx, who, school, concerns.DashboardQuery{AboutStaff: true}); err != nil {
			out.Failed = true
		} else {
			routed = counts[0]
		}
		add(needOf("routed", routed, "concern routed to you", "concerns routed to you", "No concerns routed to you", governorsPath(school)))
		out.Links = append(out.Links, homeLink{Key: "report", Text: "The governors' report for this term", Href: governorsReportPath(school)})
	}
	h.importNeeds(ctx, who, p, school, &out)
	return out
}

// raisedPath is the page of the concerns a person raised at school.
func raisedPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/my-concerns" }

// raisedConcern is one concern on "Concerns you raised": when, about whom, what kind, and
// where it stands, in plain words.
type raisedConcern struct {
	Reference, Link, RecordedAt, Pupils, Category, Status string
}

type raisedView struct {
	SchoolName string
	// Concerns are a page of those the reader recorded; Tagged the first page of those they
	// were asked to know about or, in TaggedView, the page of them.
	Concerns, Tagged []raisedConcern
	TaggedView       bool
	// Page is this page's number; PrevURL and NextURL the pages either side ("" at an end);
	// TaggedMoreURL the second page of those they were tagged in, when there is one;
	// FirstURL the page of their own.
	Page                                      int
	PrevURL, NextURL, TaggedMoreURL, FirstURL string
}

// raisedConcerns lists a page of the concerns the reader recorded, every one of them newest
// first (the dashboard's use case on the list of their own, A98), and on the first page the
// first of those they were tagged in (A111); with list=tagged, a page of those they were
// tagged in. The use case decides what they may see: never a concern about themselves (C5).
func (h *Handler) raisedConcerns(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Member {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	path := raisedPath(schoolID)
	// list=tagged pages through the concerns they were tagged in; without it, those they
	// recorded, with the first page of the others beneath.
	taggedView := false
	switch r.ev.QueryStringParameters["list"] {
	case "":
	case "tagged":
		taggedView = true
	default:
		return h.badPage(r, &s, path)
	}
	scope, taggedScope := "raised\x00"+string(schoolID), "raised-tagged\x00"+string(schoolID)
	taggedFilter := url.Values{"list": {"tagged"}}
	if taggedView {
		scope = taggedScope
	}
	var trail []string
	if tok := r.ev.QueryStringParameters["page"]; tok != "" {
		if trail, err = s.readPageToken(scope, tok); err != nil {
			return h.badPage(r, &s, path)
		}
	}
	q := concerns.DashboardQuery{Mine: !taggedView, Tagged: taggedView}
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
	newestFirst := func(rows []concerns.DashboardRow) []concerns.Concern {
		list := make([]concerns.Concern, 0, len(rows))
		for _, row := range rows {
			list = append(list, row.Concern)
		}
		slices.SortStableFunc(list, func(a, b concerns.Concern) int { return b.RecordedAt().Compare(a.RecordedAt()) })
		return list
	}
	v := raisedView{Page: len(trail) + 1, TaggedView: taggedView, FirstURL: path}
	var mine, tagged []concerns.Concern
	if taggedView {
		tagged = newestFirst(page.Rows)
		v.PrevURL, v.NextURL = pagesOf(s, path, scope, taggedFilter, trail, page.Next)
	} else {
		mine = newestFirst(page.Rows)
		v.PrevURL, v.NextURL = pagesOf(s, path, scope, nil, trail, page.Next)
		if len(trail) == 0 {
			// The first page of the concerns they were tagged in (A111: every one of them,
			// never one about themselves, C5), and a link on to the rest.
			first, err := h.Concerns.DashboardPage(ctx, r.caller(s.claims.Email), schoolID, concerns.DashboardQuery{Tagged: true})
			if err != nil {
				return h.errorPage(r, statusFor(err), &s)
			}
			tagged = newestFirst(first.Rows)
			_, v.TaggedMoreURL = pagesOf(s, path, taggedScope, taggedFilter, nil, first.Next)
		}
	}
	var ids []safeguarding.PupilID
	for _, c := range append(slices.Clone(mine), tagged...) {
		for _, lp := range c.Pupils() {
			ids = append(ids, lp.ID)
		}
	}
	names := map[safeguarding.PupilID]safeguarding.Pupil{}
	if len(ids) > 0 {
		if names, err = h.Directory.Pupils(ctx, schoolID, ids); err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
	}
	if sc, err := h.Directory.School(ctx, schoolID); err == nil {
		v.SchoolName = sc.Name
	}
	line := func(c concerns.Concern) raisedConcern {
		var pupils []string
		for _, lp := range c.Pupils() {
			if n := names[lp.ID].Name; n != "" {
				pupils = append(pupils, n)
			}
		}
		status := "Waiting for a DSL to act on it"
		switch {
		case c.Status() == concerns.CaseClosed:
			status = "Closed by a DSL"
		case c.Responded():
			status = "A DSL is acting on it"
		}
		return raisedConcern{Reference: c.Reference(), Link: concernPath(schoolID, c.ID()),
			RecordedAt: when(c.RecordedAt()), Pupils: joinNames(pupils), Category: categoryTitle(c.Category()), Status: status}
	}
	for _, c := range mine {
		v.Concerns = append(v.Concerns, line(c))
	}
	for _, c := range tagged {
		v.Tagged = append(v.Tagged, line(c))
	}
	return h.page(r, http.StatusOK, "raised", pageData{Title: "Concerns you raised", SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "raised")})
}

// joinNames joins names as a sentence says them: "Ann", "Ann and Bob", "Ann, Bob and Cy".
func joinNames(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	out := names[0]
	for _, n := range names[1 : len(names)-1] {
		out += ", " + n
	}
	return out + " and " + names[len(names)-1]
}
