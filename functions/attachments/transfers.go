package main

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/printout"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Transfers of a pupil's file to their new school (rule S5) live in this function because the
// transfer outside the federation is the export of D10 behind a link: the same record, the
// same archive in the same bucket (under transfers/, kept for the link's week, then removed by
// the bucket's lifecycle) and the same signer.

// maxMoveRequest bounds the JSON of a move: a school's id, or a name and an email.
const maxMoveRequest = 2 << 10

// moveRequest is the wire form of a recorded move.
type moveRequest struct {
	ToSchool     string `json:"toSchool"`
	ToSchoolName string `json:"toSchoolName"`
	ToDSLEmail   string `json:"toDslEmail"`
}

// decodeMove reads a move's shape; the domain checks its content.
func decodeMove(req httpapi.Request) (transfers.Move, error) {
	var in moveRequest
	if _, err := httpapi.DecodeJSON(req, maxMoveRequest, &in); err != nil {
		return transfers.Move{}, err
	}
	return transfers.Move{ToSchool: safeguarding.SchoolID(in.ToSchool), ToSchoolName: in.ToSchoolName, ToDSLEmail: in.ToDSLEmail}, nil
}

type eventJSON struct {
	At   time.Time `json:"at"`
	By   string    `json:"by,omitempty"`
	What string    `json:"what"`
	Note string    `json:"note,omitempty"`
}

type transferJSON struct {
	ID             string      `json:"id"`
	PupilID        string      `json:"pupilId"`
	PupilName      string      `json:"pupilName"`
	FromSchool     string      `json:"fromSchool"`
	FromSchoolName string      `json:"fromSchoolName"`
	ToSchool       string      `json:"toSchool,omitempty"`
	ToSchoolName   string      `json:"toSchoolName"`
	ToDSLEmail     string      `json:"toDslEmail,omitempty"`
	Direction      string      `json:"direction"`
	Status         string      `json:"status"`
	DueBy          time.Time   `json:"dueBy"`
	Overdue        bool        `json:"overdue"`
	RecordedBy     string      `json:"recordedBy"`
	RecordedAt     time.Time   `json:"recordedAt"`
	SentBy         string      `json:"sentBy,omitempty"`
	SentAt         *time.Time  `json:"sentAt,omitempty"`
	ReceivedBy     string      `json:"receivedBy,omitempty"`
	ReceivedAt     *time.Time  `json:"receivedAt,omitempty"`
	LinkExpiresAt  *time.Time  `json:"linkExpiresAt,omitempty"`
	History        []eventJSON `json:"history"`
	// Code and LinkURL answer the sending of a transfer outside the federation, once: the link
	// for the sending DSL to email to the named DSL, and the code to give them by phone.
	Code    string `json:"code,omitempty"`
	LinkURL string `json:"linkUrl,omitempty"`
}

func when(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// toTransferJSON is a transfer as one school sees it: at the receiving school, the pupil is
// the one the file was copied to.
func toTransferJSON(t transfers.Transfer, school safeguarding.SchoolID, now time.Time) transferJSON {
	out := transferJSON{ID: t.ID, PupilID: string(t.Pupil), PupilName: t.PupilName, FromSchool: string(t.From), FromSchoolName: t.FromName,
		ToSchool: string(t.To.School), ToSchoolName: t.ToName(), ToDSLEmail: t.To.DSLEmail, Direction: "out", Status: string(t.Status),
		DueBy: t.DueBy.UTC(), Overdue: t.Overdue(now), RecordedBy: t.RecordedBy, RecordedAt: t.RecordedAt.UTC(), SentBy: t.SentBy,
		SentAt: when(t.SentAt), ReceivedBy: t.ReceivedBy, ReceivedAt: when(t.ReceivedAt), LinkExpiresAt: when(t.Link.ExpiresAt),
		History: []eventJSON{}}
	if school != t.From {
		out.Direction, out.PupilID = "in", string(t.ReceivingPupil)
	}
	for _, e := range t.History {
		out.History = append(out.History, eventJSON{At: e.At, By: e.By, What: e.Kind, Note: e.Note})
	}
	return out
}

// recordTransfer answers POST .../pupils/{pupil}/transfers: 201 with the transfer, due.
func (h handler) recordTransfer(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	key, err := httpapi.IdempotencyKey(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	m, err := decodeMove(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	school := httpapi.School(req)
	t, err := h.transfers.Record(ctx, who, school, safeguarding.PupilID(req.PathParameters["pupil"]), m, key)
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, toTransferJSON(t, school, who.At)), nil
}

// listTransfers answers GET .../transfers: the transfers from and to the school.
func (h handler) listTransfers(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	school := httpapi.School(req)
	ts, err := h.transfers.List(ctx, who, school)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Transfers []transferJSON `json:"transfers"`
	}{Transfers: []transferJSON{}}
	for _, t := range ts {
		out.Transfers = append(out.Transfers, toTransferJSON(t, school, who.At))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// sendTransfer answers POST .../transfers/{id}/send: within the federation the file is copied
// (a copy cut short resumes when sent again); outside it, the export is archived behind a new
// link and the one-time code is in the answer, once.
func (h handler) sendTransfer(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	school, id := httpapi.School(req), req.PathParameters["id"]
	_, t, err := h.transfers.Store.Load(ctx, who.Email, id)
	if err != nil {
		return httpapi.Response{}, err
	}
	if t.To.InFederation() {
		sent, err := h.transfers.SendWithin(ctx, who, school, id)
		if err != nil {
			return httpapi.Response{}, err
		}
		return httpapi.JSON(http.StatusOK, toTransferJSON(sent, school, who.At)), nil
	}
	sent, err := h.transfers.SendOutside(ctx, who, school, id, printout.TransferArchive(ctx, h.archives, h.exports, store.NewID, who, school))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := toTransferJSON(sent.Transfer, school, who.At)
	out.Code = transfers.CodeWords(sent.Code)
	out.LinkURL = linkURL(req, id, sent.Token)
	return httpapi.JSON(http.StatusOK, out), nil
}

// linkURL is the public page of a link, on the host the request came to.
func linkURL(req httpapi.Request, id, token string) string {
	host := req.Headers["host"]
	if host == "" {
		host = req.RequestContext.DomainName
	}
	return "https://" + host + "/transfer-links/" + url.PathEscape(id) + "/" + url.PathEscape(token)
}

// confirmTransfer answers POST .../transfers/{id}/receipt, by a DSL of the receiving school.
func (h handler) confirmTransfer(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	school := httpapi.School(req)
	t, err := h.transfers.ConfirmReceipt(ctx, who, school, req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toTransferJSON(t, school, who.At)), nil
}

// maxCodeForm bounds the link page's form: a code of a few characters.
const maxCodeForm = 256

// decodeCode reads the code from the link page's form (application/x-www-form-urlencoded).
func decodeCode(req httpapi.Request) (string, error) {
	body, err := httpapi.Body(req, maxCodeForm)
	if err != nil {
		return "", err
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return "", &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "code", Message: "type the code you were given by phone"}}}
	}
	code := strings.TrimSpace(v.Get("code"))
	if code == "" || len(code) > 32 {
		return "", &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "code", Message: "type the code you were given by phone"}}}
	}
	return code, nil
}

// linkPage answers GET /transfer-links/{id}/{token}: the page that asks for the code. No
// sign-in: the person is a DSL of a school outside the federation.
func (h handler) linkPage(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	err := h.transfers.OpenLink(ctx, req.PathParameters["id"], req.PathParameters["token"], httpapi.RequestTime(req), req.RequestContext.HTTP.SourceIP)
	if err == nil {
		return linkHTML(http.StatusOK, linkView{Ask: true}), nil
	}
	return linkRefusal(err)
}

// linkRefusal says in plain words why a link gives nothing. A page, not the API: even a link
// that does not work is answered with a page that says so.
func linkRefusal(err error) (httpapi.Response, error) {
	switch {
	case errors.Is(err, transfers.ErrLinkLocked):
		return linkHTML(http.StatusForbidden, linkView{Problem: "This link is locked after too many wrong codes. Ask the school that sent it to send the file again."}), nil
	case errors.Is(err, transfers.ErrLinkExpired):
		return linkHTML(http.StatusGone, linkView{Problem: "This link has expired. Ask the school that sent it to send the file again."}), nil
	case errors.Is(err, transfers.ErrLinkUsed):
		return linkHTML(http.StatusGone, linkView{Problem: "The file was already downloaded through this link. Ask the school that sent it if you need it again."}), nil
	case errors.Is(err, transfers.ErrNoLink):
		return linkHTML(http.StatusOK, linkView{Problem: "This link does not work. Check that you opened the whole link from the email."}), nil
	}
	return httpapi.Response{}, err
}

// linkDownload answers POST /transfer-links/{id}/{token} with the code: the right code within
// the time sends the browser to the export's archive (a link valid for printout.ArchiveLinkValidity)
// and is the receipt; anything else is said in plain words.
func (h handler) linkDownload(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	code, err := decodeCode(req)
	if err != nil {
		return linkHTML(http.StatusBadRequest, linkView{Ask: true, Problem: "Type the code you were given by phone."}), nil
	}
	id, token := req.PathParameters["id"], req.PathParameters["token"]
	now := httpapi.RequestTime(req)
	t, err := h.transfers.Download(ctx, id, token, code, now, req.RequestContext.HTTP.SourceIP)
	switch {
	case errors.Is(err, transfers.ErrWrongCode):
		return linkHTML(http.StatusBadRequest, linkView{Ask: true, Problem: fmt.Sprintf(
			"That code is not right. You can try %s more.", tries(t.Link.TriesLeft()))}), nil
	case err != nil:
		return linkRefusal(err)
	}
	signed, err := h.attachments.Signer.PresignOpen(ctx, t.Link.ObjectKey, t.Link.ObjectVersion,
		"safeguarding-file-"+now.In(safeguarding.London).Format("2006-01-02")+".zip", "application/zip", printout.ArchiveLinkValidity)
	if err != nil {
		return httpapi.Response{}, fmt.Errorf("signing the transfer's archive: %w", err)
	}
	return httpapi.Response{StatusCode: http.StatusSeeOther, Headers: map[string]string{"Location": signed, "Cache-Control": "no-store",
		"Referrer-Policy": "no-referrer"}}, nil
}

func tries(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

type linkView struct {
	Ask     bool
	Problem string
}

var linkTemplate = template.Must(template.New("link").Parse(`<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>A safeguarding file sent to you</title>
<style>body{font-family:Arial,sans-serif;margin:0;padding:20px;max-width:640px;color:#0b0c0c}
h1{font-size:1.6rem}label{display:block;font-weight:bold;margin:20px 0 5px}
input{font-size:1.2rem;padding:5px;width:12em;max-width:100%;border:2px solid #0b0c0c}
button{font-size:1.1rem;margin-top:15px;padding:8px 12px;background:#00703c;color:#fff;border:0;box-shadow:0 2px 0 #002d18}
.problem{border-left:5px solid #d4351c;padding-left:15px;color:#0b0c0c}</style></head>
<body><main><h1>A safeguarding file sent to you</h1>
{{if .Problem}}<p class="problem" role="alert">{{.Problem}}</p>{{end}}
{{if .Ask}}<p>A school has sent you a pupil's safeguarding file, as the designated safeguarding lead of their new school. The school gives you a code by phone.</p>
<form method="post"><label for="code">The code you were given by phone</label>
<input id="code" name="code" inputmode="numeric" autocomplete="one-time-code" required>
<p>The file downloads as soon as the code is right, once only. Keep it as your school keeps safeguarding records.</p>
<button type="submit">Download the file</button></form>{{end}}
</main></body></html>`))

func linkHTML(status int, v linkView) httpapi.Response {
	var b strings.Builder
	_ = linkTemplate.Execute(&b, v)
	return httpapi.Response{StatusCode: status, Body: b.String(), Headers: map[string]string{
		"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
		"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
		"X-Content-Type-Options":  "nosniff", "X-Frame-Options": "DENY"}}
}
