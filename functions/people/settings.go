package main

import (
	"context"
	"net/http"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/settings"
)

// settingsService is the school's settings and its classes' teachers: settings.Service.
type settingsService interface {
	Read(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (settings.View, error)
	Change(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, version int, in settings.Settings,
		key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error)
	Classes(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (settings.ClassesView, error)
	AssignTeachers(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, class string, version int,
		teachers []string, key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error)
}

var _ settingsService = settings.Service{}

// settingsRoutes are the school's settings and who teaches its classes.
func (h handler) settingsRoutes() httpapi.Router {
	return httpapi.Router{
		"GET /api/schools/{school}/settings":                 h.readSettings,
		"PUT /api/schools/{school}/settings":                 h.changeSettings,
		"GET /api/schools/{school}/classes":                  h.classes,
		"PUT /api/schools/{school}/classes/{class}/teachers": h.assignTeachers,
	}
}

type personJSON struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

type keyContactJSON struct {
	Agency string `json:"agency"`
	Name   string `json:"name"`
	Number string `json:"number"`
	Email  string `json:"email,omitempty"`
}

type settingsResponse struct {
	School                 string           `json:"school"`
	Version                int              `json:"version"`
	EndOfDay               string           `json:"endOfDay"`
	LoneWorkerMinutes      int              `json:"loneWorkerMinutes"`
	SessionIdleMinutes     int              `json:"sessionIdleMinutes"`
	SessionLifetimeMinutes int              `json:"sessionLifetimeMinutes"`
	ContactOpeningsPerHour int              `json:"contactOpeningsPerHour"`
	DutyTeamNumber         string           `json:"dutyTeamNumber"`
	LADONumber             string           `json:"ladoNumber"`
	SafeguardingGovernor   *personJSON      `json:"safeguardingGovernor,omitempty"`
	KeyContacts            []keyContactJSON `json:"keyContacts"`
	// Governors are the people the Senior DSL may name as the safeguarding governor.
	Governors []personJSON `json:"governors,omitempty"`
	CanChange bool         `json:"canChange"`
}

func toSettingsResponse(school safeguarding.SchoolID, v settings.View) settingsResponse {
	s := v.Settings
	out := settingsResponse{School: string(school), Version: v.Version, EndOfDay: safeguarding.ClockTime(s.EndOfDayMinutes),
		LoneWorkerMinutes: s.LoneWorkerMinutes, SessionIdleMinutes: s.SessionIdleMinutes, SessionLifetimeMinutes: s.SessionLifetimeMinutes,
		ContactOpeningsPerHour: s.ContactOpeningsPerHour, DutyTeamNumber: s.DutyTeamNumber, LADONumber: s.LADONumber,
		KeyContacts: []keyContactJSON{}, CanChange: v.CanChange}
	if v.Governor.Email != "" {
		out.SafeguardingGovernor = &personJSON{Email: v.Governor.Email, Name: v.Governor.Name}
	}
	for _, c := range s.KeyContacts {
		out.KeyContacts = append(out.KeyContacts, keyContactJSON{Agency: string(c.Agency), Name: c.Name, Number: c.Number, Email: c.Email})
	}
	for _, g := range v.Governors {
		out.Governors = append(out.Governors, personJSON{Email: g.Email, Name: g.Name})
	}
	return out
}

// readSettings: any member of the school reads its settings, which say whom staff call.
func (h handler) readSettings(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	school := httpapi.School(req)
	v, err := h.settings.Read(ctx, who, school)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toSettingsResponse(school, v)), nil
}

// settingsRequest is the whole of the school's settings, against the version read.
type settingsRequest struct {
	Version                   *int             `json:"version"`
	EndOfDay                  string           `json:"endOfDay"`
	LoneWorkerMinutes         *int             `json:"loneWorkerMinutes"`
	SessionIdleMinutes        *int             `json:"sessionIdleMinutes"`
	SessionLifetimeMinutes    *int             `json:"sessionLifetimeMinutes"`
	ContactOpeningsPerHour    *int             `json:"contactOpeningsPerHour"`
	DutyTeamNumber            string           `json:"dutyTeamNumber"`
	LADONumber                string           `json:"ladoNumber"`
	SafeguardingGovernorEmail string           `json:"safeguardingGovernorEmail"`
	KeyContacts               []keyContactJSON `json:"keyContacts"`
}

// maxKeyContacts bounds the list before the domain reads it: one per agency.
const maxKeyContacts = 8

// input checks what the body must hold and gives the settings it asks for, with the
// version; the domain checks their bounds.
func (r settingsRequest) input() (int, settings.Settings, error) {
	var ps safeguarding.Problems
	required := func(field string, n *int) int {
		if n == nil {
			ps.Add(field, "is required")
			return 0
		}
		return *n
	}
	version := required("version", r.Version)
	if version < 0 {
		ps.Add("version", "the version the settings were read at")
	}
	in := settings.Settings{
		LoneWorkerMinutes: required("loneWorkerMinutes", r.LoneWorkerMinutes), SessionIdleMinutes: required("sessionIdleMinutes", r.SessionIdleMinutes),
		SessionLifetimeMinutes: required("sessionLifetimeMinutes", r.SessionLifetimeMinutes), ContactOpeningsPerHour: required("contactOpeningsPerHour", r.ContactOpeningsPerHour),
		DutyTeamNumber: r.DutyTeamNumber, LADONumber: r.LADONumber, SafeguardingGovernor: r.SafeguardingGovernorEmail,
	}
	if m, ok := safeguarding.ParseClockTime(r.EndOfDay); ok {
		in.EndOfDayMinutes = m
	} else {
		ps.Add("endOfDay", "a time like 17:00")
	}
	if len(r.KeyContacts) > maxKeyContacts {
		ps.Add("keyContacts", "one for each agency at most")
	}
	for _, c := range r.KeyContacts[:min(len(r.KeyContacts), maxKeyContacts)] {
		in.KeyContacts = append(in.KeyContacts, safeguarding.KeyContact{Agency: safeguarding.KeyAgency(c.Agency), Name: c.Name, Number: c.Number, Email: c.Email})
	}
	// A setting of 0 would mean "the default" to the store; through the API each is given.
	for _, f := range []struct {
		field string
		n     *int
	}{{"loneWorkerMinutes", r.LoneWorkerMinutes}, {"sessionIdleMinutes", r.SessionIdleMinutes},
		{"sessionLifetimeMinutes", r.SessionLifetimeMinutes}, {"contactOpeningsPerHour", r.ContactOpeningsPerHour}} {
		if f.n != nil && *f.n <= 0 {
			ps.Add(f.field, "a whole number above 0")
		}
	}
	return version, in, ps.Err()
}

// changeSettings: the Senior DSL replaces the school's settings, against the version read.
func (h handler) changeSettings(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var body settingsRequest
	who, key, fp, err := httpapi.Command(req, &body)
	if err != nil {
		return httpapi.Response{}, err
	}
	school := httpapi.School(req)
	version, in, err := body.input()
	if err != nil {
		return httpapi.Response{}, err
	}
	if _, err := h.settings.Change(ctx, who, school, version, in, key, fp); err != nil {
		return httpapi.Response{}, err
	}
	v, err := h.settings.Read(ctx, who, school)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toSettingsResponse(school, v)), nil
}
