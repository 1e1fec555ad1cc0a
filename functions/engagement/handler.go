package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/attendance"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
)

type handler struct {
	svc            engagement.Engagement
	closures       engagement.Closures
	attendanceList attendance.List
}

// Handle serves an API Gateway event.
func (h handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.routes().Handle(ctx, req)
}

// routes maps each route of the EngagementFunction in template.yaml to its use case.
func (h handler) routes() httpapi.Router {
	return httpapi.Router{
		"POST /api/schools/{school}/engagement":                    h.acknowledge,
		"GET /api/schools/{school}/families":                       h.families,
		"POST /api/schools/{school}/families/{id}/contacts":        h.contact,
		"POST /api/schools/{school}/families/{id}/la-notification": h.laNotification,
		"POST /api/schools/{school}/families/{id}/decision":        h.decision,
		"GET /api/schools/{school}/calendar":                       h.calendar,
		"PUT /api/schools/{school}/calendar":                       h.editCalendar,
		"GET /api/schools/{school}/attendance":                     h.attendance,
		"GET /api/schools/{school}/closures":                       h.listClosures,
		"POST /api/schools/{school}/closures":                      h.startClosure,
		"POST /api/schools/{school}/closures/{id}/end":             h.endClosure,
		"POST /api/schools/{school}/families/{id}/call/take":       h.takeCall,
		"GET /api/schools/{school}/calls":                          h.calls,
	}
}

func invalid(field, msg string) error {
	return &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: field, Message: msg}}}
}

func parseTime(field, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, invalid(field, "must be a date and time like 2026-11-23T16:00:00Z (RFC 3339)")
	}
	return t, nil
}

func parseDate(field, s string) (time.Time, error) {
	t, err := time.ParseInLocation(time.DateOnly, s, safeguarding.London)
	if err != nil {
		return time.Time{}, invalid(field, "must be a date like 2026-10-26")
	}
	return t, nil
}

func optional(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

type familyResponse struct {
	ID               string     `json:"id"`
	Reference        string     `json:"reference"`
	Status           string     `json:"status"`
	PupilIDs         []string   `json:"pupilIds"`
	LastContactAt    *time.Time `json:"lastAcknowledgedAt,omitempty"`
	LastContactHow   string     `json:"lastAcknowledgedHow,omitempty"`
	MissingSince     *time.Time `json:"missingSince,omitempty"`
	SchoolDaysSilent *int       `json:"schoolDaysSilent,omitempty"`
	Attempts         int        `json:"attempts"`
	LastAttemptAt    *time.Time `json:"lastAttemptAt,omitempty"`
	CallDueAt        *time.Time `json:"callDueAt,omitempty"`
	LARaisedAt       *time.Time `json:"laRaisedAt,omitempty"`
	LANotifiedAt     *time.Time `json:"laNotifiedAt,omitempty"`
	LABrief          string     `json:"laBrief,omitempty"`
	Decision         string     `json:"decision,omitempty"`
	// CallOwner is who took the open phone call (rule E3); absent while the DSLs hold it.
	CallOwner string `json:"callOwner,omitempty"`
	// ContactDeclinedAt: the family asked not to be contacted, or refused (rules H2, H3).
	ContactDeclinedAt *time.Time `json:"contactDeclinedAt,omitempty"`
	NextDue           string     `json:"nextDue,omitempty"`
	NextDueAt         *time.Time `json:"nextDueAt,omitempty"`
	Version           int        `json:"version"`
}

func toResponse(f contact.Family) familyResponse {
	out := familyResponse{ID: f.ID(), Reference: f.Reference(), Status: string(f.Status()), PupilIDs: []string{},
		LastContactAt: optional(f.LastContactAt()), LastContactHow: f.LastContactHow(), MissingSince: optional(f.MissingSince()),
		Attempts: f.Attempts(), LastAttemptAt: optional(f.LastAttemptAt()), CallDueAt: optional(f.CallDueAt()),
		LARaisedAt: optional(f.LARaisedAt()), LANotifiedAt: optional(f.LANotifiedAt()), Decision: f.Decision(), Version: f.Version(),
		CallOwner:         f.CallOwner(),
		ContactDeclinedAt: optional(f.ContactDeclinedAt())}
	for _, p := range f.Pupils() {
		out.PupilIDs = append(out.PupilIDs, string(p))
	}
	return out
}

type ackRequest struct {
	Acknowledgements []struct {
		FamilyID string `json:"familyId"`
		PupilID  string `json:"pupilId"`
		At       string `json:"at"`
		Kind     string `json:"kind"`
	} `json:"acknowledgements"`
}

// acknowledge records a batch of acknowledgements, a class at a time (rule E1).
func (h handler) acknowledge(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in ackRequest
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	var acks []contact.Acknowledgement
	for _, a := range in.Acknowledgements {
		at, err := parseTime("acknowledgements.at", a.At)
		if err != nil {
			return httpapi.Response{}, err
		}
		acks = append(acks, contact.Acknowledgement{FamilyID: a.FamilyID, PupilID: safeguarding.PupilID(a.PupilID), At: at, Kind: a.Kind})
	}
	res, err := h.svc.Acknowledge(ctx, who, httpapi.School(req), acks, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Acknowledgements int              `json:"acknowledgements"`
		Families         []familyResponse `json:"families"`
	}{Acknowledgements: len(acks), Families: []familyResponse{}}
	for _, f := range res.Families {
		out.Families = append(out.Families, toResponse(f))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// families is the DSLs' view of MISSING families (?status=missing, the only status listed).
func (h handler) families(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if st := req.QueryStringParameters["status"]; st != "" && st != string(contact.FamilyMissing) {
		return httpapi.Response{}, invalid("status", "only status=missing is listed")
	}
	rows, err := h.svc.MissingFamilies(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Families []familyResponse `json:"families"`
	}{Families: []familyResponse{}}
	for _, r := range rows {
		f := toResponse(r.Family)
		f.SchoolDaysSilent = &r.SchoolDaysSilent
		f.LABrief, f.NextDue, f.NextDueAt = r.LABrief, r.NextDue, optional(r.NextDueAt)
		out.Families = append(out.Families, f)
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// contactRequest is the body of a contact attempt (rule H2) and, for an answered phone call,
// its record (rule H3).
type contactRequest struct {
	At          string `json:"at"`
	Method      string `json:"method"`
	Outcome     string `json:"outcome"`
	Established bool   `json:"established"`
	Notes       string `json:"notes"`
	Call        *struct {
		SpokenTo     string `json:"spokenTo"`
		IdentifiedBy string `json:"identifiedBy"`
		AgreedCarer  bool   `json:"agreedCarer"`
		IsOK         string `json:"isOk"`
		Worries      string `json:"worries"`
		Background   string `json:"background"`
		Quotes       []struct {
			Speaker string `json:"speaker"`
			Words   string `json:"words"`
		} `json:"quotes"`
		Actions []struct {
			Description   string `json:"description"`
			AssigneeEmail string `json:"assigneeEmail"`
			DueAt         string `json:"dueAt"`
		} `json:"actions"`
		FurtherContact     string `json:"furtherContact"`
		NextCallAt         string `json:"nextCallAt"`
		HappyToBeContacted *bool  `json:"happyToBeContacted"`
	} `json:"call"`
}

// attempt turns the body into the domain's contact attempt, naming any field that is not a
// time where one is due.
func (in contactRequest) attempt() (contact.ContactAttempt, error) {
	at, err := parseTime("at", in.At)
	if err != nil {
		return contact.ContactAttempt{}, err
	}
	out := contact.ContactAttempt{At: at, Method: in.Method, Outcome: in.Outcome, Established: in.Established, Notes: in.Notes}
	if in.Call == nil {
		return out, nil
	}
	c := in.Call
	call := &contact.PhoneCall{SpokenTo: c.SpokenTo, IdentifiedBy: c.IdentifiedBy, AgreedCarer: c.AgreedCarer, IsOK: c.IsOK,
		Worries: c.Worries, Background: c.Background, FurtherContact: c.FurtherContact, HappyToBeContacted: c.HappyToBeContacted}
	for _, q := range c.Quotes {
		call.Quotes = append(call.Quotes, contact.Quote{Speaker: q.Speaker, Words: q.Words})
	}
	for i, a := range c.Actions {
		var due time.Time
		if a.DueAt != "" {
			if due, err = parseTime(fmt.Sprintf("call.actions[%d].dueAt", i), a.DueAt); err != nil {
				return contact.ContactAttempt{}, err
			}
		}
		call.Actions = append(call.Actions, contact.AgreedAction{Description: a.Description, Assignee: a.AssigneeEmail, DueAt: due})
	}
	if c.NextCallAt != "" {
		if call.NextCallAt, err = parseTime("call.nextCallAt", c.NextCallAt); err != nil {
			return contact.ContactAttempt{}, err
		}
	}
	out.Call = call
	return out, nil
}

// contact records an attempt to contact a family (rules H2, E5, E6) and, for an answered
// phone call, its record (H3): by a DSL or staff designated for closure contact.
func (h handler) contact(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in contactRequest
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	attempt, err := in.attempt()
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.svc.LogContact(ctx, who, httpapi.School(req), req.PathParameters["id"], attempt, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, contactResponse{familyResponse: toResponse(c.Family), Late: c.Late, MinutesLate: c.MinutesLate}), nil
}

// contactResponse is the family after a contact, and whether the contact was recorded more
// than rule H2's 24 hours after it happened (accepted, marked late), by how many minutes.
type contactResponse struct {
	familyResponse
	Late        bool `json:"late"`
	MinutesLate int  `json:"minutesLate"`
}

// laNotification records when the Senior DSL informed the LA (rule E5).
func (h handler) laNotification(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		SentAt string `json:"sentAt"`
		Notes  string `json:"notes"`
	}
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	at, err := parseTime("sentAt", in.SentAt)
	if err != nil {
		return httpapi.Response{}, err
	}
	f, err := h.svc.RecordLANotification(ctx, who, httpapi.School(req), req.PathParameters["id"], at, in.Notes, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toResponse(f)), nil
}

// decision records the Senior DSL's decision on contacting social care (rule E4).
func (h handler) decision(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Decision string `json:"decision"`
		Reason   string `json:"reason"`
	}
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	f, err := h.svc.Decide(ctx, who, httpapi.School(req), req.PathParameters["id"], in.Decision, in.Reason, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toResponse(f)), nil
}

type period struct {
	Name string `json:"name,omitempty"`
	Kind string `json:"kind,omitempty"`
	From string `json:"from"`
	To   string `json:"to"`
	Note string `json:"note,omitempty"`
}

type calendarBody struct {
	Version int      `json:"version"`
	Terms   []period `json:"terms"`
	DaysOff []period `json:"daysOff"`
}

func toCalendar(c safeguarding.SchoolCalendar) calendarBody {
	out := calendarBody{Version: c.Version, Terms: []period{}, DaysOff: []period{}}
	for _, t := range c.Terms {
		out.Terms = append(out.Terms, period{Name: t.Name, From: t.From.Format(time.DateOnly), To: t.To.Format(time.DateOnly)})
	}
	for _, o := range c.DaysOff {
		out.DaysOff = append(out.DaysOff, period{Kind: o.Kind, From: o.From.Format(time.DateOnly), To: o.To.Format(time.DateOnly), Note: o.Note})
	}
	return out
}

func (h handler) calendar(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	c, err := h.svc.Calendar(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toCalendar(c)), nil
}

// editCalendar replaces the school's terms and days off (Senior DSL or admin), against the
// version read: a stale one is 409.
func (h handler) editCalendar(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in calendarBody
	who, _, _, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	var ci safeguarding.CalendarInput
	for _, p := range in.Terms {
		from, err1 := parseDate("terms.from", p.From)
		to, err2 := parseDate("terms.to", p.To)
		if err1 != nil || err2 != nil {
			return httpapi.Response{}, invalid("terms", "from and to must be dates like 2026-09-03")
		}
		ci.Terms = append(ci.Terms, safeguarding.Term{Name: p.Name, From: from, To: to})
	}
	for _, p := range in.DaysOff {
		from, err1 := parseDate("daysOff.from", p.From)
		to, err2 := parseDate("daysOff.to", p.To)
		if err1 != nil || err2 != nil {
			return httpapi.Response{}, invalid("daysOff", "from and to must be dates like 2026-10-26")
		}
		ci.DaysOff = append(ci.DaysOff, safeguarding.DayOff{Kind: p.Kind, From: from, To: to, Note: p.Note})
	}
	c, err := h.svc.EditCalendar(ctx, who, httpapi.School(req), in.Version, ci)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toCalendar(c)), nil
}
