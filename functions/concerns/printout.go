package main

import (
	"context"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/printout"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// chronologyPDF is a pupil's chronology as a PDF to print or send (rule D10), for the school's
// DSLs and its Senior DSL, audited (P4). API Gateway carries a binary body base64-encoded,
// and a response of at most 6 MB: a PDF larger than that (about ten thousand entries) is
// refused with 422, and the export is the way to take such a record out.
func (h handler) chronologyPDF(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	r, err := h.exports.Chronology(ctx, who, httpapi.School(req), safeguarding.PupilID(req.PathParameters["pupil"]))
	if err != nil {
		return httpapi.Response{}, err
	}
	pdf, err := printout.Chronology(r, printout.Options{})
	if errors.Is(err, printout.ErrTooLarge) {
		return httpapi.Response{}, &httpapi.ProblemError{Status: http.StatusUnprocessableEntity, Title: "Too large to download",
			Detail: "the chronology's PDF is larger than a download can carry; take the record out with the export instead"}
	}
	if err != nil {
		return httpapi.Response{}, err
	}
	return httpapi.Response{StatusCode: http.StatusOK, IsBase64Encoded: true, Body: base64.StdEncoding.EncodeToString(pdf),
		Headers: map[string]string{
			"Content-Type":           "application/pdf",
			"Content-Disposition":    mime.FormatMediaType("attachment", map[string]string{"filename": printout.FileName(r)}),
			"Cache-Control":          "no-store",
			"X-Content-Type-Options": "nosniff",
		}}, nil
}
