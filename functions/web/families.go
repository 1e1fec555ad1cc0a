package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

// The DSLs' view of families who have gone quiet (rules E2-E6, H2): the missing families,
// each family's page with its contact attempts, and the forms to record an attempt, the LA
// notification and the Senior DSL's decision. The same use cases as the engagement API. No
// phone number or address is ever shown here (rule P3): contact details have their own page.

func familiesPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/families" }

// familyOf names a family as people know it, by its children at the school ("family of Lan
// Nguyen and Minh Nguyen"); by its reference only when none of them is at the school now.
func familyOf(children []string, reference string) string {
	switch len(children) {
	case 0:
		return "family " + reference
	case 1:
		return "family of " + children[0]
	}
	return "family of " + strings.Join(children[:len(children)-1], ", ") + " and " + children[len(children)-1]
}

func familyPath(school safeguarding.SchoolID, id string) string {
	return familiesPath(school) + "/" + url.PathEscape(id)
}

var contactMethodTitles = map[string]string{
	"phone-call": "Phone call",
	"message":    "Message",
	"email":      "Email",
	"home-visit": "Home visit",
	"letter":     "Letter",
}

var outcomeTitles = map[string]string{
	contact.OutcomeEstablished:    "Contact established: we heard from the family",
	contact.OutcomeNoAnswer:       "No answer",
	contact.OutcomeMessageLeft:    "Message left",
	contact.OutcomeRefused:        "The family refused contact",
	contact.OutcomeNotEstablished: "No contact established, for another reason",
}

var wellbeingTitles = map[string]string{"yes": "Yes", "no": "No", "not-sure": "Not sure"}

var decisionTitles = map[string]string{
	"contact-social-care":        "Contact children's social care",
	"do-not-contact-social-care": "Do not contact children's social care now",
}

// nextDueTitle says what is due next for a missing family, and by whom.
func nextDueTitle(row engagement.FamilyRow) string {
	switch row.NextDue {
	case "phone-call":
		return "A phone call, due by " + whenDay(row.NextDueAt)
	case "la-notification":
		return "The Senior DSL informs the local authority"
	case "decision":
		return "The Senior DSL decides whether to contact social care"
	case "contact-attempt":
		return "Keep trying to make contact"
	}
	return ""
}

// familyRowView is one missing family on the list, or the head of a family's page.
type familyRowView struct {
	ID           string
	Reference    string
	Link         string
	Children     []childView
	Missing      bool
	MissingSince time.Time
	Silent       int
	Attempts     int
	LastAttempt  time.Time
	LastContact  time.Time
	LastHow      string
	NextDue      string
	Overdue      bool
	// HighRisk marks a family silent for 20 school days: the LA is to be informed (E5).
	HighRisk   bool
	LARaisedAt time.Time
	LANotified time.Time
	LABrief    string
	Decision   string
}

type childView struct {
	Name       string
	Class      string
	Chronology string
}

func (h *Handler) familyRowView(row engagement.FamilyRow, names map[safeguarding.PupilID]safeguarding.Pupil, now time.Time) familyRowView {
	f := row.Family
	v := familyRowView{ID: f.ID(), Reference: f.Reference(), Link: familyPath(f.School(), f.ID()), Missing: f.Status() == contact.FamilyMissing,
		MissingSince: f.MissingSince(), Silent: row.SchoolDaysSilent, Attempts: f.Attempts(), LastAttempt: f.LastAttemptAt(),
		LastContact: f.LastContactAt(), NextDue: nextDueTitle(row), Overdue: !row.NextDueAt.IsZero() && row.NextDueAt.Before(now),
		HighRisk: !f.LARaisedAt().IsZero() || row.SchoolDaysSilent >= contact.SilentDaysLA, LARaisedAt: f.LARaisedAt(),
		LANotified: f.LANotifiedAt(), LABrief: row.LABrief, Decision: cmp.Or(decisionTitles[f.Decision()], f.Decision())}
	if !f.LastContactAt().IsZero() {
		v.LastHow = contactHowTitle(f.LastContactHow())
	}
	for _, c := range f.Children() {
		p := names[c.Pupil]
		v.Children = append(v.Children, childView{Name: cmp.Or(p.Name, "Pupil "+string(c.Pupil)), Class: cmp.Or(p.ClassName, c.ClassName),
			Chronology: schoolPath(f.School()) + "/pupils/" + url.PathEscape(string(c.Pupil)) + "/chronology"})
	}
	return v
}

// childrenOf reads the names of the families' children in batches the store accepts.
func (h *Handler) childrenOf(ctx context.Context, school safeguarding.SchoolID, rows []engagement.FamilyRow) (map[safeguarding.PupilID]safeguarding.Pupil, error) {
	var ids []safeguarding.PupilID
	for _, r := range rows {
		ids = append(ids, r.Family.Pupils()...)
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	out := map[safeguarding.PupilID]safeguarding.Pupil{}
	for batch := range slices.Chunk(ids, 100) {
		found, err := h.Directory.Pupils(ctx, school, batch)
		if err != nil {
			return nil, err
		}
		for id, p := range found {
			out[id] = p
		}
	}
	return out, nil
}

// dslPrincipal reads the signed-in person and refuses anyone who is not a DSL of the school
// with "not found" (rule P2).
func (h *Handler) dslPrincipal(ctx context.Context, r *request, s session, school safeguarding.SchoolID) (safeguarding.Principal, *events.APIGatewayV2HTTPResponse) {
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		resp := h.errorPage(r, statusFor(err), &s)
		return p, &resp
	}
	if !safeguarding.AccessFor(p, school).Families || h.Engagement == nil {
		resp := h.errorPage(r, http.StatusNotFound, &s)
		return p, &resp
	}
	return p, nil
}

type familiesView struct {
	SchoolName   string
	Families     []familyRowView
	CalendarLink string
	SilentDays   int
	LADays       int
	// During a full closure (rule E0): since when, and every other family with its silent
	// school days, soonest to go missing first, those 4 or 5 days silent marked.
	Counting     bool
	ClosureSince string
	ClosureEnded string
	Others       []countingRow
	SoonFrom     int
}

// countingRow is a family not missing, counted during a closure.
type countingRow struct {
	ID, Reference, Link string
	Children            []childView
	Silent              int
	Soon                bool
	LastContact         time.Time
}

// families lists the school's missing families for its DSLs, longest missing first.
func (h *Handler) families(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, fail := h.dslPrincipal(ctx, r, s, school)
	if fail != nil {
		return *fail
	}
	all, err := h.Engagement.Families(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	names, err := h.childrenOf(ctx, school, append(append([]engagement.FamilyRow{}, all.Missing...), all.Others...))
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := familiesView{CalendarLink: schoolPath(school) + "/calendar", SilentDays: contact.SilentDaysMissing + 1, LADays: contact.SilentDaysLA,
		Counting: all.Counting, SoonFrom: engagement.SoonMissingFrom}
	if all.Closure.Open() || all.Counting {
		v.ClosureSince = day(all.Closure.From)
	} else if !all.Closure.IsZero() {
		v.ClosureEnded = day(all.Closure.LastDay)
	}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	for _, row := range all.Missing {
		v.Families = append(v.Families, h.familyRowView(row, names, r.now))
	}
	for _, row := range all.Others {
		fv := h.familyRowView(row, names, r.now)
		v.Others = append(v.Others, countingRow{ID: fv.ID, Reference: fv.Reference, Link: fv.Link, Children: fv.Children,
			Silent: row.SchoolDaysSilent, Soon: row.SoonMissing(), LastContact: fv.LastContact})
	}
	return h.page(r, http.StatusOK, "families", pageData{Title: "Families who have gone quiet", SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, school, "families")})
}

// familyHistory is one entry of a family's history: missing, an attempt, the LA, a decision,
// contact restored.
type familyHistory struct {
	At      time.Time
	Title   string
	Summary string
	By      string
}

// familyState is a family page's forms as sent, with their problems.
type familyState struct {
	problems formProblems
	contact  contactForm
	call     callForm
	la       laForm
	decision decisionForm
}

type familyView struct {
	SchoolName string
	Done       string
	ListLink   string
	Family     familyRowView
	History    []familyHistory
	Problems   formProblems

	ContactURL, LAURL, DecisionURL string
	Contact                        contactForm
	Call                           callForm
	CallOpen                       bool
	LA                             laForm
	Decision                       decisionForm
	Methods                        []option
	Outcomes                       []option
	Wellbeing                      []option
	Happy                          []option
	Staff                          []option
	Decisions                      []option
	CanRecordLA                    bool
	CanDecide                      bool
}

var familyDone = map[string]string{
	"contact":             "Contact attempt recorded in each child's chronology.",
	"contact-established": "Contact recorded in each child's chronology. The family is no longer missing.",
	"call":                "Phone call recorded in each child's chronology, its agreed actions assigned and the next call put on the deadline ladder.",
	"la":                  "Recorded when the local authority was informed, in each child's chronology.",
	"decision":            "Decision recorded, with its reason, in each child's chronology.",
}

func (h *Handler) family(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.familyPage(ctx, r, s, safeguarding.SchoolID(r.param("school")), r.param("id"), familyState{})
}

// familyPage shows one family to a DSL: its children, where it stands, its history and the
// forms; st holds a form sent with problems.
func (h *Handler) familyPage(ctx context.Context, r *request, s session, school safeguarding.SchoolID, id string, st familyState) events.APIGatewayV2HTTPResponse {
	p, fail := h.dslPrincipal(ctx, r, s, school)
	if fail != nil {
		return *fail
	}
	row, err := h.Engagement.Family(ctx, r.caller(s.claims.Email), school, id)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	f := row.Family
	names, err := h.childrenOf(ctx, school, []engagement.FamilyRow{row})
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	base := familyPath(school, id)
	v := familyView{Family: h.familyRowView(row, names, r.now), Done: familyDone[r.ev.QueryStringParameters["done"]], Problems: st.problems,
		ListLink: familiesPath(school), ContactURL: base + "/contacts", LAURL: base + "/la-notification", DecisionURL: base + "/decision",
		Contact: st.contact, Call: st.call, CallOpen: st.call.Key != "", LA: st.la, Decision: st.decision,
		CanRecordLA: f.CanRecordLANotification(p), CanDecide: f.CanDecide(p)}
	// Every child's chronology holds the same family entries (H2): one child's is enough.
	var history []safeguarding.ChronologyEntry
	if len(f.Children()) > 0 && h.Concerns != nil {
		_, entries, err := h.Concerns.Chronology(ctx, r.caller(s.claims.Email), school, f.Children()[0].Pupil)
		if err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
		slices.SortStableFunc(entries, func(a, b safeguarding.ChronologyEntry) int { return a.At.Compare(b.At) })
		for _, e := range entries {
			if e.Reference == f.Reference() && e.ConcernID == "" {
				history = append(history, e)
			}
		}
	}
	// The staff by name, for the picker, and whoever recorded an entry (an entry keeps its
	// author's email), someone who has since left among them: one read of their names.
	var staff []option
	var staffNames map[string]string
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
		emails := make([]string, 0, len(sc.Roster)+len(history))
		for _, m := range sc.Roster {
			emails = append(emails, m.Email)
		}
		for _, e := range history {
			emails = append(emails, e.AuthorName)
		}
		slices.Sort(emails)
		staffNames, _ = h.Directory.StaffNames(ctx, slices.Compact(emails)) // without them, people are named by email
		staff = staffOptions(sc, staffNames, "")
	}
	for _, e := range history {
		v.History = append(v.History, familyHistory{At: e.At, Title: entryTypeTitle(e.Type), Summary: e.Summary, By: cmp.Or(staffNames[e.AuthorName], e.AuthorName)})
	}
	if v.Contact.Key == "" {
		v.Contact = contactForm{Key: rand.Text(), When: nowWhen(r.now)}
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
	v.Staff = staff
	if v.LA.Key == "" {
		v.LA = laForm{Key: rand.Text(), When: nowWhen(r.now)}
	}
	if v.Decision.Key == "" {
		v.Decision.Key = rand.Text()
	}
	for _, m := range contact.ContactMethods {
		v.Methods = append(v.Methods, option{Value: m, Title: contactMethodTitles[m], Checked: v.Contact.Method == m})
	}
	for _, o := range contact.ContactOutcomes {
		v.Outcomes = append(v.Outcomes, option{Value: o, Title: outcomeTitles[o], Checked: v.Contact.Outcome == o})
	}
	for _, w := range contact.CallWellbeing {
		v.Wellbeing = append(v.Wellbeing, option{Value: w, Title: wellbeingTitles[w], Checked: v.Call.IsOK == w})
	}
	v.Happy = []option{{Value: "yes", Title: "Yes", Checked: v.Call.Happy == "yes"},
		{Value: "no", Title: "No: they do not want to be contacted again", Checked: v.Call.Happy == "no"}}
	for _, d := range contact.SocialCareDecisions {
		v.Decisions = append(v.Decisions, option{Value: d, Title: decisionTitles[d], Checked: v.Decision.Decision == d})
	}
	var children []string
	for _, c := range v.Family.Children {
		children = append(children, c.Name)
	}
	title := "The " + familyOf(children, f.Reference())
	status := http.StatusOK
	if len(st.problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "family", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "families")})
}

// onFamily runs one change of a family from its page: the form's own problems and the
// domain's come back on the page; success redirects to it with what was done.
func (h *Handler) onFamily(ctx context.Context, r *request, s session, st familyState, anchors map[string]string, fallback string,
	do func(who safeguarding.Caller, school safeguarding.SchoolID, id string) (contact.Family, string, error)) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := r.param("id")
	if _, fail := h.dslPrincipal(ctx, r, s, school); fail != nil {
		return *fail
	}
	if len(st.problems.List) > 0 {
		return h.familyPage(ctx, r, s, school, id, st)
	}
	_, done, err := do(r.caller(s.claims.Email), school, id)
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		st.problems.addValidation(ve, anchors, fallback)
		return h.familyPage(ctx, r, s, school, id, st)
	case err != nil:
		return h.caseWorkFailed(r, s, err, familyPath(school, id))
	}
	return redirect(familyPath(school, id)+"?done="+done+"#done", http.StatusSeeOther)
}

// recordContact records an attempt to contact the family (rules H2, E5), or an answered
// phone call with its record (H3: form=call); contact established ends MISSING (E6).
func (h *Handler) recordContact(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	if r.form.Get("form") == "call" {
		return h.recordCall(ctx, r, s)
	}
	f := readContactForm(r.form)
	in, own := f.attempt()
	st := familyState{contact: f}
	for _, p := range own {
		st.problems.add(p.Anchor, p.Message)
	}
	return h.onFamily(ctx, r, s, st, map[string]string{"method": "method", "outcome": "outcome", "at": "contact-day", "notes": "contact-notes",
		"call": "outcome"}, "contact-notes",
		func(who safeguarding.Caller, school safeguarding.SchoolID, id string) (contact.Family, string, error) {
			fam, err := h.Engagement.RecordContact(ctx, who, school, id, in, requestKey(school, who.Email, formKeyOf(f.Key)), f.fingerprint(school, id))
			done := "contact"
			if fam.Status() == contact.FamilyEngaged && (in.Outcome == contact.OutcomeEstablished || in.Outcome == contact.OutcomeRefused) {
				done = "contact-established"
			}
			return fam, done, err
		})
}

// callAnchors place the domain's problems of a call record at their fields.
var callAnchors = map[string]string{"at": "call-day", "notes": "call-notes", "call": "spoken-to", "call.spokenTo": "spoken-to",
	"call.identifiedBy": "identified-by", "call.agreedCarer": "agreed-carer", "call.isOk": "is-ok", "call.worries": "worries",
	"call.background": "background", "call.quotes": "quote-speaker-0", "call.actions": "action-description-0",
	"call.furtherContact": "further-contact", "call.happyToBeContacted": "happy", "call.nextCallAt": "next-call-date"}

// callAnchor is the element of a call record's field, numbered rows as the form shows them:
// the domain numbers only the rows it was given, the form's blank rows left out.
func callAnchor(field string, f callForm) string {
	if a, ok := callAnchors[field]; ok {
		return a
	}
	list, n, rest, ok := indexed(field)
	if !ok || list != "call.quotes" && list != "call.actions" {
		return "spoken-to"
	}
	row := 0
	if list == "call.quotes" {
		for i, q := range f.Quotes {
			if strings.TrimSpace(q.Speaker) != "" || strings.TrimSpace(q.Words) != "" {
				if n == 0 {
					row = i
					break
				}
				n--
			}
		}
		if rest == "words" {
			return "quote-words-" + strconv.Itoa(row)
		}
		return "quote-speaker-" + strconv.Itoa(row)
	}
	for i, a := range f.Actions {
		if strings.TrimSpace(a.Description) != "" || a.Assignee != "" || a.DueDate != "" || a.DueTime != "" {
			if n == 0 {
				row = i
				break
			}
			n--
		}
	}
	switch rest {
	case "assigneeEmail":
		return "action-assignee-" + strconv.Itoa(row)
	case "dueAt":
		return "action-due-date-" + strconv.Itoa(row)
	}
	return "action-description-" + strconv.Itoa(row)
}

// recordCall records an answered phone call with the record of rule H3: who was spoken to
// and how they were identified, whether they are ok, worries, what was heard, quotes, agreed
// actions, further contact, the next call and whether the family is still happy to be
// contacted.
func (h *Handler) recordCall(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	f := readCallForm(r.form)
	in, own := f.attempt()
	st := familyState{call: f}
	if st.call.Key == "" {
		st.call.Key = rand.Text()
	}
	for _, p := range own {
		st.problems.add(p.Anchor, p.Message)
	}
	school := safeguarding.SchoolID(r.param("school"))
	id := r.param("id")
	if _, fail := h.dslPrincipal(ctx, r, s, school); fail != nil {
		return *fail
	}
	if len(st.problems.List) > 0 {
		return h.familyPage(ctx, r, s, school, id, st)
	}
	_, err := h.Engagement.RecordContact(ctx, r.caller(s.claims.Email), school, id, in, requestKey(school, s.claims.Email, formKeyOf(f.Key)), f.fingerprint(school, id))
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		for _, fp := range ve.Problems {
			st.problems.add(callAnchor(fp.Field, f), sentence(fp.Message))
		}
		return h.familyPage(ctx, r, s, school, id, st)
	case err != nil:
		return h.caseWorkFailed(r, s, err, familyPath(school, id))
	}
	return redirect(familyPath(school, id)+"?done=call#done", http.StatusSeeOther)
}

// recordLANotification records when the Senior DSL informed the LA (rule E5).
func (h *Handler) recordLANotification(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	f := readLAForm(r.form)
	at, own := f.sentAt()
	st := familyState{la: f}
	for _, p := range own {
		st.problems.add(p.Anchor, p.Message)
	}
	return h.onFamily(ctx, r, s, st, map[string]string{"sentAt": "sent-day", "notes": "sent-notes"}, "sent-notes",
		func(who safeguarding.Caller, school safeguarding.SchoolID, id string) (contact.Family, string, error) {
			fam, err := h.Engagement.RecordLANotification(ctx, who, school, id, at, f.Notes, requestKey(school, who.Email, formKeyOf(f.Key)), f.fingerprint(school, id))
			return fam, "la", err
		})
}

// decide records the Senior DSL's decision about social care, with its reason (rule E4).
func (h *Handler) decide(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	f := readDecisionForm(r.form)
	st := familyState{decision: f}
	if f.Decision == "" {
		st.problems.add("decision", "Choose the decision")
		if strings.TrimSpace(f.Reason) == "" {
			st.problems.add("decision-reason", "Record the reason for the decision")
		}
	}
	return h.onFamily(ctx, r, s, st, map[string]string{"decision": "decision", "reason": "decision-reason"}, "decision-reason",
		func(who safeguarding.Caller, school safeguarding.SchoolID, id string) (contact.Family, string, error) {
			fam, err := h.Engagement.Decide(ctx, who, school, id, f.Decision, f.Reason, requestKey(school, who.Email, formKeyOf(f.Key)), f.fingerprint(school, id))
			return fam, "decision", err
		})
}

// formKeyOf is a form's idempotency key, or a fresh one when it sent none that fits.
func formKeyOf(k string) string {
	if k == "" || len(k) > 64 {
		return rand.Text()
	}
	return k
}
