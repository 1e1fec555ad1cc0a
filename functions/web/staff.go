package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	staffing "github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
)

// The staff pages (rule P1), for the Senior DSL and the office: the school's staff by name
// with their roles, adding a member of staff, changing someone's roles, marking them as
// leaving (with a confirmation), and the MIS's staff export checked then imported. The use
// cases decide who may give which role; the forms offer only the roles the viewer may give.
// Anyone else gets "page not found".

// staffService is the part of staffing.Service the pages use: the use cases of the staff API.
type staffService interface {
	List(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (staffing.Staffing, []staffing.Member, error)
	Add(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, n staffing.NewMember, key safeguarding.RequestKey, fp string) (staffing.Member, error)
	ChangeRoles(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, person string, roles []safeguarding.Role, key safeguarding.RequestKey, fp string) (staffing.Member, error)
	Leave(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, person string, key safeguarding.RequestKey, fp string) (staffing.Member, error)
	Import(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, data []byte, opt staffing.ImportOptions, key safeguarding.RequestKey, fp string) (staffing.ImportReport, error)
}

var _ staffService = staffing.Service{}

// staffImportRoute takes the staff export as a multipart form (its file), or the checked file
// sent back to be imported.
const staffImportRoute = "POST /schools/{school}/staff/imports"

// maxStaffFile is the largest staff export the page takes, as the API.
const maxStaffFile = 256 << 10

func init() {
	routes["GET /schools/{school}/staff"] = (*Handler).staffPage
	routes["POST /schools/{school}/staff"] = (*Handler).addStaff
	routes["GET /schools/{school}/staff/{person}"] = (*Handler).staffMemberPage
	routes["POST /schools/{school}/staff/{person}"] = (*Handler).changeStaff
	routes[staffImportRoute] = (*Handler).importStaff
	uploadRoutes[staffImportRoute] = true
}

func staffPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/staff" }

func staffMemberPath(school safeguarding.SchoolID, person string) string {
	return staffPath(school) + "/" + url.PathEscape(person)
}

func rolesInWords(rs []safeguarding.Role) string {
	words := make([]string, 0, len(rs))
	for _, r := range rs {
		words = append(words, staffing.RoleWords(r))
	}
	return strings.Join(words, ", ")
}

// staffForm is the add-a-member-of-staff form as it was sent.
type staffForm struct {
	Key, Name, Email, Mobile string
	Roles                    []safeguarding.Role
}

func readStaffForm(v url.Values) staffForm {
	f := staffForm{Key: strings.TrimSpace(v.Get("key")), Name: v.Get("name"), Email: strings.TrimSpace(v.Get("email")), Mobile: v.Get("mobile")}
	for _, r := range v["roles"] {
		if role := safeguarding.Role(r); slices.Contains(safeguarding.Roles, role) && !slices.Contains(f.Roles, role) {
			f.Roles = append(f.Roles, role)
		}
	}
	return f
}

func (f staffForm) fingerprint(school safeguarding.SchoolID) string {
	parts := []string{"staff-add", string(school), f.Name, f.Email, f.Mobile}
	for _, r := range f.Roles {
		parts = append(parts, string(r))
	}
	return commandFingerprint(parts...)
}

type staffRow struct {
	Name, Email, Roles, Href string
}

type staffView struct {
	SchoolName  string
	Done        string
	Problems    formProblems
	Staff       []staffRow
	Form        staffForm
	RoleOptions []option
	PostURL     string
	ImportURL   string
	ImportKey   string
}

var staffDone = map[string]string{
	"added":    "Added. They have been sent an invitation by email to set a password and an authenticator app.",
	"roles":    "Roles changed. They have them from the next page they open.",
	"left":     "Marked as leaving. They can no longer sign in here, and their alerts have stopped.",
	"imported": "The staff export is imported. New people have been sent their invitations by email.",
}

func roleOptions(givable []safeguarding.Role, checked []safeguarding.Role) []option {
	var out []option
	for _, r := range givable {
		out = append(out, option{Value: string(r), Title: staffing.RoleWords(r), Hint: staffing.RoleHint(r), Checked: slices.Contains(checked, r)})
	}
	return out
}

func (h *Handler) staffPage(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.staffPageWith(ctx, r, s, formProblems{}, nil)
}

// staffPageWith is the list with the add form (sent back with its problems when sent is not
// nil) and the import form.
func (h *Handler) staffPageWith(ctx context.Context, r *request, s session, problems formProblems, sent *staffForm) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Staff == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	st, members, err := h.Staff.List(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := staffView{SchoolName: st.School.Name, Done: staffDone[r.ev.QueryStringParameters["done"]], Problems: problems,
		PostURL: staffPath(school), ImportURL: staffPath(school) + "/imports", ImportKey: rand.Text()}
	for _, m := range members {
		row := staffRow{Name: m.Name, Email: m.Email, Roles: rolesInWords(m.Roles)}
		if m.Person != "" {
			row.Href = staffMemberPath(school, m.Person)
		}
		if row.Name == "" {
			row.Name = m.Email
		}
		v.Staff = append(v.Staff, row)
	}
	v.Form = staffForm{Key: rand.Text(), Roles: staffing.FirstRoles()}
	if sent != nil {
		v.Form = *sent
	}
	v.RoleOptions = roleOptions(staffing.Givable(st.Viewer, school), v.Form.Roles)
	title, status := "Staff", http.StatusOK
	if len(problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "staff", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(st.Viewer, school, "staff")})
}

// addStaff adds a member of staff, then goes back to the list.
func (h *Handler) addStaff(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Staff == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	f := readStaffForm(r.form)
	f.Key = formKeyOf(f.Key)
	_, err := h.Staff.Add(ctx, r.caller(s.claims.Email), school, staffing.NewMember{Name: f.Name, Email: f.Email, Mobile: f.Mobile, Roles: f.Roles},
		requestKey(school, s.claims.Email, f.Key), f.fingerprint(school))
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		var problems formProblems
		problems.addValidation(ve, map[string]string{"name": "name", "email": "email", "mobile": "mobile", "roles": "roles"}, "name")
		return h.staffPageWith(ctx, r, s, problems, &f)
	case err != nil:
		return h.caseWorkFailed(r, s, err, staffPath(school))
	}
	return redirect(staffPath(school)+"?done=added#done", http.StatusSeeOther)
}

type staffMemberView struct {
	SchoolName  string
	Problems    formProblems
	Name, Email string
	Roles       string
	RoleOptions []option
	Kept        []string // roles the viewer may not change, kept as they are
	KeptWords   string
	CanLeave    bool
	PostURL     string
	BackURL     string
	RolesKey    string
	LeaveKey    string
}

func (h *Handler) staffMemberPage(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.staffMemberWith(ctx, r, s, formProblems{}, nil)
}

func (h *Handler) staffMemberWith(ctx context.Context, r *request, s session, problems formProblems, checked []safeguarding.Role) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Staff == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	st, _, err := h.Staff.List(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	m, ok := st.Member(r.param("person"))
	if !ok {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	givable := staffing.Givable(st.Viewer, school)
	if checked == nil {
		checked = m.Roles
	}
	v := staffMemberView{SchoolName: st.School.Name, Problems: problems, Name: m.Name, Email: m.Email, Roles: rolesInWords(m.Roles),
		RoleOptions: roleOptions(givable, checked), CanLeave: staffing.CanChange(st.Viewer, school, m.Roles, nil),
		PostURL: staffMemberPath(school, m.Person), BackURL: staffPath(school), RolesKey: rand.Text(), LeaveKey: rand.Text()}
	var kept []safeguarding.Role
	for _, r := range m.Roles {
		if !slices.Contains(givable, r) {
			kept = append(kept, r)
			v.Kept = append(v.Kept, string(r))
		}
	}
	v.KeptWords = rolesInWords(kept)
	if v.Name == "" {
		v.Name = m.Email
	}
	title, status := v.Name, http.StatusOK
	if len(problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "staff-member", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(st.Viewer, school, "staff")})
}

// changeStaff gives a member of staff the roles ticked (form=roles), or marks them as leaving
// once confirmed (form=leave), then goes back to the list.
func (h *Handler) changeStaff(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	person := r.param("person")
	if h.Staff == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	key := formKeyOf(strings.TrimSpace(r.form.Get("key")))
	who := r.caller(s.claims.Email)
	var err error
	var problems formProblems
	done := ""
	var roles []safeguarding.Role
	switch r.form.Get("form") {
	case "roles":
		roles = readStaffForm(r.form).Roles
		fp := commandFingerprint("staff-roles", string(school), person, rolesInWords(roles))
		_, err = h.Staff.ChangeRoles(ctx, who, school, person, roles, requestKey(school, s.claims.Email, key), fp)
		done = "roles"
	case "leave":
		if r.form.Get("confirm") != "yes" {
			problems.add("confirm", "Tick the box to confirm that they leave the school today")
			return h.staffMemberWith(ctx, r, s, problems, nil)
		}
		_, err = h.Staff.Leave(ctx, who, school, person, requestKey(school, s.claims.Email, key), commandFingerprint("staff-leave", string(school), person))
		done = "left"
	default:
		return h.errorPage(r, http.StatusBadRequest, &s)
	}
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		problems.addValidation(ve, map[string]string{"roles": "roles"}, "roles")
		return h.staffMemberWith(ctx, r, s, problems, roles)
	case err != nil:
		return h.caseWorkFailed(r, s, err, staffPath(school))
	}
	return redirect(staffPath(school)+"?done="+done+"#done", http.StatusSeeOther)
}

type staffImportView struct {
	SchoolName                        string
	Rows, Created, Updated, Unchanged int
	Errors                            []staffing.RowError
	Valid                             int
	Data, Key, PostURL, BackURL       string
}

// importStaff checks the staff export chosen on the list (a multipart form: nothing written)
// and shows what it would do; the checked file, sent back in the form, is then imported.
func (h *Handler) importStaff(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Staff == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	who := r.caller(s.claims.Email)
	key := formKeyOf(strings.TrimSpace(r.form.Get("key")))
	if r.form.Get("step") == "import" {
		data, err := base64.StdEncoding.DecodeString(r.form.Get("data"))
		if err != nil || len(data) > maxStaffFile {
			return h.errorPage(r, http.StatusBadRequest, &s)
		}
		opt := staffing.ImportOptions{Apply: true, ValidRows: r.form.Get("valid-rows") == "yes"}
		fp := commandFingerprint("staff-import", string(school), strconv.FormatBool(opt.ValidRows), string(data))
		rep, err := h.Staff.Import(ctx, who, school, data, opt, requestKey(school, s.claims.Email, key), fp)
		if err != nil {
			return h.caseWorkFailed(r, s, err, staffPath(school))
		}
		if !rep.Applied {
			return h.errorPage(r, http.StatusBadRequest, &s)
		}
		return redirect(staffPath(school)+"?done=imported#done", http.StatusSeeOther)
	}
	var problems formProblems
	switch {
	case len(r.file) == 0:
		problems.add("file", "Choose the staff export, a CSV file")
	case len(r.file) > maxStaffFile:
		problems.add("file", "The file is over 256 KB: check it is the staff export")
	}
	if len(problems.List) > 0 {
		return h.staffPageWith(ctx, r, s, problems, nil)
	}
	rep, err := h.Staff.Import(ctx, who, school, r.file, staffing.ImportOptions{}, safeguarding.RequestKey{}, "")
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		problems.addValidation(ve, map[string]string{}, "file")
		return h.staffPageWith(ctx, r, s, problems, nil)
	case err != nil:
		return h.errorPage(r, statusFor(err), &s)
	}
	st, _, err := h.Staff.List(ctx, who, school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := staffImportView{SchoolName: st.School.Name, Rows: rep.Rows, Created: rep.Created, Updated: rep.Updated, Unchanged: rep.Unchanged,
		Errors: rep.Errors, Valid: rep.Created + rep.Updated + rep.Unchanged, Data: base64.StdEncoding.EncodeToString(r.file), Key: key,
		PostURL: staffPath(school) + "/imports", BackURL: staffPath(school)}
	return h.page(r, http.StatusOK, "staff-import", pageData{Title: "Check the staff export", SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(st.Viewer, school, "staff")})
}
