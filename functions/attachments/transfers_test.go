package main

import (
	"archive/zip"
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func (w *world) transfer(method, path, email, body, hhmm string) (httpapi.Response, map[string]any) {
	w.t.Helper()
	return w.do(event(method, path, email, body, at(hhmm), map[string]string{"Idempotency-Key": "k-" + hhmm + "-" + email}))
}

// The transfers through the API (rule S5): a teacher may not record a move, a move names its
// school in a way the answer says, the DSL records and sends within the federation, and the
// receiving school's DSL confirms receipt; both schools list it.
func TestRule_S5_TheAPIRecordsSendsAndConfirmsATransferWithinTheFederation(t *testing.T) {
	w := newWorld(t)
	// Hillcrest's DSL with the account's subject, as the staff pages record it (S8).
	must(t, store.New(w.db, w.table).PutUser(context.Background(), safeguarding.Principal{Email: hillDSL, Name: "Omar", Subject: seed.Subject(hillDSL),
		Memberships: map[safeguarding.SchoolID][]safeguarding.Role{hill: {safeguarding.RoleStaff, safeguarding.RoleDSL}}}))
	path := "/api/schools/" + brook + "/pupils/p1/transfers"
	if resp, _ := w.transfer("POST", path, teacher, `{"toSchool":"`+hill+`"}`, "10:00"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a teacher records a move: %d", resp.StatusCode)
	}
	if resp, body := w.transfer("POST", path, dsl, `{"toSchoolName":"St Anne's"}`, "10:01"); resp.StatusCode != http.StatusBadRequest || !apitest.NamesField(body, "toDslEmail") {
		t.Errorf("a move outside without the DSL's email: %d %s", resp.StatusCode, resp.Body)
	}
	if resp, body := w.transfer("POST", path, dsl, `{"toSchool":"nowhere"}`, "10:02"); resp.StatusCode != http.StatusBadRequest || !apitest.NamesField(body, "toSchool") {
		t.Errorf("a school not of the federation: %d %s", resp.StatusCode, resp.Body)
	}
	resp, tr := w.transfer("POST", path, dsl, `{"toSchool":"`+hill+`"}`, "10:05")
	if resp.StatusCode != http.StatusCreated || tr["status"] != "due" {
		t.Fatalf("recording: %d %s", resp.StatusCode, resp.Body)
	}
	// Monday 23 November 2026: due by the end of Monday 30 November.
	if tr["dueBy"] != "2026-11-30T17:00:00Z" || tr["toSchoolName"] != "Hillcrest Juniors" {
		t.Errorf("due by %v to %v", tr["dueBy"], tr["toSchoolName"])
	}
	id := tr["id"].(string)
	if resp, _ := w.transfer("POST", "/api/schools/"+hill+"/transfers/"+id+"/receipt", hillDSL, "", "10:06"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("a receipt before sending: %d %s", resp.StatusCode, resp.Body)
	}
	resp, sent := w.transfer("POST", "/api/schools/"+brook+"/transfers/"+id+"/send", dsl, "", "10:10")
	if resp.StatusCode != http.StatusOK || sent["status"] != "sent" || sent["code"] != nil {
		t.Fatalf("sending: %d %s", resp.StatusCode, resp.Body)
	}
	resp, got := w.transfer("POST", "/api/schools/"+hill+"/transfers/"+id+"/receipt", hillDSL, "", "10:20")
	if resp.StatusCode != http.StatusOK || got["status"] != "received" || got["direction"] != "in" || got["pupilId"] == "p1" {
		t.Fatalf("receipt: %d %s", resp.StatusCode, resp.Body)
	}
	for _, v := range []struct{ school, who string }{{brook, dsl}, {hill, hillDSL}} {
		resp, list := w.do(event("GET", "/api/schools/"+v.school+"/transfers", v.who, "", at("10:30"), nil))
		ts, _ := list["transfers"].([]any)
		if resp.StatusCode != http.StatusOK || len(ts) != 1 || ts[0].(map[string]any)["status"] != "received" {
			t.Errorf("%s lists: %d %s", v.school, resp.StatusCode, resp.Body)
		}
	}
	if resp, _ := w.do(event("GET", "/api/schools/"+brook+"/transfers", teacher, "", at("10:30"), nil)); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a teacher lists transfers: %d", resp.StatusCode)
	}
}

func (w *world) link(method, linkURL, code, hhmm string, day time.Duration) httpapi.Response {
	w.t.Helper()
	path := linkURL[strings.Index(linkURL, "/transfer-links/"):]
	body := ""
	if code != "" {
		body = "code=" + code
	}
	req := event(method, path, "", body, at(hhmm).Add(day), map[string]string{"content-type": "application/x-www-form-urlencoded"})
	req.RequestContext.Authorizer = nil
	return apitest.Serve(w.t, w.handleJSON, req)
}

// The link outside the federation (rule S5): the answer to sending carries the one-time code
// and the link; the page asks for the code, a wrong one is counted in plain words, the right
// one gives the file once (the receipt), and an expired link refuses in plain words.
func TestRule_S5_TheLinkOutsideTheFederationAsksForItsCodeGivesTheFileOnceAndExpires(t *testing.T) {
	w := newWorld(t)
	resp, tr := w.transfer("POST", "/api/schools/"+brook+"/pupils/p1/transfers", dsl, `{"toSchoolName":"St Anne's","toDslEmail":"dsl@stannes.example"}`, "10:00")
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("recording: %d %s", resp.StatusCode, resp.Body)
	}
	id := tr["id"].(string)
	resp, sent := w.transfer("POST", "/api/schools/"+brook+"/transfers/"+id+"/send", dsl, "", "10:10")
	code, _ := sent["code"].(string)
	linkURL, _ := sent["linkUrl"].(string)
	if resp.StatusCode != http.StatusOK || sent["status"] != "sent" || len(code) != 9 || linkURL == "" {
		t.Fatalf("sending: %d %s", resp.StatusCode, resp.Body)
	}
	page := w.link("GET", linkURL, "", "10:30", 0)
	if page.StatusCode != http.StatusOK || !strings.Contains(page.Body, "The code you were given by phone") || strings.Contains(page.Body, "Ava") {
		t.Errorf("the page: %d %s", page.StatusCode, page.Body)
	}
	wrong := "00000000"
	if strings.ReplaceAll(code, " ", "") == wrong {
		wrong = "11111111"
	}
	if r := w.link("POST", linkURL, wrong, "10:31", 0); r.StatusCode != http.StatusBadRequest || !strings.Contains(r.Body, "You can try 4 times more") {
		t.Errorf("a wrong code: %d %s", r.StatusCode, r.Body)
	}
	if r := w.link("POST", linkURL, code, "10:30", 7*24*time.Hour); r.StatusCode != http.StatusGone || !strings.Contains(r.Body, "This link has expired") {
		t.Errorf("after a week: %d %s", r.StatusCode, r.Body)
	}
	r := w.link("POST", linkURL, code, "10:32", 0)
	if r.StatusCode != http.StatusSeeOther || r.Headers["Location"] == "" {
		t.Fatalf("the right code: %d %s", r.StatusCode, r.Body)
	}
	got, body := download(t, r.Headers["Location"])
	if got.StatusCode != http.StatusOK {
		t.Fatalf("the archive: %d", got.StatusCode)
	}
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	must(t, err)
	names := []string{}
	for _, f := range z.File {
		names = append(names, f.Name)
	}
	if !strings.Contains(strings.Join(names, ","), "export.json") {
		t.Errorf("the archive holds %v", names)
	}
	if r := w.link("POST", linkURL, code, "10:33", 0); r.StatusCode != http.StatusGone || !strings.Contains(r.Body, "already downloaded") {
		t.Errorf("a second download: %d %s", r.StatusCode, r.Body)
	}
	if r := w.link("GET", linkURL, "", "10:34", 0); r.StatusCode != http.StatusGone || strings.Contains(r.Body, "<form") {
		t.Errorf("the page after the download: %d %s", r.StatusCode, r.Body)
	}
	if r := w.link("GET", strings.Replace(linkURL, id+"/", id+"/x", 1), "", "10:35", 0); strings.Contains(r.Body, "<form") || !strings.Contains(r.Body, "This link does not work") {
		t.Errorf("another token: %d %s", r.StatusCode, r.Body)
	}
	_, list := w.do(event("GET", "/api/schools/"+brook+"/transfers", dsl, "", at("11:00"), nil))
	tr0 := list["transfers"].([]any)[0].(map[string]any)
	var what []string
	for _, e := range tr0["history"].([]any) {
		what = append(what, e.(map[string]any)["what"].(string))
	}
	if tr0["status"] != "received" || strings.Join(what, ",") != "recorded,sent,link-opened,wrong-code,refused,downloaded,received,refused,link-opened" {
		t.Errorf("after the download: %v %v", tr0["status"], what)
	}
}
