package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/reports"
)

// The reports for the governors and for Ofsted (rule D10), for the DSLs, the Senior DSL and the
// governors (P2): anonymised figures, each chart an SVG drawn here with the table of its figures
// beside it (below it on a phone), no script, printable.

// reportService is the reports' use cases.
type reportService interface {
	GovernorsReport(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, term string) (reports.Report, error)
	FederationReport(ctx context.Context, who safeguarding.Caller, term string) (reports.Report, []reports.Report, error)
	OfstedReport(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, year int) (reports.Report, error)
}

var _ reportService = reports.Reports{}

func governorsReportPath(school safeguarding.SchoolID) string {
	return schoolPath(school) + "/reports/governors"
}

func federationReportPath(school safeguarding.SchoolID) string {
	return schoolPath(school) + "/reports/federation"
}

func ofstedReportPath(school safeguarding.SchoolID) string {
	return schoolPath(school) + "/reports/ofsted"
}

type reportView struct {
	SchoolName, Heading, Intro string
	// Choose is the form that picks another term or year.
	Action, Field, Label string
	Options              []reportOption
	CSV                  string
	OtherHref, OtherText string
	Summary              []string
	Charts               []chartView
	// Each is each school's figures in the federation's report.
	Each []schoolFigures
	// Federation links the governors' report to the federation's, for someone who reads the
	// reports of more than one school.
	Federation string
}

// schoolFigures is one school's figures in the federation's report, as a list that fits a
// phone (a table of six columns would not).
type schoolFigures struct {
	Name    string
	Figures [][2]string
}

type reportOption struct {
	Value, Text string
	Selected    bool
}

// chartView is one chart: a bar a row, each labelled with its name and figure, then the table
// of the same figures.
type chartView struct {
	ID, Title, Desc string
	Height          int
	Bars            []barView
	Columns         []string
	Rows            []tableRow
}

type barView struct {
	Label, Text string
	Y, TextY    int
	Width       int
	ValueX      int
	Colour      string
}

type tableRow struct {
	Label string
	Cells []string
}

// The chart's geometry, in the SVG's own units (it scales to the width it is given).
const (
	chartWidth  = 320
	labelWidth  = 110
	barMax      = 160
	barHeight   = 22
	barSpacing  = 32
	chartTop    = 8
	chartColour = "#1d70b8" // GOV.UK blue, 5.2:1 on white
	lateColour  = "#0b0c0c"
)

type barInput struct {
	Label string
	Value int
	Text  string
}

func makeChart(id, title, desc string, bars []barInput, columns []string, rows []tableRow) chartView {
	c := chartView{ID: id, Title: title, Desc: desc, Columns: columns, Rows: rows, Height: chartTop*2 + barSpacing*max(1, len(bars))}
	top := 0
	for _, b := range bars {
		top = max(top, b.Value)
	}
	for i, b := range bars {
		w := 0
		if top > 0 {
			w = b.Value * barMax / top
		}
		if b.Value > 0 && w < 2 {
			w = 2
		}
		text := b.Text
		if text == "" {
			text = strconv.Itoa(b.Value)
		}
		y := chartTop + i*barSpacing
		c.Bars = append(c.Bars, barView{Label: b.Label, Text: text, Y: y, TextY: y + 16, Width: w, ValueX: labelWidth + w + 6, Colour: chartColour})
	}
	return c
}

func monthName(c reports.Counts) string { return c.Month.Format("January 2006") }

// counted is a count with its noun: "1 concern", "3 concerns".
func counted(n int, one, many string) string { return strconv.Itoa(n) + " " + plural(n, one, many) }

// reportCharts are the charts of a report, in the order the page shows them.
func reportCharts(r reports.Report) ([]chartView, []string) {
	// The tables' columns stay few and short, to fit a phone: this period and the one before.
	now, before := "This term", "Term before"
	if r.Kind == reports.Ofsted {
		now, before = "This year", "Year before"
	}
	prevName := strings.ToLower(r.Previous.Name[:1]) + r.Previous.Name[1:]
	summary := []string{
		fmt.Sprintf("%s recorded (%s on the %s, %s).", capital(counted(r.Total.Concerns, "concern", "concerns")),
			reports.Trend(r.Total.Concerns, r.PreviousTotal.Concerns), prevName, counted(r.PreviousTotal.Concerns, "concern", "concerns")),
	}
	if pct, ok := r.Total.D1Share(); ok {
		line := fmt.Sprintf("The DSLs first acted on %d%% of them by the end of the school day they were due.", pct)
		if prev, ok := r.PreviousTotal.D1Share(); ok {
			line += fmt.Sprintf(" In the %s: %d%%.", prevName, prev)
		}
		summary = append(summary, line)
	}
	summary = append(summary, fmt.Sprintf("%s made (%s in the %s).", capital(counted(r.Total.Referrals, "referral", "referrals")),
		strconv.Itoa(r.PreviousTotal.Referrals), prevName))

	var charts []chartView
	// Concerns by month.
	var bars []barInput
	var rows []tableRow
	for _, m := range r.Months {
		bars = append(bars, barInput{Label: m.Month.Format("Jan 2006"), Value: m.Concerns})
		rows = append(rows, tableRow{Label: monthName(m), Cells: []string{strconv.Itoa(m.Concerns), strconv.Itoa(m.High)}})
	}
	rows = append(rows, tableRow{Label: "Total", Cells: []string{strconv.Itoa(r.Total.Concerns), strconv.Itoa(r.Total.High)}},
		tableRow{Label: "The " + strings.ToLower(before), Cells: []string{strconv.Itoa(r.PreviousTotal.Concerns), strconv.Itoa(r.PreviousTotal.High)}})
	charts = append(charts, makeChart("chart-months", "Concerns recorded each month",
		fmt.Sprintf("A bar for each month of the %s: how many concerns were recorded.", strings.ToLower(r.Period.Name[:1])+r.Period.Name[1:]),
		bars, []string{"Month", "Concerns", "High priority"}, rows))

	// Concerns by category, this period and the one before.
	bars, rows = nil, nil
	for _, cat := range reports.Categories(r.Total, r.PreviousTotal) {
		n, was := r.Total.ByCategory[cat], r.PreviousTotal.ByCategory[cat]
		bars = append(bars, barInput{Label: shortLabel(reports.CategoryName(cat)), Value: n})
		rows = append(rows, tableRow{Label: reports.CategoryName(cat), Cells: []string{strconv.Itoa(n), strconv.Itoa(was)}})
	}
	if len(rows) == 0 {
		rows = append(rows, tableRow{Label: "No concerns", Cells: []string{"0", "0"}})
	}
	charts = append(charts, makeChart("chart-categories", "Concerns by category",
		"A bar for each category: how many concerns of it were recorded.", bars,
		[]string{"Category", now, before}, rows))

	// Priority.
	charts = append(charts, makeChart("chart-priority", "Concerns by priority",
		"Two bars: the concerns recorded as high priority and the others.",
		[]barInput{{Label: "High", Value: r.Total.High}, {Label: "Normal", Value: r.Total.Normal}},
		[]string{"Priority", now, before},
		[]tableRow{{Label: "High priority", Cells: []string{strconv.Itoa(r.Total.High), strconv.Itoa(r.PreviousTotal.High)}},
			{Label: "Normal priority", Cells: []string{strconv.Itoa(r.Total.Normal), strconv.Itoa(r.PreviousTotal.Normal)}}}))

	// How quickly the DSLs acted: the share on time each month.
	bars, rows = nil, nil
	for _, m := range r.Months {
		pct, ok := m.D1Share()
		text := "no concerns"
		if ok {
			text = strconv.Itoa(pct) + "%"
		}
		bars = append(bars, barInput{Label: m.Month.Format("Jan 2006"), Value: pct, Text: text})
		rows = append(rows, tableRow{Label: monthName(m), Cells: []string{fmt.Sprintf("%d of %d", m.D1OnTime, m.Concerns), strconv.Itoa(m.D1Late)}})
	}
	rows = append(rows, tableRow{Label: "Total", Cells: []string{fmt.Sprintf("%d of %d", r.Total.D1OnTime, r.Total.Concerns), strconv.Itoa(r.Total.D1Late)}})
	charts = append(charts, makeChart("chart-response", "How quickly the DSLs acted",
		"A bar for each month: the share of the concerns recorded that month that a DSL first acted on by the end of the school day it was due.",
		bars, []string{"Month", "In time", "Late"}, rows))

	// Referrals.
	bars, rows = nil, nil
	for _, m := range r.Months {
		bars = append(bars, barInput{Label: m.Month.Format("Jan 2006"), Value: m.Referrals})
		rows = append(rows, tableRow{Label: monthName(m), Cells: []string{strconv.Itoa(m.Referrals)}})
	}
	rows = append(rows, tableRow{Label: "Total", Cells: []string{strconv.Itoa(r.Total.Referrals)}},
		tableRow{Label: "The " + strings.ToLower(before), Cells: []string{strconv.Itoa(r.PreviousTotal.Referrals)}})
	charts = append(charts, makeChart("chart-referrals", "Referrals made",
		"A bar for each month: how many referrals the DSLs made (to children's social care, early help, the police or the LADO).",
		bars, []string{"Month", "Referrals"}, rows))

	// Families during a closure.
	charts = append(charts, makeChart("chart-families", "Families during a closure",
		"Three bars: the families first heard from in a month by an acknowledgement (acknowledged), by a contact the school made (contacted), and the families that went missing.",
		[]barInput{{Label: "Acknowledged", Value: r.Total.Acknowledged}, {Label: "Contacted", Value: r.Total.Contacted}, {Label: "Went missing", Value: r.Total.Missing}},
		[]string{"Families", now, before},
		[]tableRow{{Label: "Acknowledged", Cells: []string{strconv.Itoa(r.Total.Acknowledged), strconv.Itoa(r.PreviousTotal.Acknowledged)}},
			{Label: "Contacted", Cells: []string{strconv.Itoa(r.Total.Contacted), strconv.Itoa(r.PreviousTotal.Contacted)}},
			{Label: "Went missing", Cells: []string{strconv.Itoa(r.Total.Missing), strconv.Itoa(r.PreviousTotal.Missing)}}}))
	return charts, summary
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// shortLabel keeps a bar's label within its room on a phone; the table has it in full.
func shortLabel(s string) string {
	if len(s) <= 14 {
		return s
	}
	return s[:13] + "…"
}

// governorsReport is the governors' report page: this term by default, another chosen.
func (h *Handler) governorsReport(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.reportPage(ctx, r, s, reports.Governors)
}

// termOptions are the terms a report may be chosen for: the next term, then this one and the
// terms of the last two school years, newest first.
func termOptions(current reports.Period) []reportOption {
	p := current
	_, next := reports.NeighbourTerms(safeguarding.SchoolCalendar{}, p)
	periods := []reports.Period{next, p}
	for i := 0; i < 5; i++ {
		p = reports.Previous(safeguarding.SchoolCalendar{}, p)
		periods = append(periods, p)
	}
	var opts []reportOption
	for _, o := range periods {
		opts = append(opts, reportOption{Value: o.Key, Text: o.Name, Selected: o.Key == current.Key})
	}
	return opts
}

// readsReports counts the schools whose reports p reads.
func readsReports(p safeguarding.Principal) int {
	n := 0
	for school := range p.Memberships {
		if reports.CanRead(p, school) {
			n++
		}
	}
	return n
}

// federationReport is the governors' report summed over every school whose reports the
// person reads, with each school's figures beside it (D10). Its terms are the usual English
// ones, since the schools' own calendars may differ.
func (h *Handler) federationReport(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Reports == nil || !safeguarding.AccessFor(p, schoolID).Reports {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	total, each, err := h.Reports.FederationReport(ctx, r.caller(s.claims.Email), r.ev.QueryStringParameters["term"])
	var invalid *safeguarding.ValidationError
	if errors.As(err, &invalid) {
		return h.errorPage(r, http.StatusBadRequest, &s)
	}
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if strings.HasSuffix(r.ev.RouteKey, ".csv") {
		return download("text/csv; charset=utf-8", "federation-governors-"+total.Period.Key+".csv", reports.CSV(total))
	}
	v := reportView{SchoolName: strings.Join(total.Schools, ", "), Heading: "Report for governors across the schools: " + total.Period.Name,
		Intro: "The safeguarding work of every school whose reports you read, added together, then each school's own figures. " +
			"Its terms are the usual English terms, whatever each school's own dates. It names no one.",
		Action: federationReportPath(schoolID), Field: "term", Label: "Term", Options: termOptions(total.Period),
		CSV:       federationReportPath(schoolID) + ".csv?term=" + total.Period.Key,
		OtherHref: governorsReportPath(schoolID), OtherText: "This school's own report for governors"}
	v.Charts, v.Summary = reportCharts(total)
	for _, sc := range each {
		share := "no concerns"
		if pct, ok := sc.Total.D1Share(); ok {
			share = strconv.Itoa(pct) + "%"
		}
		v.Each = append(v.Each, schoolFigures{Name: sc.Name, Figures: [][2]string{
			{"Concerns", strconv.Itoa(sc.Total.Concerns)}, {"High priority", strconv.Itoa(sc.Total.High)},
			{"First acted on in time", share}, {"Referrals", strconv.Itoa(sc.Total.Referrals)},
			{"Families who went missing", strconv.Itoa(sc.Total.Missing)}}})
	}
	return h.page(r, http.StatusOK, "report", pageData{Title: v.Heading, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "reports")})
}

func (h *Handler) ofstedReport(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	return h.reportPage(ctx, r, s, reports.Ofsted)
}

func (h *Handler) reportPage(ctx context.Context, r *request, s session, kind reports.Kind) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Reports == nil || !safeguarding.AccessFor(p, schoolID).Reports {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	csv := strings.HasSuffix(r.ev.RouteKey, ".csv")
	q := r.ev.QueryStringParameters
	var rep reports.Report
	v := reportView{}
	if kind == reports.Governors {
		rep, err = h.Reports.GovernorsReport(ctx, r.caller(s.claims.Email), schoolID, q["term"])
	} else {
		year := 0
		if q["year"] != "" {
			if year, err = reports.ParseYear(q["year"]); err != nil {
				return h.errorPage(r, http.StatusBadRequest, &s)
			}
		}
		rep, err = h.Reports.OfstedReport(ctx, r.caller(s.claims.Email), schoolID, year)
	}
	var invalid *safeguarding.ValidationError
	if errors.As(err, &invalid) {
		return h.errorPage(r, http.StatusBadRequest, &s)
	}
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if csv {
		return download("text/csv; charset=utf-8", string(schoolID)+"-"+string(kind)+"-"+rep.Period.Key+".csv", reports.CSV(rep))
	}
	v.SchoolName = rep.Name
	v.Charts, v.Summary = reportCharts(rep)
	if kind == reports.Governors {
		v.Heading = "Report for governors: " + rep.Period.Name
		v.Intro = "The school's safeguarding work this term in figures, month by month, beside the term before. It names no one."
		v.Action, v.Field, v.Label = governorsReportPath(schoolID), "term", "Term"
		v.CSV = governorsReportPath(schoolID) + ".csv?term=" + rep.Period.Key
		v.OtherHref, v.OtherText = ofstedReportPath(schoolID), "The report for Ofsted (the school year)"
		v.Options = termOptions(rep.Period)
		if readsReports(p) > 1 {
			v.Federation = federationReportPath(schoolID)
		}
	} else {
		v.Heading = "Report for Ofsted: " + rep.Period.Name
		v.Intro = "The school's safeguarding work over the school year in figures, month by month, beside the year before. It names no one."
		v.Action, v.Field, v.Label = ofstedReportPath(schoolID), "year", "School year"
		v.CSV = ofstedReportPath(schoolID) + ".csv?year=" + rep.Period.Key
		v.OtherHref, v.OtherText = governorsReportPath(schoolID), "The report for governors (a term)"
		y, _ := strconv.Atoi(rep.Period.Key)
		for i := y + 1; i >= y-4; i-- {
			sy := reports.SchoolYear(i)
			v.Options = append(v.Options, reportOption{Value: sy.Key, Text: sy.Name, Selected: i == y})
		}
	}
	return h.page(r, http.StatusOK, "report", pageData{Title: v.Heading, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "reports")})
}
