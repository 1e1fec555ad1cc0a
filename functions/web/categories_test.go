package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

const categoriesPage = "/schools/brook-lane/categories"

// changeCategories posts one of the categories page's forms as email.
func changeCategories(t *testing.T, h *Handler, path, email string, form url.Values, at time.Time) string {
	t.Helper()
	return wantRedirect(t, post(t, h, categoriesPage+path, email, form, at), categoriesPage+"?done=")
}

// Rule C2: a DSL adds, renames and retires the school's sub-categories. The concern form offers
// a new one at once and a retired one no more; a record keeps showing a renamed one by its new
// name and a retired one by its own; a correction may keep a retired one the record has.
func TestRule_C2_DSLGovernsSubcategoriesAndTheFormsFollow(t *testing.T) {
	w := newWorld(t)
	h := w.h
	old := recorded(t, h) // Wellbeing: clothing or footwear
	at := monday1030.Add(10 * time.Minute)

	page := call(t, h, "GET", categoriesPage, tokenFor(dsl), nil, at)
	wantBody(t, "the categories page", page, http.StatusOK, "Categories", `id="category-wellbeing"`, "Clothing or footwear",
		`id="add-title-wellbeing"`, `id="retire-wellbeing-clothing-or-footwear"`, `href="/schools/brook-lane/categories"`)

	changeCategories(t, h, "/wellbeing/subcategories", dsl, url.Values{"version": {"0"}, "title": {"Young carer"}}, at)
	page = call(t, h, "GET", categoriesPage+"?done=added", tokenFor(dsl), nil, at)
	wantBody(t, "after adding", page, http.StatusOK, "Sub-category added", `id="sub-wellbeing-young-carer"`, `name="version" value="1"`)

	form := call(t, h, "GET", "/schools/brook-lane/concerns/new", tokenFor(teacher), nil, at)
	wantBody(t, "the concern form", form, http.StatusOK, `id="sub-wellbeing-young-carer"`, ">Young carer</label>")
	f := validForm(h, tokenFor(teacher))
	f.Set("key", "young-carer")
	f["sub-wellbeing"] = []string{"young-carer"}
	loc := wantRedirect(t, post(t, h, "/schools/brook-lane/concerns", teacher, f, at), "/schools/brook-lane/concerns/")
	fresh, _, _ := strings.Cut(loc, "?")
	wantBody(t, "a concern with the new sub-category", call(t, h, "GET", fresh, tokenFor(teacher), nil, at), http.StatusOK, "<li>Young carer</li>")

	changeCategories(t, h, "/wellbeing/subcategories/young-carer", dsl, url.Values{"version": {"1"}, "intent": {"rename"}, "title": {"Young carer at home"}}, at)
	changeCategories(t, h, "/wellbeing/subcategories/clothing-or-footwear", dsl, url.Values{"version": {"2"}, "intent": {"retire"}}, at)

	wantBody(t, "the renamed one on its record", call(t, h, "GET", fresh, tokenFor(teacher), nil, at), http.StatusOK, "<li>Young carer at home</li>")
	wantBody(t, "the retired one on its old record", call(t, h, "GET", old, tokenFor(teacher), nil, at), http.StatusOK, "<li>Clothing or footwear</li>")
	page = call(t, h, "GET", categoriesPage, tokenFor(head), nil, at)
	if got := section(page.Body, `<span class="app-sub-title">Clothing or footwear</span>`); !strings.Contains(got, "Retired") {
		t.Errorf("the categories page does not mark it retired: %q", got)
	}
	wantBody(t, "a retired one", page, http.StatusOK, `id="restore-wellbeing-clothing-or-footwear"`)

	form = call(t, h, "GET", "/schools/brook-lane/concerns/new", tokenFor(teacher), nil, at)
	if strings.Contains(form.Body, `id="sub-wellbeing-clothing-or-footwear"`) {
		t.Error("the concern form still offers the retired sub-category")
	}
	wantBody(t, "the form after renaming", form, http.StatusOK, ">Young carer at home</label>")
	f = validForm(h, tokenFor(teacher))
	f.Set("key", "retired")
	refused := post(t, h, "/schools/brook-lane/concerns", teacher, f, at)
	wantBody(t, "a concern with a retired sub-category", refused, http.StatusBadRequest, "retired and cannot be chosen")

	// Correcting the old record: the retired sub-category it has is kept, marked retired.
	amend := call(t, h, "GET", old+"/amend", tokenFor(teacher), nil, at)
	wantBody(t, "the correction form of the old record", amend, http.StatusOK, "Clothing or footwear (retired)",
		`id="sub-wellbeing-clothing-or-footwear" name="sub-wellbeing" type="checkbox" value="clothing-or-footwear" checked`)
	c := amendFormOf(t, h, old, teacher, at)
	c.Set("details", "Chidi Okafor came in without a coat in the rain, at 08:50.")
	c.Set("reason", "The time he came in.")
	wantRedirect(t, post(t, h, old+"/amendments", teacher, c, at), old+"?done=amended")

	changeCategories(t, h, "/wellbeing/subcategories/clothing-or-footwear", head, url.Values{"version": {"3"}, "intent": {"restore"}}, at)
	wantBody(t, "the form after restoring", call(t, h, "GET", "/schools/brook-lane/concerns/new", tokenFor(teacher), nil, at),
		http.StatusOK, `id="sub-wellbeing-clothing-or-footwear"`)
	// Another school's catalogue is its own.
	if strings.Contains(call(t, h, "GET", "/schools/hillcrest/categories", tokenFor(outsider), nil, at).Body, "Young carer") {
		t.Error("Hillcrest's categories show Brook Lane's sub-category")
	}
}

// Rule C2: only the school's DSLs see and change its categories; a stale page is a 409 that
// keeps what was typed; a name that is empty or taken is named on the form; the same form sent
// twice changes once; nothing changes on a refused form.
func TestRule_C2_OnlyDSLsChangeAndStaleOrInvalidChangesAreRefused(t *testing.T) {
	w := newWorld(t)
	h := w.h
	at := monday1030
	for _, who := range []string{teacher, staff} {
		if resp := call(t, h, "GET", categoriesPage, tokenFor(who), nil, at); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s opening the categories: %d, want 404", who, resp.StatusCode)
		}
		if resp := post(t, h, categoriesPage+"/wellbeing/subcategories", who, url.Values{"version": {"0"}, "title": {"Mine"}}, at); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s adding a sub-category: %d, want 404", who, resp.StatusCode)
		}
	}
	if resp := call(t, h, "GET", categoriesPage, tokenFor(outsider), nil, at); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another school's DSL: %d, want 404", resp.StatusCode)
	}
	if resp := call(t, h, "POST", categoriesPage+"/wellbeing/subcategories", tokenFor(dsl), url.Values{"version": {"0"}, "title": {"X"}}, at, "Sec-Fetch-Site", "same-origin"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a post without the form token: %d, want 403", resp.StatusCode)
	}
	if n := w.items("catalogue"); n != 0 {
		t.Fatalf("refused changes wrote the catalogue (%d items)", n)
	}

	for _, tc := range []struct{ title, want string }{
		{"   ", "Give the sub-category a name"},
		{"clothing OR footwear", "already has"},
		{strings.Repeat("x", 101), "At most 100 characters"},
	} {
		resp := post(t, h, categoriesPage+"/wellbeing/subcategories", dsl, url.Values{"version": {"0"}, "title": {tc.title}}, at)
		wantBody(t, "adding "+tc.title, resp, http.StatusBadRequest, "There is a problem", `href="#add-title-wellbeing"`, tc.want)
	}
	resp := post(t, h, categoriesPage+"/wellbeing/subcategories/clothing-or-footwear", dsl, url.Values{"version": {"0"}, "intent": {"rename"}, "title": {"Forgotten lunch"}}, at)
	wantBody(t, "renaming to another's name", resp, http.StatusBadRequest, `href="#rename-title-wellbeing-clothing-or-footwear"`, "taken")
	for path, form := range map[string]url.Values{
		"/nonsense/subcategories":                       {"version": {"0"}, "title": {"A"}},
		"/wellbeing/subcategories/no-such":              {"version": {"0"}, "intent": {"retire"}},
		"/wellbeing/subcategories/clothing-or-footwear": {"version": {"0"}, "intent": {"delete"}},
	} {
		if resp := post(t, h, categoriesPage+path, dsl, form, at); resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 404 or 400", path, resp.StatusCode)
		}
	}
	if n := w.items("catalogue"); n != 0 {
		t.Fatalf("invalid changes wrote the catalogue (%d items)", n)
	}

	// The same form twice (a double tap): one change, and the second answer is the first's.
	add := url.Values{"version": {"0"}, "title": {"Young carer"}}
	changeCategories(t, h, "/wellbeing/subcategories", dsl, add, at)
	changeCategories(t, h, "/wellbeing/subcategories", dsl, add, at)
	// Another change from a page opened before it: 409, what was typed kept.
	resp = post(t, h, categoriesPage+"/behaviour/subcategories", head, url.Values{"version": {"0"}, "title": {"Vaping"}}, at)
	wantBody(t, "a stale change", resp, http.StatusConflict, "Someone else changed the categories first", `value="Vaping"`,
		`name="version" value="1"`, "Young carer")
	page := call(t, h, "GET", categoriesPage, tokenFor(dsl), nil, at)
	if strings.Count(page.Body, ">Young carer<") != 1 || strings.Contains(page.Body, ">Vaping<") {
		t.Error("the double tap added twice, or the stale change was saved")
	}
}
