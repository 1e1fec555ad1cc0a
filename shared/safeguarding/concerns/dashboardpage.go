package concerns

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// ConcernList names a list of a school's concerns, each ordered by the time it was recorded.
type ConcernList int

const (
	// ListAll is every concern of the school (A10).
	ListAll ConcernList = iota
	// ListOpen and ListClosed are its open and its closed cases (A19).
	ListOpen
	ListClosed
	// ListAuthor is the concerns one person recorded (A98).
	ListAuthor
	// ListTagged is the concerns one person was tagged in (A111): staff to tell (C1, C4).
	ListTagged
	// ListAboutStaff is the school's concerns about a member of staff (A112), routed to the
	// Senior DSL and governors (C5).
	ListAboutStaff
)

// ConcernRange is one read of a list, newest first: recorded at or after From and before To
// (either zero: no bound), after the position After (the sort key of the last concern an
// earlier read gave, "" from the newest), at most Limit concerns looked at, those not high
// priority or not of the category left out by the read itself.
type ConcernRange struct {
	List ConcernList
	// Author is the person of ListAuthor (who recorded them) or ListTagged (who was tagged).
	Author       string
	From, To     time.Time
	After        string
	HighPriority bool
	Category     safeguarding.Category
	Limit        int
}

// ConcernChunk is what one read gave: the concerns in order, and the position to read on
// from ("" when the list is at its end).
type ConcernChunk struct {
	Concerns []Concern
	Next     string
}

// DashboardReader is what the dashboard's pages need of a store.
type DashboardReader interface {
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// ConcernRange is one Query of the list; a position that is not one of this list's in
	// the range asked is a ValidationError naming "cursor".
	ConcernRange(ctx context.Context, school safeguarding.SchoolID, r ConcernRange) (ConcernChunk, error)
	// ReadMarks says which of the concerns viewer has read (one BatchGetItem of up to 100).
	ReadMarks(ctx context.Context, viewer string, school safeguarding.SchoolID, ids []safeguarding.ConcernID) (map[safeguarding.ConcernID]bool, error)
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
}

// What a dashboard query shows beyond its filters.
const (
	// ShowUnread is the open concerns the caller has not read.
	ShowUnread = "unread"
	// ShowOverdue is those no DSL acted on by their due time (D1).
	ShowOverdue = "overdue"
	// ShowWaiting is the open concerns no DSL has acted on yet, due or not.
	ShowWaiting = "waiting"
)

// DashboardQuery is what a page of concerns asks for. Mine lists the concerns the caller
// recorded (their "Concerns you raised") rather than the school's; Tagged those they were
// tagged in; AboutStaff the school's concerns about a member of staff (a governor's).
type DashboardQuery struct {
	Mine, Tagged, AboutStaff bool
	// From and To bound the time recorded: at or after From, before To (zero: no bound).
	From, To time.Time
	// Status is "", "open" or "closed"; Show "", ShowUnread, ShowOverdue or ShowWaiting.
	Status, Show string
	HighPriority bool
	Category     safeguarding.Category
	// Pupils, when not nil, keeps the concerns naming one of them.
	Pupils map[safeguarding.PupilID]bool
	// After is the position the previous page ended at ("" for the first page).
	After string
	// Size is the most rows a page holds (DashboardPageSize when zero).
	Size int
}

// DashboardPageSize is how many concerns a page lists; dashboardChunk how many one Query
// looks at; dashboardReads how many Queries a page may make before it ends short, with a
// position to read on from; countReads how many a count may make.
const (
	DashboardPageSize = 50
	dashboardChunk    = 100
	dashboardReads    = 5
	countReads        = 20
)

// DashboardPage is one page: its rows (high priority first, then newest first), the
// position the next page starts from ("" on the last) and how many Queries it made.
type DashboardPage struct {
	Rows  []DashboardRow
	Next  string
	Reads int
}

// list is the list a query reads: the caller's own, or the open or closed cases when it asks
// only for those (what waits is always open), else all.
func (q DashboardQuery) list() ConcernList {
	switch {
	case q.Mine:
		return ListAuthor
	case q.Tagged:
		return ListTagged
	case q.AboutStaff:
		return ListAboutStaff
	case q.Status == "closed":
		return ListClosed
	case q.Status == "open", q.Show != "":
		return ListOpen
	}
	return ListAll
}

// keeps says whether a row the caller may see passes what the read itself could not filter.
func (q DashboardQuery) keeps(row DashboardRow, who safeguarding.Caller) bool {
	c := row.Concern
	closed := c.Status() == CaseClosed
	switch {
	case q.Status == "open" && closed, q.Status == "closed" && !closed:
		return false
	case q.Show == ShowUnread && (row.Read || closed), q.Show == ShowOverdue && !c.ResponseOverdue(who.At),
		q.Show == ShowWaiting && (c.Responded() || closed):
		return false
	}
	if q.Pupils != nil {
		return slices.ContainsFunc(c.pupils, func(lp safeguarding.LinkedPupil) bool { return q.Pupils[lp.ID] })
	}
	return true
}

// walk reads the query's list from its position, newest first, and gives take each row the
// caller may see (P2, C5), until take says enough, the list ends, or reads Queries were
// made. It gives the position after the last concern looked at when the list goes on, and
// the Queries made.
func (s Concerns) walk(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, q DashboardQuery,
	reads int, take func(row DashboardRow) (stop bool)) (string, int, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return "", 0, err
	}
	if !p.IsMember(school) {
		return "", 0, fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
	}
	r := ConcernRange{List: q.list(), From: q.From, To: q.To, After: q.After, HighPriority: q.HighPriority,
		Category: q.Category, Limit: dashboardChunk}
	if q.Mine || q.Tagged {
		r.Author = who.Email
	}
	made := 0
	for made < reads {
		chunk, err := s.Store.ConcernRange(ctx, school, r)
		made++
		if err != nil {
			return "", made, err
		}
		var ids []safeguarding.ConcernID
		for _, c := range chunk.Concerns {
			// Its author has read it: no read mark needed.
			if c.CanView(p) && c.authorEmail != who.Email {
				ids = append(ids, c.id)
			}
		}
		read := map[safeguarding.ConcernID]bool{}
		if len(ids) > 0 {
			if read, err = s.Store.ReadMarks(ctx, who.Email, school, ids); err != nil {
				return "", made, err
			}
		}
		for i, c := range chunk.Concerns {
			if !c.CanView(p) {
				continue
			}
			row := DashboardRow{Concern: c, Read: read[c.id] || c.authorEmail == who.Email}
			if c.CanSeeCaseWork(p) && !c.Responded() {
				row.ActionDueAt, row.Overdue = c.responseDueAt, c.ResponseOverdue(who.At)
			}
			if take(row) {
				if i == len(chunk.Concerns)-1 && chunk.Next == "" {
					return "", made, nil
				}
				return PositionOf(c), made, nil
			}
		}
		if chunk.Next == "" {
			return "", made, nil
		}
		r.After = chunk.Next
	}
	return r.After, made, nil
}

// positionForm is the form of a position in the lists: the UTC time recorded to the
// nanosecond and the concern's id.
var positionForm = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z#[0-9A-Za-z-]{1,100}$`)

// ValidPosition says whether s has the form of a position in the lists (PositionOf); the
// store still checks it lies in the list and range asked.
func ValidPosition(s string) bool { return positionForm.MatchString(s) }

// PositionOf is a concern's position in the lists: the sort key its indexes share.
func PositionOf(c Concern) string {
	return c.recordedAt.UTC().Format("2006-01-02T15:04:05.000000000Z") + "#" + string(c.id)
}

// DashboardPage lists one page of the school's concerns the caller may see (P2, C5; a concern
// about a DSL is hidden from them), or of those the caller recorded, newest first, each
// marked read or unread; lateness (C3) on each and, for whoever may see its case work, when
// the first action is due and whether it is overdue (D1). Filters apply across pages: a
// page reads on until it is full, at most dashboardReads Queries, and may end short with a
// position to go on from. The page's pupils are audited.
func (s Concerns) DashboardPage(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, q DashboardQuery) (DashboardPage, error) {
	size := q.Size
	if size <= 0 || size > DashboardPageSize {
		size = DashboardPageSize
	}
	var rows []DashboardRow
	next, reads, err := s.walk(ctx, who, school, q, dashboardReads, func(row DashboardRow) bool {
		if q.keeps(row, who) {
			rows = append(rows, row)
		}
		return len(rows) >= size
	})
	if err != nil {
		return DashboardPage{}, err
	}
	var listed []safeguarding.PupilID
	for _, row := range rows {
		listed = append(listed, safeguarding.PupilIDs(row.Concern.pupils)...)
	}
	subject := "dashboard"
	switch {
	case q.Mine:
		subject = "concerns-raised"
	case q.Tagged:
		subject = "concerns-tagged"
	case q.AboutStaff:
		subject = "concerns-about-staff"
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "dashboard.read",
		Subject: subject, Pupils: listed, At: who.At, Source: who.Source})
	if err != nil {
		return DashboardPage{}, err
	}
	slices.SortStableFunc(rows, func(a, b DashboardRow) int {
		if a.Concern.highPriority != b.Concern.highPriority {
			if a.Concern.highPriority {
				return -1
			}
			return 1
		}
		return b.Concern.recordedAt.Compare(a.Concern.recordedAt)
	})
	return DashboardPage{Rows: rows, Next: next, Reads: reads}, nil
}

// DashboardCount counts what every page of each query would list together (the home's
// counts, each linked to its page), in one reading of their list: the queries share the
// list and dates of the first (their other filters apply to each). It reads at most
// countReads Queries of dashboardChunk concerns: complete is false when the list went on
// past them. The count is audited, without pupils: it shows none.
func (s Concerns) DashboardCount(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, qs ...DashboardQuery) (counts []int, complete bool, err error) {
	if len(qs) == 0 {
		return nil, true, nil
	}
	for _, q := range qs[1:] {
		if q.list() != qs[0].list() || !q.From.Equal(qs[0].From) || !q.To.Equal(qs[0].To) || q.Mine != qs[0].Mine ||
			q.Tagged != qs[0].Tagged || q.AboutStaff != qs[0].AboutStaff {
			return nil, false, fmt.Errorf("concerns: counts of different lists in one reading: %w", safeguarding.ErrInvalid)
		}
	}
	base := qs[0]
	base.After, base.HighPriority, base.Category = "", false, ""
	counts = make([]int, len(qs))
	next, _, err := s.walk(ctx, who, school, base, countReads, func(row DashboardRow) bool {
		for i, q := range qs {
			if q.keeps(row, who) && (!q.HighPriority || row.Concern.highPriority) && (q.Category == "" || row.Concern.category == q.Category) {
				counts[i]++
			}
		}
		return false
	})
	if err != nil {
		return nil, false, err
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: "dashboard.counted",
		Subject: "home", At: who.At, Source: who.Source})
	return counts, next == "", err
}
