package main

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

// A full school closure (rule E0) on the calendar page: whether the school is in one, and for
// the Senior DSL the forms that start and end it, through the same use cases as the closures
// API. While a closure lasts every family's silent school days are counted (E2).

// closureService is the part of engagement.Closures the pages use.
type closureService interface {
	Latest(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (safeguarding.Closure, error)
	Start(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, from time.Time, key safeguarding.RequestKey, fp string) (safeguarding.Closure, error)
	End(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, lastDay time.Time, key safeguarding.RequestKey, fp string) (safeguarding.Closure, error)
}

var _ closureService = engagement.Closures{}

// closureSection is the calendar page's closure: where the school stands, and the forms.
type closureSection struct {
	Open      bool
	Since     string // the first day of the open closure
	LastFrom  string // the latest closure that ended: its first and last days
	LastTo    string
	CanManage bool
	StartURL  string
	EndURL    string
	From      string // as typed, after a problem
	LastDay   string
	Key       string
}

func day(t time.Time) string { return t.In(safeguarding.London).Format("Monday 2 January 2006") }

// closureSectionFor reads the school's latest closure for the calendar page; the form's
// values come back as sent after a problem.
func (h *Handler) closureSectionFor(ctx context.Context, r *request, s session, p safeguarding.Principal, school safeguarding.SchoolID) (closureSection, error) {
	var v closureSection
	if h.Closures == nil {
		return v, nil
	}
	c, err := h.Closures.Latest(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return v, err
	}
	v.CanManage = safeguarding.AccessFor(p, school).Closures
	v.StartURL = schoolPath(school) + "/closures"
	v.From, v.LastDay = r.form.Get("closure-from"), r.form.Get("closure-last-day")
	v.Key = r.form.Get("key")
	if v.Key == "" {
		v.Key = rand.Text()
	}
	switch {
	case c.Open():
		v.Open, v.Since = true, day(c.From)
		v.EndURL = schoolPath(school) + "/closures/" + url.PathEscape(c.ID) + "/end"
	case !c.IsZero():
		v.LastFrom, v.LastTo = day(c.From), day(c.LastDay)
	}
	return v, nil
}

var closureDone = map[string]string{
	"closure-started": "Closure started. From its first school day every family's silent school days are counted.",
	"closure-ended":   "Closure ended. Nothing more is counted; families still missing stay on the list until contact is made.",
}

// startClosure starts a full closure from the day the Senior DSL gives (rule E0).
func (h *Handler) startClosure(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	typed := strings.TrimSpace(r.form.Get("closure-from"))
	return h.onClosure(ctx, r, s, school, "closure-from", typed, "closure-started", func(who safeguarding.Caller, d time.Time, key safeguarding.RequestKey, fp string) error {
		_, err := h.Closures.Start(ctx, who, school, d, key, fp)
		return err
	})
}

// endClosure ends the open closure with the last day the Senior DSL gives (rule E0).
func (h *Handler) endClosure(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	typed := strings.TrimSpace(r.form.Get("closure-last-day"))
	return h.onClosure(ctx, r, s, school, "closure-last-day", typed, "closure-ended", func(who safeguarding.Caller, d time.Time, key safeguarding.RequestKey, fp string) error {
		_, err := h.Closures.End(ctx, who, school, r.param("id"), d, key, fp)
		return err
	})
}

// onClosure runs one closure form: the Senior DSL only; a day that is not a date, or one the
// rules refuse, comes back on the calendar page at its field.
func (h *Handler) onClosure(ctx context.Context, r *request, s session, school safeguarding.SchoolID, field, typed, done string,
	do func(who safeguarding.Caller, d time.Time, key safeguarding.RequestKey, fp string) error) events.APIGatewayV2HTTPResponse {
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, school).Closures || h.Closures == nil || h.Engagement == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	var problems formProblems
	d, ok := parseDay(typed)
	if !ok {
		problems.add(field, "Enter the day as a date, like 2027-01-11")
		return h.calendarPage(ctx, r, s, school, nil, "", problems)
	}
	key := formKeyOf(strings.TrimSpace(r.form.Get("key")))
	err = do(r.caller(s.claims.Email), d, requestKey(school, s.claims.Email, key), commandFingerprint(done, string(school), r.param("id"), typed))
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		problems.addValidation(ve, map[string]string{"from": "closure-from", "lastDay": "closure-last-day"}, field)
		return h.calendarPage(ctx, r, s, school, nil, "", problems)
	case errors.Is(err, safeguarding.ErrConflict) && done == "closure-started":
		problems.add(field, "The school is already in a closure: end it first")
		return h.calendarPage(ctx, r, s, school, nil, "", problems)
	case err != nil:
		return h.caseWorkFailed(r, s, err, schoolPath(school)+"/calendar")
	}
	return redirect(schoolPath(school)+"/calendar?done="+done+"#done", http.StatusSeeOther)
}
