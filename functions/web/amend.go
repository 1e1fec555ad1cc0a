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
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Rule P4: records are never overwritten. A correction is a new version with a reason, made
// by the concern's author or a DSL who may see it, against the version they read; the earlier
// versions stay readable on the concern's page.

// amendForm is the correction form as it was sent, kept as text so a form with problems, or
// one that lost a race, comes back exactly as it was typed.
type amendForm struct {
	Key     string
	Version string
	// Category and Subcategories are the sub-category boxes of the chosen category only.
	Category         string
	Subcategories    []string
	Day, Month, Year string
	Time             string
	Details          string
	PupilWords       string
	PeopleInvolved   string
	Reason           string
	// The values the form was opened with: what is unchanged is not sent to the domain, so a
	// time shown to the minute never rewrites one recorded to the second, and ticking the same
	// boxes in another order changes nothing.
	CategoryWas string
	SubsWas     string
	ObservedWas string
}

// newAmendForm is the correction form filled in with the concern as it is now.
func newAmendForm(c concerns.Concern) amendForm {
	l := c.ObservedAt().In(safeguarding.London)
	f := amendForm{Key: rand.Text(), Version: strconv.Itoa(c.Version()), Category: string(c.Category()),
		Subcategories: c.Subcategories(), Day: strconv.Itoa(l.Day()), Month: strconv.Itoa(int(l.Month())),
		Year: strconv.Itoa(l.Year()), Time: l.Format("15:04"), Details: c.Details(), PupilWords: c.PupilWords(),
		PeopleInvolved: strings.Join(c.PeopleInvolved(), "\n")}
	f.remember()
	return f
}

// remember records the form's current values as the ones it was opened with.
func (f *amendForm) remember() {
	f.CategoryWas = f.Category
	f.SubsWas = strings.Join(f.Subcategories, ",")
	f.ObservedWas = f.observedText()
}

func (f amendForm) observedText() string {
	return strings.Join([]string{f.Day, f.Month, f.Year, f.Time}, "|")
}

// readAmendForm reads the correction form from a posted body.
func readAmendForm(v url.Values) amendForm {
	f := amendForm{
		Key:            strings.TrimSpace(v.Get("key")),
		Version:        strings.TrimSpace(v.Get("version")),
		Category:       v.Get("category"),
		Day:            strings.TrimSpace(v.Get("observed-day")),
		Month:          strings.TrimSpace(v.Get("observed-month")),
		Year:           strings.TrimSpace(v.Get("observed-year")),
		Time:           strings.TrimSpace(v.Get("observed-time")),
		Details:        v.Get("details"),
		PupilWords:     v.Get("pupil-words"),
		PeopleInvolved: v.Get("people-involved"),
		Reason:         v.Get("reason"),
		CategoryWas:    v.Get("category-was"),
		SubsWas:        v.Get("subcategories-was"),
		ObservedWas:    v.Get("observed-was"),
	}
	if f.Category != "" {
		f.Subcategories = v["sub-"+f.Category]
	}
	return f
}

// toAmendment turns the form into the domain's amendment and the version it corrects. Only
// problems the form alone can see come back as field errors; the domain checks the rest.
func (f amendForm) toAmendment() (int, concerns.Amendment, []fieldError) {
	var errs []fieldError
	version, err := strconv.Atoi(f.Version)
	if err != nil || version < 0 {
		errs = append(errs, fieldError{"version", "The form is out of date: open the correction form again from the concern"})
	}
	details, words, people := f.Details, f.PupilWords, lines(f.PeopleInvolved)
	a := concerns.Amendment{Details: &details, PupilWords: &words, PeopleInvolved: &people, Reason: f.Reason}
	if strings.TrimSpace(f.Reason) == "" {
		errs = append(errs, fieldError{"reason", "Say why the record is corrected"})
	}
	if f.Category == "" {
		errs = append(errs, fieldError{"category", "Choose the category that fits best"})
	} else if f.Category != f.CategoryWas || !sameSet(f.Subcategories, splitList(f.SubsWas)) {
		category, subs := f.Category, slices.Clone(f.Subcategories)
		if subs == nil {
			subs = []string{}
		}
		a.Category, a.Subcategories = &category, &subs
	}
	if f.observedText() != f.ObservedWas {
		at, msg := localTime(f.Day, f.Month, f.Year, f.Time)
		if msg != "" {
			errs = append(errs, fieldError{"observedAt", msg})
		} else {
			a.ObservedAt = &at
		}
	}
	return version, a, errs
}

// fingerprint identifies the correction a form sent, so the same form sent twice corrects
// once and another form under the same key is refused.
func (f amendForm) fingerprint(school safeguarding.SchoolID, id safeguarding.ConcernID) string {
	return commandFingerprint("amend", string(school), string(id), f.Version, f.Category,
		strings.Join(f.Subcategories, ","), f.observedText(), f.Details, f.PupilWords, f.PeopleInvolved, f.Reason,
		f.CategoryWas, f.SubsWas, f.ObservedWas)
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// amendAnchors are the elements of the correction form each field's error links to.
var amendAnchors = map[string]string{
	"version": "details", "reason": "reason", "category": "category", "subcategories": "category",
	"observedAt": "observed-day", "details": "details", "pupilWords": "pupil-words", "peopleInvolved": "people-involved",
	"body": "details",
}

// amendOrder is the order of the fields on the correction form, which the error summary follows.
var amendOrder = []string{"version", "category", "subcategories", "observedAt", "details", "pupilWords", "peopleInvolved", "body", "reason"}

// ---- Views -------------------------------------------------------------------------------

// revisionView is one version of a concern's content, as the history and the correction
// form show it.
type revisionView struct {
	Number         int
	Corrected      bool
	At             time.Time
	By             string
	Reason         string
	Category       string
	Subcategories  []string
	ObservedAt     time.Time
	Details        string
	PupilWords     string
	PeopleInvolved []string
	// Current is the version the page shows above.
	Current bool
}

func newRevisionView(r concerns.Revision, cat concerns.Catalogue) revisionView {
	title, subs := categoryTitles(cat, r.Category, r.Subcategories)
	return revisionView{Number: r.Number, Corrected: r.Number > 1, At: r.At, By: r.By, Reason: r.Reason,
		Category: title, Subcategories: subs, ObservedAt: r.ObservedAt, Details: r.Details, PupilWords: r.PupilWords,
		PeopleInvolved: r.PeopleInvolved}
}

// categoryTitles names a category and its sub-categories by the school's catalogue: a
// renamed sub-category shows its new name, a retired one its last (rule C2).
func categoryTitles(cat concerns.Catalogue, c safeguarding.Category, subs []string) (string, []string) {
	def, ok := cat.Find(c)
	if !ok {
		return string(c), subs
	}
	out := make([]string, 0, len(subs))
	for _, id := range subs {
		title := id
		if sc, ok := def.Subcategory(id); ok {
			title = sc.Title
		}
		out = append(out, title)
	}
	return def.Title, out
}

type amendView struct {
	SchoolName string
	Reference  string
	ConcernURL string
	Action     string
	Form       amendForm
	Categories []categoryView
	Now        revisionView
	Problems   formProblems
	// Conflict says someone else changed the record after the form was opened (409): a
	// correction, or a change of its case, which moves its version too.
	Conflict bool
}

// amendPage shows the correction form for concern id with f typed into it.
// amendState is a correction form sent back: what was typed, the form's own problems and the
// amendment to check with the domain beside them, the domain's answer, or a lost race.
type amendState struct {
	form     *amendForm
	own      []fieldError
	check    *concerns.Amendment
	err      error
	conflict bool
}

func (h *Handler) amendPage(ctx context.Context, r *request, s session, school safeguarding.SchoolID, id safeguarding.ConcernID,
	st amendState) events.APIGatewayV2HTTPResponse {
	c, err := h.Concerns.Concern(ctx, r.caller(s.claims.Email), school, id)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !c.CanAmend(p) {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	cat, err := h.catalogue(ctx, r, s, school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if st.check != nil {
		// The form found problems of its own: say the domain's too, all at once, without writing.
		try := c
		if err := try.Amend(p, *st.check, cat, r.now); err != nil {
			st.err = err
		}
	}
	var problems formProblems
	for _, e := range amendErrors(st.own, st.err) {
		problems.add(amendAnchors[e.Field], e.Message)
	}
	conflict := st.conflict
	form := newAmendForm(c)
	if st.form != nil {
		form = *st.form
	}
	if conflict {
		// The form now corrects the version that won the race, with what was typed kept; a new
		// key, as the first one belongs to the form that lost.
		fresh := newAmendForm(c)
		form.Version, form.Key = fresh.Version, fresh.Key
		form.CategoryWas, form.SubsWas, form.ObservedWas = fresh.CategoryWas, fresh.SubsWas, fresh.ObservedWas
	}
	v := amendView{Reference: c.Reference(), ConcernURL: concernPath(school, id), Action: concernPath(school, id) + "/amendments",
		Form: form, Problems: problems, Conflict: conflict, Now: newRevisionView(c.Revision(), cat)}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	// The version's author by name: the concern holds its author's; anyone else's is read.
	if by := v.Now.By; by == c.AuthorEmail() && c.AuthorName() != "" {
		v.Now.By = c.AuthorName()
	} else if names, err := h.Directory.StaffNames(ctx, []string{by}); err == nil && names[by] != "" {
		v.Now.By = names[by]
	}
	v.Categories = categoryViews(cat, form.Category, form.Subcategories, c.Category(), c.Subcategories())
	title := "Correct concern " + c.Reference()
	status := http.StatusOK
	switch {
	case conflict:
		title, status = "Someone else changed it first: "+title, http.StatusConflict
	case len(problems.List) > 0:
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "amend", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "")})
}

// categoryViews are the category radios and sub-category boxes of a form, from the school's
// catalogue: retired sub-categories are not offered, except those the record already has
// (keptCategory, kept), which stay as they are unless unticked (rule C2).
func categoryViews(cat concerns.Catalogue, chosen string, ticked []string, keptCategory safeguarding.Category, kept []string) []categoryView {
	var out []categoryView
	for _, c := range cat {
		cv := categoryView{ID: c.ID, Title: c.Title, Checked: string(c.ID) == chosen}
		for _, sc := range c.Subcategories {
			if sc.Retired && !(c.ID == keptCategory && slices.Contains(kept, sc.ID)) {
				continue
			}
			title := sc.Title
			if sc.Retired {
				title += " (retired)"
			}
			cv.Subs = append(cv.Subs, subView{ID: sc.ID, Title: title, Checked: cv.Checked && slices.Contains(ticked, sc.ID)})
		}
		out = append(out, cv)
	}
	return out
}

// versions lists every version of a corrected concern, oldest first, the current one marked.
func versions(c concerns.Concern, revs []concerns.Revision, cat concerns.Catalogue) []revisionView {
	revs = slices.Clone(revs)
	slices.SortFunc(revs, func(a, b concerns.Revision) int { return a.Number - b.Number })
	out := make([]revisionView, 0, len(revs))
	for _, rev := range revs {
		rv := newRevisionView(rev, cat)
		rv.Current = rev.Number == c.Revision().Number
		out = append(out, rv)
	}
	return out
}

// ---- Handlers ------------------------------------------------------------------------------

func (h *Handler) showAmendForm(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.amendPage(ctx, r, s, safeguarding.SchoolID(r.param("school")), safeguarding.ConcernID(r.param("id")), amendState{})
}

// amend records a correction as the concern's next version (rule P4). A form with problems
// comes back with them; one that lost a race with another correction comes back as a 409
// page with everything typed kept, beside the record as it now is.
func (h *Handler) amend(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := safeguarding.ConcernID(r.param("id"))
	f := readAmendForm(r.form)
	if f.Key == "" || len(f.Key) > 64 {
		f.Key = rand.Text()
	}
	version, a, own := f.toAmendment()
	if len(own) > 0 {
		return h.amendPage(ctx, r, s, school, id, amendState{form: &f, own: own, check: &a})
	}
	_, err := h.Concerns.Amend(ctx, r.caller(s.claims.Email), school, id, version, a,
		requestKey(school, s.claims.Email, f.Key), f.fingerprint(school, id))
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		return h.amendPage(ctx, r, s, school, id, amendState{form: &f, err: err})
	case errors.Is(err, safeguarding.ErrConflict), errors.Is(err, safeguarding.ErrIdempotencyMismatch):
		return h.amendPage(ctx, r, s, school, id, amendState{form: &f, conflict: true})
	case err != nil:
		return h.errorPage(r, statusFor(err), &s)
	}
	return redirect(concernPath(school, id)+"?done=amended#versions", http.StatusSeeOther)
}

// amendErrors merges the form's own problems with the domain's, one message per field, in
// the order of the form.
func amendErrors(own []fieldError, err error) []fieldError {
	out := slices.Clone(own)
	var ve *safeguarding.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			if slices.ContainsFunc(out, func(e fieldError) bool { return e.Field == p.Field }) {
				continue
			}
			if _, ok := amendAnchors[p.Field]; !ok {
				p.Field = "body"
			}
			out = append(out, fieldError{Field: p.Field, Message: sentence(p.Message)})
		}
	}
	slices.SortStableFunc(out, func(a, b fieldError) int {
		return slices.Index(amendOrder, a.Field) - slices.Index(amendOrder, b.Field)
	})
	return out
}
