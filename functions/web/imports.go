package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

// importService is the part of imports.Imports the import page uses: the use cases of
// POST and GET /api/schools/{school}/imports (rule P1).
type importService interface {
	Import(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, req imports.Request, key string) (imports.Record, error)
	Read(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (imports.Record, error)
	RequestUpload(ctx context.Context, signer imports.Signer, who safeguarding.Caller, school safeguarding.SchoolID, req imports.UploadRequest) (imports.Upload, error)
	// Recent lists the school's latest imports (not the checks), newest first.
	Recent(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]imports.Record, error)
}

var _ importService = imports.Imports{}

// importRoute is the import page's post: the file to check (multipart), or the checked file
// to import.
const importRoute = "POST /schools/{school}/imports"

// uploadRoutes are the routes whose posts may be a multipart form with a file.
var uploadRoutes = map[string]bool{importRoute: true}

const (
	// maxImportFile is the largest export the page takes, as the imports API: 4 MB.
	maxImportFile = 4 << 20
	// maxImportBody bounds the import page's posts: the file with the form's few fields, or the
	// checked file sent back compressed and in base64 (a third larger at worst). Either fits
	// Lambda's 6 MB event once API Gateway has base64'd a multipart body.
	maxImportBody = maxImportFile/3*4 + 64<<10
)

// errFileTooLarge: the file sent to the import page is over 4 MB.
var errFileTooLarge = errors.New("the file is over 4 MB")

// errTooLarge is the error of a body over its route's limit.
func errTooLarge(route string) error {
	if route == importRoute {
		return errFileTooLarge
	}
	return errors.New("body too large")
}

// parseUpload reads a multipart form: its fields into r.form, and the part named "file"
// (at most maxImportFile bytes) into r.file. The body is already bounded.
func (r *request) parseUpload(body, boundary string) error {
	if boundary == "" {
		return errors.New("a multipart form without its boundary")
	}
	mr := multipart.NewReader(strings.NewReader(body), boundary)
	r.form = url.Values{}
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		b, err := io.ReadAll(io.LimitReader(part, maxImportFile+1))
		if err != nil {
			return err
		}
		if part.FormName() != "file" {
			r.form.Add(part.FormName(), string(b))
			continue
		}
		if len(b) > maxImportFile {
			return errFileTooLarge
		}
		if len(b) > 0 {
			r.file = b
		}
	}
}

func importsPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/imports" }

// importFormView is the page to choose the file.
type importFormView struct {
	SchoolName string
	Action     string
	Problems   formProblems
	Full       bool
	// MaxBytes is the largest file sent in the form's body; larger ones, up to MaxUpload (MaxMB
	// in MB), go through the bucket.
	MaxBytes  int
	MaxUpload int64
	MaxMB     int64
	// Recent are the school's latest imports, newest first.
	Recent []importRow
}

// importPreviewView says what the checked file would change, and carries the file back (or,
// for a file sent through the bucket, says that the page sends it again: Uploaded).
type importPreviewView struct {
	SchoolName string
	Action     string
	ChooseURL  string
	Rec        imports.Record
	// ValidRows are the rows without a problem; Problems the rows that have one, in words.
	ValidRows, FailedRows int
	Problems              []importProblem
	// Truncated: only the first problems were kept.
	Truncated bool
	PreviewID string
	File      string
	Uploaded  bool
}

type importProblem struct {
	Line          int
	Field, Detail string
}

// importDoneView is the import once applied.
type importDoneView struct {
	SchoolName  string
	Rec         imports.Record
	ChooseURL   string
	ClassesURL  string
	SearchURL   string
	ShowClasses bool
}

// importAccess reads who the person is and whether they may import at the school (rule P1):
// the domain decides (Access.Imports); anyone else gets "Page not found".
func (h *Handler) importAccess(ctx context.Context, r *request, s session) (safeguarding.Principal, safeguarding.School, bool, events.APIGatewayV2HTTPResponse) {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return p, safeguarding.School{}, false, h.errorPage(r, statusFor(err), &s)
	}
	if h.Imports == nil || !safeguarding.AccessFor(p, school).Imports {
		return p, safeguarding.School{}, false, h.errorPage(r, http.StatusNotFound, &s)
	}
	sc, err := h.Directory.School(ctx, school)
	if err != nil {
		return p, sc, false, h.errorPage(r, statusFor(err), &s)
	}
	return p, sc, true, events.APIGatewayV2HTTPResponse{}
}

// importForm is the page to choose the school's MIS export.
func (h *Handler) importForm(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.importFormPage(ctx, r, s, http.StatusOK, false, formProblems{})
}

func (h *Handler) importFormPage(ctx context.Context, r *request, s session, status int, full bool, problems formProblems) events.APIGatewayV2HTTPResponse {
	p, sc, ok, refused := h.importAccess(ctx, r, s)
	if !ok {
		return refused
	}
	v := importFormView{SchoolName: sc.Name, Action: importsPath(sc.ID), Problems: problems, Full: full, MaxBytes: maxImportFile,
		MaxUpload: imports.MaxUpload, MaxMB: imports.MaxUpload >> 20}
	list, err := h.Imports.Recent(ctx, r.caller(s.claims.Email), sc.ID)
	if err == nil {
		v.Recent, err = h.importRows(ctx, sc.ID, list, true)
	}
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	return h.page(r, status, "imports", pageData{Title: "Import pupils", SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, sc.ID, "imports")})
}

// submitImport checks a file (intent=check: a preview, writing nothing but the import's
// record) or imports the file the preview checked (intent=apply).
func (h *Handler) submitImport(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	switch r.form.Get("intent") {
	case "check":
		return h.checkImport(ctx, r, s)
	case "apply":
		return h.applyImport(ctx, r, s)
	}
	if _, _, ok, refused := h.importAccess(ctx, r, s); !ok {
		return refused
	}
	return h.errorPage(r, http.StatusBadRequest, &s)
}

func (h *Handler) checkImport(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	p, sc, ok, refused := h.importAccess(ctx, r, s)
	if !ok {
		return refused
	}
	full := r.form.Get("full") == "yes"
	var problems formProblems
	if r.file == nil {
		problems.add("file", "Select the pupils' export from your MIS")
		return h.importFormPage(ctx, r, s, http.StatusBadRequest, full, problems)
	}
	rec, err := h.Imports.Import(ctx, r.caller(s.claims.Email), sc.ID,
		imports.Request{Data: r.file, MediaType: "text/csv", Preview: true, Full: full}, "")
	var ve *safeguarding.ValidationError
	switch {
	case errors.Is(err, imports.ErrNotCSV):
		problems.add("file", "The file is a Common Transfer File (XML), which Keepsafe does not read yet: export the pupils from your MIS as CSV")
	case errors.As(err, &ve):
		for _, fp := range ve.Problems {
			// "two columns give the dateOfBirth" names a field as the API does: in words here.
			problems.add("file", sentence(twiceField.ReplaceAllStringFunc(fp.Message, func(m string) string {
				return "give the " + fieldWords(strings.TrimPrefix(m, "give the "))
			})))
		}
	case err != nil:
		return h.errorPage(r, statusFor(err), &s)
	}
	if problems.List != nil {
		return h.importFormPage(ctx, r, s, http.StatusBadRequest, full, problems)
	}
	packed, err := packFile(r.file)
	if err != nil {
		return h.errorPage(r, http.StatusInternalServerError, &s)
	}
	return h.previewPage(r, s, p, sc, rec, packed)
}

// previewPage says what a checked file would change, with the form that imports it: packed
// is the file the form carries back, empty for a file sent through the bucket.
func (h *Handler) previewPage(r *request, s session, p safeguarding.Principal, sc safeguarding.School, rec imports.Record, packed string) events.APIGatewayV2HTTPResponse {
	v := importPreviewView{SchoolName: sc.Name, Action: importsPath(sc.ID), ChooseURL: importsPath(sc.ID), Rec: rec,
		PreviewID: rec.ID, File: packed, Uploaded: rec.Uploaded, Truncated: len(rec.Errors) >= imports.MaxErrorsKept}
	failed := map[int]bool{}
	for _, e := range rec.Errors {
		failed[e.Line] = true
		v.Problems = append(v.Problems, importProblem{Line: e.Line, Field: fieldWords(e.Field), Detail: e.Message})
	}
	v.FailedRows = len(failed)
	v.ValidRows = rec.Rows - v.FailedRows
	return h.page(r, http.StatusOK, "import-preview", pageData{Title: "What the file would change", SignedIn: true, CSRF: s.csrf(),
		Page: v, Nav: navFor(p, sc.ID, "imports")})
}

// applyImport imports exactly the file the preview checked: the file comes back with the form
// and must have the preview's hash. Its Idempotency-Key comes from the preview, so a double
// click or a retry resumes the same import rather than doubling it.
func (h *Handler) applyImport(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	_, sc, ok, refused := h.importAccess(ctx, r, s)
	if !ok {
		return refused
	}
	who := r.caller(s.claims.Email)
	preview, err := h.Imports.Read(ctx, who, sc.ID, r.form.Get("preview"))
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	data, err := unpackFile(r.form.Get("file"))
	if err != nil || !preview.Preview || imports.Hash(data) != preview.FileHash {
		return h.showError(r, errorView{Status: http.StatusBadRequest, Heading: "Check the file again",
			Message: "The file sent is not the one that was checked. Choose the file and check it again before importing it.",
			Link:    importsPath(sc.ID), LinkText: "Choose the file"}, &s)
	}
	rec, err := h.Imports.Import(ctx, who, sc.ID, imports.Request{Data: data, MediaType: "text/csv", Full: preview.Full,
		ValidRows: len(preview.Errors) > 0}, "web-apply-"+preview.ID)
	if err != nil {
		h.logger().ErrorContext(ctx, "import", "requestId", r.ev.RequestContext.RequestID, "error", err.Error())
		return h.showError(r, errorView{Status: statusFor(err), Heading: "The import did not finish",
			Message: "Nothing is lost and nothing is doubled: check the file again and import it, and the import carries on where it stopped.",
			Link:    importsPath(sc.ID), LinkText: "Choose the file"}, &s)
	}
	return redirect(importsPath(sc.ID)+"/"+url.PathEscape(rec.ID), http.StatusSeeOther)
}

// importDone shows an import: what it changed, and where to find the pupils; for a file sent
// through the bucket, that it is still being read, what its check found, or why it failed.
func (h *Handler) importDone(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	p, sc, ok, refused := h.importAccess(ctx, r, s)
	if !ok {
		return refused
	}
	rec, err := h.Imports.Read(ctx, r.caller(s.claims.Email), sc.ID, r.param("id"))
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	switch {
	case rec.Status == imports.StatusRunning:
		return h.page(r, http.StatusOK, "import-running", pageData{Title: "Reading the file", SignedIn: true, CSRF: s.csrf(),
			Page: importDoneView{SchoolName: sc.Name, Rec: rec, ChooseURL: importsPath(sc.ID)}, Nav: navFor(p, sc.ID, "imports")})
	case rec.Status == imports.StatusFailed:
		problems := make([]string, 0, len(rec.Errors))
		for _, e := range rec.Errors {
			problems = append(problems, sentence("The "+fieldWords(e.Field)+" "+e.Message))
		}
		return h.showError(r, errorView{Status: http.StatusUnprocessableEntity, Heading: "The file could not be imported",
			Message: strings.Join(problems, " ") + " Nothing has changed.", Link: importsPath(sc.ID), LinkText: "Choose the file"}, &s)
	case rec.Uploaded && rec.Preview:
		return h.previewPage(r, s, p, sc, rec, "")
	}
	v := importDoneView{SchoolName: sc.Name, Rec: rec, ChooseURL: importsPath(sc.ID), ClassesURL: acknowledgementsPath(sc.ID, ""),
		SearchURL: schoolPath(sc.ID) + "/concerns", ShowClasses: safeguarding.AccessFor(p, sc.ID).Acknowledgements}
	title := "Pupils imported"
	if !rec.Applied {
		title = "The file was checked, not imported"
	}
	return h.page(r, http.StatusOK, "import-done", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, sc.ID, "imports")})
}

// importUploadRoute asks where to send a file over 4 MB: the page's script sends it straight to
// the bucket, and the imports function reads it when it arrives (rule P1).
const importUploadRoute = "POST /schools/{school}/imports/uploads"

// importUploadAnswer is the script's answer: where to send the file and the page that follows
// its import, or what is wrong.
type importUploadAnswer struct {
	UploadURL string `json:"uploadUrl,omitempty"`
	Next      string `json:"next,omitempty"`
	Message   string `json:"message,omitempty"`
}

// requestImportUpload starts the import of a file sent through the bucket: its check (a
// preview), or, with the form's "checked" preview, the import of the same file, which the
// script sends again.
func (h *Handler) requestImportUpload(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	answer := func(status int, a importUploadAnswer) events.APIGatewayV2HTTPResponse {
		b, _ := json.Marshal(a)
		return events.APIGatewayV2HTTPResponse{StatusCode: status, Body: string(b),
			Headers: withSecurityHeaders(map[string]string{"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"})}
	}
	school := safeguarding.SchoolID(r.param("school"))
	size, err := strconv.ParseInt(r.form.Get("size"), 10, 64)
	if err != nil {
		return answer(http.StatusBadRequest, importUploadAnswer{Message: "Select the pupils' export from your MIS"})
	}
	checked := r.form.Get("checked")
	up, err := h.Imports.RequestUpload(ctx, h.ImportUploads, r.caller(s.claims.Email), school, imports.UploadRequest{Size: size,
		Preview: checked == "", Full: r.form.Get("full") == "yes", Checked: checked})
	var ve *safeguarding.ValidationError
	switch {
	case errors.As(err, &ve) && ve.Problems[0].Field == "size":
		return answer(http.StatusBadRequest, importUploadAnswer{Message: fmt.Sprintf("The file must be %d MB or smaller", imports.MaxUpload>>20)})
	case errors.As(err, &ve):
		return answer(http.StatusBadRequest, importUploadAnswer{Message: "The file was not checked: choose it and check it again"})
	case err != nil:
		status := statusFor(err)
		m := "The file could not be sent. Try again later."
		if status == http.StatusNotFound || status == http.StatusForbidden {
			status, m = http.StatusNotFound, "Page not found: there is nothing here, or it is not yours to see."
		}
		return answer(status, importUploadAnswer{Message: m})
	}
	return answer(http.StatusCreated, importUploadAnswer{UploadURL: up.URL, Next: importsPath(school) + "/" + url.PathEscape(up.Record.ID)})
}

// fileTooLarge is the page for a file over 4 MB.
func (h *Handler) fileTooLarge(r *request) events.APIGatewayV2HTTPResponse {
	return h.showError(r, errorView{Status: http.StatusRequestEntityTooLarge, Heading: "The file is too big",
		Message: "The file must be 4 MB or smaller. Export only the pupils on roll, or fewer columns, and try again.",
		Link:    importsPath(safeguarding.SchoolID(r.param("school"))), LinkText: "Choose another file"}, nil)
}

// packFile is the checked file as the preview's form carries it back: compressed (an export
// shrinks several times), in URL-safe base64, so that a form post does not grow it.
func packFile(data []byte) (string, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write(data); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b.Bytes()), nil
}

// unpackFile reverses packFile, reading no more than a file the page takes.
func unpackFile(s string) ([]byte, error) {
	zb, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(zb))
	if err != nil {
		return nil, err
	}
	data, err := io.ReadAll(io.LimitReader(zr, maxImportFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxImportFile {
		return nil, errFileTooLarge
	}
	return data, nil
}

// fieldNames are the export's fields, as the API names them, in words.
var fieldNames = map[string]string{
	"upn": "UPN", "regGroup": "registration group", "row": "the row", "Responsibility": "parental responsibility",
	"HomePhone": "home phone", "WorkPhone": "work phone", "Mobile": "mobile number", "Email": "email address",
}

var (
	contactField = regexp.MustCompile(`^contact(\d+)(\w+)$`)
	twiceField   = regexp.MustCompile(`give the \w+`)
)

// fieldWords says a field the API names ("dateOfBirth", "contact2Mobile") in words ("date of
// birth", "contact 2's mobile number").
func fieldWords(field string) string {
	if m := contactField.FindStringSubmatch(field); m != nil {
		return fmt.Sprintf("contact %s's %s", m[1], fieldWords(m[2]))
	}
	if w, ok := fieldNames[field]; ok {
		return w
	}
	var b strings.Builder
	for i, c := range field {
		switch {
		case i > 0 && c >= 'A' && c <= 'Z':
			b.WriteRune(' ')
			b.WriteRune(c - 'A' + 'a')
		case i > 0 && c >= '0' && c <= '9' && !(field[i-1] >= '0' && field[i-1] <= '9'):
			b.WriteRune(' ')
			b.WriteRune(c)
		case c >= 'A' && c <= 'Z':
			b.WriteRune(c - 'A' + 'a')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}
