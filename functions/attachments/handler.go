package main

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/shared/bucket"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/printout"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// objectStore is what the check of an arrived file needs of the bucket.
type objectStore interface {
	Head(ctx context.Context, key, version string, n int) (size int64, head []byte, err error)
	Delete(ctx context.Context, key, version string) error
}

type handler struct {
	attachments concerns.Attachments
	objects     objectStore
	bucket      string
	// exports and archives serve the export of everything held about a pupil (rule D10).
	exports  exports.Exports
	archives printout.Bucket
	// transfers send a pupil's file to their new school (rule S5).
	transfers transfers.Transfers
}

func newHandler(st *store.Store, client *s3.Client, uploads bucket.Signer, name string) handler {
	return handler{
		attachments: concerns.Attachments{Store: st, Signer: uploads, NewID: store.NewID},
		objects:     objects{client: client, bucket: name},
		bucket:      name,
		exports:     exports.Exports{Store: st, NewID: store.NewID},
		archives:    uploads,
		transfers:   transfers.Transfers{Store: st, NewID: store.NewID, Random: rand.Reader, Calendar: calendar.EnglandAndWales()},
	}
}

// Handle serves both kinds of event the function gets: API Gateway requests and S3
// notifications of arrived files.
func (h handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		RouteKey string            `json:"routeKey"`
		Records  []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("attachments: event: %w", err)
	}
	if probe.RouteKey == "" && len(probe.Records) > 0 {
		var ev events.S3Event
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("attachments: S3 event: %w", err)
		}
		return nil, h.arrived(ctx, ev)
	}
	var req httpapi.Request
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, fmt.Errorf("attachments: HTTP event: %w", err)
	}
	if page, ok := h.publicRoutes()[req.RouteKey]; ok {
		return servePublic(ctx, req, page), nil
	}
	return h.routes().Handle(ctx, req)
}

// publicRoutes are the routes without sign-in (no authorizer in template.yaml): the page of a
// transfer's link for a DSL outside the federation (S5), who has no account.
func (h handler) publicRoutes() httpapi.Router {
	return httpapi.Router{
		"GET /transfer-links/{id}/{token}":  h.linkPage,
		"POST /transfer-links/{id}/{token}": h.linkDownload,
	}
}

// servePublic answers a public route: an error it does not put in words itself is a plain page.
func servePublic(ctx context.Context, req httpapi.Request, page httpapi.HandlerFunc) httpapi.Response {
	resp, err := page(ctx, req)
	if err != nil {
		slog.ErrorContext(ctx, "public page", "requestId", req.RequestContext.RequestID, "route", req.RouteKey, "error", err.Error())
		resp = linkHTML(http.StatusInternalServerError, linkView{Problem: "Something went wrong. Try again in a few minutes."})
	}
	slog.InfoContext(ctx, "request", "requestId", req.RequestContext.RequestID, "route", req.RouteKey, "status", resp.StatusCode)
	return resp
}

// routes maps each route of the AttachmentsFunction in template.yaml to its use case.
func (h handler) routes() httpapi.Router {
	return httpapi.Router{
		"POST /api/schools/{school}/concerns/{id}/attachments":             h.requestUpload,
		"GET /api/schools/{school}/concerns/{id}/attachments":              h.list,
		"GET /api/schools/{school}/concerns/{id}/attachments/{attachment}": h.open,
		"GET /api/schools/{school}/pupils/{pupil}/export":                  h.export,
		"POST /api/schools/{school}/pupils/{pupil}/transfers":              h.recordTransfer,
		"GET /api/schools/{school}/transfers":                              h.listTransfers,
		"POST /api/schools/{school}/transfers/{id}/send":                   h.sendTransfer,
		"POST /api/schools/{school}/transfers/{id}/receipt":                h.confirmTransfer,
	}
}

// maxUploadRequest bounds the JSON of an upload request: a file name and two short fields.
const maxUploadRequest = 4 << 10

// uploadRequest is the wire form of a request to attach a file.
type uploadRequest struct {
	FileName    string `json:"fileName"`
	ContentType string `json:"contentType"`
	Size        int64  `json:"size"`
}

// decodeUpload reads and checks the body's shape; the rules check its content.
func decodeUpload(req httpapi.Request) (concerns.NewAttachment, []byte, error) {
	var in uploadRequest
	body, err := httpapi.DecodeJSON(req, maxUploadRequest, &in)
	if err != nil {
		return concerns.NewAttachment{}, nil, err
	}
	return concerns.NewAttachment{FileName: in.FileName, ContentType: in.ContentType, Size: in.Size}, body, nil
}

type uploadResponse struct {
	attachmentResponse
	UploadURL string `json:"uploadUrl,omitempty"`
	// UploadHeaders are the headers the PUT must carry, as signed.
	UploadHeaders map[string]string `json:"uploadHeaders,omitempty"`
	ExpiresAt     *time.Time        `json:"expiresAt,omitempty"`
}

type attachmentResponse struct {
	ID          string     `json:"id"`
	FileName    string     `json:"fileName"`
	ContentType string     `json:"contentType"`
	Size        int64      `json:"size"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason,omitempty"`
	UploadedBy  string     `json:"uploadedBy"`
	UploadedAt  time.Time  `json:"uploadedAt"`
	CheckedAt   *time.Time `json:"checkedAt,omitempty"`
}

func toResponse(a concerns.Attachment) attachmentResponse {
	r := attachmentResponse{ID: string(a.ID()), FileName: a.FileName(), ContentType: a.ContentType(), Size: a.Size(),
		Status: string(a.Status()), Reason: a.Reason(), UploadedBy: a.UploadedBy(), UploadedAt: a.At()}
	if t := a.CheckedAt(); !t.IsZero() {
		r.CheckedAt = &t
	}
	return r
}

func (h handler) requestUpload(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	key, err := httpapi.IdempotencyKey(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	in, body, err := decodeUpload(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	school, concern := httpapi.School(req), safeguarding.ConcernID(req.PathParameters["id"])
	up, err := h.attachments.RequestUpload(ctx, who, school, concern, in,
		safeguarding.RequestKey{School: school, Actor: who.Email, Key: key}, httpapi.Fingerprint(req, body))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := uploadResponse{attachmentResponse: toResponse(up.Attachment)}
	if up.URL != "" {
		out.UploadURL, out.ExpiresAt = up.URL, &up.ExpiresAt
		out.UploadHeaders = map[string]string{"Content-Type": up.Attachment.ContentType()}
	}
	resp := httpapi.JSON(http.StatusCreated, out)
	resp.Headers["Location"] = "/api/schools/" + string(school) + "/concerns/" + string(concern) + "/attachments"
	return resp, nil
}

func (h handler) list(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	list, err := h.attachments.List(ctx, who, httpapi.School(req), safeguarding.ConcernID(req.PathParameters["id"]))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Attachments []attachmentResponse `json:"attachments"`
	}{Attachments: []attachmentResponse{}}
	for _, a := range list {
		out.Attachments = append(out.Attachments, toResponse(a))
	}
	return httpapi.JSON(http.StatusOK, out), nil
}

// openResponse is a verified file with a short-lived URL to read it.
type openResponse struct {
	attachmentResponse
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expiresAt"`
}

func (h handler) open(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	o, err := h.attachments.Open(ctx, who, httpapi.School(req), safeguarding.ConcernID(req.PathParameters["id"]),
		concerns.AttachmentID(req.PathParameters["attachment"]))
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, openResponse{attachmentResponse: toResponse(o.Attachment), URL: o.URL, ExpiresAt: o.ExpiresAt}), nil
}

// arrived checks every file S3 reports as created (rule C6): its size and first bytes against
// what was declared. A rejected file, or one that is no attachment at all, is deleted. An error
// fails the invocation so that Lambda retries it; a repeated notification changes nothing.
func (h handler) arrived(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, r := range ev.Records {
		if err := h.check(ctx, r); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (h handler) check(ctx context.Context, r events.S3EventRecord) error {
	if r.S3.Bucket.Name != h.bucket {
		return fmt.Errorf("attachments: an event of bucket %q", r.S3.Bucket.Name)
	}
	key, err := url.QueryUnescape(r.S3.Object.Key)
	if err != nil {
		return fmt.Errorf("attachments: object key %q: %w", r.S3.Object.Key, err)
	}
	if strings.HasPrefix(key, "exports/") || strings.HasPrefix(key, "transfers/") {
		// An export's archive (D10) or a file sent outside the federation (S5), which the
		// notification's filter (schools/) never sends: never checked, never deleted here.
		return nil
	}
	version := r.S3.Object.VersionID
	size, head, err := h.objects.Head(ctx, key, version, concerns.SniffBytes)
	if err != nil {
		return err
	}
	at := r.EventTime
	if at.IsZero() {
		at = time.Now() // S3 always sets it; a hand-made event may not
	}
	a, err := h.attachments.Verify(ctx, key, version, size, head, at)
	switch {
	case errors.Is(err, safeguarding.ErrNotFound):
		slog.WarnContext(ctx, "object is no attachment: deleted", "key", key)
		return h.objects.Delete(ctx, key, version)
	case err != nil:
		return err
	case a.Status() == concerns.AttachmentRejected:
		slog.InfoContext(ctx, "attachment rejected: deleted", "school", string(a.School()), "attachment", string(a.ID()))
		return h.objects.Delete(ctx, key, version)
	}
	slog.InfoContext(ctx, "attachment verified", "school", string(a.School()), "attachment", string(a.ID()))
	return nil
}
