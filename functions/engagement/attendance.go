package main

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/attendance"
)

type reasonResponse struct {
	At            time.Time `json:"at"`
	Withheld      bool      `json:"withheld,omitempty"`
	ConcernID     string    `json:"concernId,omitempty"`
	Reference     string    `json:"reference,omitempty"`
	Subcategories []string  `json:"subcategories,omitempty"`
	Summary       string    `json:"summary,omitempty"`
	AuthorName    string    `json:"authorName,omitempty"`
	Late          bool      `json:"late,omitempty"`
}

type attendanceRow struct {
	PupilID    string           `json:"pupilId"`
	Name       string           `json:"name"`
	ClassName  string           `json:"className"`
	Attendance float64          `json:"attendance"`
	Reasons    []reasonResponse `json:"reasons"`
}

// attendance lists the pupils below 90% attendance, or below ?below= under it, with the
// reasons logged for them (rule C9): for the office and the DSLs.
func (h handler) attendance(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	var below float64
	if s, ok := req.QueryStringParameters["below"]; ok {
		if below, err = strconv.ParseFloat(s, 64); err != nil || below <= 0 {
			return httpapi.Response{}, invalid("below", "must be a percentage above 0 and at most 90, like 85 or 87.5")
		}
	}
	rows, err := h.attendanceList.BelowThreshold(ctx, who, httpapi.School(req), below)
	if err != nil {
		return httpapi.Response{}, err
	}
	out := struct {
		Below  float64         `json:"below"`
		Pupils []attendanceRow `json:"pupils"`
	}{Below: below, Pupils: []attendanceRow{}}
	if out.Below == 0 {
		out.Below = attendance.Threshold
	}
	for _, r := range rows {
		row := attendanceRow{PupilID: string(r.Pupil.ID), Name: r.Pupil.Name, ClassName: r.Pupil.ClassName,
			Attendance: r.Pupil.Attendance, Reasons: []reasonResponse{}}
		for _, x := range r.Reasons {
			row.Reasons = append(row.Reasons, reasonResponse{At: x.At, Withheld: x.Withheld, ConcernID: string(x.ConcernID),
				Reference: x.Reference, Subcategories: x.Subcategories, Summary: x.Summary, AuthorName: x.AuthorName, Late: x.Late})
		}
		out.Pupils = append(out.Pupils, row)
	}
	return httpapi.JSON(http.StatusOK, out), nil
}
