package attendance

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Threshold is rule C9's figure: a pupil whose attendance is below it is on the list. The
// store keeps only those pupils in the list's index, so a list never reaches above it.
const Threshold = 90.0

// AuditRead is the audit action of a reading of the list (rule P4).
const AuditRead = "attendance.read"

// Reason is one reason logged for a pupil: an attendance concern in their chronology.
type Reason struct {
	At time.Time
	// Withheld: the caller may not read this record (rule P2); only At is given.
	Withheld      bool
	ConcernID     safeguarding.ConcernID
	Reference     string
	Subcategories []string
	Summary       string
	AuthorName    string
	Late          bool
}

// Row is one pupil on the list with the reasons logged for them, oldest first.
type Row struct {
	Pupil   safeguarding.Pupil
	Reasons []Reason
}

// Store is what the list needs of the table.
type Store interface {
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// LowAttendance reads the school's pupils still on its roll whose attendance is below
	// below (at most Threshold), lowest first.
	LowAttendance(ctx context.Context, school safeguarding.SchoolID, below float64) ([]safeguarding.Pupil, error)
	// AttendanceReasons reads the chronology entries of the school's attendance concerns.
	AttendanceReasons(ctx context.Context, school safeguarding.SchoolID) ([]safeguarding.ChronologyEntry, error)
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
}

// List holds rule C9's use case.
type List struct {
	Store Store
	NewID func(time.Time) string
}

// CanSee is who may read the list: the office and the DSLs (C9).
func CanSee(p safeguarding.Principal, school safeguarding.SchoolID) bool {
	return safeguarding.AccessFor(p, school).Attendance
}

// BelowThreshold lists the school's pupils whose attendance is below below (0 means
// Threshold; above it is invalid), lowest first, each with the reasons logged so far as the
// caller may see them. The reading is audited with every pupil it lists (P4).
func (l List) BelowThreshold(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, below float64) ([]Row, error) {
	if below == 0 {
		below = Threshold
	}
	if below < 0 || below > Threshold {
		return nil, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "below",
			Message: fmt.Sprintf("must be a percentage above 0 and at most %g, the attendance list's own threshold", Threshold)}}}
	}
	p, err := l.Store.Principal(ctx, who.Email)
	if err != nil {
		return nil, err
	}
	p.Email = who.Email
	if !CanSee(p, school) {
		return nil, safeguarding.ErrForbidden
	}
	pupils, err := l.Store.LowAttendance(ctx, school, below)
	if err != nil {
		return nil, err
	}
	var entries []safeguarding.ChronologyEntry
	if len(pupils) > 0 {
		if entries, err = l.Store.AttendanceReasons(ctx, school); err != nil {
			return nil, err
		}
	}
	rows := Rows(p, pupils, entries, below)
	audit := safeguarding.AuditEntry{ID: l.NewID(who.At), School: school, Actor: who.Email, Action: AuditRead,
		Subject: "attendance?below=" + strconv.FormatFloat(below, 'f', -1, 64), At: who.At, Source: who.Source}
	for _, r := range rows {
		audit.Pupils = append(audit.Pupils, r.Pupil.ID)
	}
	if err := l.Store.Audit(ctx, audit); err != nil {
		return nil, err
	}
	return rows, nil
}

// Rows puts the list together: the pupils below below who have not left, lowest first (then
// by id), each with their reasons, oldest first, as p may see them.
func Rows(p safeguarding.Principal, pupils []safeguarding.Pupil, entries []safeguarding.ChronologyEntry, below float64) []Row {
	byPupil := map[safeguarding.PupilID][]Reason{}
	for _, e := range entries {
		if r, ok := reason(p, e); ok {
			byPupil[e.Pupil] = append(byPupil[e.Pupil], r)
		}
	}
	rows := []Row{}
	for _, pu := range pupils {
		if !pu.HasAttendance || pu.Attendance >= below || pu.Left {
			continue
		}
		rs := byPupil[pu.ID]
		slices.SortStableFunc(rs, func(a, b Reason) int { return a.At.Compare(b.At) })
		rows = append(rows, Row{Pupil: pu, Reasons: rs})
	}
	slices.SortStableFunc(rows, func(a, b Row) int {
		return cmp.Or(cmp.Compare(a.Pupil.Attendance, b.Pupil.Attendance), cmp.Compare(a.Pupil.ID, b.Pupil.ID))
	})
	return rows
}

// reason is what p may see of an entry (rules P2, C5); ok is false when it is not a reason or
// p may not know of it at all.
func reason(p safeguarding.Principal, e safeguarding.ChronologyEntry) (Reason, bool) {
	if e.Type != safeguarding.EntryConcern || e.Category != safeguarding.CategoryAttendance {
		return Reason{}, false
	}
	if e.Visibility.CanView(p) {
		return Reason{At: e.At, ConcernID: e.ConcernID, Reference: e.Reference, Subcategories: e.Subcat,
			Summary: e.Summary, AuthorName: e.AuthorName, Late: e.Late}, true
	}
	if e.Visibility.AboutStaff {
		return Reason{}, false
	}
	return Reason{At: e.At, Withheld: true}, true
}
