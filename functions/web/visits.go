package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
)

// Home visits on a phone (rules V1-V8): the list of visits, the DSL's plan, and one page per
// visit that offers its viewer the next step: the Senior DSL's authorisation, the call ahead,
// the start, the doorstep record with any immediate concern, the check-out, the observations
// and the next visit. Every form posts and redirects back (nothing typed stays in the browser:
// no autocomplete, no cache); the same use cases as the visits API.

// visitService is the part of safeguarding.Visits the pages use.
type visitService interface {
	Plan(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, in visits.NewVisit, key safeguarding.RequestKey, fp string) (visits.VisitResult, error)
	Visit(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (visits.VisitResult, error)
	List(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]visits.Visit, error)
	Authorise(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error)
	RecordCall(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id, outcome, notes string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error)
	Start(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, present []string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error)
	RecordDoorstep(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, children []visits.ChildSeen,
		concern *visits.ImmediateConcern, key safeguarding.RequestKey, fp string) (visits.VisitResult, error)
	RecordObservations(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, children []visits.ChildObservation,
		adults visits.Appearance, key safeguarding.RequestKey, fp string) (visits.VisitResult, error)
	RecordNext(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, in visits.NextVisit, key safeguarding.RequestKey, fp string) (visits.VisitResult, error)
	CheckOut(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error)
	Cancel(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id, reason string, key safeguarding.RequestKey, fp string) (visits.VisitResult, error)
}

var _ visitService = visits.Visits{}

// visitRoutes are the pages of home visits: the list, the plan, a visit and each of its steps
// (authorise, call-ahead, start, doorstep, checkout, observations, next, cancel). They join the
// function's routes, which the template test checks against template.yaml.
var visitRoutes = map[string]pageFunc{
	"GET /schools/{school}/visits":              (*Handler).visitList,
	"GET /schools/{school}/visits/new":          (*Handler).visitPlanForm,
	"POST /schools/{school}/visits":             (*Handler).planVisit,
	"GET /schools/{school}/visits/{id}":         (*Handler).visitPage,
	"POST /schools/{school}/visits/{id}/{step}": (*Handler).visitStep,
}

func init() { maps.Copy(routes, visitRoutes) }

func visitsPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/visits" }

func visitPath(school safeguarding.SchoolID, id string) string {
	return visitsPath(school) + "/" + url.PathEscape(id)
}

var visitStatusTitles = map[visits.VisitStatus]string{
	visits.VisitPlanned:    "Waiting for the Senior DSL",
	visits.VisitAuthorised: "Authorised",
	visits.VisitDeclined:   "Declined by the family",
	visits.VisitCancelled:  "Cancelled",
	visits.VisitInProgress: "Out on the visit",
	visits.VisitCheckedOut: "Checked out",
}

var callOutcomeTitles = map[string]string{
	visits.CallAgreed:   "The family agreed to the visit",
	visits.CallNoAnswer: "No answer",
	visits.CallDeclined: "The family does not want contact: do not go",
}

type visitRow struct {
	Reference string
	Link      string
	When      string
	Status    string
	Family    string
}

type visitListView struct {
	SchoolName string
	PlanLink   string
	Visits     []visitRow
}

// visitWindow is a visit's day and times, as people say them.
func visitWindow(start, end time.Time) string {
	return start.In(safeguarding.London).Format("Monday 2 January, 15:04") + " to " + end.In(safeguarding.London).Format("15:04")
}

// visitList lists the visits the person goes on, manages or, for a DSL, every visit.
func (h *Handler) visitList(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || !safeguarding.AccessFor(p, school).Member || h.Visits == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	list, err := h.Visits.List(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := visitListView{}
	if safeguarding.AccessFor(p, school).PlanVisits {
		v.PlanLink = visitsPath(school) + "/new"
	}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	// Families by their children's names (two BatchGetItems for the whole list).
	var ids []string
	for _, vis := range list {
		if f := vis.Snapshot().Family; !slices.Contains(ids, f) {
			ids = append(ids, f)
		}
	}
	named, err := h.namedFamilies(ctx, school, ids)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	for _, vis := range list {
		snap := vis.Snapshot()
		family := "Family " + contact.Reference(snap.Family)
		if i := slices.IndexFunc(named, func(f familyFound) bool { return f.id == snap.Family }); i >= 0 {
			family = named[i].Names
		}
		v.Visits = append(v.Visits, visitRow{Reference: snap.Reference, Link: visitPath(school, snap.ID),
			When: visitWindow(snap.PlannedStart, snap.PlannedEnd), Status: visitStatusTitles[snap.Status],
			Family: family})
	}
	return h.page(r, http.StatusOK, "visits", pageData{Title: "Home visits", SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "visits")})
}

// planForm is the plan as it was sent. FamilyQuery is the search for the family by a child's
// name; Searching that the form was sent to search, not to plan.
type planForm struct {
	Key, Family, LineManager string
	Staff                    []string
	Day, Month, Year         string
	Start, End               string
	Reason                   string
	FamilyQuery              string
	Searching                bool
}

type planView struct {
	SchoolName string
	PostURL    string
	Form       planForm
	// Families are the family chosen and those the search found, by their children's names.
	Families       []option
	FamilySearched bool
	Staff          []option
	Managers       []option
	Problems       formProblems
}

func (h *Handler) visitPlanForm(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	l := r.now.In(safeguarding.London).AddDate(0, 0, 1)
	f := planForm{Key: rand.Text(), Family: r.ev.QueryStringParameters["family"], Day: strconv.Itoa(l.Day()), Month: strconv.Itoa(int(l.Month())), Year: strconv.Itoa(l.Year())}
	return h.planPage(ctx, r, s, f, formProblems{})
}

func (h *Handler) planPage(ctx context.Context, r *request, s session, f planForm, problems formProblems) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || !safeguarding.AccessFor(p, school).PlanVisits || h.Visits == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	sc, err := h.Directory.School(ctx, school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	names, err := h.rosterNames(ctx, sc)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := planView{SchoolName: sc.Name, PostURL: visitsPath(school), Form: f, Problems: problems,
		Managers: staffOptions(sc, names, f.LineManager)}
	for _, o := range staffOptions(sc, names, "") {
		o.Checked = slices.Contains(f.Staff, o.Value)
		v.Staff = append(v.Staff, o)
	}
	// The family chosen so far, then those whose child's name the search matches.
	var families []familyFound
	if f.Family != "" {
		if families, err = h.namedFamilies(ctx, school, []string{f.Family}); err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
	}
	if f.Searching && f.FamilyQuery != "" {
		found, err := h.familiesByChild(ctx, school, f.FamilyQuery)
		if err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
		v.FamilySearched = true
		families = append(families, found...)
	}
	for _, ff := range families {
		if !slices.ContainsFunc(v.Families, func(o option) bool { return o.Value == ff.id }) {
			v.Families = append(v.Families, option{Value: ff.id, Title: ff.Names, Checked: ff.id == f.Family})
		}
	}
	title, status := "Plan a home visit", http.StatusOK
	if len(problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "visit-plan", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "visits")})
}

var planAnchors = map[string]string{"familyId": "family", "staffEmails": "staff", "lineManagerEmail": "line-manager",
	"plannedStart": "day", "plannedEnd": "end", "reason": "reason"}

// readPlan decodes the plan form: the plan as sent, and what only the form can tell is wrong.
// A form sent to search for the family is not checked.
func readPlan(v url.Values) (planForm, visits.NewVisit, formProblems) {
	f := planForm{Key: formKey(v), Family: strings.TrimSpace(v.Get("family")), LineManager: v.Get("line-manager"),
		Staff: v["staff"], Day: strings.TrimSpace(v.Get("day")), Month: strings.TrimSpace(v.Get("month")),
		Year: strings.TrimSpace(v.Get("year")), Start: strings.TrimSpace(v.Get("start")), End: strings.TrimSpace(v.Get("end")),
		Reason: strings.TrimSpace(v.Get("reason")), FamilyQuery: strings.TrimSpace(v.Get("family-q")), Searching: v.Get("intent") == "find-family"}
	var ps formProblems
	if utf8.RuneCountInString(f.FamilyQuery) > 100 {
		f.FamilyQuery = ""
	}
	if f.Searching {
		return f, visits.NewVisit{}, ps
	}
	if f.Family == "" {
		ps.add("family", "Choose the family: search by a child's name")
	}
	start, msg := localTime(f.Day, f.Month, f.Year, f.Start)
	if msg != "" {
		ps.add("day", msg)
	}
	end, msg := localTime(f.Day, f.Month, f.Year, f.End)
	if msg != "" {
		ps.add("end", "Enter when the visit ends, for example 11:00")
	}
	switch n := utf8.RuneCountInString(f.Reason); {
	case f.Reason == "":
		ps.add("reason", "Say why a home visit, and why now: the Senior DSL authorises the visit on this")
	case !visits.PlainText(f.Reason):
		ps.add("reason", "Write the reason as plain text")
	case n > visits.MaxReasonChars:
		ps.add("reason", fmt.Sprintf("Write the reason in %d characters or fewer (it has %d)", visits.MaxReasonChars, n))
	}
	return f, visits.NewVisit{FamilyID: strings.ToLower(f.Family), StaffEmails: f.Staff, LineManagerEmail: f.LineManager,
		PlannedStart: start, PlannedEnd: end, Reason: f.Reason}, ps
}

// planVisit plans the visit (V2) and opens its page.
func (h *Handler) planVisit(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	f, in, ps := readPlan(r.form)
	if f.Searching {
		return h.planPage(ctx, r, s, f, ps)
	}
	// The pickers offer the school's staff only: anything else sent is refused in plain words.
	if sc, err := h.Directory.School(ctx, school); err == nil {
		if !onRoster(sc, f.Staff...) {
			ps.add("staff", "Choose who goes from the list of staff")
		}
		if f.LineManager != "" && !onRoster(sc, f.LineManager) {
			ps.add("line-manager", "Choose their line manager from the list of staff")
		}
	}
	if len(ps.List) > 0 {
		return h.planPage(ctx, r, s, f, ps)
	}
	who := r.caller(s.claims.Email)
	res, err := h.Visits.Plan(ctx, who, school, in, requestKey(school, who.Email, f.Key),
		commandFingerprint(append([]string{"plan", in.FamilyID, in.LineManagerEmail, in.PlannedStart.String(), in.PlannedEnd.String(), in.Reason}, in.StaffEmails...)...))
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		ps.addValidation(ve, planAnchors, "family")
		return h.planPage(ctx, r, s, f, ps)
	case err != nil:
		return h.caseWorkFailed(r, s, err, visitsPath(school))
	}
	return redirect(visitPath(school, res.Visit.ID())+"?done=planned#done", http.StatusSeeOther)
}

// childRow is one child of the visit, with their forms' answers.
type childRow struct {
	ID, Name  string
	Seen      string // "yes", "no" or "" on the doorstep form
	Notes     string
	Emotional string
	Physical  string
	// Recorded is what the doorstep record says of the child.
	Recorded string
}

type visitView struct {
	SchoolName string
	Done       string
	Reference  string
	Status     string
	StatusTag  string
	When       string
	Staff      []string
	Going      []option
	Manager    string
	Family     string
	Address    []string
	Authorised string
	Cancelled  string
	Calls      []string
	Children   []childRow
	Doorstep   bool
	Concerns   []string
	Checkout   string
	Alarmed    bool
	Duty       string
	Problems   formProblems
	PostURL    string
	Keys       map[string]string

	CanAuthorise, CanCall, CanStart, CanDoorstep, CanCheckOut, CanObserve, CanNext, CanCancel bool

	Outcomes []option
	Concern  bool
	Details  string
	Adults   visits.Appearance
	Next     nextForm
	Reason   string
	Arranged string
	// Why is the plan's reason: why a visit, and why now (V1).
	Why string
	// Observed is when the observations were recorded and by whom; Observations what they
	// say, a row for each child and one for the adults.
	Observed     string
	Observations []observationRow
}

// observationRow is what was observed of one person or of the adults (V4).
type observationRow struct {
	Who, Emotional, Physical string
}

type nextForm struct {
	Day, Month, Year, Time, None, Support string
}

var visitDone = map[string]string{
	"planned":      "Visit planned. The line manager and the Senior DSL are told.",
	"authorise":    "Visit authorised.",
	"call-ahead":   "Call recorded.",
	"start":        "You are out on the visit. Check out when you leave.",
	"doorstep":     "Doorstep record saved.",
	"concern":      "Doorstep record saved and the concern sent to the DSLs as high priority. Call the duty team now.",
	"checkout":     "Checked out. Your line manager knows you have left.",
	"observations": "Observations saved.",
	"next":         "Next visit saved.",
	"cancel":       "Visit cancelled. Nobody goes; the reason is in each child's chronology.",
}

func (h *Handler) visitPage(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.showVisit(ctx, r, s, safeguarding.SchoolID(r.param("school")), r.param("id"), nil, formProblems{})
}

// showVisit shows one visit to someone who may see it, with the forms of its next steps;
// sent holds a form that came back with problems.
func (h *Handler) showVisit(ctx context.Context, r *request, s session, school safeguarding.SchoolID, id string, sent url.Values, problems formProblems) events.APIGatewayV2HTTPResponse {
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Visits == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	res, err := h.Visits.Visit(ctx, r.caller(s.claims.Email), school, id)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	vs := res.Visit.Snapshot()
	v := visitView{Done: visitDone[r.ev.QueryStringParameters["done"]], Reference: vs.Reference, Status: visitStatusTitles[vs.Status],
		StatusTag: statusTag(vs.Status), When: visitWindow(vs.PlannedStart, vs.PlannedEnd), Staff: vs.Staff, Manager: vs.LineManager,
		Family: "Family " + contact.Reference(vs.Family), Duty: res.DutyTeamNumber, Problems: problems, PostURL: visitPath(school, id),
		Keys: map[string]string{}}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	// The people of the visit by name (one read of their profiles); one without a name on
	// record by their email.
	var emails []string
	others := []string{vs.LineManager, vs.AuthorisedBy, vs.CancelledBy}
	if vs.Observations != nil {
		others = append(others, vs.Observations.By)
	}
	for _, e := range slices.Concat(vs.Staff, others) {
		if e != "" && !slices.Contains(emails, e) {
			emails = append(emails, e) // a BatchGetItem takes each key once
		}
	}
	people, err := h.Directory.StaffNames(ctx, emails)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	nameOf := func(email string) string { return cmp.Or(people[email], email) }
	v.Staff, v.Manager = nil, nameOf(vs.LineManager)
	for _, e := range vs.Staff {
		v.Staff = append(v.Staff, nameOf(e))
	}
	if res.Address != nil {
		v.Address = append(slices.Clone(res.Address.Lines), res.Address.Postcode)
	}
	v.Why = vs.Reason
	if vs.AuthorisedBy != "" {
		v.Authorised = nameOf(vs.AuthorisedBy) + ", " + when(vs.AuthorisedAt)
	}
	if vs.Status == visits.VisitCancelled {
		v.Cancelled = nameOf(vs.CancelledBy) + ", " + when(vs.CancelledAt) + ": " + vs.CancelReason
	}
	for _, c := range vs.Calls {
		v.Calls = append(v.Calls, when(c.At)+": "+callOutcomeTitles[c.Outcome])
	}
	for _, c := range vs.Concerns {
		v.Concerns = append(v.Concerns, c.Reference+", "+when(c.At))
	}
	if !vs.Checkout.DueAt.IsZero() {
		v.Checkout = whenDay(vs.Checkout.DueAt)
		v.Alarmed = vs.Checkout.Active && vs.Checkout.Step > 0
	}
	names, err := h.Directory.Pupils(ctx, school, vs.Children)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	for _, c := range vs.Children {
		row := childRow{ID: string(c), Name: cmp.Or(names[c].Name, "Pupil "+string(c)), Seen: sent.Get("seen-" + string(c)),
			Notes: sent.Get("notes-" + string(c)), Emotional: sent.Get("emotional-" + string(c)), Physical: sent.Get("physical-" + string(c))}
		if d := vs.Doorstep; d != nil {
			v.Doorstep = true
			if i := slices.IndexFunc(d.Children, func(x visits.ChildSeen) bool { return x.Pupil == c }); i >= 0 {
				row.Recorded = map[bool]string{true: "Seen", false: "Not seen"}[d.Children[i].Seen]
				if d.Children[i].Notes != "" {
					row.Recorded += ": " + d.Children[i].Notes
				}
			}
		}
		v.Children = append(v.Children, row)
	}
	steps := res.Visit.StepsFor(p)
	v.CanAuthorise, v.CanCall, v.CanStart, v.CanDoorstep = steps.Authorise, steps.Call, steps.Start, steps.Doorstep
	v.CanCheckOut, v.CanObserve, v.CanNext, v.CanCancel = steps.CheckOut, steps.Observe, steps.Next, steps.Cancel
	if o := vs.Observations; o != nil {
		v.Observed, v.Observations = observationsOf(o, v.Children, nameOf)
	}
	if n := vs.Next; n != nil {
		v.Arranged = "Support: " + n.SupportOffered
		if !n.NextAt.IsZero() {
			v.Arranged = whenDay(n.NextAt) + ". " + v.Arranged
		} else {
			v.Arranged = "No next visit: " + n.NoneReason + ". " + v.Arranged
		}
	}
	for _, k := range visitSteps {
		v.Keys[k] = rand.Text()
	}
	for _, o := range visits.CallOutcomes {
		v.Outcomes = append(v.Outcomes, option{Value: o, Title: callOutcomeTitles[o], Checked: sent.Get("outcome") == o})
	}
	for _, e := range vs.Staff {
		v.Going = append(v.Going, option{Value: e, Title: nameOf(e), Checked: sent == nil || slices.Contains(sent["going"], e)})
	}
	v.Concern, v.Details, v.Reason = sent.Get("concern") == "yes", sent.Get("details"), sent.Get("reason")
	v.Adults = visits.Appearance{Emotional: sent.Get("adults-emotional"), Physical: sent.Get("adults-physical")}
	v.Next = nextForm{Day: sent.Get("next-day"), Month: sent.Get("next-month"), Year: sent.Get("next-year"), Time: sent.Get("next-time"),
		None: sent.Get("none"), Support: sent.Get("support")}
	title, status := "Home visit "+vs.Reference, http.StatusOK
	if len(problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "visit", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "visits")})
}

// observationsOf says when and by whom the observations were recorded, and what they say:
// a row for each child of the visit, by name, then one for the adults, each as written.
func observationsOf(o *visits.Observations, children []childRow, nameOf func(string) string) (string, []observationRow) {
	recorded := nameOf(o.By) + ", " + when(o.At)
	if o.Late {
		recorded += ", after the 24 hours allowed"
	}
	var rows []observationRow
	for _, c := range children {
		if i := slices.IndexFunc(o.Children, func(x visits.ChildObservation) bool { return string(x.Pupil) == c.ID }); i >= 0 {
			rows = append(rows, observationRow{Who: c.Name, Emotional: o.Children[i].Emotional, Physical: o.Children[i].Physical})
		}
	}
	return recorded, append(rows, observationRow{Who: "The adults", Emotional: o.Adults.Emotional, Physical: o.Adults.Physical})
}

func statusTag(s visits.VisitStatus) string {
	switch s {
	case visits.VisitInProgress:
		return "govuk-tag--orange"
	case visits.VisitCheckedOut:
		return "govuk-tag--green"
	case visits.VisitDeclined, visits.VisitCancelled:
		return "govuk-tag--grey"
	}
	return "govuk-tag--blue"
}

// visitAnchors place the domain's problems at the page's fields.
var visitAnchors = map[string]string{"status": "steps", "calledAhead": "outcome", "outcome": "outcome", "notes": "call-notes",
	"staffEmails": "going", "plannedEnd": "steps", "plannedStart": "steps", "familyId": "steps", "children": "children",
	"children.notes": "children", "immediateConcern.details": "details", "immediateConcern.pupilIds": "details",
	"adults.emotional": "adults-emotional", "adults.physical": "adults-physical", "nextVisitAt": "next-day",
	"noNextVisitReason": "none", "supportOffered": "support", "reason": "cancel-reason"}

// stepForm is one step's form as the domain takes it: what was sent, read and checked for
// what only the form can tell (a date that is no date, a child left unanswered), with the
// parts that identify the command for its Idempotency-Key.
type stepForm struct {
	Outcome, Notes string
	Going          []string
	Seen           []visits.ChildSeen
	Concern        *visits.ImmediateConcern
	Observed       []visits.ChildObservation
	Adults         visits.Appearance
	Next           visits.NextVisit
	Reason         string
	// Parts identify the command; Done names what the page says when it is saved.
	Parts []string
	Done  string
}

// visitSteps are the steps a visit's page posts.
var visitSteps = []string{"authorise", "call-ahead", "start", "doorstep", "checkout", "observations", "next", "cancel"}

// readStep decodes a step's form; ok is false for a step there is none of.
func readStep(step string, f url.Values) (sf stepForm, ps formProblems, ok bool) {
	if !slices.Contains(visitSteps, step) {
		return sf, ps, false
	}
	sf.Done = step
	switch step {
	case "call-ahead":
		sf.Outcome, sf.Notes = f.Get("outcome"), f.Get("notes")
		sf.Parts = []string{sf.Outcome, sf.Notes}
	case "cancel":
		sf.Reason = f.Get("reason")
		sf.Parts = []string{sf.Reason}
	case "start":
		sf.Going = f["going"]
		sf.Parts = sf.Going
	case "doorstep":
		for _, c := range f["child"] {
			seen := f.Get("seen-" + c)
			if seen != "yes" && seen != "no" && len(ps.List) == 0 {
				ps.add("children", "Say for every child whether they were seen")
			}
			sf.Seen = append(sf.Seen, visits.ChildSeen{Pupil: safeguarding.PupilID(c), Seen: seen == "yes", Notes: f.Get("notes-" + c)})
			sf.Parts = append(sf.Parts, c, seen, f.Get("notes-"+c))
		}
		if f.Get("concern") == "yes" {
			sf.Concern = &visits.ImmediateConcern{Details: f.Get("details")}
			sf.Parts = append(sf.Parts, "concern", sf.Concern.Details)
			sf.Done = "concern"
		}
	case "observations":
		sf.Adults = visits.Appearance{Emotional: f.Get("adults-emotional"), Physical: f.Get("adults-physical")}
		sf.Parts = []string{sf.Adults.Emotional, sf.Adults.Physical}
		for _, c := range f["child"] {
			sf.Observed = append(sf.Observed, visits.ChildObservation{Pupil: safeguarding.PupilID(c),
				Appearance: visits.Appearance{Emotional: f.Get("emotional-" + c), Physical: f.Get("physical-" + c)}})
			sf.Parts = append(sf.Parts, c, f.Get("emotional-"+c), f.Get("physical-"+c))
		}
	case "next":
		sf.Next = visits.NextVisit{NoneReason: f.Get("none"), SupportOffered: f.Get("support")}
		d, m, y, t := strings.TrimSpace(f.Get("next-day")), strings.TrimSpace(f.Get("next-month")), strings.TrimSpace(f.Get("next-year")), strings.TrimSpace(f.Get("next-time"))
		if d+m+y+t != "" {
			at, msg := localTime(d, m, y, t)
			if msg != "" {
				ps.add("next-day", msg)
			}
			sf.Next.NextAt = at
		}
		sf.Parts = []string{sf.Next.NextAt.String(), sf.Next.NoneReason, sf.Next.SupportOffered}
	}
	return sf, ps, true
}

// visitStep runs one step of a visit from its page: problems come back on the page with what
// was typed; success redirects to the page (a reload never sends it twice).
func (h *Handler) visitStep(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id, step := r.param("id"), r.param("step")
	sf, ps, ok := readStep(step, r.form)
	if h.Visits == nil || !ok {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	who := r.caller(s.claims.Email)
	key := requestKey(school, who.Email, formKey(r.form))
	fp := commandFingerprint(append([]string{step, id}, sf.Parts...)...)
	var err error
	if len(ps.List) == 0 {
		switch step {
		case "authorise":
			_, err = h.Visits.Authorise(ctx, who, school, id, key, fp)
		case "call-ahead":
			_, err = h.Visits.RecordCall(ctx, who, school, id, sf.Outcome, sf.Notes, key, fp)
		case "start":
			_, err = h.Visits.Start(ctx, who, school, id, sf.Going, key, fp)
		case "doorstep":
			_, err = h.Visits.RecordDoorstep(ctx, who, school, id, sf.Seen, sf.Concern, key, fp)
		case "checkout":
			_, err = h.Visits.CheckOut(ctx, who, school, id, key, fp)
		case "observations":
			_, err = h.Visits.RecordObservations(ctx, who, school, id, sf.Observed, sf.Adults, key, fp)
		case "next":
			_, err = h.Visits.RecordNext(ctx, who, school, id, sf.Next, key, fp)
		case "cancel":
			_, err = h.Visits.Cancel(ctx, who, school, id, sf.Reason, key, fp)
		}
	}
	f, done := r.form, sf.Done
	var ve *safeguarding.ValidationError
	switch {
	case len(ps.List) > 0:
		return h.showVisit(ctx, r, s, school, id, f, ps)
	case errors.As(err, &ve):
		anchors := visitAnchors
		if step == "observations" {
			anchors = map[string]string{"children": "observations", "adults.emotional": "adults-emotional", "adults.physical": "adults-physical", "status": "steps"}
		}
		ps.addValidation(ve, anchors, "steps")
		return h.showVisit(ctx, r, s, school, id, f, ps)
	case err != nil:
		return h.caseWorkFailed(r, s, err, visitPath(school, id))
	}
	return redirect(visitPath(school, id)+"?done="+done+"#done", http.StatusSeeOther)
}
