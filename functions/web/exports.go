package main

import (
	"context"
	"encoding/base64"
	"errors"
	"mime"
	"net/http"
	"net/url"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/printout"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// exportService takes a pupil's record off the screen (rule D10): the exports' use cases.
type exportService interface {
	Chronology(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID) (exports.Record, error)
	Review(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, o exports.Options) (exports.Record, error)
	Export(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, o exports.Options) (exports.Record, error)
}

// The pages that take a pupil's record off the screen, for the DSLs and the Senior DSL (D10).
func init() {
	routes["GET /schools/{school}/pupils/{pupil}/chronology.pdf"] = (*Handler).chronologyPDF
	routes["GET /schools/{school}/pupils/{pupil}/export"] = (*Handler).exportReview
	routes["GET /schools/{school}/pupils/{pupil}/export.json"] = (*Handler).exportDownload
	routes["GET /schools/{school}/pupils/{pupil}/export.zip"] = (*Handler).exportArchive
}

func pupilPath(school safeguarding.SchoolID, pupil safeguarding.PupilID) string {
	return schoolPath(school) + "/pupils/" + url.PathEscape(string(pupil))
}

// chronologyPDF downloads the pupil's chronology as a PDF (D10), audited (P4).
func (h *Handler) chronologyPDF(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	rec, err := h.Exports.Chronology(ctx, r.caller(s.claims.Email), safeguarding.SchoolID(r.param("school")), safeguarding.PupilID(r.param("pupil")))
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	pdf, err := printout.Chronology(rec, printout.Options{})
	if errors.Is(err, printout.ErrTooLarge) {
		return h.errorPage(r, http.StatusUnprocessableEntity, &s)
	}
	if err != nil {
		return h.errorPage(r, http.StatusInternalServerError, &s)
	}
	return download("application/pdf", printout.FileName(rec), pdf)
}

// download answers with a file the browser saves, base64 as API Gateway carries a binary body.
func download(contentType, name string, b []byte) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusOK, IsBase64Encoded: true, Body: base64.StdEncoding.EncodeToString(b),
		Headers: withSecurityHeaders(map[string]string{
			"Content-Type":        contentType,
			"Content-Disposition": mime.FormatMediaType("attachment", map[string]string{"filename": name}),
			"Cache-Control":       "no-store",
		})}
}

// exportView is the review of an export before it is released.
type exportView struct {
	Record   exports.Record
	Doc      printout.ExportJSON
	Named    bool
	Action   string
	Download string
	// Zip downloads the export with the files themselves, when there are files.
	Zip  string
	Back string
}

// exportOptions reads the DSL's choice to name the other pupils.
func exportOptions(r *request) exports.Options {
	return exports.Options{NameOtherPupils: r.ev.QueryStringParameters["names"] == "yes"}
}

// exportReview shows a DSL everything an export would release, the other pupils named or not
// as they choose, with the download below it (D10); the review is audited (P4).
func (h *Handler) exportReview(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school, pupil := safeguarding.SchoolID(r.param("school")), safeguarding.PupilID(r.param("pupil"))
	o := exportOptions(r)
	rec, err := h.Exports.Review(ctx, r.caller(s.claims.Email), school, pupil, o)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := exportView{Record: rec, Doc: printout.Export(rec), Named: o.NameOtherPupils, Action: pupilPath(school, pupil) + "/export",
		Download: pupilPath(school, pupil) + "/export.json", Back: pupilPath(school, pupil) + "/chronology"}
	if len(v.Doc.Files) > 0 && h.Archives != nil {
		v.Zip = pupilPath(school, pupil) + "/export.zip"
	}
	if o.NameOtherPupils {
		v.Download += "?names=yes"
		if v.Zip != "" {
			v.Zip += "?names=yes"
		}
	}
	return h.page(r, http.StatusOK, "export", pageData{Title: "Export everything held about " + rec.Pupil.Name, SignedIn: true,
		CSRF: s.csrf(), Page: v, Nav: navFor(p, school, "")})
}

// exportDownload releases the export as a JSON file (D10), audited as an export (P4), saying
// whether the DSL chose to name the other pupils. The files themselves are listed;
// exportArchive gives them too.
func (h *Handler) exportDownload(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	rec, err := h.Exports.Export(ctx, r.caller(s.claims.Email), safeguarding.SchoolID(r.param("school")), safeguarding.PupilID(r.param("pupil")), exportOptions(r))
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	b, err := printout.Encode(printout.Export(rec))
	if err != nil {
		return h.errorPage(r, http.StatusInternalServerError, &s)
	}
	return download("application/json", "export-"+rec.At.In(safeguarding.London).Format("2006-01-02")+".json", b)
}

// exportArchive releases the export with the files themselves (D10), audited as an export
// (P4): the export's JSON, the chronology's PDF and the files in one zip written to the bucket,
// then the browser is sent to a link to it that works for 15 minutes. Files that come to more
// than an archive takes are refused with the page that says so; each opens from its concern.
func (h *Handler) exportArchive(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school, pupil := safeguarding.SchoolID(r.param("school")), safeguarding.PupilID(r.param("pupil"))
	if h.Archives == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	rec, err := h.Exports.Export(ctx, r.caller(s.claims.Email), school, pupil, exportOptions(r))
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	a, err := printout.ExportArchive(ctx, h.Archives, rec, printout.Export(rec), printout.ExportArchiveKey(school, pupil, store.NewID(r.now)))
	if err != nil {
		h.Logger.ErrorContext(ctx, "an export's archive", "error", err.Error())
		return h.errorPage(r, http.StatusInternalServerError, &s)
	}
	if a.URL == "" {
		return h.errorPage(r, http.StatusRequestEntityTooLarge, &s)
	}
	return redirect(a.URL, http.StatusSeeOther)
}
