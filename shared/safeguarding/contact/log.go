package contact

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Contact methods of an attempt to reach a family (rule H2).
var ContactMethods = []string{"phone-call", "message", "email", "home-visit", "letter"}

// methodTitles name the methods in the chronology's words.
var methodTitles = map[string]string{"phone-call": "Phone call", "message": "Message", "email": "Email", "home-visit": "Home visit", "letter": "Letter"}

// Outcomes of an attempt to contact a family (rule H2: a call, no answer, a message, a
// refusal). Established and refused mean someone of the family was reached.
const (
	OutcomeEstablished    = "established"
	OutcomeNoAnswer       = "no-answer"
	OutcomeMessageLeft    = "message-left"
	OutcomeRefused        = "refused"
	OutcomeNotEstablished = "not-established"
)

// ContactOutcomes lists them, in the order screens show them.
var ContactOutcomes = []string{OutcomeEstablished, OutcomeNoAnswer, OutcomeMessageLeft, OutcomeRefused, OutcomeNotEstablished}

// Whether the person spoken to is ok (rule H3).
var CallWellbeing = []string{"yes", "no", "not-sure"}

// ContactRecordWithin is rule H2's time to record a contact or an attempt in each child's
// chronology; one recorded later is accepted and marked late.
const ContactRecordWithin = 24 * time.Hour

// Limits of a phone-call record.
const (
	MaxCallText     = 4000
	MaxCallShort    = 200
	MaxCallQuotes   = 20
	MaxCallActions  = 10
	MaxNextCallDays = 62
	MaxActionDays   = 366
)

// ContactAttempt is an attempt to reach a family, successful or not (rule H2).
type ContactAttempt struct {
	At     time.Time
	Method string
	// Outcome is one of ContactOutcomes and wins over Established; when empty, Established
	// says which of "established" and "not-established" it was.
	Outcome     string
	Established bool
	Notes       string
	// Call is the record of rule H3, required for an answered phone call.
	Call *PhoneCall
}

// Quote is someone's own words, with who said them (rule H3).
type Quote struct {
	Speaker string
	Words   string
}

// AgreedAction is an action agreed on a call, with its timescale (rule H3): it becomes an
// action on the deadline engine's ladder (D8), assigned to a member of staff.
type AgreedAction struct {
	Description string
	Assignee    string
	DueAt       time.Time
}

// PhoneCall is rule H3's record of an answered phone call.
type PhoneCall struct {
	SpokenTo     string // who was spoken to
	IdentifiedBy string // how they were identified as an agreed parent or carer
	AgreedCarer  bool   // they are an agreed parent or carer (only they are spoken to)
	IsOK         string // one of CallWellbeing
	Worries      string
	Background   string // what was heard in the background (children talking, laughing...)
	Quotes       []Quote
	Actions      []AgreedAction
	// FurtherContact is how contact will continue; NextCallAt the next call (a due item),
	// zero when the family is no longer happy to be contacted.
	FurtherContact string
	NextCallAt     time.Time
	// HappyToBeContacted is nil when not answered, which is refused.
	HappyToBeContacted *bool
}

// FamilyAction is an action agreed with a family on a call (rule H3), on the deadline
// engine's ladder until someone completes it (D8).
type FamilyAction struct {
	ID          string
	School      safeguarding.SchoolID
	Family      string
	Reference   string
	Description string
	Assignee    string
	Status      safeguarding.ActionStatus
	Outcome     string
	CreatedAt   time.Time
	CreatedBy   string
	CompletedAt time.Time
	CompletedBy string
	Due         safeguarding.DueState
	Version     int
}

// DueItem is the action as the deadline engine walks it.
func (a FamilyAction) DueItem() safeguarding.DueItem {
	return safeguarding.DueItem{ID: a.ID, School: a.School, Kind: safeguarding.DueFamilyAction, Assignee: a.Assignee, Reference: a.Reference,
		Subject: a.Family, Due: a.Due}
}

// Complete records the outcome of an action agreed with a family: its assignee or a DSL.
func (a FamilyAction) Complete(p safeguarding.Principal, outcome string, now time.Time) (FamilyAction, error) {
	if p.Email != a.Assignee && !p.IsDSL(a.School) {
		return FamilyAction{}, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	outcome = strings.TrimSpace(outcome)
	if outcome == "" {
		ps.Add("outcome", "say what was done")
	}
	safeguarding.CheckText(&ps, "outcome", outcome, safeguarding.MaxNotesChars)
	if a.Status != safeguarding.ActionOpen {
		ps.Add("outcome", "the action is already completed")
	}
	if err := ps.Err(); err != nil {
		return FamilyAction{}, err
	}
	next := a
	next.Status, next.Outcome, next.CompletedAt, next.CompletedBy = safeguarding.ActionCompleted, outcome, now.UTC(), p.Email
	next.Due = a.Due.Stop()
	next.Version++
	return next, nil
}

// outcome is the attempt's outcome, from Established when none was given.
func (in ContactAttempt) outcome() string {
	if in.Outcome != "" {
		return in.Outcome
	}
	if in.Established {
		return OutcomeEstablished
	}
	return OutcomeNotEstablished
}

func (in ContactAttempt) reached() bool {
	o := in.outcome()
	return o == OutcomeEstablished || o == OutcomeRefused
}

func clockTime(t time.Time) string { return t.In(safeguarding.London).Format("Mon 2 Jan 2006 15:04") }

// checkCall validates every field of rule H3 and returns the record cleaned.
func checkCall(ps *safeguarding.Problems, c PhoneCall, at, now time.Time) PhoneCall {
	text := func(field, s string, max int, missing string) string {
		s = strings.TrimSpace(s)
		if s == "" && missing != "" {
			ps.Add(field, "%s", missing)
		}
		safeguarding.CheckText(ps, field, s, max)
		return s
	}
	c.SpokenTo = text("call.spokenTo", c.SpokenTo, MaxCallShort, "who you spoke to (name and relationship to the children)")
	c.IdentifiedBy = text("call.identifiedBy", c.IdentifiedBy, MaxCallText, "how you identified them as an agreed parent or carer")
	if !c.AgreedCarer {
		ps.Add("call.agreedCarer", "speak only to an agreed parent or carer; if it was someone else, record the call as not established")
	}
	if !slices.Contains(CallWellbeing, c.IsOK) {
		ps.Add("call.isOk", "must be one of %s", strings.Join(CallWellbeing, ", "))
	}
	c.Worries = text("call.worries", c.Worries, MaxCallText, "any worries they have, or \"none\"")
	c.Background = text("call.background", c.Background, MaxCallText, "what you heard in the background (children talking or laughing...), or \"nothing heard\"")
	if len(c.Quotes) > MaxCallQuotes {
		ps.Add("call.quotes", "at most %d quotes", MaxCallQuotes)
		c.Quotes = c.Quotes[:MaxCallQuotes]
	}
	for i, q := range c.Quotes {
		f := fmt.Sprintf("call.quotes[%d]", i)
		c.Quotes[i] = Quote{Speaker: text(f+".speaker", q.Speaker, MaxCallShort, "who said it"),
			Words: text(f+".words", q.Words, MaxCallText, "their words, as they said them")}
	}
	if len(c.Actions) > MaxCallActions {
		ps.Add("call.actions", "at most %d actions", MaxCallActions)
		c.Actions = c.Actions[:MaxCallActions]
	}
	for i, a := range c.Actions {
		f := fmt.Sprintf("call.actions[%d]", i)
		c.Actions[i].Description = text(f+".description", a.Description, safeguarding.MaxNotesChars, "what was agreed")
		email, ok := safeguarding.NormaliseEmail(a.Assignee)
		if !ok {
			ps.Add(f+".assigneeEmail", "the email of the member of staff who will do it")
		}
		c.Actions[i].Assignee = email
		switch {
		case a.DueAt.IsZero():
			ps.Add(f+".dueAt", "when it is due (its timescale)")
		case !a.DueAt.After(at) || !a.DueAt.After(now):
			ps.Add(f+".dueAt", "after the call and not in the past")
		case a.DueAt.After(now.AddDate(0, 0, MaxActionDays)):
			ps.Add(f+".dueAt", "within a year")
		}
		c.Actions[i].DueAt = a.DueAt.UTC()
	}
	c.FurtherContact = text("call.furtherContact", c.FurtherContact, MaxCallText, "how contact will continue (who calls, how often, on which number)")
	if c.HappyToBeContacted == nil {
		ps.Add("call.happyToBeContacted", "whether the family is still happy to be contacted")
	} else if *c.HappyToBeContacted {
		switch {
		case c.NextCallAt.IsZero():
			ps.Add("call.nextCallAt", "the date of the next call")
		case !c.NextCallAt.After(at) || !c.NextCallAt.After(now):
			ps.Add("call.nextCallAt", "after this call and not in the past")
		case c.NextCallAt.After(now.AddDate(0, 0, MaxNextCallDays)):
			ps.Add("call.nextCallAt", "within %d days", MaxNextCallDays)
		}
	} else if !c.NextCallAt.IsZero() {
		ps.Add("call.nextCallAt", "no next call when the family is not happy to be contacted")
	}
	c.NextCallAt = c.NextCallAt.UTC()
	return c
}

// callSummary is the record of rule H3 as the chronology shows it.
func callSummary(c PhoneCall) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Spoke to %s, identified as an agreed parent or carer by: %s. Are they ok: %s. Worries: %s. Heard in the background: %s.",
		clause(c.SpokenTo), clause(c.IdentifiedBy), clause(c.IsOK), clause(c.Worries), clause(c.Background))
	for _, q := range c.Quotes {
		fmt.Fprintf(&b, " %s said: \"%s\".", q.Speaker, q.Words)
	}
	for _, a := range c.Actions {
		fmt.Fprintf(&b, " Agreed action: %s (%s, by %s).", clause(a.Description), a.Assignee, clockTime(a.DueAt))
	}
	fmt.Fprintf(&b, " Further contact: %s.", clause(c.FurtherContact))
	if *c.HappyToBeContacted {
		fmt.Fprintf(&b, " Next call: %s. The family is still happy to be contacted.", clockTime(c.NextCallAt))
	} else {
		b.WriteString(" The family is NOT happy to be contacted any more.")
	}
	return b.String()
}

// clause is typed text to be followed by the summary's own full stop: without its own, so the
// chronology never reads "none noted..".
func clause(s string) string {
	return strings.TrimRight(strings.TrimSpace(s), ". ")
}

// RecordContact records an attempt to contact the family (rules H2, E5) with a contact entry
// in each child's chronology; reaching the family ends MISSING (E6). A phone call, answered
// or not, is the call rule E3 asks for: it leaves the ladder. An answered phone call carries
// rule H3's record: its agreed actions go on the deadline engine's ladder, its next call is
// the family's next phone call due, and a family no longer happy to be contacted is marked
// so (as is one that refused). designated says whether p is designated for closure contact.
func (f Family) RecordContact(p safeguarding.Principal, designated bool, in ContactAttempt, id string, now time.Time) (FamilyWrite, error) {
	if !CanRecordContact(p, f.s.School, designated) {
		return FamilyWrite{}, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	if !slices.Contains(ContactMethods, in.Method) {
		ps.Add("method", "must be one of %s", strings.Join(ContactMethods, ", "))
	}
	if in.Outcome != "" && !slices.Contains(ContactOutcomes, in.Outcome) {
		ps.Add("outcome", "must be one of %s", strings.Join(ContactOutcomes, ", "))
	}
	if in.At.IsZero() || in.At.After(now.Add(5*time.Minute)) {
		ps.Add("at", "when the contact was made, not in the future")
	}
	in.Notes = strings.TrimSpace(in.Notes)
	safeguarding.CheckText(&ps, "notes", in.Notes, safeguarding.MaxNotesChars)
	answeredCall := in.Method == "phone-call" && in.outcome() == OutcomeEstablished
	var call PhoneCall
	switch {
	case answeredCall && in.Call == nil:
		ps.Add("call", "an answered phone call is recorded with who was spoken to, how they were identified, whether they are ok, worries, what was heard, quotes, agreed actions, further contact, the next call and whether the family is still happy to be contacted")
	case answeredCall:
		call = checkCall(&ps, *in.Call, in.At, now)
	case in.Call != nil:
		ps.Add("call", "only an answered phone call has the record of a call")
	}
	if err := ps.Err(); err != nil {
		return FamilyWrite{}, err
	}
	next := f
	w := FamilyWrite{PrevVersion: f.s.Version, At: now, Contact: true, PrevLastContactAt: f.s.LastContactAt}
	outcomes := map[string]string{OutcomeEstablished: "contact established", OutcomeNoAnswer: "no answer",
		OutcomeMessageLeft: "message left", OutcomeRefused: "the family refused contact", OutcomeNotEstablished: "no contact established"}
	summary := fmt.Sprintf("%s on %s: %s.", methodTitles[in.Method], clockTime(in.At), outcomes[in.outcome()])
	if answeredCall {
		summary += " " + callSummary(call)
	}
	if in.Notes != "" {
		summary += " " + in.Notes
	}
	// Rule H2: recorded within 24 hours of the contact; later is accepted, marked late with how late.
	w.Late, w.MinutesLate = safeguarding.Lateness(in.At.Add(ContactRecordWithin), now)
	if w.Late {
		summary += fmt.Sprintf(" (Recorded %d minutes after the 24 hours allowed.)", w.MinutesLate)
	}
	for _, c := range f.s.Children {
		w.Entries = append(w.Entries, safeguarding.ChronologyEntry{ID: id + "#" + string(c.Pupil), Pupil: c.Pupil, Type: safeguarding.EntryContact, At: in.At.UTC(),
			Reference: f.Reference(), Late: w.Late, AuthorName: p.Email, Summary: summary, Visibility: safeguarding.Visibility{School: f.s.School, Author: p.Email}})
	}
	if in.reached() {
		if in.At.After(next.s.LastContactAt) {
			next.s.LastContactAt, next.s.LastContactHow = in.At.UTC(), "contact: "+in.Method
		}
		next.restore(&w, id+"R", in.At.UTC(), "an established "+in.Method, p.Email)
	} else {
		next.s.Attempts++
		if in.At.After(next.s.LastAttemptAt) {
			next.s.LastAttemptAt = in.At.UTC()
		}
		if in.Method == "phone-call" && next.s.CallKey != "" {
			w.CloseCall, next.s.CallKey, next.s.CallDueAt, next.s.CallOwner = next.s.CallKey, "", time.Time{}, ""
		}
	}
	switch {
	case in.outcome() == OutcomeRefused:
		next.s.ContactDeclinedAt = in.At.UTC()
	case answeredCall && !*call.HappyToBeContacted:
		next.s.ContactDeclinedAt = in.At.UTC()
	case answeredCall:
		next.s.ContactDeclinedAt = time.Time{}
		// The next call is the family's phone call due, assigned to who made this one.
		due := safeguarding.DueItem{ID: id + "-next-call", School: f.s.School, Kind: "phone-call", Assignee: p.Email, Reference: f.Reference(),
			Subject: f.s.ID, Due: safeguarding.NewDueState(call.NextCallAt, now)}
		w.OpenCall, next.s.CallDueAt, next.s.CallOwner = &due, call.NextCallAt, p.Email
	}
	for i, a := range call.Actions {
		w.Actions = append(w.Actions, FamilyAction{ID: fmt.Sprintf("%s-A%d", id, i+1), School: f.s.School, Family: f.s.ID,
			Reference: f.Reference(), Description: a.Description, Assignee: a.Assignee, Status: safeguarding.ActionOpen,
			CreatedAt: now.UTC(), CreatedBy: p.Email, Due: safeguarding.NewDueState(a.DueAt, now), Version: 1})
	}
	next.s.Version++
	w.Family = next
	return w, nil
}

// Audit actions of the contact log.
const AuditFamilyActionCompleted = "family-action.completed"

// ContactLogged is a recorded contact: the family as it stands, and whether the contact was
// recorded late (rule H2), as first recorded, on every replay too.
type ContactLogged struct {
	Family      Family
	Late        bool
	MinutesLate int
}
