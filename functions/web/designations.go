package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// A DSL's designations for closure contact (rule P3): the staff designated to call families
// during a closure, designating another member of staff, and ending a designation, each with a
// reason kept in its history (P4). Only the school's DSLs get the page, as the contacts use
// cases allow; anyone else gets "not found".

func closureContactsPath(school safeguarding.SchoolID) string {
	return schoolPath(school) + "/closure-contacts"
}

// designationForm is the designate or end form as it was sent: Form is "designate" or "end".
type designationForm struct {
	Key, Form, Email, Reason string
}

func readDesignationForm(v map[string][]string) designationForm {
	get := func(k string) string {
		if vs := v[k]; len(vs) > 0 {
			return vs[0]
		}
		return ""
	}
	return designationForm{Key: strings.TrimSpace(get("key")), Form: get("form"), Email: strings.TrimSpace(get("email")), Reason: get("reason")}
}

// active is whether the form designates (true) or ends a designation (false); ok is false
// for a form that is neither.
func (f designationForm) active() (active, ok bool) {
	switch f.Form {
	case "designate":
		return true, true
	case "end":
		return false, true
	}
	return false, false
}

func (f designationForm) fingerprint(school safeguarding.SchoolID) string {
	return commandFingerprint("closure-contact", string(school), f.Form, f.Email, f.Reason)
}

type designationRow struct {
	Email, Since, By, Reason string
	Key                      string
	// Name names the person designated; By is who last changed it, by name too.
	Name string
}

type designationsView struct {
	SchoolName string
	Done       string
	Problems   formProblems
	Active     []designationRow
	Ended      []designationRow
	Staff      []option
	Form       designationForm
	PostURL    string
}

var designationDone = map[string]string{
	"designated": "Designated for closure contact: they can now see the families to call.",
	"ended":      "Designation ended: they can no longer see families' numbers.",
}

func (h *Handler) closureContacts(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.closureContactsWith(ctx, r, s, formProblems{}, designationForm{})
}

// closureContactsWith lists the designations (an audited read) with the forms; a form sent
// back keeps what was typed and names its problems.
func (h *Handler) closureContactsWith(ctx context.Context, r *request, s session, problems formProblems, sent designationForm) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Contacts == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	list, err := h.Contacts.ClosureContacts(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := designationsView{Done: designationDone[r.ev.QueryStringParameters["done"]], Problems: problems, PostURL: closureContactsPath(school)}
	sc, scErr := h.Directory.School(ctx, school)
	var names map[string]string
	if scErr == nil {
		names, _ = h.rosterNames(ctx, sc) // without them, people are named by email
	}
	var leaveOut []string
	for _, c := range list {
		row := designationRow{Email: c.Email, Name: cmp.Or(names[c.Email], c.Email), Key: rand.Text()}
		if n := len(c.History); n > 0 {
			last := c.History[n-1]
			row.Since, row.By, row.Reason = when(last.At), cmp.Or(names[last.By], last.By), last.Reason
		}
		if c.Active {
			v.Active = append(v.Active, row)
			leaveOut = append(leaveOut, c.Email)
		} else {
			v.Ended = append(v.Ended, row)
		}
	}
	if scErr == nil {
		v.SchoolName = sc.Name
		for _, m := range sc.Roster {
			if m.Email != "" && m.IsDSL() {
				leaveOut = append(leaveOut, m.Email) // the DSLs see the numbers already
			}
		}
		selected := ""
		if sent.Form == "designate" {
			selected = sent.Email
		}
		v.Staff = staffOptions(sc, names, selected, leaveOut...)
	}
	v.Form = designationForm{Key: rand.Text()}
	if sent.Form != "" {
		v.Form = sent
		if sent.Form == "end" {
			v.Form = designationForm{Key: rand.Text()}
			for i := range v.Active {
				if v.Active[i].Email == sent.Email {
					v.Active[i].Key = sent.Key
				}
			}
		}
	}
	title, status := "Closure contacts", http.StatusOK
	if len(problems.List) > 0 {
		title, status = "Error: "+title, http.StatusBadRequest
	}
	return h.page(r, status, "closure-contacts", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "closure-contacts")})
}

// designate designates a member of staff (form=designate) or ends a designation (form=end),
// then goes back to the list (rule P3).
func (h *Handler) designate(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Contacts == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	f := readDesignationForm(r.form)
	var problems formProblems
	active, ok := f.active()
	if !ok {
		return h.errorPage(r, http.StatusBadRequest, &s)
	}
	anchor := "email"
	if !active {
		anchor = "end-" + f.Email
	}
	if f.Email == "" {
		problems.add(anchor, "Choose a member of staff")
		return h.closureContactsWith(ctx, r, s, problems, f)
	}
	_, err := h.Contacts.Designate(ctx, r.caller(s.claims.Email), school, f.Email, active, f.Reason,
		requestKey(school, s.claims.Email, formKeyOf(f.Key)), f.fingerprint(school))
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		fields := map[string]string{"email": anchor, "reason": "reason"}
		if !active {
			fields["reason"] = anchor
		}
		problems.addValidation(ve, fields, anchor)
		return h.closureContactsWith(ctx, r, s, problems, f)
	case err != nil:
		return h.caseWorkFailed(r, s, err, closureContactsPath(school))
	}
	done := "designated"
	if !active {
		done = "ended"
	}
	return redirect(closureContactsPath(school)+"?done="+done+"#done", http.StatusSeeOther)
}
