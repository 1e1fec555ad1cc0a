package main

import (
	"slices"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

const (
	closuresRoute   = "/api/schools/{school}/closures"
	endClosureRoute = "/api/schools/{school}/closures/{id}/end"
	takeCallRoute   = "/api/schools/{school}/families/{id}/call/take"
	callsRoute      = "/api/schools/{school}/calls"
)

func (w *world) post(route, email, body string, now time.Time, params map[string]string, headers map[string]string) response {
	w.t.Helper()
	return w.do(event("POST", "POST "+route, email, body, now, params, headers))
}

func (w *world) get(route, email string, now time.Time, params map[string]string) response {
	w.t.Helper()
	return w.do(event("GET", "GET "+route, email, "", now, params, nil))
}

// The closures contract of rule E0: the Senior DSL starts one (201 {"id", "from"}), a second
// open one is 409, it ends with its last day (inclusive, not before its first), and every
// member of staff may list them; nobody else starts or ends one, and nothing is written when
// one is refused.
func TestRule_E0_TheClosureContract(t *testing.T) {
	w := newWorldWithoutClosure(t)
	school := map[string]string{"school": brook}
	now := local("2027-01-08 16:00")
	if r := w.get(closuresRoute, dsl, now, school); r.status != 200 || len(r.body["closures"].([]any)) != 0 {
		t.Fatalf("no closure yet: %d %s", r.status, r.raw)
	}
	for _, who := range []string{dsl, tom, office, chloe, stranger} {
		before := w.snapshot()
		r := w.post(closuresRoute, who, `{"from":"2027-01-11"}`, now, school, nil)
		if r.status != 403 {
			t.Errorf("%s started a closure: %d %s", who, r.status, r.raw)
		}
		if !slices.Equal(before, w.snapshot()) {
			t.Errorf("a refused start by %s wrote something", who)
		}
	}
	for _, body := range []string{`{"from":"11/01/2027"}`, `{"from":""}`, `{}`, `{"from":"2031-01-11"}`} {
		r := w.post(closuresRoute, head, body, now, school, nil)
		isProblem(t, body, r, 400)
		if !namesField(r, "from") {
			t.Errorf("%s: the problem does not name from: %s", body, r.raw)
		}
	}
	key := map[string]string{"Idempotency-Key": "closure-1"}
	r := w.post(closuresRoute, head, `{"from":"2027-01-11"}`, now, school, key)
	id, _ := r.body["id"].(string)
	if r.status != 201 || id == "" || r.body["from"] != "2027-01-11" || r.body["lastDay"] != nil {
		t.Fatalf("start: %d %s", r.status, r.raw)
	}
	if again := w.post(closuresRoute, head, `{"from":"2027-01-11"}`, now, school, key); again.status != 201 || again.body["id"] != id {
		t.Errorf("the same key and body: %d %s", again.status, again.raw)
	}
	before := w.snapshot()
	isProblem(t, "a second open closure", w.post(closuresRoute, head, `{"from":"2027-01-18"}`, now, school, nil), 409)
	if !slices.Equal(before, w.snapshot()) {
		t.Error("a refused second closure wrote something")
	}
	// Every member of staff sees it, Hillcrest's staff do not.
	if r := w.get(closuresRoute, tom, now, school); r.status != 200 || len(r.body["closures"].([]any)) != 1 {
		t.Errorf("Tom's list: %d %s", r.status, r.raw)
	}
	isProblem(t, "Chloe's list", w.get(closuresRoute, chloe, now, school), 403)
	// The end: the Senior DSL, a last day not before the first.
	end := map[string]string{"school": brook, "id": id}
	isProblem(t, "a DSL ends it", w.post(endClosureRoute, dsl, `{"lastDay":"2027-01-22"}`, now, end, nil), 403)
	r = w.post(endClosureRoute, head, `{"lastDay":"2027-01-10"}`, local("2027-01-22 15:00"), end, nil)
	isProblem(t, "a last day before the first", r, 400)
	if !namesField(r, "lastDay") {
		t.Errorf("the problem does not name lastDay: %s", r.raw)
	}
	isProblem(t, "another closure's id", w.post(endClosureRoute, head, `{"lastDay":"2027-01-22"}`, now, map[string]string{"school": brook, "id": "nope"}, nil), 404)
	r = w.post(endClosureRoute, head, `{"lastDay":"2027-01-22"}`, local("2027-01-22 15:00"), end, nil)
	if r.status != 200 || r.body["id"] != id || r.body["from"] != "2027-01-11" || r.body["lastDay"] != "2027-01-22" {
		t.Fatalf("end: %d %s", r.status, r.raw)
	}
	isProblem(t, "ended twice", w.post(endClosureRoute, head, `{"lastDay":"2027-01-29"}`, local("2027-01-22 15:05"), end, nil), 409)
	r = w.get(closuresRoute, dsl, local("2027-01-25 09:00"), school)
	list, _ := r.body["closures"].([]any)
	if r.status != 200 || len(list) != 1 || list[0].(map[string]any)["lastDay"] != "2027-01-22" {
		t.Errorf("the list after the end: %d %s", r.status, r.raw)
	}
	// The next closure starts after the last one's last day, and is the one open.
	r = w.post(closuresRoute, head, `{"from":"2027-01-22"}`, local("2027-01-25 09:00"), school, nil)
	isProblem(t, "a closure overlapping the last", r, 400)
	if r := w.post(closuresRoute, head, `{"from":"2027-02-01"}`, local("2027-01-29 09:00"), school, nil); r.status != 201 {
		t.Errorf("the next closure: %d %s", r.status, r.raw)
	}
	if c, err := w.st.LatestClosure(t.Context(), seed.BrookLane); err != nil || !c.Open() || localDay(c.From) != "2027-02-01" {
		t.Errorf("latest %+v %v", c, err)
	}
}

func localDay(t time.Time) string { return t.In(safeguarding.London).Format(time.DateOnly) }

// The E3 call through the API: in the work of each DSL (and the Senior DSL) while the DSLs
// hold it, nobody else's; taken by Tom, designated for closure contact, it is his.
func TestRule_E3_TheCallIsInTheOwnersWorkThroughTheAPI(t *testing.T) {
	w := newWorldWithoutClosure(t)
	school := map[string]string{"school": brook}
	if r := w.post(closuresRoute, head, `{"from":"2027-01-11"}`, local("2027-01-08 16:00"), school, nil); r.status != 201 {
		t.Fatal(r.status, r.raw)
	}
	if r := w.ack(dsl, brook, acks(local("2027-01-13 15:00"), "thumbs-up", "familyId=fam-03"), local("2027-01-13 16:00"), nil); r.status != 200 {
		t.Fatal(r.status, r.raw)
	}
	w.escalate("2027-01-19") // the closure's 7th school day: the never-heard-from are MISSING
	now := local("2027-01-19 09:00")
	has := func(r response, fam, owner string) bool {
		list, _ := r.body["calls"].([]any)
		return slices.ContainsFunc(list, func(c any) bool {
			m := c.(map[string]any)
			o, _ := m["owner"].(string)
			return m["familyId"] == fam && o == owner
		})
	}
	for _, who := range []string{dsl, head} {
		if r := w.get(callsRoute, who, now, school); r.status != 200 || !has(r, "fam-01", "") {
			t.Errorf("%s's calls: %d %s", who, r.status, r.raw)
		}
	}
	if r := w.get(callsRoute, tom, now, school); r.status != 200 || len(r.body["calls"].([]any)) != 0 {
		t.Errorf("Tom's calls before taking one: %d %s", r.status, r.raw)
	}
	fam := map[string]string{"school": brook, "id": "fam-01"}
	isProblem(t, "Priya takes it", w.post(takeCallRoute, priya, ``, now, fam, nil), 404)
	r := w.post(takeCallRoute, tom, ``, now, fam, nil)
	if r.status != 200 || r.body["callOwner"] != tom {
		t.Fatalf("Tom takes it: %d %s", r.status, r.raw)
	}
	isProblem(t, "taken twice", w.post(takeCallRoute, dsl, ``, now, fam, nil), 409)
	if r := w.get(callsRoute, tom, now, school); !has(r, "fam-01", tom) {
		t.Errorf("Tom's calls: %s", r.raw)
	}
	if r := w.get(callsRoute, dsl, now, school); has(r, "fam-01", "") || has(r, "fam-01", tom) {
		t.Errorf("the DSL's calls still hold Tom's: %s", r.raw)
	}
	isProblem(t, "no call due", w.post(takeCallRoute, dsl, ``, now, map[string]string{"school": brook, "id": "fam-03"}, nil), 400)
}
