package imports

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Status of an import.
const (
	StatusRunning = "running"
	StatusDone    = "done"
	// StatusFailed: the uploaded file could not be read, or is not the file that was checked.
	StatusFailed = "failed"
)

// Audit actions of imports (rule P4).
const (
	AuditApplied   = "import.applied"
	AuditPreviewed = "import.previewed"
	AuditRead      = "import.read"
	AuditRefused   = "import.refused"
)

// MaxErrorsKept bounds the row errors an import's record keeps (the first ones, by line).
const MaxErrorsKept = 1000

// Record is one import of a school's MIS export: who, when, which file (its hash), what it
// found and whether it was applied.
type Record struct {
	ID       string
	School   safeguarding.SchoolID
	By       string
	At       time.Time
	FileHash string
	Status   string
	// Applied says the file's changes were written; false for a preview, or a file with
	// errors the office did not ask to apply in part.
	Applied                  bool
	Preview, Full, ValidRows bool
	// Uploaded: the file came through the bucket (a signed upload), not in a request's body.
	Uploaded bool
	// ExpectHash, for the import of an uploaded file that was checked first, is the checked
	// file's hash: another file is refused.
	ExpectHash                        string
	Rows                              int
	Created, Updated, Unchanged, Left int
	FamiliesFormed                    int
	// ErrorRows is how many of the file's rows had a problem (a failed file: 1, the file).
	ErrorRows int
	Errors    []RowError
}

// MaxListed bounds the imports a list reads (one Query).
const MaxListed = 100

// RecentWithin is how far back the homes count imports with errors.
const RecentWithin = 30 * 24 * time.Hour

// ErrorRows is how many rows the problems are on.
func ErrorRows(errs []RowError) int {
	lines := map[int]bool{}
	for _, e := range errs {
		lines[e.Line] = true
	}
	return len(lines)
}

// ErrNotCSV: the file is not a CSV export (the DfE's Common Transfer File, XML, is not read
// yet); the API answers 415.
var ErrNotCSV = errors.New("the file is not the MIS's pupil export as CSV")

// Request is what the office sends: the file and its choices.
type Request struct {
	Data []byte
	// MediaType is the file's type as sent (text/csv).
	MediaType string
	// Preview writes nothing but the import's record; ValidRows applies a file's valid rows
	// when others failed; Full says the file is the whole school.
	Preview, ValidRows, Full bool
}

// Store is what imports need of the table.
type Store interface {
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// Roll reads every pupil the school's imports put on its roll.
	Roll(ctx context.Context, school safeguarding.SchoolID) ([]Existing, error)
	// ImportRecord reads an import (ok false: none with that id).
	ImportRecord(ctx context.Context, school safeguarding.SchoolID, id string) (Record, bool, error)
	// StartImport saves a running import's record, once (a second start of the same id is
	// a resume, and keeps the first record).
	StartImport(ctx context.Context, r Record) error
	// Current reads the records a plan changes (Plan.Targets).
	Current(ctx context.Context, school safeguarding.SchoolID, pupils []safeguarding.PupilID, families []string) (Current, error)
	// ApplyImport writes an import in chunked transactions, each record in the state the plan
	// gives, so that writing a chunk twice changes nothing.
	ApplyImport(ctx context.Context, w Write) error
	// FinishImport saves the import's final record with its audit entry.
	FinishImport(ctx context.Context, r Record, audit safeguarding.AuditEntry) error
	// Imports reads the school's latest imports that were not checks (previews), newest
	// first, at most limit, without their row errors.
	Imports(ctx context.Context, school safeguarding.SchoolID, limit int) ([]Record, error)
}

// Imports loads a school's pupils, families, contacts and classes from its MIS export.
type Imports struct {
	Store Store
	NewID func(time.Time) string
}

// CanImport is rule P1's door in: the office and the Senior DSL of the school import.
func CanImport(p safeguarding.Principal, school safeguarding.SchoolID) bool {
	return safeguarding.AccessFor(p, school).Imports
}

// Import reads the file, compares it with the school's roll, and applies it unless it is a
// preview or has errors (then, with ValidRows, its valid rows). key, when given (an
// Idempotency-Key), names the import: sending it again after a failure part way resumes the
// same import, writing only what is still missing, and reports the counts of the first try.
func (s Imports) Import(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, req Request, key string) (Record, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return Record{}, err
	}
	if !CanImport(p, school) {
		return Record{}, safeguarding.ErrForbidden
	}
	if key == "" {
		return s.run(ctx, who, school, req, s.NewID(who.At), Record{}, false)
	}
	id := importID(school, who.Email, key)
	prev, resumed, err := s.Store.ImportRecord(ctx, school, id)
	if err != nil {
		return Record{}, err
	}
	return s.run(ctx, who, school, req, id, prev, resumed)
}

// run imports a file as the import id: a first run, or (resumed, with the record prev read)
// the resume of one cut short.
func (s Imports) run(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, req Request, id string, prev Record, resumed bool) (Record, error) {
	if strings.HasSuffix(req.MediaType, "xml") || LooksLikeXML(req.Data) {
		return Record{}, fmt.Errorf("%w: the Common Transfer File (XML) is not read yet", ErrNotCSV)
	}
	if !slices.Contains([]string{"text/csv", "text/plain", "application/vnd.ms-excel"}, req.MediaType) {
		return Record{}, ErrNotCSV
	}
	rows, errs, err := Decode(req.Data)
	if err != nil {
		return Record{}, err
	}
	switch {
	case resumed && prev.Status == StatusDone:
		return prev, nil
	case resumed && prev.FileHash != "" && prev.FileHash != Hash(req.Data):
		return Record{}, safeguarding.ErrIdempotencyMismatch
	}
	roll, err := s.Store.Roll(ctx, school)
	if err != nil {
		return Record{}, err
	}
	plan := MakePlan(school, rows, errs, roll, Options{Full: req.Full, Today: who.At})
	rec := Record{ID: id, School: school, By: who.Email, At: who.At.UTC(), FileHash: Hash(req.Data), Status: StatusRunning,
		Preview: req.Preview, Full: req.Full, ValidRows: req.ValidRows, Rows: plan.Rows, Created: plan.Created, Updated: plan.Updated,
		Unchanged: plan.Unchanged, Left: plan.Left, FamiliesFormed: plan.FamiliesFormed, ErrorRows: ErrorRows(plan.Errors), Errors: plan.Errors}
	rec.Uploaded, rec.ExpectHash = prev.Uploaded, prev.ExpectHash
	if len(rec.Errors) > MaxErrorsKept {
		rec.Errors = rec.Errors[:MaxErrorsKept]
	}
	if resumed && prev.FileHash != "" {
		rec = prev // a resume reports the counts its first try found
	}
	action := AuditPreviewed
	if !req.Preview && (len(errs) == 0 || req.ValidRows) {
		action, rec.Applied = AuditApplied, true
		if err := s.Store.StartImport(ctx, rec); err != nil {
			return Record{}, err
		}
		pupils, families := plan.Targets()
		cur, err := s.Store.Current(ctx, school, pupils, families)
		if err != nil {
			return Record{}, err
		}
		if err := s.Store.ApplyImport(ctx, plan.Write(school, cur, who.Email, who.At)); err != nil {
			return Record{}, fmt.Errorf("import %s stopped part way; send it again to resume: %w", id, err)
		}
	}
	rec.Status = StatusDone
	audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: action,
		Subject: auditSubject(rec), At: who.At, Source: who.Source}
	if err := s.Store.FinishImport(ctx, rec, audit); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// MaxUpload bounds a file sent to the bucket (a school's export is a few MB at most).
const MaxUpload = 32 << 20

// UploadKey is where the file of an import is uploaded, in the attachments bucket.
func UploadKey(school safeguarding.SchoolID, id string) string {
	return "imports/" + string(school) + "/" + id + ".csv"
}

// ParseUploadKey is the school and the import an uploaded file's key names.
func ParseUploadKey(key string) (safeguarding.SchoolID, string, bool) {
	rest, ok := strings.CutPrefix(key, "imports/")
	school, file, ok2 := strings.Cut(rest, "/")
	id, ok3 := strings.CutSuffix(file, ".csv")
	if !ok || !ok2 || !ok3 || school == "" || id == "" || strings.Contains(id, "/") {
		return "", "", false
	}
	return safeguarding.SchoolID(school), id, true
}

// Signer signs the URL a file is uploaded to.
type Signer interface {
	PresignUpload(ctx context.Context, key, contentType string, size int64, validFor time.Duration) (string, error)
}

// UploadRequest is the office's request to send a larger file through the bucket.
type UploadRequest struct {
	Size                     int64
	Preview, ValidRows, Full bool
	// Checked, when given, is the preview of an uploaded file to import now: the same file is
	// sent again, and the import takes the preview's choices (its whole-school tick, and its
	// valid rows when it found errors).
	Checked string
}

// Upload is where to send a larger file: a URL valid for UploadValidFor that takes exactly
// its size, as text/csv. The import runs when the file arrives.
type Upload struct {
	Record Record
	URL    string
}

// UploadValidFor is how long an upload URL may be used.
const UploadValidFor = 15 * time.Minute

// RequestUpload starts an import whose file is too large for a request's body (over 4 MB):
// the import's record waits, running, for the file the returned URL takes.
func (s Imports) RequestUpload(ctx context.Context, signer Signer, who safeguarding.Caller, school safeguarding.SchoolID, req UploadRequest) (Upload, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return Upload{}, err
	}
	if !CanImport(p, school) {
		return Upload{}, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	if req.Size <= 0 || req.Size > MaxUpload {
		ps.Add("size", "is the file's size in bytes, at most %d", MaxUpload)
	}
	if err := ps.Err(); err != nil {
		return Upload{}, err
	}
	rec := Record{ID: s.NewID(who.At), School: school, By: who.Email, At: who.At.UTC(), Status: StatusRunning,
		Preview: req.Preview, ValidRows: req.ValidRows, Full: req.Full, Uploaded: true}
	if req.Checked != "" {
		checked, ok, err := s.Store.ImportRecord(ctx, school, req.Checked)
		if err != nil {
			return Upload{}, err
		}
		if !ok || !checked.Preview || checked.Status != StatusDone || checked.FileHash == "" {
			ps.Add("checked", "is not a file that was checked")
			return Upload{}, ps.Err()
		}
		rec.Preview, rec.Full, rec.ValidRows, rec.ExpectHash = false, checked.Full, len(checked.Errors) > 0, checked.FileHash
	}
	if err := s.Store.StartImport(ctx, rec); err != nil {
		return Upload{}, err
	}
	url, err := signer.PresignUpload(ctx, UploadKey(school, rec.ID), "text/csv", req.Size, UploadValidFor)
	if err != nil {
		return Upload{}, err
	}
	return Upload{Record: rec, URL: url}, nil
}

// Arrived runs the import an uploaded file belongs to, as the person who asked for it (if
// they still may), with the choices they made. A second notification of the same file
// changes nothing; a file no import waits for is ErrNotFound.
func (s Imports) Arrived(ctx context.Context, school safeguarding.SchoolID, id string, data []byte, at time.Time) (Record, error) {
	rec, ok, err := s.Store.ImportRecord(ctx, school, id)
	if err != nil {
		return Record{}, err
	}
	if !ok {
		return Record{}, fmt.Errorf("upload of import %q: %w", id, safeguarding.ErrNotFound)
	}
	if rec.Status != StatusRunning {
		return rec, nil
	}
	p, err := s.Store.Principal(ctx, rec.By)
	if err != nil {
		return Record{}, err
	}
	if !CanImport(p, school) {
		return Record{}, safeguarding.ErrForbidden
	}
	who := safeguarding.Caller{Email: rec.By, At: at, Source: "upload"}
	if rec.ExpectHash != "" && Hash(data) != rec.ExpectHash {
		return s.fail(ctx, who, rec, data, RowError{Line: 1, Field: "file", Message: "is not the file that was checked"})
	}
	done, err := s.run(ctx, who, school, Request{Data: data, MediaType: "text/csv", Preview: rec.Preview, ValidRows: rec.ValidRows, Full: rec.Full}, id, rec, true)
	var ve *safeguarding.ValidationError
	switch {
	case errors.Is(err, ErrNotCSV):
		return s.fail(ctx, who, rec, data, RowError{Line: 1, Field: "file", Message: "is not the MIS's pupil export as CSV"})
	case errors.As(err, &ve):
		var problems []RowError
		for _, p := range ve.Problems {
			problems = append(problems, RowError{Line: 1, Field: p.Field, Message: p.Message})
		}
		return s.fail(ctx, who, rec, data, problems...)
	}
	return done, err
}

// fail ends an uploaded file's import without reading it further, with what is wrong with the
// file as a whole (line 1: its header, or the file itself), so that whoever follows the import
// sees it end; the refusal is audited.
func (s Imports) fail(ctx context.Context, who safeguarding.Caller, rec Record, data []byte, problems ...RowError) (Record, error) {
	rec.Status, rec.FileHash, rec.Errors, rec.ErrorRows = StatusFailed, Hash(data), problems, ErrorRows(problems)
	audit := safeguarding.AuditEntry{ID: s.NewID(who.At), School: rec.School, Actor: who.Email, Action: AuditRefused,
		Subject: auditSubject(rec), At: who.At, Source: who.Source}
	if err := s.Store.FinishImport(ctx, rec, audit); err != nil {
		return Record{}, err
	}
	return rec, nil
}

// Read gives an import's record to the office and the Senior DSL who may import.
func (s Imports) Read(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (Record, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return Record{}, err
	}
	if !CanImport(p, school) {
		return Record{}, safeguarding.ErrForbidden
	}
	rec, ok, err := s.Store.ImportRecord(ctx, school, id)
	if err != nil {
		return Record{}, err
	}
	if !ok {
		return Record{}, fmt.Errorf("import %q: %w", id, safeguarding.ErrNotFound)
	}
	return rec, nil
}

// CanList is who may see the list of a school's imports: those who import, and the DSLs, whose
// home counts the imports with errors (a pupil left out of an import is a pupil they may not
// find). The list says who imported, when and how it went, never a pupil.
func CanList(p safeguarding.Principal, school safeguarding.SchoolID) bool {
	return safeguarding.AccessFor(p, school).ImportList
}

// Recent lists the school's latest imports that were not checks, newest first (at most
// MaxListed), to those who may see the list.
func (s Imports) Recent(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]Record, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return nil, err
	}
	if !CanList(p, school) {
		return nil, safeguarding.ErrForbidden
	}
	return s.Store.Imports(ctx, school, MaxListed)
}

// WithErrors counts the imports of list made within RecentWithin before now that had rows with
// errors or failed.
func WithErrors(list []Record, now time.Time) int {
	n := 0
	for _, r := range list {
		if r.At.After(now.Add(-RecentWithin)) && (r.ErrorRows > 0 || r.Status == StatusFailed) {
			n++
		}
	}
	return n
}

// importID names the import an Idempotency-Key starts, so that sending it again finds it.
func importID(school safeguarding.SchoolID, by, key string) string {
	return "k-" + Hash([]byte(string(school) + "\x00" + by + "\x00" + key))[:26]
}

// auditSubject says what an import read and did (rule P4): the import, the file's hash and
// the counts, never a name.
func auditSubject(r Record) string {
	v := url.Values{}
	v.Set("sha256", r.FileHash)
	for k, n := range map[string]int{"rows": r.Rows, "created": r.Created, "updated": r.Updated, "unchanged": r.Unchanged,
		"left": r.Left, "errors": len(r.Errors)} {
		v.Set(k, strconv.Itoa(n))
	}
	return "import/" + r.ID + "?" + v.Encode()
}
