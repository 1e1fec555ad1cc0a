package alert

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func sample(ch safeguarding.Channel, p safeguarding.Priority) safeguarding.Alert {
	return safeguarding.Alert{ID: "01J#d@x#sms", School: "brook-lane", SchoolName: "Brook Lane Primary", Kind: "concern",
		Audience: safeguarding.AudienceDSL, Recipient: "d.okafor@brook.example", Channel: ch, Priority: p,
		Category: safeguarding.CategorySafeguarding, Reference: "C-ABCDEF12", Subject: "01JCONCERN"}
}

func TestRule_S2_MessageHasSchoolCategoryPriorityReferenceAndLinkOnly(t *testing.T) {
	for _, ch := range []safeguarding.Channel{safeguarding.ChannelSMS, safeguarding.ChannelEmail} {
		m := Compose(sample(ch, safeguarding.PriorityHigh), "https://keepsafe.example.org/")
		for _, want := range []string{"Brook Lane Primary", "safeguarding", "C-ABCDEF12", "https://keepsafe.example.org/schools/brook-lane/concerns/01JCONCERN", "URGENT"} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("%s text %q lacks %q", ch, m.Text, want)
			}
		}
		// The recipient is an attribute for routing, never in the text.
		if strings.Contains(m.Text, "okafor") || strings.Contains(m.Subject, "okafor") {
			t.Errorf("%s message names its recipient", ch)
		}
		if ch == safeguarding.ChannelSMS && len(m.Text) > 160 {
			t.Errorf("SMS is %d characters, over one text", len(m.Text))
		}
		if len(m.Subject) >= 100 || strings.ContainsAny(m.Subject, "\r\n") {
			t.Errorf("subject %q is not a valid SNS subject", m.Subject)
		}
	}
}

func TestRule_S2_AttributesForFilterPolicies(t *testing.T) {
	m := Compose(sample(safeguarding.ChannelEmail, safeguarding.PriorityNormal), "https://x")
	want := map[string]string{"school": "brook-lane", "audience": "dsl", "recipient": "d.okafor@brook.example",
		"channel": "email", "priority": "normal", "kind": "concern", "reference": "C-ABCDEF12"}
	for k, v := range want {
		if m.Attributes[k] != v {
			t.Errorf("attribute %s = %q, want %q", k, m.Attributes[k], v)
		}
	}
	if strings.Contains(m.Text, "URGENT") {
		t.Error("a normal alert says URGENT")
	}
}

type recordingSNS struct{ in *sns.PublishInput }

func (r *recordingSNS) Publish(_ context.Context, in *sns.PublishInput, _ ...func(*sns.Options)) (*sns.PublishOutput, error) {
	r.in = in
	return &sns.PublishOutput{MessageId: aws.String("m-1")}, nil
}

type routes map[string][]safeguarding.AlertSubscription

func (r routes) AlertRoute(_ context.Context, school safeguarding.SchoolID, email string) ([]safeguarding.AlertSubscription, error) {
	return r[string(school)+"|"+email], nil
}

func TestPublisherSendsToTheRecipientsShardWithAttributesAsStrings(t *testing.T) {
	rec := &recordingSNS{}
	r := routes{"brook-lane|d.okafor@brook.example": {
		{AlertEndpoint: safeguarding.AlertEndpoint{School: "brook-lane", Email: "d.okafor@brook.example", Channel: safeguarding.ChannelEmail}, Shard: 2, TopicARN: "arn:aws:sns:eu-west-2:1:keepsafe-prod-brook-lane-2"},
		{AlertEndpoint: safeguarding.AlertEndpoint{School: "brook-lane", Email: "d.okafor@brook.example", Channel: safeguarding.ChannelSMS}, Shard: 2, TopicARN: "arn:aws:sns:eu-west-2:1:keepsafe-prod-brook-lane-2"},
	}}
	id, err := Publisher{SNS: rec, Routes: r, AppURL: "https://x"}.Publish(context.Background(), sample(safeguarding.ChannelSMS, safeguarding.PriorityHigh))
	if err != nil || id != "m-1" {
		t.Fatalf("publish: %q %v", id, err)
	}
	if aws.ToString(rec.in.TopicArn) != "arn:aws:sns:eu-west-2:1:keepsafe-prod-brook-lane-2" || aws.ToString(rec.in.MessageAttributes["channel"].StringValue) != "sms" {
		t.Errorf("publish input %+v", rec.in)
	}
}

func TestPublisherSaysWhyAnAlertCannotBeDelivered(t *testing.T) {
	r := routes{"brook-lane|d.okafor@brook.example": {
		{AlertEndpoint: safeguarding.AlertEndpoint{School: "brook-lane", Email: "d.okafor@brook.example", Channel: safeguarding.ChannelEmail}, Shard: 1, TopicARN: "arn:t"},
	}}
	rec := &recordingSNS{}
	p := Publisher{SNS: rec, Routes: r, AppURL: "https://x"}
	if _, err := p.Publish(context.Background(), sample(safeguarding.ChannelSMS, safeguarding.PriorityHigh)); !errors.Is(err, ErrNoEndpoint) {
		t.Errorf("SMS to someone with no mobile: %v, want ErrNoEndpoint", err)
	}
	other := sample(safeguarding.ChannelEmail, safeguarding.PriorityHigh)
	other.Recipient = "left@brook.example"
	if _, err := p.Publish(context.Background(), other); !errors.Is(err, ErrNotSubscribed) {
		t.Errorf("email to someone not subscribed: %v, want ErrNotSubscribed", err)
	}
	if rec.in != nil {
		t.Errorf("published %+v", rec.in)
	}
}

func TestRule_S2_EveryKindSaysWhatHappenedWithTheReferenceOnly(t *testing.T) {
	for kind, want := range map[string]string{
		"concern":             "New safeguarding concern C-ABCDEF12",
		"action-assigned":     "An action on C-ABCDEF12 is assigned to you",
		"reminder":            "An action on C-ABCDEF12 assigned to you is due soon",
		"overdue":             "An action on C-ABCDEF12 is overdue",
		"reallocation-needed": "An action on C-ABCDEF12 needs reallocating",
		"something-new":       "An update on C-ABCDEF12",
	} {
		a := sample(safeguarding.ChannelEmail, safeguarding.PriorityNormal)
		a.Kind = kind
		if m := Compose(a, "https://x"); m.Subject != want || !strings.HasPrefix(m.Text, want+" at Brook Lane Primary.") {
			t.Errorf("%s: subject %q text %q, want %q", kind, m.Subject, m.Text, want)
		}
	}
}

func TestAlertAboutAFamilyLinksToTheFamily(t *testing.T) {
	a := sample(safeguarding.ChannelEmail, safeguarding.PriorityHigh)
	a.Kind, a.Subject, a.SubjectKind = "missing", "fam-01", safeguarding.SubjectFamily
	if m := Compose(a, "https://x"); !strings.Contains(m.Text, "https://x/schools/brook-lane/families/fam-01") {
		t.Errorf("text %q", m.Text)
	}
}

func TestRule_V8_LoneWorkerAlarmLinksTheVisitAndNamesNoOne(t *testing.T) {
	a := safeguarding.Alert{ID: "v#lone-worker1", School: "brook-lane", SchoolName: "Brook Lane Primary", Kind: "lone-worker",
		Audience: safeguarding.AudienceLineManager, Recipient: "d.okafor@brook.example", Channel: safeguarding.ChannelSMS,
		Priority: safeguarding.PriorityHigh, Reference: "V-ABCDEF12", Subject: "01JVISIT", SubjectKind: safeguarding.SubjectVisit}
	m := Compose(a, "https://keepsafe.example.org")
	want := "Keepsafe URGENT: Brook Lane Primary: no check-out from home visit V-ABCDEF12: call the staff now. Sign in: https://keepsafe.example.org/schools/brook-lane/visits/01JVISIT"
	if m.Text != want {
		t.Errorf("SMS %q, want %q", m.Text, want)
	}
	if m.Attributes["kind"] != "lone-worker" || m.Attributes["audience"] != "line_manager" || m.Attributes["priority"] != "high" {
		t.Errorf("attributes %v", m.Attributes)
	}
}

// An email asks each person for what they can do: the DSLs act, an assignee records the
// outcome, a member of staff told or a governor only reads.
func TestRule_S2_AnEmailAsksEachAudienceForWhatItCanDo(t *testing.T) {
	for audience, want := range map[safeguarding.Audience]string{
		safeguarding.AudienceDSL:       "Sign in to read it and record what you do: https://",
		safeguarding.AudienceSeniorDSL: "Sign in to read it and record what you do: https://",
		safeguarding.AudienceAssignee:  "Sign in to see the action and record its outcome: https://",
		safeguarding.AudienceTagged:    "Sign in to read it: https://",
		safeguarding.AudienceGovernor:  "Sign in to read it: https://",
	} {
		a := sample(safeguarding.ChannelEmail, safeguarding.PriorityNormal)
		a.Audience = audience
		if m := Compose(a, "https://keepsafe.example.org"); !strings.Contains(m.Text, want) {
			t.Errorf("the email to %s says %q, want %q", audience, m.Text, want)
		}
	}
}

// Rule S5 with S2: the alerts about a transfer within the federation link to the school's
// transfers and name no pupil.
func TestRule_S5_S2_TheTransferMessagesLinkWithoutNamesOrCode(t *testing.T) {
	a := safeguarding.Alert{School: "hillcrest", SchoolName: "Hillcrest Juniors", Kind: "transfer", Audience: safeguarding.AudienceDSL,
		Recipient: "c.adams@hill.example", Channel: safeguarding.ChannelEmail, Priority: safeguarding.PriorityNormal, Reference: "Transfer",
		Subject: "T1", SubjectKind: safeguarding.SubjectTransfer}
	m := Compose(a, "https://keepsafe.example.org")
	if !strings.Contains(m.Text, "https://keepsafe.example.org/schools/hillcrest/transfers") || !strings.Contains(m.Text, "confirm its receipt") {
		t.Errorf("the receiving DSLs' email: %q", m.Text)
	}
}
