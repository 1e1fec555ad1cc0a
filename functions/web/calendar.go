package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// The school calendar (terms, holidays, INSET and closure days), from which rules E2-E5 count
// school days: the DSLs and the office see it, the Senior DSL and the office change it, through
// the same use cases as GET and PUT /api/schools/{school}/calendar.

var dayOffTitles = map[string]string{
	safeguarding.DayOffHoliday: "Holiday or half term",
	safeguarding.DayOffINSET:   "INSET (staff training) day",
	safeguarding.DayOffClosure: "Closure (snow, a burst pipe...)",
}

// Blank rows the form offers for new entries.
const (
	blankTerms   = 1
	blankDaysOff = 2
)

type calendarView struct {
	SchoolName string
	Done       string
	CanEdit    bool
	PostURL    string
	Version    int
	Terms      []termRow
	DaysOff    []dayOffRow
	Kinds      []option
	Problems   formProblems
	// Shown to those who may not edit: the calendar as it is.
	TermList   []safeguarding.Term
	DayOffList []dayOffLine
	// Closure is the school's full closure (rule E0), see closures.go.
	Closure closureSection
}

type dayOffLine struct {
	Kind     string
	From, To time.Time
	Note     string
}

func (h *Handler) calendar(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	done := ""
	if r.ev.QueryStringParameters["done"] == "saved" {
		done = "Calendar saved. School days are counted from it from now on."
	}
	if m := closureDone[r.ev.QueryStringParameters["done"]]; m != "" {
		done = m
	}
	return h.calendarPage(ctx, r, s, safeguarding.SchoolID(r.param("school")), nil, done, formProblems{})
}

// calendarPage shows the calendar: the stored one, or the form as sent (with its problems).
func (h *Handler) calendarPage(ctx context.Context, r *request, s session, school safeguarding.SchoolID, sent *calendarForm, done string,
	problems formProblems) events.APIGatewayV2HTTPResponse {
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, school).Calendar || h.Engagement == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	cal, err := h.Engagement.Calendar(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := calendarView{Done: done, CanEdit: safeguarding.AccessFor(p, school).CalendarEdit, PostURL: schoolPath(school) + "/calendar",
		Version: cal.Version, Problems: problems, TermList: cal.Terms}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	if v.Closure, err = h.closureSectionFor(ctx, r, s, p, school); err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	for _, o := range cal.DaysOff {
		v.DayOffList = append(v.DayOffList, dayOffLine{Kind: dayOffTitles[o.Kind], From: o.From, To: o.To, Note: o.Note})
	}
	if sent != nil {
		if n, err := strconv.Atoi(sent.Version); err == nil {
			v.Version = n
		}
		for _, t := range sent.Terms {
			if !t.Remove && !t.blank() {
				v.Terms = append(v.Terms, termRow{Name: t.Name, From: isoDay(t.From), To: isoDay(t.To)})
			}
		}
		for _, o := range sent.DaysOff {
			if !o.Remove && !o.blank() {
				v.DaysOff = append(v.DaysOff, dayOffRow{Kind: o.Kind, From: isoDay(o.From), To: isoDay(o.To), Note: o.Note})
			}
		}
	} else {
		for _, t := range cal.Terms {
			v.Terms = append(v.Terms, termRow{Name: t.Name, From: t.From.Format(time.DateOnly), To: t.To.Format(time.DateOnly)})
		}
		for _, o := range cal.DaysOff {
			v.DaysOff = append(v.DaysOff, dayOffRow{Kind: o.Kind, From: o.From.Format(time.DateOnly), To: o.To.Format(time.DateOnly), Note: o.Note})
		}
	}
	extra := 1
	if sent != nil && sent.Intent == "more" {
		extra = 2
	}
	for range blankTerms * extra {
		v.Terms = append(v.Terms, termRow{})
	}
	for range blankDaysOff * extra {
		v.DaysOff = append(v.DaysOff, dayOffRow{Kind: safeguarding.DayOffHoliday})
	}
	for _, k := range safeguarding.DayOffKinds {
		v.Kinds = append(v.Kinds, option{Value: k, Title: dayOffTitles[k]})
	}
	title := "School calendar"
	status := http.StatusOK
	if len(problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "calendar", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "calendar")})
}

// isoDay shows a typed date as a date input holds it, or as typed when it is not a date.
func isoDay(s string) string {
	if t, ok := parseDay(s); ok {
		return t.Format(time.DateOnly)
	}
	return s
}

// editCalendar saves the calendar as the form sent it, against the version shown: someone
// else's save in between is a conflict, never overwritten.
func (h *Handler) editCalendar(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, school).CalendarEdit || h.Engagement == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	f := readCalendarForm(r.form)
	if f.Intent == "more" {
		return h.calendarPage(ctx, r, s, school, &f, "", formProblems{})
	}
	in, version, own := f.input()
	if len(own) > 0 {
		var ps formProblems
		for _, p := range own {
			ps.add(p.Anchor, p.Message)
		}
		return h.calendarPage(ctx, r, s, school, &f, "", ps)
	}
	_, err = h.Engagement.EditCalendar(ctx, r.caller(s.claims.Email), school, version, in)
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		var ps formProblems
		ps.addValidation(ve, map[string]string{"terms": "term-name-0", "terms.name": "term-name-0", "daysOff": "off-kind-0",
			"daysOff.kind": "off-kind-0", "daysOff.note": "off-note-0"}, "calendar")
		return h.calendarPage(ctx, r, s, school, &f, "", ps)
	case err != nil:
		return h.caseWorkFailed(r, s, err, schoolPath(school)+"/calendar")
	}
	return redirect(schoolPath(school)+"/calendar?done=saved", http.StatusSeeOther)
}
