package main

import (
	"context"
	"net/http"
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
// result shared by the roles' lines (the dashboard's rows serve the DSL's, the teacher's and
// the governor's counts).
func (h *Handler) needsAt(ctx context.Context, r *request, s session, p safeguarding.Principal, school safeguarding.SchoolID) homeNeeds {
	a := safeguarding.AccessFor(p, school)
	who := r.caller(s.claims.Email)
	me := s.claims.Email
	senior := a.SeniorDuties
	var out homeNeeds
	add := func(n need) { out.Needs = append(out.Needs, n) }

	// The recent concerns the reader may see (the dashboard's use case: a concern about a DSL
	// is left out for that DSL, a teacher sees what they wrote or were tagged in).
	var rows []concerns.DashboardRow
	if a.Dashboard || a.Teacher || a.Governors || a.Work {
		var err error
		if rows, err = h.Concerns.Dashboard(ctx, who, school); err != nil {
			out.Failed = true
			rows = nil
		}
	}
	if a.Dashboard {
		unread, overdue := 0, 0
		for _, row := range rows {
			if !row.Read && row.Concern.Status() != concerns.CaseClosed {
				unread++
			}
			if row.Overdue {
				overdue++
			}
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
		mine, waiting := 0, 0
		for _, row := range rows {
			if row.Concern.AuthorEmail() == me {
				mine++
				if !row.Concern.Responded() && row.Concern.Status() != concerns.CaseClosed {
					waiting++
				}
			}
		}
		add(needOf("raised", mine, "concern you raised", "concerns you raised", "No concerns raised by you recently", raisedPath(school)))
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
		routed := 0
		for _, row := range rows {
			if row.Concern.AboutStaff() {
				routed++
			}
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
	Tagged                                                bool
}

type raisedView struct {
	SchoolName string
	Concerns   []raisedConcern
}

// raisedConcerns lists the school's recent concerns the reader wrote or was tagged in (the
// dashboard's use case, which decides what they may see), newest first.
func (h *Handler) raisedConcerns(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Member {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	rows, err := h.Concerns.Dashboard(ctx, r.caller(s.claims.Email), schoolID)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	me := s.claims.Email
	var mine []concerns.Concern
	var ids []safeguarding.PupilID
	for _, row := range rows {
		c := row.Concern
		if c.AuthorEmail() == me || slices.Contains(c.TagStaff(), me) {
			mine = append(mine, c)
			for _, lp := range c.Pupils() {
				ids = append(ids, lp.ID)
			}
		}
	}
	slices.SortStableFunc(mine, func(a, b concerns.Concern) int { return b.RecordedAt().Compare(a.RecordedAt()) })
	names := map[safeguarding.PupilID]safeguarding.Pupil{}
	if len(ids) > 0 {
		if names, err = h.Directory.Pupils(ctx, schoolID, ids); err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
	}
	v := raisedView{}
	if sc, err := h.Directory.School(ctx, schoolID); err == nil {
		v.SchoolName = sc.Name
	}
	for _, c := range mine {
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
		v.Concerns = append(v.Concerns, raisedConcern{Reference: c.Reference(), Link: concernPath(schoolID, c.ID()),
			RecordedAt: when(c.RecordedAt()), Pupils: joinNames(pupils), Category: categoryTitle(c.Category()), Status: status,
			Tagged: c.AuthorEmail() != me})
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
