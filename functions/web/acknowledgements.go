package main

import (
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

// Marking a class's acknowledgements (rule E1): a teacher opens their class, taps how each
// family acknowledged today, and one submission records the whole class through the same
// use case as POST /api/schools/{school}/engagement.

// classService is the part of safeguarding.ClassLists the pages use.
type classService interface {
	Classes(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]engagement.Class, error)
	Sheet(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, class string) (engagement.ClassSheet, error)
	// UnheardToday counts the families of each class the caller teaches not heard from today.
	UnheardToday(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]engagement.ClassUnheard, error)
}

var _ classService = engagement.ClassLists{}

// engagementService is the part of safeguarding.Engagement the pages use: the engagement
// API's use cases.
type engagementService interface {
	Acknowledge(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, acks []contact.Acknowledgement,
		key safeguarding.RequestKey, fingerprint string) (engagement.AckResult, error)
	MissingFamilies(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]engagement.FamilyRow, error)
	// Families is the DSLs' families page during a closure or outside one (E0, E2), and
	// CallsFor and TakeCall the phone calls due to families (E3): see closures.go.
	Families(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (engagement.FamiliesOverview, error)
	CallsFor(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]engagement.Call, error)
	TakeCall(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (contact.Family, error)
	Family(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (engagement.FamilyRow, error)
	RecordContact(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, in contact.ContactAttempt,
		key safeguarding.RequestKey, fp string) (contact.Family, error)
	RecordLANotification(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, sentAt time.Time, notes string,
		key safeguarding.RequestKey, fp string) (contact.Family, error)
	Decide(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id, decision, reason string,
		key safeguarding.RequestKey, fp string) (contact.Family, error)
	Calendar(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (safeguarding.SchoolCalendar, error)
	EditCalendar(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, version int,
		in safeguarding.CalendarInput) (safeguarding.SchoolCalendar, error)
}

var _ engagementService = engagement.Engagement{}

// ackTitles are the choices of the class sheet, "nothing today" first.
var ackTitles = map[string]string{
	noAck:               "Not heard from",
	contact.AckThumbsUp: "Thumbs up",
	contact.AckMessage:  "Message",
	contact.AckWorkSeen: "Work seen",
}

func acknowledgementsPath(school safeguarding.SchoolID, class string) string {
	p := schoolPath(school) + "/acknowledgements"
	if class != "" {
		p += "?" + url.Values{"class": {class}}.Encode()
	}
	return p
}

type classLink struct {
	Name string
	Link string
}

// classesView lists the classes a person may mark.
type classesView struct {
	SchoolName string
	Classes    []classLink
	IsTeacher  bool
}

// sheetFamily is one family's line on the class sheet.
type sheetFamily struct {
	ID       string
	Field    string
	Children string
	Siblings []string
	// Today says the family was already heard from today, by whom it does not matter (E1).
	Today string
	Last  string
	// Saved is the choice already saved for the family today, sent back with the sheet so
	// that leaving it as it is records nothing again.
	Saved   string
	Options []option
	Error   string
}

// sheetView is the class sheet.
type sheetView struct {
	SchoolName string
	Class      string
	PostURL    string
	ListLink   string
	Key        string
	At         string
	Date       string
	Saved      string
	// Days are the days the sheet can record: today, then the weekdays before it.
	Days     []option
	Families []sheetFamily
	Unlinked []string
	Problems formProblems
}

// acknowledgements shows the class sheet of ?class=, or the classes the person may mark (their
// only class's sheet straight away).
func (h *Handler) acknowledgements(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	class := r.ev.QueryStringParameters["class"]
	if h.Classes == nil || h.Engagement == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	access := safeguarding.AccessFor(p, school)
	if !access.Acknowledgements {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	if class == "" {
		classes, err := h.Classes.Classes(ctx, r.caller(s.claims.Email), school)
		if err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
		if len(classes) == 1 && !access.AnyClass {
			class = classes[0].Name
		} else {
			v := classesView{IsTeacher: access.Teacher}
			if sc, err := h.Directory.School(ctx, school); err == nil {
				v.SchoolName = sc.Name
			}
			for _, c := range classes {
				v.Classes = append(v.Classes, classLink{Name: c.Name, Link: acknowledgementsPath(school, c.Name)})
			}
			return h.page(r, http.StatusOK, "acknowledgements", pageData{Title: "Acknowledgements", SignedIn: true, CSRF: s.csrf(),
				Page: v, Nav: navFor(p, school, "acknowledgements")})
		}
	}
	saved := ""
	if n, err := strconv.Atoi(r.ev.QueryStringParameters["saved"]); err == nil && n >= 0 && n <= contact.MaxAcknowledgements {
		on := "today"
		if d, err := time.ParseInLocation(time.DateOnly, r.ev.QueryStringParameters["on"], safeguarding.London); err == nil {
			on = "on " + d.Format("Monday 2 January")
		}
		saved = "Saved: " + strconv.Itoa(n) + " " + plural(n, "family", "families") + " acknowledged " + on + "."
		if n == 0 {
			saved = "Nothing new to save: every choice was saved already."
		}
	}
	return h.sheetPage(ctx, r, s, p, school, class, ackForm{}, saved, formProblems{})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// sheetPage shows a class sheet: a fresh one (a new key, dated now), or the one sent with
// its problems.
func (h *Handler) sheetPage(ctx context.Context, r *request, s session, p safeguarding.Principal, school safeguarding.SchoolID, class string,
	sent ackForm, saved string, problems formProblems) events.APIGatewayV2HTTPResponse {
	sheet, err := h.Classes.Sheet(ctx, r.caller(s.claims.Email), school, class)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := sheetView{Class: sheet.Class.Name, PostURL: schoolPath(school) + "/acknowledgements", Saved: saved, Problems: problems,
		Key: sent.Key, At: sent.At, Date: r.now.In(safeguarding.London).Format("Monday 2 January 2006")}
	if v.Key == "" {
		v.Key = rand.Text()
	}
	if v.At == "" || len(problems.List) > 0 && problems.For["class-sheet"] != "" {
		// A sheet opened on another day is shown again as today's.
		v.At = r.now.UTC().Format(time.RFC3339Nano)
	}
	v.Days = []option{{Value: "today", Title: "Today", Hint: r.now.In(safeguarding.London).Format("Monday 2 January"), Checked: sent.Day == ""}}
	for _, d := range sheetDays(r.now) {
		v.Days = append(v.Days, option{Value: d.Format(time.DateOnly), Title: d.Format("Monday 2 January"), Checked: sent.Day == d.Format(time.DateOnly)})
	}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	if classes, err := h.Classes.Classes(ctx, r.caller(s.claims.Email), school); err == nil && len(classes) > 1 {
		v.ListLink = acknowledgementsPath(school, "")
	}
	for _, cf := range sheet.Families {
		f := cf.Family
		sf := sheetFamily{ID: f.ID(), Field: ackFieldPrefix + f.ID(), Error: problems.For[ackFieldPrefix+f.ID()]}
		var names []string
		for _, c := range cf.InClass {
			names = append(names, c.Name)
		}
		sf.Children = strings.Join(names, " and ")
		for _, sib := range cf.Siblings {
			sf.Siblings = append(sf.Siblings, sib.Name+" ("+sib.ClassName+")")
		}
		heard := f.HeardFromOn(r.now)
		if heard && slices.Contains(contact.AckKinds, f.LastContactHow()) {
			sf.Saved = f.LastContactHow()
		}
		switch {
		case heard:
			sf.Today = "Acknowledged today at " + f.LastContactAt().In(safeguarding.London).Format("15:04") + ": " + contactHowTitle(f.LastContactHow())
		case !f.LastContactAt().IsZero():
			sf.Last = "Last heard from on " + f.LastContactAt().In(safeguarding.London).Format("Monday 2 January")
		}
		chosen, sentLine := sent.Kinds[f.ID()]
		switch {
		case !sentLine && sf.Saved != "":
			chosen = sf.Saved
		case sent.All != "" && (chosen == "" || chosen == noAck) && !heard:
			chosen = sent.All
		case chosen == "":
			chosen = noAck
		}
		for _, k := range append([]string{noAck}, contact.AckKinds...) {
			sf.Options = append(sf.Options, option{Value: k, Title: ackTitles[k], Checked: k == chosen})
		}
		v.Families = append(v.Families, sf)
	}
	for _, u := range sheet.Unlinked {
		v.Unlinked = append(v.Unlinked, u.Name)
	}
	title := "Acknowledgements: " + sheet.Class.Name
	status := http.StatusOK
	if len(problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "acknowledgements-class", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, school, "acknowledgements")})
}

// contactHowTitle says how a family was last heard from: an acknowledgement's kind, or a
// contact the DSLs recorded.
func contactHowTitle(how string) string {
	if t, ok := ackTitles[how]; ok && how != noAck {
		return strings.ToLower(t)
	}
	if m, ok := strings.CutPrefix(how, "contact: "); ok {
		return "contact with the school (" + strings.ReplaceAll(m, "-", " ") + ")"
	}
	return "contact with the school"
}

// indexed reads a domain field name like "acknowledgements[3].kind": its list ("acknowledgements"),
// the index and what follows the dot ("kind"); ok is false for a field without an index.
func indexed(field string) (list string, i int, rest string, ok bool) {
	list, after, found := strings.Cut(field, "[")
	if !found {
		return "", 0, "", false
	}
	num, after, found := strings.Cut(after, "]")
	n, err := strconv.Atoi(num)
	if !found || err != nil || n < 0 {
		return "", 0, "", false
	}
	return list, n, strings.TrimPrefix(after, "."), true
}

// submitAcknowledgements records the class sheet in one batch (rule E1): each family marked
// once, dated when the sheet was opened. A second submission of the same sheet records
// nothing new.
func (h *Handler) submitAcknowledgements(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Classes == nil || h.Engagement == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, school).Acknowledgements {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	f := readAckForm(r.form)
	if f.Key == "" || len(f.Key) > 64 {
		f.Key = rand.Text()
	}
	if f.All != "" {
		// "All heard from" saves nothing: the sheet comes back with every family not marked
		// yet marked, for the few not heard from to be changed before saving.
		return h.sheetPage(ctx, r, s, p, school, f.Class, f, "", formProblems{})
	}
	acks, own := f.acknowledgements(r.now)
	if len(own) > 0 {
		var ps formProblems
		for _, pr := range own {
			ps.add(pr.Anchor, pr.Message)
		}
		return h.sheetPage(ctx, r, s, p, school, f.Class, f, "", ps)
	}
	to := url.Values{"class": {f.Class}, "saved": {strconv.Itoa(len(acks))}}
	if f.Day != "" {
		to.Set("on", f.Day)
	}
	if len(acks) == 0 {
		// Every family marked was sent back as it was saved: nothing new to record.
		return redirect(schoolPath(school)+"/acknowledgements?"+to.Encode(), http.StatusSeeOther)
	}
	_, err = h.Engagement.Acknowledge(ctx, r.caller(s.claims.Email), school, acks, requestKey(school, s.claims.Email, f.Key), f.fingerprint(school))
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		var ps formProblems
		for _, fp := range ve.Problems {
			anchor := "class-sheet"
			if list, i, _, ok := indexed(fp.Field); ok && list == "acknowledgements" && i < len(acks) {
				anchor = ackFieldPrefix + acks[i].FamilyID
			}
			ps.add(anchor, sentence(fp.Message))
		}
		return h.sheetPage(ctx, r, s, p, school, f.Class, f, "", ps)
	case err != nil:
		return h.caseWorkFailed(r, s, err, acknowledgementsPath(school, f.Class))
	}
	return redirect(schoolPath(school)+"/acknowledgements?"+to.Encode(), http.StatusSeeOther)
}
