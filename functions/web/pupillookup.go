package main

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
)

// The concern form's pupil search as one types (rule C1). With JavaScript the form sends what
// is in its search box here, a moment after each key, and shows the pupils found in place:
// the page is not loaded again, so nothing typed elsewhere on the form moves or is lost.
// It is the form's own search (the same SearchPupils, the same limit, the same access: any
// member of the school), posted like it so that no name goes in an address; like it, it reads
// no safeguarding record and is not audited (P4). Without JavaScript the Search button posts
// the whole form, as before.

// pupilLookupRoute answers with the search results' part of the form (HTML), not a page.
const pupilLookupRoute = "POST /schools/{school}/concerns/new/pupils"

func init() { maps.Copy(routes, map[string]pageFunc{pupilLookupRoute: (*Handler).pupilLookup}) }

// maxLookupQuery is the longest search the box takes, in characters.
const maxLookupQuery = 100

// pupilLookup is what the search as one types sends: the words typed, and the pupils already
// chosen on the form, who are not offered again.
type pupilLookup struct {
	Query  string
	Chosen []safeguarding.PupilID
}

// readPupilLookup decodes the posted search, or says in plain words what is wrong with it. An
// empty search is valid: it finds nobody and clears the results.
func readPupilLookup(v url.Values) (pupilLookup, string) {
	l := pupilLookup{Query: strings.TrimSpace(v.Get("q"))}
	if !utf8.ValidString(l.Query) || strings.ContainsRune(l.Query, 0) {
		return pupilLookup{}, "Type a pupil's name in letters"
	}
	if utf8.RuneCountInString(l.Query) > maxLookupQuery {
		return pupilLookup{}, "Type at most 100 letters"
	}
	for _, id := range v["pupil"] {
		id = strings.TrimSpace(id)
		if id == "" || len(id) > 64 || !utf8.ValidString(id) {
			continue
		}
		if pid := safeguarding.PupilID(id); !slices.Contains(l.Chosen, pid) {
			l.Chosen = append(l.Chosen, pid)
		}
		// A concern names at most this many pupils; more chosen ones are not the form's.
		if len(l.Chosen) == concerns.MaxPupilsPerConcern {
			break
		}
	}
	return l, ""
}

// pupilResultsView is the results' part of the concern form: the pupils found, to tick.
type pupilResultsView struct {
	Query   string
	Results []pupilView
	// Problem is what is wrong with the search, shown in place of the results.
	Problem string
}

// pupilLookup answers the search as one types with the results' part of the form: the school's
// pupils whose names match, up to searchLimit, leaving out those already chosen. One read of
// the person's profile, one Query of the school's name index.
func (h *Handler) pupilLookup(ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse {
	school := safeguarding.SchoolID(r.param("school"))
	p, err := h.Directory.Principal(ctx, s.claims.Email)
	if err != nil || !safeguarding.AccessFor(p, school).Member {
		return h.errorPage(r, http.StatusNotFound, &s)
	}
	l, problem := readPupilLookup(r.form)
	if problem != "" {
		return h.fragment(r, http.StatusBadRequest, "concern-form", "pupil-results", pupilResultsView{Problem: problem})
	}
	v := pupilResultsView{Query: l.Query}
	if l.Query == "" {
		return h.fragment(r, http.StatusOK, "concern-form", "pupil-results", v)
	}
	found, err := h.Directory.SearchPupils(ctx, school, l.Query, searchLimit)
	if err != nil {
		return h.errorPage(r, statusFor(err), &s)
	}
	v.Results = resultViews(found, l.Chosen)
	return h.fragment(r, http.StatusOK, "concern-form", "pupil-results", v)
}

// resultViews are the pupils found, less those already chosen.
func resultViews(found []safeguarding.Pupil, chosen []safeguarding.PupilID) []pupilView {
	out := []pupilView{}
	for _, pu := range found {
		if !slices.Contains(chosen, pu.ID) {
			out = append(out, pupilView{ID: pu.ID, Name: pu.Name, Detail: pupilDetail(pu)})
		}
	}
	return out
}

var errNoTemplate = errors.New("no such template")

// fragment serves one named part of a page's template (the parts a script puts into the page
// it is on), with the headers of a page.
func (h *Handler) fragment(r *request, status int, page, part string, data any) events.APIGatewayV2HTTPResponse {
	var b bytes.Buffer
	all, err := pages()
	if err == nil {
		if t, ok := all[page]; !ok {
			err = errNoTemplate
		} else {
			err = t.ExecuteTemplate(&b, part, data)
		}
	}
	if err != nil {
		// Only the template's name: the error could quote the data.
		h.logger().Error("fragment failed", "requestId", r.ev.RequestContext.RequestID, "template", page+"/"+part)
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusInternalServerError,
			Headers: withSecurityHeaders(map[string]string{"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}),
			Body:    "Something went wrong.\n"}
	}
	return events.APIGatewayV2HTTPResponse{StatusCode: status,
		Headers: withSecurityHeaders(map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}),
		Body:    b.String()}
}
