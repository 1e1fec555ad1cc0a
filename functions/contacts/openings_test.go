package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Rule P3's bulk reading: past the school's number of distinct families a person opens within
// an hour, each further family needs a reason.

// addFamilies writes n families of school with ids bulk-01 ... beside the demo's.
func addFamilies(t *testing.T, st *store.Store, school safeguarding.SchoolID, n int) []string {
	t.Helper()
	var ids []string
	var fs []contact.Family
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("bulk-%02d", i)
		ids = append(ids, id)
		fs = append(fs, contact.RestoreFamily(contact.FamilySnapshot{ID: id, School: school}))
	}
	apitest.Must(t, st.PutFamilies(context.Background(), fs))
	return ids
}

// viewAt opens a family's contact details at a time, with the query given (a reason).
func (f fixture) viewAt(t *testing.T, email, school, family string, at time.Time, query url.Values) (int, map[string]any) {
	t.Helper()
	return f.openAt(t, viewRoute, email, school, family, at, query)
}

// versionsAt reads every version of a family's contact details at a time, with the query given.
func (f fixture) versionsAt(t *testing.T, email, school, family string, at time.Time, query url.Values) (int, map[string]any) {
	t.Helper()
	return f.openAt(t, versionsRoute, email, school, family, at, query)
}

// openAt opens a family's contact details through a route at a time, with the query given.
func (f fixture) openAt(t *testing.T, route, email, school, family string, at time.Time, query url.Values) (int, map[string]any) {
	t.Helper()
	path := apitest.Path(route, map[string]string{"school": school, "id": family})
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	resp := apitest.Serve(t, f.h.Handle, api.Event("GET", path, email, "", at, nil))
	scanResponse(t, route, resp)
	var out map[string]any
	_ = json.Unmarshal([]byte(resp.Body), &out)
	return resp.StatusCode, out
}

func because(reason string) url.Values { return url.Values{"reason": {reason}} }

// bulkAlerts are the outbox items of kind bulk-contact-reading, as the alerts function reads them.
func (f fixture) bulkAlerts(t *testing.T) []safeguarding.Alert {
	t.Helper()
	var out []safeguarding.Alert
	for _, it := range apitest.Items(t, f.db, f.table) {
		if attr(it, "type") == "outbox" && attr(it, "kind") == contact.AlertBulkContactReading {
			a := safeguarding.Alert{ID: attr(it, "id"), School: safeguarding.SchoolID(attr(it, "school")), SchoolName: attr(it, "schoolName"),
				Kind: attr(it, "kind"), Audience: safeguarding.Audience(attr(it, "audience")), Recipient: attr(it, "recipient"),
				Channel: safeguarding.Channel(attr(it, "channel")), Priority: safeguarding.Priority(attr(it, "priority")),
				Reference: attr(it, "reference"), Subject: attr(it, "subject"), SubjectKind: attr(it, "subjectKind")}
			out = append(out, a)
		}
	}
	return out
}

// auditOf is the day's audit entries of one actor and family, oldest first.
func (f fixture) auditOf(t *testing.T, school, actor, family string) []map[string]types.AttributeValue {
	t.Helper()
	var out []map[string]types.AttributeValue
	for _, it := range f.audits(t, school) {
		if attr(it, "actor") == actor && attr(it, "subject") == "family/"+family+"/contact-details" {
			out = append(out, it)
		}
	}
	return out
}

func TestRule_P3_P4_PastThirtyFamiliesAnHourEachFurtherFamilyNeedsAReasonThatIsAudited(t *testing.T) {
	f := setup(t)
	families := addFamilies(t, f.st, brook, 32)
	at := now.Add(5 * time.Minute)
	for i, id := range families[:30] {
		if status, body := f.viewAt(t, daniel, brook, id, at.Add(time.Duration(i)*time.Second), nil); status != 200 {
			t.Fatalf("family %d of 30 without a reason: %d %v", i+1, status, body)
		}
	}
	if alerts := f.bulkAlerts(t); len(alerts) != 0 {
		t.Fatalf("30 families alerted: %v", alerts)
	}
	// The 31st distinct family needs a reason: refused without one, and the refusal audited.
	status, body := f.viewAt(t, daniel, brook, families[30], at.Add(time.Minute), nil)
	errs, _ := body["errors"].([]any)
	if status != 428 || len(errs) != 1 || errs[0].(map[string]any)["field"] != "reason" || body["phones"] != nil {
		t.Fatalf("the 31st without a reason: %d %v", status, body)
	}
	if got := f.auditOf(t, brook, daniel, families[30]); len(got) != 1 || attr(got[0], "action") != contact.AuditContactsReasonNeeded {
		t.Errorf("the refusal's audit: %v", got)
	}
	for _, blank := range []string{"", "   ", strings.Repeat("x", contact.MaxOpeningReasonChars+1)} {
		if status, body := f.viewAt(t, daniel, brook, families[30], at.Add(time.Minute), because(blank)); status != 400 || !strings.Contains(fmt.Sprint(body["errors"]), "reason") {
			t.Errorf("reason %.10q: %d %v", blank, status, body)
		}
	}
	// With a reason it opens, and its audit entry holds the reason (rule P4).
	reason := "The family asked us to call back about the food parcel"
	if status, body := f.viewAt(t, daniel, brook, families[30], at.Add(2*time.Minute), because(reason)); status != 200 || len(body["phones"].([]any)) != 0 {
		t.Fatalf("the 31st with a reason: %d %v", status, body)
	}
	got := f.auditOf(t, brook, daniel, families[30])
	if len(got) != 2 || attr(got[1], "action") != contact.AuditContactsViewed || attr(got[1], "reason") != reason {
		t.Errorf("the opening's audit entry: %v", got)
	}
	// Re-opening a family counted this hour never needs a reason, before or past the threshold.
	for _, id := range []string{families[0], families[29], families[30]} {
		if status, body := f.viewAt(t, daniel, brook, id, at.Add(3*time.Minute), nil); status != 200 {
			t.Errorf("re-opening %s: %d %v", id, status, body)
		}
	}
	if status, _ := f.viewAt(t, daniel, brook, families[31], at.Add(4*time.Minute), nil); status != 428 {
		t.Errorf("the 32nd without a reason: %d", status)
	}
	// Another person's hour is their own.
	if status, _ := f.viewAt(t, helen, brook, families[31], at.Add(4*time.Minute), nil); status != 200 {
		t.Errorf("the Senior DSL's first family: %d", status)
	}
	// The next hour starts again.
	next := now.Truncate(time.Hour).Add(time.Hour)
	if status, body := f.viewAt(t, daniel, brook, families[31], next, nil); status != 200 {
		t.Errorf("the next hour: %d %v", status, body)
	}
}

func TestRule_P3_S2_TheSeniorDSLIsAlertedOncePerPersonAndHourWithNoPersonalData(t *testing.T) {
	f := setup(t)
	families := addFamilies(t, f.st, brook, 33)
	at := now.Add(5 * time.Minute)
	for _, id := range families[:30] {
		if status, _ := f.viewAt(t, daniel, brook, id, at, nil); status != 200 {
			t.Fatal(status)
		}
	}
	// The first attempt past the threshold alerts, refused or not; later ones do not.
	f.viewAt(t, daniel, brook, families[30], at, nil)
	f.viewAt(t, daniel, brook, families[30], at, because("Call back"))
	f.viewAt(t, daniel, brook, families[31], at, because("Call back"))
	f.viewAt(t, daniel, brook, families[32], at, nil)
	alerts := f.bulkAlerts(t)
	if len(alerts) != 1 {
		t.Fatalf("alerts %v, want one to the Senior DSL", alerts)
	}
	a := alerts[0]
	var refused map[string]types.AttributeValue
	for _, it := range f.auditOf(t, brook, daniel, families[30]) {
		if attr(it, "action") == contact.AuditContactsReasonNeeded {
			refused = it
		}
	}
	if a.Recipient != helen || a.Audience != safeguarding.AudienceSeniorDSL || a.Channel != safeguarding.ChannelEmail ||
		a.Priority != safeguarding.PriorityHigh || a.Reference != attr(refused, "id") {
		t.Errorf("alert %+v, want Helen by email with the refused attempt's audit reference", a)
	}
	m := alert.Compose(a, "https://keepsafe.example")
	text := m.Subject + "\n" + m.Text + "\n" + fmt.Sprint(m.Attributes)
	for _, personal := range []string{daniel, "Daniel", "Reyes", "bulk-0", "FAM-"} {
		if strings.Contains(strings.ToLower(text), strings.ToLower(personal)) {
			t.Errorf("rule S2: the alert carries %q: %s", personal, text)
		}
	}
	if familyNumber.MatchString(text) || familyAddress.MatchString(text) || !strings.Contains(m.Text, "/schools/brook-lane/closure-contacts") {
		t.Errorf("alert text: %s", text)
	}
	// Another person past the threshold in the same hour is alerted about too, and the same
	// person again the next hour.
	for _, id := range families[:31] {
		f.viewAt(t, tom, brook, id, at, nil)
	}
	next := now.Truncate(time.Hour).Add(time.Hour)
	for _, id := range families[:31] {
		f.viewAt(t, daniel, brook, id, next, nil)
	}
	if n := len(f.bulkAlerts(t)); n != 3 {
		t.Errorf("%d alerts, want one per person and hour (3)", n)
	}
}

func TestRule_P3_ConcurrentOpeningsAtTheThresholdDoNotBothPassWithoutAReason(t *testing.T) {
	f := setup(t)
	families := addFamilies(t, f.st, brook, 31)
	for _, id := range families[:29] {
		if status, _ := f.viewAt(t, daniel, brook, id, now, nil); status != 200 {
			t.Fatal(status)
		}
	}
	// Two openings of new families at once with one place left under the threshold.
	statuses := make([]int, 2)
	var wg sync.WaitGroup
	for i, id := range families[29:31] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses[i], _ = f.viewAt(t, daniel, brook, id, now, nil)
		}()
	}
	wg.Wait()
	slices.Sort(statuses)
	if !slices.Equal(statuses, []int{200, 428}) {
		t.Errorf("two openings racing for the last place: %v, want one 200 and one 428", statuses)
	}
}

func TestRule_P3_ASchoolSetsItsOwnNumberOfFamiliesAnHour(t *testing.T) {
	f := setup(t)
	sc, err := f.st.School(context.Background(), brook)
	apitest.Must(t, err)
	sc.ContactOpeningsPerHour = 3
	apitest.Must(t, f.st.PutSchool(context.Background(), sc))
	families := addFamilies(t, f.st, brook, 4)
	for _, id := range families[:3] {
		if status, _ := f.viewAt(t, daniel, brook, id, now, nil); status != 200 {
			t.Fatal(status)
		}
	}
	if status, _ := f.viewAt(t, daniel, brook, families[3], now, nil); status != 428 {
		t.Errorf("the 4th family at a school of 3 an hour: %d", status)
	}
	if status, _ := f.viewAt(t, daniel, brook, families[3], now, because("A call back was asked for")); status != 200 {
		t.Errorf("with a reason: %d", status)
	}
	// Out of bounds, the setting is refused, naming it.
	for _, n := range []int{-1, safeguarding.MaxContactOpeningsPerHour + 1} {
		sc.ContactOpeningsPerHour = n
		if err := f.st.PutSchool(context.Background(), sc); err == nil || !strings.Contains(err.Error(), "contactOpeningsPerHour") {
			t.Errorf("%d families an hour: %v", n, err)
		}
	}
}

// Rule P3 through the versions: every version holds the family's numbers and address, so
// reading them opens the family like the view does. At a school of 3 families an hour, Daniel
// views two families and reads the versions of a third; the fourth family's versions need a
// reason (428, audited, nothing shown, the Senior DSL alerted once), and with one they are
// read, the reason in the reading's audit entry. A family counted either way opens either way
// freely for the rest of the hour.
func TestRule_P3_P4_TheVersionsOfAFamilyCountTowardTheHourLikeItsView(t *testing.T) {
	f := setup(t)
	sc, err := f.st.School(context.Background(), brook)
	apitest.Must(t, err)
	sc.ContactOpeningsPerHour = 3
	apitest.Must(t, f.st.PutSchool(context.Background(), sc))
	at := now.Add(5 * time.Minute)
	for _, id := range []string{"fam-01", "fam-02"} {
		if status, body := f.viewAt(t, daniel, brook, id, at, nil); status != 200 {
			t.Fatalf("viewing %s: %d %v", id, status, body)
		}
	}
	if status, body := f.versionsAt(t, daniel, brook, "fam-03", at, nil); status != 200 || len(body["versions"].([]any)) == 0 {
		t.Fatalf("the versions of a third family: %d %v", status, body)
	}
	// The fourth family: its versions are refused without a reason, and the refusal audited.
	status, body := f.versionsAt(t, daniel, brook, "fam-04", at.Add(time.Minute), nil)
	errs, _ := body["errors"].([]any)
	if status != 428 || len(errs) != 1 || errs[0].(map[string]any)["field"] != "reason" || body["versions"] != nil {
		t.Fatalf("the versions of a fourth family without a reason: %d %v", status, body)
	}
	versionsAudit := func(family string) []map[string]types.AttributeValue {
		var out []map[string]types.AttributeValue
		for _, it := range f.audits(t, brook) {
			if attr(it, "actor") == daniel && attr(it, "subject") == "family/"+family+"/contact-details/versions" {
				out = append(out, it)
			}
		}
		return out
	}
	if got := versionsAudit("fam-04"); len(got) != 1 || attr(got[0], "action") != contact.AuditContactsReasonNeeded {
		t.Errorf("the refusal's audit: %v", got)
	}
	if alerts := f.bulkAlerts(t); len(alerts) != 1 || alerts[0].Reference != attr(versionsAudit("fam-04")[0], "id") {
		t.Errorf("alerts %v, want one referring to the refused reading", alerts)
	}
	if status, body := f.versionsAt(t, daniel, brook, "fam-04", at.Add(time.Minute), because(" ")); status != 400 || !strings.Contains(fmt.Sprint(body["errors"]), "reason") {
		t.Errorf("a blank reason: %d %v", status, body)
	}
	// The families counted this hour, by their view or their versions, open both ways freely.
	for _, open := range []func() (int, map[string]any){
		func() (int, map[string]any) {
			return f.versionsAt(t, daniel, brook, "fam-01", at.Add(2*time.Minute), nil)
		},
		func() (int, map[string]any) { return f.viewAt(t, daniel, brook, "fam-03", at.Add(2*time.Minute), nil) },
	} {
		if status, body := open(); status != 200 {
			t.Errorf("a family counted this hour: %d %v", status, body)
		}
	}
	// With a reason the versions are read, and the reading's audit entry keeps it (rule P4).
	reason := "Checking which number the family gave us before the move"
	if status, body := f.versionsAt(t, daniel, brook, "fam-04", at.Add(3*time.Minute), because(reason)); status != 200 || body["familyId"] != "fam-04" {
		t.Fatalf("the versions with a reason: %d %v", status, body)
	}
	got := versionsAudit("fam-04")
	if len(got) != 2 || attr(got[1], "action") != contact.AuditContactsVersionsRead || attr(got[1], "reason") != reason {
		t.Errorf("the reading's audit entry: %v", got)
	}
	// Counted now, the fourth family's view needs no reason; a fifth family's does.
	if status, _ := f.viewAt(t, daniel, brook, "fam-04", at.Add(4*time.Minute), nil); status != 200 {
		t.Errorf("viewing the fourth family after its versions: %d", status)
	}
	if status, _ := f.viewAt(t, daniel, brook, "fam-05", at.Add(4*time.Minute), nil); status != 428 {
		t.Errorf("a fifth family: %d", status)
	}
	if n := len(f.bulkAlerts(t)); n != 1 {
		t.Errorf("%d alerts, want one for the person and hour", n)
	}
}
