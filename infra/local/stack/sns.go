package stack

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AlertsTopicARN is a topic that exists from the start in the local SNS, as one made by a
// template would; the functions create their schools' topics themselves.
const AlertsTopicARN = "arn:aws:sns:eu-west-2:000000000000:alerts"

// snsARNPrefix is the region and account of every local topic.
const snsARNPrefix = "arn:aws:sns:eu-west-2:000000000000:"

// Alert is one message published to the local SNS, as GET /dev/alerts lists it.
type Alert struct {
	ID      string    `json:"id"`
	At      time.Time `json:"at"`
	Subject string    `json:"subject"`
	Message string    `json:"message"`
	// Attributes holds the String (and Number) message attributes.
	Attributes  map[string]string `json:"attributes"`
	TopicARN    string            `json:"topicArn,omitempty"`
	PhoneNumber string            `json:"phoneNumber,omitempty"`
	// DeliveredTo lists the subscriptions of the topic whose filter policy let the message
	// through: where SNS would have sent it. Empty when none did.
	DeliveredTo []Delivery `json:"deliveredTo"`
}

// Delivery is one subscription a message reached.
type Delivery struct {
	SubscriptionARN string `json:"subscriptionArn"`
	Protocol        string `json:"protocol"`
	Endpoint        string `json:"endpoint"`
}

// Subscription is one subscription of the local SNS.
type Subscription struct {
	ARN          string `json:"subscriptionArn"`
	TopicARN     string `json:"topicArn"`
	Protocol     string `json:"protocol"`
	Endpoint     string `json:"endpoint"`
	FilterPolicy string `json:"filterPolicy,omitempty"`
	// policy is FilterPolicy parsed: attribute name -> the values it lets through.
	policy map[string][]string
	attrs  map[string]string
}

type snsTopic struct {
	arn   string
	attrs map[string]string
}

// snsServer speaks the SNS query protocol (form-encoded Action=..., XML replies) that the
// aws-sdk-go-v2 sns client sends: CreateTopic, Subscribe, Unsubscribe,
// SetSubscriptionAttributes, ListSubscriptionsByTopic, Publish and PublishBatch. It keeps
// every message with the subscriptions its filter policies matched. Email subscriptions are
// confirmed at once (SNS waits for the person to follow a link).
type snsServer struct {
	log *slog.Logger
	now func() time.Time
	// down reports whether SNS is to be unavailable now (a fault; nil for never).
	down func() bool
	// quota is the most subscriptions with a filter policy on one topic (SNS's default, 200,
	// when 0).
	quota int

	mu     sync.Mutex
	alerts []Alert
	topics map[string]*snsTopic     // ARN -> topic
	subs   map[string]*Subscription // ARN -> subscription
	order  []string                 // subscription ARNs, oldest first
}

// LocalSNS is the local SNS on its own, for tests that need it without the rest of the stack:
// serve it (httptest.NewServer) and point the SDK's sns client at it.
type LocalSNS struct{ s *snsServer }

// NewLocalSNS returns an empty local SNS whose messages are stamped by now (time.Now when
// nil). quota is the most subscriptions with a filter policy per topic (200 when 0).
func NewLocalSNS(now func() time.Time, quota int) *LocalSNS {
	if now == nil {
		now = time.Now
	}
	return &LocalSNS{s: &snsServer{log: slog.New(slog.DiscardHandler), now: now, quota: quota}}
}

func (l *LocalSNS) ServeHTTP(w http.ResponseWriter, r *http.Request) { l.s.ServeHTTP(w, r) }

// Alerts returns every message published so far, oldest first.
func (l *LocalSNS) Alerts() []Alert { return l.s.list() }

// Subscriptions returns the subscriptions now in place, oldest first.
func (l *LocalSNS) Subscriptions() []Subscription { return l.s.subscriptions() }

// Subscriptions returns the local SNS's subscriptions now in place, oldest first.
func (s *Stack) Subscriptions() []Subscription { return s.sns.subscriptions() }

func (s *snsServer) list() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Alert, len(s.alerts))
	copy(out, s.alerts)
	return out
}

func (s *snsServer) subscriptions() []Subscription {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Subscription, 0, len(s.order))
	for _, arn := range s.order {
		out = append(out, *s.subs[arn])
	}
	return out
}

func (s *snsServer) serveAlerts(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.list())
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

const snsXMLNS = "http://sns.amazonaws.com/doc/2010-03-31/"

type snsError struct {
	status  int
	code    string
	message string
}

func errParam(format string, args ...any) *snsError {
	return &snsError{http.StatusBadRequest, "InvalidParameter", fmt.Sprintf(format, args...)}
}

func errNotFound(format string, args ...any) *snsError {
	return &snsError{http.StatusNotFound, "NotFound", fmt.Sprintf(format, args...)}
}

// init makes the maps on first use, with the topic a template would have made.
func (s *snsServer) init() {
	if s.topics == nil {
		s.topics = map[string]*snsTopic{AlertsTopicARN: {arn: AlertsTopicARN, attrs: map[string]string{}}}
		s.subs = map[string]*Subscription{}
	}
}

func (s *snsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newID()
	if r.Method != http.MethodPost {
		s.fail(w, reqID, snsError{http.StatusMethodNotAllowed, "InvalidAction", "POST only"})
		return
	}
	if s.down != nil && s.down() {
		s.fail(w, reqID, snsError{http.StatusServiceUnavailable, "ServiceUnavailable", "Service is unavailable (injected fault)"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.fail(w, reqID, snsError{http.StatusBadRequest, "MalformedQueryString", err.Error()})
		return
	}
	resp, e := s.handle(r.PostForm, reqID)
	if e != nil {
		s.fail(w, reqID, *e)
		return
	}
	writeXML(w, http.StatusOK, resp)
}

// handle runs one action of the query protocol and returns its XML reply.
func (s *snsServer) handle(f url.Values, reqID string) (any, *snsError) {
	switch f.Get("Action") {
	case "Publish":
		a, e := s.parseMessage(f, "")
		if e != nil {
			return nil, e
		}
		a.TopicARN, a.PhoneNumber = f.Get("TopicArn"), f.Get("PhoneNumber")
		if a.TopicARN == "" {
			a.TopicARN = f.Get("TargetArn")
		}
		if a.TopicARN == "" && a.PhoneNumber == "" {
			return nil, errParam("TopicArn, TargetArn or PhoneNumber is required")
		}
		if e := s.keep(&a); e != nil {
			return nil, e
		}
		return publishResponse{XMLNS: snsXMLNS, MessageID: a.ID, RequestID: reqID}, nil
	case "PublishBatch":
		topic := f.Get("TopicArn")
		if topic == "" {
			return nil, errParam("TopicArn is required")
		}
		if !s.hasTopic(topic) {
			return nil, errNotFound("Topic does not exist")
		}
		resp := publishBatchResponse{XMLNS: snsXMLNS, RequestID: reqID}
		for i := 1; ; i++ {
			prefix := "PublishBatchRequestEntries.member." + strconv.Itoa(i) + "."
			id := f.Get(prefix + "Id")
			if id == "" {
				if i == 1 {
					return nil, &snsError{http.StatusBadRequest, "EmptyBatchRequest", "no entries"}
				}
				break
			}
			if i > 10 {
				return nil, &snsError{http.StatusBadRequest, "TooManyEntriesInBatchRequest", "at most 10 entries"}
			}
			a, e := s.parseMessage(f, prefix)
			if e == nil {
				a.TopicARN = topic
				e = s.keep(&a)
			}
			if e != nil {
				resp.Failed = append(resp.Failed, batchFailed{ID: id, Code: e.code, Message: e.message, SenderFault: true})
				continue
			}
			resp.Successful = append(resp.Successful, batchOK{ID: id, MessageID: a.ID})
		}
		return resp, nil
	case "CreateTopic":
		arn, e := s.createTopic(f.Get("Name"), parseMap(f, "Attributes"))
		if e != nil {
			return nil, e
		}
		return createTopicResponse{XMLNS: snsXMLNS, TopicARN: arn, RequestID: reqID}, nil
	case "Subscribe":
		arn, e := s.subscribe(f.Get("TopicArn"), f.Get("Protocol"), f.Get("Endpoint"), parseMap(f, "Attributes"))
		if e != nil {
			return nil, e
		}
		return subscribeResponse{XMLNS: snsXMLNS, SubscriptionARN: arn, RequestID: reqID}, nil
	case "Unsubscribe":
		if e := s.unsubscribe(f.Get("SubscriptionArn")); e != nil {
			return nil, e
		}
		return unsubscribeResponse{XMLNS: snsXMLNS, RequestID: reqID}, nil
	case "SetSubscriptionAttributes":
		if e := s.setSubscriptionAttribute(f.Get("SubscriptionArn"), f.Get("AttributeName"), f.Get("AttributeValue")); e != nil {
			return nil, e
		}
		return setSubscriptionAttributesResponse{XMLNS: snsXMLNS, RequestID: reqID}, nil
	case "ListSubscriptionsByTopic":
		return s.listByTopic(f.Get("TopicArn"), f.Get("NextToken"), reqID)
	default:
		return nil, &snsError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("action %q is not supported by the local SNS", f.Get("Action"))}
	}
}

// parseMap reads a map the query protocol sends as <name>.entry.N.key / .value.
func parseMap(f url.Values, name string) map[string]string {
	out := map[string]string{}
	for i := 1; ; i++ {
		p := name + ".entry." + strconv.Itoa(i) + "."
		k := f.Get(p + "key")
		if k == "" {
			return out
		}
		out[k] = f.Get(p + "value")
	}
}

// validTopicName is SNS's rule: 1 to 256 letters, digits, hyphens and underscores.
func validTopicName(n string) bool {
	if n == "" || len(n) > 256 {
		return false
	}
	for _, r := range n {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

func (s *snsServer) hasTopic(arn string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	_, ok := s.topics[arn]
	return ok
}

// createTopic is idempotent as SNS's is: the same name with the same attributes returns the
// topic there is; other attributes are refused.
func (s *snsServer) createTopic(name string, attrs map[string]string) (string, *snsError) {
	if !validTopicName(name) {
		return "", errParam("Invalid parameter: Topic Name")
	}
	for k := range attrs {
		switch k {
		case "KmsMasterKeyId", "DisplayName", "Policy", "DeliveryPolicy":
		default:
			return "", errParam("Invalid parameter: Attributes Reason: Unknown attribute %s", k)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	arn := snsARNPrefix + name
	if t, ok := s.topics[arn]; ok {
		if !mapsEqual(t.attrs, attrs) {
			return "", errParam("Invalid parameter: Attributes Reason: Topic already exists with different attributes")
		}
		return arn, nil
	}
	s.topics[arn] = &snsTopic{arn: arn, attrs: attrs}
	s.log.Info("sns topic created", "topic", name)
	return arn, nil
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// subscribe is idempotent as SNS's is: the same topic, protocol and endpoint with the same
// attributes return the subscription there is.
func (s *snsServer) subscribe(topic, proto, endpoint string, attrs map[string]string) (string, *snsError) {
	switch proto {
	case "email", "email-json":
		if !strings.Contains(endpoint, "@") {
			return "", errParam("Invalid parameter: Email address")
		}
	case "sms":
		if !validE164(endpoint) {
			return "", errParam("Invalid parameter: Invalid SMS endpoint")
		}
	default:
		return "", errParam("Invalid parameter: Protocol %q is not supported by the local SNS", proto)
	}
	sub := &Subscription{TopicARN: topic, Protocol: proto, Endpoint: endpoint, attrs: map[string]string{}}
	for k, v := range attrs {
		if e := sub.set(k, v); e != nil {
			return "", e
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if _, ok := s.topics[topic]; !ok {
		return "", errNotFound("Topic does not exist")
	}
	withPolicy := 0
	for _, arn := range s.order {
		old := s.subs[arn]
		if old.TopicARN != topic {
			continue
		}
		if old.Protocol == proto && old.Endpoint == endpoint {
			if !mapsEqual(old.attrs, sub.attrs) {
				return "", errParam("Invalid parameter: Attributes Reason: Subscription already exists with different attributes")
			}
			return old.ARN, nil
		}
		if old.FilterPolicy != "" {
			withPolicy++
		}
	}
	if sub.FilterPolicy != "" && withPolicy >= s.filterPolicyQuota() {
		return "", &snsError{http.StatusForbidden, "FilterPolicyLimitExceeded", "Filter policy limit exceeded for the topic"}
	}
	sub.ARN = topic + ":" + newID()
	s.subs[sub.ARN] = sub
	s.order = append(s.order, sub.ARN)
	s.log.Info("sns subscribed", "topic", strings.TrimPrefix(topic, snsARNPrefix), "protocol", proto)
	return sub.ARN, nil
}

func (s *snsServer) filterPolicyQuota() int {
	if s.quota <= 0 {
		return 200
	}
	return s.quota
}

func validE164(n string) bool {
	if len(n) < 9 || len(n) > 16 || n[0] != '+' || n[1] == '0' {
		return false
	}
	for _, r := range n[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// set applies one subscription attribute.
func (sub *Subscription) set(name, value string) *snsError {
	switch name {
	case "FilterPolicy":
		if value == "" {
			sub.policy, sub.FilterPolicy = nil, ""
			break
		}
		p, err := parseFilterPolicy(value)
		if err != nil {
			return errParam("Invalid parameter: FilterPolicy: %v", err)
		}
		sub.policy, sub.FilterPolicy = p, value
	case "FilterPolicyScope":
		if value != "MessageAttributes" {
			return errParam("Invalid parameter: FilterPolicyScope %q is not supported by the local SNS", value)
		}
	case "RawMessageDelivery", "DeliveryPolicy", "RedrivePolicy":
	default:
		return errParam("Invalid parameter: AttributeName %s", name)
	}
	if value == "" {
		delete(sub.attrs, name)
	} else {
		sub.attrs[name] = value
	}
	return nil
}

// parseFilterPolicy reads the subset of SNS filter policies the local SNS matches: an object
// whose every key names a message attribute and holds a list of exact strings, at most five
// keys and 150 combinations as SNS allows.
func parseFilterPolicy(s string) (map[string][]string, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &raw); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("no attributes")
	}
	if len(raw) > 5 {
		return nil, fmt.Errorf("more than 5 attributes")
	}
	out := make(map[string][]string, len(raw))
	combinations := 1
	for k, v := range raw {
		var values []string
		if err := json.Unmarshal(v, &values); err != nil || len(values) == 0 {
			return nil, fmt.Errorf("attribute %q: only a list of exact strings is supported locally", k)
		}
		combinations *= len(values)
		if combinations > 150 {
			return nil, fmt.Errorf("more than 150 combinations")
		}
		out[k] = values
	}
	return out, nil
}

// matches reports whether a message with attrs passes the subscription's filter policy: every
// attribute the policy names is present with one of its values. No policy passes everything.
func (sub *Subscription) matches(attrs map[string]string) bool {
	for k, values := range sub.policy {
		v, ok := attrs[k]
		if !ok || !slices.Contains(values, v) {
			return false
		}
	}
	return true
}

func (s *snsServer) unsubscribe(arn string) *snsError {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	sub, ok := s.subs[arn]
	if !ok {
		return errNotFound("Subscription does not exist")
	}
	delete(s.subs, arn)
	s.order = slices.DeleteFunc(s.order, func(a string) bool { return a == arn })
	s.log.Info("sns unsubscribed", "topic", strings.TrimPrefix(sub.TopicARN, snsARNPrefix), "protocol", sub.Protocol)
	return nil
}

func (s *snsServer) setSubscriptionAttribute(arn, name, value string) *snsError {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	sub, ok := s.subs[arn]
	if !ok {
		return errNotFound("Subscription does not exist")
	}
	next := *sub
	next.attrs = map[string]string{}
	for k, v := range sub.attrs {
		next.attrs[k] = v
	}
	if e := next.set(name, value); e != nil {
		return e
	}
	if sub.FilterPolicy == "" && next.FilterPolicy != "" {
		n := 0
		for _, a := range s.order {
			if o := s.subs[a]; o.TopicARN == sub.TopicARN && o.FilterPolicy != "" {
				n++
			}
		}
		if n >= s.filterPolicyQuota() {
			return &snsError{http.StatusForbidden, "FilterPolicyLimitExceeded", "Filter policy limit exceeded for the topic"}
		}
	}
	*sub = next
	return nil
}

// listByTopic pages a topic's subscriptions 100 at a time; NextToken is the index to go on from.
func (s *snsServer) listByTopic(topic, token, reqID string) (any, *snsError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.init()
	if _, ok := s.topics[topic]; !ok {
		return nil, errNotFound("Topic does not exist")
	}
	start := 0
	if token != "" {
		n, err := strconv.Atoi(token)
		if err != nil || n < 0 {
			return nil, errParam("Invalid parameter: NextToken")
		}
		start = n
	}
	resp := listSubscriptionsByTopicResponse{XMLNS: snsXMLNS, RequestID: reqID}
	i := 0
	for _, arn := range s.order {
		sub := s.subs[arn]
		if sub.TopicARN != topic {
			continue
		}
		if i >= start {
			if len(resp.Subscriptions) == 100 {
				resp.NextToken = strconv.Itoa(i)
				break
			}
			resp.Subscriptions = append(resp.Subscriptions, subscriptionMember{
				SubscriptionARN: sub.ARN, Owner: "000000000000", Protocol: sub.Protocol, Endpoint: sub.Endpoint, TopicARN: sub.TopicARN,
			})
		}
		i++
	}
	return resp, nil
}

// parseMessage reads Message, Subject and MessageAttributes.entry.N.{Name,Value.DataType,
// Value.StringValue} under prefix.
func (s *snsServer) parseMessage(f map[string][]string, prefix string) (Alert, *snsError) {
	get := func(k string) string {
		if v := f[prefix+k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	a := Alert{ID: newID(), At: s.now().UTC(), Subject: get("Subject"), Message: get("Message"), Attributes: map[string]string{}, DeliveredTo: []Delivery{}}
	if a.Message == "" {
		return a, errParam("Message is required")
	}
	if len(a.Message) > 256*1024 {
		return a, errParam("Message too long")
	}
	for i := 1; ; i++ {
		ep := "MessageAttributes.entry." + strconv.Itoa(i) + "."
		name := get(ep + "Name")
		if name == "" {
			break
		}
		dt := get(ep + "Value.DataType")
		switch {
		case strings.HasPrefix(dt, "String"), strings.HasPrefix(dt, "Number"):
			a.Attributes[name] = get(ep + "Value.StringValue")
		case strings.HasPrefix(dt, "Binary"):
			// Binary attributes are not listed.
		default:
			return a, &snsError{http.StatusBadRequest, "ParameterValueInvalid", fmt.Sprintf("attribute %q has no valid DataType", name)}
		}
	}
	return a, nil
}

// keep stores a message with the subscriptions of its topic that its attributes pass.
func (s *snsServer) keep(a *Alert) *snsError {
	s.mu.Lock()
	s.init()
	if a.TopicARN != "" {
		if _, ok := s.topics[a.TopicARN]; !ok {
			s.mu.Unlock()
			return errNotFound("Topic does not exist")
		}
		for _, arn := range s.order {
			sub := s.subs[arn]
			if sub.TopicARN == a.TopicARN && sub.matches(a.Attributes) {
				a.DeliveredTo = append(a.DeliveredTo, Delivery{SubscriptionARN: sub.ARN, Protocol: sub.Protocol, Endpoint: sub.Endpoint})
			}
		}
	} else if a.PhoneNumber != "" {
		a.DeliveredTo = append(a.DeliveredTo, Delivery{Protocol: "sms", Endpoint: a.PhoneNumber})
	}
	s.alerts = append(s.alerts, *a)
	s.mu.Unlock()
	// One line per message; the text itself carries no personal data (rule S2), and neither
	// the recipient's email nor the endpoints reached are logged.
	keys := make([]string, 0, len(a.Attributes))
	for k := range a.Attributes {
		if k != "recipient" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	args := []any{"id", a.ID, "subject", a.Subject, "deliveries", len(a.DeliveredTo)}
	for _, k := range keys {
		args = append(args, k, a.Attributes[k])
	}
	s.log.Info("sns publish", args...)
	return nil
}

func (s *snsServer) fail(w http.ResponseWriter, reqID string, e snsError) {
	var resp errorResponse
	resp.XMLNS = snsXMLNS
	resp.Error.Type = "Sender"
	resp.Error.Code = e.code
	resp.Error.Message = e.message
	resp.RequestID = reqID
	writeXML(w, e.status, resp)
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(xml.Header))
	_, _ = w.Write(b)
}

type publishResponse struct {
	XMLName   xml.Name `xml:"PublishResponse"`
	XMLNS     string   `xml:"xmlns,attr"`
	MessageID string   `xml:"PublishResult>MessageId"`
	RequestID string   `xml:"ResponseMetadata>RequestId"`
}

type batchOK struct {
	ID        string `xml:"Id"`
	MessageID string `xml:"MessageId"`
}

type batchFailed struct {
	ID          string `xml:"Id"`
	Code        string `xml:"Code"`
	Message     string `xml:"Message"`
	SenderFault bool   `xml:"SenderFault"`
}

type publishBatchResponse struct {
	XMLName    xml.Name      `xml:"PublishBatchResponse"`
	XMLNS      string        `xml:"xmlns,attr"`
	Successful []batchOK     `xml:"PublishBatchResult>Successful>member"`
	Failed     []batchFailed `xml:"PublishBatchResult>Failed>member"`
	RequestID  string        `xml:"ResponseMetadata>RequestId"`
}

type createTopicResponse struct {
	XMLName   xml.Name `xml:"CreateTopicResponse"`
	XMLNS     string   `xml:"xmlns,attr"`
	TopicARN  string   `xml:"CreateTopicResult>TopicArn"`
	RequestID string   `xml:"ResponseMetadata>RequestId"`
}

type subscribeResponse struct {
	XMLName         xml.Name `xml:"SubscribeResponse"`
	XMLNS           string   `xml:"xmlns,attr"`
	SubscriptionARN string   `xml:"SubscribeResult>SubscriptionArn"`
	RequestID       string   `xml:"ResponseMetadata>RequestId"`
}

type unsubscribeResponse struct {
	XMLName   xml.Name `xml:"UnsubscribeResponse"`
	XMLNS     string   `xml:"xmlns,attr"`
	RequestID string   `xml:"ResponseMetadata>RequestId"`
}

type setSubscriptionAttributesResponse struct {
	XMLName   xml.Name `xml:"SetSubscriptionAttributesResponse"`
	XMLNS     string   `xml:"xmlns,attr"`
	RequestID string   `xml:"ResponseMetadata>RequestId"`
}

type subscriptionMember struct {
	SubscriptionARN string `xml:"SubscriptionArn"`
	Owner           string `xml:"Owner"`
	Protocol        string `xml:"Protocol"`
	Endpoint        string `xml:"Endpoint"`
	TopicARN        string `xml:"TopicArn"`
}

type listSubscriptionsByTopicResponse struct {
	XMLName       xml.Name             `xml:"ListSubscriptionsByTopicResponse"`
	XMLNS         string               `xml:"xmlns,attr"`
	Subscriptions []subscriptionMember `xml:"ListSubscriptionsByTopicResult>Subscriptions>member"`
	NextToken     string               `xml:"ListSubscriptionsByTopicResult>NextToken,omitempty"`
	RequestID     string               `xml:"ResponseMetadata>RequestId"`
}

type errorResponse struct {
	XMLName xml.Name `xml:"ErrorResponse"`
	XMLNS   string   `xml:"xmlns,attr"`
	Error   struct {
		Type    string `xml:"Type"`
		Code    string `xml:"Code"`
		Message string `xml:"Message"`
	} `xml:"Error"`
	RequestID string `xml:"RequestId"`
}
