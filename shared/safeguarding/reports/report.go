package reports

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Kind is which report: the governors' termly report or Ofsted's yearly one.
type Kind string

const (
	Governors Kind = "governors"
	Ofsted    Kind = "ofsted"
)

// Report is one school's (or, for a federation, several schools' summed) anonymised figures
// for a period, month by month, with the period before it for the trend.
type Report struct {
	Kind     Kind
	School   safeguarding.SchoolID // empty for a federation
	Name     string                // the school's name, or the federation's schools
	Schools  []string              // the names of the schools summed, for a federation
	Period   Period
	Previous Period
	Months   []Counts // each month of Period, in order
	Before   []Counts // each month of Previous, in order
	Total    Counts
	// PreviousTotal is the period before's, for the trend.
	PreviousTotal Counts
}

// Build assembles a report from the monthly counts found (keyed by MonthKey; a month with no
// counter item has no figures).
func Build(kind Kind, school safeguarding.SchoolID, name string, p, prev Period, found map[string]Counts) Report {
	r := Report{Kind: kind, School: school, Name: name, Period: p, Previous: prev,
		Total: Counts{ByCategory: map[safeguarding.Category]int{}}, PreviousTotal: Counts{ByCategory: map[safeguarding.Category]int{}}}
	for _, m := range p.Months() {
		c := found[MonthKey(m)].Plus(Counts{})
		c.Month = m
		r.Months = append(r.Months, c)
		r.Total = r.Total.Plus(c)
	}
	for _, m := range prev.Months() {
		c := found[MonthKey(m)].Plus(Counts{})
		c.Month = m
		r.Before = append(r.Before, c)
		r.PreviousTotal = r.PreviousTotal.Plus(c)
	}
	return r
}

// Sum adds school reports of the same kind and period into a federation's.
func Sum(rs []Report) Report {
	if len(rs) == 0 {
		return Report{}
	}
	out := Report{Kind: rs[0].Kind, Period: rs[0].Period, Previous: rs[0].Previous,
		Total: Counts{ByCategory: map[safeguarding.Category]int{}}, PreviousTotal: Counts{ByCategory: map[safeguarding.Category]int{}}}
	out.Months = make([]Counts, len(rs[0].Months))
	out.Before = make([]Counts, len(rs[0].Before))
	for i := range out.Months {
		out.Months[i] = Counts{Month: rs[0].Months[i].Month, ByCategory: map[safeguarding.Category]int{}}
	}
	for i := range out.Before {
		out.Before[i] = Counts{Month: rs[0].Before[i].Month, ByCategory: map[safeguarding.Category]int{}}
	}
	for _, r := range rs {
		out.Schools = append(out.Schools, r.Name)
		for i := range min(len(r.Months), len(out.Months)) {
			out.Months[i] = out.Months[i].Plus(r.Months[i])
		}
		for i := range min(len(r.Before), len(out.Before)) {
			out.Before[i] = out.Before[i].Plus(r.Before[i])
		}
		out.Total = out.Total.Plus(r.Total)
		out.PreviousTotal = out.PreviousTotal.Plus(r.PreviousTotal)
	}
	out.Name = fmt.Sprintf("%d schools", len(rs))
	return out
}

// CanRead says whether p may read a school's reports: its DSLs, its Senior DSL and its
// governors (rule P2: governors see the anonymised reports and nothing else).
func CanRead(p safeguarding.Principal, school safeguarding.SchoolID) bool {
	return safeguarding.AccessFor(p, school).Reports
}

// Trend says in words how now compares with before.
func Trend(now, before int) string {
	switch {
	case now > before:
		return fmt.Sprintf("up %d", now-before)
	case now < before:
		return fmt.Sprintf("down %d", before-now)
	}
	return "no change"
}

// CSV is the report's anonymised figures, one row per month of the period and of the period
// before it, with a column per category: no name, no reference, nothing but counts.
func CSV(r Report) []byte {
	cats := Categories(append(slices.Clone(r.Months), r.Before...)...)
	header := []string{"period", "month", "concerns", "high priority", "normal priority"}
	for _, c := range cats {
		header = append(header, "category: "+CategoryName(c))
	}
	header = append(header, "first action on time", "first action late", "not yet acted on", "referrals",
		"families heard from by acknowledgement", "families contacted by the school", "families gone missing")
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(header)
	row := func(period string, c Counts) {
		rec := []string{period, c.Month.Format("2006-01"), itoa(c.Concerns), itoa(c.High), itoa(c.Normal)}
		for _, k := range cats {
			rec = append(rec, itoa(c.ByCategory[k]))
		}
		rec = append(rec, itoa(c.D1OnTime), itoa(c.D1Late), itoa(c.D1Waiting()), itoa(c.Referrals),
			itoa(c.Acknowledged), itoa(c.Contacted), itoa(c.Missing))
		_ = w.Write(rec)
	}
	for _, c := range r.Before {
		row(r.Previous.Name, c)
	}
	for _, c := range r.Months {
		row(r.Period.Name, c)
	}
	w.Flush()
	return buf.Bytes()
}

func itoa(n int) string { return strconv.Itoa(n) }

// Store is the storage port of the reports.
type Store interface {
	// LoadReport reads the viewer, the school and its calendar (an empty one if it entered
	// none); ErrForbidden for a viewer of another school.
	LoadReport(ctx context.Context, viewer string, school safeguarding.SchoolID) (safeguarding.Principal, safeguarding.School, safeguarding.SchoolCalendar, error)
	// MonthlyCounts reads the counter items of each school for each month, keyed by school and
	// MonthKey; a month without an item is absent.
	MonthlyCounts(ctx context.Context, schools []safeguarding.SchoolID, months []time.Time) (map[safeguarding.SchoolID]map[string]Counts, error)
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	// SchoolNames reads the schools' names.
	SchoolNames(ctx context.Context, schools []safeguarding.SchoolID) (map[safeguarding.SchoolID]string, error)
	// AuditAll saves audit entries, each on the condition that it is new.
	AuditAll(ctx context.Context, es []safeguarding.AuditEntry) error
}

// Reports are the use cases of the reports.
type Reports struct {
	Store Store
	NewID func(at time.Time) string
}

// Audit actions.
const AuditReportRead = "report.read"

// MaxFederation is the most schools one federation report sums.
const MaxFederation = 100

// GovernorsReport is a school's governors' report for a term (the key, or "" for the term now
// falls in), with the term before it.
func (s Reports) GovernorsReport(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, termKey string) (Report, error) {
	return s.schoolReport(ctx, who, school, func(cal safeguarding.SchoolCalendar) (Period, Period, error) {
		p := TermAt(cal, who.At)
		if termKey != "" {
			var err error
			if p, err = Term(cal, termKey); err != nil {
				return p, p, err
			}
		}
		return p, Previous(cal, p), nil
	}, Governors)
}

// OfstedReport is a school's report for Ofsted for the school year starting in year (0: the
// one now falls in), with the year before it.
func (s Reports) OfstedReport(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, year int) (Report, error) {
	if year == 0 {
		year = YearAt(who.At)
	}
	return s.schoolReport(ctx, who, school, func(safeguarding.SchoolCalendar) (Period, Period, error) {
		return SchoolYear(year), SchoolYear(year - 1), nil
	}, Ofsted)
}

func (s Reports) schoolReport(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID,
	periods func(safeguarding.SchoolCalendar) (Period, Period, error), kind Kind) (Report, error) {
	p, sc, cal, err := s.Store.LoadReport(ctx, who.Email, school)
	if err != nil {
		return Report{}, err
	}
	if !CanRead(p, school) {
		return Report{}, safeguarding.ErrForbidden
	}
	period, prev, err := periods(cal)
	if err != nil {
		return Report{}, err
	}
	found, err := s.Store.MonthlyCounts(ctx, []safeguarding.SchoolID{school}, append(prev.Months(), period.Months()...))
	if err != nil {
		return Report{}, err
	}
	r := Build(kind, school, sc.Name, period, prev, found[school])
	if err := s.Store.AuditAll(ctx, []safeguarding.AuditEntry{s.audit(who, school, r)}); err != nil {
		return Report{}, err
	}
	return r, nil
}

func (s Reports) audit(who safeguarding.Caller, school safeguarding.SchoolID, r Report) safeguarding.AuditEntry {
	return safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditReportRead,
		Subject: "report/" + string(r.Kind) + "/" + r.Period.Key, At: who.At, Source: who.Source}
}

// FederationReport is the governors' report for a term (by the usual English terms, the
// schools' calendars aside) summed over every school where the caller is a DSL, the Senior
// DSL or a governor, with each school's own beside it; each school's audit trail records the
// reading. ErrForbidden when the caller reads no school's reports.
func (s Reports) FederationReport(ctx context.Context, who safeguarding.Caller, termKey string) (Report, []Report, error) {
	p, err := s.Store.Principal(ctx, who.Email)
	if err != nil {
		return Report{}, nil, err
	}
	var schools []safeguarding.SchoolID
	for id := range p.Memberships {
		if CanRead(p, id) {
			schools = append(schools, id)
		}
	}
	slices.Sort(schools)
	if len(schools) == 0 {
		return Report{}, nil, safeguarding.ErrForbidden
	}
	if len(schools) > MaxFederation {
		schools = schools[:MaxFederation]
	}
	var none safeguarding.SchoolCalendar
	period := TermAt(none, who.At)
	if termKey != "" {
		if period, err = Term(none, termKey); err != nil {
			return Report{}, nil, err
		}
	}
	prev := Previous(none, period)
	names, err := s.Store.SchoolNames(ctx, schools)
	if err != nil {
		return Report{}, nil, err
	}
	found, err := s.Store.MonthlyCounts(ctx, schools, append(prev.Months(), period.Months()...))
	if err != nil {
		return Report{}, nil, err
	}
	var each []Report
	var audits []safeguarding.AuditEntry
	for _, id := range schools {
		r := Build(Governors, id, names[id], period, prev, found[id])
		each = append(each, r)
		audits = append(audits, s.audit(who, id, r))
	}
	if err := s.Store.AuditAll(ctx, audits); err != nil {
		return Report{}, nil, err
	}
	return Sum(each), each, nil
}
