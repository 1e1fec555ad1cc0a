package main

import (
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

// The forms of families who go quiet (rules E1-E6, H2) and of the school calendar, as typed:
// each decoder keeps what was sent as text, so a form with problems comes back as it was, and
// turns it into the domain's input, naming what only the form can see is wrong (a date that is
// not a date). Everything else is the domain's to check.

// ---- Marking a class (rule E1) ---------------------------------------------------------------

// ackFieldPrefix names each family's choice on the class sheet: ack-<family id>.
const ackFieldPrefix = "ack-"

// noAck is the choice "nothing from this family today": a tap can always be undone.
const noAck = "none"

// ackForm is the class sheet as it was sent.
type ackForm struct {
	Key   string
	Class string
	// At is when the sheet was opened (RFC 3339): every acknowledgement it records is dated
	// then, so sending it twice records nothing new (the second is no newer than the first).
	At string
	// Kinds is each family's choice by family id: an acknowledgement kind, or noAck.
	Kinds map[string]string
	// Saved is the choice the sheet showed as already saved that day, by family id: sent
	// back unchanged, it is not recorded again.
	Saved map[string]string
	// Day is the earlier day the sheet records (YYYY-MM-DD), or "" for the day it was opened.
	Day string
	// All is a kind to mark every family not yet marked with ("all heard from"), or "".
	All string
}

// ackSavedPrefix names the choice a family's line showed as already saved: saved-<family id>.
const ackSavedPrefix = "saved-"

// earlierDays is how many weekdays before today a class sheet can record.
const earlierDays = 4

// sheetDays are the weekdays before now's day a sheet can record, latest first.
func sheetDays(now time.Time) []time.Time {
	var days []time.Time
	d := safeguarding.LocalDay(now)
	for len(days) < earlierDays {
		d = d.AddDate(0, 0, -1)
		if wd := d.Weekday(); wd != time.Saturday && wd != time.Sunday {
			days = append(days, d)
		}
	}
	return days
}

// ackDayAt is when an acknowledgement recorded for an earlier day is dated: midday there.
func ackDayAt(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day(), 12, 0, 0, 0, safeguarding.London)
}

// readAckForm reads a posted class sheet. It keeps at most one family more than a batch
// holds, enough for the check to say there are too many.
func readAckForm(v url.Values) ackForm {
	f := ackForm{Key: strings.TrimSpace(v.Get("key")), Class: strings.TrimSpace(v.Get("class")), At: strings.TrimSpace(v.Get("at")),
		Day: strings.TrimSpace(v.Get("day")), All: strings.TrimSpace(v.Get("all")), Kinds: map[string]string{}, Saved: map[string]string{}}
	if f.Day == "today" {
		f.Day = ""
	}
	if !slices.Contains(contact.AckKinds, f.All) {
		f.All = ""
	}
	names := make([]string, 0, len(v))
	for name := range v {
		if id, ok := strings.CutPrefix(name, ackFieldPrefix); ok && id != "" {
			names = append(names, id)
		}
	}
	slices.Sort(names)
	for _, id := range names {
		if len(f.Kinds) > contact.MaxAcknowledgements {
			break
		}
		f.Kinds[id] = strings.TrimSpace(v.Get(ackFieldPrefix + id))
		if saved := strings.TrimSpace(v.Get(ackSavedPrefix + id)); slices.Contains(contact.AckKinds, saved) {
			f.Saved[id] = saved
		}
	}
	return f
}

// acknowledgements turns the sheet into the domain's batch at now: one acknowledgement per
// family marked, dated when the sheet was opened, or at midday of the earlier day it records.
// A choice sent back as it was saved is not recorded again. The problems are the form's own: a
// sheet opened on another day, a day it cannot record, nothing marked, a choice that is not
// one of the sheet's.
func (f ackForm) acknowledgements(now time.Time) ([]contact.Acknowledgement, []problem) {
	var ps []problem
	at, err := time.Parse(time.RFC3339Nano, f.At)
	switch {
	case f.Day != "":
		day, err := time.ParseInLocation(time.DateOnly, f.Day, safeguarding.London)
		if err != nil || !slices.ContainsFunc(sheetDays(now), day.Equal) {
			ps = append(ps, problem{Anchor: "day", Message: "Choose today or one of the days shown"})
		}
		at = ackDayAt(day)
	case err != nil || at.After(now.Add(5*time.Minute)):
		ps = append(ps, problem{Anchor: "class-sheet", Message: "The page could not tell when it was opened. Reload it and mark the class again"})
	case !safeguarding.LocalDay(at).Equal(safeguarding.LocalDay(now)):
		ps = append(ps, problem{Anchor: "class-sheet", Message: "This page was opened on " + at.In(safeguarding.London).Format("Monday 2 January") +
			". Reload it and mark today's acknowledgements again"})
	}
	ids := make([]string, 0, len(f.Kinds))
	for id := range f.Kinds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var acks []contact.Acknowledgement
	marked := 0
	for _, id := range ids {
		kind := f.Kinds[id]
		switch {
		case kind == "" || kind == noAck:
			continue
		case !slices.Contains(contact.AckKinds, kind):
			ps = append(ps, problem{Anchor: ackFieldPrefix + id, Message: "Choose how the family acknowledged: thumbs up, message or work seen"})
			continue
		}
		marked++
		if f.Day == "" && f.Saved[id] == kind {
			continue
		}
		acks = append(acks, contact.Acknowledgement{FamilyID: id, At: at, Kind: kind})
	}
	if len(ids) > contact.MaxAcknowledgements {
		ps = append(ps, problem{Anchor: "class-sheet", Message: fmt.Sprintf("A sheet holds at most %d families", contact.MaxAcknowledgements)})
	}
	if marked == 0 && len(ps) == 0 {
		ps = append(ps, problem{Anchor: "class-sheet", Message: "Mark at least one family that acknowledged"})
	}
	return acks, ps
}

// fingerprint identifies what the sheet asks, so the same key with another sheet is refused.
func (f ackForm) fingerprint(school safeguarding.SchoolID) string {
	parts := []string{"acknowledge", string(school), f.Class, f.At, f.Day}
	ids := make([]string, 0, len(f.Kinds))
	for id := range f.Kinds {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		parts = append(parts, id+"="+f.Kinds[id])
	}
	return commandFingerprint(parts...)
}

// ---- A family's contact attempts, the LA and the decision (rules H2, E4-E6) ----------------

// whenForm is a date and time typed as day, month, year and hours:minutes, in school time.
type whenForm struct {
	Day, Month, Year, Time string
}

func readWhen(v url.Values, prefix string) whenForm {
	return whenForm{Day: strings.TrimSpace(v.Get(prefix + "-day")), Month: strings.TrimSpace(v.Get(prefix + "-month")),
		Year: strings.TrimSpace(v.Get(prefix + "-year")), Time: strings.TrimSpace(v.Get(prefix + "-time"))}
}

// nowWhen is now, in school time, as the form shows it.
func nowWhen(now time.Time) whenForm {
	l := now.In(safeguarding.London)
	return whenForm{Day: strconv.Itoa(l.Day()), Month: strconv.Itoa(int(l.Month())), Year: strconv.Itoa(l.Year()), Time: l.Format("15:04")}
}

func (w whenForm) parse() (time.Time, string) {
	if w.Day == "" && w.Month == "" && w.Year == "" && w.Time == "" {
		return time.Time{}, "Enter the date and time"
	}
	return localTime(w.Day, w.Month, w.Year, w.Time)
}

// contactForm is a contact attempt as it was sent (rule H2): anything but an answered phone
// call, which has its own form (callForm) for the record of rule H3.
type contactForm struct {
	Key     string
	Method  string
	Outcome string
	When    whenForm
	Notes   string
}

func readContactForm(v url.Values) contactForm {
	return contactForm{Key: strings.TrimSpace(v.Get("key")), Method: strings.TrimSpace(v.Get("method")),
		Outcome: strings.TrimSpace(v.Get("outcome")), When: readWhen(v, "contact"), Notes: v.Get("notes")}
}

// attempt turns the form into the domain's contact attempt, with the form's own problems.
func (f contactForm) attempt() (contact.ContactAttempt, []problem) {
	var ps []problem
	at, msg := f.When.parse()
	if msg != "" {
		ps = append(ps, problem{Anchor: "contact-day", Message: msg})
	}
	switch {
	case f.Outcome == "":
		ps = append(ps, problem{Anchor: "outcome", Message: "Say what happened: whether contact was established"})
	case f.Method == "phone-call" && f.Outcome == contact.OutcomeEstablished:
		ps = append(ps, problem{Anchor: "outcome", Message: "Record a phone call that was answered with its call record below"})
	}
	return contact.ContactAttempt{At: at, Method: f.Method, Outcome: f.Outcome, Notes: f.Notes}, ps
}

func (f contactForm) fingerprint(school safeguarding.SchoolID, family string) string {
	return commandFingerprint("contact", string(school), family, f.Method, f.Outcome, f.When.Day, f.When.Month, f.When.Year, f.When.Time, f.Notes)
}

// quoteRow and agreedRow are one quote and one agreed action of a call record, as typed.
type quoteRow struct {
	Speaker, Words string
}

type agreedRow struct {
	Description, Assignee, DueDate, DueTime string
}

// Rows of quotes and agreed actions the call form offers.
const (
	callQuoteRows  = 3
	callActionRows = 3
)

// callForm is an answered phone call with the record of rule H3, as it was sent.
type callForm struct {
	Key                    string
	When                   whenForm
	SpokenTo, IdentifiedBy string
	AgreedCarer            bool
	IsOK                   string
	Worries, Background    string
	Quotes                 []quoteRow
	Actions                []agreedRow
	FurtherContact         string
	Happy                  string // "yes", "no" or "" when not answered
	NextDate, NextTime     string
	Notes                  string
}

// readCallForm reads a posted call record, keeping one quote and one action more than a call
// holds, enough for the domain to say so.
func readCallForm(v url.Values) callForm {
	f := callForm{Key: strings.TrimSpace(v.Get("key")), When: readWhen(v, "call"), SpokenTo: v.Get("spoken-to"),
		IdentifiedBy: v.Get("identified-by"), AgreedCarer: v.Get("agreed-carer") == "yes", IsOK: strings.TrimSpace(v.Get("is-ok")),
		Worries: v.Get("worries"), Background: v.Get("background"), FurtherContact: v.Get("further-contact"),
		Happy: strings.TrimSpace(v.Get("happy")), NextDate: strings.TrimSpace(v.Get("next-call-date")),
		NextTime: strings.TrimSpace(v.Get("next-call-time")), Notes: v.Get("call-notes")}
	speakers, words := v["quote-speaker"], v["quote-words"]
	for i := 0; i < max(len(speakers), len(words)) && i <= contact.MaxCallQuotes; i++ {
		f.Quotes = append(f.Quotes, quoteRow{Speaker: at(speakers, i), Words: at(words, i)})
	}
	descs, who, dates, times := v["action-description"], v["action-assignee"], v["action-due-date"], v["action-due-time"]
	for i := 0; i < max(len(descs), len(who), len(dates), len(times)) && i <= contact.MaxCallActions; i++ {
		f.Actions = append(f.Actions, agreedRow{Description: at(descs, i), Assignee: strings.TrimSpace(at(who, i)),
			DueDate: strings.TrimSpace(at(dates, i)), DueTime: strings.TrimSpace(at(times, i))})
	}
	return f
}

// dayAndTime reads a date input's day and a clock time as school time.
func dayAndTime(date, clock string) (time.Time, bool) {
	d, ok := parseDay(date)
	if !ok {
		return time.Time{}, false
	}
	hh, mm, ok := parseClock(clock)
	if !ok {
		return time.Time{}, false
	}
	return time.Date(d.Year(), d.Month(), d.Day(), hh, mm, 0, 0, safeguarding.London), true
}

// attempt turns the call record into the domain's contact attempt: a phone call, answered,
// with rule H3's record. Blank quote and action rows are left out; the problems are the
// form's own (times that are not times).
func (f callForm) attempt() (contact.ContactAttempt, []problem) {
	var ps []problem
	at, msg := f.When.parse()
	if msg != "" {
		ps = append(ps, problem{Anchor: "call-day", Message: msg})
	}
	c := contact.PhoneCall{SpokenTo: f.SpokenTo, IdentifiedBy: f.IdentifiedBy, AgreedCarer: f.AgreedCarer, IsOK: f.IsOK,
		Worries: f.Worries, Background: f.Background, FurtherContact: f.FurtherContact}
	for _, q := range f.Quotes {
		if strings.TrimSpace(q.Speaker) != "" || strings.TrimSpace(q.Words) != "" {
			c.Quotes = append(c.Quotes, contact.Quote{Speaker: q.Speaker, Words: q.Words})
		}
	}
	for i, a := range f.Actions {
		if strings.TrimSpace(a.Description) == "" && a.Assignee == "" && a.DueDate == "" && a.DueTime == "" {
			continue
		}
		due, ok := dayAndTime(a.DueDate, a.DueTime)
		if !ok && (a.DueDate != "" || a.DueTime != "") {
			ps = append(ps, problem{Anchor: fmt.Sprintf("action-due-date-%d", i), Message: fmt.Sprintf("Agreed action %d: enter when it is due as a date and a time, for example 14:30", i+1)})
		}
		c.Actions = append(c.Actions, contact.AgreedAction{Description: a.Description, Assignee: a.Assignee, DueAt: due})
	}
	switch f.Happy {
	case "yes":
		c.HappyToBeContacted = new(true)
	case "no":
		c.HappyToBeContacted = new(false)
	}
	if f.NextDate != "" || f.NextTime != "" {
		next, ok := dayAndTime(f.NextDate, f.NextTime)
		if !ok {
			ps = append(ps, problem{Anchor: "next-call-date", Message: "Enter the next call as a date and a time, for example 14:30"})
		}
		c.NextCallAt = next
	}
	return contact.ContactAttempt{At: at, Method: "phone-call", Outcome: contact.OutcomeEstablished, Notes: f.Notes, Call: &c}, ps
}

func (f callForm) fingerprint(school safeguarding.SchoolID, family string) string {
	parts := []string{"call", string(school), family, f.When.Day, f.When.Month, f.When.Year, f.When.Time, f.SpokenTo, f.IdentifiedBy,
		strconv.FormatBool(f.AgreedCarer), f.IsOK, f.Worries, f.Background, f.FurtherContact, f.Happy, f.NextDate, f.NextTime, f.Notes}
	for _, q := range f.Quotes {
		parts = append(parts, q.Speaker, q.Words)
	}
	for _, a := range f.Actions {
		parts = append(parts, a.Description, a.Assignee, a.DueDate, a.DueTime)
	}
	return commandFingerprint(parts...)
}

// laForm is the record that the LA was informed (rule E5) as it was sent.
type laForm struct {
	Key   string
	When  whenForm
	Notes string
}

func readLAForm(v url.Values) laForm {
	return laForm{Key: strings.TrimSpace(v.Get("key")), When: readWhen(v, "sent"), Notes: v.Get("notes")}
}

func (f laForm) sentAt() (time.Time, []problem) {
	at, msg := f.When.parse()
	if msg != "" {
		return at, []problem{{Anchor: "sent-day", Message: msg}}
	}
	return at, nil
}

func (f laForm) fingerprint(school safeguarding.SchoolID, family string) string {
	return commandFingerprint("la-notification", string(school), family, f.When.Day, f.When.Month, f.When.Year, f.When.Time, f.Notes)
}

// decisionForm is the Senior DSL's decision about social care (rule E4) as it was sent.
type decisionForm struct {
	Key, Decision, Reason string
}

func readDecisionForm(v url.Values) decisionForm {
	return decisionForm{Key: strings.TrimSpace(v.Get("key")), Decision: strings.TrimSpace(v.Get("decision")), Reason: v.Get("reason")}
}

func (f decisionForm) fingerprint(school safeguarding.SchoolID, family string) string {
	return commandFingerprint("decision", string(school), family, f.Decision, f.Reason)
}

// ---- The school calendar ----------------------------------------------------------------------

// termRow and dayOffRow are one line of the calendar form; dates are as typed.
type termRow struct {
	Name, From, To string
	Remove         bool
}

type dayOffRow struct {
	Kind, From, To, Note string
	Remove               bool
}

func (r termRow) blank() bool   { return r.Name == "" && r.From == "" && r.To == "" }
func (r dayOffRow) blank() bool { return r.From == "" && r.To == "" && r.Note == "" }

// calendarForm is the calendar form as it was sent: rows in the order shown, each field a
// repeated input (term-name, term-from ... off-note); a row's "remove" box names its index.
type calendarForm struct {
	Version string
	Intent  string
	Terms   []termRow
	DaysOff []dayOffRow
}

// readCalendarForm reads at most one row more than a calendar holds.
func readCalendarForm(v url.Values) calendarForm {
	f := calendarForm{Version: strings.TrimSpace(v.Get("version")), Intent: v.Get("intent")}
	removed := func(field string, i int) bool { return slices.Contains(v[field], strconv.Itoa(i)) }
	names, froms, tos := v["term-name"], v["term-from"], v["term-to"]
	for i := 0; i < max(len(names), len(froms), len(tos)) && i <= safeguarding.MaxCalendarPeriods; i++ {
		f.Terms = append(f.Terms, termRow{Name: strings.TrimSpace(at(names, i)), From: strings.TrimSpace(at(froms, i)),
			To: strings.TrimSpace(at(tos, i)), Remove: removed("term-remove", i)})
	}
	kinds, ofroms, otos, notes := v["off-kind"], v["off-from"], v["off-to"], v["off-note"]
	for i := 0; i < max(len(kinds), len(ofroms), len(otos), len(notes)) && i <= safeguarding.MaxCalendarPeriods; i++ {
		f.DaysOff = append(f.DaysOff, dayOffRow{Kind: strings.TrimSpace(at(kinds, i)), From: strings.TrimSpace(at(ofroms, i)),
			To: strings.TrimSpace(at(otos, i)), Note: strings.TrimSpace(at(notes, i)), Remove: removed("off-remove", i)})
	}
	return f
}

// input turns the form into the domain's calendar, leaving out blank and removed rows; the
// problems are dates that are not dates, each at its field.
func (f calendarForm) input() (safeguarding.CalendarInput, int, []problem) {
	var in safeguarding.CalendarInput
	var ps []problem
	version, err := strconv.Atoi(f.Version)
	if err != nil || version < 0 {
		ps = append(ps, problem{Anchor: "calendar", Message: "The page could not tell which version of the calendar it showed. Reload it and try again"})
	}
	// Rows are numbered as the form shows them again: removed and blank rows left out.
	i := 0
	for _, r := range f.Terms {
		if r.Remove || r.blank() {
			continue
		}
		from, okFrom := parseDay(r.From)
		to, okTo := parseDay(r.To)
		if !okFrom {
			ps = append(ps, problem{Anchor: fmt.Sprintf("term-from-%d", i), Message: fmt.Sprintf("Term %d: enter its first day as a date, for example 2027-01-04", i+1)})
		}
		if !okTo {
			ps = append(ps, problem{Anchor: fmt.Sprintf("term-to-%d", i), Message: fmt.Sprintf("Term %d: enter its last day as a date, for example 2027-03-26", i+1)})
		}
		in.Terms = append(in.Terms, safeguarding.Term{Name: r.Name, From: from, To: to})
		i++
	}
	i = 0
	for _, r := range f.DaysOff {
		if r.Remove || r.blank() {
			continue
		}
		from, okFrom := parseDay(r.From)
		to, okTo := parseDay(r.To)
		if r.To == "" && okFrom {
			to, okTo = from, true // one day off: its last day is its first
		}
		if !okFrom {
			ps = append(ps, problem{Anchor: fmt.Sprintf("off-from-%d", i), Message: fmt.Sprintf("Day off %d: enter its first day as a date, for example 2027-02-15", i+1)})
		}
		if !okTo {
			ps = append(ps, problem{Anchor: fmt.Sprintf("off-to-%d", i), Message: fmt.Sprintf("Day off %d: enter its last day as a date, or leave it empty for one day", i+1)})
		}
		in.DaysOff = append(in.DaysOff, safeguarding.DayOff{Kind: r.Kind, From: from, To: to, Note: r.Note})
		i++
	}
	return in, version, ps
}

// parseDay reads a local date as a date input sends it (2027-01-04), or as people type it
// (4/1/2027, 4 1 2027, 4-1-2027).
func parseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if t, err := time.ParseInLocation(time.DateOnly, s, safeguarding.London); err == nil {
		return t, true
	}
	parts := strings.FieldsFunc(s, func(r rune) bool { return r == '/' || r == ' ' || r == '-' || r == '.' })
	if len(parts) != 3 {
		return time.Time{}, false
	}
	d, errD := strconv.Atoi(parts[0])
	m, errM := strconv.Atoi(parts[1])
	y, errY := strconv.Atoi(parts[2])
	if errD != nil || errM != nil || errY != nil || y < 2000 || y > 9999 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, safeguarding.London)
	if t.Day() != d || int(t.Month()) != m {
		return time.Time{}, false
	}
	return t, true
}
