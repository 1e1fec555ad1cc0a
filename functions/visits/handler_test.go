package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
)

func TestRule_V1_V2_PlannedWithTwoStaffShownToTheLineManagerAndStartedOnlyOnceAuthorised(t *testing.T) {
	w := newWorld(t)
	before := w.items()
	w.counter.Reset()
	status, v := w.call("POST", visitsPath, dsl, planBody(family, "2027-03-01T10:00:00Z", "2027-03-01T11:00:00Z"), "2027-02-26 15:00")
	if status != 201 || v["status"] != "planned" || v["reference"] == "" || fmt.Sprint(v["pupilIds"]) != "[bl-02 bl-03]" {
		t.Fatalf("plan: %d %v", status, v)
	}
	if v["reason"] != "No answer to three calls this week." {
		t.Errorf("the plan's reason (V1) answered as %v", v["reason"])
	}
	if n := w.counter.Count("TransactWriteItems"); n != 1 || w.counter.Count("BatchGetItem") != 1 {
		t.Errorf("plan took %v: want one BatchGetItem and one TransactWriteItems", w.counter.Counts())
	}
	got := diff(before, w.items())
	// The audit entry names both children: the second is found through its index item (P4).
	want := map[string]int{"visit": 1, "chronology": 2, "chronology:visit": 2, "audit": 1, "audit:visit.planned": 1, "audit-ref": 1,
		"outbox": 2, "outbox:visit-planned": 1, "outbox:visit-authorisation": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("plan wrote %v, want %v", got, want)
	}
	if a := w.alerts("visit-planned"); len(a) != 1 || a[0] != "line_manager "+sam+" email normal" {
		t.Errorf("the line manager's alert: %v", a)
	}
	id := v["id"].(string)
	path := visitsPath + "/" + id

	// V1: no start before the Senior DSL authorises it, whoever asks, and nothing is written.
	w.ok("POST", path+"/call-ahead", priya, `{"outcome":"no-answer","notes":"Left a voicemail."}`, "2027-03-01 09:30")
	before = w.items()
	if status, body := w.call("POST", path+"/start", tom, "", "2027-03-01 09:55"); status != 400 || !problemOn(body, "status") {
		t.Errorf("start unauthorised: %d %v", status, body)
	}
	if status, _ := w.call("POST", path+"/authorise", dsl, "", "2027-03-01 09:56"); status != 403 {
		t.Errorf("a DSL authorised: %d", status)
	}
	if d := diff(before, w.items()); len(d) != 0 {
		t.Errorf("refused requests wrote %v", d)
	}
	v = w.ok("POST", path+"/authorise", head, "", "2027-03-01 09:57")
	if v["status"] != "authorised" || v["authorisedBy"] != head {
		t.Errorf("authorised: %v", v)
	}
	if status, _ := w.call("POST", path+"/authorise", head, "", "2027-03-01 09:57"); status != 409 {
		t.Errorf("authorised twice: %d", status)
	}

	// V2: not with one member of staff.
	if status, body := w.call("POST", path+"/start", tom, `{"staffEmails":["`+tom+`"]}`, "2027-03-01 09:58"); status != 400 || !problemOn(body, "staffEmails") {
		t.Errorf("start alone: %d %v", status, body)
	}
	before = w.items()
	v = w.ok("POST", path+"/start", tom, "", "2027-03-01 09:59")
	if v["status"] != "in-progress" || fmt.Sprint(v["staffPresent"]) != fmt.Sprint([]string{tom, priya}) {
		t.Errorf("started: %v", v)
	}
	if c := v["checkout"].(map[string]any); c["dueAt"] != "2027-03-01T11:30:00Z" || c["open"] != true {
		t.Errorf("check-out due %v", c)
	}
	if got := diff(before, w.items()); got["visit-due"] != 3 || got["outbox:visit-started"] != 1 || got["chronology:visit"] != 2 {
		t.Errorf("start wrote %v: want three due items, the line manager told, an entry per child", got)
	}
}

func TestRule_V2_TheLineManagerSeesTheAddressAndEveryViewIsAudited(t *testing.T) {
	w := newWorld(t)
	id := w.plan("2027-02-26 15:00")
	path := visitsPath + "/" + id
	before := w.items()
	v := w.ok("GET", path, sam, "", "2027-02-26 15:30")
	addr, _ := v["address"].(map[string]any)
	if addr == nil || len(addr["lines"].([]any)) == 0 || addr["postcode"] == "" {
		t.Fatalf("the line manager does not see the address: %v", v)
	}
	if v["plannedStart"] != "2027-03-01T10:00:00Z" || fmt.Sprint(v["staffEmails"]) != fmt.Sprint([]string{tom, priya}) {
		t.Errorf("the line manager does not see when and who: %v", v)
	}
	if got := diff(before, w.items()); got["audit:visit.read"] != 1 || got["audit:visit.address-viewed"] != 1 {
		t.Errorf("a read wrote %v: want the read and the view of the address audited", got)
	}
	for _, tc := range []struct {
		who    string
		status int
	}{{tom, 200}, {dsl, 200}, {head, 200}, {gov, 404}, {office, 404}, {chloe, 403}} {
		if status, _ := w.call("GET", path, tc.who, "", "2027-02-26 15:31"); status != tc.status {
			t.Errorf("%s: %d, want %d", tc.who, status, tc.status)
		}
	}
	if status, _ := w.call("GET", visitsPath+"/01JNOSUCHVISIT000000000000", dsl, "", "2027-02-26 15:32"); status != 404 {
		t.Errorf("no such visit: %d", status)
	}
	if status, _ := w.call("GET", visitsPath+"/..%2Fx", dsl, "", "2027-02-26 15:32"); status != 404 {
		t.Errorf("a malformed id: %d", status)
	}
	// The list shows the visit to those on it, never an address.
	_, list := w.call("GET", visitsPath, sam, "", "2027-02-26 15:33")
	if l := list["visits"].([]any); len(l) != 1 || l[0].(map[string]any)["address"] != nil {
		t.Errorf("the line manager's list: %v", l)
	}
	_, list = w.call("GET", visitsPath, office, "", "2027-02-26 15:33")
	if l := list["visits"].([]any); len(l) != 0 {
		t.Errorf("the office sees visitsPath it is not on: %v", l)
	}
}

func TestRule_V3_AFamilyThatDeclinesIsBlockedUntilADSLLiftsIt(t *testing.T) {
	w := newWorld(t)
	first := w.plan("2027-02-26 15:00")
	second := w.plan("2027-02-26 15:05")
	for _, id := range []string{first, second} {
		w.ok("POST", visitsPath+"/"+id+"/authorise", head, "", "2027-02-26 16:00")
	}
	if status, body := w.call("POST", visitsPath+"/"+first+"/start", tom, "", "2027-03-01 09:55"); status != 400 || !problemOn(body, "calledAhead") {
		t.Errorf("start without calling ahead: %d %v", status, body)
	}
	w.ok("POST", visitsPath+"/"+first+"/call-ahead", tom, `{"outcome":"agreed"}`, "2027-03-01 09:00")
	v := w.ok("POST", visitsPath+"/"+second+"/call-ahead", priya, `{"outcome":"declined","notes":"Please do not come."}`, "2027-03-01 09:10")
	if v["status"] != "declined" {
		t.Fatalf("declined: %v", v)
	}
	if a := w.alerts("visit-declined"); len(a) != 1 || a[0] != "dsl "+dsl+" email normal" {
		t.Errorf("the DSLs are not told: %v", a)
	}
	// Staff do not persist: the visit planned before the decline cannot start either (the
	// block is checked in the start's own transaction), and no new one can be planned.
	if status, body := w.call("POST", visitsPath+"/"+first+"/start", tom, "", "2027-03-01 09:55"); status != 400 || !problemOn(body, "familyId") {
		t.Errorf("started after the family declined: %d %v", status, body)
	}
	if status, body := w.call("POST", visitsPath, dsl, planBody(family, "2027-03-08T10:00:00Z", "2027-03-08T11:00:00Z"), "2027-03-01 12:00"); status != 400 || !problemOn(body, "familyId") {
		t.Errorf("planned after the family declined: %d %v", status, body)
	}
	lift := "/api/schools/brook-lane/families/" + family + "/visit-block/lift"
	if status, _ := w.call("POST", lift, tom, `{"reason":"x"}`, "2027-03-02 09:00"); status != 403 {
		t.Errorf("a teacher lifted the block: %d", status)
	}
	if status, _ := w.call("POST", lift, dsl, `{"reason":""}`, "2027-03-02 09:00"); status != 400 {
		t.Errorf("lifted without a reason: %d", status)
	}
	before := w.items()
	b := w.ok("POST", lift, dsl, `{"reason":"Mum phoned to ask for a visit."}`, "2027-03-02 09:00")
	if b["blocked"] != false || len(b["history"].([]any)) != 2 {
		t.Errorf("lifted: %v", b)
	}
	if got := diff(before, w.items()); got["chronology:visit"] != 2 || got["audit:visit-block.lifted"] != 1 {
		t.Errorf("the lift wrote %v", got)
	}
	if status, _ := w.call("POST", lift, dsl, `{"reason":"again"}`, "2027-03-02 09:01"); status != 409 {
		t.Errorf("lifted twice: %d", status)
	}
	if status, _ := w.call("POST", visitsPath, dsl, planBody(family, "2027-03-08T10:00:00Z", "2027-03-08T11:00:00Z"), "2027-03-02 12:00"); status != 201 {
		t.Errorf("planned after the lift: %d", status)
	}
}

func TestRule_V4_V5_TheDoorstepRecordAndAnImmediateConcernInOneTransaction(t *testing.T) {
	w := newWorld(t)
	id := w.started()
	path := visitsPath + "/" + id
	if status, body := w.call("POST", path+"/doorstep", tom, `{"children":[{"pupilId":"bl-02","seen":true}]}`, "2027-03-01 10:10"); status != 400 || !problemOn(body, "children") {
		t.Errorf("a child left out: %d %v", status, body)
	}
	if status, body := w.call("POST", path+"/doorstep", tom, `{"children":[{"pupilId":"bl-02"},{"pupilId":"bl-03","seen":true}]}`, "2027-03-01 10:10"); status != 400 || !problemOn(body, "children.seen") {
		t.Errorf("seen not said: %d %v", status, body)
	}
	before := w.items()
	w.counter.Reset()
	status, v := w.call("POST", path+"/doorstep", priya, `{"children":[{"pupilId":"bl-02","seen":true,"notes":"Came to the door with Mum."},`+
		`{"pupilId":"bl-03","seen":false,"notes":"Mum said she was asleep."}],"immediateConcern":{"pupilIds":["bl-03"],"details":"Loud shouting from upstairs."}}`, "2027-03-01 10:15")
	if status != 200 {
		t.Fatalf("doorstep: %d %v", status, v)
	}
	if n := w.counter.Count("TransactWriteItems"); n != 1 {
		t.Errorf("%d transactions, want one", n)
	}
	if v["dutyTeamNumber"] != "01632 960100" {
		t.Errorf("the duty team number is not shown: %v", v["dutyTeamNumber"])
	}
	concerns := v["concerns"].([]any)
	if len(concerns) != 1 {
		t.Fatalf("concerns %v", concerns)
	}
	got := diff(before, w.items())
	if got["concern"] != 1 || got["chronology:visit"] != 2 || got["chronology:concern"] != 1 || got["outbox:concern"] != 4 {
		t.Errorf("the doorstep wrote %v", got)
	}
	high := w.alerts("concern")
	slices.Sort(high)
	want := []string{"dsl " + dsl + " email high", "dsl " + dsl + " sms high", "senior_dsl " + head + " email high", "senior_dsl " + head + " sms high"}
	if fmt.Sprint(high) != fmt.Sprint(want) {
		t.Errorf("concern alerts %v, want %v (C4)", high, want)
	}
	if status, _ := w.call("POST", path+"/doorstep", tom, `{"children":[{"pupilId":"bl-02","seen":true},{"pupilId":"bl-03","seen":true}]}`, "2027-03-01 10:20"); status != 409 {
		t.Errorf("the doorstep record overwritten: %d", status)
	}
	// An immediate concern on its own: 201, the concern named.
	status, v = w.call("POST", path+"/concern", tom, `{"details":"A man shouting at the children in the garden."}`, "2027-03-01 10:40")
	raised, _ := v["raisedConcern"].(map[string]any)
	if status != 201 || raised == nil || raised["reference"] == "" || v["dutyTeamNumber"] != "01632 960100" {
		t.Errorf("concern: %d %v", status, v)
	}
	if status, _ := w.call("POST", path+"/concern", sam, `{"details":"x"}`, "2027-03-01 10:41"); status != 403 {
		t.Errorf("the line manager raised a concern on the visit: %d", status)
	}
}

func TestRule_V6_V7_ObservationsAndTheNextVisitLeaveTheLadder(t *testing.T) {
	w := newWorld(t)
	id := w.started()
	path := visitsPath + "/" + id
	v := w.ok("POST", path+"/next", tom, `{"nextVisitAt":"2027-03-08T10:00:00Z","supportOffered":"Signposted to the food bank."}`, "2027-03-01 10:50")
	if v["nextVisit"].(map[string]any)["nextVisitAt"] != "2027-03-08T10:00:00Z" || v["nextVisitDue"].(map[string]any)["open"] != false {
		t.Errorf("next: %v", v)
	}
	w.ok("POST", path+"/checkout", priya, "", "2027-03-01 11:00")
	// The next day at 11:00 the observations are due; the engine tells the lead (Tom).
	w.deadlines("2027-03-02 11:00")
	if a := w.alerts("overdue"); len(a) != 1 || a[0] != "assignee "+tom+" email normal" {
		t.Errorf("overdue alerts %v", a)
	}
	v = w.ok("POST", path+"/observations", priya, `{"children":[{"pupilId":"bl-02","emotional":"Cheerful, chatty","physical":"Clean, well dressed"},`+
		`{"pupilId":"bl-03"}],"adults":{"emotional":"Mum tired but calm","physical":"Dressed, no marks seen"}}`, "2027-03-02 11:20")
	o := v["observations"].(map[string]any)
	if o["late"] != true || o["minutesLate"] != float64(20) || v["observationsDue"].(map[string]any)["open"] != false {
		t.Errorf("observations: %v", v)
	}
	w.deadlines("2027-03-05 11:00")
	if a := w.alerts("overdue"); len(a) != 1 {
		t.Errorf("the ladder went on after the observations: %v", a)
	}
}

func TestRule_V8_AMissedCheckOutAlarmsAtOnceAndTheLateCheckOutStandsThemDown(t *testing.T) {
	w := newWorld(t)
	id := w.started()
	w.deadlines("2027-03-01 11:15")
	if a := w.alerts("lone-worker"); len(a) != 0 {
		t.Fatalf("an alarm before the due time: %v", a)
	}
	w.deadlines("2027-03-01 11:30")
	w.deadlines("2027-03-01 11:45") // a repeat within the step sends nothing more
	got := w.alerts("lone-worker")
	slices.Sort(got)
	want := []string{"line_manager " + sam + " email high", "line_manager " + sam + " sms high",
		"senior_dsl " + head + " email high", "senior_dsl " + head + " sms high"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("alarm %v, want %v", got, want)
	}
	v := w.ok("GET", visitsPath+"/"+id, sam, "", "2027-03-01 11:50")
	if c := v["checkout"].(map[string]any); c["step"] != float64(1) || c["overdue"] != true {
		t.Errorf("the visit does not show the alarm: %v", c)
	}
	// The line manager reaches them by phone and records their check-out.
	v = w.ok("POST", visitsPath+"/"+id+"/checkout", sam, "", "2027-03-01 11:52")
	if v["status"] != "checked-out" || v["checkedOutBy"] != sam {
		t.Errorf("checked out: %v", v)
	}
	safe := w.alerts("lone-worker-safe")
	slices.Sort(safe)
	if len(safe) != 4 {
		t.Errorf("stand-down %v", safe)
	}
	w.deadlines("2027-03-01 12:00")
	w.deadlines("2027-03-02 12:00")
	if a := w.alerts("lone-worker"); len(a) != 4 {
		t.Errorf("alarms after the check-out: %v", a)
	}
	if status, _ := w.call("POST", visitsPath+"/"+id+"/checkout", tom, "", "2027-03-01 11:53"); status != 409 {
		t.Errorf("checked out twice: %d", status)
	}
}

func TestRule_V8_ACheckOutInTimeAlarmsNobody(t *testing.T) {
	w := newWorld(t)
	id := w.started()
	if status, _ := w.call("POST", visitsPath+"/"+id+"/checkout", gov, "", "2027-03-01 10:59"); status != 404 {
		t.Errorf("someone else checked them out: %d", status)
	}
	w.ok("POST", visitsPath+"/"+id+"/checkout", tom, "", "2027-03-01 10:59")
	for _, at := range []string{"2027-03-01 11:30", "2027-03-01 12:00", "2027-03-02 11:30"} {
		w.deadlines(at)
	}
	if a := append(w.alerts("lone-worker"), w.alerts("lone-worker-safe")...); len(a) != 0 {
		t.Errorf("alarms %v", a)
	}
}

// A check-out that read the alarm before the engine moved it must not commit on what it read:
// the store refuses, and the use case reads again and stands down whoever the alarm reached.
func TestRule_V8_ACheckOutRacingTheAlarmIsSavedOnTheStepItRead(t *testing.T) {
	w := newWorld(t)
	id := w.started()
	ctx := context.Background()
	vc, err := w.st.LoadVisit(ctx, tom, "brook-lane", id, safeguarding.RequestKey{})
	if err != nil {
		t.Fatal(err)
	}
	v := visits.RestoreVisit(vc.Visit.Snapshot())
	at := local("2027-03-01 11:31")
	if _, err := v.CheckOut(vc.Viewer, at); err != nil {
		t.Fatal(err)
	}
	w.deadlines("2027-03-01 11:30") // the alarm goes between the read and the write
	err = w.st.SaveVisit(ctx, visits.VisitWrite{Visit: v, PrevVersion: vc.Visit.Version(), Close: vc.Visit.DueItems()[:1], At: at,
		Audit: safeguarding.AuditEntry{ID: "a1", School: "brook-lane", Actor: tom, Action: "visit.changed", At: at}})
	if !errors.Is(err, safeguarding.ErrConflict) {
		t.Fatalf("saved on a stale alarm step: %v", err)
	}
	w.ok("POST", visitsPath+"/"+id+"/checkout", tom, "", "2027-03-01 11:31")
	if safe := w.alerts("lone-worker-safe"); len(safe) != 4 {
		t.Errorf("stand-down %v", safe)
	}
}

func TestVisitsRefuseBadInputAndWriteNothing(t *testing.T) {
	w := newWorld(t)
	id := w.started()
	path := visitsPath + "/" + id
	before := w.items()
	for _, tc := range []struct {
		name, method, path, who, body string
		status                        int
	}{
		{"a teacher plans", "POST", visitsPath, tom, planBody(family, "2027-03-08T10:00:00Z", "2027-03-08T11:00:00Z"), 403},
		{"another school's DSL plans", "POST", visitsPath, chloe, planBody(family, "2027-03-08T10:00:00Z", "2027-03-08T11:00:00Z"), 403},
		{"no such family", "POST", visitsPath, dsl, planBody("fam-99", "2027-03-08T10:00:00Z", "2027-03-08T11:00:00Z"), 400},
		{"a family id that is no id", "POST", visitsPath, dsl, planBody("FAM#01", "2027-03-08T10:00:00Z", "2027-03-08T11:00:00Z"), 400},
		{"a bad time", "POST", visitsPath, dsl, planBody(family, "Monday", "2027-03-08T11:00:00Z"), 400},
		{"an unknown field", "POST", visitsPath, dsl, `{"familyId":"fam-02","priority":1}`, 400},
		{"a plan with no reason", "POST", visitsPath, dsl, strings.Replace(planBody(family, "2027-03-08T10:00:00Z", "2027-03-08T11:00:00Z"), `No answer to three calls this week.`, ` `, 1), 400},
		{"a plan whose reason is no plain text", "POST", visitsPath, dsl, strings.Replace(planBody(family, "2027-03-08T10:00:00Z", "2027-03-08T11:00:00Z"), `this week.`, `\u202e\u0000`, 1), 400},
		{"not JSON", "POST", visitsPath, dsl, `{"familyId":`, 400},
		{"a list for an object", "POST", path + "/call-ahead", tom, `[]`, 400},
		{"an unknown outcome", "POST", path + "/call-ahead", tom, `{"outcome":"maybe"}`, 400},
		{"observations before nothing", "POST", path + "/observations", tom, `{"children":[{"pupilId":"bl-02"},{"pupilId":"bl-03"}]}`, 400},
		{"next visit with no support", "POST", path + "/next", tom, `{"nextVisitAt":"2027-03-08T10:00:00Z"}`, 400},
		{"next visit at no time", "POST", path + "/next", tom, `{"nextVisitAt":"soon","supportOffered":"x"}`, 400},
		{"cancel a started visit", "POST", path + "/cancel", dsl, `{"reason":"x"}`, 400},
		{"a concern with no words", "POST", path + "/concern", tom, `{"details":" "}`, 400},
		{"a concern about another child", "POST", path + "/concern", tom, `{"pupilIds":["bl-01"],"details":"x"}`, 400},
		{"start twice", "POST", path + "/start", tom, ``, 409},
		{"lift an unblocked family", "POST", "/api/schools/brook-lane/families/fam-02/visit-block/lift", dsl, `{"reason":"x"}`, 409},
		{"lift for no family", "POST", "/api/schools/brook-lane/families/fam-99/visit-block/lift", dsl, `{"reason":"x"}`, 404},
	} {
		if status, body := w.call(tc.method, tc.path, tc.who, tc.body, "2027-03-01 10:30"); status != tc.status {
			t.Errorf("%s: %d %v, want %d", tc.name, status, body, tc.status)
		}
	}
	if d := diff(before, w.items()); len(d) != 0 {
		t.Errorf("refused requests wrote %v", d)
	}
}

func TestAVisitCommandIsIdempotentAndOneWinsARace(t *testing.T) {
	w := newWorld(t)
	body := planBody(family, "2027-03-01T10:00:00Z", "2027-03-01T11:00:00Z")
	_, a := w.call("POST", visitsPath, dsl, body, "2027-02-26 15:00", "Idempotency-Key", "plan-1")
	_, b := w.call("POST", visitsPath, dsl, body, "2027-02-26 15:01", "Idempotency-Key", "plan-1")
	if a["id"] == nil || a["id"] != b["id"] {
		t.Errorf("a retried plan made another visit: %v %v", a["id"], b["id"])
	}
	if status, _ := w.call("POST", visitsPath, dsl, planBody(family, "2027-03-02T10:00:00Z", "2027-03-02T11:00:00Z"), "2027-02-26 15:02", "Idempotency-Key", "plan-1"); status != 422 {
		t.Errorf("a key reused for another plan: %d", status)
	}
	if n := w.items()["visit"]; n != 1 {
		t.Errorf("%d visits", n)
	}
	id := a["id"].(string)
	w.ok("POST", visitsPath+"/"+id+"/authorise", head, "", "2027-02-26 16:00")
	w.ok("POST", visitsPath+"/"+id+"/call-ahead", tom, `{"outcome":"agreed"}`, "2027-03-01 09:30")
	w.ok("POST", visitsPath+"/"+id+"/start", tom, "", "2027-03-01 09:55")
	var wg sync.WaitGroup
	codes := make([]int, 4)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _ = w.call("POST", visitsPath+"/"+id+"/checkout", []string{tom, priya}[i%2], "", "2027-03-01 10:58")
		}()
	}
	wg.Wait()
	slices.Sort(codes)
	if fmt.Sprint(codes) != "[200 409 409 409]" {
		t.Errorf("concurrent check-outs: %v, want one 200", codes)
	}
}

// Path and body IDs are checked for shape before anything is read: a visit's ID is a ULID, a
// family's a slug.
func TestIDShapes(t *testing.T) {
	for s, want := range map[string]bool{
		"01JVISIT000000000000000001": true, "01JVISIT00000000000000001": false, "01jvisit000000000000000001": false,
		"01JVISIT00000000000000000!": false, "": false,
	} {
		if visitID(s) != want {
			t.Errorf("visitID(%q) = %v", s, !want)
		}
	}
	for s, want := range map[string]bool{
		"okafor-2": true, "a": true, "-okafor": false, "Okafor": false, "okafor family": false, "": false,
		strings.Repeat("a", 64): true, strings.Repeat("a", 65): false,
	} {
		if familyID(s) != want {
			t.Errorf("familyID(%q) = %v", s, !want)
		}
	}
}

// Rule V1: the plan's reason is kept and answered; a plan in the API's first contract, without
// the field, is still planned, without a reason; one sent blank is refused, writing nothing.
func TestRule_V1_ThePlansReasonInTheAPI(t *testing.T) {
	w := newWorld(t)
	bare := strings.Replace(planBody(family, "2027-03-02T10:00:00Z", "2027-03-02T11:00:00Z"), `,"reason":"No answer to three calls this week."`, ``, 1)
	blank := strings.Replace(planBody(family, "2027-03-02T10:00:00Z", "2027-03-02T11:00:00Z"), `No answer to three calls this week.`, ` `, 1)
	before := w.items()
	if status, body := w.call("POST", visitsPath, dsl, blank, "2027-02-26 15:00"); status != 400 || !problemOn(body, "reason") {
		t.Errorf("a blank reason: %d %v", status, body)
	}
	if d := diff(before, w.items()); len(d) != 0 {
		t.Errorf("a refused plan wrote %v", d)
	}
	status, v := w.call("POST", visitsPath, dsl, bare, "2027-02-26 15:00")
	if _, has := v["reason"]; status != 201 || has {
		t.Errorf("a plan without the reason field: %d %v", status, v)
	}
}
