package main

import (
	"context"
	"crypto/rand"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// A closure's phone calls: the immediate-risk path on the call screen (rule V5 on a call: the
// duty team one tap away, and "raise an immediate concern" as a high-priority concern, C4),
// the call due to a MISSING family taken by someone (E3), and the calls in a person's work.

// immediateForm is an immediate concern as it was sent from the call screen.
type immediateForm struct {
	Key, Details string
	Pupils       []string
	Problems     formProblems
}

// immediateView is the call screen's immediate-risk path.
type immediateView struct {
	Duty     string
	DutyLink template.URL
	Key      string
	Details  string
	Children []option
	Problems formProblems
}

func immediateFor(sc safeguarding.School, pupils []safeguarding.PupilID, names map[safeguarding.PupilID]string, sent immediateForm) immediateView {
	v := immediateView{Duty: sc.DutyTeamNumber, Key: sent.Key, Details: sent.Details, Problems: sent.Problems}
	if d := telDigits(sc.DutyTeamNumber); d != "" {
		v.DutyLink = template.URL("tel:" + d) // #nosec G203 -- telDigits keeps only '+' and 0-9.
	}
	if v.Key == "" {
		v.Key = rand.Text()
	}
	for _, p := range pupils {
		checked := sent.Key == "" || slices.Contains(sent.Pupils, string(p))
		v.Children = append(v.Children, option{Value: string(p), Title: names[p], Checked: checked})
	}
	return v
}

// callDueView is the call due to the family (rule E3): when, and who holds it.
type callDueView struct {
	Due     string
	Overdue bool
	Held    bool   // by the DSLs as a group
	Owner   string // by name, or "you"
	CanTake bool
	Key     string
}

func callDueFor(f contact.Family) callDueView {
	if f.CallKey() == "" || f.CallDueAt().IsZero() {
		return callDueView{}
	}
	return callDueView{Due: whenDay(f.CallDueAt()), Held: f.CallOwner() == "", CanTake: f.CallOwner() == "", Key: rand.Text()}
}

// raiseFromCall records an immediate concern heard on a call: a high-priority safeguarding
// concern about the children chosen, recorded by the caller now, so the DSLs are alerted at
// once (V5, C4). The duty team's number stays on the screen.
func (h *Handler) raiseFromCall(ctx context.Context, r *request, s session, school safeguarding.SchoolID, id string) events.APIGatewayV2HTTPResponse {
	if h.Concerns == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	f := immediateForm{Key: strings.TrimSpace(r.form.Get("key")), Details: strings.TrimSpace(r.form.Get("details")), Pupils: r.form["pupil"]}
	if f.Details == "" {
		f.Problems.add("immediate-details", "Write what the concern is: it goes to the DSLs at once as high priority")
	}
	if len(f.Pupils) == 0 {
		f.Problems.add("immediate-pupil", "Choose the children the concern is about")
	}
	if len(f.Problems.List) > 0 {
		return h.callScreenWith(ctx, r, s, callState{concern: f, problems: f.Problems})
	}
	var pupils []safeguarding.PupilID
	for _, p := range f.Pupils {
		pupils = append(pupils, safeguarding.PupilID(p))
	}
	in := concerns.NewConcern{PupilIDs: pupils, Category: string(safeguarding.CategorySafeguarding), HighPriority: true, ObservedAt: r.now,
		Details: "Immediate concern on a phone call to family " + contact.Reference(id) + ": " + f.Details}
	fp := commandFingerprint("call-concern", string(school), id, f.Details, strings.Join(f.Pupils, ","))
	_, err := h.Concerns.Record(ctx, r.caller(s.claims.Email), school, in, requestKey(school, s.claims.Email, formKeyOf(f.Key)), fp)
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		f.Problems.addValidation(ve, map[string]string{"details": "immediate-details", "pupilIds": "immediate-pupil"}, "immediate-details")
		return h.callScreenWith(ctx, r, s, callState{concern: f, problems: f.Problems})
	case err != nil:
		return h.caseWorkFailed(r, s, err, callPath(school, id))
	}
	return redirect(callPath(school, id)+"?done=concern#done", http.StatusSeeOther)
}

// takeCall gives the family's call, held by the DSLs as a group, to the person (rule E3).
func (h *Handler) takeCall(ctx context.Context, r *request, s session, school safeguarding.SchoolID, id string) events.APIGatewayV2HTTPResponse {
	_, err := h.Engagement.TakeCall(ctx, r.caller(s.claims.Email), school, id)
	if err != nil {
		return h.caseWorkFailed(r, s, err, callPath(school, id))
	}
	return redirect(callPath(school, id)+"?done=taken#done", http.StatusSeeOther)
}

// workCall is a phone call in a person's work (rule E3), by the family's children.
type workCall struct {
	Children string
	Link     string
	Due      string
	Overdue  bool
	Held     bool
}

// workCalls lists the calls in the person's work: those they took and, for a DSL, those the
// DSLs hold as a group; each links to the family's call screen.
func (h *Handler) workCalls(ctx context.Context, r *request, s session, school safeguarding.SchoolID) ([]workCall, error) {
	if h.Engagement == nil {
		return nil, nil
	}
	calls, err := h.Engagement.CallsFor(ctx, r.caller(s.claims.Email), school)
	if err != nil || len(calls) == 0 {
		return nil, err
	}
	var ids []safeguarding.PupilID
	for _, c := range calls {
		ids = append(ids, c.Pupils...)
	}
	names, err := h.pupilNames(ctx, school, ids)
	if err != nil {
		return nil, err
	}
	out := make([]workCall, 0, len(calls))
	for _, c := range calls {
		var kids []string
		for _, p := range c.Pupils {
			if n := names[p]; n != "" {
				kids = append(kids, n)
			}
		}
		who := strings.Join(kids, ", ")
		if who == "" {
			who = "Family " + c.Reference
		}
		out = append(out, workCall{Children: who, Link: callPath(school, c.Family), Due: whenDay(c.DueAt), Overdue: c.Overdue(r.now), Held: c.Owner == ""})
	}
	return out, nil
}
