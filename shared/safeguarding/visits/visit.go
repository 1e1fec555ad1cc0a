package visits

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// Home visits during a closure (rules V1-V8). A DSL plans a visit to a family with two staff
// and a line manager who knows where, when and who (V2); the Senior DSL authorises it (V1);
// the staff call ahead (V3) and start it; on the doorstep they record each child seen or not
// seen (V4), raise any immediate concern as a high-priority concern (V5), write their
// observations within 24 hours (V6), arrange the next visit (V7) and check out; a check-out
// that does not arrive in time raises the lone-worker alarm (V8).

// VisitStatus is where a home visit stands.
type VisitStatus string

const (
	VisitPlanned    VisitStatus = "planned"
	VisitAuthorised VisitStatus = "authorised"
	VisitDeclined   VisitStatus = "declined" // the family did not want contact (V3)
	VisitCancelled  VisitStatus = "cancelled"
	VisitInProgress VisitStatus = "in-progress"
	VisitCheckedOut VisitStatus = "checked-out"
)

// Call-ahead outcomes (V3).
const (
	CallAgreed   = "agreed"
	CallNoAnswer = "no-answer"
	CallDeclined = "declined"
)

// CallOutcomes lists them, in the order screens show them.
var CallOutcomes = []string{CallAgreed, CallNoAnswer, CallDeclined}

// Limits and defaults of home visits.
const (
	MinVisitStaff  = 2 // V2: pairs
	MaxVisitStaff  = 4
	MaxVisitLength = 8 * time.Hour
	MaxVisitAhead  = 60 * 24 * time.Hour
	// VisitStartEarly is how long before the planned start staff may set off.
	VisitStartEarly = time.Hour
	// ObservationsWithin is rule V6's deadline after the visit's planned end.
	ObservationsWithin = 24 * time.Hour
	maxNextVisitAhead  = 90 * 24 * time.Hour
	// MaxReasonChars bounds the plan's reason: why a visit, and why now.
	MaxReasonChars = 2000
)

// NewVisit is what a DSL plans (V2).
type NewVisit struct {
	FamilyID         string
	StaffEmails      []string
	LineManagerEmail string
	PlannedStart     time.Time
	PlannedEnd       time.Time
	// Reason is why a visit, and why now: what the Senior DSL authorises on (V1). Required,
	// unless WithoutReason.
	Reason string
	// WithoutReason: the plan came through the API without the field, whose contract predates
	// it; the visit is kept without a reason and the Senior DSL is told none was given.
	WithoutReason bool
}

// CallAhead is one call to the family before the visit (V3).
type CallAhead struct {
	At      time.Time
	By      string
	Outcome string
	Notes   string
}

// ChildSeen says whether one child was seen on the doorstep (V4).
type ChildSeen struct {
	Pupil safeguarding.PupilID
	Seen  bool
	Notes string
}

// Doorstep is the record made on the doorstep (V4).
type Doorstep struct {
	At       time.Time
	By       string
	Children []ChildSeen
}

// Appearance is what staff observed of someone's emotional and physical appearance (V4).
type Appearance struct {
	Emotional string
	Physical  string
}

// ChildObservation is the observations of one child.
type ChildObservation struct {
	Pupil safeguarding.PupilID
	Appearance
}

// Observations are the visit's written observations of the children and the adults (V4),
// due within 24 hours (V6); a later record is accepted and marked late.
type Observations struct {
	At          time.Time
	By          string
	Children    []ChildObservation
	Adults      Appearance
	Late        bool
	MinutesLate int
}

// NextVisit is what was arranged before leaving (V7): the next visit's time, or why there
// is none, and the support offered or signposted.
type NextVisit struct {
	At             time.Time
	By             string
	NextAt         time.Time
	NoneReason     string
	SupportOffered string
}

// VisitConcern is a concern raised on the visit (V5).
type VisitConcern struct {
	ID        safeguarding.ConcernID
	Reference string
	At        time.Time
	By        string
}

// VisitSnapshot is every field of a visit, for the store and for screens.
type VisitSnapshot struct {
	ID           string
	School       safeguarding.SchoolID
	Reference    string
	Family       string
	Children     []safeguarding.PupilID
	Staff        []string
	LineManager  string
	PlannedStart time.Time
	PlannedEnd   time.Time
	PlannedBy    string
	PlannedAt    time.Time
	// Reason is why a visit, and why now (V1); empty on a visit planned before plans gave one.
	Reason       string
	Status       VisitStatus
	AuthorisedBy string
	AuthorisedAt time.Time
	Calls        []CallAhead
	StartedAt    time.Time
	StartedBy    string
	StaffPresent []string
	Doorstep     *Doorstep
	Concerns     []VisitConcern
	Observations *Observations
	Next         *NextVisit
	CheckedOutAt time.Time
	CheckedOutBy string
	CancelledAt  time.Time
	CancelledBy  string
	CancelReason string
	// The due items' states (zero until the visit starts).
	Checkout        safeguarding.DueState
	ObservationsDue safeguarding.DueState
	NextDue         safeguarding.DueState
	Version         int
}

// Visit is a home visit. Its fields are kept unexported: PlanVisit and the changes below
// enforce the rules, and only a store rebuilds one (RestoreVisit).
type Visit struct{ s VisitSnapshot }

// RestoreVisit rebuilds a visit a store saved.
func RestoreVisit(s VisitSnapshot) Visit { return Visit{s: s} }

// Snapshot returns a copy of every field.
func (v Visit) Snapshot() VisitSnapshot {
	s := v.s
	s.Children, s.Staff, s.StaffPresent = slices.Clone(s.Children), slices.Clone(s.Staff), slices.Clone(s.StaffPresent)
	s.Calls, s.Concerns = slices.Clone(s.Calls), slices.Clone(s.Concerns)
	return s
}

func (v Visit) ID() string { return v.s.ID }

func (v Visit) School() safeguarding.SchoolID { return v.s.School }

func (v Visit) Family() string { return v.s.Family }

func (v Visit) Reference() string { return v.s.Reference }

func (v Visit) Status() VisitStatus { return v.s.Status }

func (v Visit) Children() []safeguarding.PupilID { return slices.Clone(v.s.Children) }

func (v Visit) Version() int { return v.s.Version }

func (v Visit) CheckoutDue() safeguarding.DueState { return v.s.Checkout }

func (v Visit) PlannedEnd() time.Time { return v.s.PlannedEnd }

func (v Visit) PlannedStart() time.Time { return v.s.PlannedStart }

// Reason is why the visit was planned, and why now (V1); empty on an older visit.
func (v Visit) Reason() string { return v.s.Reason }

// VisitReference is what alerts and screens quote instead of names (rule S2): the id's last
// eight characters, which are random.
func VisitReference(id string) string {
	s := strings.ToUpper(id)
	if len(s) > 8 {
		s = s[len(s)-8:]
	}
	return "V-" + s
}

// CanView reports whether p may see the visit: the school's DSLs and Senior DSL, the staff
// who go and their line manager.
func (v Visit) CanView(p safeguarding.Principal) bool {
	if !p.IsMember(v.s.School) {
		return false
	}
	return p.IsDSL(v.s.School) || v.isStaff(p.Email) || p.Email == v.s.LineManager
}

func (v Visit) isStaff(email string) bool { return slices.Contains(v.s.Staff, email) }

// lead is who the visit's paperwork (V6, V7) is assigned to: the first of the staff who went.
func (v Visit) lead() string {
	if len(v.s.StaffPresent) > 0 {
		return v.s.StaffPresent[0]
	}
	return v.s.Staff[0]
}

// VisitBlock is a family's block on home visits (V3): set when the family says it does not
// want contact, lifted only by a DSL. Its history keeps every block and lift.
type VisitBlock struct {
	School  safeguarding.SchoolID
	Family  string
	Blocked bool
	History []BlockEvent
	Version int
}

// BlockEvent is one block or lift of a family's home visits.
type BlockEvent struct {
	At     time.Time
	By     string
	Kind   string // "blocked" or "lifted"
	Visit  string
	Reason string
}

// blockedProblem is what planning or starting a visit to a blocked family is told.
func blockedProblem() error {
	var ps safeguarding.Problems
	ps.Add("familyId", "the family said it does not want contact: visits are blocked until a DSL lifts the block (V3)")
	return ps.Err()
}

// ErrVisitsBlocked is returned by a store when a family was blocked between the read and
// the write; errors.Is(err, ErrInvalid) holds.
var ErrVisitsBlocked = blockedProblem()

// PlanVisit checks a DSL's plan (V2): two to four staff of the school, a line manager who is
// someone else, a time window ahead, a family of the school with children that has not
// declined visits.
func PlanVisit(id string, in NewVisit, by safeguarding.Principal, school safeguarding.School, family *contact.Family, block VisitBlock, now time.Time) (Visit, error) {
	if !by.IsDSL(school.ID) {
		return Visit{}, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	switch {
	case family == nil || family.School() != school.ID:
		ps.Add("familyId", "no such family in this school")
	case len(family.Children()) == 0:
		ps.Add("familyId", "the family has no children at this school")
	case block.Blocked:
		return Visit{}, blockedProblem()
	}
	var staff []string
	for _, e := range in.StaffEmails {
		addr, ok := safeguarding.NormaliseEmail(e)
		switch {
		case !ok:
			ps.Add("staffEmails", "%q is not an email address", e)
		case !school.HasStaff(addr):
			ps.Add("staffEmails", "%q is not on the staff of this school", e)
		case slices.Contains(staff, addr):
			ps.Add("staffEmails", "%q is listed twice", e)
		default:
			staff = append(staff, addr)
		}
	}
	if len(in.StaffEmails) < MinVisitStaff || len(in.StaffEmails) > MaxVisitStaff {
		ps.Add("staffEmails", "a home visit is made by %d to %d staff, never alone (V2)", MinVisitStaff, MaxVisitStaff)
	}
	lm, ok := safeguarding.NormaliseEmail(in.LineManagerEmail)
	switch {
	case !ok:
		ps.Add("lineManagerEmail", "name the line manager who will know where the staff are (V2)")
	case !school.HasStaff(lm):
		ps.Add("lineManagerEmail", "%q is not on the staff of this school", in.LineManagerEmail)
	case slices.Contains(staff, lm):
		ps.Add("lineManagerEmail", "the line manager is someone who is not going on the visit (V2)")
	}
	start, end := in.PlannedStart.UTC(), in.PlannedEnd.UTC()
	switch {
	case start.IsZero():
		ps.Add("plannedStart", "say when the visit starts")
	case start.Before(now.Add(-concerns.ClockSkew)):
		ps.Add("plannedStart", "cannot be in the past")
	case start.After(now.Add(MaxVisitAhead)):
		ps.Add("plannedStart", "at most %d days ahead", int(MaxVisitAhead.Hours()/24))
	}
	switch {
	case end.IsZero():
		ps.Add("plannedEnd", "say when the visit ends")
	case !end.After(start):
		ps.Add("plannedEnd", "must be after the planned start")
	case end.Sub(start) > MaxVisitLength:
		ps.Add("plannedEnd", "a visit lasts at most %d hours", int(MaxVisitLength.Hours()))
	}
	reason := strings.TrimSpace(in.Reason)
	switch {
	case reason == "" && in.WithoutReason && in.Reason == "":
	case reason == "":
		ps.Add("reason", "say why a home visit, and why now: the Senior DSL authorises it on this (V1)")
	case !PlainText(reason):
		ps.Add("reason", "write plain text, without control characters")
	default:
		safeguarding.CheckText(&ps, "reason", reason, MaxReasonChars)
	}
	if err := ps.Err(); err != nil {
		return Visit{}, err
	}
	return Visit{s: VisitSnapshot{
		ID: id, School: school.ID, Reference: VisitReference(id), Family: family.ID(), Children: family.Pupils(),
		Staff: staff, LineManager: lm, PlannedStart: start, PlannedEnd: end, PlannedBy: by.Email, PlannedAt: now.UTC(),
		Reason: reason, Status: VisitPlanned, Version: 1,
	}}, nil
}

// PlainText reports whether s is valid UTF-8 text with no control character but line breaks
// and tabs, and no character that reorders or splits what a screen or a printout shows (the
// bidirectional overrides, the line and paragraph separators): what a person types in a box.
func PlainText(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		switch {
		case r == '\n' || r == '\r' || r == '\t':
		case unicode.IsControl(r), r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u2028', r == '\u2029':
			return false
		}
	}
	return true
}

// sentence ends s with a full stop unless it ends a sentence already.
func sentence(s string) string {
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// stateProblem refuses a change the visit's status does not allow.
func stateProblem(field, format string, args ...any) error {
	var ps safeguarding.Problems
	ps.Add(field, format, args...)
	return ps.Err()
}

// Authorise records the Senior DSL's authorisation (V1).
func (v *Visit) Authorise(p safeguarding.Principal, now time.Time) error {
	if !p.Has(v.s.School, safeguarding.RoleSeniorDSL) {
		return safeguarding.ErrForbidden
	}
	if v.s.Status != VisitPlanned {
		return fmt.Errorf("visit %s is %s: %w", v.s.ID, v.s.Status, safeguarding.ErrConflict)
	}
	v.s.Status, v.s.AuthorisedBy, v.s.AuthorisedAt = VisitAuthorised, p.Email, now.UTC()
	return nil
}

// RecordCall records a call ahead (V3) by one of the staff or a DSL. A family that does not
// want contact declines the visit, and staff do not persist: block is then the block this
// puts on the family's visits until a DSL lifts it.
func (v *Visit) RecordCall(p safeguarding.Principal, outcome, notes string, now time.Time) (block *BlockEvent, err error) {
	if !v.isStaff(p.Email) && !p.IsDSL(v.s.School) {
		return nil, safeguarding.ErrForbidden
	}
	var ps safeguarding.Problems
	if !slices.Contains(CallOutcomes, outcome) {
		ps.Add("outcome", "must be one of %s", strings.Join(CallOutcomes, ", "))
	}
	notes = strings.TrimSpace(notes)
	safeguarding.CheckText(&ps, "notes", notes, safeguarding.MaxNotesChars)
	if v.s.Status != VisitPlanned && v.s.Status != VisitAuthorised {
		ps.Add("status", "calls ahead are recorded before the visit starts; this visit is %s", v.s.Status)
	}
	if err := ps.Err(); err != nil {
		return nil, err
	}
	v.s.Calls = append(v.s.Calls, CallAhead{At: now.UTC(), By: p.Email, Outcome: outcome, Notes: notes})
	if outcome != CallDeclined {
		return nil, nil
	}
	v.s.Status = VisitDeclined
	return &BlockEvent{At: now.UTC(), By: p.Email, Kind: "blocked", Visit: v.s.ID, Reason: "the family does not want contact"}, nil
}

// Start sets off on an authorised visit (V1), called ahead (V3), with at least two of the
// planned staff (V2); present is who is going now (empty: everyone planned). It opens the
// visit's due items: the check-out alarm at the planned end plus the school's lone-worker
// minutes (V8), the observations 24 hours after the planned end (V6) and the next visit by
// the planned end (V7).
func (v *Visit) Start(p safeguarding.Principal, present []string, school safeguarding.School, now time.Time) error {
	if !v.isStaff(p.Email) {
		return safeguarding.ErrForbidden
	}
	switch v.s.Status {
	case VisitInProgress, VisitCheckedOut:
		return fmt.Errorf("visit %s is %s: %w", v.s.ID, v.s.Status, safeguarding.ErrConflict)
	case VisitPlanned:
		return stateProblem("status", "the Senior DSL has not authorised this visit: it cannot start (V1)")
	case VisitDeclined, VisitCancelled:
		return stateProblem("status", "this visit was %s", v.s.Status)
	}
	var ps safeguarding.Problems
	if len(v.s.Calls) == 0 {
		ps.Add("calledAhead", "call the family ahead and record it before setting off (V3)")
	}
	if len(present) == 0 {
		present = v.s.Staff
	}
	var going []string
	for _, e := range present {
		addr, _ := safeguarding.NormaliseEmail(e)
		switch {
		case !v.isStaff(addr):
			ps.Add("staffEmails", "%q is not planned for this visit: plan it again so the line manager knows who is going (V2)", e)
		case !slices.Contains(going, addr):
			going = append(going, addr)
		}
	}
	if len(going) < MinVisitStaff {
		ps.Add("staffEmails", "a home visit needs at least %d staff: it cannot start with one (V2)", MinVisitStaff)
	}
	if !slices.Contains(going, p.Email) {
		ps.Add("staffEmails", "the person starting the visit is one of those going")
	}
	switch {
	case !now.Before(v.s.PlannedEnd):
		ps.Add("plannedEnd", "the planned end has passed: plan the visit again so the line manager knows the time (V2)")
	case now.Before(v.s.PlannedStart.Add(-VisitStartEarly)):
		ps.Add("plannedStart", "the visit is planned for %s", v.s.PlannedStart.In(safeguarding.London).Format("Mon 2 Jan 15:04"))
	}
	if err := ps.Err(); err != nil {
		return err
	}
	v.s.Status, v.s.StartedAt, v.s.StartedBy, v.s.StaffPresent = VisitInProgress, now.UTC(), p.Email, going
	v.s.Checkout = NewAlarmState(v.s.PlannedEnd.Add(school.LoneWorkerAfter()))
	v.s.ObservationsDue = safeguarding.NewDueState(v.s.PlannedEnd.Add(ObservationsWithin), now)
	v.s.NextDue = safeguarding.NewDueState(v.s.PlannedEnd, now)
	return nil
}

// started refuses a record before the visit began, or by someone not on it.
func (v Visit) started(p safeguarding.Principal) error {
	if !v.isStaff(p.Email) {
		return safeguarding.ErrForbidden
	}
	if v.s.Status != VisitInProgress && v.s.Status != VisitCheckedOut {
		return stateProblem("status", "the visit has not started")
	}
	return nil
}

// checkChildren checks that every child of the visit is named exactly once.
func (v Visit) checkChildren(ps *safeguarding.Problems, field string, named []safeguarding.PupilID) {
	seen := map[safeguarding.PupilID]bool{}
	for _, id := range named {
		switch {
		case !slices.Contains(v.s.Children, id):
			ps.Add(field, "%q is not a child of this family at this school", id)
		case seen[id]:
			ps.Add(field, "%q is listed twice", id)
		}
		seen[id] = true
	}
	for _, id := range v.s.Children {
		if !seen[id] {
			ps.Add(field, "say for every child: %q is missing", id)
		}
	}
}

// RecordDoorstep records, on the doorstep, whether each child was seen (V4). Staff stay on the
// doorstep and cannot insist on seeing the children: "not seen" is a valid answer.
func (v *Visit) RecordDoorstep(p safeguarding.Principal, children []ChildSeen, now time.Time) error {
	if err := v.started(p); err != nil {
		return err
	}
	if v.s.Doorstep != nil {
		return fmt.Errorf("visit %s: the doorstep record was made: %w", v.s.ID, safeguarding.ErrConflict)
	}
	var ps safeguarding.Problems
	ids := make([]safeguarding.PupilID, len(children))
	for i := range children {
		ids[i] = children[i].Pupil
		children[i].Notes = strings.TrimSpace(children[i].Notes)
		safeguarding.CheckText(&ps, "children.notes", children[i].Notes, safeguarding.MaxNotesChars)
	}
	v.checkChildren(&ps, "children", ids)
	if err := ps.Err(); err != nil {
		return err
	}
	v.s.Doorstep = &Doorstep{At: now.UTC(), By: p.Email, Children: slices.Clone(children)}
	return nil
}

// ImmediateConcern is a concern for a child, seen or not seen, raised on a visit (V5).
type ImmediateConcern struct {
	Pupils  []safeguarding.PupilID // empty: every child of the visit
	Details string
}

// RaiseConcern turns an immediate concern on a started visit into a high-priority
// safeguarding concern about the children it names (V5, C4), recorded by p now, and notes it
// on the visit. The answer to the person shows the school's duty team number.
func (v *Visit) RaiseConcern(id safeguarding.ConcernID, p safeguarding.Principal, school safeguarding.School, in ImmediateConcern, cat concerns.Catalogue, cal safeguarding.Calendar, now time.Time) (concerns.Concern, error) {
	if err := v.started(p); err != nil {
		return concerns.Concern{}, err
	}
	pupils := in.Pupils
	if len(pupils) == 0 {
		pupils = v.s.Children
	}
	var ps safeguarding.Problems
	known := map[safeguarding.PupilID]safeguarding.Pupil{}
	for _, id := range pupils {
		if !slices.Contains(v.s.Children, id) {
			ps.Add("pupilIds", "%q is not a child of this family at this school", id)
		}
		known[id] = safeguarding.Pupil{ID: id, School: v.s.School}
	}
	details := strings.TrimSpace(in.Details)
	if details == "" {
		ps.Add("details", "write what the concern is: it goes to the DSLs at once as high priority (V5)")
	}
	if err := ps.Err(); err != nil {
		return concerns.Concern{}, err
	}
	c, err := concerns.RecordConcern(id, concerns.NewConcern{PupilIDs: pupils, Category: string(safeguarding.CategorySafeguarding), HighPriority: true,
		ObservedAt: now, Details: "Immediate concern on home visit " + v.s.Reference + ": " + details}, p, school, known, cat, cal, now)
	if err != nil {
		return concerns.Concern{}, err
	}
	v.s.Concerns = append(v.s.Concerns, VisitConcern{ID: c.ID(), Reference: c.Reference(), At: now.UTC(), By: p.Email})
	return c, nil
}

// RecordObservations records the observations of the children's and adults' emotional and
// physical appearance (V4), due within 24 hours of the visit (V6); a later record is accepted
// and marked late. It takes the observations off the deadline ladder.
func (v *Visit) RecordObservations(p safeguarding.Principal, children []ChildObservation, adults Appearance, now time.Time) error {
	if err := v.started(p); err != nil {
		return err
	}
	if v.s.Observations != nil {
		return fmt.Errorf("visit %s: observations were recorded: %w", v.s.ID, safeguarding.ErrConflict)
	}
	var ps safeguarding.Problems
	ids := make([]safeguarding.PupilID, len(children))
	written := false
	for i := range children {
		c := &children[i]
		ids[i] = c.Pupil
		c.Emotional, c.Physical = strings.TrimSpace(c.Emotional), strings.TrimSpace(c.Physical)
		safeguarding.CheckText(&ps, "children.emotional", c.Emotional, safeguarding.MaxNotesChars)
		safeguarding.CheckText(&ps, "children.physical", c.Physical, safeguarding.MaxNotesChars)
		written = written || c.Emotional != "" || c.Physical != ""
	}
	v.checkChildren(&ps, "children", ids)
	adults.Emotional, adults.Physical = strings.TrimSpace(adults.Emotional), strings.TrimSpace(adults.Physical)
	safeguarding.CheckText(&ps, "adults.emotional", adults.Emotional, safeguarding.MaxNotesChars)
	safeguarding.CheckText(&ps, "adults.physical", adults.Physical, safeguarding.MaxNotesChars)
	if !written && adults.Emotional == "" && adults.Physical == "" {
		ps.Add("children", "write what you observed of the children and the adults (V4)")
	}
	if err := ps.Err(); err != nil {
		return err
	}
	late, minutes := safeguarding.Lateness(v.s.ObservationsDue.DueAt, now)
	v.s.Observations = &Observations{At: now.UTC(), By: p.Email, Children: slices.Clone(children), Adults: adults, Late: late, MinutesLate: minutes}
	v.s.ObservationsDue = v.s.ObservationsDue.Stop()
	return nil
}

// RecordNext records the next visit arranged before leaving, or why there is none, and the
// support offered or signposted (V7). It takes the next visit off the deadline ladder.
func (v *Visit) RecordNext(p safeguarding.Principal, in NextVisit, now time.Time) error {
	if err := v.started(p); err != nil {
		return err
	}
	if v.s.Next != nil {
		return fmt.Errorf("visit %s: the next visit was recorded: %w", v.s.ID, safeguarding.ErrConflict)
	}
	var ps safeguarding.Problems
	in.NoneReason, in.SupportOffered = strings.TrimSpace(in.NoneReason), strings.TrimSpace(in.SupportOffered)
	switch {
	case in.NextAt.IsZero() && in.NoneReason == "":
		ps.Add("nextVisitAt", "give the next visit's date and time, or why there is none (V7)")
	case !in.NextAt.IsZero() && in.NoneReason != "":
		ps.Add("noNextVisitReason", "either a next visit or a reason for none, not both")
	case !in.NextAt.IsZero() && !in.NextAt.After(now):
		ps.Add("nextVisitAt", "must be in the future")
	case in.NextAt.After(now.Add(maxNextVisitAhead)):
		ps.Add("nextVisitAt", "at most %d days ahead", int(maxNextVisitAhead.Hours()/24))
	}
	if in.SupportOffered == "" {
		ps.Add("supportOffered", "record the support offered or signposted, or write none (V7)")
	}
	safeguarding.CheckText(&ps, "noNextVisitReason", in.NoneReason, safeguarding.MaxNotesChars)
	safeguarding.CheckText(&ps, "supportOffered", in.SupportOffered, safeguarding.MaxNotesChars)
	if err := ps.Err(); err != nil {
		return err
	}
	in.At, in.By, in.NextAt = now.UTC(), p.Email, in.NextAt.UTC()
	v.s.Next = &in
	v.s.NextDue = v.s.NextDue.Stop()
	return nil
}

// CheckOut records that the staff left and checked out with their line manager (V8): one of
// the staff, or the line manager recording their call. It is never refused for missing
// paperwork. It stops the lone-worker alarm; the step it had reached says who was alarmed.
// Observations not yet recorded fall due ObservationsWithin after it (V6), on a fresh ladder.
func (v *Visit) CheckOut(p safeguarding.Principal, now time.Time) (alarmed int, err error) {
	if !v.isStaff(p.Email) && p.Email != v.s.LineManager {
		return 0, safeguarding.ErrForbidden
	}
	switch v.s.Status {
	case VisitCheckedOut:
		return 0, fmt.Errorf("visit %s is checked out: %w", v.s.ID, safeguarding.ErrConflict)
	case VisitInProgress:
	default:
		return 0, stateProblem("status", "the visit has not started")
	}
	alarmed = v.s.Checkout.Step
	v.s.Status, v.s.CheckedOutAt, v.s.CheckedOutBy = VisitCheckedOut, now.UTC(), p.Email
	v.s.Checkout = v.s.Checkout.Stop()
	if v.s.ObservationsDue.Active && v.s.ObservationsDue.Step <= safeguarding.StepReminded {
		// Rule V6 counts from the visit's actual end, its check-out, not the planned end (a
		// check-out so late that the observations are already overdue leaves them on their
		// ladder, whose steps are not sent twice).
		v.s.ObservationsDue = safeguarding.NewDueState(now.Add(ObservationsWithin), now)
	}
	return alarmed, nil
}

// Cancel calls off a visit that has not started (a DSL), with a reason.
func (v *Visit) Cancel(p safeguarding.Principal, reason string, now time.Time) error {
	if !p.IsDSL(v.s.School) {
		return safeguarding.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	var ps safeguarding.Problems
	if reason == "" {
		ps.Add("reason", "say why the visit is cancelled")
	}
	safeguarding.CheckText(&ps, "reason", reason, safeguarding.MaxNotesChars)
	if v.s.Status != VisitPlanned && v.s.Status != VisitAuthorised {
		ps.Add("status", "only a visit that has not started can be cancelled; this one is %s", v.s.Status)
	}
	if err := ps.Err(); err != nil {
		return err
	}
	v.s.Status, v.s.CancelledAt, v.s.CancelledBy, v.s.CancelReason = VisitCancelled, now.UTC(), p.Email, reason
	return nil
}

// Lift lifts a family's block on home visits (V3): a DSL, with a reason.
func (b VisitBlock) Lift(p safeguarding.Principal, reason string, now time.Time) (VisitBlock, error) {
	if !p.IsDSL(b.School) {
		return VisitBlock{}, safeguarding.ErrForbidden
	}
	reason = strings.TrimSpace(reason)
	var ps safeguarding.Problems
	if reason == "" {
		ps.Add("reason", "say why visits to the family may go ahead again")
	}
	safeguarding.CheckText(&ps, "reason", reason, safeguarding.MaxNotesChars)
	if err := ps.Err(); err != nil {
		return VisitBlock{}, err
	}
	if !b.Blocked {
		return VisitBlock{}, fmt.Errorf("visits to family %s are not blocked: %w", b.Family, safeguarding.ErrConflict)
	}
	next := b
	next.Blocked, next.Version = false, b.Version+1
	next.History = append(slices.Clone(b.History), BlockEvent{At: now.UTC(), By: p.Email, Kind: "lifted", Reason: reason})
	return next, nil
}

// DueItems are the visit's items on the deadline engine, once it started.
func (v Visit) DueItems() []safeguarding.DueItem {
	if v.s.StartedAt.IsZero() {
		return nil
	}
	return []safeguarding.DueItem{v.dueItem(safeguarding.DueVisitCheckout), v.dueItem(safeguarding.DueVisitObservations), v.dueItem(safeguarding.DueVisitNext)}
}

func (v Visit) dueItem(kind string) safeguarding.DueItem {
	d := safeguarding.DueItem{ID: v.s.ID + "-" + strings.TrimPrefix(kind, "visit-"), School: v.s.School, Kind: kind,
		Assignee: v.lead(), Reference: v.s.Reference, Subject: v.s.ID}
	switch kind {
	case safeguarding.DueVisitCheckout:
		d.Assignee, d.Due = v.s.LineManager, v.s.Checkout
	case safeguarding.DueVisitObservations:
		d.Due = v.s.ObservationsDue
	default:
		d.Due = v.s.NextDue
	}
	return d
}

// NewAlarmState starts an item that sends nothing before its due time: the lone-worker
// check-out (V8) is silent until the moment it is missed.
func NewAlarmState(dueAt time.Time) safeguarding.DueState {
	return safeguarding.DueState{DueAt: dueAt.UTC(), NextAt: dueAt.UTC(), Active: true}
}

// SafeAlerts tell the people a lone-worker alarm reached that the staff checked out after
// all (V8), so nobody goes looking for them: step is how far the alarm had gone.
func (v Visit) SafeAlerts(step int, school safeguarding.School, now time.Time) []safeguarding.Alert {
	if step < 1 {
		return nil
	}
	e := safeguarding.Escalation{Step: step, Kind: "lone-worker-safe", Audience: safeguarding.AudienceLineManager, Also: []safeguarding.Audience{safeguarding.AudienceSeniorDSL},
		Channels: []safeguarding.Channel{safeguarding.ChannelSMS, safeguarding.ChannelEmail}, Priority: safeguarding.PriorityHigh}
	if step >= 2 {
		e.Also = append(e.Also, safeguarding.AudienceDSL)
	}
	return safeguarding.EscalationAlerts(v.dueItem(safeguarding.DueVisitCheckout), e, school, now)
}

// visitAlert is one email about a visit to one person.
func (v Visit) visitAlert(kind string, aud safeguarding.Audience, to string, school safeguarding.School) safeguarding.Alert {
	return safeguarding.Alert{ID: v.s.ID + "#" + kind + "#" + to + "#" + string(safeguarding.ChannelEmail), School: v.s.School, SchoolName: school.Name,
		Kind: kind, Audience: aud, Recipient: to, Channel: safeguarding.ChannelEmail, Priority: safeguarding.PriorityNormal,
		Reference: v.s.Reference, Subject: v.s.ID, SubjectKind: safeguarding.SubjectVisit}
}

// PlannedAlerts share the plan with the line manager (V2: they must know where, when and
// who; the alert says only that there is a visit to look at) and ask the Senior DSL to
// authorise it (V1). Nobody is told of what they did themselves.
func (v Visit) PlannedAlerts(school safeguarding.School) []safeguarding.Alert {
	var out []safeguarding.Alert
	if v.s.LineManager != v.s.PlannedBy {
		out = append(out, v.visitAlert("visit-planned", safeguarding.AudienceLineManager, v.s.LineManager, school))
	}
	for _, m := range safeguarding.RosterWith(school.Roster, safeguarding.RoleSeniorDSL) {
		if m.Email != v.s.PlannedBy {
			out = append(out, v.visitAlert("visit-authorisation", safeguarding.AudienceSeniorDSL, m.Email, school))
		}
	}
	return out
}

// StartedAlerts tell the line manager the staff have set off (V8: they expect the check-out).
func (v Visit) StartedAlerts(school safeguarding.School) []safeguarding.Alert {
	return []safeguarding.Alert{v.visitAlert("visit-started", safeguarding.AudienceLineManager, v.s.LineManager, school)}
}

// DeclinedAlerts tell the DSLs a family declined contact: only a DSL can lift the block (V3).
func (v Visit) DeclinedAlerts(school safeguarding.School) []safeguarding.Alert {
	var out []safeguarding.Alert
	for _, m := range safeguarding.RosterWith(school.Roster, safeguarding.RoleDSL) {
		out = append(out, v.visitAlert("visit-declined", safeguarding.AudienceDSL, m.Email, school))
	}
	return out
}

// Entries are one visit entry in each child's chronology (rule H2: every contact and
// attempted contact), written by by; summary gives each child's line.
func (v Visit) Entries(id string, at time.Time, by safeguarding.Principal, summary func(safeguarding.PupilID) string) []safeguarding.ChronologyEntry {
	author := by.Name
	if author == "" {
		author = by.Email
	}
	out := make([]safeguarding.ChronologyEntry, 0, len(v.s.Children))
	for _, c := range v.s.Children {
		out = append(out, safeguarding.ChronologyEntry{ID: id + "#" + string(c), Pupil: c, Type: safeguarding.EntryVisit, At: at.UTC(),
			Reference: v.s.Reference, AuthorName: author, Summary: summary(c),
			Visibility: safeguarding.Visibility{School: v.s.School, Author: by.Email}})
	}
	return out
}

// same is a summary that is the same for every child.
func same(s string) func(safeguarding.PupilID) string {
	return func(safeguarding.PupilID) string { return s }
}

func localTime(t time.Time) string { return t.In(safeguarding.London).Format("Mon 2 Jan 2006 15:04") }

// DoorstepSummary is one child's line of the doorstep record.
func (v Visit) doorstepSummary(c safeguarding.PupilID) string {
	d := v.s.Doorstep
	i := slices.IndexFunc(d.Children, func(s ChildSeen) bool { return s.Pupil == c })
	if i < 0 {
		return ""
	}
	seen := "not seen"
	if d.Children[i].Seen {
		seen = "seen"
	}
	s := fmt.Sprintf("Home visit %s, %s: the child was %s on the doorstep.", v.s.Reference, localTime(d.At), seen)
	if d.Children[i].Notes != "" {
		s += " " + d.Children[i].Notes
	}
	return s
}

func (v Visit) observationsSummary(c safeguarding.PupilID) string {
	o := v.s.Observations
	s := "Home visit " + v.s.Reference + ", observations"
	if o.Late {
		s += fmt.Sprintf(" (recorded %d minutes after the 24 hours allowed)", o.MinutesLate)
	}
	s += "."
	if i := slices.IndexFunc(o.Children, func(x ChildObservation) bool { return x.Pupil == c }); i >= 0 {
		s += appearance(" The child", o.Children[i].Appearance)
	}
	return s + appearance(" The adults", o.Adults)
}

func appearance(who string, a Appearance) string {
	s := ""
	if a.Emotional != "" {
		s += who + ", emotional appearance: " + a.Emotional + "."
	}
	if a.Physical != "" {
		s += who + ", physical appearance: " + a.Physical + "."
	}
	return s
}

func (v Visit) nextSummary() string {
	n := v.s.Next
	s := "Home visit " + v.s.Reference + ": "
	if n.NextAt.IsZero() {
		s += "no next visit (" + n.NoneReason + ")."
	} else {
		s += "next visit arranged for " + localTime(n.NextAt) + "."
	}
	return s + " Support offered or signposted: " + n.SupportOffered
}
