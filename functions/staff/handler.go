package main

import (
	"context"
	"mime"
	"net/http"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
)

// service is the part of staff.Service this function serves.
type service interface {
	List(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (staff.Staffing, []staff.Member, error)
	Add(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, n staff.NewMember, key safeguarding.RequestKey, fp string) (staff.Member, error)
	ChangeRoles(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, person string, roles []safeguarding.Role, key safeguarding.RequestKey, fp string) (staff.Member, error)
	Leave(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, person string, key safeguarding.RequestKey, fp string) (staff.Member, error)
	Import(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, data []byte, opt staff.ImportOptions, key safeguarding.RequestKey, fp string) (staff.ImportReport, error)
}

var _ service = staff.Service{}

type handler struct {
	svc service
}

// MaxImportBody bounds a staff export: 500 rows of a few fields each fit well within it.
const MaxImportBody = 256 << 10

// Handle serves an API Gateway event.
func (h handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.routes().Handle(ctx, req)
}

// routes maps each route of the StaffFunction in template.yaml.
func (h handler) routes() httpapi.Router {
	return httpapi.Router{
		"GET /api/schools/{school}/staff":            h.list,
		"POST /api/schools/{school}/staff":           h.add,
		"PATCH /api/schools/{school}/staff/{person}": h.change,
		"POST /api/schools/{school}/staff/imports":   h.importFile,
	}
}

// member is a member of staff as the API gives them: person is their account's subject, the
// id their address uses.
type member struct {
	Person string   `json:"person"`
	Name   string   `json:"name"`
	Email  string   `json:"email"`
	Mobile string   `json:"mobile,omitempty"`
	Roles  []string `json:"roles"`
}

func toMember(m staff.Member) member {
	out := member{Person: m.Person, Name: m.Name, Email: m.Email, Mobile: m.Mobile, Roles: []string{}}
	for _, r := range m.Roles {
		out.Roles = append(out.Roles, string(r))
	}
	return out
}

type listResponse struct {
	Staff []member `json:"staff"`
	// RolesYouMayGive are the roles the caller may give or take away.
	RolesYouMayGive []string `json:"rolesYouMayGive"`
}

func (h handler) list(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	school := httpapi.School(req)
	st, ms, err := h.svc.List(ctx, who, school)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := listResponse{Staff: []member{}, RolesYouMayGive: []string{}}
	for _, m := range ms {
		out.Staff = append(out.Staff, toMember(m))
	}
	for _, r := range staff.Givable(st.Viewer, school) {
		out.RolesYouMayGive = append(out.RolesYouMayGive, string(r))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

type addRequest struct {
	Name   string   `json:"name"`
	Email  string   `json:"email"`
	Mobile string   `json:"mobile"`
	Roles  []string `json:"roles"`
}

func roles(in []string) []safeguarding.Role {
	out := make([]safeguarding.Role, 0, len(in))
	for _, r := range in {
		out = append(out, safeguarding.Role(r))
	}
	return out
}

// add adds a member of staff: 201 with them, their account made and its subject recorded.
func (h handler) add(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in addRequest
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	m, err := h.svc.Add(ctx, who, httpapi.School(req), staff.NewMember{Name: in.Name, Email: in.Email, Mobile: in.Mobile, Roles: roles(in.Roles)}, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, toMember(m)), nil
}

// changeRequest either gives new roles or says the person is leaving, never both.
type changeRequest struct {
	Roles   []string `json:"roles"`
	Leaving bool     `json:"leaving"`
}

func validPerson(p string) bool {
	return p != "" && len(p) <= 128 && utf8.ValidString(p)
}

// change gives a member of staff new roles, or marks them as leaving ({"leaving": true}).
func (h handler) change(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in changeRequest
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	person := req.PathParameters["person"]
	if !validPerson(person) {
		return httpapi.Response{}, safeguarding.ErrNotFound
	}
	var ps safeguarding.Problems
	switch {
	case in.Leaving && in.Roles != nil:
		ps.Add("roles", "leave out the roles of someone leaving")
	case !in.Leaving && in.Roles == nil:
		ps.Add("roles", "give the roles they hold from now, or \"leaving\": true")
	}
	if err := ps.Err(); err != nil {
		return httpapi.Response{}, err
	}
	var m staff.Member
	if in.Leaving {
		m, err = h.svc.Leave(ctx, who, httpapi.School(req), person, key, fp)
	} else {
		m, err = h.svc.ChangeRoles(ctx, who, httpapi.School(req), person, roles(in.Roles), key, fp)
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toMember(m)), nil
}

type rowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

type importResponse struct {
	Applied   bool       `json:"applied"`
	Rows      int        `json:"rows"`
	Created   int        `json:"created"`
	Updated   int        `json:"updated"`
	Unchanged int        `json:"unchanged"`
	Errors    []rowError `json:"errors"`
}

// importFile reads the MIS's staff export in the body (text/csv): ?mode=preview writes
// nothing; ?apply=valid-rows applies a file's valid rows when others have errors.
func (h handler) importFile(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := httpapi.KnownQuery(req, "mode", "apply"); err != nil {
		return httpapi.Response{}, err
	}
	var ps safeguarding.Problems
	opt := staff.ImportOptions{Apply: true}
	switch req.QueryStringParameters["mode"] {
	case "", "apply":
	case "preview":
		opt.Apply = false
	default:
		ps.Add("mode", "is preview, or absent to apply the file")
	}
	switch req.QueryStringParameters["apply"] {
	case "":
	case "valid-rows":
		opt.ValidRows = true
	default:
		ps.Add("apply", "is valid-rows, or absent")
	}
	k, err := httpapi.IdempotencyKey(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := ps.Err(); err != nil {
		return httpapi.Response{}, err
	}
	if media, _, _ := mime.ParseMediaType(httpapi.Header(req, "Content-Type")); media != "text/csv" {
		// Who may import is told before what they sent is judged.
		if _, _, err := h.svc.List(ctx, who, httpapi.School(req)); err != nil {
			return httpapi.Response{}, err
		}
		return httpapi.Problem(http.StatusUnsupportedMediaType, "Unsupported file", "send the MIS's staff export as CSV (text/csv)"), nil
	}
	body, err := httpapi.Body(req, MaxImportBody)
	if err != nil {
		return httpapi.Response{}, err
	}
	key := safeguarding.RequestKey{School: httpapi.School(req), Actor: who.Email, Key: k}
	// The query is part of what was asked: the same key with another mode is another request.
	fp := httpapi.Fingerprint(req, append([]byte(req.RawQueryString+"\x00"), body...))
	rep, err := h.svc.Import(ctx, who, httpapi.School(req), body, opt, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := importResponse{Applied: rep.Applied, Rows: rep.Rows, Created: rep.Created, Updated: rep.Updated, Unchanged: rep.Unchanged, Errors: []rowError{}}
	for _, e := range rep.Errors {
		out.Errors = append(out.Errors, rowError{Row: e.Line, Field: e.Field, Message: e.Message})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}
