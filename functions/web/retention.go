package main

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/retention"
)

// "Records to review" (rule S7): for the Senior DSL, the pupils whose records reach the 25th
// birthday by a date they choose, with the forms that place and lift a legal hold, through
// the retention API's use cases.

// retentionService is rule S7's use cases.
type retentionService interface {
	Due(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, before time.Time, withHeld bool) (retention.List, error)
	Place(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, in retention.Placing,
		key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error)
	Lift(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, id, reason string, version int,
		key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error)
}

var _ retentionService = retention.Service{}

func retentionPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/retention" }

type retentionView struct {
	SchoolName string
	Problems   formProblems
	Done       string
	Action     string
	// Before is the date as typed; Until the list's date in words.
	Before, Until string
	WithHeld      bool
	Pupils        []retentionPupil
}

type retentionPupil struct {
	ID, Name, Born, TwentyFive, Records, Link string
	Past, Left                                bool
	Held                                      bool
	HoldReason, HoldSince, HoldReview         string
	PostURL, Key, Version, Reason, ReviewOn   string
}

var retentionDone = map[string]string{
	"held":   "Legal hold placed. The pupil's records stay off the list until it is lifted.",
	"lifted": "Legal hold lifted. The pupil's records are back on the list when they are due.",
}

// retentionList shows the list; GET reads the date chosen, and a form sent back with a
// problem shows it at its field.
func (h *Handler) retentionList(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.retentionPage(ctx, r, s, safeguarding.SchoolID(r.param("school")), formProblems{}, "", nil)
}

func (h *Handler) retentionPage(ctx context.Context, r *request, s session, school safeguarding.SchoolID, problems formProblems, typedFor string, typed url.Values) events.APIGatewayV2HTTPResponse {
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Retention == nil || !safeguarding.AccessFor(p, school).Retention {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	q := r.ev.QueryStringParameters
	v := retentionView{Action: retentionPath(school), Problems: problems, Done: retentionDone[q["done"]],
		Before: strings.TrimSpace(q["before"]), WithHeld: q["held"] == "include"}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	status := http.StatusOK
	if len(problems.List) > 0 {
		status = http.StatusBadRequest
	}
	var before time.Time
	if v.Before != "" {
		d, ok := parseDay(v.Before)
		if !ok {
			v.Problems.add("before", "Enter the date as a date, like 2027-03-31")
			return h.page(r, http.StatusBadRequest, "retention", pageData{Title: "Error: Records to review", SignedIn: true, CSRF: s.csrf(), Page: v,
				Nav: navFor(p, school, "retention")})
		}
		before = d
	}
	who := r.caller(s.claims.Email)
	l, err := h.Retention.Due(ctx, who, school, before, v.WithHeld)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v.Until = l.Before.Format("2 January 2006")
	today := who.At.In(safeguarding.London)
	for _, row := range l.Rows {
		pu := retentionPupil{ID: string(row.Pupil.ID), Name: row.Pupil.Name, TwentyFive: row.ReachesAge.Format("2 January 2006"),
			Records: strconv.Itoa(row.Records), Link: chronologyPath(school, row.Pupil.ID), Past: !row.ReachesAge.After(today), Left: row.Pupil.Left,
			Version: strconv.Itoa(row.State.Version), Key: rand.Text()}
		if !row.Pupil.DateOfBirth.IsZero() {
			pu.Born = row.Pupil.DateOfBirth.Format("2 January 2006")
		}
		if hd := row.State.Hold; hd != nil {
			pu.Held, pu.HoldReason, pu.HoldSince = true, hd.Reason, hd.PlacedAt.In(safeguarding.London).Format("2 January 2006")
			if !hd.ReviewOn.IsZero() {
				pu.HoldReview = hd.ReviewOn.Format("2 January 2006")
			}
			pu.PostURL = retentionPath(school) + "/" + url.PathEscape(pu.ID) + "/holds/" + url.PathEscape(hd.ID) + "/lift"
		} else {
			pu.PostURL = retentionPath(school) + "/" + url.PathEscape(pu.ID) + "/holds"
		}
		if typedFor == pu.ID {
			pu.Reason, pu.ReviewOn = typed.Get("reason"), typed.Get("review-on")
			if k := typed.Get("key"); k != "" {
				pu.Key = k
			}
		}
		v.Pupils = append(v.Pupils, pu)
	}
	title := "Records to review"
	if len(v.Problems.List) > 0 {
		title = "Error: " + title
	}
	return h.page(r, status, "retention", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "retention")})
}

// holdForm is a hold's form as it was sent: the version of the pupil's holds the page was
// read at, the reason, and for a placing the review date as typed and as read.
type holdForm struct {
	Key, Reason, ReviewOn string
	Version               int
	// Review is ReviewOn read as a date (zero when empty); ReviewOK is false when it is not one.
	Review   time.Time
	ReviewOK bool
}

// readHoldForm decodes a hold's posted form; ok is false when its version is not a version.
func readHoldForm(v url.Values) (holdForm, bool) {
	f := holdForm{Key: formKeyOf(strings.TrimSpace(v.Get("key"))), Reason: v.Get("reason"), ReviewOn: strings.TrimSpace(v.Get("review-on")), ReviewOK: true}
	n, err := strconv.Atoi(strings.TrimSpace(v.Get("version")))
	if err != nil || n < 0 {
		return f, false
	}
	f.Version = n
	if f.ReviewOn != "" {
		f.Review, f.ReviewOK = parseDay(f.ReviewOn)
	}
	return f, true
}

func (f holdForm) fingerprint(kind string, school safeguarding.SchoolID, pupil safeguarding.PupilID, hold string) string {
	return commandFingerprint(kind, string(school), string(pupil), hold, f.Reason, f.ReviewOn, strconv.Itoa(f.Version))
}

// placeHold places a legal hold on a pupil's records (S7).
func (h *Handler) placeHold(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.onHold(ctx, r, s, "held", func(who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, f holdForm, key safeguarding.RequestKey) (string, error) {
		if !f.ReviewOK {
			return "review-on", &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "reviewOn", Message: "Enter the review date as a date, like 2027-09-01"}}}
		}
		_, err := h.Retention.Place(ctx, who, school, pupil, retention.Placing{Reason: f.Reason, ReviewOn: f.Review, Version: f.Version}, key,
			f.fingerprint("hold", school, pupil, ""))
		return "", err
	})
}

// liftHold lifts a legal hold, with a reason (S7).
func (h *Handler) liftHold(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.onHold(ctx, r, s, "lifted", func(who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, f holdForm, key safeguarding.RequestKey) (string, error) {
		_, err := h.Retention.Lift(ctx, who, school, pupil, r.param("hold"), f.Reason, f.Version, key, f.fingerprint("lift", school, pupil, r.param("hold")))
		return "", err
	})
}

// onHold runs a hold's form: the Senior DSL only; a problem comes back on the list at the
// pupil's field, a change someone made first asks to reload.
func (h *Handler) onHold(ctx context.Context, r *request, s session, done string,
	do func(who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, f holdForm, key safeguarding.RequestKey) (string, error)) events.APIGatewayV2HTTPResponse {
	school, pupil := safeguarding.SchoolID(r.param("school")), safeguarding.PupilID(r.param("pupil"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if h.Retention == nil || !safeguarding.AccessFor(p, school).Retention {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	f, ok := readHoldForm(r.form)
	if !ok {
		return h.errorPage(r, http.StatusBadRequest, &s)
	}
	key := f.Key
	field, err := do(r.caller(s.claims.Email), school, pupil, f, requestKey(school, s.claims.Email, key))
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		var problems formProblems
		for _, fp := range ve.Problems {
			anchor := "reason-" + string(pupil)
			if fp.Field == "reviewOn" || field == "review-on" {
				anchor = "review-on-" + string(pupil)
			}
			msg := fp.Message
			if fp.Field == "reason" {
				msg = "Say why"
				if strings.TrimSpace(r.form.Get("reason")) != "" {
					msg = "Shorten the reason to " + strconv.Itoa(retention.MaxReason) + " characters or fewer"
				}
			}
			if fp.Field == "reviewOn" && field == "" {
				msg = "Enter a review date after today"
			}
			problems.add(anchor, msg)
		}
		typed := url.Values{"reason": {r.form.Get("reason")}, "review-on": {r.form.Get("review-on")}, "key": {key}}
		return h.retentionPage(ctx, r, s, school, problems, string(pupil), typed)
	case err != nil:
		return h.caseWorkFailed(r, s, err, retentionPath(school))
	}
	back := retentionPath(school) + "?done=" + done
	if done == "held" {
		back += "&held=include"
	}
	return redirect(back+"#done", http.StatusSeeOther)
}
