package main

import (
	"context"
	"errors"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// busyWorld is a Brook Lane with 130 concerns, one every six hours back from monday1030 (so
// over a month): Tom raised 120 of them, Priya 10; the 7th is about Daniel, a DSL (C5);
// every 10th is high priority; Helen acted on two of Tom's; Daniel opened three.
type busyWorld struct {
	*world
	// at is each concern's time recorded, by id; aboutDSL the one about Daniel; actedOn
	// and opened those Helen acted on and Daniel read.
	at       map[string]time.Time
	byTom    []string
	aboutDSL string
	actedOn  []string
	opened   []string
}

const busyConcerns = 130

func newBusyWorld(t *testing.T) busyWorld {
	t.Helper()
	w := busyWorld{world: newWorld(t), at: map[string]time.Time{}}
	ctx := context.Background()
	pupils := []string{"bl-01", "bl-02", "bl-03", "bl-04"}
	for i := range busyConcerns {
		at := monday1030.Add(-time.Duration(i) * 6 * time.Hour)
		who := teacher
		if i%13 == 5 {
			who = staff
		}
		in := concerns.NewConcern{PupilIDs: []safeguarding.PupilID{safeguarding.PupilID(pupils[i%len(pupils)])}, Category: "safeguarding",
			ObservedAt: at.Add(-30 * time.Minute), Details: fmt.Sprintf("Concern number %d.", i), HighPriority: i%10 == 3}
		if i == 7 {
			in.AboutStaff, in.SubjectStaffEmail = true, dsl
		}
		r, err := w.h.Concerns.Record(ctx, safeguarding.Caller{Email: who, At: at}, safeguarding.SchoolID(school), in, safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
		w.at[r.ID] = at
		if who == teacher {
			w.byTom = append(w.byTom, r.ID)
		}
		if i == 7 {
			w.aboutDSL = r.ID
		}
	}
	if len(w.byTom) != 120 {
		t.Fatalf("Tom raised %d", len(w.byTom))
	}
	due := monday1030.Add(48 * time.Hour)
	for _, id := range []string{w.byTom[20], w.byTom[90]} {
		_, err := w.h.Cases.AddAction(ctx, safeguarding.Caller{Email: head, At: monday1030.Add(-time.Minute)}, safeguarding.SchoolID(school),
			safeguarding.ConcernID(id), casework.NewAction{Type: string(casework.ActionCheckIn), AssigneeEmail: staff, Notes: "Check in.", DueAt: &due},
			safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
		w.actedOn = append(w.actedOn, id)
	}
	for _, id := range []string{w.byTom[0], w.byTom[60], w.byTom[110]} {
		if resp := call(t, w.h, "GET", concernPath(safeguarding.SchoolID(school), safeguarding.ConcernID(id)), tokenFor(dsl), nil, monday1030); resp.StatusCode != http.StatusOK {
			t.Fatalf("Daniel opening a concern: %d", resp.StatusCode)
		}
		w.opened = append(w.opened, id)
	}
	return w
}

var (
	tableLink  = regexp.MustCompile(`<td class="govuk-table__cell app-break"><a class="govuk-link" href="/schools/brook-lane/concerns/([^"]+)">`)
	raisedLink = regexp.MustCompile(`<a class="govuk-link" href="/schools/brook-lane/concerns/([^"]+)">`)
	nextLink   = regexp.MustCompile(`href="([^"]+)" rel="next"`)
	prevLink   = regexp.MustCompile(`href="([^"]+)" rel="prev"`)
)

// pages follows a list's "Next" links from first and gives the concern ids of each page in
// order, and the pages' bodies.
func (w busyWorld) pages(who, first string, links *regexp.Regexp) ([][]string, []string) {
	w.t.Helper()
	var ids [][]string
	var bodies []string
	for target := first; target != ""; {
		resp := call(w.t, w.h, "GET", target, tokenFor(who), nil, monday1030)
		if resp.StatusCode != http.StatusOK {
			w.t.Fatalf("%s: %d", target, resp.StatusCode)
		}
		var page []string
		for _, m := range links.FindAllStringSubmatch(resp.Body, -1) {
			page = append(page, m[1])
		}
		ids, bodies = append(ids, page), append(bodies, resp.Body)
		target = ""
		if m := nextLink.FindStringSubmatch(resp.Body); m != nil {
			target = html.UnescapeString(m[1])
		}
		if len(ids) > 10 {
			w.t.Fatal("more than 10 pages of 130 concerns")
		}
	}
	return ids, bodies
}

// Rules P2, C5: a school's 130 concerns, past the newest 100: the dashboard's pages, followed
// by "Next", list each concern a DSL may see exactly once, 50 to a page, and never the one
// about that DSL; the Senior DSL's list every one; "Previous" goes back a page; a filter
// keeps applying across the pages.
func TestRule_P2_C5_TheDashboardPagesThroughEveryConcernOnce(t *testing.T) {
	w := newBusyWorld(t)
	for _, reader := range []struct {
		who  string
		want int
	}{{dsl, busyConcerns - 1}, {head, busyConcerns}} {
		pages, bodies := w.pages(reader.who, "/schools/brook-lane/concerns", tableLink)
		seen := map[string]int{}
		for i, page := range pages {
			if i < len(pages)-1 && len(page) != concerns.DashboardPageSize {
				t.Errorf("%s's page %d lists %d", reader.who, i+1, len(page))
			}
			for _, id := range page {
				seen[id]++
			}
		}
		if len(seen) != reader.want {
			t.Errorf("%s's pages list %d concerns, want %d", reader.who, len(seen), reader.want)
		}
		for id, n := range seen {
			if n != 1 {
				t.Errorf("%s's pages list %s %d times", reader.who, id, n)
			}
			if _, ok := w.at[id]; !ok {
				t.Errorf("%s's pages list %s, which the test did not record", reader.who, id)
			}
		}
		if _, listed := seen[w.aboutDSL]; listed != (reader.who == head) {
			t.Errorf("%s: the concern about Daniel listed: %v", reader.who, listed)
		}
		if !strings.Contains(bodies[0], "newest first, 50 to a page") || prevLink.MatchString(bodies[0]) {
			t.Errorf("%s's first page does not say its order, or has a previous page", reader.who)
		}
		// The second page's "Previous" is the first page again.
		m := prevLink.FindStringSubmatch(bodies[1])
		if m == nil {
			t.Fatalf("%s's second page has no Previous", reader.who)
		}
		back := call(t, w.h, "GET", html.UnescapeString(m[1]), tokenFor(reader.who), nil, monday1030)
		var again []string
		for _, m := range tableLink.FindAllStringSubmatch(back.Body, -1) {
			again = append(again, m[1])
		}
		if strings.Join(again, " ") != strings.Join(pages[0], " ") {
			t.Errorf("%s's Previous from page 2 is not page 1", reader.who)
		}
	}

	// High priority only: every 10th, across the pages.
	pages, _ := w.pages(head, "/schools/brook-lane/concerns?priority=high", tableLink)
	if n := countAll(pages); n != busyConcerns/10 {
		t.Errorf("high priority: %d listed, want %d", n, busyConcerns/10)
	}
	// The open ones, Priya's pupil's name: what the filters leave, each once.
	pages, _ = w.pages(head, "/schools/brook-lane/concerns?status=open&pupil=Chidi", tableLink)
	if n := countAll(pages); n != (busyConcerns+3)/4 {
		t.Errorf("Chidi's concerns: %d listed, want %d", n, (busyConcerns+3)/4)
	}
}

func countAll(pages [][]string) int {
	seen := map[string]bool{}
	for _, p := range pages {
		for _, id := range p {
			seen[id] = true
		}
	}
	return len(seen)
}

// Rules C4, P2: "Recorded from" and "to" list only the concerns of those school-local days,
// paged as the rest; a date that is not one is a 400 naming the field, with nothing read.
func TestRule_C4_P2_TheDashboardsDateFilterListsOnlyTheRange(t *testing.T) {
	w := newBusyWorld(t)
	from := time.Date(2026, 5, 10, 0, 0, 0, 0, safeguarding.London)
	to := time.Date(2026, 5, 24, 0, 0, 0, 0, safeguarding.London)
	want := map[string]bool{}
	for id, at := range w.at {
		if !at.Before(from) && at.Before(to.AddDate(0, 0, 1)) && id != w.aboutDSL {
			want[id] = true
		}
	}
	q := url.Values{"from-day": {"10"}, "from-month": {"5"}, "from-year": {"2026"}, "to-day": {"24"}, "to-month": {"5"}, "to-year": {"2026"}}
	pages, _ := w.pages(dsl, "/schools/brook-lane/concerns?"+q.Encode(), tableLink)
	if len(pages) < 2 {
		t.Errorf("%d concerns in the range on %d page", len(want), len(pages))
	}
	got := map[string]bool{}
	for _, p := range pages {
		for _, id := range p {
			if got[id] {
				t.Errorf("%s listed twice", id)
			}
			got[id] = true
			if !want[id] {
				t.Errorf("%s, recorded %v, listed for 10 to 24 May", id, w.at[id])
			}
		}
	}
	if len(got) != len(want) {
		t.Errorf("the range lists %d, want %d", len(got), len(want))
	}

	for _, bad := range []struct{ query, field, message string }{
		{"from-day=31&from-month=2&from-year=2026", `href="#from-day"`, "Recorded from must be a real date"},
		{"to-day=1&to-month=13&to-year=2026", `href="#to-day"`, "Recorded to must be a real date"},
		{"from-day=2&from-month=5&from-year=2026&to-day=1&to-month=5&to-year=2026", `href="#to-day"`, "Recorded to must be the same day"},
	} {
		w.calls.Reset()
		resp := call(t, w.h, "GET", "/schools/brook-lane/concerns?"+bad.query, tokenFor(dsl), nil, monday1030)
		wantBody(t, bad.query, resp, http.StatusBadRequest, bad.field, bad.message, `id="from-day"`)
		if c := w.calls.Counts(); c["Query"] > 0 || c["PutItem"] > 0 || c["TransactWriteItems"] > 0 {
			t.Errorf("%s: read or wrote %v", bad.query, c)
		}
	}
}

// Rule P2: a page token changed by hand, made for another list or in another session is a
// 400 page in plain words, before anything is read or written; a position the store is given
// that is not of its list's form or lies outside the dates is refused, never read.
func TestRule_P2_AForgedOrForeignPageOfTheDashboardIs400(t *testing.T) {
	w := newBusyWorld(t)
	first := call(t, w.h, "GET", "/schools/brook-lane/concerns", tokenFor(dsl), nil, monday1030)
	m := nextLink.FindStringSubmatch(first.Body)
	if m == nil {
		t.Fatal("no Next on the first page")
	}
	next := html.UnescapeString(m[1])
	token := strings.SplitN(next, "page=", 2)[1]
	raw, _ := url.QueryUnescape(token)
	forged := strings.Replace(raw, raw[:4], "MjAy", 1)
	if forged == raw {
		forged = "A" + raw[1:]
	}
	cases := map[string]struct{ who, target string }{
		"changed by hand":     {dsl, "/schools/brook-lane/concerns?page=" + url.QueryEscape(forged)},
		"not a token":         {dsl, "/schools/brook-lane/concerns?page=%ff%00"},
		"another session":     {head, next},
		"another filter":      {dsl, "/schools/brook-lane/concerns?priority=high&page=" + token},
		"another list":        {dsl, "/schools/brook-lane/my-concerns?page=" + token},
		"another school's id": {dsl, "/schools/brook-lane/concerns?page=" + url.QueryEscape(sessionFor(tokenFor(dsl)).pageToken("dashboard\x00hillcrest\x00", []string{"2026-05-01T00:00:00.000000000Z#X"}))},
	}
	for name, c := range cases {
		testSession(t, w.h, tokenFor(c.who))
		w.calls.Reset()
		resp := call(t, w.h, "GET", c.target, tokenFor(c.who), nil, monday1030)
		wantBody(t, name, resp, http.StatusBadRequest, "This page of the list cannot be shown", "Start again from the first page")
		calls := w.calls.Counts()
		if calls["Query"] > 0 || calls["PutItem"] > 0 || calls["TransactWriteItems"] > 0 || calls["UpdateItem"] > 0 {
			t.Errorf("%s: read or wrote %v", name, calls)
		}
	}

	ctx := context.Background()
	for name, r := range map[string]concerns.ConcernRange{
		"not a position":      {After: "SCHOOL#hillcrest#CONCERN#X"},
		"outside the dates":   {After: "2026-05-01T00:00:00.000000000Z#X", From: monday1030.AddDate(0, 0, -7)},
		"after the last date": {After: "2026-06-01T00:00:00.000000000Z#X", To: monday1030.AddDate(0, 0, -7)},
	} {
		r.Limit = 10
		if _, err := w.st.ConcernRange(ctx, safeguarding.SchoolID(school), r); !errors.Is(err, safeguarding.ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
	// A position of this school read on another school's list starts there: nothing of
	// Brook Lane comes back.
	chunk, err := w.st.ConcernRange(ctx, "hillcrest", concerns.ConcernRange{After: concerns.PositionOf(mustConcern(t, w, w.byTom[0])), Limit: 100})
	apitest.Must(t, err)
	for _, c := range chunk.Concerns {
		if c.School() != "hillcrest" {
			t.Errorf("Hillcrest's list gave %s of %s", c.ID(), c.School())
		}
	}
}

func mustConcern(t *testing.T, w busyWorld, id string) concerns.Concern {
	t.Helper()
	_, c, err := w.st.ConcernFor(context.Background(), head, safeguarding.SchoolID(school), safeguarding.ConcernID(id))
	apitest.Must(t, err)
	return c
}

// Rules P2, D7: a teacher with 120 concerns sees every one in "Concerns you raised", across
// its pages, each once; their home counts all 120 and the 118 no DSL has acted on.
func TestRule_P2_D7_ATeacherSeesEveryConcernTheyRaised(t *testing.T) {
	w := newBusyWorld(t)
	pages, _ := w.pages(teacher, "/schools/brook-lane/my-concerns", raisedLink)
	seen := map[string]int{}
	for _, p := range pages {
		for _, id := range p {
			seen[id]++
		}
	}
	for _, id := range w.byTom {
		if seen[id] != 1 {
			t.Errorf("Tom's concern %s listed %d times", id, seen[id])
		}
	}
	if len(seen) != len(w.byTom) || len(pages) != 3 {
		t.Errorf("Tom's pages list %d concerns on %d pages, want 120 on 3", len(seen), len(pages))
	}
	got, _, _ := homeWorld{world: w.world}.home(teacher)
	if got["raised"] != 120 || got["raised-waiting"] != 120-len(w.actedOn) {
		t.Errorf("Tom's home counts %d raised, %d waiting; want 120 and %d", got["raised"], got["raised-waiting"], 120-len(w.actedOn))
	}
	got, _, _ = homeWorld{world: w.world}.home(staff)
	if got["raised"] != 10 {
		t.Errorf("Priya's home counts %d raised, want 10", got["raised"])
	}
}

// Rules C4, D1: with 130 concerns, the DSL's home counts every open concern they have not
// read and every one past the time to act on it, not only among the newest 100 (the one
// about them left out, C5); each count is what the dashboard's pages it links to list.
func TestRule_C4_D1_TheDSLsHomeCountsPastTheNewest100(t *testing.T) {
	w := newBusyWorld(t)
	hw := homeWorld{world: w.world}
	got, _, calls := hw.home(dsl)
	unread, overdue := 0, 0
	opened := map[string]bool{}
	for _, id := range w.opened {
		opened[id] = true
	}
	for id := range w.at {
		if id == w.aboutDSL {
			continue
		}
		c := mustConcern(t, w, id)
		if !opened[id] && c.Status() != concerns.CaseClosed {
			unread++
		}
		if c.ResponseOverdue(monday1030) {
			overdue++
		}
	}
	if got["unread"] != unread || got["overdue"] != overdue || overdue <= 100 {
		t.Errorf("Daniel's home counts %d unread and %d overdue, want %d and %d (over 100)", got["unread"], got["overdue"], unread, overdue)
	}
	for show, want := range map[string]int{"unread": unread, "overdue": overdue} {
		pages, _ := w.pages(dsl, "/schools/brook-lane/concerns?show="+show, tableLink)
		if n := countAll(pages); n != want {
			t.Errorf("the dashboard's pages of %s list %d, the home counts %d", show, n, want)
		}
	}
	if calls["Scan"] > 0 || calls["Query"] > 8 {
		t.Errorf("Daniel's home: %v", calls)
	}
	t.Logf("Daniel's home with 130 concerns: %v", calls)
}
