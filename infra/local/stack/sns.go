package stack

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// AlertsTopicARN is the topic the functions publish to locally.
const AlertsTopicARN = "arn:aws:sns:eu-west-2:000000000000:alerts"

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
}

// snsServer speaks the SNS query protocol (form-encoded Action=Publish / PublishBatch, XML
// replies) that the aws-sdk-go-v2 sns client sends, and keeps every message.
type snsServer struct {
	log *slog.Logger
	now func() time.Time

	mu     sync.Mutex
	alerts []Alert
}

func (s *snsServer) list() []Alert {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Alert, len(s.alerts))
	copy(out, s.alerts)
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

func (s *snsServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newID()
	if r.Method != http.MethodPost {
		s.fail(w, reqID, snsError{http.StatusMethodNotAllowed, "InvalidAction", "POST only"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		s.fail(w, reqID, snsError{http.StatusBadRequest, "MalformedQueryString", err.Error()})
		return
	}
	f := r.PostForm
	switch f.Get("Action") {
	case "Publish":
		a, e := s.parseMessage(f, "")
		if e != nil {
			s.fail(w, reqID, *e)
			return
		}
		a.TopicARN, a.PhoneNumber = f.Get("TopicArn"), f.Get("PhoneNumber")
		if a.TopicARN == "" {
			a.TopicARN = f.Get("TargetArn")
		}
		if a.TopicARN == "" && a.PhoneNumber == "" {
			s.fail(w, reqID, snsError{http.StatusBadRequest, "InvalidParameter", "TopicArn, TargetArn or PhoneNumber is required"})
			return
		}
		s.keep(a)
		writeXML(w, http.StatusOK, publishResponse{XMLNS: snsXMLNS, MessageID: a.ID, RequestID: reqID})
	case "PublishBatch":
		topic := f.Get("TopicArn")
		if topic == "" {
			s.fail(w, reqID, snsError{http.StatusBadRequest, "InvalidParameter", "TopicArn is required"})
			return
		}
		resp := publishBatchResponse{XMLNS: snsXMLNS, RequestID: reqID}
		for i := 1; ; i++ {
			prefix := "PublishBatchRequestEntries.member." + strconv.Itoa(i) + "."
			id := f.Get(prefix + "Id")
			if id == "" {
				if i == 1 {
					s.fail(w, reqID, snsError{http.StatusBadRequest, "EmptyBatchRequest", "no entries"})
					return
				}
				break
			}
			if i > 10 {
				s.fail(w, reqID, snsError{http.StatusBadRequest, "TooManyEntriesInBatchRequest", "at most 10 entries"})
				return
			}
			a, e := s.parseMessage(f, prefix)
			if e != nil {
				resp.Failed = append(resp.Failed, batchFailed{ID: id, Code: e.code, Message: e.message, SenderFault: true})
				continue
			}
			a.TopicARN = topic
			s.keep(a)
			resp.Successful = append(resp.Successful, batchOK{ID: id, MessageID: a.ID})
		}
		writeXML(w, http.StatusOK, resp)
	default:
		s.fail(w, reqID, snsError{http.StatusBadRequest, "InvalidAction", fmt.Sprintf("action %q is not supported by the local SNS", f.Get("Action"))})
	}
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
	a := Alert{ID: newID(), At: s.now().UTC(), Subject: get("Subject"), Message: get("Message"), Attributes: map[string]string{}}
	if a.Message == "" {
		return a, &snsError{http.StatusBadRequest, "InvalidParameter", "Message is required"}
	}
	if len(a.Message) > 256*1024 {
		return a, &snsError{http.StatusBadRequest, "InvalidParameter", "Message too long"}
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

func (s *snsServer) keep(a Alert) {
	s.mu.Lock()
	s.alerts = append(s.alerts, a)
	s.mu.Unlock()
	// One line per message; the text itself carries no personal data (rule S2).
	keys := make([]string, 0, len(a.Attributes))
	for k := range a.Attributes {
		if k != "recipient" { // an email address: personal data stays out of the log
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	args := []any{"id", a.ID, "subject", a.Subject}
	for _, k := range keys {
		args = append(args, k, a.Attributes[k])
	}
	s.log.Info("sns publish", args...)
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
