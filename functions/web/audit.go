package main

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
)

// auditService is the audit trail's reading, the use case the audit API calls (rule P4).
type auditService interface {
	Read(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, f audit.Filter) (audit.Page, error)
}

var _ auditService = audit.Trail{}

// auditView is the audit page: its filters, the pupils a search found, and a page of entries.
type auditView struct {
	SchoolName string
	Problems   formProblems
	// Pupil is the chosen pupil; Found the pupils a search found; Searched whether one ran.
	Pupil    pupilView
	Found    []pupilView
	Searched bool
	Query    string
	Staff    []option
	Person   string
	From, To string
	// Shown says entries were read (a search alone reads none); Lines are the entries.
	Shown      bool
	Lines      []auditLine
	Range      string
	NextURL    string
	FirstURL   string
	Action     string
	SearchPath string
}

type auditLine struct {
	When, Who, What, On, Pupils string
}

// auditAnchors are the page's fields for the domain's field problems.
var auditAnchors = map[string]string{"pupil": "pupil-any", "person": "person", "from": "from", "to": "to", "cursor": "from"}

// auditLabels say each filter in a sentence of the error summary.
var auditLabels = map[string]string{"pupil": "The pupil", "person": "The person", "from": "The start date", "to": "The end date",
	"cursor": "The page asked for"}

func auditPath(school safeguarding.SchoolID) string { return schoolPath(school) + "/audit" }

// auditTrail shows a page of the audit trail for the Senior DSL and the DSLs (rule P4); every
// showing is audited by the use case.
func (h *Handler) auditTrail(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	q := r.ev.QueryStringParameters
	f := audit.Filter{Pupil: safeguarding.PupilID(q["pupil"]), Person: q["person"], From: q["from"], To: q["to"], Cursor: q["cursor"]}
	return h.auditPage(ctx, r, s, f, "", true)
}

// searchAuditPupil finds a pupil by name for the filter: posted, so no name goes in a URL.
func (h *Handler) searchAuditPupil(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	f := audit.Filter{Pupil: safeguarding.PupilID(r.form.Get("pupil")), Person: r.form.Get("person"), From: r.form.Get("from"), To: r.form.Get("to")}
	return h.auditPage(ctx, r, s, f, strings.TrimSpace(r.form.Get("q")), false)
}

func (h *Handler) auditPage(ctx context.Context, r *request, s session, f audit.Filter, search string, show bool) events.APIGatewayV2HTTPResponse {
	schoolID := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	if !safeguarding.AccessFor(p, schoolID).Audit {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	school, err := h.Directory.School(ctx, schoolID)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v := auditView{SchoolName: school.Name, Person: f.Person, From: f.From, To: f.To, Query: search,
		Action: auditPath(schoolID), SearchPath: auditPath(schoolID)}
	if f.Pupil != "" {
		if known, err := h.Directory.Pupils(ctx, schoolID, []safeguarding.PupilID{f.Pupil}); err == nil {
			if pu, ok := known[f.Pupil]; ok {
				v.Pupil = pupilView{ID: pu.ID, Name: pu.Name, Detail: pupilDetail(pu), Checked: true}
			}
		}
	}
	if search != "" {
		v.Searched = true
		found, err := h.Directory.SearchPupils(ctx, schoolID, search, searchLimit)
		if err != nil {
			return h.errorPage(r, statusFor(err), &s)
		}
		for _, pu := range found {
			if pu.ID != v.Pupil.ID {
				v.Found = append(v.Found, pupilView{ID: pu.ID, Name: pu.Name, Detail: pupilDetail(pu)})
			}
		}
	}
	var emails []string
	for _, m := range school.Roster {
		emails = append(emails, m.Email)
	}
	names, err := h.Directory.StaffNames(ctx, emails)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	for _, e := range emails {
		v.Staff = append(v.Staff, option{Value: e, Title: cmp.Or(names[e], e), Checked: e == f.Person})
	}
	slices.SortFunc(v.Staff, func(a, b option) int { return cmp.Compare(a.Title, b.Title) })

	status := http.StatusOK
	if show {
		page, err := h.Audit.Read(ctx, r.caller(s.claims.Email), schoolID, f)
		var ve *safeguarding.ValidationError
		switch {
		case errors.As(err, &ve):
			for _, fp := range ve.Problems {
				v.Problems.add(cmp.Or(auditAnchors[fp.Field], "from"), cmp.Or(auditLabels[fp.Field], "A filter")+" "+fp.Message)
			}
			status = http.StatusBadRequest
		case err != nil:
			return h.errorPage(r, statusFor(err), &s)
		default:
			v.Shown = true
			v.From, v.To = page.From.Format(time.DateOnly), page.To.Format(time.DateOnly)
			v.Range = page.From.Format("2 January 2006") + " to " + page.To.Format("2 January 2006")
			for _, l := range page.Lines {
				v.Lines = append(v.Lines, auditLine{When: when(l.At), Who: l.Who, What: l.What, On: l.On, Pupils: pupilList(l)})
			}
			filters := url.Values{}
			for k, val := range map[string]string{"pupil": string(f.Pupil), "person": f.Person, "from": v.From, "to": v.To} {
				if val != "" {
					filters.Set(k, val)
				}
			}
			if page.Next != "" {
				next := url.Values{"cursor": {page.Next}}
				for k := range filters {
					next.Set(k, filters.Get(k))
				}
				v.NextURL = auditPath(schoolID) + "?" + next.Encode()
			}
			if f.Cursor != "" {
				v.FirstURL = auditPath(schoolID) + "?" + filters.Encode()
			}
		}
	}
	title := "Audit trail"
	if len(v.Problems.List) > 0 {
		title = "Error: " + title
	}
	return h.page(r, status, "audit", pageData{Title: title, SignedIn: true, CSRF: s.csrf(), Page: v, Nav: navFor(p, schoolID, "audit")})
}

// pupilList names an entry's pupils: "Ava Brown, Ben Brown and 3 more".
func pupilList(l audit.Line) string {
	out := strings.Join(l.Pupils, ", ")
	switch {
	case l.MorePupils == 1:
		out += " and 1 more"
	case l.MorePupils > 1:
		out += " and " + strconv.Itoa(l.MorePupils) + " more"
	}
	return out
}
