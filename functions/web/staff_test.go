package main

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	staffing "github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
	"github.com/keepsafe-schools/keepsafe/shared/store"
	"github.com/keepsafe-schools/keepsafe/shared/userpool"
)

// withStaff is a world whose staff pages reach a local user pool through the real Cognito
// client; it returns the pool.
func withStaff(t *testing.T) (*world, *stack.UserPool) {
	t.Helper()
	w := newWorld(t)
	pool, err := stack.NewUserPool(seed.Demo().Users, "", time.Now)
	apitest.Must(t, err)
	srv := httptest.NewServer(pool)
	t.Cleanup(srv.Close)
	w.h.Staff = staffing.Service{Store: w.st, Accounts: userpool.New(stack.NewPoolClient(srv.URL), stack.LocalUserPoolID), NewID: store.NewID}
	return w, pool
}

var staffNow = apitest.Local("2026-11-23 09:00")

func (w *world) profile(email string) safeguarding.Principal {
	w.t.Helper()
	p, err := w.st.Principal(context.Background(), email)
	apitest.Must(w.t, err)
	return p
}

// Rules P1, S4: the Senior DSL adds a member of staff on the page (an invitation by email to
// set a password and an authenticator app), changes their roles, then marks them as leaving
// once confirmed; the office is offered only the roles it may give, and anyone else has no
// staff page.
func TestRule_P1_S4_TheSeniorDSLKeepsTheStaffOnThePage(t *testing.T) {
	w, pool := withStaff(t)
	h := w.h
	const page = "/schools/brook-lane/staff"
	resp := call(t, h, "GET", page, tokenFor(head), nil, staffNow)
	wantBody(t, "the staff page", resp, http.StatusOK, "Staff", "Priya Shah", "Teacher", "Add a member of staff",
		`value="dsl"`, `value="senior_dsl"`, "Import the staff export", "authenticator app")
	if strings.Contains(resp.Body, "rule") {
		t.Error("the page says rule")
	}
	if !strings.Contains(call(t, h, "GET", "/schools/brook-lane/work", tokenFor(head), nil, staffNow).Body, `href="`+page+`"`) {
		t.Error("the Senior DSL's menu has no link to the staff")
	}
	officePage := call(t, h, "GET", page, tokenFor(office), nil, staffNow)
	wantBody(t, "the office's staff page", officePage, http.StatusOK, `value="teacher"`, `value="admin"`)
	if strings.Contains(officePage.Body, `value="dsl"`) || strings.Contains(officePage.Body, `value="governor"`) {
		t.Error("the office is offered the role of DSL or governor")
	}
	for _, who := range []string{dsl, teacher, staff, outsider} {
		wantBody(t, "the staff page for "+who, call(t, h, "GET", page, tokenFor(who), nil, staffNow), http.StatusNotFound, "Page not found")
	}
	add := url.Values{"key": {"add-1"}, "name": {"Nina Okafor"}, "email": {"nina.okafor@brook-lane.example"}, "mobile": {"07700 900456"}, "roles": {"dsl", "staff"}}
	wantBody(t, "the office makes a DSL", post(t, h, page, office, add, staffNow), http.StatusNotFound, "Page not found")
	if _, ok := pool.Enabled("nina.okafor@brook-lane.example"); ok {
		t.Fatal("a refused form made an account")
	}
	bad := url.Values{"key": {"add-2"}, "name": {""}, "email": {"nina"}, "mobile": {"020 7946 0000"}}
	wantBody(t, "a form with problems", post(t, h, page, head, bad, staffNow), http.StatusBadRequest,
		"There is a problem", `href="#name"`, `href="#email"`, `href="#mobile"`, `href="#roles"`)
	wantRedirect(t, post(t, h, page, head, add, staffNow), page+"?done=added")
	if p := w.profile("nina.okafor@brook-lane.example"); !p.IsDSL(seed.BrookLane) || p.Subject != seed.Subject("nina.okafor@brook-lane.example") {
		t.Errorf("the new DSL's profile %+v", p)
	}
	resp = call(t, h, "GET", page+"?done=added", tokenFor(head), nil, staffNow)
	wantBody(t, "the list after", resp, http.StatusOK, "Nina Okafor", "invitation")
	member := page + "/" + seed.Subject("nina.okafor@brook-lane.example")
	wantBody(t, "her page", call(t, h, "GET", member, tokenFor(head), nil, staffNow), http.StatusOK, "Nina Okafor", "Change their roles", "Mark as leaving")
	wantRedirect(t, post(t, h, member, head, url.Values{"key": {"r-1"}, "form": {"roles"}, "roles": {"dsl", "teacher"}}, staffNow), page+"?done=roles")
	if p := w.profile("nina.okafor@brook-lane.example"); !p.Has(seed.BrookLane, safeguarding.RoleTeacher) || p.Has(seed.BrookLane, safeguarding.RoleStaff) {
		t.Errorf("roles after the change %v", p.Memberships)
	}
	wantBody(t, "leaving unconfirmed", post(t, h, member, head, url.Values{"key": {"l-1"}, "form": {"leave"}}, staffNow),
		http.StatusBadRequest, `href="#confirm"`)
	if !w.profile("nina.okafor@brook-lane.example").IsMember(seed.BrookLane) {
		t.Fatal("an unconfirmed leaving was written")
	}
	wantRedirect(t, post(t, h, member, head, url.Values{"key": {"l-2"}, "form": {"leave"}, "confirm": {"yes"}}, staffNow), page+"?done=left")
	if w.profile("nina.okafor@brook-lane.example").IsMember(seed.BrookLane) {
		t.Error("the leaver still has roles")
	}
	if enabled, _ := pool.Enabled("nina.okafor@brook-lane.example"); enabled {
		t.Error("the leaver's account is still enabled")
	}
	wantBody(t, "the leaver's page", call(t, h, "GET", member, tokenFor(head), nil, staffNow), http.StatusNotFound, "Page not found")
	daniel := page + "/" + seed.Subject(dsl)
	resp = call(t, h, "GET", daniel, tokenFor(office), nil, staffNow)
	wantBody(t, "a DSL's page for the office", resp, http.StatusOK, "Only the Senior DSL")
	if strings.Contains(resp.Body, "Mark as leaving") {
		t.Error("the office is offered to mark a DSL as leaving")
	}
}

func uploadStaff(t *testing.T, h *Handler, token string, file []byte) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	apitest.Must(t, mw.WriteField("csrf", sessionFor(token).csrf()))
	apitest.Must(t, mw.WriteField("key", "import-1"))
	fw, err := mw.CreateFormFile("file", "staff.csv")
	apitest.Must(t, err)
	_, err = fw.Write(file)
	apitest.Must(t, err)
	apitest.Must(t, mw.Close())
	r := httptest.NewRequest("POST", "https://keepsafe.example/schools/"+school+"/staff/imports", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	r.Header.Set("Sec-Fetch-Site", "same-origin")
	r.AddCookie(&http.Cookie{Name: SessionCookie, Value: testSession(t, h, token)})
	ev, ok := toEvent(r, staffNow)
	if !ok {
		t.Fatal("no route for the upload")
	}
	resp, err := h.Handle(context.Background(), ev)
	apitest.Must(t, err)
	wantBody(t, "the checked staff export", resp, http.StatusOK, "Check the staff export", "Nothing has been saved yet")
	return resp.Body
}

// Rule P1: the office checks the staff export (nothing saved; each row it cannot take by line
// and column, without its value), then imports its valid rows.
func TestRule_P1_TheOfficeChecksThenImportsTheStaffExport(t *testing.T) {
	w, _ := withStaff(t)
	file := []byte("Forename,Surname,Email,Mobile,Job Title\nNia,Jones,nia.jones@brook-lane.example,07700 900123,Class Teacher\nBad,Row,not-an-email,,TA\n")
	body := uploadStaff(t, w.h, tokenFor(office), file)
	for _, want := range []string{`id="created">1<`, "Line 3, email", "Import the 1 rows without problems"} {
		if !strings.Contains(body, want) {
			t.Errorf("the check lacks %q", want)
		}
	}
	if strings.Contains(body, "not-an-email") {
		t.Error("a row error repeats its value")
	}
	if w.profile("nia.jones@brook-lane.example").IsMember(seed.BrookLane) {
		t.Fatal("the check saved someone")
	}
	i := strings.Index(body, `name="data" value="`)
	data := body[i+len(`name="data" value="`):]
	data = data[:strings.Index(data, `"`)]
	form := url.Values{"key": {"import-1"}, "step": {"import"}, "data": {strings.ReplaceAll(data, "&#43;", "+")}, "valid-rows": {"yes"}}
	wantRedirect(t, post(t, w.h, "/schools/brook-lane/staff/imports", office, form, staffNow), "/schools/brook-lane/staff?done=imported")
	if p := w.profile("nia.jones@brook-lane.example"); !p.Has(seed.BrookLane, safeguarding.RoleTeacher) {
		t.Errorf("Nia after the import %+v", p)
	}
}

// FuzzStaffForm feeds any posted body to the add-a-member-of-staff form's decoder: it never
// panics, keeps only roles of the product, each once, and the same body gives the same
// fingerprint.
func FuzzStaffForm(f *testing.F) {
	f.Add("name=Nina+Okafor&email=nina%40example.org&mobile=07700900456&roles=dsl&roles=staff&key=k")
	f.Add("roles=dsl&roles=dsl&roles=root&roles=%00")
	f.Add("name=%FF%FE&email=&mobile=%20")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := readStaffForm(v)
		seen := map[safeguarding.Role]bool{}
		for _, r := range form.Roles {
			if seen[r] || !strings.Contains("staff teacher admin dsl senior_dsl governor", string(r)) || r == "" {
				t.Fatalf("role %q taken", r)
			}
			seen[r] = true
		}
		if form.fingerprint("s") != readStaffForm(v).fingerprint("s") {
			t.Fatalf("fingerprint differs for the same body %q", body)
		}
	})
}
