package main

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// directory is the storage this function reads.
type directory interface {
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// FindPupils finds pupils by a UPN, a class's name or words of a name (rule P1).
	FindPupils(ctx context.Context, school safeguarding.SchoolID, q string, limit int) ([]safeguarding.Pupil, error)
}

type handler struct {
	store directory
	// settings serves the school's settings and who teaches its classes (settings.go).
	settings settingsService
	// retention serves rule S7's list and legal holds (retention.go).
	retention retentionService
}

// maxResults bounds a pupil search: enough to pick from on a phone.
const maxResults = 50

// Handle serves an API Gateway event.
func (h handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.routes().Handle(ctx, req)
}

// routes maps each route of the PeopleFunction in template.yaml.
func (h handler) routes() httpapi.Router {
	r := httpapi.Router{
		"GET /api/me":                      h.me,
		"GET /api/schools/{school}/pupils": h.pupils,
	}
	maps.Copy(r, h.settingsRoutes())
	maps.Copy(r, h.retentionRoutes())
	return r
}

type membership struct {
	School string   `json:"school"`
	Roles  []string `json:"roles"`
}

type meResponse struct {
	Email       string       `json:"email"`
	Name        string       `json:"name"`
	Memberships []membership `json:"memberships"`
}

func (h handler) me(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	p, err := h.store.Principal(ctx, who.Email)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := meResponse{Email: who.Email, Name: p.Name, Memberships: []membership{}}
	for school, roles := range p.Memberships {
		m := membership{School: string(school)}
		for _, r := range roles {
			m.Roles = append(m.Roles, string(r))
		}
		out.Memberships = append(out.Memberships, m)
	}
	slices.SortFunc(out.Memberships, func(a, b membership) int { return strings.Compare(a.School, b.School) })
	return httpapi.JSON(http.StatusOK, out), nil
}

type pupil struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	YearGroup string `json:"yearGroup"`
	ClassName string `json:"className"`
	FamilyID  string `json:"familyId"`
}

type pupilsResponse struct {
	Pupils []pupil `json:"pupils"`
}

// pupils finds a school's pupils by name, UPN or class; any member of staff of that school
// may, to record a concern (rule C1). It reads no safeguarding record (names, year groups and
// classes only), so it is not audited (P4); the chronology a result leads to is.
func (h handler) pupils(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	q := strings.TrimSpace(req.QueryStringParameters["q"])
	if utf8.RuneCountInString(q) > 100 || !utf8.ValidString(q) {
		return httpapi.Response{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "q", Message: "at most 100 characters of text"}}}
	}
	school := httpapi.School(req)
	p, err := h.store.Principal(ctx, who.Email)
	if err != nil {
		return httpapi.Response{}, err
	}
	if !safeguarding.AccessFor(p, school).Member {
		return httpapi.Response{}, safeguarding.ErrForbidden
	}
	found, err := h.store.FindPupils(ctx, school, q, maxResults)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := pupilsResponse{Pupils: make([]pupil, 0, len(found))}
	for _, f := range found {
		out.Pupils = append(out.Pupils, pupil{ID: string(f.ID), Name: f.Name, YearGroup: f.YearGroup, ClassName: f.ClassName, FamilyID: f.FamilyID})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}
