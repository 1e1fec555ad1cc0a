package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

// MaxBody is the largest file sent in a request's body: 4 MB, well inside API Gateway's and
// Lambda's payload limits once base64 has grown it by a third.
const MaxBody = 4 << 20

// service is the part of imports.Imports this function serves.
type service interface {
	Import(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, req imports.Request, key string) (imports.Record, error)
	Read(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (imports.Record, error)
	RequestUpload(ctx context.Context, signer imports.Signer, who safeguarding.Caller, school safeguarding.SchoolID, req imports.UploadRequest) (imports.Upload, error)
	Arrived(ctx context.Context, school safeguarding.SchoolID, id string, data []byte, at time.Time) (imports.Record, error)
	Recent(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]imports.Record, error)
}

var _ service = imports.Imports{}

type handler struct {
	imports service
	signer  imports.Signer
	files   files
}

// Handle serves both kinds of event the function gets: API Gateway requests and S3
// notifications of files uploaded for an import.
func (h handler) Handle(ctx context.Context, raw json.RawMessage) (any, error) {
	if ev, ok, err := isS3(raw); err != nil || ok {
		if err != nil {
			return nil, err
		}
		return nil, h.arrived(ctx, ev)
	}
	var req httpapi.Request
	if err := json.Unmarshal(raw, &req); err != nil {
		return nil, fmt.Errorf("imports: HTTP event: %w", err)
	}
	return h.serve(ctx, req)
}

// serve answers an API Gateway request.
func (h handler) serve(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return httpapi.Router{
		"POST /api/schools/{school}/imports":         h.start,
		"POST /api/schools/{school}/imports/uploads": h.upload,
		"GET /api/schools/{school}/imports/{id}":     h.read,
		"GET /api/schools/{school}/imports":          h.list,
	}.Handle(ctx, req)
}

// record is an import as the API gives it (DESIGN.md, the imports contract).
type record struct {
	ID             string     `json:"id"`
	Status         string     `json:"status"`
	Applied        bool       `json:"applied"`
	Preview        bool       `json:"preview"`
	Full           bool       `json:"full"`
	At             time.Time  `json:"at"`
	FileHash       string     `json:"fileHash"`
	Rows           int        `json:"rows"`
	Created        int        `json:"created"`
	Updated        int        `json:"updated"`
	Unchanged      int        `json:"unchanged"`
	Left           int        `json:"left"`
	FamiliesFormed int        `json:"familiesFormed"`
	Errors         []rowError `json:"errors"`
}

type rowError struct {
	Row     int    `json:"row"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

func toRecord(r imports.Record) record {
	out := record{ID: r.ID, Status: r.Status, Applied: r.Applied, Preview: r.Preview, Full: r.Full, At: r.At.UTC(), FileHash: r.FileHash,
		Rows: r.Rows, Created: r.Created, Updated: r.Updated, Unchanged: r.Unchanged, Left: r.Left, FamiliesFormed: r.FamiliesFormed,
		Errors: []rowError{}}
	for _, e := range r.Errors {
		out.Errors = append(out.Errors, rowError{Row: e.Line, Field: e.Field, Message: e.Message})
	}
	return out
}

// start reads the file in the body (text/csv, up to 4 MB) and previews or applies it:
// ?mode=preview writes nothing, ?apply=valid-rows applies a file's valid rows when others
// failed, ?full=true says the file is the whole school. The answer is 202 with the import's
// record, done by then; an Idempotency-Key makes a retry resume the same import.
func (h handler) start(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := httpapi.KnownQuery(req, "mode", "apply", "full"); err != nil {
		return httpapi.Response{}, err
	}
	var ps safeguarding.Problems
	q := req.QueryStringParameters
	opts := imports.Request{}
	switch q["mode"] {
	case "", "apply":
	case "preview":
		opts.Preview = true
	default:
		ps.Add("mode", "is preview, or absent to apply the file")
	}
	switch q["apply"] {
	case "":
	case "valid-rows":
		opts.ValidRows = true
	default:
		ps.Add("apply", "is valid-rows, or absent")
	}
	switch q["full"] {
	case "", "false":
	case "true":
		opts.Full = true
	default:
		ps.Add("full", "is true or false")
	}
	key, err := httpapi.IdempotencyKey(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	if err := ps.Err(); err != nil {
		return httpapi.Response{}, err
	}
	media, _, _ := mime.ParseMediaType(httpapi.Header(req, "Content-Type"))
	body, err := httpapi.Body(req, MaxBody)
	if err != nil {
		return httpapi.Response{}, err
	}
	opts.Data, opts.MediaType = body, media
	rec, err := h.imports.Import(ctx, who, httpapi.School(req), opts, key)
	if errors.Is(err, imports.ErrNotCSV) {
		return httpapi.Problem(http.StatusUnsupportedMediaType, "Unsupported file",
			"send the MIS's pupil export as CSV (text/csv); the Common Transfer File (XML) is not read yet"), nil
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusAccepted, toRecord(rec)), nil
}

// read is an import's record.
// listed is an import as the list gives it: who, when, how it went, never its row errors.
type listed struct {
	ID        string    `json:"id"`
	Status    string    `json:"status"`
	Applied   bool      `json:"applied"`
	At        time.Time `json:"at"`
	By        string    `json:"by"`
	Rows      int       `json:"rows"`
	Created   int       `json:"created"`
	Updated   int       `json:"updated"`
	Unchanged int       `json:"unchanged"`
	Left      int       `json:"left"`
	ErrorRows int       `json:"errorRows"`
}

// decodeList reads the list's request: who asks, and no query parameter (there is none).
func decodeList(req httpapi.Request) (safeguarding.Caller, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return who, err
	}
	return who, httpapi.KnownQuery(req)
}

// list gives the school's latest imports (not the checks), newest first, at most 100, to
// those who import and the DSLs (A100).
func (h handler) list(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := decodeList(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	recs, err := h.imports.Recent(ctx, who, httpapi.School(req))
	if err != nil {
		return httpapi.Response{}, err
	}
	out := make([]listed, 0, len(recs))
	for _, r := range recs {
		out = append(out, listed{ID: r.ID, Status: r.Status, Applied: r.Applied, At: r.At.UTC(), By: r.By, Rows: r.Rows, Created: r.Created,
			Updated: r.Updated, Unchanged: r.Unchanged, Left: r.Left, ErrorRows: r.ErrorRows})
	}
	return httpapi.JSON(http.StatusOK, map[string]any{"imports": out}), nil
}

func (h handler) read(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	rec, err := h.imports.Read(ctx, who, httpapi.School(req), req.PathParameters["id"])
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusOK, toRecord(rec)), nil
}
