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
)

// Audit actions of imports (rule P4).
const (
	AuditApplied   = "import.applied"
	AuditPreviewed = "import.previewed"
	AuditRead      = "import.read"
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
	Applied                           bool
	Preview, Full, ValidRows          bool
	Rows                              int
	Created, Updated, Unchanged, Left int
	FamiliesFormed                    int
	Errors                            []RowError
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
	id := s.NewID(who.At)
	if key != "" {
		id = importID(school, who.Email, key)
		if prev, ok, err := s.Store.ImportRecord(ctx, school, id); err != nil {
			return Record{}, err
		} else if ok && prev.Status == StatusDone {
			return prev, nil
		} else if ok && prev.FileHash != Hash(req.Data) {
			return Record{}, safeguarding.ErrIdempotencyMismatch
		}
	}
	roll, err := s.Store.Roll(ctx, school)
	if err != nil {
		return Record{}, err
	}
	plan := MakePlan(school, rows, errs, roll, Options{Full: req.Full, Today: who.At})
	rec := Record{ID: id, School: school, By: who.Email, At: who.At.UTC(), FileHash: Hash(req.Data), Status: StatusRunning,
		Preview: req.Preview, Full: req.Full, ValidRows: req.ValidRows, Rows: plan.Rows, Created: plan.Created, Updated: plan.Updated,
		Unchanged: plan.Unchanged, Left: plan.Left, FamiliesFormed: plan.FamiliesFormed, Errors: plan.Errors}
	if len(rec.Errors) > MaxErrorsKept {
		rec.Errors = rec.Errors[:MaxErrorsKept]
	}
	action := AuditPreviewed
	if !req.Preview && (len(errs) == 0 || req.ValidRows) {
		action, rec.Applied = AuditApplied, true
		if err := s.Store.StartImport(ctx, rec); err != nil {
			return Record{}, err
		}
		if started, ok, err := s.Store.ImportRecord(ctx, school, id); err != nil {
			return Record{}, err
		} else if ok {
			rec = started // a resume reports the counts its first try found
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
