package main

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/printout"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// The pages of a pupil's file sent to their new school (rule S5), for the DSLs and the Senior
// DSL: recording a move from the pupil's chronology, and the school's transfers with the
// buttons that send one and confirm one received. Within the federation the file is copied;
// outside it, the sending DSL's export is archived in the bucket behind a new link, and the
// link and its one-time code are shown once, on the page that answers the button, for the DSL
// to email the link and give the code by phone.

// transferService is the part of transfers.Transfers the pages use.
type transferService interface {
	Record(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, m transfers.Move, key string) (transfers.Transfer, error)
	List(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]transfers.Transfer, error)
	SendWithin(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (transfers.Transfer, error)
	SendOutside(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, archive func(transfers.Transfer) (key, version string, err error)) (transfers.Sent, error)
	ConfirmReceipt(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (transfers.Transfer, error)
	Destinations(ctx context.Context, p safeguarding.Principal, school safeguarding.SchoolID) ([]transfers.Destination, error)
}

var _ transferService = transfers.Transfers{}

func init() {
	routes["GET /schools/{school}/pupils/{pupil}/move"] = (*Handler).movePage
	routes["POST /schools/{school}/pupils/{pupil}/move"] = (*Handler).recordMove
	routes["GET /schools/{school}/transfers"] = (*Handler).transfersPage
	routes["POST /schools/{school}/transfers/{id}/send"] = (*Handler).sendTransfer
	routes["POST /schools/{school}/transfers/{id}/link"] = (*Handler).sendByLink
	routes["POST /schools/{school}/transfers/{id}/receipt"] = (*Handler).confirmTransfer
}

func transfersPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/transfers" }

// moveView is the form that records a move.
type moveView struct {
	Pupil    safeguarding.Pupil
	Schools  []transfers.Destination
	Action   string
	Back     string
	Key      string
	Where    string // "federation" or "outside", as chosen
	ToSchool string
	Name     string
	Email    string
	Problems formProblems
}

func (h *Handler) movePage(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.moveForm(ctx, r, s, formProblems{})
}

func (h *Handler) moveForm(ctx context.Context, r *request, s session, problems formProblems) events.APIGatewayV2HTTPResponse {
	school, pupil := safeguarding.SchoolID(r.param("school")), safeguarding.PupilID(r.param("pupil"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, school).Transfers || h.Transfers == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	dest, err := h.Transfers.Destinations(ctx, p, school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	found, err := h.Directory.Pupils(ctx, school, []safeguarding.PupilID{pupil})
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	pu, ok := found[pupil]
	if !ok {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	v := moveView{Pupil: pu, Schools: dest, Action: pupilPath(school, pupil) + "/move", Back: pupilPath(school, pupil) + "/chronology",
		Key: r.form.Get("key"), Where: r.form.Get("where"), ToSchool: r.form.Get("to-school"), Name: r.form.Get("to-school-name"),
		Email: r.form.Get("to-dsl-email"), Problems: problems}
	if v.Key == "" {
		v.Key = rand.Text()
	}
	status := http.StatusOK
	if len(problems.List) > 0 {
		status = http.StatusBadRequest
	}
	return h.page(r, status, "move", pageData{Title: "Record a move to a new school", SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "")})
}

// recordMove records the move (S5) and shows the school's transfers, the new one due.
func (h *Handler) recordMove(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school, pupil := safeguarding.SchoolID(r.param("school")), safeguarding.PupilID(r.param("pupil"))
	if h.Transfers == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	var m transfers.Move
	var problems formProblems
	switch r.form.Get("where") {
	case "federation":
		m.ToSchool = safeguarding.SchoolID(r.form.Get("to-school"))
		if m.ToSchool == "" {
			problems.add("to-school", "Choose the school the pupil moves to")
		}
	case "outside":
		m.ToSchoolName, m.ToDSLEmail = r.form.Get("to-school-name"), r.form.Get("to-dsl-email")
	default:
		problems.add("where-federation", "Say whether the new school is one of the federation's")
	}
	if len(problems.List) > 0 {
		return h.moveForm(ctx, r, s, problems)
	}
	key := formKeyOf(strings.TrimSpace(r.form.Get("key")))
	_, err := h.Transfers.Record(ctx, r.caller(s.claims.Email), school, pupil, m, string(school)+"/"+key)
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		problems.addValidation(ve, map[string]string{"toSchool": "to-school", "toSchoolName": "to-school-name", "toDslEmail": "to-dsl-email"}, "where-federation")
		return h.moveForm(ctx, r, s, problems)
	case err != nil:
		return h.errorPage(r, statusFor(err), &s)
	}
	return redirect(transfersPath(school)+"?done=recorded#done", http.StatusSeeOther)
}

// transferRow is one transfer as the page shows it.
type transferRow struct {
	ID, Pupil, ChronologyLink, Where, Status, StatusClass, Due string
	Out, Overdue                                               bool
	SendURL, LinkURL, ReceiptURL                               string
	Outside                                                    bool
	History                                                    []string
}

type transfersView struct {
	SchoolName string
	Done       string
	Rows       []transferRow
}

var transferDone = map[string]string{
	"recorded":     "Move recorded. The file is due at the new school within 5 school days.",
	"sent":         "File sent. The new school's safeguarding leads are told to confirm its receipt.",
	"sent-by-link": "File sent by a link. The new school's safeguarding lead downloads it with the code you gave by phone.",
	"received":     "Receipt confirmed.",
}

var transferStatus = map[transfers.Status][2]string{
	transfers.StatusDue:      {"To send", "govuk-tag--yellow"},
	transfers.StatusSent:     {"Sent, not yet confirmed", "govuk-tag--blue"},
	transfers.StatusReceived: {"Received", "govuk-tag--green"},
}

var transferEventWords = map[string]string{
	transfers.EventRecorded:   "Move recorded",
	transfers.EventSent:       "File sent",
	transfers.EventReceived:   "Receipt confirmed",
	transfers.EventLinkOpened: "Link opened",
	transfers.EventWrongCode:  "A wrong code was typed",
	transfers.EventLocked:     "The link was locked after too many wrong codes",
	transfers.EventRefused:    "The link refused a download",
	transfers.EventDownloaded: "File downloaded",
}

func (h *Handler) transfersPage(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, school).Transfers || h.Transfers == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	ts, err := h.Transfers.List(ctx, r.caller(s.claims.Email), school)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := transfersView{Done: transferDone[r.ev.QueryStringParameters["done"]]}
	if sc, err := h.Directory.School(ctx, school); err == nil {
		v.SchoolName = sc.Name
	}
	names := map[string]string{}
	for _, t := range ts {
		for _, e := range t.History {
			if e.By != "" {
				names[e.By] = e.By
			}
		}
	}
	if people, err := h.Directory.StaffNames(ctx, keysOf(names)); err == nil {
		for k, n := range people {
			names[k] = n
		}
	}
	for _, t := range ts {
		st := transferStatus[t.Status]
		row := transferRow{ID: t.ID, Pupil: t.PupilName, Status: st[0], StatusClass: st[1], Out: t.From == school, Overdue: t.Overdue(r.now),
			Due: whenDay(t.DueBy), Outside: !t.To.InFederation()}
		base := transfersPath(school) + "/" + url.PathEscape(t.ID)
		if row.Out {
			row.Where = "To " + t.ToName()
			row.ChronologyLink = pupilPath(school, t.Pupil) + "/chronology"
			switch {
			case t.Status == transfers.StatusDue && t.To.InFederation():
				row.SendURL = base + "/send"
			case row.Outside && h.Archives != nil && (t.Status == transfers.StatusDue ||
				t.Status == transfers.StatusSent && !t.Link.Used && (t.Link.Locked || !r.now.Before(t.Link.ExpiresAt))):
				// A link locked after wrong codes, or expired unused, is replaced by sending again.
				row.LinkURL = base + "/link"
			}
		} else {
			row.Where = "From " + t.FromName
			if t.ReceivingPupil != "" {
				row.ChronologyLink = pupilPath(school, t.ReceivingPupil) + "/chronology"
			}
			if t.Status == transfers.StatusSent {
				row.ReceiptURL = base + "/receipt"
			}
		}
		for _, e := range t.History {
			line := when(e.At) + ": " + transferEventWords[e.Kind]
			if e.By != "" {
				line += " by " + names[e.By]
			}
			row.History = append(row.History, line)
		}
		v.Rows = append(v.Rows, row)
	}
	return h.page(r, http.StatusOK, "transfers", pageData{Title: "Transfers", SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "transfers")})
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// sendTransfer sends a transfer within the federation (S5): the file is copied; a copy cut
// short resumes when sent again.
func (h *Handler) sendTransfer(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Transfers == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	_, err := h.Transfers.SendWithin(ctx, r.caller(s.claims.Email), school, r.param("id"))
	switch {
	case errors.Is(err, safeguarding.ErrConflict):
		return redirect(transfersPath(school)+"?done=sent#done", http.StatusSeeOther)
	case err != nil:
		return h.caseWorkFailed(r, s, err, transfersPath(school))
	}
	return redirect(transfersPath(school)+"?done=sent#done", http.StatusSeeOther)
}

// sentByLinkView is the page that answers sending outside the federation: the link and the
// code, shown this once.
type sentByLinkView struct {
	Pupil, SchoolName, DSLEmail, Link, Code, Expires, Back string
}

// sendByLink sends a transfer outside the federation (S5): the sending DSL's export of the
// pupil's record is archived in the bucket behind a new link, and the link and its one-time
// code are shown once. The answer is a page, not a redirect, since neither is kept anywhere;
// the browser is told to keep no copy of it.
func (h *Handler) sendByLink(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Transfers == nil || h.Archives == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	who := r.caller(s.claims.Email)
	sent, err := h.Transfers.SendOutside(ctx, who, school, r.param("id"), printout.TransferArchive(ctx, h.Archives, h.Exports, store.NewID, who, school))
	if err != nil {
		return h.caseWorkFailed(r, s, err, transfersPath(school))
	}
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	t := sent.Transfer
	v := sentByLinkView{Pupil: t.PupilName, SchoolName: t.To.SchoolName, DSLEmail: t.To.DSLEmail, Code: transfers.CodeWords(sent.Code),
		Link: h.Config.AppURL + "/transfer-links/" + url.PathEscape(t.ID) + "/" + url.PathEscape(sent.Token),
		Back: transfersPath(school) + "?done=sent-by-link#transfer-" + t.ID}
	v.Expires = when(t.Link.ExpiresAt)
	return h.page(r, http.StatusOK, "transfer-link", pageData{Title: "The link and the code", SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "transfers")})
}

// confirmTransfer confirms that a transfer arrived, by a DSL of the receiving school (S5).
func (h *Handler) confirmTransfer(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	if h.Transfers == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	if _, err := h.Transfers.ConfirmReceipt(ctx, r.caller(s.claims.Email), school, r.param("id")); err != nil {
		return h.caseWorkFailed(r, s, err, transfersPath(school))
	}
	return redirect(transfersPath(school)+"?done=received#done", http.StatusSeeOther)
}
