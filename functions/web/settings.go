package main

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/settings"
)

// The school's settings: the Senior DSL's page to change them, and the key contacts page every
// member of staff reaches from the menu. The same use cases as the settings API.

// settingsService is the part of settings.Service the pages use.
type settingsService interface {
	Read(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (settings.View, error)
	Change(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, version int, in settings.Settings,
		key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error)
	Classes(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (settings.ClassesView, error)
	AssignTeachers(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, class string, version int,
		teachers []string, key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error)
}

var _ settingsService = settings.Service{}

func init() {
	routes["GET /schools/{school}/settings"] = (*Handler).settingsPage
	routes["POST /schools/{school}/settings"] = (*Handler).saveSettings
	routes["GET /schools/{school}/key-contacts"] = (*Handler).keyContacts
	routes["GET /schools/{school}/classes"] = (*Handler).classesPage
	routes["POST /schools/{school}/classes"] = (*Handler).assignTeachers
}

func settingsPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/settings" }
func keyContactsPath(school safeguarding.SchoolID) string {
	return schoolPath(school) + "/key-contacts"
}
func classesPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/classes" }

// settingsForm is the settings form as it was sent, or as the settings stand.
type settingsForm struct {
	Key, Version                                                        string
	EndOfDay, LoneWorker, SessionIdle, SessionLifetime, ContactOpenings string
	DutyTeam, LADO, Governor                                            string
	Contacts                                                            []contactFields
}

// contactFields are one agency's fields on the form.
type contactFields struct {
	Agency                    safeguarding.KeyAgency
	Title                     string
	Name, Number, Email       string
	NameID, NumberID, EmailID string
}

// lowerFirst is a title in the middle of a sentence.
func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}

func agencyFields(a safeguarding.KeyAgency) contactFields {
	id := string(a)
	return contactFields{Agency: a, Title: a.Title(), NameID: id + "-name", NumberID: id + "-number", EmailID: id + "-email"}
}

func formOfSettings(v settings.View) settingsForm {
	s := v.Settings
	f := settingsForm{Key: rand.Text(), Version: strconv.Itoa(v.Version), EndOfDay: safeguarding.ClockTime(s.EndOfDayMinutes),
		LoneWorker: strconv.Itoa(s.LoneWorkerMinutes), SessionIdle: strconv.Itoa(s.SessionIdleMinutes),
		SessionLifetime: strconv.Itoa(s.SessionLifetimeMinutes), ContactOpenings: strconv.Itoa(s.ContactOpeningsPerHour),
		DutyTeam: s.DutyTeamNumber, LADO: s.LADONumber, Governor: s.SafeguardingGovernor}
	for _, a := range safeguarding.KeyAgencies {
		c := agencyFields(a)
		for _, k := range s.KeyContacts {
			if k.Agency == a {
				c.Name, c.Number, c.Email = k.Name, k.Number, k.Email
			}
		}
		f.Contacts = append(f.Contacts, c)
	}
	return f
}

func readSettingsForm(v url.Values) settingsForm {
	f := settingsForm{Key: strings.TrimSpace(v.Get("key")), Version: strings.TrimSpace(v.Get("version")),
		EndOfDay: v.Get("end-of-day"), LoneWorker: v.Get("lone-worker-minutes"), SessionIdle: v.Get("session-idle-minutes"),
		SessionLifetime: v.Get("session-lifetime-minutes"), ContactOpenings: v.Get("contact-openings"),
		DutyTeam: v.Get("duty-team-number"), LADO: v.Get("lado-number"), Governor: v.Get("governor")}
	for _, a := range safeguarding.KeyAgencies {
		c := agencyFields(a)
		c.Name, c.Number, c.Email = v.Get(c.NameID), v.Get(c.NumberID), v.Get(c.EmailID)
		f.Contacts = append(f.Contacts, c)
	}
	return f
}

func (f settingsForm) fingerprint(school safeguarding.SchoolID) string {
	parts := []string{"settings", string(school), f.Version, f.EndOfDay, f.LoneWorker, f.SessionIdle, f.SessionLifetime,
		f.ContactOpenings, f.DutyTeam, f.LADO, f.Governor}
	for _, c := range f.Contacts {
		parts = append(parts, c.Name, c.Number, c.Email)
	}
	return commandFingerprint(parts...)
}

// settingsAnchors name each setting in the words of the page's error messages.
var settingsAnchors = map[string]string{
	"endOfDay": "end-of-day", "loneWorkerMinutes": "lone-worker-minutes", "sessionIdleMinutes": "session-idle-minutes",
	"sessionLifetimeMinutes": "session-lifetime-minutes", "contactOpeningsPerHour": "contact-openings",
	"dutyTeamNumber": "duty-team-number", "ladoNumber": "lado-number", "safeguardingGovernorEmail": "governor",
}

// settingsMessages say what each setting must be, in the page's words.
var settingsMessages = map[string]string{
	"end-of-day":               "Enter the end of the school day as a time after 16:00 and no later than 22:00, like 17:30",
	"lone-worker-minutes":      "Enter the minutes to wait for a check-out as a whole number from 5 to 240",
	"session-idle-minutes":     "Enter how long someone stays signed in without using a page as a whole number of minutes from 5 to 120",
	"session-lifetime-minutes": "Enter the longest anyone stays signed in as a whole number of minutes from 60 to 720, and no shorter than the time without use",
	"contact-openings":         "Enter the number of families as a whole number from 1 to 500",
	"duty-team-number":         "Enter the duty team's number as a UK phone number, like 01632 960100",
	"lado-number":              "Enter the LADO's number as a UK phone number, like 01632 960100",
	"governor":                 "Choose the safeguarding governor from the school's governors",
}

// input is the change the form asks for, or its own problems (a number that is not one).
func (f settingsForm) input() (int, settings.Settings, formProblems) {
	var ps formProblems
	version, err := strconv.Atoi(f.Version)
	if err != nil || version < 0 {
		ps.add("end-of-day", "The page is out of date: reload it and make the change again")
	}
	whole := func(id, s string) int {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			ps.add(id, settingsMessages[id])
			return 0
		}
		return n
	}
	in := settings.Settings{
		LoneWorkerMinutes: whole("lone-worker-minutes", f.LoneWorker), SessionIdleMinutes: whole("session-idle-minutes", f.SessionIdle),
		SessionLifetimeMinutes: whole("session-lifetime-minutes", f.SessionLifetime), ContactOpeningsPerHour: whole("contact-openings", f.ContactOpenings),
		DutyTeamNumber: f.DutyTeam, LADONumber: f.LADO, SafeguardingGovernor: f.Governor,
	}
	if m, ok := safeguarding.ParseClockTime(f.EndOfDay); ok {
		in.EndOfDayMinutes = m
	} else {
		ps.add("end-of-day", settingsMessages["end-of-day"])
	}
	for _, c := range f.Contacts {
		in.KeyContacts = append(in.KeyContacts, safeguarding.KeyContact{Agency: c.Agency, Name: c.Name, Number: c.Number, Email: c.Email})
	}
	return version, in, ps
}

// addSettingsProblems puts the domain's problems at their fields, in the page's words.
func addSettingsProblems(ps *formProblems, ve *safeguarding.ValidationError) {
	for _, fp := range ve.Problems {
		if id, ok := settingsAnchors[fp.Field]; ok {
			ps.add(id, settingsMessages[id])
			continue
		}
		// keyContacts.<agency>.<name|number|email>
		parts := strings.Split(fp.Field, ".")
		if len(parts) == 3 && parts[0] == "keyContacts" {
			a := safeguarding.KeyAgency(parts[1])
			id := string(a) + "-" + parts[2]
			switch parts[2] {
			case "name":
				ps.add(id, "Enter the name of the team or person for "+lowerFirst(a.Title()))
			case "number":
				ps.add(id, "Enter a UK phone number for "+lowerFirst(a.Title())+", like 01632 960100")
			default:
				ps.add(id, "Enter an email address for "+lowerFirst(a.Title())+", like team@example.org, or leave it empty")
			}
			continue
		}
		ps.add("end-of-day", sentence(fp.Message))
	}
}

type settingsView struct {
	SchoolName string
	Done       string
	Problems   formProblems
	Form       settingsForm
	Governors  []option
	PostURL    string
	ClassesURL string
}

func (h *Handler) settingsPage(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.settingsWith(ctx, r, s, nil, formProblems{}, http.StatusOK)
}

// settingsWith shows the Senior DSL's form: the settings as they stand, or the form as sent
// with its problems. Anyone else gets "not found": they read the key contacts page.
func (h *Handler) settingsWith(ctx context.Context, r *request, s session, sent *settingsForm, problems formProblems, status int) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Settings == nil || !safeguarding.AccessFor(p, school).Settings {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	v, err := h.Settings.Read(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	f := formOfSettings(v)
	if sent != nil {
		f = *sent
	}
	view := settingsView{SchoolName: v.SchoolName, Problems: problems, Form: f, PostURL: settingsPath(school), ClassesURL: classesPath(school)}
	if r.ev.QueryStringParameters["done"] == "saved" && sent == nil {
		view.Done = "Settings saved. Staff see the new numbers on their next page."
	}
	for _, g := range v.Governors {
		view.Governors = append(view.Governors, option{Value: g.Email, Title: g.Name, Checked: g.Email == f.Governor})
	}
	title := "School settings"
	if len(problems.List) > 0 {
		title = "Error: " + title
	}
	return h.page(r, status, "settings", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: view, Nav: navFor(p, school, "settings")})
}

// saveSettings saves the Senior DSL's settings against the version the page was opened at,
// then shows them with "Settings saved" (303); a form with problems comes back with them, and
// one someone else's change overtook comes back with the settings as they now stand.
func (h *Handler) saveSettings(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Settings == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	f := readSettingsForm(r.form)
	if f.Key == "" || len(f.Key) > 64 {
		f.Key = rand.Text()
	}
	version, in, problems := f.input()
	if len(problems.List) > 0 {
		return h.settingsWith(ctx, r, s, &f, problems, http.StatusBadRequest)
	}
	fp := f.fingerprint(school)
	_, err := h.Settings.Change(ctx, r.caller(s.claims.Email), school, version, in,
		safeguarding.RequestKey{School: school, Actor: s.claims.Email, Key: f.Key}, fp)
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		addSettingsProblems(&problems, ve)
		return h.settingsWith(ctx, r, s, &f, problems, http.StatusBadRequest)
	case errors.Is(err, safeguarding.ErrConflict):
		problems.add("end-of-day", "Someone else changed the settings while you had this page open. These are the settings now: make your change again")
		return h.settingsWith(ctx, r, s, nil, problems, http.StatusConflict)
	case err != nil:
		return h.errorPage(r, statusFor(err), &s)
	}
	return redirect(settingsPath(school)+"?done=saved", http.StatusSeeOther)
}

// ---- Key contacts, for everyone at the school ------------------------------------------------

type keyContactView struct {
	Title, Name, Number, Email string
}

type keyContactsView struct {
	SchoolName string
	Duty       string
	LADO       string
	Governor   string
	Contacts   []keyContactView
	// SettingsURL is the Senior DSL's way to change them ("" for anyone else).
	SettingsURL string
}

// keyContacts shows whom staff call: the duty team, the LADO, the safeguarding governor and
// the agencies the school's policy lists, with 999 for a child in immediate danger.
func (h *Handler) keyContacts(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Settings == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	v, err := h.Settings.Read(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	view := keyContactsView{SchoolName: v.SchoolName, Duty: v.Settings.DutyTeamNumber, LADO: v.Settings.LADONumber,
		Governor: v.Governor.Name}
	for _, c := range v.Settings.KeyContacts {
		view.Contacts = append(view.Contacts, keyContactView{Title: c.Agency.Title(), Name: c.Name, Number: c.Number, Email: c.Email})
	}
	if v.CanChange {
		view.SettingsURL = settingsPath(school)
	}
	return h.page(r, http.StatusOK, "key-contacts", pageData{Title: "Key contacts", SignedIn: true, Page: view, Nav: navFor(p, school, "key-contacts")})
}

// governorName is the school's safeguarding governor by name, "" when none is named (or the
// name cannot be read: the form names the role instead).
func (h *Handler) governorName(ctx context.Context, school safeguarding.School) string {
	g := school.SafeguardingGovernor
	if g == "" {
		return ""
	}
	names, err := h.Directory.StaffNames(ctx, []string{g})
	if err != nil {
		return ""
	}
	return names[g]
}
