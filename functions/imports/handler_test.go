package main

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

var (
	at  = apitest.At // a school-local time on Monday 23 November 2026
	api = apitest.For("imports")
)

// export is a school's MIS pupil export as a MIS writes it: a byte-order mark, CRLF, quoted
// fields, contacts numbered; Ava and Ben share their mother (the same person, a sibling in
// another class), Cal's mother is a namesake with another number.
const export = "\ufeffUPN,Legal Surname,Legal Forename,Preferred Forename,DOB,Year Group,Reg Group,Attendance %,Leaving Date," +
	"Contact 1 Forename,Contact 1 Surname,Contact 1 Relationship,Contact 1 Responsibility,Contact 1 Priority,Contact 1 Mobile,Contact 1 Email," +
	"Address Line 1,Town,Postcode\r\n" +
	"A100,Brown,Ava,,01/09/2018,Year 3,Acorns,96.5,,Amy,Brown,Mother,Y,1,07700 900751,amy@example.org,\"1 High St, Flat 2\",Leeds,LS1 1AA\r\n" +
	"A101,Brown,Benjamin,Ben,2016-05-04,Year 5,Willows,88,,Amy,Brown,Mother,Y,1,07700900751,,\"1 High St, Flat 2\",Leeds,LS1 1AA\r\n" +
	"A102,Green,Cal,,12/12/2017,Year 4,Rowan,99,,Amy,Brown,Mother,Y,1,07700 900759,,2 Low Rd,Leeds,LS2 2BB\r\n"

type world struct {
	t     *testing.T
	db    *dynamodb.Client
	table string
	st    *store.Store
	h     handler
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	apitest.SeedDemo(t, db, table)
	return &world{t: t, db: db, table: table, st: st, h: handler{imports: imports.Imports{Store: st, NewID: store.NewID}}}
}

// send posts a file as email, with query and headers, and answers the status and body.
func (w *world) send(email, query, file string, headers map[string]string) (int, map[string]any) {
	w.t.Helper()
	h := map[string]string{"Content-Type": "text/csv"}
	for k, v := range headers {
		h[k] = v
	}
	path := "/api/schools/brook-lane/imports"
	if query != "" {
		path += "?" + query
	}
	resp := apitest.Serve(w.t, w.h.serve, api.Event("POST", path, email, file, at("10:00"), h))
	return resp.StatusCode, apitest.Object(w.t, resp)
}

// items counts the table's items of a type.
func (w *world) items(typ string) int {
	w.t.Helper()
	return apitest.CountItems(w.t, w.db, w.table, map[string]string{"type": typ})[typ]
}

func counts(body map[string]any) [5]float64 {
	get := func(k string) float64 { f, _ := body[k].(float64); return f }
	return [5]float64{get("created"), get("updated"), get("unchanged"), get("left"), get("familiesFormed")}
}

// Rule P1's door in: the office previews the file (nothing written), applies it (pupils,
// classes, families, their contact details kept apart, the import audited with the file's
// hash), and applying it again writes nothing but the import's own record.
func TestRule_P1_P3_TheOfficeImportsTheSchoolsExportAndAReImportWritesNothing(t *testing.T) {
	w := newWorld(t)
	apitest.Must(t, w.st.PutClass(context.Background(), seed.BrookLane, "Acorns", []string{apitest.Tom}))
	before := len(apitest.Items(t, w.db, w.table))
	status, body := w.send(apitest.Grace, "mode=preview", export, nil)
	if status != 202 || body["status"] != "done" || body["applied"] != false || counts(body) != [5]float64{3, 0, 0, 0, 1} {
		t.Fatalf("preview: %d %v", status, body)
	}
	if n := len(apitest.Items(t, w.db, w.table)); n != before+2 { // the import's record and its audit entry
		t.Errorf("a preview wrote %d items", n-before)
	}

	status, body = w.send(apitest.Grace, "", export, nil)
	if status != 202 || body["applied"] != true || counts(body) != [5]float64{3, 0, 0, 0, 1} || body["fileHash"] != imports.Hash([]byte(export)) {
		t.Fatalf("import: %d %v", status, body)
	}
	acorns, err := w.st.ClassPupils(context.Background(), seed.BrookLane, "Acorns")
	apitest.Must(t, err)
	var names []string
	for _, p := range acorns {
		if strings.HasPrefix(string(p.ID), "p-") {
			names = append(names, p.Name)
		}
	}
	if strings.Join(names, ",") != "Ava Brown" {
		t.Errorf("Acorns: %v", names)
	}
	// Classes from the registration groups: Rowan is new, without a teacher yet; Acorns keeps Tom.
	classes, err := w.st.Classes(context.Background(), seed.BrookLane)
	apitest.Must(t, err)
	teachers := map[string]string{}
	for _, c := range classes {
		teachers[c.Name] = strings.Join(c.Teachers, ",")
	}
	if got, ok := teachers["Rowan"]; !ok || got != "" || teachers["Acorns"] != apitest.Tom || len(teachers) != 3 {
		t.Errorf("classes %v", teachers)
	}
	ava, err := w.st.Pupils(context.Background(), seed.BrookLane, []safeguarding.PupilID{imports.PupilID(seed.BrookLane, "A100"), imports.PupilID(seed.BrookLane, "A101")})
	apitest.Must(t, err)
	a, b := ava[imports.PupilID(seed.BrookLane, "A100")], ava[imports.PupilID(seed.BrookLane, "A101")]
	if a.DateOfBirth.Format("2006-01-02") != "2018-09-01" || !a.HasAttendance || a.Attendance != 96.5 || b.Name != "Ben Brown" ||
		a.FamilyID == "" || a.FamilyID != b.FamilyID {
		t.Errorf("pupils %+v %+v", a, b)
	}
	// Numbers and addresses only in the family's contact details (P3): never on a pupil or the roll.
	for _, it := range apitest.Items(t, w.db, w.table) {
		typ := apitest.Attr(it, "type")
		for _, v := range it {
			if s, ok := v.(*types.AttributeValueMemberS); ok && strings.Contains(s.Value, "7700900751") && typ != "contacts" && typ != "contacts-version" {
				t.Errorf("a number in a %s item", typ)
			}
		}
	}
	details, err := w.st.ContactDetails(context.Background(), seed.BrookLane, a.FamilyID)
	apitest.Must(t, err)
	if ph := details.Phones(); len(ph) != 1 || ph[0].Number != "+447700900751" || details.Address().Postcode != "LS1 1AA" ||
		details.Version() != 1 || details.Reason() != imports.ContactReason {
		t.Errorf("contact details %+v", details.Snapshot())
	}
	audited := 0
	for _, it := range apitest.Items(t, w.db, w.table) {
		if apitest.Attr(it, "action") == imports.AuditApplied && strings.Contains(apitest.Attr(it, "subject"), imports.Hash([]byte(export))) {
			audited++
		}
	}
	if audited != 1 {
		t.Errorf("%d audit entries of the import with its file's hash", audited)
	}

	before = len(apitest.Items(t, w.db, w.table))
	status, body = w.send(apitest.Grace, "", export, nil)
	if status != 202 || counts(body) != [5]float64{0, 0, 3, 0, 1} {
		t.Fatalf("the same file again: %d %v", status, body)
	}
	if n := len(apitest.Items(t, w.db, w.table)); n != before+2 {
		t.Errorf("the same file again wrote %d items, want the import's record and its audit entry", n-before)
	}
}

// Rules P1 and S7: a pupil leaves by a leaving date that has passed, and with full=true by
// their absence from the file; they leave their class, their record stays.
func TestRule_P1_S7_LeaversByDateAndByAFullFileLeaveTheirClassAndKeepTheirRecord(t *testing.T) {
	w := newWorld(t)
	if status, body := w.send(apitest.Helen, "", export, nil); status != 202 || body["applied"] != true {
		t.Fatalf("import by the Senior DSL: %d %v", status, body)
	}
	lines := strings.Split(export, "\r\n")
	leaving := strings.Replace(lines[1], "96.5,,", "96.5,20/11/2026,", 1)        // Ava left last Friday
	next := strings.Join([]string{lines[0], leaving, lines[2]}, "\r\n") + "\r\n" // Cal is not in the file
	status, body := w.send(apitest.Grace, "full=true&mode=preview", next, nil)
	if status != 202 || counts(body) != [5]float64{0, 0, 1, 2, 0} {
		t.Fatalf("preview of a full file: %d %v", status, body)
	}
	if status, body = w.send(apitest.Grace, "full=true", next, nil); status != 202 || body["left"] != 2.0 {
		t.Fatalf("full file: %d %v", status, body)
	}
	acorns, err := w.st.ClassPupils(context.Background(), seed.BrookLane, "Acorns")
	apitest.Must(t, err)
	for _, p := range acorns {
		if strings.HasPrefix(string(p.ID), "p-") {
			t.Errorf("%s is still in Acorns", p.Name)
		}
	}
	cal := imports.PupilID(seed.BrookLane, "A102")
	got, err := w.st.Pupils(context.Background(), seed.BrookLane, []safeguarding.PupilID{cal})
	apitest.Must(t, err)
	if p := got[cal]; p.Name != "Cal Green" || !p.Left {
		t.Errorf("Cal's record: %+v", p)
	}
}

// The contract of a file with errors: nothing written and applied false, unless the office
// asks for its valid rows; every error by line and field; XML is 415, a body over 4 MB 413,
// and nobody but the office and the Senior DSL imports.
func TestRule_P1_AFileWithErrorsIsAppliedOnlyInItsValidRowsWhenAsked(t *testing.T) {
	w := newWorld(t)
	bad := export + "A103,Grey,Dan,,31/02/2017,Year 4,Acorns,90,,,,,,,,,,,\r\n"
	status, body := w.send(apitest.Grace, "", bad, nil)
	errs, _ := body["errors"].([]any)
	if status != 202 || body["applied"] != false || len(errs) != 1 || w.items("roll") != 0 {
		t.Fatalf("a file with an error: %d %v", status, body)
	}
	if e := errs[0].(map[string]any); e["row"] != 5.0 || e["field"] != "dateOfBirth" {
		t.Errorf("error %v: line 5, the date of birth", e)
	}
	if status, body = w.send(apitest.Grace, "apply=valid-rows", bad, nil); status != 202 || body["applied"] != true || body["created"] != 3.0 {
		t.Errorf("its valid rows: %d %v", status, body)
	}
	if w.items("roll") != 3 {
		t.Errorf("%d pupils on the roll", w.items("roll"))
	}
	if status, _ := w.send(apitest.Grace, "", "<?xml version=\"1.0\"?><CTfile/>", nil); status != 415 {
		t.Errorf("a Common Transfer File: %d", status)
	}
	if status, _ := w.send(apitest.Grace, "", strings.Repeat("x", MaxBody+1), nil); status != 413 {
		t.Errorf("over 4 MB: %d", status)
	}
	for _, email := range []string{apitest.Daniel, apitest.Tom, apitest.Martin, apitest.Robert} {
		if status, _ := w.send(email, "mode=preview", export, nil); status != 403 {
			t.Errorf("%s: %d", email, status)
		}
	}
	if status, body := w.send(apitest.Grace, "mode=later", export, nil); status != 400 || !apitest.NamesField(body, "mode") {
		t.Errorf("a mode that is not one: %d %v", status, body)
	}
}

// failing fails every TransactWriteItems after the first n, as a function that dies half way.
type failing struct {
	*dynamodb.Client
	n atomic.Int32
}

func (f *failing) TransactWriteItems(ctx context.Context, in *dynamodb.TransactWriteItemsInput, opts ...func(*dynamodb.Options)) (*dynamodb.TransactWriteItemsOutput, error) {
	if f.n.Add(-1) < 0 {
		return nil, errors.New("the function stopped")
	}
	return f.Client.TransactWriteItems(ctx, in, opts...)
}

// An import stopped half way is resumed by sending it again with its Idempotency-Key: the
// rest is written, nothing twice, and the answer keeps the counts of the first try.
func TestRule_P1_AnImportStoppedHalfWayResumesWithoutDoublingAnything(t *testing.T) {
	w := newWorld(t)
	var rows []string
	for i := range 120 {
		rows = append(rows, strings.NewReplacer("A100", "B"+itoa(i), "07700 900751", "07700 9"+pad(i), "amy@", "amy"+itoa(i)+"@").Replace(strings.Split(export, "\r\n")[1]))
	}
	file := strings.Split(export, "\r\n")[0] + "\r\n" + strings.Join(rows, "\r\n") + "\r\n"
	families, versions := w.items("family"), w.items("contacts-version")
	stopping := &failing{Client: w.db}
	stopping.n.Store(6)
	broken := handler{imports: imports.Imports{Store: store.New(stopping, w.table), NewID: store.NewID}}
	resp := apitest.Serve(t, broken.serve, api.Event("POST", "/api/schools/brook-lane/imports", apitest.Grace, file, at("10:00"),
		map[string]string{"Content-Type": "text/csv", "Idempotency-Key": "term-start"}))
	if resp.StatusCode != 500 {
		t.Fatalf("the stopped import answered %d", resp.StatusCode)
	}
	// It stopped part way: the families written (six transactions went through), not every
	// pupil on the roll.
	if part, fams := w.items("roll"), w.items("family")-families; part >= 120 || fams == 0 {
		t.Fatalf("%d of 120 pupils and %d families written before it stopped", part, fams)
	}
	status, body := w.send(apitest.Grace, "", file, map[string]string{"Idempotency-Key": "term-start"})
	if status != 202 || body["created"] != 120.0 || body["applied"] != true {
		t.Fatalf("resumed: %d %v", status, body)
	}
	if w.items("roll") != 120 || w.items("family") != families+120 {
		t.Errorf("%d on the roll, %d new families", w.items("roll"), w.items("family")-families)
	}
	if n := w.items("contacts-version") - versions; n != 120 {
		t.Errorf("%d versions of contact details: one each, none twice", n)
	}
}

func itoa(i int) string {
	return string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10))
}

func pad(i int) string { return "00" + itoa(i) }

// Rule P1: a pupil renamed by a re-import is found by the new name and no longer by the
// former one; their sibling keeps the surname and is still found by it.
func TestRule_P1_ARenamedPupilIsFoundByTheNewNameOnly(t *testing.T) {
	w := newWorld(t)
	if status, body := w.send(apitest.Grace, "", export, nil); status != 202 || body["applied"] != true {
		t.Fatalf("import: %d %v", status, body)
	}
	renamed := strings.Replace(export, "A100,Brown,Ava", "A100,Okafor,Ava", 1)
	if status, body := w.send(apitest.Grace, "", renamed, nil); status != 202 || counts(body) != [5]float64{0, 1, 2, 0, 1} {
		t.Fatalf("re-import with Ava renamed: %d %v", status, body)
	}
	found := func(q string) string {
		pupils, err := w.st.SearchPupils(context.Background(), seed.BrookLane, q, 50)
		apitest.Must(t, err)
		var names []string
		for _, p := range pupils {
			if strings.HasPrefix(string(p.ID), "p-") {
				names = append(names, p.Name)
			}
		}
		return strings.Join(names, ",")
	}
	for q, want := range map[string]string{"brown": "Ben Brown", "okafor": "Ava Okafor", "ava": "Ava Okafor", "ava brown": ""} {
		if got := found(q); got != want {
			t.Errorf("search %q found %q, want %q", q, got, want)
		}
	}
}

// Rule P1: the school's latest imports, newest first, to those who import and the DSLs: a
// check (a preview) is not listed, an import with a row in error says how many rows; a
// teacher is refused. One Query of the imports by time (A100).
func TestRule_P1_TheListOfTheSchoolsImports(t *testing.T) {
	w := newWorld(t)
	list := func(who string) (int, []any) {
		t.Helper()
		resp := apitest.Serve(t, w.h.serve, api.Event("GET", "/api/schools/brook-lane/imports", who, "", at("11:00"), nil))
		body := apitest.Object(t, resp)
		items, _ := body["imports"].([]any)
		return resp.StatusCode, items
	}
	if status, items := list(apitest.Grace); status != 200 || len(items) != 0 {
		t.Fatalf("before any import: %d %v", status, items)
	}
	w.send(apitest.Grace, "mode=preview", export, nil)
	if status, _ := w.send(apitest.Grace, "", export, nil); status != 202 {
		t.Fatalf("the import: %d", status)
	}
	bad := strings.Replace(export, "01/09/2018", "31/31/2018", 1)
	if status, body := w.send(apitest.Helen, "apply=valid-rows", bad, map[string]string{"Idempotency-Key": "second"}); status != 202 || body["applied"] != true {
		t.Fatalf("the import with a row in error: %d %v", status, body)
	}
	for _, who := range []string{apitest.Grace, apitest.Helen, apitest.Daniel} {
		status, items := list(who)
		if status != 200 || len(items) != 2 {
			t.Fatalf("%s lists %d: %v", who, len(items), items)
		}
		newest, older := items[0].(map[string]any), items[1].(map[string]any)
		if newest["by"] != apitest.Helen || newest["errorRows"] != float64(1) || older["by"] != apitest.Grace || older["errorRows"] != float64(0) {
			t.Errorf("%s: not newest first, or the rows with errors wrong: %v", who, items)
		}
		if _, has := newest["errors"]; has {
			t.Error("the list carries the row errors")
		}
	}
	if status, _ := list(apitest.Tom); status != 403 {
		t.Errorf("a teacher lists the imports: %d", status)
	}
}
