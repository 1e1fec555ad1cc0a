package main

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// catalogueService is the part of safeguarding.Catalogues the pages use: the school's own
// categories and sub-categories (rule C2), the same use cases the concerns API calls.
type catalogueService interface {
	Categories(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (concerns.SchoolCatalogue, error)
	Change(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, version int,
		change func(concerns.Catalogue) (concerns.Catalogue, concerns.Subcategory, error)) (concerns.Subcategory, error)
}

var _ catalogueService = concerns.Catalogues{}

// catalogue is the school's catalogue as its staff record against it (rule C2): sub-categories
// a DSL added, renamed or retired.
func (h *Handler) catalogue(ctx context.Context, r *request, s session, school safeguarding.SchoolID) (concerns.Catalogue, error) {
	c, err := h.Catalogues.Categories(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return nil, err
	}
	return c.Catalogue, nil
}

// ---- The categories page (rule C2) -----------------------------------------------------------

// categoryForm is one of the categories page's forms as it was sent: the catalogue version
// it was opened at, a title (to add or rename), and for a sub-category what to do with it.
type categoryForm struct {
	Version string
	Title   string
	Intent  string
}

func readCategoryForm(v url.Values) categoryForm {
	return categoryForm{Version: strings.TrimSpace(v.Get("version")), Title: v.Get("title"), Intent: v.Get("intent")}
}

// Intents of a sub-category's forms.
const (
	intentRename  = "rename"
	intentRetire  = "retire"
	intentRestore = "restore"
)

// change is the catalogue change the form asks for, of sub-category id of category ("" to
// add one), and the version it was asked against; or the form's own problem.
func (f categoryForm) change(category safeguarding.Category, id string) (int, func(concerns.Catalogue) (concerns.Catalogue, concerns.Subcategory, error), string) {
	version, err := strconv.Atoi(f.Version)
	if err != nil || version < 0 {
		return 0, nil, "The page is out of date: reload it and make the change again"
	}
	if id == "" {
		return version, func(c concerns.Catalogue) (concerns.Catalogue, concerns.Subcategory, error) {
			return c.AddSubcategory(category, f.Title)
		}, ""
	}
	var title *string
	var retired *bool
	switch f.Intent {
	case intentRename:
		t := f.Title
		title = &t
	case intentRetire, intentRestore:
		r := f.Intent == intentRetire
		retired = &r
	default:
		return version, nil, "Choose to rename, retire or restore the sub-category"
	}
	return version, func(c concerns.Catalogue) (concerns.Catalogue, concerns.Subcategory, error) {
		return c.ChangeSubcategory(category, id, title, retired)
	}, ""
}

// alreadyDone reports whether the catalogue already holds what the form asked for: a form
// sent twice (a double tap) finds its own first change, not someone else's.
func (f categoryForm) alreadyDone(c concerns.Catalogue, category safeguarding.Category, id string) bool {
	def, ok := c.Find(category)
	if !ok {
		return false
	}
	if id == "" {
		_, ok := def.Subcategory(strings.TrimSpace(f.Title))
		return ok && strings.TrimSpace(f.Title) != ""
	}
	for _, s := range def.Subcategories {
		if s.ID != id {
			continue
		}
		switch f.Intent {
		case intentRename:
			return s.Title == strings.TrimSpace(f.Title)
		case intentRetire, intentRestore:
			return s.Retired == (f.Intent == intentRetire)
		}
	}
	return false
}

// categoriesState is a form of the page sent back: which one, what was typed and what is wrong,
// or that someone else changed the catalogue first.
type categoriesState struct {
	category safeguarding.Category
	id       string
	form     categoryForm
	problems formProblems
	conflict bool
}

type catalogueSubView struct {
	ID      string
	Title   string
	Retired bool
	PostURL string
	// Rename is the rename form's title: the current one, or what was typed.
	Rename string
	Open   bool
}

type catalogueCategoryView struct {
	ID       safeguarding.Category
	Title    string
	AddURL   string
	AddTitle string
	Subs     []catalogueSubView
}

type categoriesView struct {
	SchoolName string
	Version    int
	Done       string
	Conflict   bool
	Problems   formProblems
	Categories []catalogueCategoryView
}

// categoryDone confirms a change after its redirect (?done=...).
var categoryDone = map[string]string{
	"added":    "Sub-category added. Staff can choose it on the concern form now.",
	"renamed":  "Sub-category renamed. Records that have it show the new name.",
	"retired":  "Sub-category retired. It can no longer be chosen; records that have it still show it.",
	"restored": "Sub-category restored. Staff can choose it again.",
}

func (h *Handler) categories(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.categoriesPage(ctx, r, s, safeguarding.SchoolID(r.param("school")), categoriesState{})
}

// categoriesPage shows the school's catalogue to its DSLs, with a form to add a sub-category
// under each category and, for each sub-category, to rename, retire or restore it.
func (h *Handler) categoriesPage(ctx context.Context, r *request, s session, schoolID safeguarding.SchoolID, st categoriesState) events.APIGatewayV2HTTPResponse {
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Categories {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	cat, err := h.Catalogues.Categories(ctx, r.caller(s.claims.Email), schoolID)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := categoriesView{Version: cat.Version, Done: categoryDone[r.ev.QueryStringParameters["done"]], Conflict: st.conflict, Problems: st.problems}
	if school, err := h.Directory.School(ctx, schoolID); err == nil {
		v.SchoolName = school.Name
	}
	base := schoolPath(schoolID) + "/categories/"
	for _, d := range cat.Catalogue {
		cv := catalogueCategoryView{ID: d.ID, Title: d.Title, AddURL: base + url.PathEscape(string(d.ID)) + "/subcategories"}
		if st.category == d.ID && st.id == "" {
			cv.AddTitle = st.form.Title
		}
		for _, sc := range d.Subcategories {
			sv := catalogueSubView{ID: sc.ID, Title: sc.Title, Retired: sc.Retired, Rename: sc.Title, PostURL: cv.AddURL + "/" + url.PathEscape(sc.ID)}
			if st.category == d.ID && st.id == sc.ID {
				sv.Open = true
				if st.form.Intent == intentRename {
					sv.Rename = st.form.Title
				}
			}
			cv.Subs = append(cv.Subs, sv)
		}
		v.Categories = append(v.Categories, cv)
	}
	title, status := "Categories", http.StatusOK
	switch {
	case st.conflict:
		title, status = "Someone else changed the categories first", http.StatusConflict
	case len(st.problems.List) > 0:
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "categories", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "categories")})
}

func (h *Handler) addSubcategory(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.changeCatalogue(ctx, r, s, "", "added")
}

func (h *Handler) changeSubcategory(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	f := readCategoryForm(r.form)
	done := map[string]string{intentRename: "renamed", intentRetire: "retired", intentRestore: "restored"}[f.Intent]
	return h.changeCatalogue(ctx, r, s, r.param("id"), done)
}

// changeCatalogue makes one change to the school's catalogue (rule C2), for a DSL, against the
// version the page was opened at.
func (h *Handler) changeCatalogue(ctx context.Context, r *request, s session, id, done string) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	category := safeguarding.Category(r.param("category"))
	f := readCategoryForm(r.form)
	st := categoriesState{category: category, id: id, form: f}
	anchor := "add-title-" + string(category)
	if id != "" {
		anchor = "rename-title-" + string(category) + "-" + id
	}
	version, change, msg := f.change(category, id)
	if msg != "" {
		st.problems.add(anchor, msg)
		return h.categoriesPage(ctx, r, s, school, st)
	}
	_, err := h.Catalogues.Change(ctx, r.caller(s.claims.Email), school, version, change)
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		st.problems.addValidation(ve, map[string]string{"title": anchor}, anchor)
		return h.categoriesPage(ctx, r, s, school, st)
	case errors.Is(err, safeguarding.ErrConflict):
		if now, rerr := h.Catalogues.Categories(ctx, r.caller(s.claims.Email), school); rerr == nil && f.alreadyDone(now.Catalogue, category, id) {
			break // the same form sent twice: its first sending did it
		}
		st.conflict = true
		return h.categoriesPage(ctx, r, s, school, st)
	case err != nil:
		return h.errorPage(r, statusFor(err), &s)
	}
	return redirect(schoolPath(school)+"/categories?done="+done+"#category-"+url.PathEscape(string(category)), http.StatusSeeOther)
}
