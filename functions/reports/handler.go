package main

import (
	"context"
	"mime"
	"net/http"
	"strings"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/reports"
)

// service is the part of reports.Reports this function serves.
type service interface {
	GovernorsReport(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, term string) (reports.Report, error)
	OfstedReport(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, year int) (reports.Report, error)
	FederationReport(ctx context.Context, who safeguarding.Caller, term string) (reports.Report, []reports.Report, error)
}

var _ service = reports.Reports{}

type handler struct{ reports service }

// Handle serves an API Gateway event.
func (h handler) Handle(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	return h.routes().Handle(ctx, req)
}

// routes maps each route of the ReportsFunction in template.yaml.
func (h handler) routes() httpapi.Router {
	return httpapi.Router{
		"GET /api/schools/{school}/reports/governors":     h.governors,
		"GET /api/schools/{school}/reports/governors.csv": h.governors,
		"GET /api/schools/{school}/reports/ofsted":        h.ofsted,
		"GET /api/schools/{school}/reports/ofsted.csv":    h.ofsted,
		"GET /api/reports/governors":                      h.federation,
		"GET /api/reports/governors.csv":                  h.federation,
	}
}

// wantsCSV: the route's .csv variant, or ?format=csv.
func wantsCSV(req httpapi.Request) bool {
	return strings.HasSuffix(req.RouteKey, ".csv") || req.QueryStringParameters["format"] == "csv"
}

func checkFormat(req httpapi.Request) error {
	if f, ok := req.QueryStringParameters["format"]; ok && f != "csv" && f != "json" {
		return &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{{Field: "format", Message: "csv or json"}}}
	}
	return nil
}

func (h handler) governors(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := reportRequest(req, "term")
	if err != nil {
		return httpapi.Response{}, err
	}
	r, err := h.reports.GovernorsReport(ctx, who, httpapi.School(req), req.QueryStringParameters["term"])
	if err != nil {
		return httpapi.Response{}, err
	}
	return answer(req, r, nil), nil
}

func (h handler) ofsted(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := reportRequest(req, "year")
	if err != nil {
		return httpapi.Response{}, err
	}
	year := 0
	if y, ok := req.QueryStringParameters["year"]; ok {
		if year, err = reports.ParseYear(y); err != nil {
			return httpapi.Response{}, err
		}
	}
	r, err := h.reports.OfstedReport(ctx, who, httpapi.School(req), year)
	if err != nil {
		return httpapi.Response{}, err
	}
	return answer(req, r, nil), nil
}

func (h handler) federation(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := reportRequest(req, "term")
	if err != nil {
		return httpapi.Response{}, err
	}
	total, each, err := h.reports.FederationReport(ctx, who, req.QueryStringParameters["term"])
	if err != nil {
		return httpapi.Response{}, err
	}
	return answer(req, total, each), nil
}

// reportRequest is the caller of a report's request, once its query holds only the period's
// parameter and the format, and the format is one the reports have.
func reportRequest(req httpapi.Request, period string) (safeguarding.Caller, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return who, err
	}
	if err := httpapi.KnownQuery(req, period, "format"); err != nil {
		return who, err
	}
	return who, checkFormat(req)
}

// answer is the report as JSON or, asked for, its CSV.
func answer(req httpapi.Request, r reports.Report, schools []reports.Report) httpapi.Response {
	if wantsCSV(req) {
		name := string(r.Kind) + "-" + r.Period.Key + ".csv"
		if r.School != "" {
			name = string(r.School) + "-" + name
		}
		return httpapi.Response{StatusCode: http.StatusOK, Body: string(reports.CSV(r)), Headers: map[string]string{
			"Content-Type":           "text/csv; charset=utf-8",
			"Content-Disposition":    mime.FormatMediaType("attachment", map[string]string{"filename": name}),
			"Cache-Control":          "no-store",
			"X-Content-Type-Options": "nosniff",
		}}
	}
	out := toJSON(r)
	if schools != nil {
		out.Schools = []reportJSON{}
		for _, s := range schools {
			out.Schools = append(out.Schools, toJSON(s))
		}
	}
	return httpapi.JSON(http.StatusOK, out)
}
