package main

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/attendance"
)

// The pupils below 90% attendance (rule C9), for the office and the DSLs, each with the
// reasons logged so far as the reader may see them (P2): the attendance API's use case.

// attendanceService is the list's use case.
type attendanceService interface {
	BelowThreshold(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, below float64) ([]attendance.Row, error)
}

var _ attendanceService = attendance.List{}

func attendancePath(school safeguarding.SchoolID) string { return schoolPath(school) + "/attendance" }

// belowProblem is said when the figure is not one the list takes.
var belowProblem = "Enter a percentage above 0 and no higher than " +
	strconv.FormatFloat(attendance.Threshold, 'f', -1, 64) + ", like 85 or 87.5"

type attendanceView struct {
	SchoolName string
	Problems   formProblems
	// Below is the figure as typed, for the form; Figure the one the list was read with.
	Below, Figure string
	Shown         bool
	Pupils        []attendancePupil
	Action        string
}

type attendancePupil struct {
	Name, Class, Attendance string
	Reasons                 []attendanceReason
}

// attendanceReason is a reason as the reader may see it: Withheld gives only the day.
type attendanceReason struct {
	Day, Reference, Summary, Link string
	Withheld                      bool
}

// attendanceList shows the pupils below the figure asked for (90 by default), lowest first.
func (h *Handler) attendanceList(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || h.Attendance == nil {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Attendance {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	v := attendanceView{Action: attendancePath(schoolID), Figure: percent(attendance.Threshold)}
	if sc, err := h.Directory.School(ctx, schoolID); err == nil {
		v.SchoolName = sc.Name
	}
	status := http.StatusOK
	v.Below = strings.TrimSpace(r.ev.QueryStringParameters["below"])
	below, ok := parseBelow(v.Below)
	if !ok {
		v.Problems.add("below", belowProblem)
		status = http.StatusBadRequest
	} else {
		rows, err := h.Attendance.BelowThreshold(ctx, r.caller(s.claims.Email), schoolID, below)
		var ve *safeguarding.ValidationError
		switch {
		case errors.As(err, &ve):
			v.Problems.add("below", belowProblem)
			status = http.StatusBadRequest
		case err != nil:
			return h.errorPage(r, statusFor(err), &s)
		default:
			v.Shown = true
			if below > 0 {
				v.Figure = percent(below)
			}
			v.Pupils = attendancePupils(schoolID, rows)
		}
	}
	title := "Pupils below " + v.Figure + " attendance"
	if len(v.Problems.List) > 0 {
		title = "Error: Pupils with low attendance"
	}
	return h.page(r, status, "attendance", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v,
		Nav: navFor(p, schoolID, "attendance")})
}

// parseBelow reads the figure typed: empty is the list's own (0), "85" or "85%" a percentage.
func parseBelow(s string) (float64, bool) {
	s = strings.TrimSpace(strings.TrimSuffix(s, "%"))
	if s == "" {
		return 0, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > attendance.Threshold {
		return 0, false
	}
	return f, true
}

func percent(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) + "%" }

// attendancePupils is the list as the page shows it: by name, never by id.
func attendancePupils(school safeguarding.SchoolID, rows []attendance.Row) []attendancePupil {
	out := make([]attendancePupil, 0, len(rows))
	for _, row := range rows {
		pu := attendancePupil{Name: row.Pupil.Name, Class: row.Pupil.ClassName, Attendance: percent(row.Pupil.Attendance)}
		for _, x := range row.Reasons {
			day := x.At.In(safeguarding.London).Format("2 January 2006")
			if x.Withheld {
				pu.Reasons = append(pu.Reasons, attendanceReason{Day: day, Withheld: true})
				continue
			}
			pu.Reasons = append(pu.Reasons, attendanceReason{Day: day, Reference: x.Reference, Summary: x.Summary,
				Link: concernPath(school, x.ConcernID)})
		}
		out = append(out, pu)
	}
	return out
}
