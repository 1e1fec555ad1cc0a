package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// The DSL's case work on a concern (rules D1-D9), an assignee's My work and the SLT review,
// through the same use cases as the cases API (safeguarding.Cases).

// ---- Problems shown in a page's error summary ---------------------------------------------

// problem is one error of a form, linked from the error summary to the field's element id.
type problem struct {
	Anchor  string
	Message string
}

// formProblems are the errors of the form that was sent; For holds each field's first
// message by element id, shown next to it.
type formProblems struct {
	List []problem
	For  map[string]string
}

func (p *formProblems) add(anchor, message string) {
	if p.For == nil {
		p.For = map[string]string{}
	}
	p.List = append(p.List, problem{Anchor: anchor, Message: message})
	if _, seen := p.For[anchor]; !seen {
		p.For[anchor] = message
	}
}

// addValidation adds the domain's field problems, each at its field's element (fallback when
// the field has none on the form).
func (p *formProblems) addValidation(ve *safeguarding.ValidationError, anchors map[string]string, fallback string) {
	for _, fp := range ve.Problems {
		anchor, ok := anchors[fp.Field]
		if !ok {
			anchor = fallback
		}
		p.add(anchor, sentence(fp.Message))
	}
}

// ---- The forms, as typed --------------------------------------------------------------------

// addActionForm is the add-an-action form as it was sent.
type addActionForm struct {
	Key, Type, Assignee, Notes, ReferralTo string
	DueDay, DueMonth, DueYear, DueTime     string
	DueReason                              string
	Frequency                              string
}

// caseForm is the change-the-case form as it was sent.
type caseForm struct {
	Key, Change, Reason string
}

// actionForm is one action's complete, cannot-follow-up or reallocate form as it was sent.
type actionForm struct {
	ActionID casework.ActionID
	Outcome  string
	Reason   string
	To       string
}

// pageState is what a page shows again after a form with problems: what was typed and what
// is wrong with it.
type pageState struct {
	problems formProblems
	add      addActionForm
	kase     caseForm
	action   actionForm
}

func (st pageState) status() int {
	if len(st.problems.List) > 0 {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// formKey is the form's idempotency key: sending the same form twice (a double click, a
// reload) does the work once.
func formKey(v url.Values) string {
	k := strings.TrimSpace(v.Get("key"))
	if k == "" || len(k) > 64 {
		return rand.Text()
	}
	return k
}

func requestKey(school safeguarding.SchoolID, email, key string) safeguarding.RequestKey {
	return safeguarding.RequestKey{School: school, Actor: email, Key: key}
}

// commandFingerprint identifies a command by what it asks, so the same key with another
// form is refused rather than replayed.
func commandFingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%q|", p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// ---- Labels ---------------------------------------------------------------------------------

var actionTypeTitles = map[casework.ActionType]string{
	casework.ActionDSL:           "DSL action",
	casework.ActionParentMeeting: "Meeting with parents",
	casework.ActionMonitoring:    "Monitoring",
	casework.ActionReferral:      "Referral",
	casework.ActionCheckIn:       "Check-in",
}

// actionTypeRules says when each type of action is due by the rules.
var actionTypeRules = map[casework.ActionType]string{
	casework.ActionDSL:           "By the end of the day the concern was recorded.",
	casework.ActionParentMeeting: "Arranged by the end of the day the concern was recorded, ideally held that day.",
	casework.ActionMonitoring:    "Completed within 24 hours of the first alert. To update it every day or week, choose how often below.",
	casework.ActionReferral:      "Made within 24 hours, ideally the same day. Choose where it goes below.",
	casework.ActionCheckIn:       "Updated weekly, or by the end of the day when the concern is high priority, then due again each week until a designated safeguarding lead ends it.",
}

var referralTitles = map[string]string{
	"childrens-social-care": "Children's social care",
	"early-help":            "Early help",
	"police":                "Police",
	"lado":                  "LADO (local authority designated officer)",
}

var frequencyTitles = map[string]string{
	casework.FrequencyDaily:  "Every school day",
	casework.FrequencyWeekly: "Every week",
}

func actionTypeTitle(t casework.ActionType) string {
	return cmp.Or(actionTypeTitles[t], string(t))
}

func caseEventTitle(e concerns.CaseEvent) string {
	switch e.Kind {
	case concerns.CaseClosedEvent:
		return "Case closed"
	case concerns.CaseReopened:
		return "Case reopened"
	case concerns.CaseMarkedComplex:
		return "Marked complex"
	case concerns.CaseNotComplex:
		return "No longer marked complex"
	case concerns.CaseReviewed:
		if e.Decision == concerns.DecisionClose {
			return "Reviewed: closed"
		}
		return "Reviewed: kept open"
	}
	return sentence(strings.ReplaceAll(e.Kind, "-", " "))
}

func actionEventTitle(e casework.ActionEvent) string {
	switch e.Kind {
	case casework.EventCreated:
		return "Assigned to " + e.To
	case casework.EventCannotFollowUp:
		return e.From + " cannot follow it up"
	case casework.EventReallocated:
		return "Reallocated from " + e.From + " to " + e.To
	case casework.EventCompleted:
		return "Completed"
	case casework.EventUpdated:
		return "Updated"
	case casework.EventEnded:
		return "Monitoring ended"
	}
	return sentence(strings.ReplaceAll(e.Kind, "-", " "))
}

// doneMessages confirm a form's work after its redirect (?done=...).
var doneMessages = map[string]string{
	"action-added":       "Action added. The person it is assigned to has been told by email.",
	"action-completed":   "Action completed.",
	"action-updated":     "Update recorded. The next one is due as shown.",
	"action-ended":       "Monitoring ended. It no longer falls due.",
	"action-unable":      "The Senior DSL has been told you cannot follow this action up, and will reallocate it.",
	"action-reallocated": "Action reallocated. The new assignee has been told by email.",
	"case-close":         "Case closed.",
	"case-reopen":        "Case reopened.",
	"case-complex":       "Case marked complex. It will come up for review twice a term.",
	"case-not-complex":   "Case no longer marked complex.",
	"case-review":        "Review recorded.",
	"update-requested":   "The designated safeguarding leads have been asked for an update. Asking again today sends them no second email.",
	"amended":            "Correction saved as a new version. The earlier versions stay readable below.",
	"uploaded":           "File uploaded. It is checked in a moment: once the list shows it as uploaded, shred the paper notes.",
}

func doneMessage(r *request) string { return doneMessages[r.ev.QueryStringParameters["done"]] }

// ---- Views ----------------------------------------------------------------------------------

type option struct {
	Value   string
	Title   string
	Hint    string
	Checked bool
}

type historyView struct {
	At   time.Time
	By   string
	What string
	Note string
}

// actionView is one action as a page shows it, with the forms its viewer may use.
type actionView struct {
	ID           casework.ActionID
	Number       string
	Title        string
	Reference    string
	ConcernLink  string
	Assignee     string
	Mine         bool
	DueAt        time.Time
	Overdue      bool
	Completed    bool
	Notes        string
	Referral     string
	DueReason    string
	Outcome      string
	NeedsRealloc bool
	History      []historyView

	// Repeats says how often a repeating monitoring action or check-in falls due ("Every
	// week"); LastUpdate is its latest update.
	Repeats    string
	LastUpdate string

	CanComplete, CanUnable, CanReallocate, CanEnd bool
	// Back is where its forms return: "concern" or "work".
	Back    string
	Staff   []option
	Form    actionForm
	Open    bool
	Keys    map[string]string
	PostURL string
}

// caseView is the case section of a concern page, for a DSL.
type caseView struct {
	Closed    bool
	Complex   bool
	ReviewDue bool
	Events    []historyView
	Actions   []actionView

	AddURL      string
	CaseURL     string
	Types       []option
	Staff       []option
	Referrals   []option
	Frequencies []option
	Changes     []option
	Add         addActionForm
	Case        caseForm
}

func schoolPath(school safeguarding.SchoolID) string {
	return "/schools/" + url.PathEscape(string(school))
}

func concernPath(school safeguarding.SchoolID, id safeguarding.ConcernID) string {
	return schoolPath(school) + "/concerns/" + url.PathEscape(string(id))
}

// newActionView shows action a to viewer p at now; back is the page its forms return to.
func newActionView(a casework.Action, p safeguarding.Principal, school safeguarding.School, names map[string]string, now time.Time, back string, st pageState) actionView {
	open := a.Status() == safeguarding.ActionOpen
	_, n, _ := casework.ParseActionID(a.ID())
	v := actionView{
		ID: a.ID(), Number: fmt.Sprintf("%s-A%d", a.Reference(), n), Title: actionTypeTitle(a.Type()), Reference: a.Reference(), Assignee: cmp.Or(names[a.Assignee()], a.Assignee()),
		Mine: a.Assignee() == p.Email, DueAt: a.DueAt(), Overdue: a.Overdue(now), Completed: !open,
		Notes: a.Notes(), Referral: cmp.Or(referralTitles[a.ReferralTo()], a.ReferralTo()), DueReason: a.DueReason(),
		Outcome: a.Outcome(), NeedsRealloc: a.NeedsReallocation(), Back: back,
		PostURL: schoolPath(a.School()) + "/actions/" + url.PathEscape(string(a.ID())),
		Keys:    map[string]string{"complete": rand.Text(), "unable": rand.Text(), "reallocate": rand.Text(), "end": rand.Text()},
	}
	if a.CanOpenConcern(p) {
		// Rule P2: only those who may see the concern get a link to it.
		v.ConcernLink = concernPath(a.School(), a.Concern())
	}
	for _, e := range a.History() {
		v.History = append(v.History, historyView{At: e.At, By: cmp.Or(names[e.By], e.By), What: actionEventTitle(e), Note: e.Note})
	}
	if a.Repeats() {
		v.Repeats = frequencyTitles[a.Frequency()]
		if a.Status() == safeguarding.ActionOpen {
			v.LastUpdate = a.Outcome()
		}
	}
	v.CanComplete = open && a.CanChange(p)
	v.CanEnd = a.CanEnd(p)
	v.CanUnable = a.CanReportUnable(p)
	v.CanReallocate = a.CanReallocate(p)
	if st.action.ActionID == a.ID() {
		v.Form, v.Open = st.action, true
	}
	if v.CanReallocate {
		v.Staff = staffOptions(school, names, v.Form.To, a.Assignee())
	}
	return v
}

// ---- The concern page's case section (rules D1-D6, D9) -------------------------------------

// caseSection builds the case section of concern c, with its actions, for a DSL p.
func (h *Handler) caseSection(r *request, p safeguarding.Principal, school safeguarding.School, names map[string]string, c concerns.Concern,
	actions []casework.Action, cal safeguarding.SchoolCalendar, st pageState) *caseView {
	id := c.ID()
	base := concernPath(school.ID, id)
	v := &caseView{Closed: c.Status() == concerns.CaseClosed, Complex: c.Complex(), ReviewDue: c.ReviewDue(r.now, cal),
		AddURL: base + "/actions", CaseURL: base + "/case", Add: st.add, Case: st.kase}
	for _, e := range c.CaseEvents() {
		v.Events = append(v.Events, historyView{At: e.At, By: cmp.Or(names[e.By], e.By), What: caseEventTitle(e), Note: e.Reason})
	}
	for _, a := range actions {
		v.Actions = append(v.Actions, newActionView(a, p, school, names, r.now, "concern", st))
	}
	if cal.BankHolidays == nil {
		cal.BankHolidays = h.Calendar
	}
	for _, t := range casework.ActionTypes {
		due := casework.RuleDue(t, c, cal, school.EndOfDayMinutes, r.now)
		v.Types = append(v.Types, option{Value: string(t), Title: actionTypeTitle(t),
			Hint: actionTypeRules[t] + " Due by " + whenDay(due) + ".", Checked: st.add.Type == string(t)})
	}
	var leaveOut []string
	if c.AboutStaff() {
		leaveOut = append(leaveOut, c.SubjectStaffEmail())
	}
	v.Staff = staffOptions(school, names, st.add.Assignee, leaveOut...)
	for _, d := range casework.ReferralDestinations {
		v.Referrals = append(v.Referrals, option{Value: d, Title: referralTitles[d], Checked: st.add.ReferralTo == d})
	}
	for _, f := range casework.Frequencies {
		v.Frequencies = append(v.Frequencies, option{Value: f, Title: frequencyTitles[f], Checked: st.add.Frequency == f})
	}
	if v.Closed {
		v.Changes = append(v.Changes, option{Value: casework.ChangeReopen, Title: "Reopen the case"})
	} else {
		v.Changes = append(v.Changes, option{Value: casework.ChangeClose, Title: "Close the case"})
		if c.Complex() {
			v.Changes = append(v.Changes,
				option{Value: "review-" + concerns.DecisionKeepOpen, Title: "Record its review: keep it open"},
				option{Value: "review-" + concerns.DecisionClose, Title: "Record its review: close it"},
				option{Value: casework.ChangePlain, Title: "It is no longer complex"})
		} else {
			v.Changes = append(v.Changes, option{Value: casework.ChangeComplex, Title: "Mark it complex (reviewed twice a term)"})
		}
	}
	for i := range v.Changes {
		v.Changes[i].Checked = v.Changes[i].Value == st.kase.Change
	}
	if v.Add.Key == "" {
		v.Add.Key = rand.Text()
	}
	if v.Case.Key == "" {
		v.Case.Key = rand.Text()
	}
	return v
}

// caseWorkFailed shows the page for a case-work error that is not a problem with the form: a
// record that is not the person's to see is "not found" (P2); a change someone else made
// first asks to reload (409).
func (h *Handler) caseWorkFailed(r *request, s session, err error, reload string) events.APIGatewayV2HTTPResponse {
	if errors.Is(err, safeguarding.ErrConflict) || errors.Is(err, safeguarding.ErrIdempotencyMismatch) {
		return h.showError(r, errorView{Status: http.StatusConflict, Heading: "Someone else changed this",
			Message: "This was changed by someone else, or already done, after you opened the page. Reload the page to see it as it is now, then try again if it is still needed.",
			Link:    reload, LinkText: "Reload the page"}, &s)
	}
	return h.errorPage(r, statusFor(err), &s)
}

// addAction records a DSL's action on the concern (rules D1-D5).
func (h *Handler) addAction(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := safeguarding.ConcernID(r.param("id"))
	f := addActionForm{Key: formKey(r.form), Type: r.form.Get("type"), Assignee: strings.TrimSpace(r.form.Get("assignee")),
		Notes: r.form.Get("notes"), ReferralTo: r.form.Get("referral-to"),
		DueDay: strings.TrimSpace(r.form.Get("due-day")), DueMonth: strings.TrimSpace(r.form.Get("due-month")),
		DueYear: strings.TrimSpace(r.form.Get("due-year")), DueTime: strings.TrimSpace(r.form.Get("due-time")),
		DueReason: r.form.Get("due-reason"), Frequency: r.form.Get("frequency")}
	st := pageState{add: f}
	in := casework.NewAction{Type: f.Type, AssigneeEmail: f.Assignee, Notes: f.Notes, ReferralTo: f.ReferralTo, DueReason: f.DueReason,
		Frequency: f.Frequency}
	if f.DueDay != "" || f.DueMonth != "" || f.DueYear != "" || f.DueTime != "" {
		due, msg := localTime(f.DueDay, f.DueMonth, f.DueYear, f.DueTime)
		if msg != "" {
			st.problems.add("due-day", msg)
			return h.concernPage(ctx, r, s, school, id, st)
		}
		in.DueAt = &due
	}
	fp := commandFingerprint("add-action", string(school), string(id), f.Type, f.Assignee, f.Notes, f.ReferralTo,
		f.DueDay, f.DueMonth, f.DueYear, f.DueTime, f.DueReason, f.Frequency)
	_, err := h.Cases.AddAction(ctx, r.caller(s.claims.Email), school, id, in, requestKey(school, s.claims.Email, f.Key), fp)
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		st.problems.addValidation(ve, map[string]string{"type": "action-type",
			"assigneeEmail": "assignee", "notes": "action-notes", "referralTo": "referral-to", "dueAt": "due-day",
			"dueReason": "due-reason", "frequency": "frequency"}, "action-notes")
		return h.concernPage(ctx, r, s, school, id, st)
	case err != nil:
		return h.caseWorkFailed(r, s, err, concernPath(school, id))
	}
	return redirect(concernPath(school, id)+"?done=action-added#case-work", http.StatusSeeOther)
}

// changeCase closes, reopens, marks complex (or not) or reviews the case, with a reason (D9).
func (h *Handler) changeCase(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := safeguarding.ConcernID(r.param("id"))
	f := caseForm{Key: formKey(r.form), Change: r.form.Get("change"), Reason: r.form.Get("reason")}
	st := pageState{kase: f}
	change, decision := f.Change, ""
	if d, ok := strings.CutPrefix(f.Change, "review-"); ok {
		change, decision = casework.ChangeReview, d
	}
	if change == "" {
		st.problems.add("change", "Choose what to do with the case")
		if strings.TrimSpace(f.Reason) == "" {
			st.problems.add("case-reason", "Record the reason")
		}
		return h.concernPage(ctx, r, s, school, id, st)
	}
	fp := commandFingerprint("change-case", string(school), string(id), f.Change, f.Reason)
	_, err := h.Cases.ChangeCase(ctx, r.caller(s.claims.Email), school, id, change, decision, f.Reason,
		requestKey(school, s.claims.Email, f.Key), fp)
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		st.problems.addValidation(ve, map[string]string{"change": "change", "decision": "change", "reason": "case-reason"}, "case-reason")
		return h.concernPage(ctx, r, s, school, id, st)
	case err != nil:
		return h.caseWorkFailed(r, s, err, concernPath(school, id))
	}
	return redirect(concernPath(school, id)+"?done=case-"+url.QueryEscape(change)+"#case-work", http.StatusSeeOther)
}

// onAction runs one change of an action from its form on the concern page or My work, and
// goes back there: with the page's problems shown again, or redirected on success.
func (h *Handler) onAction(ctx context.Context, r *request, s session, verb, done string, f actionForm,
	anchors map[string]string, fallback string,
	do func(who safeguarding.Caller, school safeguarding.SchoolID, key safeguarding.RequestKey, fp string) (casework.Action, error)) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	f.ActionID = casework.ActionID(r.param("id"))
	concern, _, _ := casework.ParseActionID(f.ActionID)
	back := r.form.Get("back")
	everyone := r.form.Get("who") == "all"
	reload := schoolPath(school) + "/work"
	if everyone {
		reload += "?who=all"
	}
	if back == "concern" && concern != "" {
		reload = concernPath(school, concern)
	}
	fp := commandFingerprint(verb, string(school), string(f.ActionID), f.Outcome, f.Reason, f.To)
	a, err := do(r.caller(s.claims.Email), school, requestKey(school, s.claims.Email, formKey(r.form)), fp)
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		st := pageState{action: f}
		for field, anchor := range anchors {
			anchors[field] = anchor + "-" + string(f.ActionID)
		}
		st.problems.addValidation(ve, anchors, fallback+"-"+string(f.ActionID))
		if back == "concern" && concern != "" {
			return h.concernPage(ctx, r, s, school, concern, st)
		}
		return h.workPage(ctx, r, s, school, everyone, st)
	case err != nil:
		return h.caseWorkFailed(r, s, err, reload)
	}
	if done == "action-completed" && a.Repeats() && a.Status() == safeguarding.ActionOpen {
		done = "action-updated" // an occurrence of repeating monitoring: the next is due
	}
	if back == "concern" {
		return redirect(concernPath(school, a.Concern())+"?done="+done+"#case-work", http.StatusSeeOther)
	}
	to := schoolPath(school) + "/work?done=" + done
	if everyone {
		to += "&who=all"
	}
	return redirect(to, http.StatusSeeOther)
}

func (h *Handler) completeAction(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	f := actionForm{Outcome: r.form.Get("outcome")}
	return h.onAction(ctx, r, s, "complete", "action-completed", f, map[string]string{"outcome": "outcome"}, "outcome",
		func(who safeguarding.Caller, school safeguarding.SchoolID, key safeguarding.RequestKey, fp string) (casework.Action, error) {
			return h.Cases.Complete(ctx, who, school, casework.ActionID(r.param("id")), f.Outcome, key, fp)
		})
}

// endMonitoring ends a repeating monitoring action or check-in, with the reason (D3, D5).
func (h *Handler) endMonitoring(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	f := actionForm{Reason: r.form.Get("reason")}
	return h.onAction(ctx, r, s, "end", "action-ended", f, map[string]string{"reason": "end-reason", "action": "end-reason"}, "end-reason",
		func(who safeguarding.Caller, school safeguarding.SchoolID, key safeguarding.RequestKey, fp string) (casework.Action, error) {
			return h.Cases.End(ctx, who, school, casework.ActionID(r.param("id")), f.Reason, key, fp)
		})
}

func (h *Handler) cannotFollowUp(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	f := actionForm{Reason: r.form.Get("reason")}
	return h.onAction(ctx, r, s, "unable", "action-unable", f, map[string]string{"reason": "unable-reason"}, "unable-reason",
		func(who safeguarding.Caller, school safeguarding.SchoolID, key safeguarding.RequestKey, fp string) (casework.Action, error) {
			return h.Cases.CannotFollowUp(ctx, who, school, casework.ActionID(r.param("id")), f.Reason, key, fp)
		})
}

func (h *Handler) reallocate(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	f := actionForm{To: strings.TrimSpace(r.form.Get("assignee")), Reason: r.form.Get("reason")}
	return h.onAction(ctx, r, s, "reallocate", "action-reallocated", f,
		map[string]string{"assigneeEmail": "realloc-to", "reason": "realloc-reason"}, "realloc-reason",
		func(who safeguarding.Caller, school safeguarding.SchoolID, key safeguarding.RequestKey, fp string) (casework.Action, error) {
			return h.Cases.Reallocate(ctx, who, school, casework.ActionID(r.param("id")), f.To, f.Reason, key, fp)
		})
}

// ---- My work (rules D3-D8) ------------------------------------------------------------------

type workView struct {
	SchoolName string
	Done       string
	// Everyone is a DSL's view of everyone's open actions.
	Everyone  bool
	CanSwitch bool
	MineLink  string
	AllLink   string
	Actions   []actionView
	// Reallocate are the actions waiting for the Senior DSL to reallocate them (D6).
	Reallocate []actionView
	Problems   formProblems
	// Calls are the phone calls to families in the person's work (rule E3), see calls.go.
	Calls []workCall
}

func (h *Handler) myWork(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	return h.workPage(ctx, r, s, school, r.ev.QueryStringParameters["who"] == "all", pageState{})
}

func (h *Handler) workPage(ctx context.Context, r *request, s session, schoolID safeguarding.SchoolID, everyone bool, st pageState) events.APIGatewayV2HTTPResponse {
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	access := safeguarding.AccessFor(p, schoolID)
	if !access.Member || (everyone && !access.EveryonesWork) {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	who := "me"
	if everyone {
		who = "all"
	}
	list, err := h.Cases.MyWork(ctx, r.caller(s.claims.Email), schoolID, who, safeguarding.ActionOpen)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	school, err := h.Directory.School(ctx, schoolID)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	// The actions' assignees and history, and the Senior DSL's form to reallocate them, name
	// the staff: one read of their names.
	names, err := h.rosterNames(ctx, school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	base := schoolPath(schoolID) + "/work"
	v := workView{SchoolName: school.Name, Done: doneMessage(r), Everyone: everyone, CanSwitch: access.EveryonesWork,
		MineLink: base, AllLink: base + "?who=all", Problems: st.problems}
	if !everyone {
		if v.Calls, err = h.workCalls(ctx, r, s, schoolID); err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
	}
	back := "work"
	for _, a := range list {
		av := newActionView(a, p, school, names, r.now, back, st)
		if av.CanReallocate && !everyone {
			continue // listed below, with the form to reallocate it
		}
		v.Actions = append(v.Actions, av)
	}
	if access.Reallocations && !everyone {
		all, err := h.Cases.MyWork(ctx, r.caller(s.claims.Email), schoolID, "all", safeguarding.ActionOpen)
		if err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
		for _, a := range all {
			if a.NeedsReallocation() {
				v.Reallocate = append(v.Reallocate, newActionView(a, p, school, names, r.now, back, st))
			}
		}
	}
	title := "My work"
	if everyone {
		title = "Everyone's work"
	}
	if len(st.problems.List) > 0 {
		title = "Error: " + title
	}
	return h.page(r, st.status(), "work", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "work")})
}

// ---- The SLT review (rule D9) ---------------------------------------------------------------

type reviewCase struct {
	Reference  string
	Link       string
	RecordedAt time.Time
	Category   string
	Pupils     []string
	Complex    bool
	ReviewDue  bool
	High       bool
}

type frequentView struct {
	Name     string
	Link     string
	Concerns int
}

type reviewView struct {
	SchoolName string
	Open       []reviewCase
	ComplexDue []reviewCase
	Frequent   []frequentView
	Threshold  int
	Window     int
	// Overdue is the work past its due time (D1-D5): actions, and concerns no DSL acted on.
	OverdueActions  []overdueAction
	OverdueConcerns []reviewCase
	// LowAttendance is rule C9's list, with the reasons logged.
	LowAttendance []attendancePupil
	Printed       string
}

// overdueAction is an action past its due time on the SLT review.
type overdueAction struct {
	Title, Reference, Link, Assignee string
	DueAt                            time.Time
}

func (h *Handler) review(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Review {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	rv, err := h.Cases.ReviewList(ctx, r.caller(s.claims.Email), schoolID)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	var ids []safeguarding.PupilID
	for _, c := range slices.Concat(rv.Open, rv.ComplexDue, rv.OverdueConcerns) {
		for _, lp := range c.Pupils() {
			ids = append(ids, lp.ID)
		}
	}
	for id := range rv.FrequentPupils {
		ids = append(ids, id)
	}
	names, err := h.pupilNames(ctx, schoolID, ids)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := reviewView{Threshold: casework.FrequentThreshold, Window: casework.FrequentWindow,
		Printed: r.caller(s.claims.Email).At.In(safeguarding.London).Format("2 January 2006 at 15:04")}
	staffNames := map[string]string{}
	if school, err := h.Directory.School(ctx, schoolID); err == nil {
		v.SchoolName = school.Name
		if len(rv.OverdueActions) > 0 {
			if staffNames, err = h.rosterNames(ctx, school); err != nil {
				return h.errorPage(r, statusFor(err), &s)
			}
		}
	}
	for _, a := range rv.OverdueActions {
		v.OverdueActions = append(v.OverdueActions, overdueAction{Title: actionTypeTitle(a.Type()), Reference: a.Reference(),
			Link: concernPath(schoolID, a.Concern()), Assignee: cmp.Or(staffNames[a.Assignee()], "a member of staff no longer on the roster"), DueAt: a.DueAt()})
	}
	v.LowAttendance = attendancePupils(schoolID, rv.LowAttendance)
	due := map[safeguarding.ConcernID]bool{}
	for _, c := range rv.ComplexDue {
		due[c.ID()] = true
	}
	row := func(c concerns.Concern) reviewCase {
		rc := reviewCase{Reference: c.Reference(), Link: concernPath(schoolID, c.ID()), RecordedAt: c.RecordedAt(),
			Category: categoryTitle(c.Category()), Complex: c.Complex(), ReviewDue: due[c.ID()], High: c.HighPriority()}
		for _, lp := range c.Pupils() {
			rc.Pupils = append(rc.Pupils, names[lp.ID])
		}
		return rc
	}
	for _, c := range rv.Open {
		v.Open = append(v.Open, row(c))
	}
	for _, c := range rv.ComplexDue {
		v.ComplexDue = append(v.ComplexDue, row(c))
	}
	for _, c := range rv.OverdueConcerns {
		v.OverdueConcerns = append(v.OverdueConcerns, row(c))
	}
	for id, n := range rv.FrequentPupils {
		v.Frequent = append(v.Frequent, frequentView{Name: names[id], Concerns: n,
			Link: schoolPath(schoolID) + "/pupils/" + url.PathEscape(string(id)) + "/chronology"})
	}
	slices.SortFunc(v.Frequent, func(a, b frequentView) int {
		return cmp.Or(cmp.Compare(b.Concerns, a.Concerns), cmp.Compare(a.Name, b.Name))
	})
	return h.page(r, http.StatusOK, "review", pageData{Title: "Case review", SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "review")})
}

// pupilNames reads pupils' names in batches the store accepts; a pupil it no longer finds is
// shown by id.
func (h *Handler) pupilNames(ctx context.Context, school safeguarding.SchoolID, ids []safeguarding.PupilID) (map[safeguarding.PupilID]string, error) {
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := map[safeguarding.PupilID]string{}
	for batch := range slices.Chunk(ids, 100) {
		found, err := h.Directory.Pupils(ctx, school, batch)
		if err != nil {
			return nil, err
		}
		for _, id := range batch {
			out[id] = cmp.Or(found[id].Name, "Pupil "+string(id))
		}
	}
	return out, nil
}

func categoryTitle(c safeguarding.Category) string {
	if def, ok := concerns.PolicyCatalogue().Find(c); ok {
		return def.Title
	}
	return string(c)
}
