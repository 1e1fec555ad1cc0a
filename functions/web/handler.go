package main

import (
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/identity"
	"github.com/keepsafe-schools/keepsafe/shared/printout"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
)

// concernService is the part of safeguarding.Concerns the pages use: the same use cases the
// API function calls.
type concernService interface {
	Record(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, in concerns.NewConcern,
		key safeguarding.RequestKey, fingerprint string) (safeguarding.Receipt, error)
	Concern(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID) (concerns.Concern, error)
	Chronology(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID) (safeguarding.Pupil, []safeguarding.ChronologyEntry, error)
	DashboardPage(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, q concerns.DashboardQuery) (concerns.DashboardPage, error)
	DashboardCount(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, qs ...concerns.DashboardQuery) ([]int, bool, error)
	RequestUpdate(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID) error
	Amend(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID, version int,
		a concerns.Amendment, key safeguarding.RequestKey, fingerprint string) (concerns.Concern, error)
}

var _ concernService = concerns.Concerns{}

// caseService is the part of safeguarding.Cases the pages use: a DSL's case work, an
// assignee's actions and the SLT review, the same use cases the cases API calls, and a
// concern's page with its case work.
type caseService interface {
	AddAction(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, concern safeguarding.ConcernID,
		in casework.NewAction, key safeguarding.RequestKey, fingerprint string) (casework.Action, error)
	Complete(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id casework.ActionID, outcome string,
		key safeguarding.RequestKey, fingerprint string) (casework.Action, error)
	CannotFollowUp(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id casework.ActionID, reason string,
		key safeguarding.RequestKey, fingerprint string) (casework.Action, error)
	Reallocate(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id casework.ActionID, to, reason string,
		key safeguarding.RequestKey, fingerprint string) (casework.Action, error)
	End(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id casework.ActionID, reason string,
		key safeguarding.RequestKey, fingerprint string) (casework.Action, error)
	MyWork(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, assignee string, status safeguarding.ActionStatus) ([]casework.Action, error)
	ChangeCase(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID, change, decision, reason string,
		key safeguarding.RequestKey, fingerprint string) (concerns.Concern, error)
	ReviewList(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) (casework.Review, error)
	ReviewsDue(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID) ([]concerns.Concern, error)
	ConcernPage(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, id safeguarding.ConcernID) (casework.CasePage, error)
}

var _ caseService = casework.Cases{}

// directory answers who the signed-in person is and what the form needs to show: schools and
// pupils by name.
type directory interface {
	Principal(ctx context.Context, email string) (safeguarding.Principal, error)
	School(ctx context.Context, id safeguarding.SchoolID) (safeguarding.School, error)
	SearchPupils(ctx context.Context, school safeguarding.SchoolID, q string, limit int) ([]safeguarding.Pupil, error)
	// Pupils reads the named pupils of a school; unknown ids are absent from the result. The
	// caller checks first that the viewer may see them.
	Pupils(ctx context.Context, school safeguarding.SchoolID, ids []safeguarding.PupilID) (map[safeguarding.PupilID]safeguarding.Pupil, error)
	// StaffNames names people by email (the roster holds emails only); unknown ones are absent.
	StaffNames(ctx context.Context, emails []string) (map[string]string, error)
	// FindPupils finds pupils by a UPN, a class's name or words of a name (find.go).
	FindPupils(ctx context.Context, school safeguarding.SchoolID, q string, limit int) ([]safeguarding.Pupil, error)
	// Families reads the named families of a school; unknown ids are absent from the result.
	Families(ctx context.Context, school safeguarding.SchoolID, ids []string) (map[string]contact.Family, error)
}

// tokenVerifier checks the ID token the session cookie holds.
type tokenVerifier interface {
	Verify(ctx context.Context, token string) (identity.Claims, error)
}

// Config is what the function reads from its environment.
type Config struct {
	// AppURL is the public base URL of the pages, without a trailing slash.
	AppURL string
	// ClientID is the identity provider's client id (the token audience).
	ClientID string
	// SignInURL is the provider's authorize endpoint (the local stack's /dev/sign-in).
	SignInURL string
	// TokenURL is the provider's token endpoint, for the authorization code exchange.
	TokenURL string
	// UploadOrigin is where browsers send attachments (the bucket's origin), which the pages'
	// Content Security Policy lets them connect to (rule C6).
	UploadOrigin string
}

// providerOrigin is the identity provider's origin when its sign-in page is on another site.
func (c Config) providerOrigin() string {
	u, err := url.Parse(c.SignInURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// logoutURL is the provider's logout endpoint beside its authorize endpoint (Cognito's hosted
// UI: /logout?client_id&logout_uri), or "" when there is none (the local stack).
func (c Config) logoutURL() string {
	base, ok := strings.CutSuffix(c.SignInURL, "/oauth2/authorize")
	if !ok || c.providerOrigin() == "" {
		return ""
	}
	return base + "/logout?" + url.Values{"client_id": {c.ClientID}, "logout_uri": {c.AppURL + "/"}}.Encode()
}

func (h *Handler) sessionNow() time.Time {
	if h.SessionClock != nil {
		return h.SessionClock()
	}
	return time.Now()
}

// Handler serves the web pages from API Gateway HTTP API events.
type Handler struct {
	Config   Config
	Concerns concernService
	Cases    caseService
	// Catalogues serves the school's own categories and sub-categories (rule C2).
	Catalogues catalogueService
	// Attachments serves a concern's files (rule C6): the list, and upload URLs.
	Attachments attachmentService
	// Calendar tells school days, for the due times the add-action form shows (D1-D5).
	Calendar  safeguarding.Calendar
	Directory directory
	// Engagement and Classes serve families who go quiet (rules E1-E6) and the school
	// calendar: the engagement API's use cases.
	Engagement engagementService
	Classes    classService
	// Closures starts and ends a school's full closures (rule E0): the closures API's use cases.
	Closures closureService
	Verifier tokenVerifier
	// Sessions keeps the signed-in sessions on the server (rules S3, S8).
	Sessions sessionStore
	// SessionClock is the wall clock sessions are timed by (time.Now when nil): a session is
	// about a browser left alone in real time, so it never follows a request's time, which the
	// local stack may pin to a school day for a demonstration.
	SessionClock func() time.Time
	// HTTP makes the token exchange with the identity provider.
	HTTP   *http.Client
	Logger *slog.Logger
	// IdleTimeout is how long a page stays on screen without use before it hides (rule S3);
	// 5 minutes when zero.
	IdleTimeout time.Duration
	// Visits serves home visits (rules V1-V8): the visits API's use cases.
	Visits visitService
	// Audit reads the school's audit trail for its Senior DSL and DSLs (rule P4).
	Audit auditService
	// Contacts serves the call screens of a closure (rules P3, H2, H3): the contacts API's
	// use cases.
	Contacts contactsService
	// Imports loads the school's pupils from its MIS export (rule P1): the imports API's use
	// cases.
	Imports importService
	// ImportUploads signs the URLs a file over 4 MB is sent to, in the attachments bucket.
	ImportUploads imports.Signer
	// Exports take a pupil's record off the screen for the DSLs (rule D10): the chronology as
	// a PDF, and everything held, reviewed before it is released.
	Exports exportService
	// Attendance lists the pupils below 90% attendance for the office and the DSLs (rule C9):
	// the attendance API's use case.
	Attendance attendanceService
	// Reports are the governors' and Ofsted's reports for the DSLs, the Senior DSL and the
	// governors (rule D10, P2).
	Reports reportService
	// Settings serves the school's settings, its key contacts and who teaches its classes:
	// the settings API's use cases (settings.go, classes.go).
	Settings settingsService
	// Staff keeps the school's staff and their roles for the Senior DSL and the office (rule
	// P1): the staff API's use cases.
	Staff staffService
	// Transfers send a pupil's file to their new school (rule S5): the transfers API's use
	// cases (the attachments function's).
	Transfers transferService
	// Archives is the attachments bucket as an export's archive (rule D10) and a transfer
	// outside the federation (S5) need it: the pupil's files read, the archive written, a
	// link to it signed.
	Archives printout.Bucket
	// Retention lists the records reaching the 25th birthday for the Senior DSL, with their
	// legal holds (rule S7): the retention API's use cases.
	Retention retentionService
}

// maxBodyBytes bounds a form post: the longest concern the domain accepts, URL-encoded, fits.
const maxBodyBytes = 512 << 10

// request is one event with what every page needs from it.
type request struct {
	ev   events.APIGatewayV2HTTPRequest
	now  time.Time
	form url.Values
	// file is the file a multipart form sent (the import page's), nil when none was chosen.
	file []byte
}

func (r *request) param(name string) string { return r.ev.PathParameters[name] }

func (r *request) header(name string) string {
	name = strings.ToLower(name)
	for k, v := range r.ev.Headers {
		if strings.ToLower(k) == name {
			return v
		}
	}
	return ""
}

// cookie finds a cookie in the event: HTTP API passes them in Cookies, a gateway that does
// not may leave them in the header.
func (r *request) cookie(name string) string {
	lines := r.ev.Cookies
	if h := r.header("cookie"); h != "" {
		lines = append(lines[:len(lines):len(lines)], strings.Split(h, ";")...)
	}
	for _, c := range lines {
		k, v, ok := strings.Cut(strings.TrimSpace(c), "=")
		if ok && k == name {
			return v
		}
	}
	return ""
}

// caller builds the use cases' Caller: "now" is the request's time, never the wall clock.
func (r *request) caller(email string) safeguarding.Caller {
	return safeguarding.Caller{Email: email, At: r.now, Source: r.ev.RequestContext.HTTP.SourceIP}
}

// Handle is the Lambda entry point.
func (h *Handler) Handle(ctx context.Context, ev events.APIGatewayV2HTTPRequest) (events.APIGatewayV2HTTPResponse, error) {
	r := &request{ev: ev, now: time.UnixMilli(ev.RequestContext.TimeEpoch)}
	resp := h.route(ctx, r)
	// Only the request id, the route and the status: never a name, an email or a record's text.
	h.logger().LogAttrs(ctx, slog.LevelInfo, "request",
		slog.String("requestId", ev.RequestContext.RequestID),
		slog.String("route", ev.RouteKey),
		slog.Int("status", resp.StatusCode))
	return resp, nil
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.Default()
}

// page serves one route for a signed-in person.
type pageFunc func(h *Handler, ctx context.Context, r *request, s session) events.APIGatewayV2HTTPResponse

// routes maps each route of the WebFunction in template.yaml to its page; the routes of
// publicRoutes are served without a session. The template test checks both against the
// template.
var routes = map[string]pageFunc{
	"GET /": (*Handler).home,
	"POST /sign-out": func(h *Handler, ctx context.Context, r *request, _ session) events.APIGatewayV2HTTPResponse {
		return h.signedOut(ctx, r)
	},
	// A page in use keeps its session open, and asks before showing itself again (rule S3):
	// 204 while the session is open; without one, the way to sign in, like any page.
	"GET /session": func(*Handler, context.Context, *request, session) events.APIGatewayV2HTTPResponse {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNoContent, Headers: map[string]string{"Cache-Control": "no-store"}}
	},
	"GET /schools/{school}/concerns/new":              (*Handler).newConcern,
	"POST /schools/{school}/concerns":                 (*Handler).submitConcern,
	"GET /schools/{school}/concerns/{id}":             (*Handler).viewConcern,
	"GET /schools/{school}/pupils/{pupil}/chronology": (*Handler).chronology,
	"POST /schools/{school}/concerns/{id}/actions":    (*Handler).addAction,
	"POST /schools/{school}/concerns/{id}/case":       (*Handler).changeCase,
	"POST /schools/{school}/actions/{id}/complete":    (*Handler).completeAction,
	"POST /schools/{school}/actions/{id}/unable":      (*Handler).cannotFollowUp,
	"POST /schools/{school}/actions/{id}/reallocate":  (*Handler).reallocate,
	"POST /schools/{school}/actions/{id}/end":         (*Handler).endMonitoring,
	"GET /schools/{school}/work":                      (*Handler).myWork,
	"GET /schools/{school}/review":                    (*Handler).review,
	"GET /schools/{school}/audit":                     (*Handler).auditTrail,
	"POST /schools/{school}/audit":                    (*Handler).searchAuditPupil,
	"GET /schools/{school}/concerns":                  (*Handler).dashboard,

	// A concern's reporter, its corrections, its attachments; the school's categories.
	"POST /schools/{school}/concerns/{id}/update-requests":            (*Handler).requestUpdate,
	"GET /schools/{school}/concerns/{id}/amend":                       (*Handler).showAmendForm,
	"POST /schools/{school}/concerns/{id}/amendments":                 (*Handler).amend,
	"POST /schools/{school}/concerns/{id}/attachments":                (*Handler).requestUpload,
	"GET /schools/{school}/concerns/{id}/attachments/{attachment}":    (*Handler).openAttachment,
	"GET /schools/{school}/categories":                                (*Handler).categories,
	"POST /schools/{school}/categories/{category}/subcategories":      (*Handler).addSubcategory,
	"POST /schools/{school}/categories/{category}/subcategories/{id}": (*Handler).changeSubcategory,

	// Families who go quiet (E1-E6, H2) and the school calendar.
	"GET /schools/{school}/acknowledgements":               (*Handler).acknowledgements,
	"POST /schools/{school}/acknowledgements":              (*Handler).submitAcknowledgements,
	"GET /schools/{school}/families":                       (*Handler).families,
	"GET /schools/{school}/families/{id}":                  (*Handler).family,
	"POST /schools/{school}/families/{id}/contacts":        (*Handler).recordContact,
	"POST /schools/{school}/families/{id}/la-notification": (*Handler).recordLANotification,
	"POST /schools/{school}/families/{id}/decision":        (*Handler).decide,
	"GET /schools/{school}/calendar":                       (*Handler).calendar,
	"POST /schools/{school}/calendar":                      (*Handler).editCalendar,
	"POST /schools/{school}/closures":                      (*Handler).startClosure,
	"POST /schools/{school}/closures/{id}/end":             (*Handler).endClosure,
	"GET /schools/{school}/calls":                          (*Handler).callList,
	"GET /schools/{school}/families/{id}/call":             (*Handler).callScreen,
	"POST /schools/{school}/families/{id}/call":            (*Handler).submitCall,

	// The office's contact details (H1, P3, P4) and a DSL's designations for closure contact.
	"GET /schools/{school}/contact-details/report": (*Handler).contactReport,
	"GET /schools/{school}/attendance":             (*Handler).attendanceList,
	// The reports for the governors and Ofsted, and their figures as CSV (rule D10).
	"GET /schools/{school}/reports/governors":      (*Handler).governorsReport,
	"GET /schools/{school}/reports/governors.csv":  (*Handler).governorsReport,
	"GET /schools/{school}/reports/federation":     (*Handler).federationReport,
	"GET /schools/{school}/reports/federation.csv": (*Handler).federationReport,
	"GET /schools/{school}/reports/ofsted":         (*Handler).ofstedReport,
	"GET /schools/{school}/reports/ofsted.csv":     (*Handler).ofstedReport,
	// The governors' home (rule P2): the concerns routed to them (C5) and their report's link.
	"GET /schools/{school}/governors": (*Handler).governors,
	// The concerns a member of staff raised or was tagged in, with where each stands.
	"GET /schools/{school}/my-concerns": (*Handler).raisedConcerns,
	// Records reaching the 25th birthday, and legal holds (rule S7), for the Senior DSL.
	"GET /schools/{school}/retention":                              (*Handler).retentionList,
	"POST /schools/{school}/retention/{pupil}/holds":               (*Handler).placeHold,
	"POST /schools/{school}/retention/{pupil}/holds/{hold}/lift":   (*Handler).liftHold,
	"GET /schools/{school}/families/{id}/contact-details/edit":     (*Handler).contactEdit,
	"POST /schools/{school}/families/{id}/contact-details/edit":    (*Handler).submitContactEdit,
	"GET /schools/{school}/families/{id}/contact-details/versions": (*Handler).contactVersions,
	// The question why, past the hour's families (rule P3), sent back to the versions.
	"POST /schools/{school}/families/{id}/contact-details/versions": (*Handler).contactVersions,
	"GET /schools/{school}/closure-contacts":                        (*Handler).closureContacts,
	"POST /schools/{school}/closure-contacts":                       (*Handler).designate,

	// The school's MIS export (rule P1): checked, then imported, by the office or the Senior DSL.
	"GET /schools/{school}/imports":      (*Handler).importForm,
	importRoute:                          (*Handler).submitImport,
	"GET /schools/{school}/imports/{id}": (*Handler).importDone,
	importUploadRoute:                    (*Handler).requestImportUpload,
}

var publicRoutes = []string{"GET /assets/{file+}", "GET /sign-in", "GET /auth/callback"}

func (h *Handler) route(ctx context.Context, r *request) events.APIGatewayV2HTTPResponse {
	switch r.ev.RouteKey {
	case "GET /assets/{file+}":
		return serveAsset(r.param("file"))
	case "GET /sign-in":
		return h.signIn(r)
	case "GET /auth/callback":
		return h.authCallback(ctx, r)
	}
	if strings.HasPrefix(r.ev.RouteKey, "POST ") {
		if err := r.parseForm(); errors.Is(err, errFileTooLarge) {
			return h.fileTooLarge(r)
		} else if err != nil {
			return h.errorPage(r, http.StatusRequestEntityTooLarge, nil)
		}
	}
	s, ok, err := h.session(ctx, r)
	if err != nil {
		h.logger().ErrorContext(ctx, "open session", "error", err.Error())
		return h.errorPage(r, http.StatusServiceUnavailable, nil)
	}
	if !ok {
		if r.ev.RouteKey == "POST /sign-out" {
			return h.signedOut(ctx, r)
		}
		to := "/sign-in"
		if r.ev.RequestContext.HTTP.Method == http.MethodGet && r.ev.RawPath != "" && r.ev.RawPath != "/" {
			to += "?" + url.Values{"return": {r.ev.RawPath}}.Encode()
		}
		return redirect(to, http.StatusSeeOther, clearCookie(SessionCookie))
	}
	// Every use case the page runs reads the person's profile for this account only (S8).
	ctx = safeguarding.WithIdentity(ctx, safeguarding.Identity{Email: s.claims.Email, Subject: s.claims.Subject})
	if strings.HasPrefix(r.ev.RouteKey, "POST ") && !s.allowsPost(r) {
		return h.errorPage(r, http.StatusForbidden, &s)
	}
	if serve, ok := routes[r.ev.RouteKey]; ok {
		return serve(h, ctx, r, s)
	}
	return h.errorPage(r, http.StatusNotFound, &s)
}

// parseForm decodes an application/x-www-form-urlencoded body, base64 or not, or on the
// import page's route a multipart/form-data one with its file (parseUpload).
func (r *request) parseForm() error {
	limit := maxBodyBytes
	if uploadRoutes[r.ev.RouteKey] {
		limit = maxImportBody
	}
	// base64 grows a body by a third: a body past this is past the limit once decoded.
	if len(r.ev.Body) > limit/3*4+4 {
		return errTooLarge(r.ev.RouteKey)
	}
	body := r.ev.Body
	if r.ev.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(body)
		if err != nil {
			return err
		}
		body = string(b)
	}
	if len(body) > limit {
		return errTooLarge(r.ev.RouteKey)
	}
	if uploadRoutes[r.ev.RouteKey] {
		if mt, params, err := mime.ParseMediaType(r.header("content-type")); err == nil && mt == "multipart/form-data" {
			return r.parseUpload(body, params["boundary"])
		}
	}
	v, err := url.ParseQuery(body)
	if err != nil {
		return err
	}
	r.form = v
	return nil
}

// statusFor maps the domain's errors to a page status. A record or school the person may
// not see is "not found", whichever it is (rule P2).
func statusFor(err error) int {
	switch {
	case errors.Is(err, safeguarding.ErrNotFound), errors.Is(err, safeguarding.ErrForbidden):
		return http.StatusNotFound
	case errors.Is(err, safeguarding.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, safeguarding.ErrConflict), errors.Is(err, safeguarding.ErrIdempotencyMismatch):
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

func redirect(to string, status int, cookies ...string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		Headers:    withSecurityHeaders(map[string]string{"Location": to, "Cache-Control": "no-store"}),
		Cookies:    cookies,
	}
}
