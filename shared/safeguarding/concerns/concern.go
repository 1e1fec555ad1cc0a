package concerns

import (
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Limits on a concern's fields: generous for a real record, small enough to keep a concern,
// its chronology entries and its alerts inside one DynamoDB transaction (TransactionItems).
//
// MaxPupilsPerConcern follows from DynamoDB's 100 items in one transaction: a concern writes
// 5 items whatever its size (its idempotency record, the concern, its first revision, its due
// item of rule D1, its school's report counter of the month, D10), 2 per pupil (a chronology
// entry, and the audit entry or one of its index items), one per tagged member of staff (their
// index item, A111: the concerns they were tagged in), one when it is about a member of staff
// (its index item, A112: the concerns routed to governors) and one per alert (C4: each DSL,
// the Senior DSL or governor by SMS and email when it is high priority; up to MaxTaggedStaff
// tagged staff by email). 15 pupils leave 65 items: every tagged member of staff indexed and
// alerted (40), the index item of a concern about staff and 12 people alerted by SMS and
// email. A school with more people to alert than that is told to name fewer pupils
// (ConcernItems), never left with a failure.
const (
	MaxPupilsPerConcern = 15
	MaxDetailsChars     = 20000
	MaxPupilWordsChars  = 10000
	MaxPeopleInvolved   = 20
	MaxNameChars        = 200
	MaxTaggedStaff      = 20
	// ClockSkew is how far in the future an observation time may be, for a phone's clock.
	ClockSkew = 5 * time.Minute
)

// TransactionItems is the most items one DynamoDB transaction holds.
const TransactionItems = 100

// ConcernItems is how many items a new concern with pupils pupils, alerts alerts and index
// index items (Concern.IndexItems) commits in its one transaction (see MaxPupilsPerConcern).
func ConcernItems(pupils, alerts, index int) int { return 5 + 2*pupils + alerts + index }

// NewConcern is what a member of staff submits (rule C1), before it is checked.
type NewConcern struct {
	// PupilIDs are pupils the concern is about (role subject); Pupils name each one's role.
	PupilIDs          []safeguarding.PupilID
	Pupils            []safeguarding.LinkedPupil
	Category          string
	Subcategories     []string
	HighPriority      bool
	ObservedAt        time.Time
	Details           string
	PupilWords        string
	PeopleInvolved    []string
	TagStaff          []string
	AboutStaff        bool
	SubjectStaffEmail string
	BodyMap           []BodyMark
}

// LinkedPupils is every pupil the submission names with their role: PupilIDs as subjects,
// then Pupils with theirs.
func (in NewConcern) LinkedPupils() []safeguarding.LinkedPupil {
	out := make([]safeguarding.LinkedPupil, 0, len(in.PupilIDs)+len(in.Pupils))
	for _, id := range in.PupilIDs {
		out = append(out, safeguarding.LinkedPupil{ID: id, Role: safeguarding.RoleSubject})
	}
	return append(out, in.Pupils...)
}

// Concern is a recorded concern. Its fields are unexported: NewConcern's checks are the only
// way in, and only a store rebuilds one from what it saved (RestoreConcern).
type Concern struct {
	id                safeguarding.ConcernID
	reference         string
	school            safeguarding.SchoolID
	pupils            []safeguarding.LinkedPupil
	category          safeguarding.Category
	subcategories     []string
	highPriority      bool
	observedAt        time.Time
	recordedAt        time.Time
	deadline          time.Time
	late              bool
	minutesLate       int
	details           string
	pupilWords        string
	peopleInvolved    []string
	tagStaff          []string
	aboutStaff        bool
	subjectStaffEmail string
	authorEmail       string
	authorName        string
	version           int
	closed            bool
	complex           bool
	caseEvents        []CaseEvent
	revision          int
	amended           *amendedBy
	dslOpenedAt       time.Time
	actionTakenAt     time.Time
	responseDueAt     time.Time
	responseMetAt     time.Time
	bodyMap           []BodyMark
}

// RecordConcern checks a submission against rules C1-C3 and C5 and returns the concern as it
// will be stored. pupils are the school's pupils the submission names (absent ones are refused);
// recordedAt is the time of the request, never the wall clock.
func RecordConcern(id safeguarding.ConcernID, in NewConcern, author safeguarding.Principal, school safeguarding.School, pupils map[safeguarding.PupilID]safeguarding.Pupil,
	cat Catalogue, cal safeguarding.Calendar, recordedAt time.Time) (Concern, error) {
	var ps safeguarding.Problems
	if !author.IsMember(school.ID) {
		return Concern{}, safeguarding.ErrForbidden
	}

	// Pupils (C1): at least one, each on this school's roll, none twice, each with a role.
	asked := in.LinkedPupils()
	field := "pupilIds"
	if len(in.Pupils) > 0 {
		field = "pupils"
	}
	if len(asked) == 0 {
		ps.Add(field, "choose at least one pupil")
	}
	if len(asked) > MaxPupilsPerConcern {
		ps.Add(field, "at most %d pupils in one concern", MaxPupilsPerConcern)
	}
	linked := make([]safeguarding.LinkedPupil, 0, len(asked))
	seen := map[safeguarding.PupilID]bool{}
	for _, lp := range asked {
		p, ok := pupils[lp.ID]
		switch {
		case seen[lp.ID]:
			ps.Add(field, "pupil %q is listed twice", lp.ID)
		case !ok || p.School != school.ID:
			ps.Add(field, "no pupil %q in this school", lp.ID)
		case !slices.Contains(safeguarding.PupilRoles, lp.Role):
			ps.Add(field, "pupil %q: role must be one of subject, involved, witness, alleged-to-have-harmed, sibling", lp.ID)
		default:
			linked = append(linked, lp)
		}
		seen[lp.ID] = true
	}
	if len(linked) > 0 && !slices.ContainsFunc(linked, func(l safeguarding.LinkedPupil) bool { return l.Role == safeguarding.RoleSubject }) {
		ps.Add(field, "at least one pupil is the subject of the concern")
	}

	// Category and sub-categories (C2).
	var category safeguarding.Category
	var chosen []string
	def, ok := cat.Find(safeguarding.Category(in.Category))
	if !ok {
		ps.Add("category", "unknown category %q", in.Category)
	} else {
		category = def.ID
		for _, s := range in.Subcategories {
			sub, ok := def.Subcategory(s)
			switch {
			case !ok:
				ps.Add("subcategories", "%q is not a sub-category of %s", s, def.Title)
			case sub.Retired:
				ps.Add("subcategories", "%q is retired and cannot be chosen", sub.Title)
			case !slices.Contains(chosen, sub.ID):
				chosen = append(chosen, sub.ID)
			}
		}
	}

	// When and what (C1, C3).
	if in.ObservedAt.IsZero() {
		ps.Add("observedAt", "say when it was observed")
	} else if in.ObservedAt.After(recordedAt.Add(ClockSkew)) {
		ps.Add("observedAt", "cannot be in the future")
	}
	details := strings.TrimSpace(in.Details)
	if details == "" {
		ps.Add("details", "write what happened")
	}
	safeguarding.CheckText(&ps, "details", details, MaxDetailsChars)
	words := strings.TrimSpace(in.PupilWords)
	safeguarding.CheckText(&ps, "pupilWords", words, MaxPupilWordsChars)

	// People involved by full name, staff to tag (C1).
	if len(in.PeopleInvolved) > MaxPeopleInvolved {
		ps.Add("peopleInvolved", "at most %d people", MaxPeopleInvolved)
	}
	var people []string
	for _, n := range in.PeopleInvolved {
		n = strings.TrimSpace(n)
		if n == "" {
			continue
		}
		safeguarding.CheckText(&ps, "peopleInvolved", n, MaxNameChars)
		people = append(people, n)
	}
	if len(in.TagStaff) > MaxTaggedStaff {
		ps.Add("tagStaff", "at most %d staff", MaxTaggedStaff)
	}
	var tagged []string
	for _, e := range in.TagStaff {
		addr, ok := safeguarding.NormaliseEmail(e)
		if !ok {
			ps.Add("tagStaff", "%q is not an email address", e)
			continue
		}
		if !school.HasStaff(addr) {
			ps.Add("tagStaff", "%q is not on the staff of this school", e)
			continue
		}
		if !slices.Contains(tagged, addr) {
			tagged = append(tagged, addr)
		}
	}

	// A concern about a member of staff names them (C5).
	var subject string
	if in.AboutStaff {
		addr, ok := safeguarding.NormaliseEmail(in.SubjectStaffEmail)
		if !ok {
			ps.Add("subjectStaffEmail", "name the member of staff the concern is about")
		}
		subject = addr
		if ok && !school.HasStaff(addr) {
			ps.Add("subjectStaffEmail", "%q is not on the staff of this school", in.SubjectStaffEmail)
		}
		if ok && subject == author.Email {
			ps.Add("subjectStaffEmail", "a concern about yourself goes to the safeguarding governor directly")
		}
	} else if strings.TrimSpace(in.SubjectStaffEmail) != "" {
		ps.Add("subjectStaffEmail", "only for a concern about a member of staff")
	}
	marks := checkBodyMap(&ps, in.BodyMap)
	if err := ps.Err(); err != nil {
		return Concern{}, err
	}

	deadline := safeguarding.RecordingDeadline(in.ObservedAt, cal, school.EndOfDayMinutes)
	late, minutes := safeguarding.Lateness(deadline, recordedAt)
	return Concern{
		id: id, reference: referenceFor(id), school: school.ID, pupils: linked,
		category: category, subcategories: chosen, highPriority: in.HighPriority,
		observedAt: in.ObservedAt.UTC(), recordedAt: recordedAt.UTC(), deadline: deadline.UTC(),
		late: late, minutesLate: minutes, details: details, pupilWords: words,
		peopleInvolved: people, tagStaff: tagged, aboutStaff: in.AboutStaff, subjectStaffEmail: subject,
		authorEmail: author.Email, authorName: author.Name, version: 1, bodyMap: marks,
		responseDueAt: safeguarding.EndOfSchoolDay(cal, recordedAt, school.EndOfDayMinutes).UTC(),
	}, nil
}

// referenceFor derives the short reference that alerts and screens quote (rule S2): the
// concern id's last eight characters, which are random, so a reference reveals nothing.
func referenceFor(id safeguarding.ConcernID) string {
	s := strings.ToUpper(string(id))
	if len(s) > 8 {
		s = s[len(s)-8:]
	}
	return "C-" + s
}

// CanView applies rules P2 and C5 to this concern.
func (c Concern) CanView(p safeguarding.Principal) bool { return c.Visibility().CanView(p) }

// Visibility is who may see the concern and everything that repeats it.
func (c Concern) Visibility() safeguarding.Visibility {
	return safeguarding.Visibility{School: c.school, Author: c.authorEmail, Tagged: c.TagStaff(),
		AboutStaff: c.aboutStaff, Subject: c.subjectStaffEmail}
}

func (c Concern) ID() safeguarding.ConcernID { return c.id }

func (c Concern) Reference() string { return c.reference }

func (c Concern) School() safeguarding.SchoolID { return c.school }

func (c Concern) Pupils() []safeguarding.LinkedPupil { return slices.Clone(c.pupils) }

func (c Concern) Category() safeguarding.Category { return c.category }

func (c Concern) Subcategories() []string { return slices.Clone(c.subcategories) }

func (c Concern) HighPriority() bool { return c.highPriority }

func (c Concern) ObservedAt() time.Time { return c.observedAt }

func (c Concern) RecordedAt() time.Time { return c.recordedAt }

func (c Concern) Deadline() time.Time { return c.deadline }

func (c Concern) Late() bool { return c.late }

func (c Concern) MinutesLate() int { return c.minutesLate }

func (c Concern) Details() string { return c.details }

func (c Concern) PupilWords() string { return c.pupilWords }

func (c Concern) PeopleInvolved() []string { return slices.Clone(c.peopleInvolved) }

func (c Concern) TagStaff() []string { return slices.Clone(c.tagStaff) }

func (c Concern) AboutStaff() bool { return c.aboutStaff }

// TaggedIndexed is who the concern is listed for among the concerns they were tagged in
// (A111): each member of staff tagged once, not its author (who finds it among their own) and
// never the member of staff it is about (C5).
func (c Concern) TaggedIndexed() []string {
	var out []string
	for _, e := range c.tagStaff {
		if e == c.authorEmail || (c.aboutStaff && e == c.subjectStaffEmail) || slices.Contains(out, e) {
			continue
		}
		out = append(out, e)
	}
	return out
}

// IndexItems is how many index items the concern's transaction writes beside it: one per
// member of staff it is listed for as tagged (A111), and one when it is about a member of
// staff (A112).
func (c Concern) IndexItems() int {
	n := len(c.TaggedIndexed())
	if c.aboutStaff {
		n++
	}
	return n
}

func (c Concern) SubjectStaffEmail() string { return c.subjectStaffEmail }

func (c Concern) AuthorEmail() string { return c.authorEmail }

func (c Concern) AuthorName() string { return c.authorName }

func (c Concern) Version() int { return c.version }

// ResponseDueAt is when the DSLs' first action on the concern is due (rule D1): the end of the
// school day it was recorded, or of the next school day, by the school's own calendar. Zero for
// a concern recorded before the product kept it.
func (c Concern) ResponseDueAt() time.Time { return c.responseDueAt }

// ActionTakenAt is when a DSL first recorded an action on the concern (zero until then).
func (c Concern) ActionTakenAt() time.Time { return c.actionTakenAt }

// Responded reports whether a DSL or the Senior DSL has recorded anything on the concern: an
// action, or a decision on its case (closing it, marking it complex, reviewing it), which meets
// rule D1 as an action does.
func (c Concern) Responded() bool { return !c.actionTakenAt.IsZero() || !c.responseMetAt.IsZero() }

// MeetResponse records that a DSL's decision on the case at at met rule D1 (an action meets it
// in the store, with the reporter's status, D7).
func (c *Concern) MeetResponse(at time.Time) {
	if c.responseMetAt.IsZero() {
		c.responseMetAt = at.UTC()
	}
}

// ResponseOverdue reports whether no DSL has acted on the concern by its due time (rule D1).
func (c Concern) ResponseOverdue(now time.Time) bool {
	return !c.responseDueAt.IsZero() && !c.Responded() && now.After(c.responseDueAt)
}

// ResponseDueItem is rule D1's due item, opened with the concern in its transaction and met by
// the first action a DSL or the Senior DSL records on it. Its ladder alerts the DSLs and the
// Senior DSL who may see the concern: the Senior DSL alone for a concern about a member of
// staff (C5), and never its subject (S6).
func (c Concern) ResponseDueItem() safeguarding.DueItem {
	kind := safeguarding.DueConcernResponse
	var exclude []string
	if c.aboutStaff {
		kind, exclude = safeguarding.DueStaffConcernResponse, []string{c.subjectStaffEmail}
	}
	return safeguarding.DueItem{ID: string(c.id) + "-D1", School: c.school, Kind: kind, Reference: c.reference,
		Subject: string(c.id), Exclude: exclude, Due: safeguarding.NewResponseDue(c.responseDueAt)}
}

// ConcernSnapshot is every field of a stored concern, for a store to rebuild it.
type ConcernSnapshot struct {
	ID                safeguarding.ConcernID
	Reference         string
	School            safeguarding.SchoolID
	Pupils            []safeguarding.LinkedPupil
	Category          safeguarding.Category
	Subcategories     []string
	HighPriority      bool
	ObservedAt        time.Time
	RecordedAt        time.Time
	Deadline          time.Time
	Late              bool
	MinutesLate       int
	Details           string
	PupilWords        string
	PeopleInvolved    []string
	TagStaff          []string
	AboutStaff        bool
	SubjectStaffEmail string
	AuthorEmail       string
	AuthorName        string
	Version           int
	Closed            bool
	Complex           bool
	CaseEvents        []CaseEvent
	// Revision is the content's revision (1 for the original); Amended* describe the latest
	// amendment, if any.
	Revision      int
	AmendedAt     time.Time
	AmendedBy     string
	AmendedReason string
	// DSLOpenedAt and ActionTakenAt are the status the reporter sees (rule D7).
	DSLOpenedAt   time.Time
	ActionTakenAt time.Time
	// ResponseDueAt is rule D1's due time (zero on a concern recorded before it was kept);
	// ResponseMetAt is when a DSL's case decision met it before any action did.
	ResponseDueAt time.Time
	ResponseMetAt time.Time
	BodyMap       []BodyMark
}

// Snapshot exposes every field, for a store to save.
func (c Concern) Snapshot() ConcernSnapshot {
	s := ConcernSnapshot{
		ID: c.id, Reference: c.reference, School: c.school, Pupils: c.Pupils(), Category: c.category,
		Subcategories: c.Subcategories(), HighPriority: c.highPriority, ObservedAt: c.observedAt,
		RecordedAt: c.recordedAt, Deadline: c.deadline, Late: c.late, MinutesLate: c.minutesLate,
		Details: c.details, PupilWords: c.pupilWords, PeopleInvolved: c.PeopleInvolved(),
		TagStaff: c.TagStaff(), AboutStaff: c.aboutStaff, SubjectStaffEmail: c.subjectStaffEmail,
		AuthorEmail: c.authorEmail, AuthorName: c.authorName, Version: c.version,
		Closed: c.closed, Complex: c.complex, CaseEvents: c.CaseEvents(), Revision: max(c.revision, 1),
		DSLOpenedAt: c.dslOpenedAt, ActionTakenAt: c.actionTakenAt, ResponseDueAt: c.responseDueAt, ResponseMetAt: c.responseMetAt, BodyMap: c.BodyMap(),
	}
	if c.amended != nil {
		s.AmendedAt, s.AmendedBy, s.AmendedReason = c.amended.At, c.amended.By, c.amended.Reason
	}
	return s
}

// RestoreConcern rebuilds a concern a store saved. Only stores call it.
func RestoreConcern(s ConcernSnapshot) Concern {
	c := Concern{
		id: s.ID, reference: s.Reference, school: s.School, pupils: s.Pupils, category: s.Category,
		subcategories: s.Subcategories, highPriority: s.HighPriority, observedAt: s.ObservedAt,
		recordedAt: s.RecordedAt, deadline: s.Deadline, late: s.Late, minutesLate: s.MinutesLate,
		details: s.Details, pupilWords: s.PupilWords, peopleInvolved: s.PeopleInvolved,
		tagStaff: s.TagStaff, aboutStaff: s.AboutStaff, subjectStaffEmail: s.SubjectStaffEmail,
		authorEmail: s.AuthorEmail, authorName: s.AuthorName, version: s.Version,
		closed: s.Closed, complex: s.Complex, caseEvents: s.CaseEvents, revision: s.Revision,
		dslOpenedAt: s.DSLOpenedAt, actionTakenAt: s.ActionTakenAt, responseDueAt: s.ResponseDueAt, responseMetAt: s.ResponseMetAt, bodyMap: s.BodyMap,
	}
	if s.AmendedBy != "" {
		c.amended = &amendedBy{At: s.AmendedAt, By: s.AmendedBy, Reason: s.AmendedReason}
	}
	return c
}
