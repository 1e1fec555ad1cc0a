package main

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/pdftext"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
)

// pdf asks for a pupil's chronology as a PDF and reads back its pages' text.
func (w *world) pdf(email, pupil string) (httpapi.Response, []string) {
	w.t.Helper()
	resp := apitest.Serve(w.t, w.h.Handle, event("GET", "/api/schools/"+brook+"/pupils/"+pupil+"/chronology.pdf", email, "", at("15:00"), nil))
	if resp.StatusCode != http.StatusOK {
		return resp, nil
	}
	b, err := base64.StdEncoding.DecodeString(resp.Body)
	must(w.t, err)
	pages, err := pdftext.Pages(b)
	must(w.t, err)
	return resp, pages
}

// The chronology's PDF (rule D10): for the DSLs and the Senior DSL, every entry in order with
// each concern's versions, the school, the pupil and "Confidential" on every page; base64 for
// API Gateway, with its type and a file name; each production audited (P4); a concern about a
// DSL is not in the one they produce (C5); a teacher is refused.
func TestRule_D10_P4_C5_TheChronologyAsAPDF(t *testing.T) {
	w := newWorld(t)
	_, first := w.record(teacher, strings.Replace(validBody, `"highPriority":true`, `"highPriority":false`, 1), at("09:30"), nil)
	_, second := w.record(colleague, `{"pupilIds":["p1"],"category":"wellbeing","details":"Ava was upset at lunch.","observedAt":"2026-11-23T12:00:00Z"}`, at("12:10"), nil)
	resp, _ := w.amend(teacher, first["id"].(string), `{"version":1,"reason":"Added the time","details":"Bruise on Ava's left arm, about 3cm, seen at 9:00."}`, at("13:00"))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("amending: %d %s", resp.StatusCode, resp.Body)
	}
	_, aboutDSL := w.record(colleague, `{"pupilIds":["p1"],"category":"safeguarding","details":"Mr Okafor shouted at Ava.","aboutStaff":true,"subjectStaffEmail":"`+dsl+`"}`, at("14:00"), nil)
	before := w.items()["audit"]

	w.counter.Reset()
	resp, pages := w.pdf(dsl, "p1")
	// The viewer and the chronology side by side, one Query for each of the three concerns, the
	// school and the other pupils in one batch, the staff's names in one, the audit entry.
	if got := w.counter.Counts(); got["Query"] != 1+3 || got["BatchGetItem"] != 2 || got["Scan"] != 0 {
		t.Errorf("round trips %v", got)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the DSL's PDF: %d %s", resp.StatusCode, resp.Body)
	}
	if !resp.IsBase64Encoded || resp.Headers["Content-Type"] != "application/pdf" ||
		resp.Headers["Content-Disposition"] != `attachment; filename=chronology-2026-11-23.pdf` {
		t.Errorf("headers %v, base64 %v", resp.Headers, resp.IsBase64Encoded)
	}
	all := strings.Join(pages, "\n")
	for i, p := range pages {
		if !strings.Contains(p, "CONFIDENTIAL") || !strings.Contains(p, "Brook Lane Primary - Ava Brown") {
			t.Errorf("page %d lacks the marking, the school or the pupil:\n%s", i+1, p)
		}
	}
	order := []string{"Chronology of Ava Brown", "Concern " + first["reference"].(string), "Concern " + second["reference"].(string),
		"Correction", "Version 1 (as first recorded)", "Bruise on Ava's left arm, about 3cm.", "Version 2",
		"Reason for the correction: Added the time", "seen at 9:00."}
	last := -1
	for _, s := range order {
		i := strings.Index(all[max(last, 0):], s)
		if i < 0 {
			t.Fatalf("%q missing or out of order in:\n%s", s, all)
		}
		last = max(last, 0) + i
	}
	if strings.Contains(all, aboutDSL["reference"].(string)) || strings.Contains(all, "shouted") {
		t.Errorf("the DSL's PDF holds the concern about them:\n%s", all)
	}
	if strings.Contains(all, first["id"].(string)) || strings.Contains(all, "p1") {
		t.Errorf("the PDF shows an internal id:\n%s", all)
	}
	if after := w.items()["audit"]; after != before+1 {
		t.Errorf("%d audit entries after the PDF, want %d", after, before+1)
	}

	resp, pages = w.pdf(head, "p1")
	if resp.StatusCode != http.StatusOK || !strings.Contains(strings.Join(pages, "\n"), aboutDSL["reference"].(string)) {
		t.Errorf("the Senior DSL's PDF: %d, lacks the concern about the DSL", resp.StatusCode)
	}
	for _, who := range []string{teacher, colleague} {
		w.counter.Reset()
		if resp, _ := w.pdf(who, "p1"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: %d, want 403", who, resp.StatusCode)
		}
		// Refused once the viewer is read: no concern of the record is read for them.
		if got := w.counter.Counts(); got["Query"] > 1 || got["BatchGetItem"] > 1 {
			t.Errorf("%s was refused after %v", who, got)
		}
	}
	if resp, _ := w.pdf(hillDSL, "p1"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another school's DSL: %d, want 403", resp.StatusCode)
	}
	if resp, _ := w.pdf(dsl, "nobody"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("no such pupil: %d, want 404", resp.StatusCode)
	}
	if after := w.items()["audit"]; after != before+2 {
		t.Errorf("%d audit entries, want %d: one for each PDF produced, none for a refusal", after, before+2)
	}
}
