package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Rules P2, C4, C5: Priya tags Tom in 120 concerns, then 30 more untagged, and once raises a
// concern about Tom with him tagged: Tom finds every one of the 120 he was tagged in, newest
// first, across the pages of "Concerns you were asked to know about" (the first page also
// beneath his own, with a link on), each once; never the concern about himself, nor one he
// was not tagged in.
func TestRule_P2_C4_C5_ATeacherTaggedIn120ConcernsSeesThemAllAcrossPages(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	var tagged []string
	at := map[string]time.Time{}
	var aboutTom string
	for i := range 151 {
		when := monday1030.Add(-time.Duration(i) * 4 * time.Hour)
		in := concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"bl-01"}, Category: "safeguarding",
			ObservedAt: when.Add(-30 * time.Minute), Details: fmt.Sprintf("Concern number %d.", i), HighPriority: i%10 == 3}
		switch {
		case i == 5:
			in.AboutStaff, in.SubjectStaffEmail, in.TagStaff = true, teacher, []string{teacher}
		case i%5 == 1:
			// untagged
		default:
			in.TagStaff = []string{teacher}
		}
		r, err := w.h.Concerns.Record(ctx, safeguarding.Caller{Email: staff, At: when}, safeguarding.SchoolID(school), in, safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
		at[r.ID] = when
		switch {
		case i == 5:
			aboutTom = r.ID
		case len(in.TagStaff) > 0 && len(tagged) < 120:
			tagged = append(tagged, r.ID)
		case len(in.TagStaff) > 0:
			t.Fatalf("more than 120 tagged")
		}
	}
	if len(tagged) != 120 {
		t.Fatalf("Tom was tagged in %d", len(tagged))
	}
	bw := busyWorld{world: w}
	pages, bodies := bw.pages(teacher, "/schools/brook-lane/my-concerns?list=tagged", raisedLink)
	seen := map[string]int{}
	var order []string
	for i, p := range pages {
		if i < len(pages)-1 && len(p) != concerns.DashboardPageSize {
			t.Errorf("page %d lists %d", i+1, len(p))
		}
		for _, id := range p {
			seen[id]++
			order = append(order, id)
		}
	}
	if len(pages) != 3 || len(seen) != 120 {
		t.Errorf("Tom's tagged pages list %d concerns on %d pages, want 120 on 3", len(seen), len(pages))
	}
	for _, id := range tagged {
		if seen[id] != 1 {
			t.Errorf("the tagged concern %s listed %d times", id, seen[id])
		}
	}
	if seen[aboutTom] != 0 {
		t.Error("the concern about Tom is listed for him (C5)")
	}
	for i := 1; i < len(order); i++ {
		if at[order[i]].After(at[order[i-1]]) {
			t.Errorf("not newest first at %d", i)
			break
		}
	}
	for _, b := range bodies {
		noRuleIDs(t, "Tom's tagged concerns", b)
	}
	// His own page: he raised none; the first page of those he was tagged in is beneath, and
	// its link goes on to the second.
	own := call(t, w.h, "GET", "/schools/brook-lane/my-concerns", tokenFor(teacher), nil, monday1030)
	wantBody(t, "Tom's own page", own, http.StatusOK, "You have not raised a concern here.", "Concerns you were asked to know about",
		`id="raised-tagged-more"`)
	if n := strings.Count(own.Body, `class="app-chronology__entry"`); n != concerns.DashboardPageSize {
		t.Errorf("Tom's own page lists %d tagged, want %d", n, concerns.DashboardPageSize)
	}
	if strings.Contains(own.Body, aboutTom) {
		t.Error("Tom's own page lists the concern about him")
	}
	// A page token of his own list is not one of the tagged list's, nor an unknown list.
	for name, target := range map[string]string{
		"an unknown list": "/schools/brook-lane/my-concerns?list=everyone",
		"a forged page":   "/schools/brook-lane/my-concerns?list=tagged&page=AAAA.BBBB",
	} {
		if resp := call(t, w.h, "GET", target, tokenFor(teacher), nil, monday1030); resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %d, want 400", name, resp.StatusCode)
		}
	}
	// Priya, who tagged him, is not tagged in any.
	priya := call(t, w.h, "GET", "/schools/brook-lane/my-concerns?list=tagged", tokenFor(staff), nil, monday1030)
	wantBody(t, "Priya's tagged list", priya, http.StatusOK, "Nobody has asked that you know about a concern here.")
}

// Rule C5: 105 concerns about a member of staff, older than 110 newer ordinary ones: the
// governor's home counts all 105 routed to them and their pages list each once, newest first;
// never one of the others.
func TestRule_C5_AGovernorCountsAndListsEveryRoutedConcernPastTheNewest100(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	routed := map[string]bool{}
	const about, plain = 105, 110
	for i := range about + plain {
		when := monday1030.Add(-time.Duration(about+plain-i) * 3 * time.Hour)
		in := concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"bl-02"}, Category: "safeguarding",
			ObservedAt: when.Add(-30 * time.Minute), Details: fmt.Sprintf("Concern number %d.", i)}
		if i < about {
			in.AboutStaff, in.SubjectStaffEmail = true, staff
		}
		r, err := w.h.Concerns.Record(ctx, safeguarding.Caller{Email: teacher, At: when}, safeguarding.SchoolID(school), in, safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
		if i < about {
			routed[r.ID] = true
		}
	}
	governor := apitest.Martin
	got, body, _ := homeWorld{world: w}.home(governor)
	if got["routed"] != about {
		t.Errorf("the governor's home counts %d routed, want %d", got["routed"], about)
	}
	noRuleIDs(t, "the governor's home", body)
	bw := busyWorld{world: w}
	pages, _ := bw.pages(governor, "/schools/brook-lane/governors", raisedLink)
	seen := map[string]int{}
	for _, p := range pages {
		for _, id := range p {
			seen[id]++
		}
	}
	if len(pages) != 3 || len(seen) != about {
		t.Errorf("the governor's pages list %d on %d pages, want %d on 3", len(seen), len(pages), about)
	}
	for id, n := range seen {
		if !routed[id] || n != 1 {
			t.Errorf("%s listed %d times (routed %v)", id, n, routed[id])
		}
	}
	// Priya, the subject, is no governor: the page is not hers.
	if resp := call(t, w.h, "GET", "/schools/brook-lane/governors", tokenFor(staff), nil, monday1030); resp.StatusCode != http.StatusNotFound {
		t.Errorf("Priya on the governors' page: %d", resp.StatusCode)
	}
}
