// Package alert turns outbox alerts into SNS messages: a subject and text that carry no names
// and no details (rule S2), and message attributes that subscriptions filter on. It also keeps
// each school's SNS topics and each person's subscriptions in step with the school's roster
// and the people's profiles (Reconciler).
package alert

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Message is what is published for one alert.
type Message struct {
	Subject    string
	Text       string
	Attributes map[string]string
}

// Compose writes the message for an alert (rule S2): the school, what happened, the category,
// the priority, a reference and a link that needs sign-in. Nothing else: no pupil, no
// narrative, no contact detail. appURL is the web app's base URL.
func Compose(a safeguarding.Alert, appURL string) Message {
	urgent := ""
	if a.Priority == safeguarding.PriorityHigh {
		urgent = "URGENT: "
	}
	what := headline(a)
	page := "/concerns/"
	switch a.SubjectKind {
	case safeguarding.SubjectFamily:
		page = "/families/"
	case safeguarding.SubjectVisit:
		page = "/visits/"
	case safeguarding.SubjectClosureContacts:
		page = "/closure-contacts"
	}
	link := strings.TrimRight(appURL, "/") + "/schools/" + string(a.School) + page + a.Subject
	if a.SubjectKind == safeguarding.SubjectTransfer {
		link = strings.TrimRight(appURL, "/") + "/schools/" + string(a.School) + "/transfers"
	}
	var text string
	switch a.Channel {
	case safeguarding.ChannelSMS:
		text = fmt.Sprintf("Keepsafe %s%s: %s. Sign in: %s", urgent, a.SchoolName, what, link)
	default:
		text = fmt.Sprintf("%s%s at %s.\n\nPriority: %s.\n\n"+
			"%s: %s\n\n"+
			"This message contains no details by design. Do not forward it.",
			urgent, capitalise(what), a.SchoolName, a.Priority, signInTo(a.Audience), link)
	}
	return Message{
		Subject: urgent + capitalise(what),
		Text:    text,
		Attributes: map[string]string{
			"school": string(a.School), "audience": string(a.Audience), "recipient": a.Recipient,
			"channel": string(a.Channel), "priority": string(a.Priority), "kind": a.Kind,
			"reference": a.Reference,
		},
	}
}

// signInTo says what the person alerted signs in to do: the DSLs act on what they are told, an
// assignee records the action's outcome, anyone else (a member of staff told, a governor, a line
// manager) reads it.
func signInTo(audience safeguarding.Audience) string {
	switch audience {
	case safeguarding.AudienceDSL, safeguarding.AudienceSeniorDSL:
		return "Sign in to read it and record what you do"
	case safeguarding.AudienceAssignee:
		return "Sign in to see the action and record its outcome"
	default:
		return "Sign in to read it"
	}
}

// headline says what happened, by the alert's kind, naming only the reference.
func headline(a safeguarding.Alert) string {
	ref := a.Reference
	if a.SubjectKind == safeguarding.SubjectVisit {
		return visitHeadline(a)
	}
	if a.SubjectKind == safeguarding.SubjectTransfer {
		switch a.Kind {
		case "transfer":
			return "a pupil's safeguarding file was transferred to your school: confirm its receipt"
		case "reminder":
			return "a pupil's safeguarding file is due at their new school soon"
		case "overdue":
			return "a pupil's safeguarding file is overdue at their new school"
		}
	}
	switch a.Kind {
	case "concern":
		what := "concern"
		if a.Category != "" {
			what = categoryTitle(a.Category) + " concern"
		}
		return "new " + what + " " + ref
	case "action-assigned":
		return "an action on " + ref + " is assigned to you"
	case "reminder":
		return "an action on " + ref + " assigned to you is due soon"
	case "overdue":
		if a.Audience == safeguarding.AudienceAssignee {
			return "an action on " + ref + " assigned to you is overdue"
		}
		return "an action on " + ref + " is overdue"
	case "reallocation-needed":
		return "an action on " + ref + " needs reallocating"
	case "bulk-contact-reading":
		// Rule P3: who it was is behind the sign-in, in the audit entry the reference names. An
		// SNS subject is under 100 characters.
		return "many families' contact details opened in an hour (audit " + ref + ")"
	default:
		return "an update on " + ref
	}
}

// visitHeadline says what happened on a home visit (rules V1-V8): never the family, the
// address or the staff, only the visit's reference.
func visitHeadline(a safeguarding.Alert) string {
	ref := "home visit " + a.Reference
	switch a.Kind {
	case "lone-worker":
		return "no check-out from " + ref + ": call the staff now"
	case "lone-worker-safe":
		return "the staff of " + ref + " checked out: stand down"
	case "visit-planned":
		return ref + " is planned and you are the line manager"
	case "visit-authorisation":
		return ref + " needs your authorisation"
	case "visit-started":
		return "the staff of " + ref + " set off; expect their check-out"
	case "visit-declined":
		return "a family declined " + ref + "; visits to it are blocked"
	case "reminder":
		return "the record of " + ref + " is due soon"
	case "overdue":
		return "the record of " + ref + " is overdue"
	default:
		return "an update on " + ref
	}
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func categoryTitle(c safeguarding.Category) string {
	if d, ok := concerns.PolicyCatalogue().Find(c); ok {
		return strings.ToLower(d.Title)
	}
	return string(c)
}

// SNSAPI is the part of the SNS client the publisher uses.
type SNSAPI interface {
	Publish(context.Context, *sns.PublishInput, ...func(*sns.Options)) (*sns.PublishOutput, error)
}

var _ SNSAPI = (*sns.Client)(nil)

// Routes finds the subscriptions of one person to a school's alerts (shared/store.Store).
type Routes interface {
	AlertRoute(ctx context.Context, school safeguarding.SchoolID, email string) ([]safeguarding.AlertSubscription, error)
}

// Why an alert cannot be delivered. Neither is retried by the publisher; the caller records
// the alert as undeliverable (or, for a person not subscribed yet, may try again shortly).
var (
	// ErrNoEndpoint: the person is subscribed to the school's alerts, but not on this channel
	// (an SMS to someone with no mobile in their profile).
	ErrNoEndpoint = errors.New("alert: the recipient has no address for this channel")
	// ErrNotSubscribed: the person has no subscription to the school's alerts at all (not on
	// its roster, or added a moment ago and not subscribed yet).
	ErrNotSubscribed = errors.New("alert: the recipient is not subscribed to the school's alerts")
)

// Publisher publishes each alert to the school's topic shard that holds its recipient's
// subscriptions; their filter policies pass it to that person on that channel only.
type Publisher struct {
	SNS    SNSAPI
	Routes Routes
	AppURL string
}

// Publish sends one alert and returns SNS's message id, or ErrNoEndpoint / ErrNotSubscribed
// when no subscription would deliver it.
func (p Publisher) Publish(ctx context.Context, a safeguarding.Alert) (string, error) {
	subs, err := p.Routes.AlertRoute(ctx, a.School, a.Recipient)
	if err != nil {
		return "", fmt.Errorf("alert: route: %w", err)
	}
	if len(subs) == 0 {
		return "", ErrNotSubscribed
	}
	i := slices.IndexFunc(subs, func(s safeguarding.AlertSubscription) bool { return s.Channel == a.Channel })
	if i < 0 {
		return "", ErrNoEndpoint
	}
	m := Compose(a, p.AppURL)
	attrs := make(map[string]snstypes.MessageAttributeValue, len(m.Attributes))
	for k, v := range m.Attributes {
		if v != "" {
			attrs[k] = snstypes.MessageAttributeValue{DataType: aws.String("String"), StringValue: aws.String(v)}
		}
	}
	out, err := p.SNS.Publish(ctx, &sns.PublishInput{
		TopicArn: aws.String(subs[i].TopicARN), Subject: aws.String(m.Subject), Message: aws.String(m.Text), MessageAttributes: attrs,
	})
	if err != nil {
		return "", fmt.Errorf("alert: publish: %w", err)
	}
	return aws.ToString(out.MessageId), nil
}
