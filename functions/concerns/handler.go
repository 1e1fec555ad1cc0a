package main

import (
	"context"
	"net/http"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
)

type handler struct {
	concerns   concerns.Concerns
	catalogues concerns.Catalogues
	exports    exports.Exports
}

// Handle serves an API Gateway event.
func (h handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.routes().Handle(ctx, req)
}

// routes maps each route of the ConcernsFunction in template.yaml to its use case.
func (h handler) routes() httpapi.Router {
	return httpapi.Router{
		"POST /api/schools/{school}/concerns":                                 h.record,
		"GET /api/schools/{school}/concerns/{id}":                             h.get,
		"GET /api/schools/{school}/pupils/{pupil}/chronology":                 h.chronology,
		"GET /api/schools/{school}/pupils/{pupil}/chronology.pdf":             h.chronologyPDF,
		"POST /api/schools/{school}/concerns/{id}/amendments":                 h.amend,
		"GET /api/schools/{school}/concerns/{id}/revisions":                   h.revisions,
		"GET /api/schools/{school}/concerns":                                  h.dashboard,
		"GET /api/schools/{school}/categories":                                h.categories,
		"POST /api/schools/{school}/concerns/{id}/update-requests":            h.requestUpdate,
		"POST /api/schools/{school}/categories/{category}/subcategories":      h.addSubcategory,
		"POST /api/schools/{school}/categories/{category}/subcategories/{id}": h.changeSubcategory,
	}
}

// concernRequest is the wire form of a new concern (rule C1).
type concernRequest struct {
	PupilIDs          []string      `json:"pupilIds"`
	Pupils            []linkRequest `json:"pupils"`
	Category          string        `json:"category"`
	Subcategories     []string      `json:"subcategories"`
	HighPriority      bool          `json:"highPriority"`
	ObservedAt        string        `json:"observedAt"`
	Details           string        `json:"details"`
	PupilWords        string        `json:"pupilWords"`
	PeopleInvolved    []string      `json:"peopleInvolved"`
	TagStaff          []string      `json:"tagStaff"`
	AboutStaff        bool          `json:"aboutStaff"`
	SubjectStaffEmail string        `json:"subjectStaffEmail"`
	BodyMap           []bodyMark    `json:"bodyMap"`
}

// bodyMark is a place on the front or back outline, x and y from 0 to 1 from the top left.
type bodyMark struct {
	Side string  `json:"side"`
	X    float64 `json:"x"`
	Y    float64 `json:"y"`
	Note string  `json:"note"`
}

// linkRequest is a linked pupil with their own role (rule C1).
type linkRequest struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

// decodeConcern reads and checks the body's shape; the rules check its content.
func decodeConcern(req httpapi.Request) (concerns.NewConcern, []byte, error) {
	var in concernRequest
	body, err := httpapi.DecodeJSON(req, httpapi.MaxBody, &in)
	if err != nil {
		return concerns.NewConcern{}, nil, err
	}
	observed := httpapi.RequestTime(req)
	if in.ObservedAt != "" {
		observed, err = time.Parse(time.RFC3339, in.ObservedAt)
		if err != nil {
			return concerns.NewConcern{}, nil, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{
				{Field: "observedAt", Message: "must be a date and time like 2026-11-23T09:15:00Z (RFC 3339)"}}}
		}
	}
	nc := concerns.NewConcern{
		Category: in.Category, Subcategories: in.Subcategories, HighPriority: in.HighPriority,
		ObservedAt: observed, Details: in.Details, PupilWords: in.PupilWords, PeopleInvolved: in.PeopleInvolved,
		TagStaff: in.TagStaff, AboutStaff: in.AboutStaff, SubjectStaffEmail: in.SubjectStaffEmail,
	}
	for _, id := range in.PupilIDs {
		nc.PupilIDs = append(nc.PupilIDs, safeguarding.PupilID(id))
	}
	for _, m := range in.BodyMap {
		nc.BodyMap = append(nc.BodyMap, concerns.BodyMark{Side: m.Side, X: m.X, Y: m.Y, Note: m.Note})
	}
	for _, p := range in.Pupils {
		role := safeguarding.PupilRole(p.Role)
		if role == "" {
			role = safeguarding.RoleSubject
		}
		nc.Pupils = append(nc.Pupils, safeguarding.LinkedPupil{ID: safeguarding.PupilID(p.ID), Role: role})
	}
	return nc, body, nil
}

type receiptResponse struct {
	ID          string    `json:"id"`
	Reference   string    `json:"reference"`
	RecordedAt  time.Time `json:"recordedAt"`
	Late        bool      `json:"late"`
	MinutesLate int       `json:"minutesLate"`
}

func (h handler) record(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	key, err := httpapi.IdempotencyKey(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	in, body, err := decodeConcern(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	school := httpapi.School(req)
	r, err := h.concerns.Record(ctx, who, school, in,
		safeguarding.RequestKey{School: school, Actor: who.Email, Key: key}, httpapi.Fingerprint(req, body))
	if err != nil {
		return httpapi.Response{}, err
	}
	resp := httpapi.JSON(http.StatusCreated, receiptResponse{ID: r.ID, Reference: r.Reference,
		RecordedAt: r.RecordedAt, Late: r.Late, MinutesLate: r.MinutesLate})
	resp.Headers["Location"] = "/api/schools/" + string(school) + "/concerns/" + r.ID
	return resp, nil
}

type pupilLink struct {
	ID   string `json:"id"`
	Role string `json:"role"`
}

type concernResponse struct {
	ID                string      `json:"id"`
	Reference         string      `json:"reference"`
	School            string      `json:"school"`
	Pupils            []pupilLink `json:"pupils"`
	Category          string      `json:"category"`
	Subcategories     []string    `json:"subcategories"`
	HighPriority      bool        `json:"highPriority"`
	ObservedAt        time.Time   `json:"observedAt"`
	RecordedAt        time.Time   `json:"recordedAt"`
	Deadline          time.Time   `json:"deadline"`
	Late              bool        `json:"late"`
	MinutesLate       int         `json:"minutesLate"`
	Details           string      `json:"details"`
	PupilWords        string      `json:"pupilWords"`
	PeopleInvolved    []string    `json:"peopleInvolved"`
	TagStaff          []string    `json:"tagStaff"`
	AboutStaff        bool        `json:"aboutStaff"`
	SubjectStaffEmail string      `json:"subjectStaffEmail,omitempty"`
	Author            person      `json:"author"`
	Version           int         `json:"version"`
	Revision          int         `json:"revision"`
	Status            string      `json:"status"`
	Progress          progress    `json:"progress"`
	BodyMap           []bodyMark  `json:"bodyMap"`
}

// progress is the status the reporter sees (rule D7): when, never what.
type progress struct {
	DSLOpenedAt   *time.Time `json:"dslOpenedAt"`
	ActionTakenAt *time.Time `json:"actionTakenAt"`
}

func timeOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

type person struct {
	Email string `json:"email,omitempty"`
	Name  string `json:"name"`
}

func toConcernResponse(c concerns.Concern) concernResponse {
	out := concernResponse{
		ID: string(c.ID()), Reference: c.Reference(), School: string(c.School()), Category: string(c.Category()),
		Subcategories: nonNil(c.Subcategories()), HighPriority: c.HighPriority(), ObservedAt: c.ObservedAt(),
		RecordedAt: c.RecordedAt(), Deadline: c.Deadline(), Late: c.Late(), MinutesLate: c.MinutesLate(),
		Details: c.Details(), PupilWords: c.PupilWords(), PeopleInvolved: nonNil(c.PeopleInvolved()),
		TagStaff: nonNil(c.TagStaff()), AboutStaff: c.AboutStaff(), SubjectStaffEmail: c.SubjectStaffEmail(),
		Author: person{Email: c.AuthorEmail(), Name: c.AuthorName()}, Version: c.Version(),
		Revision: c.Revision().Number, Status: string(c.Status()),
		Progress: progress{DSLOpenedAt: timeOrNil(c.Progress().DSLOpenedAt), ActionTakenAt: timeOrNil(c.Progress().ActionTakenAt)},
		BodyMap:  []bodyMark{},
		Pupils:   []pupilLink{},
	}
	for _, p := range c.Pupils() {
		out.Pupils = append(out.Pupils, pupilLink{ID: string(p.ID), Role: string(p.Role)})
	}
	for _, m := range c.BodyMap() {
		out.BodyMap = append(out.BodyMap, bodyMark{Side: m.Side, X: m.X, Y: m.Y, Note: m.Note})
	}
	return out
}

func (h handler) get(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.concerns.Concern(ctx, who, httpapi.School(req), safeguarding.ConcernID(req.PathParameters["id"]))
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toConcernResponse(c)), nil
}

type pupilResponse struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	YearGroup string `json:"yearGroup"`
	ClassName string `json:"className"`
	FamilyID  string `json:"familyId"`
}

type entryResponse struct {
	ID            string    `json:"id"`
	Type          string    `json:"type"`
	At            time.Time `json:"at"`
	ConcernID     string    `json:"concernId,omitempty"`
	Reference     string    `json:"reference,omitempty"`
	Role          string    `json:"role,omitempty"`
	Category      string    `json:"category,omitempty"`
	Subcategories []string  `json:"subcategories"`
	HighPriority  bool      `json:"highPriority"`
	Late          bool      `json:"late"`
	Author        string    `json:"author"`
	Summary       string    `json:"summary"`
}

type chronologyResponse struct {
	Pupil   pupilResponse   `json:"pupil"`
	Entries []entryResponse `json:"entries"`
}

func (h handler) chronology(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	p, entries, err := h.concerns.Chronology(ctx, who, httpapi.School(req), safeguarding.PupilID(req.PathParameters["pupil"]))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := chronologyResponse{
		Pupil:   pupilResponse{ID: string(p.ID), Name: p.Name, YearGroup: p.YearGroup, ClassName: p.ClassName, FamilyID: p.FamilyID},
		Entries: make([]entryResponse, 0, len(entries)),
	}
	for _, e := range entries {
		out.Entries = append(out.Entries, entryResponse{
			ID: e.ID, Type: string(e.Type), At: e.At, ConcernID: string(e.ConcernID), Reference: e.Reference,
			Role: string(e.Role), Category: string(e.Category), Subcategories: nonNil(e.Subcat),
			HighPriority: e.HighPriority, Late: e.Late, Author: e.AuthorName, Summary: e.Summary,
		})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// amendmentRequest corrects a concern: the version read, the reason, and the fields to change.
type amendmentRequest struct {
	Version        *int      `json:"version"`
	Reason         string    `json:"reason"`
	Category       *string   `json:"category"`
	Subcategories  *[]string `json:"subcategories"`
	ObservedAt     *string   `json:"observedAt"`
	Details        *string   `json:"details"`
	PupilWords     *string   `json:"pupilWords"`
	PeopleInvolved *[]string `json:"peopleInvolved"`
}

func (h handler) amend(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in amendmentRequest
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	if in.Version == nil {
		return httpapi.Response{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "version", Message: "give the version you are correcting"}}}
	}
	a := concerns.Amendment{Reason: in.Reason, Category: in.Category, Subcategories: in.Subcategories, Details: in.Details,
		PupilWords: in.PupilWords, PeopleInvolved: in.PeopleInvolved}
	if in.ObservedAt != nil {
		t, err := time.Parse(time.RFC3339, *in.ObservedAt)
		if err != nil {
			return httpapi.Response{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "observedAt", Message: "must be an RFC 3339 date and time"}}}
		}
		a.ObservedAt = &t
	}
	c, err := h.concerns.Amend(ctx, who, httpapi.School(req), safeguarding.ConcernID(req.PathParameters["id"]), *in.Version, a, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toConcernResponse(c)), nil
}

type revisionResponse struct {
	Revision       int       `json:"revision"`
	At             time.Time `json:"at"`
	By             string    `json:"by"`
	Reason         string    `json:"reason,omitempty"`
	Category       string    `json:"category"`
	Subcategories  []string  `json:"subcategories"`
	ObservedAt     time.Time `json:"observedAt"`
	Details        string    `json:"details"`
	PupilWords     string    `json:"pupilWords"`
	PeopleInvolved []string  `json:"peopleInvolved"`
}

// revisions is every version of a concern's content, oldest first (rule P4; audited).
func (h handler) revisions(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	_, revs, err := h.concerns.Revisions(ctx, who, httpapi.School(req), safeguarding.ConcernID(req.PathParameters["id"]))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Revisions []revisionResponse `json:"revisions"`
	}{Revisions: make([]revisionResponse, 0, len(revs))}
	for _, r := range revs {
		out.Revisions = append(out.Revisions, revisionResponse{Revision: r.Number, At: r.At, By: r.By, Reason: r.Reason,
			Category: string(r.Category), Subcategories: nonNil(r.Subcategories), ObservedAt: r.ObservedAt, Details: r.Details,
			PupilWords: r.PupilWords, PeopleInvolved: nonNil(r.PeopleInvolved)})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

type dashboardRow struct {
	ID           string    `json:"id"`
	Reference    string    `json:"reference"`
	Category     string    `json:"category"`
	HighPriority bool      `json:"highPriority"`
	RecordedAt   time.Time `json:"recordedAt"`
	Late         bool      `json:"late"`
	MinutesLate  int       `json:"minutesLate"`
	Read         bool      `json:"read"`
	Status       string    `json:"status"`
	PupilIDs     []string  `json:"pupilIds"`
	AboutStaff   bool      `json:"aboutStaff"`
	// ActionDueAt and ActionOverdue: rule D1, for a viewer who may see the case work.
	ActionDueAt   *time.Time `json:"actionDueAt,omitempty"`
	ActionOverdue bool       `json:"actionOverdue"`
}

// dashboard lists a page of the school's concerns the caller may see (the web dashboard's
// use case and store range, A10): high priority on top of each page, then newest first,
// unread marked, lateness shown; DSLs see their school's, staff their own and those they
// are tagged in (P2), never a concern about themselves (C5). A page ends with the cursor of
// the next, while the list goes on; the cursor is validated on decode (400 naming it).
func (h handler) dashboard(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := httpapi.KnownQuery(req, "cursor"); err != nil {
		return httpapi.Response{}, err
	}
	school := httpapi.School(req)
	var q concerns.DashboardQuery
	if c, ok := req.QueryStringParameters["cursor"]; ok {
		if q.After, err = decodeCursor(school, c); err != nil {
			return httpapi.Response{}, err
		}
	}
	page, err := h.concerns.DashboardPage(ctx, who, school, q)
	if err != nil {
		return httpapi.Response{}, err
	}
	rows := page.Rows
	out := struct {
		Concerns []dashboardRow `json:"concerns"`
		Next     string         `json:"next,omitempty"`
	}{Concerns: make([]dashboardRow, 0, len(rows))}
	if page.Next != "" {
		out.Next = encodeCursor(school, page.Next)
	}
	for _, r := range rows {
		c := r.Concern
		row := dashboardRow{ID: string(c.ID()), Reference: c.Reference(), Category: string(c.Category()), HighPriority: c.HighPriority(),
			RecordedAt: c.RecordedAt(), Late: c.Late(), MinutesLate: c.MinutesLate(), Read: r.Read, Status: string(c.Status()),
			AboutStaff: c.AboutStaff(), PupilIDs: []string{}, ActionOverdue: r.Overdue}
		if !r.ActionDueAt.IsZero() {
			row.ActionDueAt = &r.ActionDueAt
		}
		for _, p := range c.Pupils() {
			row.PupilIDs = append(row.PupilIDs, string(p.ID))
		}
		out.Concerns = append(out.Concerns, row)
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

type subcategoryJSON struct {
	ID      string `json:"id"`
	Title   string `json:"title"`
	Retired bool   `json:"retired"`
}

type categoryJSON struct {
	ID            string            `json:"id"`
	Title         string            `json:"title"`
	Subcategories []subcategoryJSON `json:"subcategories"`
}

// categories is the school's catalogue (rule C2): the policy's table as the school governs it.
func (h handler) categories(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.catalogues.Categories(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Version    int            `json:"version"`
		Categories []categoryJSON `json:"categories"`
	}{Version: c.Version, Categories: []categoryJSON{}}
	for _, d := range c.Catalogue {
		cj := categoryJSON{ID: string(d.ID), Title: d.Title, Subcategories: []subcategoryJSON{}}
		for _, s := range d.Subcategories {
			cj.Subcategories = append(cj.Subcategories, subcategoryJSON{ID: s.ID, Title: s.Title, Retired: s.Retired})
		}
		out.Categories = append(out.Categories, cj)
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

func (h handler) addSubcategory(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Title   string `json:"title"`
		Version *int   `json:"version"`
	}
	who, _, _, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	if in.Version == nil {
		return httpapi.Response{}, versionMissing
	}
	category := safeguarding.Category(req.PathParameters["category"])
	sub, err := h.catalogues.Change(ctx, who, httpapi.School(req), *in.Version, func(c concerns.Catalogue) (concerns.Catalogue, concerns.Subcategory, error) {
		return c.AddSubcategory(category, in.Title)
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, subcategoryJSON{ID: sub.ID, Title: sub.Title, Retired: sub.Retired}), nil
}

// changeSubcategory renames (the id stays) or retires or restores a sub-category.
func (h handler) changeSubcategory(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Title   *string `json:"title"`
		Retired *bool   `json:"retired"`
		Version *int    `json:"version"`
	}
	who, _, _, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	if in.Version == nil {
		return httpapi.Response{}, versionMissing
	}
	category := safeguarding.Category(req.PathParameters["category"])
	sub, err := h.catalogues.Change(ctx, who, httpapi.School(req), *in.Version, func(c concerns.Catalogue) (concerns.Catalogue, concerns.Subcategory, error) {
		return c.ChangeSubcategory(category, req.PathParameters["id"], in.Title, in.Retired)
	})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, subcategoryJSON{ID: sub.ID, Title: sub.Title, Retired: sub.Retired}), nil
}

var versionMissing = &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "version", Message: "give the catalogue version you read"}}}

// requestUpdate is the reporter asking what happened with their concern (rule D7): the DSLs
// are emailed, at most once a day.
func (h handler) requestUpdate(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := h.concerns.RequestUpdate(ctx, who, httpapi.School(req), safeguarding.ConcernID(req.PathParameters["id"])); err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusAccepted, map[string]string{"status": "the DSLs have been asked"}), nil
}
