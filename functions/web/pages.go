package main

import (
	"cmp"
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
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
)

// searchLimit is how many pupils one search shows.
const searchLimit = 20

// ---- Home ---------------------------------------------------------------------------------

type schoolView struct {
	ID     safeguarding.SchoolID
	Name   string
	Access safeguarding.Access
	// Needs is what waits for the person at the school now, counted and linked (home.go).
	Needs homeNeeds
}

type homeView struct {
	Name    string
	Schools []schoolView
}

func (h *Handler) home(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil && !errors.Is(err, safeguarding.ErrNotFound) && !errors.Is(err, safeguarding.ErrForbidden) {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := homeView{Name: cmp.Or(p.Name, s.claims.Name)}
	for id := range p.Memberships {
		sv := schoolView{ID: id, Name: string(id), Access: safeguarding.AccessFor(p, id)}
		if !sv.Access.Member {
			continue
		}
		if school, err := h.Directory.School(ctx, id); err == nil && school.Name != "" {
			sv.Name = school.Name
		}
		sv.Needs = h.needsAt(ctx, r, s, p, id)
		v.Schools = append(v.Schools, sv)
	}
	slices.SortFunc(v.Schools, func(a, b schoolView) int { return cmp.Compare(a.Name, b.Name) })
	// With one school the menu is that school's; with several, each has its links below.
	nav := &navView{Items: []navItem{{Href: "/", Text: "Home", Current: true}}}
	if len(v.Schools) == 1 {
		nav = navFor(p, v.Schools[0].ID, "home")
	}
	return h.page(r, http.StatusOK, "home", pageData{Title: "Your schools", SignedIn: true, CSRF: s.csrf(), Page: v, Nav: nav})
}

// ---- The concern form (rules C1, C2, C3, C5, C7) ------------------------------------------

type subView struct {
	ID      string
	Title   string
	Checked bool
}

type categoryView struct {
	ID      safeguarding.Category
	Title   string
	Checked bool
	Subs    []subView
}

type pupilView struct {
	ID      safeguarding.PupilID
	Name    string
	Detail  string
	Checked bool
}

type formView struct {
	School     safeguarding.School
	Action     string
	Form       concernForm
	Chosen     []pupilView
	Results    []pupilView
	Searched   bool
	Categories []categoryView
	// TagOptions are the school's staff to tick to tell, SubjectOptions those a concern can be
	// about: by name only, the author left out.
	TagOptions, SubjectOptions []option
	Errors                     []fieldError
	// ErrorFor is each field's first message, shown next to it.
	ErrorFor map[string]string
	// Anchor is where each field's error summary link goes.
	Anchor map[string]string
	// Governor is the safeguarding governor's name, for a concern about staff (C5); "" for none.
	Governor string
}

func (h *Handler) newConcern(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	f := newForm(rand.Text())
	// A link may name pupils (?pupil=...) and a search (?q=...).
	q := url.Values{}
	if raw := r.ev.RawQueryString; raw != "" {
		q, _ = url.ParseQuery(raw)
	}
	for _, id := range q["pupil"] {
		if pid := safeguarding.PupilID(id); pid != "" && !slices.Contains(f.PupilIDs, pid) {
			f.PupilIDs = append(f.PupilIDs, pid)
		}
	}
	f.Query = strings.TrimSpace(q.Get("q"))
	return h.renderForm(ctx, r, s, f, nil, f.Query != "")
}

func (h *Handler) submitConcern(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	f := readForm(r.form)
	if f.Key == "" || len(f.Key) > 64 {
		f.Key = rand.Text()
	}
	if r.form.Get("intent") == "search" {
		// Searching posts the whole form, so nothing typed is lost and no name goes in a URL.
		return h.renderForm(ctx, r, s, f, nil, true)
	}
	in, own := f.toNewConcern(r.now)
	// The pickers offer the school's staff only: anything else sent is refused in plain words
	// (the domain refuses it too, so nothing is written).
	if sc, err := h.Directory.School(ctx, school); err == nil {
		if !onRoster(sc, in.TagStaff...) {
			own = append(own, fieldError{"tagStaff", "Choose the staff to tell from the list"})
		}
		if in.AboutStaff && in.SubjectStaffEmail != "" && !onRoster(sc, in.SubjectStaffEmail) {
			own = append(own, fieldError{"subjectStaffEmail", "Choose the member of staff it is about from the list"})
		}
	}
	key := safeguarding.RequestKey{School: school, Actor: s.claims.Email, Key: f.Key}
	receipt, err := h.Concerns.Record(ctx, r.caller(s.claims.Email), school, in, key, fingerprint(school, in))
	// The form's own problems (no category, no real date) always come with the domain's for
	// the same field, so a command that passed the domain had none.
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		return h.renderForm(ctx, r, s, f, fieldErrors(own, err), false)
	case err != nil:
		return h.errorPage(r, statusFor(err), &s)
	}
	return redirect("/schools/"+url.PathEscape(string(school))+"/concerns/"+url.PathEscape(string(receipt.ID))+"?recorded=1",
		http.StatusSeeOther)
}

func (h *Handler) renderForm(ctx context.Context, r *request, s session, f concernForm, errs []fieldError, search bool) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Member {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	school, err := h.Directory.School(ctx, schoolID)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := formView{School: school, Action: "/schools/" + url.PathEscape(string(schoolID)) + "/concerns", Form: f,
		Errors: errs, ErrorFor: map[string]string{}, Anchor: map[string]string{}}
	v.Governor = h.governorName(ctx, school)

	if len(f.PupilIDs) > 0 {
		known, err := h.Directory.Pupils(ctx, schoolID, f.PupilIDs)
		if err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
		for _, id := range f.PupilIDs {
			if pu, ok := known[id]; ok {
				v.Chosen = append(v.Chosen, pupilView{ID: id, Name: pu.Name, Detail: pupilDetail(pu), Checked: true})
			}
		}
	}
	if search && f.Query != "" {
		v.Searched = true
		found, err := h.Directory.SearchPupils(ctx, schoolID, f.Query, searchLimit)
		if err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
		v.Results = resultViews(found, f.PupilIDs)
	}

	// The school's own sub-categories: new ones offered, retired ones not (rule C2).
	cat, err := h.catalogue(ctx, r, s, schoolID)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v.Categories = categoryViews(cat, f.Category, f.Subcategories, "", nil)

	// The staff to tell and the one it is about, by name (C1, C5); not the author.
	names, err := h.rosterNames(ctx, school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v.TagOptions = peopleOptions(school, names, f.TagStaff, p.Email)
	v.SubjectOptions = peopleOptions(school, names, []string{f.SubjectStaffEmail}, p.Email)

	v.Anchor = map[string]string{"pupilIds": "q", "category": "category", "observedAt": f.observedAnchor(),
		"details": "details", "pupilWords": "pupil-words", "peopleInvolved": "people-involved",
		"tagStaff": "tag-staff", "subjectStaffEmail": "subject-staff-email", "subcategories": "category",
		"bodyMap": "body-map"}
	if len(v.Chosen) > 0 {
		v.Anchor["pupilIds"] = "pupil-" + string(v.Chosen[0].ID)
	}
	for _, c := range v.Categories {
		if c.Checked && len(c.Subs) > 0 {
			v.Anchor["subcategories"] = "sub-" + string(c.ID) + "-" + c.Subs[0].ID
		}
	}
	for i, e := range v.Errors {
		if _, ok := v.Anchor[e.Field]; !ok {
			v.Anchor[e.Field] = "details"
		}
		if _, seen := v.ErrorFor[e.Field]; !seen {
			v.ErrorFor[e.Field] = e.Message
		}
		v.Errors[i] = e
	}

	title := "Record a concern"
	status := http.StatusOK
	if len(errs) > 0 {
		title = "Error: " + title
		status = http.StatusBadRequest
	}
	return h.page(r, status, "concern-form", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "record")})
}

func pupilDetail(p safeguarding.Pupil) string {
	var parts []string
	if p.YearGroup != "" {
		parts = append(parts, p.YearGroup)
	}
	if p.ClassName != "" {
		parts = append(parts, p.ClassName)
	}
	return strings.Join(parts, ", ")
}

// ---- A concern ----------------------------------------------------------------------------

type linkedPupilView struct {
	ID         safeguarding.PupilID
	Name       string
	Chronology string
}

type concernView struct {
	SchoolName     string
	Recorded       bool
	Done           string
	Concern        concerns.Concern
	CategoryTitle  string
	Subcategories  []string
	Pupils         []linkedPupilView
	PupilWords     string
	PeopleInvolved []string
	// SeniorDSLTold is false for a concern about the Senior DSL themself (C5): only the
	// safeguarding governor is told.
	SeniorDSLTold bool
	// Marks are the body map's marks (rule C1), numbered from 1.
	Marks []markView
	// Case is the case work, for a DSL (rules D1-D9).
	Case *caseView
	// Status is the concern's progress for its reporter (rule D7).
	Status *reporterView
	// Revision is the current version of the record; Versions every version, oldest first,
	// when it has been corrected (rule P4). AmendURL is the correction form, for its author
	// or a DSL.
	Revision revisionView
	Versions []revisionView
	AmendURL string
	// Attachments are the concern's files; Upload the form to add one, for the author or a DSL
	// (rule C6).
	Attachments []attachmentView
	Upload      *uploadView
	Problems    formProblems
	// SubjectName names the member of staff the concern is about (C5).
	SubjectName string
}

// concernPeople names the people a concern's page shows by email in the record: whoever
// corrected it, uploaded a file or decided on its case, and the member of staff it is about;
// for a DSL also the school's staff, for the assignee picker. One read of their names, and
// none when the author alone appears (the concern carries the author's name).
func (h *Handler) concernPeople(ctx context.Context, school safeguarding.School, c concerns.Concern, v concernView, caseWork bool) (map[string]string, error) {
	var emails []string
	if caseWork {
		for _, m := range school.Roster {
			emails = append(emails, m.Email)
		}
		for _, e := range c.CaseEvents() {
			emails = append(emails, e.By)
		}
	}
	emails = append(emails, v.Revision.By, c.SubjectStaffEmail())
	for _, rv := range v.Versions {
		emails = append(emails, rv.By)
	}
	for _, a := range v.Attachments {
		emails = append(emails, a.By)
	}
	emails = slices.DeleteFunc(emails, func(e string) bool { return e == "" || e == c.AuthorEmail() })
	slices.Sort(emails)
	if emails = slices.Compact(emails); len(emails) == 0 {
		return map[string]string{}, nil
	}
	return h.Directory.StaffNames(ctx, emails)
}

// nameThePeople shows by name each person the record names by email; someone with no name on
// record stays by their email.
func (v *concernView) nameThePeople(c concerns.Concern, names map[string]string) {
	name := func(email string) string {
		if email != "" && email == c.AuthorEmail() && c.AuthorName() != "" {
			return c.AuthorName()
		}
		return cmp.Or(names[email], email)
	}
	v.Revision.By = name(v.Revision.By)
	for i := range v.Versions {
		v.Versions[i].By = name(v.Versions[i].By)
	}
	for i := range v.Attachments {
		v.Attachments[i].By = name(v.Attachments[i].By)
	}
	v.SubjectName = name(c.SubjectStaffEmail())
}

// markView is one body map mark drawn on its outline (100 by 220 units).
type markView struct {
	N          int
	Side, Note string
	// Place says where it is in words: "Front, the child's right arm".
	Place      string
	CX, CY, TY string
}

func (h *Handler) viewConcern(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.concernPage(ctx, r, s, safeguarding.SchoolID(r.param("school")), safeguarding.ConcernID(r.param("id")), pageState{})
}

// concernPage shows a concern the person may see (P2), with its case work for a DSL; st is a
// case-work form sent with problems, shown again.
func (h *Handler) concernPage(ctx context.Context, r *request, s session, schoolID safeguarding.SchoolID, id safeguarding.ConcernID, st pageState) events.APIGatewayV2HTTPResponse {
	// One read of everything the page shows, and one audit entry for the view (P4).
	pg, err := h.Cases.ConcernPage(ctx, r.caller(s.claims.Email), schoolID, id)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	c, p, school, cat := pg.Concern, pg.Viewer, pg.School, pg.Catalogue
	v := concernView{Concern: c, Recorded: r.ev.QueryStringParameters["recorded"] == "1", Done: doneMessage(r),
		CategoryTitle: string(c.Category()), Problems: st.problems}
	v.SchoolName = school.Name
	v.SeniorDSLTold = c.TellsSeniorDSL(school)
	for i, m := range c.BodyMap() {
		v.Marks = append(v.Marks, markView{N: i + 1, Side: m.Side, Note: m.Note, Place: bodyPlace(m.Side, m.X, m.Y),
			CX: strconv.FormatFloat(m.X*100, 'f', 2, 64), CY: strconv.FormatFloat(m.Y*220, 'f', 2, 64),
			TY: strconv.FormatFloat(m.Y*220+3.5, 'f', 2, 64)})
	}
	// The school's catalogue names the sub-categories: a renamed one by its new name, a
	// retired one still by its own (rule C2).
	v.CategoryTitle, v.Subcategories = categoryTitles(cat, c.Category(), c.Subcategories())
	if v.Revision = newRevisionView(c.Revision(), cat); v.Revision.Corrected {
		v.Versions = versions(c, pg.Revisions, cat)
	}
	if c.CanAmend(p) {
		v.AmendURL = concernPath(schoolID, id) + "/amend"
	}
	v.Attachments, v.Upload = attachmentsSection(r, c, p, pg.Attachments)
	for _, lp := range c.Pupils() {
		name := pg.Pupils[lp.ID].Name
		if name == "" {
			name = "Pupil " + string(lp.ID)
		}
		v.Pupils = append(v.Pupils, linkedPupilView{ID: lp.ID, Name: name,
			Chronology: "/schools/" + url.PathEscape(string(schoolID)) + "/pupils/" + url.PathEscape(string(lp.ID)) + "/chronology"})
	}
	v.Status = reporterStatus(c, p)
	caseWork := c.CanSeeCaseWork(p) && h.Cases != nil
	names, err := h.concernPeople(ctx, school, c, v, caseWork)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v.nameThePeople(c, names)
	if caseWork {
		v.Case = h.caseSection(r, p, school, names, c, pg.Actions, pg.Calendar, st)
	}
	title := "Concern " + c.Reference()
	if len(st.problems.List) > 0 {
		title = "Error: " + title
	}
	return h.page(r, st.status(), "concern", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "")})
}

// ---- A pupil's chronology (rule D10) ------------------------------------------------------

type entryView struct {
	Entry    safeguarding.ChronologyEntry
	Type     string
	Category string
	Link     string
}

type chronologyView struct {
	SchoolID safeguarding.SchoolID
	// SchoolName is printed above the chronology, with "Confidential".
	SchoolName string
	Pupil      safeguarding.Pupil
	Entries    []entryView
	NewLink    string
	// PDFLink and ExportLink take the record off the screen, for the DSLs only (D10).
	PDFLink    string
	ExportLink string
	// MoveLink records the pupil's move to a new school, for the DSLs only (S5).
	MoveLink string
}

func (h *Handler) chronology(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	pupil, entries, err := h.Concerns.Chronology(ctx, r.caller(s.claims.Email), schoolID, safeguarding.PupilID(r.param("pupil")))
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	// Newest last, as a chronology reads.
	slices.SortStableFunc(entries, func(a, b safeguarding.ChronologyEntry) int { return a.At.Compare(b.At) })
	cat := concerns.PolicyCatalogue()
	v := chronologyView{SchoolID: schoolID, Pupil: pupil,
		NewLink: "/schools/" + url.PathEscape(string(schoolID)) + "/concerns/new?" + url.Values{"pupil": {string(pupil.ID)}}.Encode()}
	if sc, err := h.Directory.School(ctx, schoolID); err == nil {
		v.SchoolName = sc.Name
	}
	if exports.MayProduce(p, schoolID) == nil {
		v.PDFLink = pupilPath(schoolID, pupil.ID) + "/chronology.pdf"
		v.ExportLink = pupilPath(schoolID, pupil.ID) + "/export"
	}
	if safeguarding.AccessFor(p, schoolID).Transfers {
		v.MoveLink = pupilPath(schoolID, pupil.ID) + "/move"
	}
	for _, e := range entries {
		ev := entryView{Entry: e, Type: entryTypeTitle(e.Type), Category: string(e.Category)}
		if def, ok := cat.Find(e.Category); ok {
			ev.Category = def.Title
		}
		if e.ConcernID != "" {
			ev.Link = "/schools/" + url.PathEscape(string(schoolID)) + "/concerns/" + url.PathEscape(string(e.ConcernID))
		}
		v.Entries = append(v.Entries, ev)
	}
	return h.page(r, http.StatusOK, "chronology", pageData{Title: "Chronology of " + pupil.Name, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "")})
}

func entryTypeTitle(t safeguarding.EntryType) string {
	s := strings.ReplaceAll(string(t), "_", " ")
	switch t {
	case safeguarding.EntryLANotification:
		return "Local authority informed"
	case safeguarding.EntryMissing:
		return "Family missing"
	}
	return sentence(s)
}
