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

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/settings"
)

// Who teaches each class (rules P1, E1): the Senior DSL and the office tick the school's
// teachers by name for each class the pupil import made; a teacher then marks that class's
// acknowledgements. Anyone else gets "not found".

type classTeacherBox struct {
	ID, Email, Name string
	Checked         bool
}

type classTeachersRow struct {
	Name     string
	Anchor   string
	Version  int
	Key      string
	Teachers []classTeacherBox
	// Current names who teaches it now, for reading at a glance.
	Current string
	Error   string
}

type classTeachersView struct {
	SchoolName string
	Done       string
	Problems   formProblems
	Classes    []classTeachersRow
	PostURL    string
	// NoTeachers: nobody at the school has the teacher role yet.
	NoTeachers bool
}

func (h *Handler) classesPage(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.classesWith(ctx, r, s, "", nil, formProblems{}, http.StatusOK)
}

// classesWith lists the classes, each with its teachers ticked; a class whose form came back
// keeps what was ticked (sent) and its problem.
func (h *Handler) classesWith(ctx context.Context, r *request, s session, sentClass string, sent []string, problems formProblems, status int) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Settings == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	v, err := h.Settings.Classes(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	view := classTeachersView{Problems: problems, PostURL: classesPath(school), NoTeachers: len(v.Teachers) == 0}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		view.SchoolName = sc.Name
	}
	if c := r.ev.QueryStringParameters["done"]; c != "" && sentClass == "" {
		view.Done = "Saved who teaches " + c + "."
	}
	for i, c := range v.Classes {
		row := classTeachersRow{Name: c.Name, Anchor: "class-" + strconv.Itoa(i), Version: c.Version, Key: rand.Text()}
		ticked := c.Teachers
		if c.Name == sentClass {
			ticked = sent
		}
		var names []string
		for _, t := range c.TeacherNames {
			names = append(names, t.Name)
		}
		row.Current = strings.Join(names, ", ")
		// A teacher of the class who no longer holds the teacher role stays listed, to untick.
		people := v.Teachers
		for _, t := range c.TeacherNames {
			if !slices.ContainsFunc(people, func(q settings.Person) bool { return q.Email == t.Email }) {
				people = append(slices.Clone(people), t)
			}
		}
		for j, t := range people {
			row.Teachers = append(row.Teachers, classTeacherBox{ID: row.Anchor + "-" + strconv.Itoa(j), Email: t.Email, Name: t.Name,
				Checked: slices.Contains(ticked, t.Email)})
		}
		row.Error = problems.For[row.Anchor]
		view.Classes = append(view.Classes, row)
	}
	title := "Classes and teachers"
	if len(problems.List) > 0 {
		title = "Error: " + title
	}
	return h.page(r, status, "classes", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: view, Nav: navFor(p, school, "classes")})
}

// assignTeachers saves who teaches one class, against the version the page showed, then goes
// back to the list with "Saved" (303); a form someone else's change overtook, or naming
// someone who does not teach, comes back with its problem.
func (h *Handler) assignTeachers(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Settings == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	class := r.form.Get("class")
	key := strings.TrimSpace(r.form.Get("key"))
	if key == "" || len(key) > 64 {
		key = rand.Text()
	}
	teachers := r.form["teacher"]
	version, err := strconv.Atoi(r.form.Get("version"))
	if err != nil || version < 0 || class == "" {
		return h.errorPage(r, http.StatusBadRequest, &s)
	}
	fp := commandFingerprint(append([]string{"class-teachers", string(school), class, strconv.Itoa(version)}, teachers...)...)
	_, err = h.Settings.AssignTeachers(ctx, r.caller(s.claims.Email), school, class, version, teachers,
		safeguarding.RequestKey{School: school, Actor: s.claims.Email, Key: key}, fp)
	if err == nil {
		return redirect(classesPath(school)+"?done="+url.QueryEscape(class), http.StatusSeeOther)
	}
	anchor := h.classAnchor(ctx, r, s, school, class)
	var problems formProblems
	switch {
	case errors.Is(err, safeguarding.ErrInvalid):
		problems.add(anchor, "Choose "+class+"'s teachers from the list, six at most")
		return h.classesWith(ctx, r, s, class, teachers, problems, http.StatusBadRequest)
	case errors.Is(err, safeguarding.ErrConflict):
		problems.add(anchor, "Someone else changed who teaches "+class+" while you had this page open. This is who teaches it now: make your change again")
		return h.classesWith(ctx, r, s, "", nil, problems, http.StatusConflict)
	}
	return h.errorPage(r, statusFor(err), &s)
}

// classAnchor is where a class's problem shows on the page: its place in the list.
func (h *Handler) classAnchor(ctx context.Context, r *request, s session, school safeguarding.SchoolID, class string) string {
	v, err := h.Settings.Classes(ctx, r.caller(s.claims.Email), school)
	if err == nil {
		for i, c := range v.Classes {
			if c.Name == class {
				return "class-" + strconv.Itoa(i)
			}
		}
	}
	return "class-0"
}
