package stack

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
)

func localSNS(t *testing.T, quota int) (*LocalSNS, *sns.Client) {
	t.Helper()
	l := NewLocalSNS(nil, quota)
	srv := httptest.NewServer(l)
	t.Cleanup(srv.Close)
	return l, sns.New(sns.Options{
		Region:       Region,
		Credentials:  credentials.NewStaticCredentialsProvider("local", "local", ""),
		BaseEndpoint: aws.String(srv.URL),
	})
}

func strAttr(v string) snstypes.MessageAttributeValue {
	return snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
}

// The real SDK client against the local SNS: topics and subscriptions are idempotent as SNS's
// are, and each message reaches exactly the subscriptions whose filter policy it passes.
func TestLocalSNSFilterPoliciesDeliverToExactlyTheirRecipient(t *testing.T) {
	l, c := localSNS(t, 0)
	ctx := context.Background()
	kms := map[string]string{"KmsMasterKeyId": "alias/data"}
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("keepsafe-local-brook-lane"), Attributes: kms})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("keepsafe-local-brook-lane"), Attributes: kms})
	if err != nil || aws.ToString(again.TopicArn) != aws.ToString(topic.TopicArn) {
		t.Fatalf("CreateTopic again: %v %v", again, err)
	}
	if _, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("keepsafe-local-brook-lane")}); err == nil {
		t.Error("the same name with other attributes was accepted")
	}
	if _, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("bad name!")}); err == nil {
		t.Error("an invalid topic name was accepted")
	}
	sub := func(proto, endpoint, email, ch string) string {
		t.Helper()
		in := &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String(proto), Endpoint: aws.String(endpoint),
			ReturnSubscriptionArn: true, Attributes: map[string]string{
				"FilterPolicy":      fmt.Sprintf(`{"recipient":[%q],"channel":[%q]}`, email, ch),
				"FilterPolicyScope": "MessageAttributes"}}
		out, err := c.Subscribe(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		again, err := c.Subscribe(ctx, in)
		if err != nil || aws.ToString(again.SubscriptionArn) != aws.ToString(out.SubscriptionArn) {
			t.Fatalf("Subscribe again: %v %v", again, err)
		}
		return aws.ToString(out.SubscriptionArn)
	}
	dslMail := sub("email", "d@brook.example", "d@brook.example", "email")
	dslSMS := sub("sms", "+447700900002", "d@brook.example", "sms")
	staffMail := sub("email", "s@brook.example", "s@brook.example", "email")
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("sms"), Endpoint: aws.String("07700 900002")}); err == nil {
		t.Error("an SMS endpoint that is not E.164 was accepted")
	}
	if _, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"), Endpoint: aws.String("x@brook.example"),
		Attributes: map[string]string{"FilterPolicy": `{"recipient":[{"prefix":"x"}]}`}}); err == nil {
		t.Error("a filter policy the local SNS cannot match was accepted")
	}
	publish := func(recipient, ch string) []Delivery {
		t.Helper()
		out, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("Keepsafe: new concern C-1"),
			MessageAttributes: map[string]snstypes.MessageAttributeValue{"recipient": strAttr(recipient), "channel": strAttr(ch), "school": strAttr("brook-lane")}})
		if err != nil {
			t.Fatal(err)
		}
		all := l.Alerts()
		last := all[len(all)-1]
		if last.ID != aws.ToString(out.MessageId) || last.TopicARN != aws.ToString(topic.TopicArn) {
			t.Fatalf("last alert %+v", last)
		}
		return last.DeliveredTo
	}
	for _, tc := range []struct {
		recipient, ch string
		want          []string
	}{
		{"d@brook.example", "sms", []string{dslSMS}},
		{"d@brook.example", "email", []string{dslMail}},
		{"s@brook.example", "email", []string{staffMail}},
		{"s@brook.example", "sms", nil},
		{"left@brook.example", "email", nil},
	} {
		var got []string
		for _, d := range publish(tc.recipient, tc.ch) {
			got = append(got, d.SubscriptionARN)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%s by %s reached %v, want %v", tc.recipient, tc.ch, got, tc.want)
		}
	}

	// A changed filter policy applies to the next message; an unsubscribed endpoint gets nothing.
	if _, err := c.SetSubscriptionAttributes(ctx, &sns.SetSubscriptionAttributesInput{SubscriptionArn: aws.String(staffMail),
		AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(`{"recipient":["s@brook.example"],"channel":["sms"]}`)}); err != nil {
		t.Fatal(err)
	}
	if got := publish("s@brook.example", "sms"); len(got) != 1 || got[0].Endpoint != "s@brook.example" {
		t.Errorf("after SetSubscriptionAttributes: %+v", got)
	}
	if _, err := c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(dslSMS)}); err != nil {
		t.Fatal(err)
	}
	var nf *snstypes.NotFoundException
	if _, err := c.Unsubscribe(ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(dslSMS)}); !errors.As(err, &nf) {
		t.Errorf("second Unsubscribe: %v, want NotFound", err)
	}
	if got := publish("d@brook.example", "sms"); len(got) != 0 {
		t.Errorf("after Unsubscribe: %+v", got)
	}
	if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(snsARNPrefix + "nope"), Message: aws.String("x")}); !errors.As(err, &nf) {
		t.Errorf("publish to a topic that does not exist: %v", err)
	}
	if len(l.Subscriptions()) != 2 {
		t.Errorf("subscriptions %+v", l.Subscriptions())
	}
}

func TestLocalSNSKeepsTheFilterPolicyQuotaAndListsByTopicInPages(t *testing.T) {
	l, c := localSNS(t, 150)
	ctx := context.Background()
	topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("keepsafe-local-big")})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 151 {
		_, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("email"),
			Endpoint: aws.String(fmt.Sprintf("p%d@brook.example", i)), ReturnSubscriptionArn: true,
			Attributes: map[string]string{"FilterPolicy": fmt.Sprintf(`{"recipient":["p%d@brook.example"]}`, i)}})
		var quota *snstypes.FilterPolicyLimitExceededException
		switch {
		case i < 150 && err != nil:
			t.Fatalf("subscription %d: %v", i, err)
		case i == 150 && !errors.As(err, &quota):
			t.Fatalf("subscription over the quota: %v", err)
		}
	}
	var n, pages int
	for p := sns.NewListSubscriptionsByTopicPaginator(c, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn}); p.HasMorePages(); pages++ {
		out, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(out.Subscriptions)
	}
	if n != 150 || pages != 2 || len(l.Subscriptions()) != 150 {
		t.Errorf("listed %d in %d pages", n, pages)
	}
}

// The query protocol parser never panics and always answers with XML, whatever the body.
func FuzzSNSQuery(f *testing.F) {
	for _, seed := range []string{
		"Action=CreateTopic&Name=keepsafe-local-x&Attributes.entry.1.key=KmsMasterKeyId&Attributes.entry.1.value=k",
		"Action=Subscribe&TopicArn=" + url.QueryEscape(AlertsTopicARN) + "&Protocol=sms&Endpoint=%2B447700900001&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=%7B%22channel%22%3A%5B%22sms%22%5D%7D",
		"Action=Publish&TopicArn=" + url.QueryEscape(AlertsTopicARN) + "&Message=hi&MessageAttributes.entry.1.Name=channel&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=sms",
		"Action=PublishBatch&TopicArn=" + url.QueryEscape(AlertsTopicARN) + "&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=m",
		"Action=SetSubscriptionAttributes&SubscriptionArn=x&AttributeName=FilterPolicy&AttributeValue=%7B%7D",
		"Action=ListSubscriptionsByTopic&TopicArn=" + url.QueryEscape(AlertsTopicARN) + "&NextToken=-1",
		"Action=Unsubscribe&SubscriptionArn=",
		"%zz",
	} {
		f.Add(seed)
	}
	l := NewLocalSNS(nil, 5)
	f.Fuzz(func(t *testing.T, body string) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		l.ServeHTTP(w, r)
		if ct := w.Header().Get("Content-Type"); ct != "text/xml" || !strings.HasPrefix(w.Body.String(), "<?xml") {
			t.Fatalf("%d %q %q", w.Code, ct, w.Body.String())
		}
	})
}
