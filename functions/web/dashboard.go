package main

import (
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

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
	// Filter is what the form asked for; Categories the choices of the category filter;
	// Problems the dates that could not be read.
	Filter     dashboardFilter
	Filtered   bool
	Categories []option
	Problems   formProblems
	// Page is this page's number; PrevURL and NextURL the pages either side ("" at an end).
	Page             int
	PrevURL, NextURL string
}

// dashboardFilter narrows the dashboard's rows: by status, priority, category, what waits
// (unread or overdue), words of a pupil's name and the days recorded. Each value the form
// cannot give is "". The days are as typed; From and To the school-local times they bound
// (To the start of the day after the last), zero when not asked for or not a date.
type dashboardFilter struct {
	Status, Priority, Category, Show, Pupil string
	FromDay, FromMonth, FromYear            string
	ToDay, ToMonth, ToYear                  string
	From, To                                time.Time
}

// maxPupilFilter bounds the pupil's name a filter takes; maxDatePart a part of a date.
const (
	maxPupilFilter = 100
	maxDatePart    = 4
)

// readDashboardFilter reads the dashboard's query: values outside the form's choices are
// dropped (the filter is then "any"), a pupil's name is trimmed and cut to its bound, and
// each date must be a real one (a problem naming its field otherwise), "to" not before "from".
func readDashboardFilter(q url.Values) (dashboardFilter, formProblems) {
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
	case concerns.ShowUnread, concerns.ShowOverdue:
		f.Show = v
	}
	f.Pupil = strings.Join(strings.Fields(q.Get("pupil")), " ")
	if r := []rune(f.Pupil); len(r) > maxPupilFilter {
		f.Pupil = string(r[:maxPupilFilter])
	}
	var problems formProblems
	part := func(name string) string {
		v := strings.TrimSpace(q.Get(name))
		if r := []rune(v); len(r) > maxDatePart {
			v = string(r[:maxDatePart+1])
		}
		return v
	}
	f.FromDay, f.FromMonth, f.FromYear = part("from-day"), part("from-month"), part("from-year")
	f.ToDay, f.ToMonth, f.ToYear = part("to-day"), part("to-month"), part("to-year")
	from, okFrom := dayOf(f.FromDay, f.FromMonth, f.FromYear)
	to, okTo := dayOf(f.ToDay, f.ToMonth, f.ToYear)
	if !okFrom {
		problems.add("from-day", "Recorded from must be a real date, for example 27 3 2026")
	}
	if !okTo {
		problems.add("to-day", "Recorded to must be a real date, for example 27 3 2026")
	}
	if okFrom && okTo && !from.IsZero() && !to.IsZero() && to.Before(from) {
		problems.add("to-day", "Recorded to must be the same day as recorded from or after it")
	}
	if len(problems.List) == 0 {
		f.From = from
		if !to.IsZero() {
			f.To = to.AddDate(0, 0, 1)
		}
	}
	return f, problems
}

// dayOf reads a GOV.UK date input's day, month and year as the start of that day in school
// time: all empty is no date (zero, true); anything else must be a real date from 2000 to 2099.
func dayOf(day, month, year string) (time.Time, bool) {
	if day == "" && month == "" && year == "" {
		return time.Time{}, true
	}
	d, errD := strconv.Atoi(day)
	m, errM := strconv.Atoi(month)
	y, errY := strconv.Atoi(year)
	if errD != nil || errM != nil || errY != nil || len(year) != 4 || y < 2000 || y > 2099 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, safeguarding.London)
	if t.Day() != d || t.Month() != time.Month(m) {
		return time.Time{}, false
	}
	return t, true
}

func (f dashboardFilter) any() bool {
	return f.Status != "" || f.Priority != "" || f.Category != "" || f.Show != "" || f.Pupil != "" || !f.From.IsZero() || !f.To.IsZero()
}

// values is the filter as the form sends it, for the links to other pages.
func (f dashboardFilter) values() url.Values {
	v := url.Values{}
	for k, val := range map[string]string{"status": f.Status, "priority": f.Priority, "category": f.Category, "show": f.Show,
		"pupil": f.Pupil, "from-day": f.FromDay, "from-month": f.FromMonth, "from-year": f.FromYear,
		"to-day": f.ToDay, "to-month": f.ToMonth, "to-year": f.ToYear} {
		if val != "" {
			v.Set(k, val)
		}
	}
	return v
}

// query is the use case's query of the filter; pupils the ids a pupil's name found (nil when
// the filter names none).
func (f dashboardFilter) query(pupils map[safeguarding.PupilID]bool) concerns.DashboardQuery {
	return concerns.DashboardQuery{From: f.From, To: f.To, Status: f.Status, Show: f.Show, HighPriority: f.Priority == "high",
		Category: safeguarding.Category(f.Category), Pupils: pupils}
}

// ---- The pages' positions ---------------------------------------------------------------------

// A page's position in a list travels in its links as a "page" token: the positions where the
// pages before it began and where it begins (the use case's sort keys), with a MAC under the
// session's secret over the list it belongs to (the school, the page and its filter). A token
// changed by hand, made for another list or school, or from another session is refused with
// 400 before anything is read. maxPageTrail bounds the positions a token keeps: past it,
// the earliest are dropped, and "Previous" from the earliest kept goes to the first page.
const maxPageTrail = 40

// errBadPage is a page token that is not one of this list's.
var errBadPage = errors.New("web: a page of another list")

// pageMAC is the MAC of a trail of positions in the list scope.
func (s session) pageMAC(scope, trail string) []byte {
	m := hmac.New(sha256.New, []byte(s.id))
	m.Write([]byte("keepsafe page token v1\x00" + scope + "\x00" + trail))
	return m.Sum(nil)
}

// pageToken makes the token of a page whose earlier pages began at trail[:len-1] and which
// begins at the last position of trail.
func (s session) pageToken(scope string, trail []string) string {
	if len(trail) > maxPageTrail {
		trail = trail[len(trail)-maxPageTrail:]
	}
	joined := strings.Join(trail, ",")
	return base64.RawURLEncoding.EncodeToString([]byte(joined)) + "." + base64.RawURLEncoding.EncodeToString(s.pageMAC(scope, joined))
}

// readPageToken reads a token back: the trail of positions, or errBadPage.
func (s session) readPageToken(scope, token string) ([]string, error) {
	if len(token) > 8192 {
		return nil, errBadPage
	}
	body, sig, ok := strings.Cut(token, ".")
	if !ok {
		return nil, errBadPage
	}
	raw, err1 := base64.RawURLEncoding.DecodeString(body)
	mac, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(mac, s.pageMAC(scope, string(raw))) || len(raw) == 0 {
		return nil, errBadPage
	}
	trail := strings.Split(string(raw), ",")
	if len(trail) > maxPageTrail {
		return nil, errBadPage
	}
	return trail, nil
}

// pagesOf are the links either side of a page: prev the trail before it (nil on the first
// page), next the position it ended at ("" on the last).
func pagesOf(s session, path, scope string, filter url.Values, trail []string, next string) (prevURL, nextURL string) {
	link := func(t []string) string {
		v := url.Values{}
		for k := range filter {
			v.Set(k, filter.Get(k))
		}
		if len(t) > 0 {
			v.Set("page", s.pageToken(scope, t))
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	if len(trail) > 0 {
		prevURL = link(trail[:len(trail)-1])
	}
	if next != "" {
		nextURL = link(append(slices.Clone(trail), next))
	}
	return prevURL, nextURL
}

// badPage is the answer to a page token that is not this list's: 400, in plain words.
func (h *Handler) badPage(r *request, s *session, first string) events.APIGatewayV2HTTPResponse {
	return h.showError(r, errorView{Status: http.StatusBadRequest, Heading: "This page of the list cannot be shown",
		Message: "The link was changed, or belongs to another list or an earlier sign-in. Start again from the first page.",
		Link:    first, LinkText: "Go to the first page"}, s)
}

// dashboard lists a page of the school's concerns the DSL may see (Concerns.DashboardPage):
// newest first, high priority on top of each page, unread and late ones marked, and those no
// DSL has acted on marked as awaiting action or, past its due time, overdue.
func (h *Handler) dashboard(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Dashboard {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	q, _ := url.ParseQuery(r.ev.RawQueryString)
	filter, problems := readDashboardFilter(q)
	v := dashboardView{Filter: filter, Filtered: filter.any(), Problems: problems, Page: 1}
	if school, err := h.Directory.School(ctx, schoolID); err == nil {
		v.SchoolName = school.Name
	}
	cat := concerns.PolicyCatalogue()
	for _, def := range cat {
		v.Categories = append(v.Categories, option{Value: string(def.ID), Title: def.Title, Checked: string(def.ID) == v.Filter.Category})
	}
	path := schoolPath(schoolID) + "/concerns"
	if len(problems.List) > 0 {
		return h.page(r, http.StatusBadRequest, "dashboard", pageData{Title: "Error: Concerns", SignedIn: true, CSRF: s.csrf(), Page: v,
			Nav: navFor(p, schoolID, "concerns")})
	}
	filterValues := filter.values()
	scope := "dashboard\x00" + string(schoolID) + "\x00" + filterValues.Encode()
	var trail []string
	if tok := q.Get("page"); tok != "" {
		if trail, err = s.readPageToken(scope, tok); err != nil {
			return h.badPage(r, &s, path+"?"+filterValues.Encode())
		}
	}
	var pupils map[safeguarding.PupilID]bool
	if filter.Pupil != "" {
		found, err := h.Directory.SearchPupils(ctx, schoolID, filter.Pupil, pupilFilterLimit)
		if err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
		pupils = map[safeguarding.PupilID]bool{}
		for _, pu := range found {
			pupils[pu.ID] = true
		}
	}
	dq := filter.query(pupils)
	if len(trail) > 0 {
		dq.After = trail[len(trail)-1]
	}
	var page concerns.DashboardPage
	// A name no pupil has: nothing to read.
	if pupils == nil || len(pupils) > 0 {
		page, err = h.Concerns.DashboardPage(ctx, r.caller(s.claims.Email), schoolID, dq)
		if errors.Is(err, safeguarding.ErrInvalid) {
			return h.badPage(r, &s, path+"?"+filterValues.Encode())
		}
		if err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
	}
	v.Page = len(trail) + 1
	v.PrevURL, v.NextURL = pagesOf(s, path, scope, filterValues, trail, page.Next)
	var ids []safeguarding.PupilID
	for _, row := range page.Rows {
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
	for _, row := range page.Rows {
		c := row.Concern
		var pupils []string
		for _, lp := range c.Pupils() {
			name := names[lp.ID].Name
			if name == "" {
				name = "A pupil no longer on the roll"
			}
			pupils = append(pupils, name)
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
	return h.page(r, http.StatusOK, "dashboard", pageData{Title: "Concerns", SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "concerns")})
}

// pupilFilterLimit bounds the pupils a name in the dashboard's filter finds.
const pupilFilterLimit = 200
