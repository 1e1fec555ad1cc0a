package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// Rule C6: handwritten notes are uploaded as attachments (a photo or scan, or a PDF), and
// staff are reminded to shred the paper. The file goes from the browser straight to the
// private bucket with an upload URL that pins its key, type and size (the same use case and
// the same kind of URL as the attachments API); the attachments function checks each file
// that arrives. An HTML form cannot send that PUT, so the upload is the page's only script
// beyond the shared one (static/upload.js); without it, the page says so.

// attachmentService is the part of safeguarding.Attachments the pages use.
type attachmentService interface {
	RequestUpload(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, concern safeguarding.ConcernID,
		in concerns.NewAttachment, key safeguarding.RequestKey, fingerprint string) (concerns.Upload, error)
	Open(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, concern safeguarding.ConcernID,
		id concerns.AttachmentID) (concerns.Opened, error)
}

var _ attachmentService = concerns.Attachments{}

// ---- The upload request ----------------------------------------------------------------------

// uploadForm is what the page's script posts before it sends a file: the file's name, type
// and size as the browser reports them.
type uploadForm struct {
	Key         string
	FileName    string
	ContentType string
	Size        string
}

func readUploadForm(v url.Values) uploadForm {
	return uploadForm{Key: strings.TrimSpace(v.Get("key")), FileName: v.Get("file-name"),
		ContentType: strings.TrimSpace(v.Get("content-type")), Size: strings.TrimSpace(v.Get("size"))}
}

// toNewAttachment is the domain's request; a size that is not a whole number is the form's
// own problem, the rest is the domain's to check.
func (f uploadForm) toNewAttachment() (concerns.NewAttachment, string) {
	in := concerns.NewAttachment{FileName: f.FileName, ContentType: f.ContentType}
	size, err := strconv.ParseInt(f.Size, 10, 64)
	if err != nil || size < 0 {
		return in, uploadMessages["size"]
	}
	in.Size = size
	return in, ""
}

func (f uploadForm) fingerprint(school safeguarding.SchoolID, id safeguarding.ConcernID) string {
	return commandFingerprint("attach", string(school), string(id), f.FileName, f.ContentType, f.Size)
}

// uploadMessages say what is wrong with a file, by the field the domain names.
var uploadMessages = map[string]string{
	"contentType": "The selected file must be a JPEG, PNG or HEIC photo or scan, or a PDF",
	"fileName":    "The selected file must be a JPEG, PNG or HEIC photo or scan, or a PDF, named as one (for example notes.jpg or notes.pdf)",
	"size":        fmt.Sprintf("The selected file must be %d MB or smaller, and not empty", concerns.MaxAttachmentBytes>>20),
}

// uploadAnswer is the script's answer: where to send the file, or what is wrong.
type uploadAnswer struct {
	UploadURL   string `json:"uploadUrl,omitempty"`
	ContentType string `json:"contentType,omitempty"`
	Next        string `json:"next,omitempty"`
	Message     string `json:"message,omitempty"`
}

func jsonAnswer(status int, a uploadAnswer) events.APIGatewayV2HTTPResponse {
	b, _ := json.Marshal(a)
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: string(b),
		Headers: withSecurityHeaders(map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"})}
}

// requestUpload asks for an upload URL for one file of concern id (rules C6, P2): the author or
// a DSL who may see it; anyone else is "not found". The pending attachment and its audit entry
// are written; the page's script then sends the file to the URL.
func (h *Handler) requestUpload(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	id := safeguarding.ConcernID(r.param("id"))
	f := readUploadForm(r.form)
	if f.Key == "" || len(f.Key) > 64 {
		f.Key = rand.Text()
	}
	in, msg := f.toNewAttachment()
	if msg != "" {
		return jsonAnswer(http.StatusBadRequest, uploadAnswer{Message: msg})
	}
	up, err := h.Attachments.RequestUpload(ctx, r.caller(s.claims.Email), school, id, in,
		requestKey(school, s.claims.Email, f.Key), f.fingerprint(school, id))
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve):
		m := uploadMessages["contentType"]
		if len(ve.Problems) > 0 {
			m = cmp.Or(uploadMessages[ve.Problems[0].Field], sentence(ve.Problems[0].Message))
		}
		return jsonAnswer(http.StatusBadRequest, uploadAnswer{Message: m})
	case errors.Is(err, safeguarding.ErrIdempotencyMismatch), errors.Is(err, safeguarding.ErrConflict):
		return jsonAnswer(http.StatusConflict, uploadAnswer{Message: "This form was already used for another file. Reload the page and try again."})
	case err != nil:
		status := statusFor(err)
		m := "The file could not be uploaded. Try again later."
		if status == http.StatusNotFound {
			m = "Page not found: there is nothing here, or it is not yours to see."
		}
		return jsonAnswer(status, uploadAnswer{Message: m})
	}
	if up.URL == "" {
		// The same request again after its file arrived: nothing more to send.
		return jsonAnswer(http.StatusConflict, uploadAnswer{Message: "This file was already uploaded. Reload the page to see it."})
	}
	return jsonAnswer(http.StatusCreated, uploadAnswer{UploadURL: up.URL, ContentType: up.Attachment.ContentType(),
		// The attachment's id makes each upload's address new, so the page loads again even
		// after another upload.
		Next: concernPath(school, id) + "?done=uploaded&attachment=" + url.QueryEscape(string(up.Attachment.ID())) + "#attachments"})
}

// openAttachment sends whoever may see the concern to a short-lived URL of one of its verified
// files (rule C6); the use case audits the read. The browser saves the file as a download.
func (h *Handler) openAttachment(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	o, err := h.Attachments.Open(ctx, r.caller(s.claims.Email), safeguarding.SchoolID(r.param("school")),
		safeguarding.ConcernID(r.param("id")), concerns.AttachmentID(r.param("attachment")))
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	return redirect(o.URL, http.StatusSeeOther)
}

// ---- On the concern page -----------------------------------------------------------------------

// attachmentView is one attachment in the concern page's list.
type attachmentView struct {
	ID       concerns.AttachmentID
	FileName string
	Kind     string
	Size     string
	By       string
	At       time.Time
	// Status is "verified", "pending", "lost" (never arrived) or "rejected", with Reason.
	Status string
	Reason string
	// Open is the address that opens a verified file.
	Open string
}

// uploadView is the upload form, for those who may attach files.
type uploadView struct {
	Action   string
	Key      string
	MaxBytes int64
	MaxMB    int64
}

// uploadGrace is how long after its URL expires a file that has not arrived is shown as
// never received rather than still being checked.
const uploadGrace = 5 * time.Minute

func newAttachmentView(a concerns.Attachment, now time.Time) attachmentView {
	v := attachmentView{ID: a.ID(), FileName: a.FileName(), Kind: attachmentKind(a.ContentType()), Size: humanSize(a.Size()),
		By: a.UploadedBy(), At: a.At(), Status: string(a.Status()), Reason: a.Reason()}
	if a.Status() == concerns.AttachmentPending && now.After(a.At().Add(concerns.UploadURLValidity+uploadGrace)) {
		v.Status = "lost"
	}
	return v
}

func attachmentKind(contentType string) string {
	switch contentType {
	case "application/pdf":
		return "PDF"
	case "image/jpeg":
		return "Photo or scan (JPEG)"
	case "image/png":
		return "Photo or scan (PNG)"
	case "image/heic":
		return "Photo (HEIC)"
	}
	return contentType
}

// humanSize shows a size in bytes as KB or MB (of 1,024), as the limit is counted.
func humanSize(n int64) string {
	switch {
	case n < 1<<10:
		return strconv.FormatInt(n, 10) + " bytes"
	case n < 1<<20:
		return strconv.FormatInt((n+1<<10-1)>>10, 10) + " KB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
}

// attachmentsSection lists concern c's attachments for p and offers the upload form to those
// who may attach (the author or a DSL, rule C6).
func attachmentsSection(r *request, c concerns.Concern, p safeguarding.Principal, list []concerns.Attachment) ([]attachmentView, *uploadView) {
	var out []attachmentView
	for _, a := range list {
		v := newAttachmentView(a, r.now)
		if v.Status == string(concerns.AttachmentVerified) {
			v.Open = concernPath(c.School(), c.ID()) + "/attachments/" + string(a.ID())
		}
		out = append(out, v)
	}
	if concerns.MayAttach(c, p) != nil {
		return out, nil
	}
	return out, &uploadView{Action: concernPath(c.School(), c.ID()) + "/attachments", Key: rand.Text(),
		MaxBytes: concerns.MaxAttachmentBytes, MaxMB: concerns.MaxAttachmentBytes >> 20}
}
