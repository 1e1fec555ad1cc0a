package alert

import (
	"context"
	"errors"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func TestMain(m *testing.M) { dynamotest.Main(m) }

const school = safeguarding.SchoolID("brook-lane")

// The people of the test school; every number is in the range Ofcom keeps for drama.
var (
	head     = person("head@brook.example", "+447700900001", safeguarding.RoleSeniorDSL)
	dsl      = person("dsl@brook.example", "+447700900002", safeguarding.RoleTeacher, safeguarding.RoleDSL)
	deputy   = person("deputy@brook.example", "", safeguarding.RoleDSL) // no mobile
	teacher  = person("teacher@brook.example", "+447700900003", safeguarding.RoleTeacher)
	tagged   = person("tagged@brook.example", "+447700900004", safeguarding.RoleStaff)
	governor = person("governor@brook.example", "+447700900006", safeguarding.RoleGovernor)
	everyone = []safeguarding.Principal{head, dsl, deputy, teacher, tagged, governor}
)

func person(email, mobile string, roles ...safeguarding.Role) safeguarding.Principal {
	return safeguarding.Principal{Email: email, Name: "Staff " + email[:3], Mobile: mobile,
		Memberships: map[safeguarding.SchoolID][]safeguarding.Role{school: roles}}
}

type world struct {
	st  *store.Store
	sns *stack.LocalSNS
	rec Reconciler
	pub Publisher
	c   *sns.Client
}

// newWorld is the table in DynamoDB Local and the local SNS behind the real SDK client, with
// the school and its people written as the people function would.
func newWorld(t *testing.T, perTopic, quota int, people ...safeguarding.Principal) world {
	t.Helper()
	db, table := dynamotest.New(t)
	st := store.New(db, table)
	l := stack.NewLocalSNS(nil, quota)
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	c := sns.New(sns.Options{Region: "eu-west-2", Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(srv.URL)})
	w := world{st: st, sns: l, c: c,
		rec: Reconciler{SNS: c, Store: st, TopicPrefix: "keepsafe-test", KMSKey: "alias/keepsafe-data", PerTopic: perTopic},
		pub: Publisher{SNS: c, Routes: st, AppURL: "https://keepsafe.example.org"}}
	w.put(t, people...)
	return w
}

// put saves the people and a roster of them.
func (w world) put(t *testing.T, people ...safeguarding.Principal) {
	t.Helper()
	ctx := context.Background()
	sc := safeguarding.School{ID: school, Name: "Brook Lane Primary"}
	for _, p := range people {
		if err := w.st.PutUser(ctx, p); err != nil {
			t.Fatal(err)
		}
		sc.Roster = append(sc.Roster, safeguarding.StaffMember{Email: p.Email, Roles: p.Memberships[school]})
	}
	if err := w.st.PutSchool(ctx, sc); err != nil {
		t.Fatal(err)
	}
}

func (w world) reconcile(t *testing.T) Summary {
	t.Helper()
	sum, err := w.rec.Reconcile(context.Background(), school)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

// concern records a concern by the teacher and publishes each of its alerts as the alerts
// function does; it returns the alerts no subscription would deliver.
func (w world) concern(t *testing.T, id string, high bool, about string, tag ...string) (undeliverable []safeguarding.Alert) {
	t.Helper()
	sc, err := w.st.School(context.Background(), school)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 23, 9, 30, 0, 0, time.UTC)
	nc := concerns.NewConcern{PupilIDs: []safeguarding.PupilID{"p1"}, Category: "safeguarding", HighPriority: high,
		ObservedAt: now, Details: "Ava Brown had a bruise on her arm.", PupilWords: "He hit me.", TagStaff: tag}
	if about != "" {
		nc.AboutStaff, nc.SubjectStaffEmail = true, about
	}
	c, err := concerns.RecordConcern(safeguarding.ConcernID(id), nc, teacher, sc,
		map[safeguarding.PupilID]safeguarding.Pupil{"p1": {ID: "p1", School: school, Name: "Ava Brown"}},
		concerns.PolicyCatalogue(), safeguarding.Weekdays{}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range concerns.ConcernAlerts(c, sc) {
		_, err := w.pub.Publish(context.Background(), a)
		switch {
		case errors.Is(err, ErrNoEndpoint), errors.Is(err, ErrNotSubscribed):
			undeliverable = append(undeliverable, a)
		case err != nil:
			t.Fatal(err)
		}
	}
	return undeliverable
}

// reached lists, per endpoint, the channels by which messages with this reference reached it.
func (w world) reached(reference string) map[string][]string {
	out := map[string][]string{}
	for _, a := range w.sns.Alerts() {
		if a.Attributes["reference"] != reference {
			continue
		}
		for _, d := range a.DeliveredTo {
			out[d.Endpoint] = append(out[d.Endpoint], d.Protocol)
		}
	}
	return out
}

func referenceOf(t *testing.T, w world) string {
	t.Helper()
	all := w.sns.Alerts()
	if len(all) == 0 {
		t.Fatal("nothing published")
	}
	return all[len(all)-1].Attributes["reference"]
}

func TestRule_C4_HighPrioritySMSReachesOnlyTheDSLsAndTheSeniorDSLTaggedStaffByEmail(t *testing.T) {
	w := newWorld(t, 0, 0, everyone...)
	if sum := w.reconcile(t); sum.Subscribed != 11 || sum.Topics != 1 {
		t.Fatalf("first reconciliation %+v: want 6 emails and 5 mobiles on one topic", sum)
	}
	undeliverable := w.concern(t, "C1", true, "", tagged.Email)
	got := w.reached(referenceOf(t, w))
	want := map[string][]string{
		head.Email: {"email"}, head.Mobile: {"sms"},
		dsl.Email: {"email"}, dsl.Mobile: {"sms"},
		deputy.Email: {"email"},
		tagged.Email: {"email"}, // tagged: email only, though they have a mobile
	}
	if len(got) != len(want) {
		t.Errorf("reached %v, want %v", got, want)
	}
	for endpoint, chans := range want {
		if !slices.Equal(got[endpoint], chans) {
			t.Errorf("%s reached by %v, want %v", endpoint, got[endpoint], chans)
		}
	}
	// A DSL with no mobile: email arrives; the SMS is recorded as undeliverable, not lost.
	if len(undeliverable) != 1 || undeliverable[0].Recipient != deputy.Email || undeliverable[0].Channel != safeguarding.ChannelSMS {
		t.Errorf("undeliverable %+v, want the deputy's SMS", undeliverable)
	}
	// Each message went to one subscription: its recipient's, on its channel.
	for _, a := range w.sns.Alerts() {
		if len(a.DeliveredTo) != 1 {
			t.Errorf("message for %s by %s reached %d subscriptions", a.Attributes["recipient"], a.Attributes["channel"], len(a.DeliveredTo))
		}
	}
	// A normal concern: email to the DSLs and the Senior DSL, no SMS to anyone.
	w.concern(t, "C2", false, "")
	for endpoint, chans := range w.reached(referenceOf(t, w)) {
		if slices.Contains(chans, "sms") || !strings.Contains(endpoint, "@") {
			t.Errorf("a normal concern reached %s by %v", endpoint, chans)
		}
	}
}

func TestRule_S6_AConcernAboutADSLNeverReachesTheirEmailOrPhone(t *testing.T) {
	w := newWorld(t, 0, 0, everyone...)
	w.reconcile(t)
	w.concern(t, "C1", true, dsl.Email)
	got := w.reached(referenceOf(t, w))
	if _, ok := got[dsl.Email]; ok {
		t.Errorf("the DSL the concern is about was emailed: %v", got)
	}
	if _, ok := got[dsl.Mobile]; ok {
		t.Errorf("the DSL the concern is about was texted: %v", got)
	}
	if len(got[governor.Mobile]) != 1 || len(got[head.Mobile]) != 1 {
		t.Errorf("the governor and the Senior DSL were not texted: %v", got)
	}
}

func TestRule_C4_ALeaverIsUnsubscribedAndReceivesNothingAfter(t *testing.T) {
	w := newWorld(t, 0, 0, everyone...)
	w.reconcile(t)
	var dslSubs []string
	for _, s := range w.sns.Subscriptions() {
		if s.Endpoint == dsl.Email || s.Endpoint == dsl.Mobile {
			dslSubs = append(dslSubs, s.ARN)
		}
	}
	if len(dslSubs) != 2 {
		t.Fatalf("the DSL has %d subscriptions, want email and SMS", len(dslSubs))
	}
	// The DSL leaves (off the roster); the governor stays on it with no role left.
	left := governor
	left.Memberships = map[safeguarding.SchoolID][]safeguarding.Role{school: nil}
	w.put(t, head, deputy, teacher, tagged, left)
	if sum := w.reconcile(t); sum.Unsubscribed != 4 || sum.Subscribed != 0 {
		t.Fatalf("after the roster change %+v: want the DSL's and the governor's 4 subscriptions gone", sum)
	}
	for _, s := range w.sns.Subscriptions() {
		if s.Endpoint == dsl.Email || s.Endpoint == dsl.Mobile || s.Endpoint == governor.Email || s.Endpoint == governor.Mobile {
			t.Errorf("a leaver is still subscribed: %s by %s", s.Endpoint, s.Protocol)
		}
	}
	w.concern(t, "C1", true, "")
	got := w.reached(referenceOf(t, w))
	for _, e := range []string{dsl.Email, dsl.Mobile, governor.Email, governor.Mobile} {
		if len(got[e]) > 0 {
			t.Errorf("a leaver received %v at %s", got[e], e)
		}
	}
	// Even a message addressed to the leaver by name goes nowhere.
	a := sample(safeguarding.ChannelSMS, safeguarding.PriorityHigh)
	a.Recipient = dsl.Email
	if _, err := w.pub.Publish(context.Background(), a); !errors.Is(err, ErrNotSubscribed) {
		t.Errorf("publish to a leaver: %v", err)
	}
	topic := w.sns.Subscriptions()[0].TopicARN
	if _, err := w.c.Publish(context.Background(), &sns.PublishInput{TopicArn: &topic, Message: aws.String("x"),
		MessageAttributes: map[string]snstypes.MessageAttributeValue{
			"recipient": {DataType: aws.String("String"), StringValue: aws.String(dsl.Email)},
			"channel":   {DataType: aws.String("String"), StringValue: aws.String("sms")}}}); err != nil {
		t.Fatal(err)
	}
	if last := w.sns.Alerts()[len(w.sns.Alerts())-1]; len(last.DeliveredTo) != 0 {
		t.Errorf("a message for the leaver reached %+v", last.DeliveredTo)
	}
}

func TestRule_C4_ANewMobileReplacesTheOldOneAndAGivenOneIsAdded(t *testing.T) {
	w := newWorld(t, 0, 0, everyone...)
	w.reconcile(t)
	moved, gave := dsl, deputy
	moved.Mobile, gave.Mobile = "+447700900022", "+447700900023"
	w.put(t, head, moved, gave, teacher, tagged, governor)
	if sum := w.reconcile(t); sum.Unsubscribed != 1 || sum.Subscribed != 2 {
		t.Fatalf("%+v: want the old number off, the new one and the deputy's on", sum)
	}
	if w.concern(t, "C1", true, "") != nil {
		t.Error("an alert was undeliverable")
	}
	got := w.reached(referenceOf(t, w))
	if len(got[dsl.Mobile]) != 0 || len(got[moved.Mobile]) != 1 || len(got[gave.Mobile]) != 1 {
		t.Errorf("reached %v", got)
	}
}

// Reconciling is idempotent: again, or after a run that died between SNS and the table, it
// ends with one subscription per person and channel.
func TestReconcilingTwiceOrAfterACrashChangesNothingMore(t *testing.T) {
	w := newWorld(t, 0, 0, everyone...)
	w.reconcile(t)
	before := len(w.sns.Subscriptions())
	if sum := w.reconcile(t); sum.Subscribed+sum.Unsubscribed+sum.Updated != 0 || sum.Endpoints != before {
		t.Errorf("second run %+v", sum)
	}
	// The table forgets two subscriptions SNS still has; a stored policy is out of date.
	ctx := context.Background()
	for _, ch := range []safeguarding.Channel{safeguarding.ChannelEmail, safeguarding.ChannelSMS} {
		if err := w.st.DeleteAlertSubscription(ctx, school, head.Email, ch); err != nil {
			t.Fatal(err)
		}
	}
	route, _ := w.st.AlertRoute(ctx, school, dsl.Email)
	route[0].FilterPolicy = `{"recipient":["` + dsl.Email + `"]}`
	if err := w.st.PutAlertSubscription(ctx, route[0]); err != nil {
		t.Fatal(err)
	}
	if sum := w.reconcile(t); sum.Subscribed != 2 || sum.Updated != 1 || sum.Unsubscribed != 0 {
		t.Errorf("after the crash %+v", sum)
	}
	if n := len(w.sns.Subscriptions()); n != before {
		t.Errorf("%d subscriptions, want %d", n, before)
	}
}

// The per-topic quota of filter policies: with room for 3 per topic (and a local SNS that
// refuses a 4th), 9 subscriptions of 6 people spread over topic shards, each person whole on
// one, and each message still reaches exactly its recipient.
func TestFilterPolicyQuotaShardsTheSchoolOverTopics(t *testing.T) {
	w := newWorld(t, 3, 3, everyone...)
	sum := w.reconcile(t)
	if sum.Subscribed != 11 || sum.Topics < 4 {
		t.Fatalf("%+v", sum)
	}
	perTopic := map[string]int{}
	topicOf := map[string]string{}
	for _, s := range w.sns.Subscriptions() {
		perTopic[s.TopicARN]++
		who := s.Endpoint
		for _, p := range everyone {
			if p.Mobile == s.Endpoint {
				who = p.Email
			}
		}
		if t0, ok := topicOf[who]; ok && t0 != s.TopicARN {
			t.Errorf("%s is split over %s and %s", who, t0, s.TopicARN)
		}
		topicOf[who] = s.TopicARN
	}
	for topic, n := range perTopic {
		if n > 3 {
			t.Errorf("%s holds %d subscriptions", topic, n)
		}
		if !regexp.MustCompile(`:keepsafe-test-brook-lane(-[2-9])?$`).MatchString(topic) {
			t.Errorf("topic %s", topic)
		}
	}
	// SNS's own count agrees.
	for topic := range perTopic {
		out, err := w.c.ListSubscriptionsByTopic(context.Background(), &sns.ListSubscriptionsByTopicInput{TopicArn: aws.String(topic)})
		if err != nil || len(out.Subscriptions) != perTopic[topic] {
			t.Errorf("%s lists %d: %v", topic, len(out.Subscriptions), err)
		}
	}
	w.concern(t, "C1", true, "", tagged.Email)
	got := w.reached(referenceOf(t, w))
	if len(got[head.Mobile]) != 1 || len(got[dsl.Mobile]) != 1 || len(got[tagged.Email]) != 1 || len(got[deputy.Email]) != 1 || len(got[tagged.Mobile]) != 0 {
		t.Errorf("reached %v", got)
	}
	// A leaver frees room that the next newcomer takes; nobody is moved who need not be.
	if sum := w.reconcile(t); sum.Subscribed+sum.Unsubscribed != 0 {
		t.Errorf("second run %+v", sum)
	}
	// The limit can never be set over SNS's quota.
	w.rec.PerTopic = FilterPolicyQuota + 1
	if _, err := w.rec.Reconcile(context.Background(), school); !errors.Is(err, safeguarding.ErrInvalid) {
		t.Errorf("a limit over the quota: %v", err)
	}
}

// Rule S2 over everything the local SNS saw: no pupil's name, no narrative or words of the
// pupil, no phone number (the staff member's mobile included) in any subject, text or
// attribute.
func TestRule_S2_NoMessageCarriesAPupilNarrativeOrPhoneNumber(t *testing.T) {
	w := newWorld(t, 0, 0, everyone...)
	w.reconcile(t)
	w.concern(t, "C1", true, "", tagged.Email)
	w.concern(t, "C2", false, dsl.Email)
	all := w.sns.Alerts()
	if len(all) < 8 {
		t.Fatalf("%d messages", len(all))
	}
	forbidden := regexp.MustCompile(`(?i)\b(ava|brown|bruise|arm|hit me)\b`)
	phone := regexp.MustCompile(`\+?\d[\d ]{8,}\d`)
	for _, a := range all {
		texts := []string{a.Subject, a.Message}
		for _, v := range a.Attributes {
			texts = append(texts, v)
		}
		for _, s := range texts {
			if m := forbidden.FindString(s); m != "" {
				t.Errorf("message %s holds %q", a.ID, m)
			}
			if m := phone.FindString(s); m != "" {
				t.Errorf("message %s holds a number %q", a.ID, m)
			}
			for _, p := range everyone {
				if p.Mobile != "" && strings.Contains(s, strings.TrimPrefix(p.Mobile, "+44")) {
					t.Errorf("message %s holds a staff mobile", a.ID)
				}
			}
		}
	}
}

func TestTopicNamesAndFilterPolicies(t *testing.T) {
	for _, tc := range []struct {
		prefix string
		school safeguarding.SchoolID
		shard  int
		want   string
	}{
		{"keepsafe-prod", "brook-lane", 1, "keepsafe-prod-brook-lane"},
		{"keepsafe-prod", "brook-lane", 2, "keepsafe-prod-brook-lane-2"},
		{"keepsafe-prod", "st john's", 1, ""},
		{"", "brook-lane", 1, ""},
	} {
		got, err := TopicName(tc.prefix, tc.school, tc.shard)
		if got != tc.want || (tc.want == "") != (err != nil) {
			t.Errorf("TopicName(%q, %q, %d) = %q, %v", tc.prefix, tc.school, tc.shard, got, err)
		}
	}
	if got := FilterPolicy("d@b.example", safeguarding.ChannelSMS); got != `{"channel":["sms"],"recipient":["d@b.example"]}` {
		t.Errorf("policy %s", got)
	}
}

// SMS subscriptions need E.164; people write UK numbers every which way.
func TestMobileNumbersBecomeE164(t *testing.T) {
	for in, want := range map[string]string{
		"07700 900123": "+447700900123", "+44 7700 900123": "+447700900123", "0044 (7700) 900-123": "+447700900123",
		"+353 85 123 4567": "+353851234567", "01632 960123": "", "07700 90012": "", "call me": "", "": "", "+44 20 7946 0123": "",
		"7700900123": "", "+0447700900123": "",
	} {
		got, ok := safeguarding.NormaliseMobile(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormaliseMobile(%q) = %q %v, want %q", in, got, ok, want)
		}
	}
}
