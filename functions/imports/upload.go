package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

// files reads an uploaded file from the bucket.
type files interface {
	Read(ctx context.Context, key string, max int64) ([]byte, error)
}

// bucketFiles is the attachments bucket, where larger exports are uploaded under imports/.
type bucketFiles struct {
	client *s3.Client
	bucket string
}

// Read reads a whole object, refusing one over max bytes.
func (b bucketFiles) Read(ctx context.Context, key string, max int64) ([]byte, error) {
	out, err := b.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &b.bucket, Key: &key})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", key, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s is over %d bytes", key, max)
	}
	return data, nil
}

// uploadRequest asks for a URL to send a file of size bytes to, with the import's choices.
type uploadRequest struct {
	Size      int64 `json:"size"`
	Preview   bool  `json:"preview"`
	ValidRows bool  `json:"validRows"`
	Full      bool  `json:"full"`
	// Checked is the id of an uploaded file's preview: the same file, to import now.
	Checked string `json:"checked"`
}

type uploadResponse struct {
	record
	UploadURL     string            `json:"uploadUrl"`
	UploadHeaders map[string]string `json:"uploadHeaders"`
}

// upload starts an import of a file too large for a request's body: it answers where to PUT
// the file; the import runs when the file arrives, and GET .../imports/{id} follows it.
func (h handler) upload(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	var in uploadRequest
	if _, err := httpapi.DecodeJSON(req, 1<<10, &in); err != nil {
		return httpapi.Response{}, err
	}
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	up, err := h.imports.RequestUpload(ctx, h.signer, who, httpapi.School(req),
		imports.UploadRequest{Size: in.Size, Preview: in.Preview, ValidRows: in.ValidRows, Full: in.Full, Checked: in.Checked})
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.JSON(http.StatusCreated, uploadResponse{record: toRecord(up.Record), UploadURL: up.URL,
		UploadHeaders: map[string]string{"Content-Type": "text/csv"}}), nil
}

// arrived runs the import each uploaded file belongs to. A file no import waits for, or whose
// importer may no longer import, is logged and left; any other failure is returned, so that
// the notification is tried again (the import resumes).
func (h handler) arrived(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, r := range ev.Records {
		key, err := url.QueryUnescape(r.S3.Object.Key)
		if err != nil {
			key = r.S3.Object.Key
		}
		school, id, ok := imports.ParseUploadKey(key)
		if !ok {
			slog.WarnContext(ctx, "an object that is no import's file", "bucket", r.S3.Bucket.Name)
			continue
		}
		data, err := h.files.Read(ctx, key, imports.MaxUpload)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rec, err := h.imports.Arrived(ctx, school, id, data, r.EventTime)
		switch {
		case errors.Is(err, safeguarding.ErrNotFound), errors.Is(err, safeguarding.ErrForbidden):
			slog.WarnContext(ctx, "an uploaded file no import may take", "school", school, "import", id, "error", err.Error())
		case errors.Is(err, safeguarding.ErrInvalid), errors.Is(err, imports.ErrNotCSV):
			slog.WarnContext(ctx, "an uploaded file that is not an export", "school", school, "import", id)
		case err != nil:
			errs = append(errs, fmt.Errorf("import %s: %w", id, err))
		default:
			slog.InfoContext(ctx, "import from an upload", "school", school, "import", id, "applied", rec.Applied,
				"created", rec.Created, "updated", rec.Updated, "unchanged", rec.Unchanged, "left", rec.Left, "errors", len(rec.Errors))
		}
	}
	return errors.Join(errs...)
}

// event tells the two kinds of event the function gets apart: API Gateway requests and S3
// notifications of uploaded files.
func isS3(raw json.RawMessage) (events.S3Event, bool, error) {
	var probe struct {
		RouteKey string            `json:"routeKey"`
		Records  []json.RawMessage `json:"Records"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return events.S3Event{}, false, fmt.Errorf("imports: event: %w", err)
	}
	if probe.RouteKey != "" || len(probe.Records) == 0 {
		return events.S3Event{}, false, nil
	}
	var ev events.S3Event
	err := json.Unmarshal(raw, &ev)
	return ev, true, err
}
