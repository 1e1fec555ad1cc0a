package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

type handler struct {
	svc contact.Contacts
}

// Handle serves an API Gateway event.
func (h handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.routes().Handle(ctx, req)
}

// routes maps each route of the ContactsFunction in template.yaml to its use case.
func (h handler) routes() httpapi.Router {
	return httpapi.Router{
		"GET /api/schools/{school}/families/{id}/contact-details":            h.view,
		"PUT /api/schools/{school}/families/{id}/contact-details":            h.edit,
		"PATCH /api/schools/{school}/families/{id}/contact-details":          h.patch,
		"GET /api/schools/{school}/families/{id}/contact-details/versions":   h.versions,
		"GET /api/schools/{school}/contact-details/report":                   h.report,
		"GET /api/schools/{school}/closure-contacts":                         h.closureContacts,
		"PUT /api/schools/{school}/closure-contacts/{email}":                 h.designate,
		"GET /api/schools/{school}/families/{id}/actions":                    h.actions,
		"POST /api/schools/{school}/families/{id}/actions/{action}/complete": h.complete,
	}
}

func invalid(field, msg string) error {
	return &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: field, Message: msg}}}
}

func optional(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

type phoneBody struct {
	Label       string     `json:"label"`
	Number      string     `json:"number"`
	ConfirmedAt *time.Time `json:"confirmedAt,omitempty"`
	UpToDate    *bool      `json:"upToDate,omitempty"`
}

type addressBody struct {
	Lines    []string `json:"lines"`
	Postcode string   `json:"postcode,omitempty"`
}

// detailsResponse is a family's contact details as a designated person sees them: the only
// answer of this API that carries a phone number or an address (rule P3).
type detailsResponse struct {
	FamilyID     string      `json:"familyId"`
	Reference    string      `json:"reference"`
	PupilIDs     []string    `json:"pupilIds"`
	Phones       []phoneBody `json:"phones"`
	Address      addressBody `json:"address"`
	Version      int         `json:"version"`
	ChangedAt    *time.Time  `json:"changedAt,omitempty"`
	Reason       string      `json:"reason,omitempty"`
	UpToDate     int         `json:"upToDateNumbers"`
	UpToDateDays int         `json:"upToDateDays"`
	// ContactDeclinedAt: the family asked not to be contacted (rule H3).
	ContactDeclinedAt *time.Time `json:"contactDeclinedAt,omitempty"`
	Reminder          string     `json:"reminder"`
}

// openingReason is the query parameter reason: why the caller opens one more family's
// contact details past the school's number of families an hour (rule P3; 428 without it).
func openingReason(req httpapi.Request) contact.OpeningReason {
	reason, given := req.QueryStringParameters["reason"]
	return contact.OpeningReason{Text: reason, Given: given}
}

// view shows one family's contact details to designated staff, audited (rule P3), with the
// reason past the hour's number of families (openingReason).
func (h handler) view(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	shown, err := h.svc.View(ctx, who, httpapi.School(req), req.PathParameters["id"], openingReason(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	within := contact.DefaultUpToDateDays * 24 * time.Hour
	d, f := shown.Details, shown.Family
	out := detailsResponse{FamilyID: f.ID(), Reference: f.Reference(), PupilIDs: []string{}, Phones: []phoneBody{},
		Address: addressBody{Lines: append([]string{}, d.Address().Lines...), Postcode: d.Address().Postcode}, Version: d.Version(),
		ChangedAt: optional(d.ChangedAt()), Reason: d.Reason(), UpToDate: d.UpToDateNumbers(who.At, within),
		UpToDateDays: contact.DefaultUpToDateDays, ContactDeclinedAt: optional(f.ContactDeclinedAt()), Reminder: contact.WithholdCallerID}
	for _, p := range f.Pupils() {
		out.PupilIDs = append(out.PupilIDs, string(p))
	}
	for _, p := range d.Phones() {
		fresh := p.UpToDate(who.At, within)
		out.Phones = append(out.Phones, phoneBody{Label: p.Label, Number: p.Number, ConfirmedAt: optional(p.ConfirmedAt), UpToDate: &fresh})
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// editRequest is a new version of a family's contact details.
type editRequest struct {
	Phones []struct {
		Label       string `json:"label"`
		Number      string `json:"number"`
		ConfirmedAt string `json:"confirmedAt"`
	} `json:"phones"`
	Address struct {
		Lines    []string `json:"lines"`
		Postcode string   `json:"postcode"`
	} `json:"address"`
	Reason  string `json:"reason"`
	Version *int   `json:"version"`
}

func (in editRequest) input() (contact.ContactInput, error) {
	if in.Version == nil {
		return contact.ContactInput{}, invalid("version", "the version you read (0 when none was recorded)")
	}
	out := contact.ContactInput{Reason: in.Reason, Version: *in.Version,
		Address: contact.ContactAddress{Lines: in.Address.Lines, Postcode: in.Address.Postcode}}
	for i, p := range in.Phones {
		ph := contact.ContactPhone{Label: p.Label, Number: p.Number}
		if p.ConfirmedAt != "" {
			at, err := time.Parse(time.RFC3339, p.ConfirmedAt)
			if err != nil {
				return contact.ContactInput{}, invalid(fmt.Sprintf("phones[%d].confirmedAt", i), "a date and time like 2026-11-23T10:00:00Z (RFC 3339)")
			}
			ph.ConfirmedAt = at
		}
		out.Phones = append(out.Phones, ph)
	}
	return out, nil
}

// summaryResponse is what an edit answers: no number, no address, so the office can keep
// details up to date without seeing them (rule P3).
type summaryResponse struct {
	FamilyID  string    `json:"familyId"`
	Version   int       `json:"version"`
	ChangedAt time.Time `json:"changedAt"`
	Numbers   int       `json:"numbers"`
	UpToDate  int       `json:"upToDateNumbers"`
	Address   bool      `json:"hasAddress"`
}

// edit saves a new version of a family's contact details (the office or a DSL: rules P3, P4).
func (h handler) edit(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in editRequest
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	ci, err := in.input()
	if err != nil {
		return httpapi.Response{}, err
	}
	d, err := h.svc.Edit(ctx, who, httpapi.School(req), req.PathParameters["id"], ci, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, summary(d, who.At)), nil
}

func summary(d contact.ContactDetails, at time.Time) summaryResponse {
	return summaryResponse{FamilyID: d.Family(), Version: d.Version(), ChangedAt: d.ChangedAt(), Numbers: len(d.Phones()),
		UpToDate: d.UpToDateNumbers(at, contact.DefaultUpToDateDays*24*time.Hour), Address: !d.Address().IsZero()}
}

// patchRequest changes only what it names: numbers added or replaced by label, numbers
// confirmed or removed by label, the address only when given.
type patchRequest struct {
	Version *int   `json:"version"`
	Reason  string `json:"reason"`
	Phones  []struct {
		Label     string `json:"label"`
		Number    string `json:"number"`
		Confirmed bool   `json:"confirmed"`
	} `json:"phones"`
	Confirm []string `json:"confirm"`
	Remove  []struct {
		Label  string `json:"label"`
		Reason string `json:"reason"`
	} `json:"remove"`
	Address *struct {
		Lines    []string `json:"lines"`
		Postcode string   `json:"postcode"`
	} `json:"address"`
}

func (in patchRequest) patch() (contact.ContactPatch, error) {
	if in.Version == nil {
		return contact.ContactPatch{}, invalid("version", "the version you read (0 when none was recorded)")
	}
	out := contact.ContactPatch{Version: *in.Version, Reason: in.Reason, Confirm: in.Confirm}
	for _, p := range in.Phones {
		out.Phones = append(out.Phones, contact.PatchPhone{Label: p.Label, Number: p.Number, Confirmed: p.Confirmed})
	}
	for _, r := range in.Remove {
		out.Remove = append(out.Remove, contact.ContactRemoval{Label: r.Label, Reason: r.Reason})
	}
	if in.Address != nil {
		out.Address = &contact.ContactAddress{Lines: in.Address.Lines, Postcode: in.Address.Postcode}
	}
	return out, nil
}

type removalBody struct {
	Label  string `json:"label"`
	Reason string `json:"reason,omitempty"`
}

// changesBody is what a version changed, by label: never a number or an address line.
type changesBody struct {
	Added     []string      `json:"added"`
	Replaced  []string      `json:"replaced"`
	Confirmed []string      `json:"confirmed"`
	Removed   []removalBody `json:"removed"`
	Kept      []string      `json:"kept"`
	Address   string        `json:"address"`
	Summary   string        `json:"summary"`
}

func toChanges(c contact.ContactChanges) changesBody {
	out := changesBody{Added: nonNil(c.Added), Replaced: nonNil(c.Replaced), Confirmed: nonNil(c.Confirmed),
		Removed: []removalBody{}, Kept: nonNil(c.Kept), Address: string(c.Address), Summary: c.Summary()}
	for _, r := range c.Removed {
		out.Removed = append(out.Removed, removalBody(r))
	}
	return out
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// patch saves a new version that changes only what the request names (the office or a DSL:
// rules P3, P4): the office's way to keep details up to date without seeing them.
func (h handler) patch(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in patchRequest
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	p, err := in.patch()
	if err != nil {
		return httpapi.Response{}, err
	}
	d, err := h.svc.Patch(ctx, who, httpapi.School(req), req.PathParameters["id"], p, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		summaryResponse
		Changes changesBody `json:"changes"`
	}{summary(d, who.At), toChanges(d.Changes())}
	return httpapi.JSON(http.StatusOK, out), nil
}

type versionBody struct {
	Version   int           `json:"version"`
	ChangedAt time.Time     `json:"changedAt"`
	ChangedBy string        `json:"changedBy"`
	Reason    string        `json:"reason"`
	Phones    []phoneBody   `json:"phones"`
	Address   addressBody   `json:"address"`
	Removed   []removalBody `json:"removed"`
}

// versions reads back every version of a family's contact details, oldest first (the DSLs
// and the Senior DSL; rules P3, P4), audited: an opening of the family's details that counts
// toward the hour like view, with the same reason (openingReason).
func (h handler) versions(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	vs, err := h.svc.Versions(ctx, who, httpapi.School(req), req.PathParameters["id"], openingReason(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		FamilyID string        `json:"familyId"`
		Versions []versionBody `json:"versions"`
	}{FamilyID: vs.Family.ID(), Versions: []versionBody{}}
	for _, d := range vs.Versions {
		v := versionBody{Version: d.Version(), ChangedAt: d.ChangedAt(), ChangedBy: d.ChangedBy(), Reason: d.Reason(), Phones: []phoneBody{},
			Address: addressBody{Lines: append([]string{}, d.Address().Lines...), Postcode: d.Address().Postcode}, Removed: []removalBody{}}
		for _, p := range d.Phones() {
			v.Phones = append(v.Phones, phoneBody{Label: p.Label, Number: p.Number, ConfirmedAt: optional(p.ConfirmedAt)})
		}
		for _, r := range d.Changes().Removed {
			v.Removed = append(v.Removed, removalBody(r))
		}
		out.Versions = append(out.Versions, v)
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// report lists the families with fewer than two up-to-date numbers (rule H1), without a number.
func (h handler) report(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	days := contact.DefaultUpToDateDays
	if s, ok := req.QueryStringParameters["upToDateDays"]; ok {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > contact.MaxUpToDateDays {
			return httpapi.Response{}, invalid("upToDateDays", fmt.Sprintf("a whole number of days from 1 to %d", contact.MaxUpToDateDays))
		}
		days = n
	}
	rows, err := h.svc.ContactReport(ctx, who, httpapi.School(req), time.Duration(days)*24*time.Hour)
	if err != nil {
		return httpapi.Response{}, err
	}
	type row struct {
		ID              string     `json:"id"`
		Reference       string     `json:"reference"`
		PupilIDs        []string   `json:"pupilIds"`
		Numbers         int        `json:"numbers"`
		UpToDate        int        `json:"upToDateNumbers"`
		LastConfirmedAt *time.Time `json:"lastConfirmedAt,omitempty"`
		HasAddress      bool       `json:"hasAddress"`
	}
	out := struct {
		AsOf         time.Time `json:"asOf"`
		UpToDateDays int       `json:"upToDateDays"`
		Minimum      int       `json:"minimum"`
		Families     []row     `json:"families"`
	}{AsOf: who.At, UpToDateDays: days, Minimum: contact.MinUpToDateNumbers, Families: []row{}}
	for _, r := range rows {
		x := row{ID: r.Check.Family.ID(), Reference: r.Check.Family.Reference(), PupilIDs: []string{}, Numbers: r.Check.Numbers,
			UpToDate: r.UpToDate, LastConfirmedAt: optional(r.LastConfirmedAt), HasAddress: r.Check.HasAddress}
		for _, p := range r.Check.Family.Pupils() {
			x.PupilIDs = append(x.PupilIDs, string(p))
		}
		out.Families = append(out.Families, x)
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

type designationEvent struct {
	At     time.Time `json:"at"`
	By     string    `json:"by"`
	Active bool      `json:"active"`
	Reason string    `json:"reason,omitempty"`
}

type designationResponse struct {
	Email   string             `json:"email"`
	Active  bool               `json:"active"`
	Version int                `json:"version"`
	History []designationEvent `json:"history"`
}

func toDesignation(c contact.ClosureContact) designationResponse {
	out := designationResponse{Email: c.Email, Active: c.Active, Version: c.Version, History: []designationEvent{}}
	for _, e := range c.History {
		out.History = append(out.History, designationEvent{At: e.At, By: e.By, Active: e.Active, Reason: e.Reason})
	}
	return out
}

// closureContacts lists the school's designations for closure contact (DSLs).
func (h handler) closureContacts(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	list, err := h.svc.ClosureContacts(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Staff []designationResponse `json:"staff"`
	}{Staff: []designationResponse{}}
	for _, c := range list {
		out.Staff = append(out.Staff, toDesignation(c))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// designationRequest designates a member of staff (active true) or ends it (false).
type designationRequest struct {
	Active *bool  `json:"active"`
	Reason string `json:"reason"`
}

// designate designates a member of staff for closure contact, or ends it (a DSL: rule P3).
func (h handler) designate(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in designationRequest
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	if in.Active == nil {
		return httpapi.Response{}, invalid("active", "true to designate, false to end the designation")
	}
	email, err := url.PathUnescape(req.PathParameters["email"])
	if err != nil {
		return httpapi.Response{}, invalid("email", "the email of a member of staff")
	}
	c, err := h.svc.Designate(ctx, who, httpapi.School(req), email, *in.Active, in.Reason, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toDesignation(c)), nil
}

type actionResponse struct {
	ID          string     `json:"id"`
	FamilyID    string     `json:"familyId"`
	Description string     `json:"description"`
	Assignee    string     `json:"assigneeEmail"`
	DueAt       time.Time  `json:"dueAt"`
	Status      string     `json:"status"`
	Outcome     string     `json:"outcome,omitempty"`
	CreatedAt   time.Time  `json:"createdAt"`
	CreatedBy   string     `json:"createdBy"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
	CompletedBy string     `json:"completedBy,omitempty"`
	Version     int        `json:"version"`
}

func toAction(a contact.FamilyAction) actionResponse {
	return actionResponse{ID: a.ID, FamilyID: a.Family, Description: a.Description, Assignee: a.Assignee, DueAt: a.Due.DueAt,
		Status: string(a.Status), Outcome: a.Outcome, CreatedAt: a.CreatedAt, CreatedBy: a.CreatedBy,
		CompletedAt: optional(a.CompletedAt), CompletedBy: a.CompletedBy, Version: a.Version}
}

// actions lists the actions agreed with a family on calls (rule H3).
func (h handler) actions(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	list, err := h.svc.FamilyActions(ctx, who, httpapi.School(req), req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Actions []actionResponse `json:"actions"`
	}{Actions: []actionResponse{}}
	for _, a := range list {
		out.Actions = append(out.Actions, toAction(a))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// complete records the outcome of an action agreed with a family (its assignee or a DSL).
func (h handler) complete(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in struct {
		Outcome string `json:"outcome"`
	}
	who, key, fp, err := httpapi.Command(req, &in)
	if err != nil {
		return httpapi.Response{}, err
	}
	a, err := h.svc.CompleteFamilyAction(ctx, who, httpapi.School(req), req.PathParameters["id"], req.PathParameters["action"], in.Outcome, key, fp)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toAction(a)), nil
}
