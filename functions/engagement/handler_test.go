package main

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

// The demo federation's people (infra/local/seed).
var (
	tom      = apitest.Tom
	sam      = apitest.Sam
	dsl      = apitest.Daniel
	head     = apitest.Helen
	office   = apitest.Grace
	priya    = apitest.Priya
	governor = apitest.Martin
	owen     = apitest.Owen
	chloe    = apitest.Chloe
	stranger = apitest.Stranger
)

const (
	brook = string(seed.BrookLane)
	hill  = string(seed.Hillcrest)

	ackRoute      = "POST /api/schools/{school}/engagement"
	familiesRoute = "GET /api/schools/{school}/families"
)

var (
	local = apitest.Local // a Europe/London wall-clock time
	api   = apitest.For("engagement")
)

// classPupils lists the demo pupils of a class, and the families they belong to.
func classPupils(class string) (pupils []string, families []string) {
	for _, p := range seed.Demo().Pupils {
		if p.ClassName == class {
			pupils = append(pupils, string(p.ID))
			if !slices.Contains(families, p.FamilyID) {
				families = append(families, p.FamilyID)
			}
		}
	}
	return pupils, families
}

type world struct {
	t     testing.TB
	db    *dynamodb.Client
	table string
	st    *store.Store
	calls *dynamotest.Counter
	h     handler
}

// newWorld is a fresh table on DynamoDB Local with the demo federation, its classes and its
// family records, and the function's handler as main.go builds it.
func newWorld(t testing.TB) *world {
	t.Helper()
	w := newWorldWithoutClosure(t)
	st := w.st
	// Both schools in a full closure since the start of the autumn term (rule E0), whose look
	// at every family was taken: the escalation job reads only the families due a look.
	for _, sc := range []safeguarding.SchoolID{seed.BrookLane, seed.Hillcrest} {
		apitest.Must(t, st.PutClosure(context.Background(), safeguarding.Closure{ID: "autumn", School: sc, From: local("2026-09-03 00:00"),
			StartedBy: head, StartedAt: local("2026-09-03 08:00"), Swept: true, Version: 1}))
	}
	w.calls.Reset()
	return w
}

// newWorldWithoutClosure is the demo federation with no closure yet: nothing is counted.
func newWorldWithoutClosure(t testing.TB) *world {
	t.Helper()
	db, table, calls := dynamotest.NewCountingClient(t)
	st := store.New(db, table)
	apitest.SeedDemoWithFamilies(t, db, table)
	calls.Reset()
	return &world{t: t, db: db, table: table, st: st, calls: calls, h: newHandler(st)}
}

// event is the API Gateway event of a request to a route with its path parameters, by email
// (no email claim when "") at now.
func event(method, route, email, body string, now time.Time, params map[string]string, headers map[string]string) httpapi.Request {
	return api.Event(method, apitest.Path(route, params), email, body, now, headers)
}

type response struct {
	status      int
	contentType string
	raw         string
	body        map[string]any
}

func (w *world) do(req httpapi.Request) response {
	w.t.Helper()
	resp := apitest.Serve(w.t, w.h.Handle, req)
	return response{status: resp.StatusCode, contentType: resp.Headers["Content-Type"], raw: resp.Body, body: apitest.Object(w.t, resp)}
}

// ack posts a batch of acknowledgements to a school.
func (w *world) ack(email, school, body string, now time.Time, headers map[string]string) response {
	w.t.Helper()
	return w.do(event("POST", ackRoute, email, body, now, map[string]string{"school": school}, headers))
}

// missing lists a school's families with ?status=status ("" for none).
func (w *world) missing(email, school, status string, now time.Time) response {
	w.t.Helper()
	req := event("GET", familiesRoute, email, "", now, map[string]string{"school": school}, nil)
	if status != "" {
		req.QueryStringParameters = map[string]string{"status": status}
	}
	return w.do(req)
}

// acks builds an acknowledgements body: each entry "familyId=fam-03" or "pupilId=bl-04", all
// at the same time and of the same kind.
func acks(at time.Time, kind string, who ...string) string {
	var list []string
	for _, w := range who {
		field, id, _ := strings.Cut(w, "=")
		list = append(list, fmt.Sprintf(`{%q:%q,"at":%q,"kind":%q}`, field, id, at.UTC().Format(time.RFC3339), kind))
	}
	return `{"acknowledgements":[` + strings.Join(list, ",") + `]}`
}

// snapshot is every item of the table, each as one canonical line, in order: two equal
// snapshots mean nothing was written in between. (Tests only: the product never scans.)
func (w *world) snapshot() []string {
	w.t.Helper()
	var out []string
	for _, it := range apitest.Items(w.t, w.db, w.table) {
		b, _ := json.Marshal(plain(&types.AttributeValueMemberM{Value: it}))
		out = append(out, string(b))
	}
	sort.Strings(out)
	return out
}

// plain turns an attribute value into plain Go values (maps marshal with sorted keys).
func plain(v types.AttributeValue) any {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return v.Value
	case *types.AttributeValueMemberN:
		return "N" + v.Value
	case *types.AttributeValueMemberBOOL:
		return v.Value
	case *types.AttributeValueMemberNULL:
		return nil
	case *types.AttributeValueMemberL:
		out := make([]any, len(v.Value))
		for i, e := range v.Value {
			out[i] = plain(e)
		}
		return out
	case *types.AttributeValueMemberM:
		out := map[string]any{}
		for k, e := range v.Value {
			out[k] = plain(e)
		}
		return out
	case *types.AttributeValueMemberSS:
		return v.Value
	}
	return fmt.Sprintf("%T", v)
}

// items counts the table's items by type, and outbox items and chronology entries by kind.
func (w *world) items() map[string]int {
	w.t.Helper()
	return apitest.CountItems(w.t, w.db, w.table, map[string]string{"outbox": "kind", "chronology": "entryType", "audit": "action"})
}

// writes is how many write calls the handler made since the last Reset of the counter.
func (w *world) writes() int {
	n := 0
	for op, c := range w.calls.Counts() {
		if strings.Contains(op, "Put") || strings.Contains(op, "Write") || strings.Contains(op, "Update") || strings.Contains(op, "Delete") {
			n += c
		}
	}
	return n
}

func (w *world) family(school, id string) contact.Family {
	w.t.Helper()
	_, f, err := w.st.Family(context.Background(), dsl, safeguarding.SchoolID(school), id)
	if err != nil {
		w.t.Fatal(err)
	}
	return f
}

// escalate runs the escalation job for every school at 05:30 on a local date, one school at a
// time as its SQS worker does (the same domain and store code).
func (w *world) escalate(date string) {
	w.t.Helper()
	ctx := context.Background()
	job := engagement.FamilyEscalation{Store: w.st, BankHolidays: calendar.EnglandAndWales(), NewID: store.NewID}
	schools, err := w.st.EscalationSchools(ctx)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, s := range schools {
		if _, err := job.RunSchool(ctx, s, local(date+" 05:30")); err != nil {
			w.t.Fatal(err)
		}
	}
}

// familiesOf returns the "families" list of an answer.
func familiesOf(t testing.TB, r response) []map[string]any {
	t.Helper()
	list, ok := r.body["families"].([]any)
	if !ok {
		t.Fatalf("no families list in %d %s", r.status, r.raw)
	}
	out := make([]map[string]any, len(list))
	for i, f := range list {
		out[i] = f.(map[string]any)
	}
	return out
}

// isProblem checks an answer is an RFC 9457 problem of status.
func isProblem(t testing.TB, name string, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: %d %s, want %d", name, r.status, r.raw, status)
		return
	}
	if r.contentType != "application/problem+json" {
		t.Errorf("%s: content type %q, want application/problem+json", name, r.contentType)
	}
	if r.body["status"] != float64(status) || r.body["title"] == "" || r.body["detail"] == "" {
		t.Errorf("%s: problem %s lacks status, title or detail", name, r.raw)
	}
}

// namesField reports whether a problem lists field among its errors.
func namesField(r response, field string) bool { return apitest.NamesField(r.body, field) }

func TestRule_E1_ATeacherMarksTheirWholeClassInOneBatch(t *testing.T) {
	w := newWorld(t)
	pupils, families := classPupils("Acorns")
	if len(pupils) < 4 || len(families) != len(pupils) {
		t.Fatalf("the demo's Acorns: pupils %v, families %v", pupils, families)
	}
	var who []string
	for _, p := range pupils {
		who = append(who, "pupilId="+p)
	}
	at := local("2026-11-23 15:30")
	r := w.ack(tom, brook, acks(at, contact.AckThumbsUp, who...), local("2026-11-23 16:00"), map[string]string{"Idempotency-Key": "acorns-23"})
	if r.status != 200 || r.body["acknowledgements"] != float64(len(pupils)) {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	got := familiesOf(t, r)
	if len(got) != len(families) {
		t.Fatalf("%d families in the answer, want %d: %s", len(got), len(families), r.raw)
	}
	for i, f := range got {
		if f["id"] != families[i] || f["status"] != "engaged" || f["lastAcknowledgedAt"] != at.UTC().Format(time.RFC3339) ||
			f["lastAcknowledgedHow"] != "thumbs-up" || f["version"] != float64(1) || f["reference"] != "FAM-"+strings.TrimPrefix(strings.ToUpper(families[i]), "FAM-") {
			t.Errorf("family %d: %v", i, f)
		}
	}
	// A class in a handful of round trips, not one per pupil: the caller, school, request and
	// pupils in one BatchGetItem, the caller's classes in one Query, the families in one
	// BatchGetItem, then a transaction per family with its audit entry (P4) and one for the
	// batch's audit entry and the key.
	want := map[string]int{"BatchGetItem": 2, "Query": 1, "TransactWriteItems": len(families) + 1}
	if got := w.calls.Counts(); !mapsEqual(got, want) {
		t.Errorf("calls %v, want %v", got, want)
	}
	items := w.items()
	if items["audit:"+engagement.AuditAcknowledged] != len(families)+1 || items["request"] != 1 {
		t.Errorf("items %v: want an audit entry per family and one for the batch, and one idempotency record", items)
	}
	for _, id := range families {
		if f := w.family(brook, id); !f.LastContactAt().Equal(at) || f.NextLook().IsZero() {
			t.Errorf("stored family %s: %+v", id, f)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestRule_E1_SiblingsCountOncePerFamilyAndTheNewestAcknowledgementWins(t *testing.T) {
	w := newWorld(t)
	// fam-03: Zofia (bl-04) and Jakub (bl-05) Kowalski, both in Willows, Daniel's class.
	body := `{"acknowledgements":[
		{"pupilId":"bl-04","at":"2026-11-23T10:00:00Z","kind":"thumbs-up"},
		{"familyId":"fam-03","at":"2026-11-23T09:00:00Z","kind":"work-seen"},
		{"pupilId":"bl-05","at":"2026-11-23T11:00:00Z","kind":"message"}]}`
	r := w.ack(dsl, brook, body, local("2026-11-23 16:00"), nil)
	if r.status != 200 || r.body["acknowledgements"] != float64(3) {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	got := familiesOf(t, r)
	if len(got) != 1 || got[0]["id"] != "fam-03" || got[0]["lastAcknowledgedAt"] != "2026-11-23T11:00:00Z" ||
		got[0]["lastAcknowledgedHow"] != "message" || got[0]["version"] != float64(1) {
		t.Fatalf("families %v: want fam-03 once, at its newest acknowledgement, changed once", got)
	}
	if ids := got[0]["pupilIds"].([]any); len(ids) != 2 || ids[0] != "bl-04" || ids[1] != "bl-05" {
		t.Errorf("pupilIds %v", ids)
	}
	// An older acknowledgement afterwards changes nothing (a repeated batch is harmless).
	w.calls.Reset()
	r = w.ack(dsl, brook, acks(local("2026-11-23 08:00"), "thumbs-up", "pupilId=bl-04"), local("2026-11-23 16:05"), nil)
	if r.status != 200 || familiesOf(t, r)[0]["version"] != float64(1) || w.calls.Count("TransactWriteItems") != 1 {
		t.Errorf("an older acknowledgement: %d %s, %v calls", r.status, r.raw, w.calls.Counts())
	}
}

func TestIdempotencyKeyReplaysTheFirstAnswerAndRefusesAnotherBody(t *testing.T) {
	w := newWorld(t)
	key := map[string]string{"Idempotency-Key": "batch-7"}
	body := acks(local("2026-11-23 15:00"), "thumbs-up", "familyId=fam-03", "pupilId=bl-09")
	first := w.ack(dsl, brook, body, local("2026-11-23 16:00"), key)
	if first.status != 200 {
		t.Fatalf("%d %s", first.status, first.raw)
	}
	before := w.items()
	again := w.ack(dsl, brook, body, local("2026-11-23 16:01"), key)
	if again.status != first.status || again.raw != first.raw {
		t.Errorf("replay: %d %s\nfirst: %d %s", again.status, again.raw, first.status, first.raw)
	}
	after := w.items()
	if after["family"] != before["family"] || after["request"] != 1 || after["chronology"] != before["chronology"] {
		t.Errorf("items before %v after %v", before, after)
	}
	if f := w.family(brook, "fam-03"); f.Version() != 1 {
		t.Errorf("the replay changed the family: version %d", f.Version())
	}
	snap := w.snapshot()
	other := w.ack(dsl, brook, acks(local("2026-11-23 15:10"), "thumbs-up", "familyId=fam-03"), local("2026-11-23 16:02"), key)
	isProblem(t, "same key, another body", other, 422)
	if !slices.Equal(w.snapshot(), snap) {
		t.Error("a refused reuse of the key wrote something")
	}
	// The key is the caller's own: another DSL's request with the same key is a new request.
	if r := w.ack(head, brook, acks(local("2026-11-23 15:20"), "message", "familyId=fam-03"), local("2026-11-23 16:03"), key); r.status != 200 {
		t.Errorf("the Senior DSL with the same key: %d %s", r.status, r.raw)
	}
}

func TestAcknowledgementsRefusedWithAProblemWriteNothing(t *testing.T) {
	w := newWorld(t)
	now := local("2026-11-23 16:00")
	ok := `{"familyId":"fam-03","at":"2026-11-23T15:00:00Z","kind":"thumbs-up"}`
	many := strings.Repeat(ok+",", contact.MaxAcknowledgements) + ok
	huge := `{"acknowledgements":[` + strings.Repeat(ok+",", 1200) + ok + `]}`
	for _, tc := range []struct {
		name, body string
		headers    map[string]string
		status     int
		field      string // a field the problem must name, if any
	}{
		{"malformed JSON", `{"acknowledgements":[`, nil, 400, ""},
		{"not JSON", `thumbs up`, nil, 400, ""},
		{"empty body", ``, nil, 400, ""},
		{"two JSON values", `{"acknowledgements":[` + ok + `]}{}`, nil, 400, ""},
		{"a list, not an object", `[` + ok + `]`, nil, 400, ""},
		{"unknown field", `{"acknowledgements":[` + ok + `],"class":"Willows"}`, nil, 400, "class"},
		{"unknown field in an entry", `{"acknowledgements":[{"familyId":"fam-03","at":"2026-11-23T15:00:00Z","kind":"thumbs-up","pupil":"x"}]}`, nil, 400, "pupil"},
		{"acknowledgements not a list", `{"acknowledgements":` + ok + `}`, nil, 400, "acknowledgements"},
		{"familyId a number", `{"acknowledgements":[{"familyId":3,"at":"2026-11-23T15:00:00Z","kind":"thumbs-up"}]}`, nil, 400, "acknowledgements.familyId"},
		{"at a number", `{"acknowledgements":[{"familyId":"fam-03","at":1763910000,"kind":"thumbs-up"}]}`, nil, 400, "acknowledgements.at"},
		{"kind a list", `{"acknowledgements":[{"familyId":"fam-03","at":"2026-11-23T15:00:00Z","kind":["thumbs-up"]}]}`, nil, 400, "acknowledgements.kind"},
		{"pupilId an object", `{"acknowledgements":[{"pupilId":{"id":"bl-04"},"at":"2026-11-23T15:00:00Z","kind":"thumbs-up"}]}`, nil, 400, "acknowledgements.pupilId"},
		{"at not a date and time", `{"acknowledgements":[{"familyId":"fam-03","at":"yesterday","kind":"thumbs-up"}]}`, nil, 400, "acknowledgements.at"},
		{"at missing", `{"acknowledgements":[{"familyId":"fam-03","kind":"thumbs-up"}]}`, nil, 400, "acknowledgements.at"},
		{"at in the future", acks(now.Add(time.Hour), "thumbs-up", "familyId=fam-03"), nil, 400, "acknowledgements[0].at"},
		{"unknown kind", acks(now.Add(-time.Hour), "wave", "familyId=fam-03"), nil, 400, "acknowledgements[0].kind"},
		{"no acknowledgements", `{"acknowledgements":[]}`, nil, 400, "acknowledgements"},
		{"more than a class", `{"acknowledgements":[` + many + `]}`, nil, 400, "acknowledgements"},
		{"neither family nor pupil", `{"acknowledgements":[{"at":"2026-11-23T15:00:00Z","kind":"thumbs-up"}]}`, nil, 400, "acknowledgements[0]"},
		{"unknown family", acks(now.Add(-time.Hour), "thumbs-up", "familyId=fam-03", "familyId=fam-99"), nil, 400, "acknowledgements[1]"},
		{"unknown pupil", acks(now.Add(-time.Hour), "thumbs-up", "familyId=fam-03", "pupilId=bl-99"), nil, 400, "acknowledgements[1]"},
		{"a pupil of another school", acks(now.Add(-time.Hour), "thumbs-up", "familyId=fam-03", "pupilId=hc-01"), nil, 400, "acknowledgements[1]"},
		{"a family only at another school", acks(now.Add(-time.Hour), "thumbs-up", "familyId=fam-03", "familyId=fam-12"), nil, 400, "acknowledgements[1]"},
		{"a family id with a key separator", acks(now.Add(-time.Hour), "thumbs-up", "familyId=fam-03#FAMILY"), nil, 400, "acknowledgements[0]"},
		{"body over the limit", huge, nil, 413, ""},
		{"not JSON content", ok, map[string]string{"Content-Type": "text/plain"}, 415, ""},
		{"an Idempotency-Key too long", `{"acknowledgements":[` + ok + `]}`, map[string]string{"Idempotency-Key": strings.Repeat("k", 129)}, 400, "Idempotency-Key"},
	} {
		snap := w.snapshot()
		w.calls.Reset()
		r := w.ack(dsl, brook, tc.body, now, tc.headers)
		isProblem(t, tc.name, r, tc.status)
		if tc.field != "" && !namesField(r, tc.field) {
			t.Errorf("%s: the problem %s does not name the field %s", tc.name, r.raw, tc.field)
		}
		if n := w.writes(); n != 0 {
			t.Errorf("%s: %d writes %v", tc.name, n, w.calls.Counts())
		}
		if !slices.Equal(w.snapshot(), snap) {
			t.Errorf("%s: the table changed", tc.name)
		}
	}
	if len(huge) <= httpapi.MaxBody {
		t.Fatalf("the oversized body is %d bytes", len(huge))
	}
	// Base64 that is not: a 400, nothing written.
	req := event("POST", ackRoute, dsl, "%%%", now, map[string]string{"school": brook}, nil)
	req.IsBase64Encoded = true
	isProblem(t, "bad base64", w.do(req), 400)
	// No email claim: 401.
	isProblem(t, "no email claim", w.ack("", brook, `{"acknowledgements":[`+ok+`]}`, now, nil), 401)
	if f := w.family(brook, "fam-03"); f.Version() != 0 || !f.LastContactAt().IsZero() {
		t.Fatalf("a refused batch changed fam-03: %+v", f)
	}
	// The control: the same valid entry on its own is accepted.
	if r := w.ack(dsl, brook, `{"acknowledgements":[`+ok+`]}`, now, nil); r.status != 200 {
		t.Errorf("the valid entry alone: %d %s", r.status, r.raw)
	}
}

func TestRule_P2_E1_WhoMayRecordAcknowledgements(t *testing.T) {
	w := newWorld(t)
	now := local("2026-11-23 16:00")
	for i, tc := range []struct {
		name, who, school, ack string
		status                 int
	}{
		{"a teacher, a family of their class", tom, brook, "familyId=fam-05", 200},
		{"a teacher, a pupil of their class", tom, brook, "pupilId=bl-07", 200},
		// fam-06: Lan in Acorns (Tom's) and Minh in Willows: the family is Tom's through Lan.
		{"a teacher, a sibling in another class", tom, brook, "pupilId=bl-08", 200},
		{"a teacher, a family of another class", tom, brook, "familyId=fam-03", 403},
		{"a teacher, their class and another's in one batch", tom, brook, "familyId=fam-05,familyId=fam-03", 403},
		{"staff with no class", priya, brook, "familyId=fam-05", 403},
		{"a governor", governor, brook, "familyId=fam-05", 403},
		{"the office, any family", office, brook, "familyId=fam-03", 200},
		{"a DSL, any family", dsl, brook, "familyId=fam-11", 200},
		{"the Senior DSL, any family", head, brook, "familyId=fam-09", 200},
		{"another school's teacher", owen, brook, "familyId=fam-05", 403},
		{"another school's DSL", chloe, brook, "familyId=fam-05", 403},
		{"someone with no profile", stranger, brook, "familyId=fam-05", 403},
		{"a teacher in both schools, a class not theirs here", sam, brook, "pupilId=bl-04", 403},
		{"a teacher in both schools, DSL in the other", sam, hill, "familyId=fam-12", 200},
		{"a Brook Lane pupil named at Hillcrest", sam, hill, "pupilId=bl-04", 400},
	} {
		at := now.Add(time.Duration(i-60) * time.Minute) // each case newer than the last
		snap := w.snapshot()
		r := w.ack(tc.who, tc.school, acks(at, "thumbs-up", strings.Split(tc.ack, ",")...), now, nil)
		if tc.status == 200 {
			if r.status != 200 {
				t.Errorf("%s: %d %s", tc.name, r.status, r.raw)
			} else if fs := familiesOf(t, r); len(fs) != 1 || fs[0]["lastAcknowledgedAt"] != at.UTC().Format(time.RFC3339) {
				t.Errorf("%s: not recorded: %s", tc.name, r.raw)
			}
			continue
		}
		isProblem(t, tc.name, r, tc.status)
		if !slices.Equal(w.snapshot(), snap) {
			t.Errorf("%s: a refused batch wrote something", tc.name)
		}
	}
}

func TestRule_E2_E6_TheMissingFamiliesViewAndAnAcknowledgementEndingMissing(t *testing.T) {
	w := newWorld(t)
	// fam-03 acknowledged on Friday 6 Nov (missing on Tuesday 17), fam-06 on Monday 9 Nov
	// (missing on Wednesday 18), fam-05 on Monday 16 (not missing).
	for _, a := range []struct{ fam, at string }{{"fam-03", "2026-11-06 15:00"}, {"fam-06", "2026-11-09 15:00"}, {"fam-05", "2026-11-16 15:00"}} {
		if r := w.ack(dsl, brook, acks(local(a.at), "thumbs-up", "familyId="+a.fam), local(a.at).Add(time.Hour), nil); r.status != 200 {
			t.Fatalf("%d %s", r.status, r.raw)
		}
	}
	if r := w.missing(dsl, brook, "missing", local("2026-11-16 10:00")); r.status != 200 || strings.TrimSpace(r.raw) != `{"families":[]}` {
		t.Errorf("none missing yet: %d %s", r.status, r.raw)
	}
	w.escalate("2026-11-17")
	w.escalate("2026-11-18")

	now := local("2026-11-18 10:00")
	before := w.items()["audit:"+engagement.AuditFamiliesRead]
	r := w.missing(dsl, brook, "missing", now)
	if r.status != 200 || r.contentType != "application/json" {
		t.Fatalf("%d %q %s", r.status, r.contentType, r.raw)
	}
	got := familiesOf(t, r)
	if len(got) != 2 {
		t.Fatalf("families %s: want fam-03 and fam-06", r.raw)
	}
	// The contract of DESIGN.md: {"families": [{"id", "missingSince", "schoolDaysSilent"}]},
	// longest missing first.
	for i, want := range []struct {
		id     string
		since  time.Time
		silent float64
	}{{"fam-03", local("2026-11-17 05:30"), 7}, {"fam-06", local("2026-11-18 05:30"), 6}} {
		f := got[i]
		since, err := time.Parse(time.RFC3339, fmt.Sprint(f["missingSince"]))
		if f["id"] != want.id || err != nil || !since.Equal(want.since) || f["schoolDaysSilent"] != want.silent {
			t.Errorf("family %d: %v; want %s missing since %s, %v school days silent", i, f, want.id, want.since, want.silent)
		}
		if f["status"] != "missing" || f["nextDue"] != "phone-call" || f["callDueAt"] == nil {
			t.Errorf("family %d: %v", i, f)
		}
		for _, k := range []string{"name", "surname", "phones", "carers", "address"} {
			if _, ok := f[k]; ok {
				t.Errorf("family %d carries %s", i, k)
			}
		}
	}
	if n := w.items()["audit:"+engagement.AuditFamiliesRead]; n != before+1 {
		t.Errorf("%d audit entries of the read, want %d (rule P4)", n, before+1)
	}
	// No status lists the same; another status is refused.
	if r := w.missing(head, brook, "", now); r.status != 200 || len(familiesOf(t, r)) != 2 {
		t.Errorf("no status, Senior DSL: %d %s", r.status, r.raw)
	}
	isProblem(t, "status=engaged", w.missing(dsl, brook, "engaged", now), 400)
	for _, who := range []string{tom, priya, office, governor, chloe, owen, stranger} {
		isProblem(t, "the families view for "+who, w.missing(who, brook, "missing", now), 403)
	}
	// rule E6: Tom acknowledges for Lan (Acorns); it counts for the whole of fam-06, Minh too.
	r = w.ack(tom, brook, acks(local("2026-11-18 14:00"), "work-seen", "pupilId=bl-09"), local("2026-11-18 15:00"), nil)
	if r.status != 200 || familiesOf(t, r)[0]["status"] != "engaged" {
		t.Fatalf("%d %s", r.status, r.raw)
	}
	if got := familiesOf(t, w.missing(dsl, brook, "missing", local("2026-11-18 15:05"))); len(got) != 1 || got[0]["id"] != "fam-03" {
		t.Errorf("after fam-06's acknowledgement: %v", got)
	}
	items := w.items()
	if items["chronology:contact_restored"] != 2 || items["chronology:missing"] != 4 {
		t.Errorf("chronology %v: want fam-06's two children restored, four missing entries", items)
	}
	if f := w.family(brook, "fam-06"); f.CallKey() != "" || f.Status() != contact.FamilyEngaged || f.NextLook().IsZero() {
		t.Errorf("fam-06 after: %+v", f)
	}
}
