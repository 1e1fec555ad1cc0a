package main

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// homeWorld is a Brook Lane with every use case a home counts from, and a day's records made
// in the test at monday1030:
//   - Tom (a teacher) raised a concern about Chidi this morning, unread by the DSLs;
//   - Tom raised one about Alfie and Daniel Reyes, a DSL, this morning: hidden from Daniel,
//     routed to the governor (C5);
//   - Priya (staff) raised one last Friday that no DSL has acted on: past its time (D1);
//   - Tom raised one last Friday that Helen, the Senior DSL, acted on by giving Priya a
//     check-in;
//   - Daniel planned a home visit to the Fletchers for this afternoon with Priya and Tom, which waits
//     for Helen to authorise it (V1).
type homeWorld struct {
	*world
	raisedToday, aboutDSL, overdue, actedOn string
}

func newHomeWorld(t *testing.T) homeWorld {
	t.Helper()
	w := newWorld(t)
	st := w.st
	apitest.Must(t, seed.ApplyFamilies(context.Background(), st, seed.Demo()))
	cal := calendar.EnglandAndWales()
	w.h.Engagement = engagement.Engagement{Store: st, BankHolidays: cal, NewID: store.NewID}
	w.h.Classes = engagement.ClassLists{Store: st}
	w.h.Contacts = contact.Contacts{Store: st, NewID: store.NewID}
	w.h.Visits = visits.Visits{Store: st, Calendar: cal, Catalogue: concerns.PolicyCatalogue(), NewID: store.NewID}
	w.h.Transfers = transfers.Transfers{Store: st, NewID: store.NewID, Calendar: cal}
	ctx := context.Background()
	friday := monday1030.AddDate(0, 0, -3)
	record := func(who string, in concerns.NewConcern, at time.Time) string {
		t.Helper()
		r, err := w.h.Concerns.Record(ctx, safeguarding.Caller{Email: who, At: at}, safeguarding.SchoolID(school), in, safeguarding.RequestKey{}, "")
		apitest.Must(t, err)
		return r.ID
	}
	about := func(pupil string, details string, at time.Time) concerns.NewConcern {
		return concerns.NewConcern{PupilIDs: []safeguarding.PupilID{safeguarding.PupilID(pupil)}, Category: "safeguarding",
			ObservedAt: at.Add(-30 * time.Minute), Details: details}
	}
	hw := homeWorld{world: w}
	hw.raisedToday = record(teacher, about("bl-01", "Chidi said he was hungry.", monday1030.Add(-time.Hour)), monday1030.Add(-time.Hour))
	aboutDSL := about("bl-02", "Daniel Reyes shouted at Alfie.", monday1030.Add(-50*time.Minute))
	aboutDSL.AboutStaff, aboutDSL.SubjectStaffEmail = true, dsl
	hw.aboutDSL = record(teacher, aboutDSL, monday1030.Add(-50*time.Minute))
	hw.overdue = record(staff, about("bl-03", "A bruise on the arm.", friday.Add(-30*time.Minute)), friday.Add(-30*time.Minute))
	hw.actedOn = record(teacher, about("bl-04", "Tired every morning this week.", friday.Add(-20*time.Minute)), friday.Add(-20*time.Minute))
	due := monday1030.Add(48 * time.Hour)
	_, err := w.h.Cases.AddAction(ctx, safeguarding.Caller{Email: head, At: friday}, safeguarding.SchoolID(school), safeguarding.ConcernID(hw.actedOn),
		casework.NewAction{Type: string(casework.ActionCheckIn), AssigneeEmail: staff, Notes: "Check in each morning.", DueAt: &due},
		safeguarding.RequestKey{}, "")
	apitest.Must(t, err)
	start := time.Date(2026, 6, 1, 14, 0, 0, 0, safeguarding.London)
	_, err = w.h.Visits.Plan(ctx, safeguarding.Caller{Email: dsl, At: monday1030.Add(-2 * time.Hour)}, safeguarding.SchoolID(school),
		visits.NewVisit{FamilyID: "fam-05", StaffEmails: []string{staff, teacher}, LineManagerEmail: head, PlannedStart: start, PlannedEnd: start.Add(time.Hour), Reason: "No answer to three calls this week."},
		safeguarding.RequestKey{}, "")
	apitest.Must(t, err)
	return hw
}

var needLine = regexp.MustCompile(`id="need-brook-lane-([a-z-]+)" data-count="(\d+)"`)

// home opens who's home at monday1030 and returns its counts by key, the page, and the
// DynamoDB calls it made (the session's read included).
func (w homeWorld) home(who string) (map[string]int, string, map[string]int) {
	w.t.Helper()
	return w.homeAt(who, monday1030)
}

func (w homeWorld) homeAt(who string, at time.Time) (map[string]int, string, map[string]int) {
	w.t.Helper()
	session := testSession(w.t, w.h, tokenFor(who))
	w.calls.Reset()
	resp := call(w.t, w.h, "GET", "/", session, nil, at)
	calls := w.calls.Counts()
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("%s's home: %d", who, resp.StatusCode)
	}
	got := map[string]int{}
	for _, m := range needLine.FindAllStringSubmatch(resp.Body, -1) {
		n, _ := strconv.Atoi(m[2])
		got[m[1]] = n
	}
	return got, resp.Body, calls
}

func wantCounts(t *testing.T, who string, got, want map[string]int) {
	t.Helper()
	for k, n := range want {
		if g, ok := got[k]; !ok || g != n {
			t.Errorf("%s's home: %q is %d (shown: %v), want %d", who, k, g, ok, n)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s's home shows %q (%d), which is not theirs", who, k, got[k])
		}
	}
}

// wantCalls bounds a home's DynamoDB calls: at most max in all, no more Queries than the
// counts it shows (each count is one use case's list, read once), and never a Scan. Each use
// case reads the reader's profile itself (its access check) and audits its read.
func wantCalls(t *testing.T, who string, got map[string]int, calls map[string]int, max int) {
	t.Helper()
	total := 0
	for _, n := range calls {
		total += n
	}
	if calls["Scan"] > 0 || total > max || calls["Query"] > len(got) {
		t.Errorf("%s's home made %d DynamoDB calls (%v) for %d counts, want at most %d, a Query per count at most and no Scan",
			who, total, calls, len(got), max)
	}
	t.Logf("%s's home: %d DynamoDB calls %v", who, total, calls)
}

// Rules C4, D1: the DSL's home counts the concerns not yet read and those past the time to act on
// them, their own work, the families missing and today's home visits; a concern about the
// DSL themself is not counted, as the dashboard it links to does not list it.
func TestRule_C4_D1_ADSLsHomeCountsWhatWaitsForThem(t *testing.T) {
	w := newHomeWorld(t)
	got, body, calls := w.home(dsl)
	// Daniel also teaches Willows: his home has the teacher's lines too.
	wantCounts(t, "the DSL", got, map[string]int{"unread": 3, "overdue": 1, "work": 0, "missing": 0, "visits-today": 1, "raised": 0,
		"class-a": 6, "imports-errors": 0})
	wantBody(t, "the DSL's home", evOK(body), http.StatusOK, `href="/schools/brook-lane/concerns?show=unread"`, "3 concerns not yet read",
		"1 concern past the time to act on it", "No work for you", "No families missing", "1 home visit today",
		"6 families in Willows not heard from today", "No imports with errors in the last 30 days")
	noRuleIDs(t, "the DSL's home", body)
	// The dashboard each count links to lists as many.
	for show, want := range map[string]int{"unread": got["unread"], "overdue": got["overdue"]} {
		dash := call(t, w.h, "GET", "/schools/brook-lane/concerns?show="+show, tokenFor(dsl), nil, monday1030)
		if n := strings.Count(dash.Body, `<tr class="govuk-table__row">`) - 1; n != want {
			t.Errorf("the dashboard lists %d concerns for %s, the home counts %d", n, show, want)
		}
		if strings.Contains(dash.Body, "Alfie") {
			t.Error("the dashboard lists the concern about the DSL")
		}
	}
	// The concerns' counts are two readings: the open concerns (unread, overdue) and, as
	// Daniel teaches too, the concerns he raised (A98), and the imports with errors (A100) and the classes
	// he marks (A101).
	wantCalls(t, "the DSL", got, calls, 27)
}

// Rule V1 (and D9, E4, S5): the Senior DSL's home has the DSL's counts and what only they do:
// home visits waiting for their authorisation, the local authority notifications due, the
// complex cases due their review and the files to send to a pupil's new school.
func TestRule_V1_TheSeniorDSLsHomeCountsVisitsWaitingForAuthorisation(t *testing.T) {
	w := newHomeWorld(t)
	got, body, calls := w.home(head)
	wantCounts(t, "the Senior DSL", got, map[string]int{"unread": 4, "overdue": 1, "work": 0, "missing": 0, "la-due": 0,
		"visits-today": 1, "visits-waiting": 1, "reviews": 0, "transfers": 0, "transfers-in": 0, "imports-errors": 0})
	wantBody(t, "the Senior DSL's home", evOK(body), http.StatusOK, "1 home visit waiting for you to authorise it",
		`href="/schools/brook-lane/visits"`, "No case reviews due", "No files waiting to be sent",
		"No local authority notifications due")
	noRuleIDs(t, "the Senior DSL's home", body)
	wantCalls(t, "the Senior DSL", got, calls, 28)
}

// Rules P2, D7: a teacher's home counts the concerns they raised and those no DSL has acted on
// yet, linked to "Concerns you raised", and links to their class's marking; the page lists
// only what they wrote or were tagged in, by pupil name, category and where it stands.
func TestRule_P2_D7_ATeachersHomeShowsTheConcernsTheyRaised(t *testing.T) {
	w := newHomeWorld(t)
	got, body, calls := w.home(teacher)
	wantCounts(t, "the teacher", got, map[string]int{"work": 0, "visits-today": 1, "raised": 3, "raised-waiting": 2, "class-a": 5})
	wantBody(t, "the teacher's home", evOK(body), http.StatusOK, `href="/schools/brook-lane/my-concerns"`, "3 concerns you raised",
		"2 of them not yet acted on by a DSL", "5 families in Acorns not heard from today")
	noRuleIDs(t, "the teacher's home", body)
	wantCalls(t, "the teacher", got, calls, 17)

	page := call(t, w.h, "GET", "/schools/brook-lane/my-concerns", tokenFor(teacher), nil, monday1030)
	wantBody(t, "the teacher's concerns", page, http.StatusOK, "Concerns you raised", "Chidi", "Waiting for a DSL to act on it",
		"A DSL is acting on it", "Safeguarding")
	if n := strings.Count(page.Body, `class="app-chronology__entry"`); n != 3 {
		t.Errorf("the teacher's concerns list %d, want 3", n)
	}
	if strings.Contains(page.Body, "A bruise on the arm") || strings.Count(page.Body, "/concerns/"+w.overdue) > 0 {
		t.Error("the teacher's concerns list one Priya raised")
	}
	// Priya sees her own only.
	priya := call(t, w.h, "GET", "/schools/brook-lane/my-concerns", tokenFor(staff), nil, monday1030)
	if n := strings.Count(priya.Body, `class="app-chronology__entry"`); n != 1 || !strings.Contains(priya.Body, "/concerns/"+w.overdue) {
		t.Errorf("Priya's concerns list %d", n)
	}
	if resp := call(t, w.h, "GET", "/schools/brook-lane/my-concerns", tokenFor(outsider), nil, monday1030); resp.StatusCode != http.StatusNotFound {
		t.Errorf("someone of another school: %d", resp.StatusCode)
	}
}

// Rule D6: a member of staff's home counts their work and their home visits today.
func TestRule_D6_AStaffMembersHomeCountsTheirWorkAndVisits(t *testing.T) {
	w := newHomeWorld(t)
	got, body, calls := w.home(staff)
	wantCounts(t, "Priya", got, map[string]int{"work": 1, "visits-today": 1, "raised": 1, "raised-waiting": 1})
	wantBody(t, "Priya's home", evOK(body), http.StatusOK, "1 piece of work for you", `href="/schools/brook-lane/work"`, "1 home visit today")
	noRuleIDs(t, "Priya's home", body)
	wantCalls(t, "Priya", got, calls, 13)
}

// Rules H1, C9: the office's home counts the families short of contact numbers and the pupils
// below 90% attendance, as the pages it links to list them.
func TestRule_H1_C9_TheOfficesHomeCountsFamiliesShortOfNumbers(t *testing.T) {
	w := newHomeWorld(t)
	got, body, calls := w.home(office)
	short, err := w.h.Contacts.ContactReport(context.Background(), safeguarding.Caller{Email: office, At: monday1030}, safeguarding.SchoolID(school), upToDateWithin)
	apitest.Must(t, err)
	wantCounts(t, "the office", got, map[string]int{"work": 0, "visits-today": 0, "raised": 0, "numbers": len(short), "attendance": got["attendance"]})
	if _, ok := got["attendance"]; !ok {
		t.Error("the office's home has no attendance line")
	}
	wantBody(t, "the office's home", evOK(body), http.StatusOK, `href="/schools/brook-lane/contact-details/report"`,
		`href="/schools/brook-lane/attendance"`)
	noRuleIDs(t, "the office's home", body)
	// The last import is a line without a count, read by one Query of its own.
	got["last-import"] = 0
	wantCalls(t, "the office", got, calls, 21)
}

// Rules P2, C5: a governor's home counts the concerns routed to them and links to the
// governors' report, and nothing else of the records.
func TestRule_P2_C5_AGovernorsHomeCountsTheConcernsRoutedToThem(t *testing.T) {
	w := newHomeWorld(t)
	got, body, calls := w.home(apitest.Martin)
	wantCounts(t, "the governor", got, map[string]int{"routed": 1})
	wantBody(t, "the governor's home", evOK(body), http.StatusOK, "1 concern routed to you", `href="/schools/brook-lane/governors"`,
		"The governors' report for this term")
	noRuleIDs(t, "the governor's home", body)
	// Its count reads the index of the concerns about staff (A112): one Query, then one
	// BatchGetItem of the concerns it names and one of the governor's read marks.
	wantCalls(t, "the governor", got, calls, 8)
}

// evOK wraps a page already checked for 200 for wantBody.
func evOK(body string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, Body: body}
}

// Rule D9: the Senior DSL's home counts the complex cases due their review, as the SLT
// review lists them.
func TestRule_D9_TheSeniorDSLsHomeCountsTheComplexCasesDueTheirReview(t *testing.T) {
	w := newHomeWorld(t)
	ctx := context.Background()
	_, err := w.h.Cases.ChangeCase(ctx, safeguarding.Caller{Email: head, At: monday1030}, safeguarding.SchoolID(school),
		safeguarding.ConcernID(w.raisedToday), "complex", "", "Several agencies involved", safeguarding.RequestKey{}, "")
	apitest.Must(t, err)
	if got, _, _ := w.home(head); got["reviews"] != 0 {
		t.Errorf("a case marked complex today is due its review on the home: %d", got["reviews"])
	}
	later := monday1030.AddDate(0, 0, 50)
	got, body, _ := w.homeAt(head, later)
	review, err := w.h.Cases.ReviewList(ctx, safeguarding.Caller{Email: head, At: later}, safeguarding.SchoolID(school))
	apitest.Must(t, err)
	if len(review.ComplexDue) != 1 || got["reviews"] != 1 {
		t.Errorf("seven weeks on, the home counts %d cases due their review, the review lists %d", got["reviews"], len(review.ComplexDue))
	}
	wantBody(t, "the Senior DSL's home", evOK(body), http.StatusOK, "1 complex case due its review", `href="/schools/brook-lane/review"`)
}

// Rule C4: the dashboard narrows to what the DSL chooses (open or closed, high priority, a
// category, those not yet read or past the time to act on them, words of a pupil's name),
// names each concern's reporter, and takes no value the form does not offer.
func TestRule_C4_TheDashboardFiltersAndNamesTheReporter(t *testing.T) {
	w := newHomeWorld(t)
	rows := func(query string) (int, string) {
		t.Helper()
		page := call(t, w.h, "GET", "/schools/brook-lane/concerns"+query, tokenFor(head), nil, monday1030)
		if page.StatusCode != http.StatusOK {
			t.Fatalf("the dashboard with %q: %d", query, page.StatusCode)
		}
		noRuleIDs(t, "the dashboard", page.Body)
		return max(0, strings.Count(page.Body, `<tr class="govuk-table__row">`)-1), page.Body
	}
	all, body := rows("")
	if all != 4 || !strings.Contains(body, "Tom Hughes") || !strings.Contains(body, "Priya Shah") || !strings.Contains(body, ">Reporter<") {
		t.Errorf("every concern: %d rows, reporters named: %v", all, strings.Contains(body, "Tom Hughes"))
	}
	for query, want := range map[string]int{
		"?pupil=chidi": 1, "?pupil=+CHIDI++": 1, "?pupil=nobody": 0, "?show=overdue": 1, "?show=unread": 4,
		"?status=open": 4, "?status=closed": 0, "?priority=high": 0, "?category=safeguarding": 4, "?category=attendance": 0,
		"?status=shut&priority=urgent&category=nothing&show=all": 4, "?show=overdue&pupil=chidi": 0,
	} {
		if n, body := rows(query); n != want {
			t.Errorf("the dashboard with %q lists %d, want %d", query, n, want)
		} else if query != "" && want == 0 && !strings.Contains(body, "No concern matches what you chose.") && !strings.Contains(query, "shut") {
			t.Errorf("the dashboard with %q does not say nothing matches", query)
		}
	}
	if _, body := rows("?pupil=chidi"); !strings.Contains(body, "Concerns that match what you chose. Page 1.") ||
		!strings.Contains(body, `value="chidi"`) {
		t.Error("the filtered dashboard does not say it is filtered, or forgets the name asked for")
	}
}
