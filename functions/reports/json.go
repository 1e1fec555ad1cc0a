package main

import (
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/reports"
)

type monthJSON struct {
	Month          string         `json:"month,omitempty"`
	Concerns       int            `json:"concerns"`
	HighPriority   int            `json:"highPriority"`
	NormalPriority int            `json:"normalPriority"`
	ByCategory     map[string]int `json:"byCategory"`
	ActedOnTime    int            `json:"actedOnTime"`
	ActedLate      int            `json:"actedLate"`
	NotYetActedOn  int            `json:"notYetActedOn"`
	// OnTimePercent is the share of the concerns recorded whose first action came on time;
	// absent when none was recorded.
	OnTimePercent *int `json:"onTimePercent,omitempty"`
	Referrals     int  `json:"referrals"`
	Acknowledged  int  `json:"familiesAcknowledged"`
	Contacted     int  `json:"familiesContacted"`
	Missing       int  `json:"familiesMissing"`
}

type periodJSON struct {
	Key    string      `json:"key"`
	Name   string      `json:"name"`
	Months []monthJSON `json:"months"`
	Total  monthJSON   `json:"total"`
}

type reportJSON struct {
	Kind     string       `json:"kind"`
	School   string       `json:"school,omitempty"`
	Name     string       `json:"name"`
	Period   periodJSON   `json:"period"`
	Previous periodJSON   `json:"previous"`
	Schools  []reportJSON `json:"schools,omitempty"`
}

func monthOf(c reports.Counts, month string) monthJSON {
	m := monthJSON{Month: month, Concerns: c.Concerns, HighPriority: c.High, NormalPriority: c.Normal, ByCategory: map[string]int{},
		ActedOnTime: c.D1OnTime, ActedLate: c.D1Late, NotYetActedOn: c.D1Waiting(), Referrals: c.Referrals,
		Acknowledged: c.Acknowledged, Contacted: c.Contacted, Missing: c.Missing}
	for k, v := range c.ByCategory {
		if v != 0 {
			m.ByCategory[string(k)] = v
		}
	}
	if pct, ok := c.D1Share(); ok {
		m.OnTimePercent = &pct
	}
	return m
}

func periodOf(p reports.Period, months []reports.Counts, total reports.Counts) periodJSON {
	out := periodJSON{Key: p.Key, Name: p.Name, Months: []monthJSON{}, Total: monthOf(total, "")}
	for _, c := range months {
		out.Months = append(out.Months, monthOf(c, reports.MonthKey(c.Month)))
	}
	return out
}

func toJSON(r reports.Report) reportJSON {
	return reportJSON{Kind: string(r.Kind), School: string(r.School), Name: r.Name,
		Period: periodOf(r.Period, r.Months, r.Total), Previous: periodOf(r.Previous, r.Before, r.PreviousTotal)}
}
