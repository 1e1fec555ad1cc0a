package main

import (
	"cmp"
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Finding people by name (rule P1): the DSLs find a pupil by name, UPN or class and open
// their chronology (D10); the office and the DSLs find a family by a child's name and open its
// contact details form (H1) and, for a DSL, its page. A search posts, so no name goes in a URL
// or the browser's history. The results name pupils with their year group and class, and
// families by their children: never a phone number or an address (P3), never an id. A search
// reads no safeguarding record, so it is not audited (P4); the chronology it leads to is.

// findRoutes are the search pages. They join the function's routes, which the template test
// checks against template.yaml.
var findRoutes = map[string]pageFunc{
	"GET /schools/{school}/pupils":         (*Handler).pupilSearch,
	"POST /schools/{school}/pupils":        (*Handler).pupilSearch,
	"GET /schools/{school}/family-search":  (*Handler).familySearch,
	"POST /schools/{school}/family-search": (*Handler).familySearch,
}

func init() { maps.Copy(routes, findRoutes) }

// findLimit is how many pupils one search shows: a class, or enough names to pick from.
const findLimit = 50

func pupilSearchPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/pupils" }

func familySearchPath(school safeguarding.SchoolID) string {
	return schoolPath(school) + "/family-search"
}

func chronologyPath(school safeguarding.SchoolID, pupil safeguarding.PupilID) string {
	return schoolPath(school) + "/pupils/" + url.PathEscape(string(pupil)) + "/chronology"
}

// searchQuery reads a search box: what was typed, and what is wrong with it.
func searchQuery(r *request, empty string) (string, formProblems) {
	var ps formProblems
	q := strings.TrimSpace(r.form.Get("q"))
	switch {
	case q == "":
		ps.add("q", empty)
	case utf8.RuneCountInString(q) > 100 || !utf8.ValidString(q):
		ps.add("q", "Type at most 100 letters")
	}
	return q, ps
}

type foundPupil struct {
	Name, YearGroup, Class, Chronology string
	Left                               bool
}

type pupilSearchView struct {
	SchoolName, PostURL string
	Query               string
	Searched            bool
	Pupils              []foundPupil
	Problems            formProblems
}

// pupilSearch is the DSLs' search for a pupil by name, UPN or class (GET: the form; POST: the
// pupils found, each leading to their chronology).
func (h *Handler) pupilSearch(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || !safeguarding.AccessFor(p, school).FindPupils {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	sc, err := h.Directory.School(ctx, school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := pupilSearchView{SchoolName: sc.Name, PostURL: pupilSearchPath(school)}
	if r.ev.RequestContext.HTTP.Method == http.MethodPost {
		v.Query, v.Problems = searchQuery(r, "Enter a pupil's name, their UPN or a class")
		if len(v.Problems.List) == 0 {
			found, err := h.Directory.FindPupils(ctx, school, v.Query, findLimit)
			if err != nil {
				return h.errorPage(r, statusFor(err), &s)
			}
			v.Searched = true
			for _, pu := range found {
				v.Pupils = append(v.Pupils, foundPupil{Name: pu.Name, YearGroup: pu.YearGroup, Class: pu.ClassName,
					Chronology: chronologyPath(school, pu.ID), Left: pu.Left})
			}
		}
	}
	title, status := "Find a pupil", http.StatusOK
	if len(v.Problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "pupil-search", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, school, "find-pupil")})
}

type foundChild struct {
	Name, Class string
}

type foundFamily struct {
	Names    string
	Children []foundChild
	// Page is the family's page, for a DSL; Contact its contact details form; Visit the plan
	// of a home visit to it, for a DSL.
	Page, Contact, Visit string
}

type familySearchView struct {
	SchoolName, PostURL string
	Query               string
	Searched            bool
	Families            []foundFamily
	Problems            formProblems
}

// familySearch is the office's and the DSLs' search for a family by a child's name (GET: the
// form; POST: the families found, named by their children).
func (h *Handler) familySearch(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || !safeguarding.AccessFor(p, school).FindFamilies {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	sc, err := h.Directory.School(ctx, school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := familySearchView{SchoolName: sc.Name, PostURL: familySearchPath(school)}
	if r.ev.RequestContext.HTTP.Method == http.MethodPost {
		v.Query, v.Problems = searchQuery(r, "Enter a child's name")
		if len(v.Problems.List) == 0 {
			found, err := h.familiesByChild(ctx, school, v.Query)
			if err != nil {
				return h.errorPage(r, statusFor(err), &s)
			}
			v.Searched = true
			a := safeguarding.AccessFor(p, school)
			for _, f := range found {
				if a.Families {
					f.Page = familyPath(school, f.id)
				}
				if a.ContactNumbers {
					f.Contact = contactEditPath(school, f.id)
				}
				if a.PlanVisits {
					f.Visit = visitsPath(school) + "/new?" + url.Values{"family": {f.id}}.Encode()
				}
				v.Families = append(v.Families, f.foundFamily)
			}
		}
	}
	title, status := "Find a family", http.StatusOK
	if len(v.Problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "family-search", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, school, "find-family")})
}

// familyFound is a family a search found, with its id for the links to it.
type familyFound struct {
	foundFamily
	id string
}

// familiesByChild finds the families of the pupils whose name matches q, each named by all its
// children at the school: a Query (A4), then the families and their children by id
// (namedFamilies).
func (h *Handler) familiesByChild(ctx context.Context, school safeguarding.SchoolID, q string) ([]familyFound, error) {
	pupils, err := h.Directory.SearchPupils(ctx, school, q, findLimit)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, pu := range pupils {
		if pu.FamilyID != "" && !slices.Contains(ids, pu.FamilyID) {
			ids = append(ids, pu.FamilyID)
		}
	}
	return h.namedFamilies(ctx, school, ids)
}

// namedFamilies reads the school's families of ids, in that order, each named by its children
// on the roll (two BatchGetItems: the families, then their children); an id of no family of
// the school, or of one without a child on the roll, is left out.
func (h *Handler) namedFamilies(ctx context.Context, school safeguarding.SchoolID, ids []string) ([]familyFound, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	families, err := h.Directory.Families(ctx, school, ids)
	if err != nil {
		return nil, err
	}
	var children []safeguarding.PupilID
	for _, f := range families {
		children = append(children, f.Pupils()...)
	}
	slices.Sort(children)
	named := map[safeguarding.PupilID]safeguarding.Pupil{}
	for batch := range slices.Chunk(slices.Compact(children), 100) {
		found, err := h.Directory.Pupils(ctx, school, batch)
		if err != nil {
			return nil, err
		}
		maps.Copy(named, found)
	}
	var out []familyFound
	for _, id := range ids {
		f, ok := families[id]
		if !ok || f.School() != school {
			continue
		}
		ff := familyFound{id: id}
		var names []string
		for _, c := range f.Children() {
			pu, ok := named[c.Pupil]
			if !ok || pu.Left {
				continue
			}
			names = append(names, pu.Name)
			ff.Children = append(ff.Children, foundChild{Name: pu.Name, Class: cmp.Or(pu.ClassName, c.ClassName)})
		}
		if len(names) == 0 {
			continue
		}
		ff.Names = strings.Join(names, ", ")
		out = append(out, ff)
	}
	return out, nil
}
