package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/printout"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// pupilWithEverything gives Ava (p1) a verified file on her concern, a correction of it, an
// action completed with its outcome, the case closed with its reason, a second concern that
// also names Ben (p2) and a call to the family in her chronology. It returns the second
// concern's reference.
func (w *world) pupilWithEverything() string {
	w.t.Helper()
	ctx := context.Background()
	st := store.New(w.db, w.table)
	must(w.t, st.PutPupil(ctx, safeguarding.Pupil{ID: "p2", School: brook, Name: "Ben Brown", FamilyID: "f2"}))
	must(w.t, st.PutUser(ctx, safeguarding.Principal{Email: colleague, Name: "Asha Patel",
		Memberships: map[safeguarding.SchoolID][]safeguarding.Role{brook: {safeguarding.RoleStaff}}}))

	resp, body := w.request(teacher, brook, concernID, pdfRequest(len(pdf)))
	if resp.StatusCode != 201 || upload(w.t, body["uploadUrl"].(string), "application/pdf", pdf) != 200 {
		w.t.Fatalf("uploading: %d %s", resp.StatusCode, resp.Body)
	}
	w.waitChecked()

	cs := concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(), Calendar: safeguarding.Weekdays{}, NewID: store.NewID}
	details := "Ava was upset at break; she said she had no breakfast."
	_, err := cs.Amend(ctx, safeguarding.Caller{Email: teacher, At: at("10:40")}, brook, concernID, 1,
		concerns.Amendment{Reason: "Added what she said", Details: &details}, safeguarding.RequestKey{}, "")
	must(w.t, err)
	cases := casework.Cases{Store: st, Calendar: safeguarding.Weekdays{}, NewID: store.NewID}
	a, err := cases.AddAction(ctx, safeguarding.Caller{Email: dsl, At: at("11:00")}, brook, concernID,
		casework.NewAction{Type: "monitoring", AssigneeEmail: colleague, Notes: "Check Ava has eaten at lunch."}, safeguarding.RequestKey{}, "")
	must(w.t, err)
	_, err = cases.Complete(ctx, safeguarding.Caller{Email: colleague, At: at("13:00")}, brook, a.ID(), "She ate a full lunch.", safeguarding.RequestKey{}, "")
	must(w.t, err)
	_, err = cases.ChangeCase(ctx, safeguarding.Caller{Email: dsl, At: at("14:00")}, brook, concernID, casework.ChangeClose, "",
		"Breakfast club arranged with her mum.", safeguarding.RequestKey{}, "")
	must(w.t, err)

	receipt, err := cs.Record(ctx, safeguarding.Caller{Email: colleague, At: at("14:30")}, brook, concerns.NewConcern{
		Pupils:   []safeguarding.LinkedPupil{{ID: "p1", Role: safeguarding.RoleSubject}, {ID: "p2", Role: safeguarding.RoleInvolved}},
		Category: "behaviour", ObservedAt: at("14:00"), Details: "Ava and another child argued in the line.",
	}, safeguarding.RequestKey{}, "")
	must(w.t, err)

	f := contact.RestoreFamily(contact.FamilySnapshot{ID: "f1", School: brook, Version: 1})
	must(w.t, st.PutFamily(ctx, f))
	next := contact.RestoreFamily(contact.FamilySnapshot{ID: "f1", School: brook, Version: 2})
	must(w.t, st.SaveFamily(ctx, contact.FamilyWrite{Family: next, PrevVersion: 1, Entries: []safeguarding.ChronologyEntry{{
		ID: "call-1", Pupil: "p1", Type: safeguarding.EntryContact, At: at("15:00"), AuthorName: "Tom Jones",
		Summary: "Phoned Ava's mum, who answered.", Visibility: safeguarding.Visibility{School: brook}}},
		Audits: []safeguarding.AuditEntry{{ID: store.NewID(at("15:00")), School: brook, Actor: teacher, Action: "family.changed", At: at("15:00")}}, At: at("15:00")}))
	return receipt.Reference
}

func (w *world) export(email, query string) (httpapi.Response, map[string]any) {
	w.t.Helper()
	return w.do(event("GET", "/api/schools/"+brook+"/pupils/p1/export"+query, email, "", at("16:00"), nil))
}

// The export of everything held about a pupil (rule D10): the chronology in order, every
// concern with every version, its case work and its files, the contact log, the files
// themselves in one archive behind a short-lived link; Ben, the other pupil of a linked
// concern, is "another pupil" unless the DSL chooses to name him; each export is audited (P4);
// a teacher is refused.
func TestRule_D10_P4_TheExportHoldsEverythingAndNamesNoOtherPupil(t *testing.T) {
	w := newWorld(t)
	linked := w.pupilWithEverything()
	before := w.items()["audit"]

	resp, doc := w.export(dsl, "")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the export: %d %s", resp.StatusCode, resp.Body)
	}
	if strings.Contains(resp.Body, "Ben Brown") || strings.Contains(resp.Body, `"p2"`) || strings.Contains(resp.Body, concernID) {
		t.Errorf("the export names the other pupil or shows an internal id:\n%s", resp.Body)
	}
	var got struct {
		Chronology []struct {
			At   time.Time
			Type string
		}
		Concerns []struct {
			Reference string
			Pupils    []struct{ Name, Role string }
			Versions  []struct {
				Version int
				Reason  string
				Details string
			}
			Actions []struct {
				Assignee, Notes, Outcome string
			}
			Decisions []struct{ What, Reason string }
			Files     []struct{ Name, ArchivePath string }
		}
		Contacts []struct{ Summary string }
		Files    []struct{ ArchivePath string }
		Archive  struct {
			URL       string
			ExpiresAt time.Time
			Files     int
		}
	}
	b, _ := json.Marshal(doc)
	must(t, json.Unmarshal(b, &got))
	for i := 1; i < len(got.Chronology); i++ {
		if got.Chronology[i].At.Before(got.Chronology[i-1].At) {
			t.Errorf("the chronology is out of order at %d", i)
		}
	}
	if len(got.Chronology) < 5 || len(got.Concerns) != 2 || len(got.Contacts) != 1 || len(got.Files) != 1 {
		t.Fatalf("the export holds %d entries, %d concerns, %d contacts, %d files:\n%s", len(got.Chronology), len(got.Concerns), len(got.Contacts), len(got.Files), resp.Body)
	}
	first, second := got.Concerns[0], got.Concerns[1]
	if len(first.Versions) != 2 || first.Versions[0].Details != "Ava was upset at break." || first.Versions[1].Reason != "Added what she said" {
		t.Errorf("the first concern's versions: %+v", first.Versions)
	}
	if len(first.Actions) != 1 || first.Actions[0].Assignee != "Asha Patel" || first.Actions[0].Outcome != "She ate a full lunch." ||
		first.Actions[0].Notes != "Check Ava has eaten at lunch." {
		t.Errorf("the first concern's actions: %+v", first.Actions)
	}
	if len(first.Decisions) != 1 || first.Decisions[0].Reason != "Breakfast club arranged with her mum." {
		t.Errorf("the first concern's decisions: %+v", first.Decisions)
	}
	if len(first.Files) != 1 || first.Files[0].Name != "handwritten notes.pdf" {
		t.Errorf("the first concern's files: %+v", first.Files)
	}
	if second.Reference != linked || len(second.Pupils) != 2 || second.Pupils[0].Name != "Ava Brown" || second.Pupils[1].Name != "another pupil" {
		t.Errorf("the linked concern: %+v", second)
	}
	if got.Contacts[0].Summary != "Phoned Ava's mum, who answered." {
		t.Errorf("the contacts: %+v", got.Contacts)
	}
	if got.Archive.URL == "" || got.Archive.Files != 1 || !got.Archive.ExpiresAt.Equal(at("16:00").Add(printout.ArchiveLinkValidity)) {
		t.Fatalf("the archive: %+v", got.Archive)
	}
	zr, body := download(t, got.Archive.URL)
	if zr.StatusCode != 200 {
		t.Fatalf("the archive's link: %d", zr.StatusCode)
	}
	z, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	must(t, err)
	inside := map[string]bool{}
	for _, f := range z.File {
		inside[f.Name] = true
		if f.Name == got.Files[0].ArchivePath {
			r, err := f.Open()
			must(t, err)
			var fb bytes.Buffer
			_, _ = fb.ReadFrom(r)
			if !bytes.Equal(fb.Bytes(), pdf) {
				t.Error("the archived file is not the file uploaded")
			}
		}
	}
	if !inside["export.json"] || !inside["chronology.pdf"] || !inside[got.Files[0].ArchivePath] {
		t.Errorf("the archive holds %v", inside)
	}

	if resp, _ := w.export(dsl, "?names=yes"); resp.StatusCode != 200 || !strings.Contains(resp.Body, "Ben Brown") {
		t.Errorf("named: %d, Ben not named", resp.StatusCode)
	}
	if after := w.items()["audit"]; after != before+2 {
		t.Errorf("%d audit entries, want %d: one for each export", after, before+2)
	}
	if resp, _ := w.export(teacher, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a teacher: %d, want 403", resp.StatusCode)
	}
	if resp, _ := w.export(hillDSL, ""); resp.StatusCode != http.StatusForbidden {
		t.Errorf("another school's DSL: %d, want 403", resp.StatusCode)
	}
	if resp, p := w.export(dsl, "?names=maybe"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Body, "names") {
		t.Errorf("names=maybe: %d %v", resp.StatusCode, p)
	}
	if after := w.items()["audit"]; after != before+2 {
		t.Errorf("%d audit entries, want %d: a refusal exports nothing", after, before+2)
	}
}
