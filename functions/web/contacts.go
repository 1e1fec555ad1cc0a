package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// Contact during a closure on a phone (rules P3, H2, H3): the families a designated person
// may call, and one family's "call this family" screen with its numbers, the reminder to
// withhold their caller id, and the forms for an unanswered attempt and an answered call.
// Only the DSLs, the Senior DSL and staff a DSL designated for closure contact get them; each
// showing of the numbers is audited (the contacts use cases). Every form posts and redirects
// back; nothing typed stays in the browser (autocomplete off, no cache).

// contactsService is the part of safeguarding.Contacts the call screens use.
type contactsService interface {
	View(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, reason contact.OpeningReason) (contact.ContactDetailsShown, error)
	CallList(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]contact.ContactCheck, error)
	// The H1 report and the form that changes a family's details, for the office and the
	// DSLs: see contactreport.go and contactedit.go.
	ContactReport(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, within time.Duration) ([]contact.ContactReportRow, error)
	StartContactEdit(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, within time.Duration,
		reason contact.OpeningReason) (contact.ContactEditStart, error)
	Edit(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, in contact.ContactInput,
		key safeguarding.RequestKey, fingerprint string) (contact.ContactDetails, error)
	Patch(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, in contact.ContactPatch,
		key safeguarding.RequestKey, fingerprint string) (contact.ContactDetails, error)
	// Every version of a family's details, for the DSLs: see contactversions.go.
	Versions(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, family string, reason contact.OpeningReason) (contact.ContactVersions, error)
	// A DSL's designations for closure contact: see designations.go.
	ClosureContacts(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]contact.ClosureContact, error)
	Designate(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, staff string, active bool, reason string,
		key safeguarding.RequestKey, fingerprint string) (contact.ClosureContact, error)
}

var _ contactsService = contact.Contacts{}

func callsPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/calls" }

func callPath(school safeguarding.SchoolID, family string) string {
	return schoolPath(school) + "/families/" + url.PathEscape(family) + "/call"
}

// callOutcomes are the outcomes of a call that was not answered by the family, or refused.
var callOutcomes = []string{contact.OutcomeNoAnswer, contact.OutcomeMessageLeft, contact.OutcomeRefused}

var callOutcomeText = map[string]string{
	contact.OutcomeNoAnswer:    "No answer",
	contact.OutcomeMessageLeft: "No answer: I left a message",
	contact.OutcomeRefused:     "They refused to talk",
}

var callWellbeingText = map[string]string{"yes": "Yes", "no": "No", "not-sure": "Not sure"}

var callDone = map[string]string{
	"concern": "High-priority concern recorded: the DSLs are alerted at once by text and email.",
	"taken":   "The call is yours: it is in your work until it is made.",
	"attempt": "Call attempt recorded in each child's chronology.",
	"call":    "Call recorded in each child's chronology; its agreed actions are assigned and the next call is due.",
}

// attemptForm is an unanswered call (or a refusal) as it was sent.
type attemptForm struct {
	Key, Outcome, Notes string
}

func (f attemptForm) fingerprint(school safeguarding.SchoolID, family string) string {
	return commandFingerprint("call-attempt", string(school), family, f.Outcome, f.Notes)
}

type callListRow struct {
	Reference string
	Children  string
	Link      string
}

type callListView struct {
	SchoolName string
	Families   []callListRow
}

// callList lists the families of the school, each with a link to its call screen.
func (h *Handler) callList(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Contacts == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	list, err := h.Contacts.CallList(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	var ids []safeguarding.PupilID
	for _, c := range list {
		ids = append(ids, c.Family.Pupils()...)
	}
	names, err := h.pupilNames(ctx, school, ids)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := callListView{}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	for _, c := range list {
		var kids []string
		for _, p := range c.Family.Pupils() {
			kids = append(kids, names[p])
		}
		v.Families = append(v.Families, callListRow{Reference: c.Family.Reference(), Children: strings.Join(kids, ", "),
			Link: callPath(school, c.Family.ID())})
	}
	return h.page(r, http.StatusOK, "calls", pageData{Title: "Families to call", SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "calls")})
}

type callPhone struct {
	Label, Number string
	// Withheld dials the number with 141 first, so a personal phone does not show its own.
	// Both are tel: links built from digits only, so safe as URLs.
	Withheld, Plain template.URL
	Confirmed       string
	UpToDate        bool
}

type callScreenView struct {
	SchoolName, Reference string
	Children              []string
	Phones                []callPhone
	Address               []string
	Reminder              string
	Declined              string
	Done                  string
	Problems              formProblems
	PostURL, ListLink     string
	Attempt               attemptForm
	Outcomes              []option
	Call                  callForm
	CallOpen              bool
	Wellbeing, Happy      []option
	Staff                 []option
	// The immediate-risk path (rule V5 on a call): the duty team one tap away, and a
	// high-priority concern about the children; see calls.go.
	Immediate immediateView
	// The call due to the family (rule E3) and whether the viewer may take it.
	Call3 callDueView
}

// callState is the call screen's forms as sent, with their problems, and the reason given
// for opening the family's numbers past the hour's threshold (rule P3).
type callState struct {
	problems formProblems
	attempt  attemptForm
	call     callForm
	reason   contact.OpeningReason
	concern  immediateForm
}

// openingReasonView asks why someone needs one more family's numbers this hour (rule P3), on
// every page that shows them: the call screen, the earlier versions and a DSL's form that
// changes them. Its form posts form=reason back to the page, which opens the family with it.
type openingReasonView struct {
	SchoolName        string
	Limit             int
	Problems          formProblems
	PostURL, BackLink string
	BackText          string
}

// openingPage is a page that shows a family's numbers: where its question why posts, where
// it leads back to, and its menu item.
type openingPage struct {
	post, back, backText, nav string
}

// openingReasonOf is the reason sent by the question why (form=reason), if it was sent.
func openingReasonOf(r *request) contact.OpeningReason {
	if r.form.Get("form") != "reason" {
		return contact.OpeningReason{}
	}
	return contact.OpeningReason{Text: r.form.Get("reason"), Given: true}
}

// askWhy answers an opening that the use case refused for want of a reason, or whose reason
// was sent empty or too long, with the question why (and its problem); ok is false for any
// other outcome, which the page answers itself.
func (h *Handler) askWhy(ctx context.Context, r *request, s session, p safeguarding.Principal, school safeguarding.SchoolID,
	reason contact.OpeningReason, err error, at openingPage) (resp events.APIGatewayV2HTTPResponse, ok bool) {
	if !errors.Is(err, safeguarding.ErrReasonNeeded) && (!reason.Given || !errors.Is(err, safeguarding.ErrInvalid)) {
		return resp, false
	}
	v := openingReasonView{Limit: safeguarding.DefaultContactOpeningsPerHour, PostURL: at.post, BackLink: at.back, BackText: at.backText}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName, v.Limit = sc.Name, sc.ContactOpeningsLimit()
	}
	title, status := "Why do you need this family's numbers?", http.StatusOK
	var ve *safeguarding.ValidationError
	if errors.As(err, &ve) {
		v.Problems.addValidation(ve, map[string]string{"reason": "reason"}, "reason")
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "opening-reason", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, at.nav)}), true
}

// telDigits is a number as a tel: link dials it.
func telDigits(number string) string {
	return strings.Map(func(r rune) rune {
		if r == '+' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, number)
}

func (h *Handler) callScreen(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.callScreenWith(ctx, r, s, callState{})
}

// callScreenWith shows a family's numbers and the call forms to someone who may see them;
// each showing is audited by the use case before the page is built.
func (h *Handler) callScreenWith(ctx context.Context, r *request, s session, st callState) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := r.param("id")
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Contacts == nil || h.Engagement == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	shown, err := h.Contacts.View(ctx, r.caller(s.claims.Email), school, id, st.reason)
	if resp, ok := h.askWhy(ctx, r, s, p, school, st.reason, err, openingPage{post: callPath(school, id), back: callsPath(school),
		backText: "Back to families to call", nav: "calls"}); ok {
		return resp
	}
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	f, d := shown.Family, shown.Details
	names, err := h.pupilNames(ctx, school, f.Pupils())
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	within := time.Duration(contact.DefaultUpToDateDays) * 24 * time.Hour
	v := callScreenView{Reference: f.Reference(), Reminder: contact.WithholdCallerID, Done: callDone[r.ev.QueryStringParameters["done"]],
		Problems: st.problems, PostURL: callPath(school, id), ListLink: callsPath(school), Attempt: st.attempt, Call: st.call,
		CallOpen: st.call.Key != "", Address: append(slices.Clone(d.Address().Lines), d.Address().Postcode)}
	if d.Address().IsZero() {
		v.Address = nil
	}
	for _, c := range f.Pupils() {
		v.Children = append(v.Children, names[c])
	}
	if !f.ContactDeclinedAt().IsZero() {
		v.Declined = whenDay(f.ContactDeclinedAt())
	}
	for _, ph := range d.Phones() {
		digits := telDigits(ph.Number)
		// #nosec G203 -- telDigits keeps only '+' and the digits 0-9: the URL is "tel:" and those, nothing a browser could run.
		c := callPhone{Label: ph.Label, Number: ph.Number, Plain: template.URL("tel:" + digits),
			UpToDate: ph.UpToDate(r.now, within)}
		if !strings.HasPrefix(digits, "+") {
			c.Withheld = template.URL("tel:141" + digits) // #nosec G203 -- only '+' and 0-9 after "tel:141", as above.
		}
		if !ph.ConfirmedAt.IsZero() {
			c.Confirmed = when(ph.ConfirmedAt)
		}
		v.Phones = append(v.Phones, c)
	}
	var staffNames map[string]string
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
		staffNames, _ = h.rosterNames(ctx, sc) // without them, the picker names people by email
		v.Staff = staffOptions(sc, staffNames, "")
		v.Immediate = immediateFor(sc, f.Pupils(), names, st.concern)
	}
	v.Call3 = callDueFor(f)
	if o := f.CallOwner(); o != "" {
		v.Call3.Owner = cmp.Or(staffNames[o], "someone else")
		if o == s.claims.Email {
			v.Call3.Owner = "you"
		}
	}
	if v.Attempt.Key == "" {
		v.Attempt.Key = rand.Text()
	}
	if v.Call.Key == "" {
		v.Call = callForm{Key: rand.Text(), When: nowWhen(r.now)}
	}
	for len(v.Call.Quotes) < callQuoteRows {
		v.Call.Quotes = append(v.Call.Quotes, quoteRow{})
	}
	for len(v.Call.Actions) < callActionRows {
		v.Call.Actions = append(v.Call.Actions, agreedRow{})
	}
	for _, o := range callOutcomes {
		v.Outcomes = append(v.Outcomes, option{Value: o, Title: callOutcomeText[o], Checked: v.Attempt.Outcome == o})
	}
	for _, w := range contact.CallWellbeing {
		v.Wellbeing = append(v.Wellbeing, option{Value: w, Title: callWellbeingText[w], Checked: v.Call.IsOK == w})
	}
	v.Happy = []option{{Value: "yes", Title: "Yes", Checked: v.Call.Happy == "yes"},
		{Value: "no", Title: "No: they do not want to be contacted again", Checked: v.Call.Happy == "no"}}
	title := "Call the " + familyOf(v.Children, v.Reference)
	status := http.StatusOK
	if len(st.problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "call", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "calls")})
}

// submitCall records an unanswered call or a refusal (form=attempt, rule H2) or an answered
// call with its record (form=call, rule H3), then goes back to the screen. With form=reason
// it opens the family's numbers with the reason given (rule P3) and shows the screen at once,
// so the one opening is the one audited with its reason.
func (h *Handler) submitCall(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := r.param("id")
	if h.Engagement == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	if reason := openingReasonOf(r); reason.Given {
		return h.callScreenWith(ctx, r, s, callState{reason: reason})
	}
	switch r.form.Get("form") {
	case "concern":
		return h.raiseFromCall(ctx, r, s, school, id)
	case "take":
		return h.takeCall(ctx, r, s, school, id)
	}
	var st callState
	var in contact.ContactAttempt
	var key, fp, done string
	var anchor func(field string) string
	if r.form.Get("form") == "call" {
		f := readCallForm(r.form)
		var own []problem
		in, own = f.attempt()
		for _, p := range own {
			st.problems.add(p.Anchor, p.Message)
		}
		st.call, key, fp, done = f, f.Key, f.fingerprint(school, id), "call"
		anchor = func(field string) string { return callAnchor(field, f) }
		if st.call.Key == "" {
			st.call.Key = rand.Text()
		}
	} else {
		f := attemptForm{Key: strings.TrimSpace(r.form.Get("key")), Outcome: strings.TrimSpace(r.form.Get("outcome")), Notes: r.form.Get("notes")}
		if !slices.Contains(callOutcomes, f.Outcome) {
			st.problems.add("outcome", "Say what happened: no answer, a message left, or they refused to talk")
		}
		in = contact.ContactAttempt{At: r.now, Method: "phone-call", Outcome: f.Outcome, Notes: f.Notes}
		st.attempt, key, fp, done = f, f.Key, f.fingerprint(school, id), "attempt"
		anchor = func(field string) string {
			if field == "notes" {
				return "attempt-notes"
			}
			return "outcome"
		}
	}
	if len(st.problems.List) > 0 {
		return h.callScreenWith(ctx, r, s, st)
	}
	_, err := h.Engagement.RecordContact(ctx, r.caller(s.claims.Email), school, id, in, requestKey(school, s.claims.Email, formKeyOf(key)), fp)
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, p := range ve.Problems {
			st.problems.add(anchor(p.Field), sentence(p.Message))
		}
		return h.callScreenWith(ctx, r, s, st)
	case err != nil:
		return h.caseWorkFailed(r, s, err, callPath(school, id))
	}
	return redirect(callPath(school, id)+"?done="+done+"#done", http.StatusSeeOther)
}
