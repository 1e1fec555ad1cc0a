package alert

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// FilterPolicyQuota is SNS's default quota of subscriptions with a filter policy on one topic.
// It can be raised on request; the limit the reconciler keeps to is PerTopic.
const FilterPolicyQuota = 200

// DefaultPerTopic is how many subscriptions the reconciler puts on one topic before it opens
// the school's next topic shard: under the quota, with room to spare for a raised quota that
// was later lowered, or a subscription made by hand.
const DefaultPerTopic = 190

// SubscriptionsAPI is the part of the SNS client the reconciler uses.
type SubscriptionsAPI interface {
	CreateTopic(context.Context, *sns.CreateTopicInput, ...func(*sns.Options)) (*sns.CreateTopicOutput, error)
	Subscribe(context.Context, *sns.SubscribeInput, ...func(*sns.Options)) (*sns.SubscribeOutput, error)
	Unsubscribe(context.Context, *sns.UnsubscribeInput, ...func(*sns.Options)) (*sns.UnsubscribeOutput, error)
	SetSubscriptionAttributes(context.Context, *sns.SetSubscriptionAttributesInput, ...func(*sns.Options)) (*sns.SetSubscriptionAttributesOutput, error)
}

var _ SubscriptionsAPI = (*sns.Client)(nil)

// SubscriptionStore is what the reconciler reads and keeps in the table (shared/store.Store).
type SubscriptionStore interface {
	School(ctx context.Context, id safeguarding.SchoolID) (safeguarding.School, error)
	Profiles(ctx context.Context, emails []string) (map[string]safeguarding.Principal, error)
	AlertState(ctx context.Context, school safeguarding.SchoolID) ([]safeguarding.AlertTopic, []safeguarding.AlertSubscription, error)
	PutAlertTopic(ctx context.Context, t safeguarding.AlertTopic) error
	PutAlertSubscription(ctx context.Context, s safeguarding.AlertSubscription) error
	DeleteAlertSubscription(ctx context.Context, school safeguarding.SchoolID, email string, ch safeguarding.Channel) error
}

// Reconciler keeps a school's SNS side in step with its roster and its people's profiles:
// one topic per school (more when it outgrows PerTopic), one subscription per person and
// channel, each with a filter policy that lets through only the messages for that person on
// that channel. Every step is idempotent (CreateTopic and Subscribe return what exists when
// asked again with the same attributes; an Unsubscribe of what is gone is done), and the
// table is written after each SNS call, so a run cut short is finished by the next.
type Reconciler struct {
	SNS   SubscriptionsAPI
	Store SubscriptionStore
	// TopicPrefix names the topics: <TopicPrefix>-<school>, then <TopicPrefix>-<school>-2...
	TopicPrefix string
	// KMSKey encrypts the topics (the data key); "" leaves them unencrypted (local stack).
	KMSKey string
	// PerTopic is the most subscriptions on one topic (DefaultPerTopic when 0; at most
	// FilterPolicyQuota).
	PerTopic int
}

// Summary says what one reconciliation changed, in counts only (no personal data).
type Summary struct {
	School       safeguarding.SchoolID `json:"school"`
	Subscribed   int                   `json:"subscribed"`
	Unsubscribed int                   `json:"unsubscribed"`
	Updated      int                   `json:"updated"`
	Topics       int                   `json:"topics"`
	Endpoints    int                   `json:"endpoints"`
}

// FilterPolicy is the policy of one person's subscription on one channel (MessageAttributes
// scope): exactly their alerts, on exactly that channel.
func FilterPolicy(email string, ch safeguarding.Channel) string {
	b, _ := json.Marshal(map[string][]string{"recipient": {email}, "channel": {string(ch)}})
	return string(b)
}

// TopicName is the name of a school's topic shard: "<prefix>-<school>" for the first and
// "<prefix>-<school>-<n>" after it. SNS allows letters, digits, '-' and '_', up to 256.
func TopicName(prefix string, school safeguarding.SchoolID, shard int) (string, error) {
	name := prefix + "-" + string(school)
	if shard > 1 {
		name += "-" + strconv.Itoa(shard)
	}
	if prefix == "" || school == "" || len(name) > 256 {
		return "", fmt.Errorf("alert: topic name %q: %w", name, safeguarding.ErrInvalid)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return "", fmt.Errorf("alert: topic name %q: %w", name, safeguarding.ErrInvalid)
		}
	}
	return name, nil
}

func protocol(ch safeguarding.Channel) string {
	if ch == safeguarding.ChannelSMS {
		return "sms"
	}
	return "email"
}

// run is one reconciliation's working state.
type run struct {
	Reconciler
	ctx    context.Context
	school safeguarding.SchoolID
	topics map[int]string // shard -> topic ARN
	count  map[int]int    // shard -> subscriptions on it
	sum    Summary
}

// Reconcile brings one school's topics and subscriptions in line with its roster and the
// profiles of the people on it.
func (r Reconciler) Reconcile(ctx context.Context, school safeguarding.SchoolID) (Summary, error) {
	if r.PerTopic <= 0 {
		r.PerTopic = DefaultPerTopic
	}
	if r.PerTopic > FilterPolicyQuota {
		return Summary{}, fmt.Errorf("alert: %d subscriptions per topic is over the quota of %d: %w", r.PerTopic, FilterPolicyQuota, safeguarding.ErrInvalid)
	}
	sc, err := r.Store.School(ctx, school)
	switch {
	case errors.Is(err, safeguarding.ErrNotFound):
		sc = safeguarding.School{ID: school} // no school, no roster: everyone goes
	case err != nil:
		return Summary{}, err
	}
	emails := make([]string, 0, len(sc.Roster))
	for _, m := range sc.Roster {
		emails = append(emails, m.Email)
	}
	profiles, err := r.Store.Profiles(ctx, emails)
	if err != nil {
		return Summary{}, err
	}
	want := map[string]map[safeguarding.Channel]safeguarding.AlertEndpoint{}
	for _, e := range safeguarding.AlertEndpoints(sc, profiles) {
		if want[e.Email] == nil {
			want[e.Email] = map[safeguarding.Channel]safeguarding.AlertEndpoint{}
		}
		want[e.Email][e.Channel] = e
	}
	topics, subs, err := r.Store.AlertState(ctx, school)
	if err != nil {
		return Summary{}, err
	}
	w := &run{Reconciler: r, ctx: ctx, school: school, topics: map[int]string{}, count: map[int]int{},
		sum: Summary{School: school}}
	for _, t := range topics {
		w.topics[t.Shard] = t.ARN
	}
	have := map[string]map[safeguarding.Channel]safeguarding.AlertSubscription{}
	for _, s := range subs {
		if have[s.Email] == nil {
			have[s.Email] = map[safeguarding.Channel]safeguarding.AlertSubscription{}
		}
		have[s.Email][s.Channel] = s
		w.count[s.Shard]++
	}

	// Leavers and changed endpoints first, so the room they free is there for newcomers.
	for _, email := range sortedKeys(have) {
		for _, ch := range sortedChannels(have[email]) {
			s := have[email][ch]
			if e, ok := want[email][ch]; ok && e.Address == s.Address {
				continue
			}
			if err := w.unsubscribe(s); err != nil {
				return w.sum, err
			}
			delete(have[email], ch)
		}
	}
	for _, email := range sortedKeys(want) {
		if err := w.place(want[email], have[email]); err != nil {
			return w.sum, err
		}
	}
	w.sum.Topics = len(w.topics)
	for _, chans := range want {
		w.sum.Endpoints += len(chans)
	}
	return w.sum, nil
}

// place subscribes one person's missing channels, on the shard that holds their others when
// it has room, else moving them whole to a shard that has: a person's alerts all go to one
// topic, the one the alerts function finds in their subscriptions.
func (w *run) place(want map[safeguarding.Channel]safeguarding.AlertEndpoint, have map[safeguarding.Channel]safeguarding.AlertSubscription) error {
	var missing []safeguarding.AlertEndpoint
	shard := 0
	for _, ch := range sortedChannels(want) {
		if s, ok := have[ch]; ok {
			shard = s.Shard
			if s.FilterPolicy != FilterPolicy(s.Email, ch) {
				if err := w.setPolicy(s); err != nil {
					return err
				}
			}
			continue
		}
		missing = append(missing, want[ch])
	}
	if len(missing) == 0 {
		return nil
	}
	if shard != 0 && w.count[shard]+len(missing) > w.PerTopic {
		for _, ch := range sortedChannels(have) {
			if err := w.unsubscribe(have[ch]); err != nil {
				return err
			}
			missing = append(missing, want[ch])
		}
		shard = 0
	}
	if shard == 0 {
		shard = 1
		for w.count[shard]+len(missing) > w.PerTopic {
			shard++
		}
	}
	topic, err := w.topic(shard)
	if err != nil {
		return err
	}
	for _, e := range missing {
		if err := w.subscribe(e, shard, topic); err != nil {
			return err
		}
	}
	return nil
}

// topic returns the ARN of a shard's topic, creating it (idempotently) when the table has none.
func (w *run) topic(shard int) (string, error) {
	if arn, ok := w.topics[shard]; ok {
		return arn, nil
	}
	name, err := TopicName(w.TopicPrefix, w.school, shard)
	if err != nil {
		return "", err
	}
	in := &sns.CreateTopicInput{Name: aws.String(name)}
	if w.KMSKey != "" {
		in.Attributes = map[string]string{"KmsMasterKeyId": w.KMSKey}
	}
	out, err := w.SNS.CreateTopic(w.ctx, in)
	if err != nil {
		return "", fmt.Errorf("alert: create topic for shard %d: %w", shard, err)
	}
	arn := aws.ToString(out.TopicArn)
	if err := w.Store.PutAlertTopic(w.ctx, safeguarding.AlertTopic{School: w.school, Shard: shard, ARN: arn}); err != nil {
		return "", err
	}
	w.topics[shard] = arn
	return arn, nil
}

func (w *run) subscribe(e safeguarding.AlertEndpoint, shard int, topic string) error {
	policy := FilterPolicy(e.Email, e.Channel)
	out, err := w.SNS.Subscribe(w.ctx, &sns.SubscribeInput{
		TopicArn: aws.String(topic), Protocol: aws.String(protocol(e.Channel)), Endpoint: aws.String(e.Address),
		Attributes:            map[string]string{"FilterPolicy": policy, "FilterPolicyScope": "MessageAttributes"},
		ReturnSubscriptionArn: true,
	})
	if err != nil {
		return fmt.Errorf("alert: subscribe on %s to shard %d: %w", e.Channel, shard, err)
	}
	s := safeguarding.AlertSubscription{AlertEndpoint: e, Shard: shard, TopicARN: topic,
		SubscriptionARN: aws.ToString(out.SubscriptionArn), FilterPolicy: policy}
	if err := w.Store.PutAlertSubscription(w.ctx, s); err != nil {
		return err
	}
	w.count[shard]++
	w.sum.Subscribed++
	return nil
}

func (w *run) unsubscribe(s safeguarding.AlertSubscription) error {
	_, err := w.SNS.Unsubscribe(w.ctx, &sns.UnsubscribeInput{SubscriptionArn: aws.String(s.SubscriptionARN)})
	var nf *snstypes.NotFoundException
	if err != nil && !errors.As(err, &nf) {
		return fmt.Errorf("alert: unsubscribe on %s from shard %d: %w", s.Channel, s.Shard, err)
	}
	if err := w.Store.DeleteAlertSubscription(w.ctx, s.School, s.Email, s.Channel); err != nil {
		return err
	}
	w.count[s.Shard]--
	w.sum.Unsubscribed++
	return nil
}

// setPolicy puts the filter policy back on a subscription whose policy is not the one its
// person and channel need (an older format, or a change made by hand).
func (w *run) setPolicy(s safeguarding.AlertSubscription) error {
	policy := FilterPolicy(s.Email, s.Channel)
	_, err := w.SNS.SetSubscriptionAttributes(w.ctx, &sns.SetSubscriptionAttributesInput{
		SubscriptionArn: aws.String(s.SubscriptionARN), AttributeName: aws.String("FilterPolicy"), AttributeValue: aws.String(policy),
	})
	if err != nil {
		return fmt.Errorf("alert: filter policy on %s: %w", s.Channel, err)
	}
	s.FilterPolicy = policy
	if err := w.Store.PutAlertSubscription(w.ctx, s); err != nil {
		return err
	}
	w.sum.Updated++
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sortedChannels[V any](m map[safeguarding.Channel]V) []safeguarding.Channel {
	out := make([]safeguarding.Channel, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
