package main

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Rules P2, C5: the API's dashboard pages through a school's 130 concerns, past the newest
// 100, following each page's next cursor: every concern the DSL may see exactly once, never
// the one about them; the last page has no cursor. A cursor changed by a byte, made for
// another school, or not one at all is refused (400 naming it), and nothing of another
// school comes back.
func TestRule_P2_C5_TheAPIDashboardPagesThroughEveryConcernOnceAndRefusesAForgedCursor(t *testing.T) {
	w := newWorld(t)
	st := store.New(w.db, w.table)
	uc := concerns.Concerns{Store: st, Catalogue: concerns.PolicyCatalogue(), Calendar: safeguarding.Weekdays{}, NewID: store.NewID}
	ctx := context.Background()
	const total = 130
	start := at("09:00")
	var aboutDSL string
	for i := range total {
		when := start.Add(-time.Duration(i) * 5 * time.Hour)
		in := concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"p1"}, Category: "safeguarding", ObservedAt: when.Add(-time.Minute),
			Details: fmt.Sprintf("Concern number %d.", i), HighPriority: i%9 == 2}
		if i == 40 {
			in.AboutStaff, in.SubjectStaffEmail = true, dsl
		}
		r, err := uc.Record(ctx, safeguarding.Caller{Email: teacher, At: when}, brook, in, safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
		if i == 40 {
			aboutDSL = r.ID
		}
	}
	walk := func(who string) (map[string]int, int) {
		seen := map[string]int{}
		pages := 0
		for target := "/api/schools/" + brook + "/concerns"; target != ""; pages++ {
			if pages > 10 {
				t.Fatalf("%s: more than 10 pages", who)
			}
			resp, body := w.do(event("GET", target, who, "", at("13:00"), nil))
			if resp.StatusCode != 200 {
				t.Fatalf("%s %s: %d %v", who, target, resp.StatusCode, body)
			}
			for _, r := range body["concerns"].([]any) {
				seen[r.(map[string]any)["id"].(string)]++
			}
			target = ""
			if next, ok := body["next"].(string); ok && next != "" {
				target = "/api/schools/" + brook + "/concerns?cursor=" + url.QueryEscape(next)
			}
		}
		return seen, pages
	}
	for _, reader := range []struct {
		who  string
		want int
	}{{dsl, total - 1}, {head, total}, {teacher, total}} {
		seen, pages := walk(reader.who)
		if len(seen) != reader.want || pages < 3 {
			t.Errorf("%s: %d concerns on %d pages, want %d on at least 3", reader.who, len(seen), pages, reader.want)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s: %s listed %d times", reader.who, id, n)
			}
		}
		if reader.who == dsl && seen[aboutDSL] != 0 {
			t.Error("the concern about the DSL is listed for them (C5)")
		}
	}
	// The colleague neither wrote nor was tagged in any: every page of theirs is empty.
	if seen, _ := walk(colleague); len(seen) != 0 {
		t.Errorf("the colleague sees %d", len(seen))
	}

	_, first := w.do(event("GET", "/api/schools/"+brook+"/concerns", dsl, "", at("13:00"), nil))
	next, _ := first["next"].(string)
	if next == "" {
		t.Fatal("the first page has no cursor")
	}
	pos, err := decodeCursor(brook, next)
	apitest.Must(t, err)
	forged := []byte(next)
	forged[len(forged)/2] ^= 0x01
	for name, c := range map[string]string{
		"changed by a byte":     string(forged),
		"another school's":      encodeCursor(hill, pos),
		"not base64":            "%%%",
		"empty":                 "",
		"a position of no form": encodeCursor(brook, "yesterday"),
		"a raw position":        pos,
		"another version":       "YzIAYnJvb2stbGFuZQAyMDI2",
		"far too long":          string(make([]byte, 600)),
	} {
		resp, body := w.do(event("GET", "/api/schools/"+brook+"/concerns?cursor="+url.QueryEscape(c), dsl, "", at("13:00"), nil))
		if resp.StatusCode != 400 || !namesField(body, "cursor") {
			t.Errorf("%s: %d %v, want 400 naming the cursor", name, resp.StatusCode, body)
		}
	}
	if resp, body := w.do(event("GET", "/api/schools/"+brook+"/concerns?page=2", dsl, "", at("13:00"), nil)); resp.StatusCode != 400 || !namesField(body, "page") {
		t.Errorf("an unknown parameter: %d %v", resp.StatusCode, body)
	}
	// Brook Lane's cursor at Hillcrest: refused.
	resp, body := w.do(event("GET", "/api/schools/"+hill+"/concerns?cursor="+url.QueryEscape(next), hillDSL, "", at("13:00"), nil))
	if resp.StatusCode != 400 || !namesField(body, "cursor") {
		t.Errorf("Brook Lane's cursor at Hillcrest: %d %v", resp.StatusCode, body)
	}
	// Hillcrest's DSL with Brook Lane's own cursor at Brook Lane: not theirs to read.
	if resp, _ := w.do(event("GET", "/api/schools/"+brook+"/concerns?cursor="+url.QueryEscape(next), hillDSL, "", at("13:00"), nil)); resp.StatusCode != 403 {
		t.Errorf("another school's DSL with a Brook Lane cursor: %d", resp.StatusCode)
	}
}
