package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/settings"
)

type classJSON struct {
	Name     string       `json:"name"`
	Version  int          `json:"version"`
	Teachers []personJSON `json:"teachers"`
}

type classesResponse struct {
	Classes []classJSON `json:"classes"`
	// Teachers are the school's people with the teacher role, who may be given a class.
	Teachers []personJSON `json:"teachers"`
}

func toClassJSON(c settings.ClassView) classJSON {
	out := classJSON{Name: c.Name, Version: c.Version, Teachers: []personJSON{}}
	for _, t := range c.TeacherNames {
		out.Teachers = append(out.Teachers, personJSON{Email: t.Email, Name: t.Name})
	}
	return out
}

// classes: the Senior DSL and the office list the school's classes with their teachers.
func (h handler) classes(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	v, err := h.settings.Classes(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := classesResponse{Classes: []classJSON{}, Teachers: []personJSON{}}
	for _, c := range v.Classes {
		out.Classes = append(out.Classes, toClassJSON(c))
	}
	for _, t := range v.Teachers {
		out.Teachers = append(out.Teachers, personJSON{Email: t.Email, Name: t.Name})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// teachersRequest names everyone who teaches the class, against the class's version read.
type teachersRequest struct {
	Version  *int     `json:"version"`
	Teachers []string `json:"teachers"`
}

func (r teachersRequest) input() (int, []string, error) {
	var ps safeguarding.Problems
	if r.Version == nil || *r.Version < 0 {
		ps.Add("version", "the version the class was read at")
	}
	if r.Teachers == nil {
		ps.Add("teachers", "is required: the emails of everyone who teaches the class, [] for no one")
	}
	if len(r.Teachers) > 2*settings.MaxClassTeachers {
		ps.Add("teachers", "at most %d teachers for one class", settings.MaxClassTeachers)
	}
	if err := ps.Err(); err != nil {
		return 0, nil, err
	}
	return *r.Version, r.Teachers, nil
}

// assignTeachers: the Senior DSL or the office say who teaches a class (rules P1, E1).
func (h handler) assignTeachers(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var body teachersRequest
	who, key, fp, err := httpapi.Command(req, &body)
	if err != nil {
		return httpapi.Response{}, err
	}
	school, class := httpapi.School(req), req.PathParameters["class"]
	version, teachers, err := body.input()
	if err != nil {
		return httpapi.Response{}, err
	}
	if _, err := h.settings.AssignTeachers(ctx, who, school, class, version, teachers, key, fp); err != nil {
		return httpapi.Response{}, err
	}
	v, err := h.settings.Classes(ctx, who, school)
	if err != nil {
		return httpapi.Response{}, err
	}
	i := slices.IndexFunc(v.Classes, func(c settings.ClassView) bool { return c.Name == class })
	if i < 0 {
		return httpapi.Response{}, fmt.Errorf("class %q: %w", class, safeguarding.ErrNotFound)
	}
	return httpapi.JSON(http.StatusOK, toClassJSON(v.Classes[i])), nil
}
