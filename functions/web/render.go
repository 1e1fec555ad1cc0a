package main

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// assetVersion names the current set of static files in their URLs (/assets/<version>/app.css),
// so they can be cached for a year and a new deployment is fetched at once. It is worked out
// on first use, not at start-up: hashing every file would slow each cold start.
var assetVersion = sync.OnceValue(func() string {
	h := sha256.New()
	_ = fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := staticFiles.ReadFile(p)
		h.Write([]byte(p))
		h.Write(b)
		return nil
	})
	return "v" + hex.EncodeToString(h.Sum(nil))[:12]
})

// contentSecurityPolicy allows this site's own styles and scripts only: no inline script, no
// other origin, no framing. Forms post to this site, and may be sent on to formOrigin (the
// identity provider, where signing out ends its session too). Scripts may connect to this
// site and to uploadOrigin (the attachments bucket, rule C6).
func contentSecurityPolicy(formOrigin, uploadOrigin string) string {
	formAction := "'self'"
	if formOrigin != "" {
		formAction += " " + formOrigin
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'" + strings.TrimRight(" "+uploadOrigin, " ") + "; form-action " + formAction + "; frame-ancestors 'none'; base-uri 'none'"
}

// withSecurityHeaders adds the headers every response carries (the policy of a page without
// forms to other origins unless a page sets its own first).
func withSecurityHeaders(h map[string]string) map[string]string {
	if _, ok := h["Content-Security-Policy"]; !ok {
		h["Content-Security-Policy"] = contentSecurityPolicy("", "")
	}
	h["X-Content-Type-Options"] = "nosniff"
	h["Referrer-Policy"] = "no-referrer"
	h["X-Frame-Options"] = "DENY"
	h["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
	return h
}

// when shows a time in school time (Europe/London, with BST).
func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(safeguarding.London).Format("2 January 2006 at 15:04")
}

// whenDay is when with the day of the week, for due times.
func whenDay(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(safeguarding.London).Format("Monday 2 January 2006 at 15:04")
}

var funcs = template.FuncMap{
	"asset":   func(name string) string { return "/assets/" + assetVersion() + "/" + name },
	"when":    when,
	"inc":     func(i int) int { return i + 1 },
	"whenDay": whenDay,
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1]
		}
		return m
	},
	"plural": plural,
}

// pages are parsed once, on the first page served rather than at start-up: the layout and
// the parts in _*.html, plus each page's own template. A template that does not parse is an error of every page (and of
// the tests), never a panic at start-up.
var pages = sync.OnceValues(parsePages)

func parsePages() (map[string]*template.Template, error) {
	layout, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFiles, "templates/layout.html", "templates/_*.html")
	if err != nil {
		return nil, err
	}
	names, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		return nil, err
	}
	out := map[string]*template.Template{}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" || strings.HasPrefix(base, "_") {
			continue // parts every page shares, parsed with the layout
		}
		t, err := layout.Clone()
		if err == nil {
			t, err = t.ParseFS(templateFiles, n)
		}
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", base, err)
		}
		out[base] = t
	}
	return out, nil
}

// pageData is what every page gets; Page holds the page's own view.
type pageData struct {
	Title string
	// SignedIn shows the sign-out button; CSRF is the session's form token.
	SignedIn bool
	CSRF     string
	Page     any
	// Nav is the header's menu for the school the page is about.
	Nav *navView
	// IdleMs is how long the page stays on screen without use (rule S3), for its script.
	IdleMs int64
}

func (h *Handler) page(r *request, status int, name string, d pageData) events.APIGatewayV2HTTPResponse {
	d.IdleMs = (5 * time.Minute).Milliseconds()
	if h.IdleTimeout > 0 {
		d.IdleMs = h.IdleTimeout.Milliseconds()
	}
	var b bytes.Buffer
	all, err := pages()
	if err != nil {
		// A parse error names a template file, never a record.
		h.logger().Error("templates do not parse", "requestId", r.ev.RequestContext.RequestID, "error", err.Error())
	} else if t, ok := all[name]; !ok {
		err = fmt.Errorf("no template %q", name)
		h.logger().Error("no such template", "requestId", r.ev.RequestContext.RequestID, "template", name)
	} else if err = t.ExecuteTemplate(&b, "layout.html", d); err != nil {
		// The error could quote the page's data, so only the template's name is logged.
		h.logger().Error("template failed", "requestId", r.ev.RequestContext.RequestID, "template", name)
	}
	if err != nil {
		return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusInternalServerError,
			Headers: withSecurityHeaders(map[string]string{"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store"}),
			Body:    "Something went wrong.\n"}
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: status,
		// no-store: nothing of a record stays in the browser's cache (rule S3).
		Headers: withSecurityHeaders(map[string]string{"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store",
			"Content-Security-Policy": contentSecurityPolicy(h.Config.providerOrigin(), h.Config.UploadOrigin)}),
		Body: b.String(),
	}
}

type errorView struct {
	Status  int
	Heading string
	Message string
	// Link is where to go next (the home page when empty).
	Link     string
	LinkText string
}

// navView is the header's menu: Home and Record a concern on their own, then a few headed
// groups of links, each only with the links the person's roles open, so that a DSL's menu
// stays on one line of a laptop's screen and reads as a short list on a phone.
type navView struct {
	Items  []navItem
	Groups []navGroup
}

type navItem struct {
	Href    string
	Text    string
	Current bool
}

// navGroup is one heading of the menu with its links; Current when the page is one of them.
type navGroup struct {
	Key     string
	Title   string
	Items   []navItem
	Current bool
}

// navFor is the menu of p at school; current names the page it is on ("home", "record",
// "work", "acknowledgements", "concerns", "review", "families", "calendar", "imports", "attendance" or "").
func navFor(p safeguarding.Principal, school safeguarding.SchoolID, current string) *navView {
	n := &navView{Items: []navItem{{Href: "/", Text: "Home", Current: current == "home"}}}
	a := safeguarding.AccessFor(p, school)
	if !a.Member {
		return n
	}
	base := schoolPath(school)
	n.Items = append(n.Items, navItem{Href: base + "/concerns/new", Text: "Record a concern", Current: current == "record"})
	item := func(href, text, name string) navItem {
		return navItem{Href: href, Text: text, Current: current == name}
	}

	// Your work: what the person does themselves.
	var mine []navItem
	if a.Work {
		mine = append(mine, item(base+"/work", "My work", "work"), item(base+"/visits", "Home visits", "visits"))
	}
	mine = append(mine, item(raisedPath(school), "Concerns you raised", "raised"))
	// Rule P2: a governor sees the concerns routed to them (C5); the report is under School.
	if a.Governors {
		mine = append(mine, item(governorsPath(school), "For governors", "governors"))
	}
	if a.Acknowledgements {
		mine = append(mine, item(base+"/acknowledgements", "Acknowledgements", "acknowledgements"))
	}
	// Rule P3: the DSLs and the staff a DSL designated for closure contact call the families;
	// the designation comes with the Principal, so the link costs no read of its own.
	if a.CallFamilies {
		mine = append(mine, item(callsPath(school), "Families to call", "calls"))
	}

	// Concerns: the DSLs' reading of the school's records.
	var cases []navItem
	if a.Dashboard {
		cases = append(cases, item(base+"/concerns", "Concerns", "concerns"), item(base+"/review", "Review", "review"))
	}
	if a.FindPupils {
		cases = append(cases, item(pupilSearchPath(school), "Find a pupil", "find-pupil"))
	}
	if a.Transfers {
		cases = append(cases, item(transfersPath(school), "Transfers", "transfers"))
	}
	if a.Audit {
		cases = append(cases, item(auditPath(school), "Audit", "audit"))
	}
	if a.Retention {
		cases = append(cases, item(retentionPath(school), "Records to review", "retention"))
	}

	// Families and closure: families who go quiet, their numbers, attendance.
	var families []navItem
	if a.Families {
		families = append(families, item(base+"/families", "Families", "families"))
	}
	if a.FindFamilies {
		families = append(families, item(familySearchPath(school), "Find a family", "find-family"))
	}
	if a.ContactNumbers {
		families = append(families, item(contactReportPath(school), "Contact numbers", "contact-report"))
	}
	if a.Attendance {
		families = append(families, item(attendancePath(school), "Attendance", "attendance"))
	}
	if a.Categories {
		families = append(families, item(closureContactsPath(school), "Closure contacts", "closure-contacts"))
	}

	// School: how the school is set up, its reports and contacts.
	var sch []navItem
	if a.Reports {
		sch = append(sch, item(governorsReportPath(school), "Reports", "reports"))
	}
	if a.CalendarEdit {
		sch = append(sch, item(base+"/calendar", "Calendar", "calendar"))
	}
	if a.Imports {
		sch = append(sch, item(importsPath(school), "Import pupils", "imports"))
	}
	if a.Staff {
		sch = append(sch, item(staffPath(school), "Staff", "staff"))
	}
	if a.Categories {
		sch = append(sch, item(base+"/categories", "Categories", "categories"))
	}
	if a.ClassTeachers {
		sch = append(sch, item(classesPath(school), "Classes", "classes"))
	}
	if a.Settings {
		sch = append(sch, item(settingsPath(school), "Settings", "settings"))
	}
	sch = append(sch, item(keyContactsPath(school), "Key contacts", "key-contacts"))

	for _, g := range []navGroup{{Key: "mine", Title: "Your work", Items: mine}, {Key: "concerns", Title: "Concerns", Items: cases},
		{Key: "families", Title: "Families and closure", Items: families}, {Key: "school", Title: "School", Items: sch}} {
		if len(g.Items) == 0 {
			continue
		}
		g.Current = slices.ContainsFunc(g.Items, func(i navItem) bool { return i.Current })
		n.Groups = append(n.Groups, g)
	}
	return n
}

func (h *Handler) errorPage(r *request, status int, s *session) events.APIGatewayV2HTTPResponse {
	v := errorView{Status: status}
	switch status {
	case http.StatusNotFound:
		v.Heading, v.Message = "Page not found", "There is nothing here, or it is not yours to see. If you typed the address, check it is correct."
	case http.StatusForbidden:
		v.Heading, v.Message = "The form could not be sent", "The form had expired or did not come from this site. Go back, reload the page and try again."
	case http.StatusBadRequest:
		v.Heading, v.Message = "Sorry, that did not work", "Go back and try again."
	case http.StatusRequestEntityTooLarge:
		v.Heading, v.Message = "The form is too long", "Shorten what you wrote and try again."
	case http.StatusConflict:
		v.Heading, v.Message = "The form was already sent", "This form was already sent with different answers. Open a new form to record another concern."
	default:
		v.Heading, v.Message = "Sorry, there is a problem", "Try again later. If it keeps happening, tell your designated safeguarding lead another way."
	}
	return h.showError(r, v, s)
}

func (h *Handler) showError(r *request, v errorView, s *session) events.APIGatewayV2HTTPResponse {
	d := pageData{Title: v.Heading, Page: v}
	if s != nil {
		d.SignedIn, d.CSRF = true, s.csrf()
	}
	return h.page(r, v.Status, "error", d)
}

// serveAsset serves a static file under /assets/<version>/<name>. The current version is
// cached for a year; any other gets the current file, revalidated each time.
func serveAsset(file string) events.APIGatewayV2HTTPResponse {
	version, name, ok := strings.Cut(file, "/")
	if !ok || strings.Contains(name, "/") || strings.HasPrefix(name, ".") {
		return notFoundAsset()
	}
	b, err := staticFiles.ReadFile("static/" + name)
	if err != nil {
		return notFoundAsset()
	}
	cache := "public, max-age=31536000, immutable"
	if version != assetVersion() {
		cache = "no-cache"
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js", ".mjs":
		ctype = "text/javascript; charset=utf-8"
	case ".css":
		ctype = "text/css; charset=utf-8"
	}
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	return events.APIGatewayV2HTTPResponse{
		StatusCode: http.StatusOK,
		Headers:    withSecurityHeaders(map[string]string{"Content-Type": ctype, "Cache-Control": cache}),
		Body:       string(b),
	}
}

func notFoundAsset() events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: http.StatusNotFound,
		Headers: withSecurityHeaders(map[string]string{"Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-cache"}),
		Body:    "Not found\n"}
}
