package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

const (
	patchRoute    = "PATCH /api/schools/{school}/families/{id}/contact-details"
	versionsRoute = "GET /api/schools/{school}/families/{id}/contact-details/versions"
)

func (f fixture) patch(t *testing.T, email string, body any, key string) (int, map[string]any) {
	t.Helper()
	return f.call(t, "PATCH", patchRoute, email, map[string]string{"school": brook, "id": "fam-05"}, nil, body, key)
}

func (f fixture) versions(t *testing.T, email string) (int, map[string]any) {
	t.Helper()
	return f.call(t, "GET", versionsRoute, email, map[string]string{"school": brook, "id": "fam-05"}, nil, nil, "")
}

func strs(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

// Rule P4: the office names one new number; the family's address and its other numbers stay
// exactly as they were, though the office never saw them (P3). The answer says what changed
// by label, never a number; a repeated request does the work once. It is one BatchGetItem and
// one TransactWriteItems.
func TestRule_P4_AnOfficeSaveNamingOneNewNumberKeepsTheAddressAndTheOtherNumbers(t *testing.T) {
	f := setup(t)
	_, before := f.view(t, daniel, brook, "fam-05")
	add := map[string]any{"version": 1, "reason": "Gran phoned the office",
		"phones": []any{map[string]any{"label": "Gran, mobile", "number": "07700 900555", "confirmed": true}}}

	f.count.Reset()
	status, body := f.patch(t, grace, add, "p1")
	if status != 200 || body["version"] != float64(2) || body["numbers"] != float64(3) || body["hasAddress"] != true {
		t.Fatalf("patch: %d %v", status, body)
	}
	if got := f.count.Counts(); got["BatchGetItem"] != 1 || got["TransactWriteItems"] != 1 || f.count.Total() != 2 {
		t.Errorf("round trips %v, want one BatchGetItem and one TransactWriteItems", got)
	}
	changes := body["changes"].(map[string]any)
	if !slices.Equal(strs(changes["added"]), []string{"Gran, mobile"}) || !slices.Equal(strs(changes["kept"]), []string{"Kelly Fletcher, mobile", "Dean Fletcher, mobile"}) ||
		changes["address"] != "kept" || changes["summary"] != "adds 1 number, keeps 2 numbers and the address" {
		t.Errorf("changes %v", changes)
	}
	if status, again := f.patch(t, grace, add, "p1"); status != 200 || again["version"] != float64(2) || again["changes"].(map[string]any)["summary"] != changes["summary"] {
		t.Errorf("a repeated request: %d %v", status, again)
	}

	_, after := f.view(t, daniel, brook, "fam-05")
	phones := after["phones"].([]any)
	if after["version"] != float64(2) || len(phones) != 3 {
		t.Fatalf("after: %v", after)
	}
	for i, p := range before["phones"].([]any) {
		if phones[i].(map[string]any)["number"] != p.(map[string]any)["number"] || phones[i].(map[string]any)["confirmedAt"] != p.(map[string]any)["confirmedAt"] {
			t.Errorf("number %d was %v, now %v", i, p, phones[i])
		}
	}
	if a, b := after["address"].(map[string]any), before["address"].(map[string]any); a["postcode"] != b["postcode"] ||
		!slices.Equal(strs(a["lines"]), strs(b["lines"])) {
		t.Errorf("the address was %v, now %v", b, a)
	}
	if p := phones[2].(map[string]any); p["label"] != "Gran, mobile" || p["number"] != "07700 900555" || p["upToDate"] != true {
		t.Errorf("the added number: %v", p)
	}
}

// Rule P4: an explicit removal removes only the number it names, with its reason kept; a
// removal of a number the family does not have, or without a reason, is refused naming the
// field and writes nothing; a stale change is 409; anyone but the office and the DSLs gets 403.
func TestRule_P4_AnExplicitRemovalRemovesOnlyWhatItNames(t *testing.T) {
	f := setup(t)
	for _, c := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"version": 1, "reason": "x", "remove": []any{map[string]any{"label": "Grandad, home", "reason": "moved"}}}, "remove[0].label"},
		{map[string]any{"version": 1, "reason": "x", "remove": []any{map[string]any{"label": "Dean Fletcher, mobile"}}}, "remove[0].reason"},
		{map[string]any{"version": 1, "reason": "x"}, "phones"},
		{map[string]any{"reason": "x", "confirm": []any{"Dean Fletcher, mobile"}}, "version"},
		{map[string]any{"version": 1, "confirm": []any{"Dean Fletcher, mobile"}}, "reason"},
		{map[string]any{"version": 1, "reason": "x", "address": map[string]any{"lines": []any{}}}, "address.lines"},
	} {
		status, body := f.patch(t, grace, c.body, "")
		if status != 400 || !strings.Contains(body["detail"].(string), c.field) {
			t.Errorf("%v: %d %v, want 400 naming %s", c.body, status, body, c.field)
		}
	}
	for _, who := range []string{tom, priya, martin, robert, nobody} {
		if status, _ := f.patch(t, who, map[string]any{"version": 1, "reason": "x", "confirm": []any{"Dean Fletcher, mobile"}}, ""); status != 403 {
			t.Errorf("%s patches: %d, want 403", who, status)
		}
	}
	if vs, _ := f.st.ContactDetailsVersions(t.Context(), brook, "fam-05"); len(vs) != 1 {
		t.Fatalf("refused changes wrote %d versions", len(vs))
	}

	status, body := f.patch(t, grace, map[string]any{"version": 1, "reason": "Dad's phone was stolen",
		"remove": []any{map[string]any{"label": "dean fletcher, MOBILE", "reason": "Phone stolen, no longer in use"}}}, "")
	if status != 200 || body["numbers"] != float64(1) || body["hasAddress"] != true {
		t.Fatalf("removal: %d %v", status, body)
	}
	removed := body["changes"].(map[string]any)["removed"].([]any)
	if len(removed) != 1 || removed[0].(map[string]any)["label"] != "Dean Fletcher, mobile" || removed[0].(map[string]any)["reason"] != "Phone stolen, no longer in use" {
		t.Errorf("removed %v", removed)
	}
	_, now := f.view(t, daniel, brook, "fam-05")
	if phones := now["phones"].([]any); len(phones) != 1 || phones[0].(map[string]any)["label"] != "Kelly Fletcher, mobile" {
		t.Errorf("left %v", phones)
	}
	if status, _ := f.patch(t, grace, map[string]any{"version": 1, "reason": "x", "confirm": []any{"Kelly Fletcher, mobile"}}, ""); status != 409 {
		t.Errorf("a change of version 1 now at 2: %d, want 409", status)
	}
}

// Rules P3, P4: every version of a family's details is read back in order, with who changed
// them, when, why and each removal's reason, by the DSLs and the Senior DSL only; each reading
// is audited, and so is a refused one.
func TestRule_P4_EveryVersionIsReadableInOrderByADSLAndNotByTheOffice(t *testing.T) {
	f := setup(t)
	if status, body := f.patch(t, grace, map[string]any{"version": 1, "reason": "Gran phoned",
		"phones": []any{map[string]any{"label": "Gran, mobile", "number": "07700 900555"}}}, ""); status != 200 {
		t.Fatalf("patch: %d %v", status, body)
	}
	if status, body := f.patch(t, grace, map[string]any{"version": 2, "reason": "Dad moved out",
		"remove": []any{map[string]any{"label": "Dean Fletcher, mobile", "reason": "Asked to be taken off"}}}, ""); status != 200 {
		t.Fatalf("patch: %d %v", status, body)
	}
	for _, who := range []string{grace, tom, priya, martin, robert} {
		if status, _ := f.versions(t, who); status != 403 {
			t.Errorf("%s reads the versions: %d, want 403", who, status)
		}
	}
	for _, who := range []string{daniel, helen} {
		status, body := f.versions(t, who)
		if status != 200 || body["familyId"] != "fam-05" {
			t.Fatalf("%s: %d %v", who, status, body)
		}
		vs := body["versions"].([]any)
		var reasons []string
		for i, v := range vs {
			m := v.(map[string]any)
			if m["version"] != float64(i+1) {
				t.Errorf("version %d is numbered %v", i+1, m["version"])
			}
			reasons = append(reasons, m["reason"].(string))
		}
		if !slices.Equal(reasons, []string{"Data collection sheet, autumn term", "Gran phoned", "Dad moved out"}) {
			t.Errorf("reasons in order: %v", reasons)
		}
		v1, v3 := vs[0].(map[string]any), vs[2].(map[string]any)
		if len(v1["phones"].([]any)) != 2 || len(v3["phones"].([]any)) != 2 || v3["changedBy"] != grace {
			t.Errorf("version 1 %v, version 3 %v", v1, v3)
		}
		if r := v3["removed"].([]any); len(r) != 1 || r[0].(map[string]any)["reason"] != "Asked to be taken off" {
			t.Errorf("version 3 removed %v", r)
		}
	}
	var read, refused []string
	for _, it := range f.audits(t, brook) {
		switch attr(it, "action") {
		case contact.AuditContactsVersionsRead:
			read = append(read, attr(it, "actor"))
		case contact.AuditContactsViewRefused:
			if attr(it, "subject") == "family/fam-05/contact-details/versions" {
				refused = append(refused, attr(it, "actor"))
			}
		}
	}
	slices.Sort(read)
	slices.Sort(refused)
	if !slices.Equal(read, sortedOf(daniel, helen)) || !slices.Equal(refused, sortedOf(grace, martin, priya, tom)) {
		t.Errorf("audited reads %v, refused %v", read, refused)
	}
}

func sortedOf(s ...string) []string {
	slices.Sort(s)
	return s
}
