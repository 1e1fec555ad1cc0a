package transfers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// MoveCase is what recording a move reads, in one round trip where the store can.
type MoveCase struct {
	Viewer   safeguarding.Principal
	School   safeguarding.School
	Calendar safeguarding.SchoolCalendar
	Pupil    safeguarding.Pupil
	// To is the receiving school of the federation (zero for a move outside it, or a school
	// that does not exist).
	To safeguarding.School
	// Existing is the transfer already recorded under the request's id (a retry), if any.
	Existing *Transfer
}

// Writes are what one change of a transfer commits with it, in one transaction.
type Writes struct {
	Entries []safeguarding.ChronologyEntry
	Audits  []safeguarding.AuditEntry
	Alerts  []safeguarding.Alert
}

// Store is the storage port of the transfers.
type Store interface {
	// LoadMove reads the viewer, the sending school and its calendar, the pupil (ErrNotFound
	// when the school has none), the receiving school when to is set, and the transfer id if it
	// exists already. A viewer who is not a member of school is ErrForbidden.
	LoadMove(ctx context.Context, viewer string, school safeguarding.SchoolID, pupil safeguarding.PupilID, to safeguarding.SchoolID, id string) (MoveCase, error)
	// Load reads the viewer and a transfer (ErrNotFound when there is none).
	Load(ctx context.Context, viewer string, id string) (safeguarding.Principal, Transfer, error)
	// LoadLink reads a transfer for its link, without a viewer.
	LoadLink(ctx context.Context, id string) (Transfer, error)
	// Save writes t and w in one transaction: a new transfer (Version 1) on the condition that
	// none has its id (ErrDuplicateRequest otherwise), a changed one on the condition that it is
	// still at Version-1 (ErrConflict otherwise). The due item follows the transfer's status.
	Save(ctx context.Context, t Transfer, w Writes) error
	// CopyFile copies what is left of the pupil's whole file into the receiving school of the
	// federation with its provenance, in chunks that each move t's progress on in their own
	// transaction, and returns t as it then stands (Version moved on by each chunk). A copy
	// cut short resumes from t's progress; nothing is written twice.
	CopyFile(ctx context.Context, t Transfer, by string, at time.Time) (Transfer, error)
	// School reads a school's name and alert roster.
	School(ctx context.Context, id safeguarding.SchoolID) (safeguarding.School, error)
	// Transfers lists the viewer and the transfers from and to a school, newest first.
	Transfers(ctx context.Context, viewer string, school safeguarding.SchoolID) (safeguarding.Principal, []Transfer, error)
	// Audit saves one audit entry.
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
	// Federation lists the federation's schools with their names.
	Federation(ctx context.Context) ([]safeguarding.School, error)
}

// Destinations are the schools of the federation a pupil of school may move to, by name, for
// the DSL recording a move to choose from.
func (x Transfers) Destinations(ctx context.Context, p safeguarding.Principal, school safeguarding.SchoolID) ([]Destination, error) {
	if err := MayRecord(p, school); err != nil {
		return nil, err
	}
	all, err := x.Store.Federation(ctx)
	if err != nil {
		return nil, err
	}
	var out []Destination
	for _, sc := range all {
		if sc.ID != school {
			out = append(out, Destination{School: sc.ID, SchoolName: sc.Name})
		}
	}
	slices.SortFunc(out, func(a, b Destination) int { return strings.Compare(a.SchoolName, b.SchoolName) })
	return out, nil
}

// Transfers holds the use cases of rule S5.
type Transfers struct {
	Store Store
	NewID func(at time.Time) string
	// Random makes links' tokens and codes: crypto/rand.Reader in production.
	Random io.Reader
	// Calendar is the bank holidays under every school's own calendar.
	Calendar safeguarding.Calendar
}

// Record records that a pupil has moved to a new school (rule S5): the transfer, due by the end
// of the 5th school day by the sending school's calendar, on the deadline ladder from now, a
// "transfer" entry in the pupil's chronology and the audit entry, in one transaction. With an
// Idempotency-Key, the transfer's id is derived from it, so the same request again answers with
// the transfer it made.
func (x Transfers) Record(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, m Move, idemKey string) (Transfer, error) {
	id := x.NewID(who.At)
	if idemKey != "" {
		id = keyedID(school, who.Email, idemKey)
	}
	mc, err := x.Store.LoadMove(ctx, who.Email, school, pupil, m.ToSchool, id)
	if err != nil {
		return Transfer{}, err
	}
	if err := MayRecord(mc.Viewer, school); err != nil {
		return Transfer{}, err
	}
	if m, err = m.Check(); err != nil {
		return Transfer{}, err
	}
	fp := fingerprint(string(pupil), string(m.ToSchool), m.ToSchoolName, m.ToDSLEmail)
	if mc.Existing != nil {
		return replay(*mc.Existing, fp)
	}
	if mc.Pupil.ID == "" {
		return Transfer{}, fmt.Errorf("pupil %q: %w", pupil, safeguarding.ErrNotFound)
	}
	if m.ToSchool != "" {
		var ps safeguarding.Problems
		switch {
		case m.ToSchool == school:
			ps.Add("toSchool", "the pupil is at this school already; choose the school they move to")
		case mc.To.ID == "":
			ps.Add("toSchool", "choose one of the federation's schools")
		}
		if err := ps.Err(); err != nil {
			return Transfer{}, err
		}
	}
	t := Transfer{ID: id, From: school, FromName: mc.School.Name, Pupil: pupil, PupilName: mc.Pupil.Name,
		To: Destination{School: m.ToSchool, SchoolName: m.ToSchoolName, DSLEmail: m.ToDSLEmail}, Status: StatusDue,
		RecordedBy: who.Email, RecordedAt: who.At.UTC(), Fingerprint: fp, Version: 1}
	if t.To.InFederation() {
		t.To.SchoolName = mc.To.Name
	}
	cal := mc.Calendar
	cal.School, cal.BankHolidays = school, x.Calendar
	t.DueBy = DueBy(cal, who.At, mc.School.EndOfDayMinutes)
	t.log(who.At, who.Email, EventRecorded, "")
	w := Writes{
		Entries: []safeguarding.ChronologyEntry{x.entry(t, who, mc.Viewer.Name, "recorded", "Moved to "+t.ToName()+"; the safeguarding file is due there by "+t.DueBy.In(safeguarding.London).Format("Monday 2 January 2006 15:04"))},
		Audits:  []safeguarding.AuditEntry{x.audit(who, school, AuditRecorded, t)},
	}
	err = x.Store.Save(ctx, t, w)
	if errors.Is(err, safeguarding.ErrDuplicateRequest) {
		_, prev, lerr := x.Store.Load(ctx, who.Email, id)
		if lerr != nil {
			return Transfer{}, lerr
		}
		return replay(prev, fp)
	}
	return t, err
}

func replay(t Transfer, fp string) (Transfer, error) {
	if t.Fingerprint != fp {
		return Transfer{}, safeguarding.ErrIdempotencyMismatch
	}
	return t, nil
}

// keyedID is the id of the transfer a keyed request makes: the same key from the same person
// at the same school is the same transfer.
func keyedID(school safeguarding.SchoolID, actor, key string) string {
	return "K" + fingerprint(string(school), actor, key)[:25]
}

func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s|", len(p), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Sent is the answer to sending: the transfer and, outside the federation, the link's token
// and one-time code, shown once to the sending DSL and kept nowhere.
type Sent struct {
	Transfer Transfer
	Token    string
	Code     string
}

// SendOutside sends a transfer outside the federation: archive is the export already written
// for it (the sending DSL's own export, audited as such). A new link and code are made (a
// locked or expired link is replaced by sending again) and given once to the sending DSL, who
// emails the link to the named DSL and gives the code by phone: the product has no account
// for the named DSL to alert, and keeps neither the link's token nor the code anywhere.
func (x Transfers) SendOutside(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string, archive func(Transfer) (key, version string, err error)) (Sent, error) {
	p, t, err := x.Store.Load(ctx, who.Email, id)
	if err != nil {
		return Sent{}, err
	}
	if err := x.sendable(p, school, t); err != nil {
		return Sent{}, err
	}
	if t.To.InFederation() {
		return Sent{}, fmt.Errorf("transfer %s goes to a school of the federation: %w", id, safeguarding.ErrInvalid)
	}
	key, version, err := archive(t)
	if err != nil {
		return Sent{}, err
	}
	link, token, code, err := NewLink(x.Random, who.At)
	if err != nil {
		return Sent{}, err
	}
	link.ObjectKey, link.ObjectVersion = key, version
	next := t
	next.History = append([]Event(nil), t.History...)
	next.Link = link
	next.Status, next.SentBy, next.SentAt, next.Version = StatusSent, who.Email, who.At.UTC(), t.Version+1
	next.log(who.At, who.Email, EventSent, "link to "+t.To.DSLEmail+" until "+link.ExpiresAt.In(safeguarding.London).Format("2 January 2006 15:04"))
	w := Writes{
		Entries: []safeguarding.ChronologyEntry{x.entry(next, who, p.Name, "sent-"+stampOf(who.At), "Safeguarding file sent to "+t.To.DSLEmail+" at "+t.To.SchoolName+" by a link that works until "+link.ExpiresAt.In(safeguarding.London).Format("2 January 2006 15:04"))},
		Audits:  []safeguarding.AuditEntry{x.audit(who, school, AuditSent, next)},
	}
	if err := x.Store.Save(ctx, next, w); err != nil {
		return Sent{}, err
	}
	return Sent{Transfer: next, Token: token, Code: code}, nil
}

func stampOf(t time.Time) string { return t.UTC().Format("20060102T150405.000000000") }

func (x Transfers) sendable(p safeguarding.Principal, school safeguarding.SchoolID, t Transfer) error {
	if t.From != school {
		return fmt.Errorf("transfer %s: %w", t.ID, safeguarding.ErrNotFound)
	}
	if err := MaySend(p, t); err != nil {
		return err
	}
	switch {
	case t.Status == StatusReceived:
		return fmt.Errorf("transfer %s was received already: %w", t.ID, safeguarding.ErrConflict)
	case t.Status == StatusSent && t.To.InFederation():
		return fmt.Errorf("transfer %s was sent already: %w", t.ID, safeguarding.ErrConflict)
	}
	return nil
}

// SendWithin sends a transfer to a school of the federation: the whole file is copied there
// with its provenance (resuming a copy cut short), then the transfer is sent, the receiving
// school's DSLs and Senior DSL alerted (no names), with the chronology entry and the audit
// entries of both schools, in one transaction.
func (x Transfers) SendWithin(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (Transfer, error) {
	p, t, err := x.Store.Load(ctx, who.Email, id)
	if err != nil {
		return Transfer{}, err
	}
	if err := x.sendable(p, school, t); err != nil {
		return Transfer{}, err
	}
	if !t.To.InFederation() {
		return Transfer{}, fmt.Errorf("transfer %s goes outside the federation: %w", id, safeguarding.ErrInvalid)
	}
	to, err := x.Store.School(ctx, t.To.School)
	if err != nil {
		return Transfer{}, err
	}
	t, err = x.Store.CopyFile(ctx, t, who.Email, who.At)
	if err != nil {
		return Transfer{}, err
	}
	next := t
	next.History = append([]Event(nil), t.History...)
	next.Status, next.SentBy, next.SentAt, next.Version = StatusSent, who.Email, who.At.UTC(), t.Version+1
	next.log(who.At, who.Email, EventSent, fmt.Sprintf("%d records copied", t.Copied))
	w := Writes{
		Entries: []safeguarding.ChronologyEntry{x.entry(next, who, p.Name, "sent", "Safeguarding file sent to "+t.ToName()),
			x.receivedEntry(next, who, p.Name)},
		Audits: []safeguarding.AuditEntry{x.audit(who, school, AuditSent, next),
			{ID: x.NewID(who.At), School: t.To.School, Actor: who.Email, Action: AuditSent, Subject: "transfer/" + t.ID,
				Pupils: []safeguarding.PupilID{t.ReceivingPupil}, At: who.At, Source: who.Source}},
	}
	for _, aud := range []safeguarding.Audience{safeguarding.AudienceDSL, safeguarding.AudienceSeniorDSL} {
		role := safeguarding.RoleDSL
		if aud == safeguarding.AudienceSeniorDSL {
			role = safeguarding.RoleSeniorDSL
		}
		for _, m := range safeguarding.RosterWith(to.Roster, role) {
			w.Alerts = append(w.Alerts, safeguarding.Alert{ID: "transfer-" + id + "#sent#" + m.Email + "#email", School: to.ID,
				SchoolName: to.Name, Kind: "transfer", Audience: aud, Recipient: m.Email, Channel: safeguarding.ChannelEmail,
				Priority: safeguarding.PriorityNormal, Reference: "Transfer", Subject: id, SubjectKind: safeguarding.SubjectTransfer})
		}
	}
	w.Alerts = dedupe(w.Alerts)
	return next, x.Store.Save(ctx, next, w)
}

func dedupe(as []safeguarding.Alert) []safeguarding.Alert {
	seen := map[string]bool{}
	out := as[:0]
	for _, a := range as {
		if !seen[a.Recipient] {
			seen[a.Recipient] = true
			out = append(out, a)
		}
	}
	return out
}

// ConfirmReceipt is a DSL of the receiving school of the federation confirming that the file
// arrived: the transfer is received, audited at both schools. Confirming again changes nothing.
func (x Transfers) ConfirmReceipt(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id string) (Transfer, error) {
	p, t, err := x.Store.Load(ctx, who.Email, id)
	if err != nil {
		return Transfer{}, err
	}
	if err := MayConfirm(p, school, t); err != nil {
		return Transfer{}, err
	}
	switch t.Status {
	case StatusReceived:
		return t, nil
	case StatusDue:
		return Transfer{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "id", Message: "the file has not been sent yet; receipt can be confirmed once it has"}}}
	}
	next := t
	next.History = append([]Event(nil), t.History...)
	next.Status, next.ReceivedBy, next.ReceivedAt, next.Version = StatusReceived, who.Email, who.At.UTC(), t.Version+1
	next.log(who.At, who.Email, EventReceived, "")
	w := Writes{Audits: []safeguarding.AuditEntry{
		{ID: x.NewID(who.At), School: school, Actor: who.Email, Action: AuditReceived, Subject: "transfer/" + id,
			Pupils: []safeguarding.PupilID{t.ReceivingPupil}, At: who.At, Source: who.Source},
		x.audit(who, t.From, AuditReceived, next),
	}}
	return next, x.Store.Save(ctx, next, w)
}

// List is the transfers from and to a school, for its DSLs and Senior DSL; the reading is
// audited.
func (x Transfers) List(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]Transfer, error) {
	p, ts, err := x.Store.Transfers(ctx, who.Email, school)
	if err != nil {
		return nil, err
	}
	if err := MayList(p, school); err != nil {
		return nil, err
	}
	var pupils []safeguarding.PupilID
	for _, t := range ts {
		if t.From == school {
			pupils = append(pupils, t.Pupil)
		} else if t.ReceivingPupil != "" {
			pupils = append(pupils, t.ReceivingPupil)
		}
	}
	err = x.Store.Audit(ctx, safeguarding.AuditEntry{ID: x.NewID(who.At), School: school, Actor: who.Email, Action: AuditListed,
		Subject: "transfers", Pupils: pupils, At: who.At, Source: who.Source})
	return ts, err
}

// Download is someone opening the link of a transfer outside the federation with its code at
// now. Every attempt is kept in the transfer's history and audited at the sending school; the
// right code within the time returns the transfer, received, with the archive to give.
func (x Transfers) Download(ctx context.Context, id, token, code string, now time.Time, source string) (Transfer, error) {
	t, err := x.Store.LoadLink(ctx, id)
	if errors.Is(err, safeguarding.ErrNotFound) {
		return Transfer{}, ErrNoLink
	}
	if err != nil {
		return Transfer{}, err
	}
	next, openErr := t.Open(token, code, now)
	if errors.Is(openErr, ErrNoLink) {
		return Transfer{}, openErr
	}
	action := AuditDownloaded
	switch {
	case errors.Is(openErr, ErrWrongCode):
		action = AuditWrongCode
	case openErr != nil:
		action = AuditRefused
	}
	actor := "link:" + t.To.DSLEmail
	w := Writes{Audits: []safeguarding.AuditEntry{{ID: x.NewID(now), School: t.From, Actor: actor, Action: action,
		Subject: "transfer/" + id, Pupils: []safeguarding.PupilID{t.Pupil}, At: now, Source: source}}}
	if err := x.Store.Save(ctx, next, w); err != nil {
		return Transfer{}, err
	}
	return next, openErr
}

// OpenLink is someone opening the page of a link outside the federation at now: the opening
// is kept in the transfer's history and audited at the sending school; the error says why the
// link will refuse a code, if it will (ErrNoLink for a token that is not the link's).
func (x Transfers) OpenLink(ctx context.Context, id, token string, now time.Time, source string) error {
	t, err := x.Store.LoadLink(ctx, id)
	if errors.Is(err, safeguarding.ErrNotFound) {
		return ErrNoLink
	}
	if err != nil {
		return err
	}
	next, openErr := t.Opened(token, now)
	if errors.Is(openErr, ErrNoLink) {
		return openErr
	}
	w := Writes{Audits: []safeguarding.AuditEntry{{ID: x.NewID(now), School: t.From, Actor: "link:" + t.To.DSLEmail, Action: AuditLinkOpened,
		Subject: "transfer/" + id, Pupils: []safeguarding.PupilID{t.Pupil}, At: now, Source: source}}}
	if err := x.Store.Save(ctx, next, w); err != nil {
		return err
	}
	return openErr
}

func (x Transfers) entry(t Transfer, who safeguarding.Caller, name, what, summary string) safeguarding.ChronologyEntry {
	if name == "" {
		name = who.Email
	}
	return safeguarding.ChronologyEntry{ID: "transfer-" + t.ID + "-" + what, Pupil: t.Pupil, Type: safeguarding.EntryTransfer,
		At: who.At.UTC(), Reference: "Transfer", AuthorName: name, Summary: summary,
		Visibility: safeguarding.Visibility{School: t.From, Author: who.Email}}
}

func (x Transfers) audit(who safeguarding.Caller, school safeguarding.SchoolID, action string, t Transfer) safeguarding.AuditEntry {
	return safeguarding.AuditEntry{ID: x.NewID(who.At), School: school, Actor: who.Email, Action: action,
		Subject: "transfer/" + t.ID, Pupils: []safeguarding.PupilID{t.Pupil}, At: who.At, Source: who.Source}
}

// receivedEntry is the "transfer" entry at the top of the copied file at the receiving school.
func (x Transfers) receivedEntry(t Transfer, who safeguarding.Caller, name string) safeguarding.ChronologyEntry {
	e := x.entry(t, who, name, "arrived", "Safeguarding file transferred from "+t.FromName+"; receipt to be confirmed by a DSL here")
	e.Pupil, e.Visibility = t.ReceivingPupil, safeguarding.Visibility{School: t.To.School, Author: who.Email}
	return e
}
