package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/local/seed"
	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// The authorisation matrix (rules P2, C5, and the rules each route serves): every route of
// template.yaml, tried by each of Brook Lane's six roles in three situations:
//
//   - at their own school, on the objects the test sets up: allowed only for the roles the
//     row names;
//   - at the other school (Hillcrest, where none of the six has a role), the same route with
//     the same ids: refused for everyone;
//   - for a route about a concern, by the member of staff a concern is about (Priya Shah, on a
//     concern about her): refused (C5).
//
// Refused is 401, 403 or 404 with nothing of the record in the body; allowed is any other
// answer, never a 5xx (a 400 for an empty or partial body is allowed: the caller got past the
// access check). The bodies are chosen to be refused as invalid, or as stale, once past the
// access check where they can be, so that the matrix writes little: Helen's authorisation of
// the visit, Tom's request for an update, pending attachments. The expectations come from the rules (docs/rules.md)
// and from where the domain decides them (AccessFor and each use case's checks), not from
// what the product answers.

// The six roles of Brook Lane, by first name, and the letter a row's allow uses for each.
var matrixPeople = []struct{ letter, name, email string }{
	{"H", "Helen (Senior DSL)", seed.Email("Helen", "Carter")},
	{"D", "Daniel (DSL, teacher)", seed.Email("Daniel", "Reyes")},
	{"T", "Tom (teacher, closure contact, reporter)", seed.Email("Tom", "Hughes")},
	{"P", "Priya (staff)", seed.Email("Priya", "Shah")},
	{"G", "Grace (office)", seed.Email("Grace", "Bennett")},
	{"M", "Martin (governor)", seed.Email("Martin", "Doyle")},
}

// Letters for the rows: every role, the DSLs (the Senior DSL and the DSL), the viewers of the
// concern about a pupil (its reporter Tom and the DSLs).
const (
	everyone = "HDTPGM"
	dsls     = "HD"
	viewers  = "HDT"
)

// accessRow is one route's expectation. allow lists the roles (letters) that may use it at
// their own school on the test's objects; everyone else is refused.
type accessRow struct {
	allow string
	// public: the route answers without sign-in, for anyone, at any school (the reason says why).
	public string
	// unscoped: the route names no school, so there is no other school to try (the reason).
	unscoped string
	// body is sent as JSON (API) or as a form (web, with the form token added); nil sends none.
	body any
	// query is added to the URL.
	query string
	// params overrides a path parameter's value (e.g. the concern or the attachment).
	params map[string]string
	// why: the rule and the code that decide the row.
	why string
}

// knownHoles are cells where the product's answer differs from the rules, keyed "route
// key|letter" (own school) or "route key|letter|situation", each with its reason and the code
// that decides it. The test logs them instead of failing while they are open, and fails when
// one is closed. None is open.
var knownHoles = map[string]string{}

func accessMatrix() map[string]accessRow {
	none := map[string]any{}
	return map[string]accessRow{
		// Attachments (C6): the concern's viewers; only its author or a DSL attaches.
		"POST /api/schools/{school}/concerns/{id}/attachments":                {allow: viewers, body: none, why: "C6: Concern.CanAttach: may see it, and its author or a DSL"},
		"GET /api/schools/{school}/concerns/{id}/attachments":                 {allow: viewers, why: "C6, P2: whoever may see the concern (attachment.go)"},
		"GET /api/schools/{school}/concerns/{id}/attachments/{attachment}":    {allow: viewers, why: "C6, P2: whoever may see the concern opens its verified file"},
		"POST /api/schools/{school}/concerns/{id}/actions":                    {allow: dsls, body: none, why: "D1: CreateAction: a DSL who may see the concern"},
		"POST /api/schools/{school}/actions/{id}/complete":                    {allow: "HDP", body: none, why: "D1-D5: Action.CanChange: its assignee (Priya) or a DSL"},
		"POST /api/schools/{school}/actions/{id}/unable":                      {allow: "P", body: none, why: "D6: Action.CannotFollowUp: its assignee only"},
		"POST /api/schools/{school}/actions/{id}/reallocate":                  {allow: "H", body: none, why: "D6: Action.Reallocate: the Senior DSL"},
		"POST /api/schools/{school}/actions/{id}/end":                         {allow: dsls, body: none, why: "D3, D5: Action.End: a DSL ends repeating monitoring"},
		"GET /api/schools/{school}/actions":                                   {allow: everyone, why: "D6: MyWork: any member lists their own work"},
		"GET /api/schools/{school}/concerns/{id}/case":                        {allow: dsls, why: "D7, P2: Concern.CanSeeCaseWork: the DSLs who may see it; its reporter gets 403"},
		"POST /api/schools/{school}/concerns/{id}/case":                       {allow: dsls, body: map[string]any{"change": "close"}, why: "D9: Concern.Close: a DSL who may see it"},
		"GET /api/schools/{school}/review":                                    {allow: dsls, why: "D9: ReviewList: the DSLs"},
		"GET /api/schools/{school}/audit":                                     {allow: dsls, why: "P4: audit.CanRead (Access.Audit): the Senior DSL and the DSLs"},
		"GET /api/schools/{school}/audit/verify":                              {allow: "H", why: "P4: seals.CanVerify: the Senior DSL"},
		"POST /api/schools/{school}/imports":                                  {allow: "HG", body: none, why: "P1: imports.CanImport (Access.Imports): the office and the Senior DSL"},
		"POST /api/schools/{school}/imports/uploads":                          {allow: "HG", body: map[string]any{"size": 100}, why: "P1: imports.CanImport: the office and the Senior DSL"},
		"GET /api/schools/{school}/imports/{id}":                              {allow: "HG", why: "P1: imports.CanImport: the office and the Senior DSL"},
		"GET /api/schools/{school}/imports":                                   {allow: "HDG", why: "P1: imports.CanList: those who import and the DSLs"},
		"GET /api/schools/{school}/staff":                                     {allow: "HG", why: "P1: Access.Staff: the office and the Senior DSL"},
		"POST /api/schools/{school}/staff":                                    {allow: "HG", body: map[string]any{}, why: "P1: staff.Service.Add (Access.Staff), then the body: the office and the Senior DSL"},
		"PATCH /api/schools/{school}/staff/{person}":                          {allow: "HG", body: map[string]any{"roles": []string{}}, params: map[string]string{"person": seed.Subject(seed.Email("Priya", "Shah"))}, why: "P1: staff.Service.ChangeRoles (Access.Staff), then no role is refused as invalid"},
		"POST /api/schools/{school}/staff/imports":                            {allow: "HG", body: none, why: "P1: staff.Service.Import (Access.Staff): the office and the Senior DSL"},
		"POST /api/schools/{school}/concerns":                                 {allow: everyone, body: none, why: "C1: any member of the school records a concern"},
		"GET /api/schools/{school}/concerns":                                  {allow: everyone, why: "P2: Concerns.DashboardPage lists only the concerns the caller may see (CanView): staff their own and those they were tagged in, the governor those routed to them"},
		"GET /api/schools/{school}/concerns/{id}":                             {allow: viewers, why: "P2: Visibility.CanView: its author and the DSLs"},
		"GET /api/schools/{school}/pupils/{pupil}/chronology":                 {allow: everyone, why: "P2: any member, each entry filtered by its visibility (PupilChronology)"},
		"GET /api/schools/{school}/pupils/{pupil}/chronology.pdf":             {allow: dsls, why: "D10: exports.MayProduce: the DSLs and the Senior DSL only"},
		"GET /api/schools/{school}/pupils/{pupil}/export":                     {allow: dsls, why: "D10: exports.MayProduce: the DSLs and the Senior DSL only"},
		"POST /api/schools/{school}/concerns/{id}/amendments":                 {allow: viewers, body: map[string]any{"version": 1}, why: "P4: Concern.CanAmend: its author or a DSL who may see it"},
		"GET /api/schools/{school}/concerns/{id}/revisions":                   {allow: viewers, why: "P4, P2: whoever may see the concern reads its versions"},
		"GET /api/schools/{school}/categories":                                {allow: everyone, why: "C1, C2: every member chooses a category on the form"},
		"POST /api/schools/{school}/concerns/{id}/update-requests":            {allow: "T", body: none, why: "D7: only the reporter asks what happened (progress.go)"},
		"POST /api/schools/{school}/categories/{category}/subcategories":      {allow: dsls, body: "catalogue", why: "C2: only the DSLs change the sub-categories"},
		"POST /api/schools/{school}/categories/{category}/subcategories/{id}": {allow: dsls, body: "catalogue", why: "C2: only the DSLs change the sub-categories"},
		// Contact details (P3, H1).
		"GET /api/schools/{school}/families/{id}/contact-details":            {allow: viewers, why: "P3: CanSeeContactDetails: the DSLs and staff designated for closure contact (Tom)"},
		"PUT /api/schools/{school}/families/{id}/contact-details":            {allow: dsls, body: map[string]any{"version": 999}, why: "P3, H1: replacing needs seeing and editing them: the DSLs"},
		"PATCH /api/schools/{school}/families/{id}/contact-details":          {allow: "HDG", body: map[string]any{"version": 999}, why: "H1: CanEditContactDetails: the office and the DSLs"},
		"GET /api/schools/{school}/families/{id}/contact-details/versions":   {allow: dsls, why: "P4, P3: ContactVersions: the DSLs"},
		"GET /api/schools/{school}/contact-details/report":                   {allow: "HDG", why: "H1: the office and the DSLs"},
		"GET /api/schools/{school}/closure-contacts":                         {allow: dsls, why: "P3: Access.Designations: the DSLs"},
		"PUT /api/schools/{school}/closure-contacts/{email}":                 {allow: dsls, body: map[string]any{"active": true}, params: map[string]string{"email": "someone@elsewhere.example.org"}, why: "P3: SetClosureContact: the DSLs"},
		"GET /api/schools/{school}/families/{id}/actions":                    {allow: everyone, why: "H3: any member lists the family's actions given to them; the DSLs all of them"},
		"POST /api/schools/{school}/families/{id}/actions/{action}/complete": {allow: "HDP", body: none, why: "H3: its assignee (Priya) or a DSL"},
		// Engagement (E1-E6).
		"POST /api/schools/{school}/engagement": {allow: "HDTG", body: "ack", why: "E1: the class teacher (Tom teaches Acorns), the office and the DSLs"},
		"GET /api/schools/{school}/families":    {allow: dsls, query: "status=missing", why: "E2, E3: Access.Families: the DSLs"},
		"GET /api/schools/{school}/attendance":  {allow: "HDG", why: "C9: attendance.CanSee (Access.Attendance): the office and the DSLs"},
		// Reports for the governors and Ofsted (D10, P2).
		"GET /api/schools/{school}/reports/governors":              {allow: "HDM", why: "D10, P2: reports.CanRead (Access.Reports): the DSLs and the governors"},
		"GET /api/schools/{school}/reports/governors.csv":          {allow: "HDM", why: "D10, P2: reports.CanRead (Access.Reports)"},
		"GET /api/schools/{school}/reports/ofsted":                 {allow: "HDM", why: "D10, P2: reports.CanRead (Access.Reports)"},
		"GET /api/schools/{school}/reports/ofsted.csv":             {allow: "HDM", why: "D10, P2: reports.CanRead (Access.Reports)"},
		"GET /api/reports/governors":                               {allow: "HDM", unscoped: "the schools where the caller reads reports", why: "D10, P2: FederationReport: the schools where reports.CanRead"},
		"GET /api/reports/governors.csv":                           {allow: "HDM", unscoped: "the schools where the caller reads reports", why: "D10, P2: FederationReport"},
		"POST /api/schools/{school}/families/{id}/contacts":        {allow: viewers, body: map[string]any{"at": "2026-12-01T09:50:00Z"}, why: "H2, P3: RecordContact: the DSLs and designated staff (Tom)"},
		"POST /api/schools/{school}/families/{id}/la-notification": {allow: "H", body: map[string]any{"sentAt": "2026-12-01T09:00:00Z"}, why: "E5: the Senior DSL"},
		"POST /api/schools/{school}/families/{id}/decision":        {allow: "H", body: none, why: "E4: the Senior DSL"},
		"GET /api/schools/{school}/calendar":                       {allow: everyone, why: "E2: Engagement.Calendar: any member of the school reads its calendar (terms and days off, no record); the page is Access.Calendar's"},
		"PUT /api/schools/{school}/calendar":                       {allow: "HG", body: "calendar", why: "E2: NewSchoolCalendar: CanEditCalendar, the Senior DSL and the office"},
		"GET /api/schools/{school}/closures":                       {allow: everyone, why: "E0: Closures.List: any member of the school sees whether it is in a closure (dates, no record)"},
		"POST /api/schools/{school}/closures":                      {allow: "H", body: none, why: "E0: CanManageClosures: the Senior DSL (checked before the body)"},
		"POST /api/schools/{school}/closures/{id}/end":             {allow: "H", body: none, params: map[string]string{"id": "none"}, why: "E0: CanManageClosures: the Senior DSL (checked before the body)"},
		"POST /api/schools/{school}/families/{id}/call/take":       {allow: viewers, why: "E3: CanTakeCall: the DSLs and staff designated for closure contact (Tom); the family has no call due, so past the check it is 400"},
		"GET /api/schools/{school}/calls":                          {allow: everyone, why: "E3: CallsFor: any member lists the calls in their own work"},
		// People (P1).
		"GET /api/me":                      {allow: everyone, unscoped: "names no school: every signed-in person reads their own memberships", why: "P1"},
		"GET /api/schools/{school}/pupils": {allow: everyone, query: "q=a", why: "C1: any member finds pupils for the form"},
		// The school's settings and its classes' teachers: a whole, valid change against a
		// version that is not the settings', so that the Senior DSL's is stale (409).
		"GET /api/schools/{school}/settings": {allow: everyone, why: "V5, C5: settings.Service.Read: any member reads whom to call"},
		"PUT /api/schools/{school}/settings": {allow: "H", body: map[string]any{"version": 999, "endOfDay": "17:00", "loneWorkerMinutes": 30,
			"sessionIdleMinutes": 30, "sessionLifetimeMinutes": 600, "contactOpeningsPerHour": 30}, why: "V5, V8, S3, C5: Access.Settings: the Senior DSL"},
		"GET /api/schools/{school}/classes": {allow: "HG", why: "P1, E1: Access.ClassTeachers: the Senior DSL and the office"},
		"PUT /api/schools/{school}/classes/{class}/teachers": {allow: "HG", body: map[string]any{"version": 999, "teachers": []string{}},
			params: map[string]string{"class": "Acorns"}, why: "P1, E1: Access.ClassTeachers: the Senior DSL and the office"},
		// Home visits (V1-V8): a visit by Tom and Priya, Sam Ellis their line manager.
		"POST /api/schools/{school}/visits":                         {allow: dsls, body: "family", why: "V1: Access.PlanVisits: the DSLs"},
		"GET /api/schools/{school}/visits":                          {allow: everyone, why: "V2: any member lists the visits they may see"},
		"GET /api/schools/{school}/visits/{id}":                     {allow: "HDTP", why: "V2: Visit.CanView: the staff going, their line manager and the DSLs"},
		"POST /api/schools/{school}/visits/{id}/authorise":          {allow: "H", why: "V1: Visit.Authorise: the Senior DSL"},
		"POST /api/schools/{school}/visits/{id}/call-ahead":         {allow: "HDTP", body: none, why: "V3: the staff going or a DSL"},
		"POST /api/schools/{school}/visits/{id}/start":              {allow: "TP", body: map[string]any{"staffEmails": []string{}}, why: "V1, V2: Visit.Start: the staff going"},
		"POST /api/schools/{school}/visits/{id}/doorstep":           {allow: "TP", body: none, why: "V4: the staff going"},
		"POST /api/schools/{school}/visits/{id}/concern":            {allow: "TP", body: none, why: "V5: the staff going"},
		"POST /api/schools/{school}/visits/{id}/observations":       {allow: "TP", body: none, why: "V6: the staff going"},
		"POST /api/schools/{school}/visits/{id}/next":               {allow: "TP", body: none, why: "V7: the staff going"},
		"POST /api/schools/{school}/visits/{id}/checkout":           {allow: "TP", why: "V8: Visit.CheckOut: the staff going or their line manager"},
		"POST /api/schools/{school}/visits/{id}/cancel":             {allow: dsls, body: none, why: "V1: Visit.Cancel: a DSL"},
		"POST /api/schools/{school}/families/{id}/visit-block/lift": {allow: dsls, body: none, why: "V3: a DSL lifts the block"},

		// The web pages: the same rules, asked of AccessFor and the same use cases.
		"GET /":                                                           {allow: everyone, unscoped: "names no school: the signed-in person's home", why: "P1"},
		"GET /assets/{file+}":                                             {allow: everyone, public: "the pages' style sheet and scripts, for the sign-in page too: no record"},
		"GET /sign-in":                                                    {allow: everyone, public: "starts the sign-in: no record", query: "return=/"},
		"GET /auth/callback":                                              {allow: everyone, public: "the identity provider returns here before there is a session: no record (without a code it refuses the request itself)"},
		"POST /sign-out":                                                  {allow: everyone, unscoped: "names no school: ends the caller's own session (tried last, on a session of its own)", why: "S3"},
		"GET /session":                                                    {allow: everyone, unscoped: "names no school: the caller's own session", why: "S3"},
		"GET /schools/{school}/concerns/new":                              {allow: everyone, why: "C1: Access.Member"},
		"POST /schools/{school}/concerns":                                 {allow: everyone, body: url.Values{}, why: "C1: Access.Member"},
		"POST /schools/{school}/concerns/new/pupils":                      {allow: everyone, body: url.Values{"q": {"chidi"}}, why: "C1: Access.Member: the form's pupil search as one types"},
		"GET /schools/{school}/concerns/{id}":                             {allow: viewers, why: "P2: OpenConcern: Visibility.CanView"},
		"GET /schools/{school}/pupils/{pupil}/chronology":                 {allow: everyone, why: "P2: any member, each entry filtered"},
		"GET /schools/{school}/pupils/{pupil}/chronology.pdf":             {allow: dsls, why: "D10: exports.MayProduce"},
		"GET /schools/{school}/pupils/{pupil}/export":                     {allow: dsls, why: "D10: exports.MayProduce (the review)"},
		"GET /schools/{school}/pupils/{pupil}/export.json":                {allow: dsls, why: "D10: exports.MayProduce"},
		"GET /schools/{school}/pupils/{pupil}/export.zip":                 {allow: dsls, why: "D10: exports.MayProduce (the archive of the files too)"},
		"POST /schools/{school}/concerns/{id}/actions":                    {allow: dsls, body: url.Values{}, why: "D1: CreateAction"},
		"POST /schools/{school}/concerns/{id}/case":                       {allow: dsls, body: url.Values{"change": {"close"}}, why: "D9"},
		"POST /schools/{school}/actions/{id}/complete":                    {allow: "HDP", body: url.Values{}, why: "Action.CanChange"},
		"POST /schools/{school}/actions/{id}/unable":                      {allow: "P", body: url.Values{}, why: "D6: its assignee"},
		"POST /schools/{school}/actions/{id}/reallocate":                  {allow: "H", body: url.Values{}, why: "D6: the Senior DSL"},
		"POST /schools/{school}/actions/{id}/end":                         {allow: dsls, body: url.Values{}, why: "D3, D5: Action.End: a DSL"},
		"GET /schools/{school}/work":                                      {allow: everyone, why: "D6: Access.Member: their own work"},
		"GET /schools/{school}/review":                                    {allow: dsls, why: "D9: Access.Review"},
		"GET /schools/{school}/audit":                                     {allow: dsls, why: "P4: Access.Audit: the Senior DSL and the DSLs"},
		"POST /schools/{school}/audit":                                    {allow: dsls, body: map[string]any{"q": "a"}, why: "P4: Access.Audit: the pupil search of the audit page"},
		"GET /schools/{school}/concerns":                                  {allow: dsls, why: "C4: Access.Dashboard"},
		"GET /schools/{school}/acknowledgements":                          {allow: "HDTG", why: "E1: Access.Acknowledgements"},
		"POST /schools/{school}/acknowledgements":                         {allow: "HDTG", body: url.Values{"class": {"Acorns"}}, why: "E1: Access.Acknowledgements; Acorns is Tom's class"},
		"GET /schools/{school}/families":                                  {allow: dsls, why: "E2: Access.Families"},
		"GET /schools/{school}/families/{id}":                             {allow: dsls, why: "E2, P2: FamilyView: the DSLs"},
		"POST /schools/{school}/families/{id}/contacts":                   {allow: dsls, body: url.Values{}, why: "H2, E2: the family page's contact form (Access.Families); designated staff record their calls through .../call"},
		"POST /schools/{school}/families/{id}/la-notification":            {allow: "H", body: url.Values{"sent-day": {"1"}, "sent-month": {"12"}, "sent-year": {"2026"}, "sent-time": {"09:00"}}, why: "E5: the Senior DSL"},
		"POST /schools/{school}/families/{id}/decision":                   {allow: "H", body: url.Values{"decision": {"no-referral"}, "reason": {"Matrix"}}, why: "E4: the Senior DSL"},
		"GET /schools/{school}/calendar":                                  {allow: "HDG", why: "E2: Access.Calendar"},
		"GET /schools/{school}/imports":                                   {allow: "HG", why: "P1: Access.Imports: the office and the Senior DSL"},
		"POST /schools/{school}/imports":                                  {allow: "HG", body: url.Values{}, why: "P1: Access.Imports: the office and the Senior DSL (a post with no file: past the access check, invalid)"},
		"GET /schools/{school}/imports/{id}":                              {allow: "HG", why: "P1: Access.Imports, then imports.Read"},
		"GET /schools/{school}/import-history":                            {allow: "HDG", why: "P1: imports.CanList: those who import (the office, the Senior DSL) and the DSLs, whose home counts the imports with errors"},
		"POST /schools/{school}/imports/uploads":                          {allow: "HG", body: url.Values{"size": {"100"}}, why: "P1: imports.CanImport: the office and the Senior DSL (a file over 4 MB, through the bucket)"},
		"GET /schools/{school}/staff":                                     {allow: "HG", why: "P1: Access.Staff: the office and the Senior DSL"},
		"POST /schools/{school}/staff":                                    {allow: "HG", body: url.Values{}, why: "P1: staff.Service.Add (Access.Staff), then the empty form is invalid"},
		"GET /schools/{school}/staff/{person}":                            {allow: "HG", params: map[string]string{"person": seed.Subject(seed.Email("Priya", "Shah"))}, why: "P1: Access.Staff"},
		"POST /schools/{school}/staff/{person}":                           {allow: "HG", body: url.Values{"form": {"roles"}}, params: map[string]string{"person": seed.Subject(seed.Email("Priya", "Shah"))}, why: "P1: staff.Service.ChangeRoles (Access.Staff), then no role is refused as invalid"},
		"POST /schools/{school}/staff/imports":                            {allow: "HG", body: url.Values{}, why: "P1: Access.Staff, then a post without a file is invalid"},
		"POST /schools/{school}/calendar":                                 {allow: "HG", body: url.Values{"version": {"999"}}, why: "E2: Access.CalendarEdit"},
		"POST /schools/{school}/closures":                                 {allow: "H", body: url.Values{"closure-from": {"not a day"}}, why: "E0: CanManageClosures: the Senior DSL"},
		"POST /schools/{school}/closures/{id}/end":                        {allow: "H", body: url.Values{"closure-last-day": {"not a day"}}, params: map[string]string{"id": "none"}, why: "E0: CanManageClosures: the Senior DSL"},
		"GET /schools/{school}/calls":                                     {allow: viewers, why: "P3: Access.CallFamilies"},
		"GET /schools/{school}/families/{id}/call":                        {allow: viewers, why: "P3, H3: Access.CallFamilies"},
		"POST /schools/{school}/families/{id}/call":                       {allow: viewers, body: url.Values{}, why: "P3, H3: Access.CallFamilies"},
		"GET /schools/{school}/contact-details/report":                    {allow: "HDG", why: "H1: Access.ContactNumbers"},
		"GET /schools/{school}/attendance":                                {allow: "HDG", why: "C9: Access.Attendance: the office and the DSLs"},
		"GET /schools/{school}/reports/governors":                         {allow: "HDM", why: "D10, P2: Access.Reports: the DSLs and the governors"},
		"GET /schools/{school}/reports/governors.csv":                     {allow: "HDM", why: "D10, P2: Access.Reports"},
		"GET /schools/{school}/reports/federation":                        {allow: "HDM", why: "D10, P2: Access.Reports, and the schools where reports.CanRead"},
		"GET /schools/{school}/reports/federation.csv":                    {allow: "HDM", why: "D10, P2: Access.Reports"},
		"GET /schools/{school}/reports/ofsted":                            {allow: "HDM", why: "D10, P2: Access.Reports"},
		"GET /schools/{school}/reports/ofsted.csv":                        {allow: "HDM", why: "D10, P2: Access.Reports"},
		"GET /schools/{school}/pupils":                                    {allow: dsls, why: "P1, D10: Access.FindPupils: the DSLs find a pupil"},
		"POST /schools/{school}/pupils":                                   {allow: dsls, body: url.Values{"q": {"a"}}, why: "P1, D10: Access.FindPupils: the DSLs find a pupil"},
		"GET /schools/{school}/family-search":                             {allow: "HDG", why: "P1, H1: Access.FindFamilies: the office and the DSLs find a family"},
		"POST /schools/{school}/family-search":                            {allow: "HDG", body: url.Values{"q": {"a"}}, why: "P1, H1: Access.FindFamilies: the office and the DSLs find a family"},
		"GET /schools/{school}/families/{id}/contact-details/edit":        {allow: "HDG", why: "H1: Access.ContactNumbers"},
		"POST /schools/{school}/families/{id}/contact-details/edit":       {allow: "HDG", body: url.Values{"form": {"patch"}, "version": {"999"}}, why: "H1: Access.ContactNumbers (the office's form is the patch)"},
		"GET /schools/{school}/families/{id}/contact-details/versions":    {allow: dsls, why: "P4: Access.ContactVersions"},
		"POST /schools/{school}/families/{id}/contact-details/versions":   {allow: dsls, body: url.Values{"form": {"reason"}, "reason": {"A call back"}}, why: "P4, P3: Access.ContactVersions (the question why past the hour's families)"},
		"GET /schools/{school}/closure-contacts":                          {allow: dsls, why: "P3: Access.Designations"},
		"POST /schools/{school}/closure-contacts":                         {allow: dsls, body: url.Values{"form": {"designate"}, "email": {"someone@elsewhere.example.org"}}, why: "P3: Designate: the DSLs"},
		"POST /schools/{school}/concerns/{id}/update-requests":            {allow: "T", body: url.Values{}, why: "D7: the reporter"},
		"GET /schools/{school}/concerns/{id}/amend":                       {allow: viewers, why: "P4: Concern.CanAmend"},
		"POST /schools/{school}/concerns/{id}/amendments":                 {allow: viewers, body: url.Values{"version": {"1"}}, why: "P4: Concern.CanAmend"},
		"POST /schools/{school}/concerns/{id}/attachments":                {allow: viewers, body: url.Values{"file-name": {"notes.pdf"}, "content-type": {"application/pdf"}, "size": {"40"}}, why: "C6: its author or a DSL"},
		"GET /schools/{school}/concerns/{id}/attachments/{attachment}":    {allow: viewers, why: "C6: whoever may see the concern"},
		"GET /schools/{school}/categories":                                {allow: dsls, why: "C2: Access.Categories"},
		"POST /schools/{school}/categories/{category}/subcategories":      {allow: dsls, body: url.Values{}, why: "C2: the DSLs"},
		"POST /schools/{school}/categories/{category}/subcategories/{id}": {allow: dsls, body: url.Values{}, why: "C2: the DSLs"},
		"GET /schools/{school}/visits":                                    {allow: everyone, why: "V2: any member, the visits they may see"},
		"GET /schools/{school}/visits/new":                                {allow: dsls, why: "V1: Access.PlanVisits"},
		"POST /schools/{school}/visits":                                   {allow: dsls, body: url.Values{}, why: "V1: Access.PlanVisits"},
		"GET /schools/{school}/visits/{id}":                               {allow: "HDTP", why: "V2: Visit.CanView"},
		"POST /schools/{school}/visits/{id}/{step}":                       {allow: dsls, body: url.Values{}, params: map[string]string{"step": "cancel"}, why: "V1: the step cancel: Visit.Cancel, a DSL"},

		// The school's settings, its key contacts and its classes' teachers: a stale version
		// gets the Senior DSL's (or the office's) form past the access check (409).
		"GET /schools/{school}/settings": {allow: "H", why: "V5, V8, S3, C5: Access.Settings: the Senior DSL"},
		"POST /schools/{school}/settings": {allow: "H", body: url.Values{"version": {"999"}, "end-of-day": {"17:00"}, "lone-worker-minutes": {"30"},
			"session-idle-minutes": {"30"}, "session-lifetime-minutes": {"600"}, "contact-openings": {"30"}}, why: "V5, V8, S3, C5: settings.Service.Change: the Senior DSL"},
		"GET /schools/{school}/key-contacts": {allow: everyone, why: "V5, C5: settings.Service.Read: any member reads whom to call"},
		"GET /schools/{school}/classes":      {allow: "HG", why: "P1, E1: Access.ClassTeachers: the Senior DSL and the office"},
		"POST /schools/{school}/classes":     {allow: "HG", body: url.Values{"class": {"Acorns"}, "version": {"999"}}, why: "P1, E1: settings.Service.AssignTeachers: the Senior DSL and the office"},

		// Transfers (S5): Rory's move to Hillcrest, recorded by Daniel; the receipt is never the
		// sending school's.
		"POST /api/schools/{school}/pupils/{pupil}/transfers":               {allow: dsls, body: map[string]any{"toSchool": "hillcrest"}, why: "S5: transfers.MayRecord: the DSLs and the Senior DSL"},
		"GET /api/schools/{school}/transfers":                               {allow: dsls, why: "S5: transfers.MayList: the DSLs and the Senior DSL"},
		"GET /api/schools/{school}/retention":                               {allow: "H", why: "S7: Access.Retention: the Senior DSL"},
		"POST /api/schools/{school}/pupils/{pupil}/legal-holds":             {allow: "H", body: map[string]any{"reason": "A court order"}, why: "S7: the Senior DSL places a legal hold"},
		"POST /api/schools/{school}/pupils/{pupil}/legal-holds/{hold}/lift": {allow: "H", body: map[string]any{"reason": "The order ended"}, params: map[string]string{"hold": "1"}, why: "S7: the Senior DSL lifts a legal hold"},
		"GET /schools/{school}/governors":                                   {allow: "M", why: "P2, C5: Access.Governors: the governors' home"},
		"GET /schools/{school}/my-concerns":                                 {allow: everyone, why: "P2: Access.Member: the concerns one wrote or was tagged in, as the dashboard's use case lets them see"},
		"GET /schools/{school}/retention":                                   {allow: "H", why: "S7: Access.Retention: the Senior DSL"},
		"POST /schools/{school}/retention/{pupil}/holds":                    {allow: "H", body: none, why: "S7: the Senior DSL places a legal hold"},
		"POST /schools/{school}/retention/{pupil}/holds/{hold}/lift":        {allow: "H", body: none, params: map[string]string{"hold": "1"}, why: "S7: the Senior DSL lifts a legal hold"},
		"POST /api/schools/{school}/transfers/{id}/send":                    {allow: dsls, why: "S5: transfers.MaySend: the sending school's DSLs (a second send is 409)"},
		"POST /api/schools/{school}/transfers/{id}/receipt":                 {allow: "", why: "S5: transfers.MayConfirm: only the receiving school's DSLs"},
		"GET /transfer-links/{id}/{token}":                                  {allow: everyone, public: "the page of a link outside the federation: without the link's token it says the link does not work", params: map[string]string{"token": "none"}},
		"POST /transfer-links/{id}/{token}":                                 {allow: everyone, public: "the link's form: without the right token and code it gives nothing (a form without a code asks for it, 400)", params: map[string]string{"token": "none"}},
		"GET /schools/{school}/pupils/{pupil}/move":                         {allow: dsls, why: "S5: Access.Transfers: the DSLs record a move"},
		"POST /schools/{school}/pupils/{pupil}/move":                        {allow: dsls, body: url.Values{"where": {"federation"}, "to-school": {"hillcrest"}}, why: "S5: transfers.MayRecord"},
		"GET /schools/{school}/transfers":                                   {allow: dsls, why: "S5: Access.Transfers, transfers.MayList"},
		"POST /schools/{school}/transfers/{id}/send":                        {allow: dsls, why: "S5: transfers.MaySend (a second send shows the page)"},
		"POST /schools/{school}/transfers/{id}/link":                        {allow: dsls, why: "S5: transfers.MaySend (a transfer within the federation is refused as one that needs no link)"},
		"POST /schools/{school}/transfers/{id}/receipt":                     {allow: "", why: "S5: transfers.MayConfirm: never the sending school"},
	}
}

// matrixObjects are the objects the test sets up at Brook Lane.
type matrixObjects struct {
	pupil, family                     string
	concern, staffConcern, attachment string
	action, familyAction, visit       string
	category, subcategory             string
	importID                          string
	transfer                          string
	markers                           []string // text of the records, never in a refusal
	// bodies are the JSON bodies that need what the test read: versions, the family.
	bodies map[string]any
	asset  string // a static file of the pages
}

// web is a signed-in browser session of one person: its cookie and its form token.
type webSession struct{ cookie, csrf string }

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Timeout:       30 * time.Second,
}

type answer struct {
	status int
	body   []byte
	header http.Header
}

// send makes one request without failing the test, so that it may run on any goroutine.
func send(method, u string, body io.Reader, headers ...string) (answer, error) {
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		return answer{}, err
	}
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] != "" {
			req.Header.Set(headers[i], headers[i+1])
		}
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, body: b, header: resp.Header}, err
}

// signIn signs a person in to the pages through the local identity provider's authorization
// code flow, as a browser would, and reads a form token from their home page.
func signIn(t *testing.T, base, email string) webSession {
	t.Helper()
	first, err := send("GET", base+"/sign-in?return=/", nil)
	if err != nil || first.status != http.StatusFound {
		t.Fatalf("sign-in %s: %d %v", email, first.status, err)
	}
	var signInCookie string
	for _, c := range (&http.Response{Header: first.header}).Cookies() {
		if c.Name == "__Host-keepsafe_sign_in" {
			signInCookie = c.Name + "=" + c.Value
		}
	}
	loc, err := url.Parse(first.header.Get("Location"))
	if err != nil || signInCookie == "" {
		t.Fatalf("sign-in %s: location %q, cookie %q", email, first.header.Get("Location"), signInCookie)
	}
	form := loc.Query()
	form.Set("email", email)
	idp := loc.ResolveReference(&url.URL{Path: "/dev/sign-in"})
	if loc.Host == "" {
		idp, _ = url.Parse(base + "/dev/sign-in")
	}
	second, err := send("POST", idp.String(), strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
	if err != nil || second.status != http.StatusSeeOther {
		t.Fatalf("identity provider %s: %d %v %s", email, second.status, err, second.body)
	}
	back, _ := url.Parse(second.header.Get("Location"))
	callback := base + back.RequestURI()
	third, err := send("GET", callback, nil, "Cookie", signInCookie)
	if err != nil || third.status != http.StatusSeeOther {
		t.Fatalf("callback %s: %d %v %s", email, third.status, err, third.body)
	}
	var s webSession
	for _, c := range (&http.Response{Header: third.header}).Cookies() {
		if c.Name == "__Host-keepsafe_session" {
			s.cookie = c.Name + "=" + c.Value
		}
	}
	if s.cookie == "" {
		t.Fatalf("callback %s: no session cookie in %v", email, third.header)
	}
	home, err := send("GET", base+"/", nil, "Cookie", s.cookie)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(home.body)
	if m == nil {
		t.Fatalf("no form token on %s's home page: %d", email, home.status)
	}
	s.csrf = string(m[1])
	return s
}

// mustCall is call with the status it must answer.
func mustCall(t *testing.T, want int, method, u, tok string, body any, headers ...string) map[string]any {
	t.Helper()
	status, out := call(t, method, u, tok, body, headers...)
	if status != want {
		t.Fatalf("%s %s: %d %v, want %d", method, u, status, out, want)
	}
	return out
}

// setUpMatrixObjects makes the objects through the API, each as the person who would.
func setUpMatrixObjects(t *testing.T, base string, tok map[string]string) matrixObjects {
	t.Helper()
	api := base + "/api/schools/brook-lane"
	var o matrixObjects
	// A pupil of Tom's class (Acorns, Reception) whose family is used by no other test here.
	pupils := mustCall(t, 200, "GET", api+"/pupils?q=Rory", tok["T"], nil)["pupils"].([]any)
	if len(pupils) == 0 {
		t.Fatal("no pupil called Rory")
	}
	p := pupils[0].(map[string]any)
	o.pupil, o.family = p["id"].(string), p["familyId"].(string)

	stamp := strconv.FormatInt(time.Now().UnixNano(), 36)
	details := "Matrix " + stamp + ": came in without a coat again."
	c := mustCall(t, 201, "POST", api+"/concerns", tok["T"], map[string]any{
		"pupilIds": []string{o.pupil}, "category": "wellbeing", "observedAt": "2026-12-01T09:30:00Z", "details": details,
		"pupilWords": "It is in the wash.",
	})
	o.concern = c["id"].(string)
	staffDetails := "Matrix " + stamp + ": a member of staff shouted at the class."
	sc := mustCall(t, 201, "POST", api+"/concerns", tok["T"], map[string]any{
		"pupilIds": []string{o.pupil}, "category": "safeguarding", "observedAt": "2026-12-01T09:40:00Z", "details": staffDetails,
		"aboutStaff": true, "subjectStaffEmail": seed.Email("Priya", "Shah"),
	})
	o.staffConcern = sc["id"].(string)
	o.markers = []string{details, staffDetails, "It is in the wash", c["reference"].(string), sc["reference"].(string)}

	a := mustCall(t, 201, "POST", api+"/concerns/"+o.concern+"/actions", tok["D"], map[string]any{
		"type": "dsl-action", "assigneeEmail": seed.Email("Priya", "Shah"), "notes": "Matrix " + stamp + ": speak to the family about a coat.",
	})
	o.action = a["id"].(string)
	o.markers = append(o.markers, "speak to the family about a coat")

	// An attachment by Tom, uploaded and verified, so that opening it can be tried.
	pdf := "%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
	up := mustCall(t, 201, "POST", api+"/concerns/"+o.concern+"/attachments", tok["T"], map[string]any{
		"fileName": "notes.pdf", "contentType": "application/pdf", "size": len(pdf)})
	o.attachment = up["id"].(string)
	headers := []string{"Content-Type", "application/pdf"}
	if h, ok := up["uploadHeaders"].(map[string]any); ok {
		for k, v := range h {
			headers = append(headers, k, fmt.Sprint(v))
		}
	}
	if put, err := send("PUT", up["uploadUrl"].(string), strings.NewReader(pdf), headers...); err != nil || put.status != 200 {
		t.Fatalf("upload: %d %v %s", put.status, err, put.body)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, list := call(t, "GET", api+"/concerns/"+o.concern+"/attachments", tok["T"], nil)
		if b, _ := json.Marshal(list); strings.Contains(string(b), `"status":"verified"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the attachment was never verified: %v", list)
		}
		settle(t, 5*time.Second)
	}

	// A visit Daniel plans for the family, Tom and Priya going, Sam Ellis their line manager.
	v := mustCall(t, 201, "POST", api+"/visits", tok["D"], map[string]any{
		"familyId": o.family, "staffEmails": []string{seed.Email("Tom", "Hughes"), seed.Email("Priya", "Shah")},
		"lineManagerEmail": seed.Email("Sam", "Ellis"), "plannedStart": "2026-12-02T10:00:00Z", "plannedEnd": "2026-12-02T11:00:00Z",
		"reason": "The family has not answered since the closure began.",
	})
	o.visit = v["id"].(string)

	// A family action: an answered call by Tom (designated for closure contact) agreeing an
	// action for Priya.
	mustCall(t, 200, "POST", api+"/families/"+o.family+"/contacts", tok["T"], map[string]any{
		"at": "2026-12-01T09:00:00Z", "method": "phone-call", "outcome": "established", "call": map[string]any{
			"spokenTo": "Nicola Campbell, mother", "identifiedBy": "Agreed carer; confirmed Rory's date of birth", "agreedCarer": true,
			"isOk": "yes", "worries": "None", "background": "Quiet", "quotes": []any{},
			"actions":        []any{map[string]any{"description": "Matrix " + stamp + ": post the uniform voucher", "assigneeEmail": seed.Email("Priya", "Shah"), "dueAt": "2026-12-03T09:00:00Z"}},
			"furtherContact": "A call next week", "nextCallAt": "2026-12-08T10:00:00Z", "happyToBeContacted": true}})
	fa := mustCall(t, 200, "GET", api+"/families/"+o.family+"/actions", tok["P"], nil)["actions"].([]any)
	if len(fa) != 1 {
		t.Fatalf("family actions for Priya: %v", fa)
	}
	o.familyAction = fa[0].(map[string]any)["id"].(string)

	// A preview of a one-pupil MIS export by the office, so that reading an import can be tried.
	imp, err := send("POST", api+"/imports?mode=preview", strings.NewReader("UPN,Surname,Forename\nZ999,Matrix,Pupil\n"),
		"Authorization", "Bearer "+tok["G"], "Content-Type", "text/csv")
	var started map[string]any
	if err != nil || imp.status != 202 || json.Unmarshal(imp.body, &started) != nil {
		t.Fatalf("import preview: %d %v %s", imp.status, err, imp.body)
	}
	o.importID = started["id"].(string)

	// A move of Rory to Hillcrest Daniel records (S5), due and not sent.
	tr := mustCall(t, 201, "POST", api+"/pupils/"+o.pupil+"/transfers", tok["D"], map[string]any{"toSchool": "hillcrest"})
	o.transfer = tr["id"].(string)

	cats := mustCall(t, 200, "GET", api+"/categories", tok["D"], nil)
	o.category, o.subcategory = firstSubcategory(t, cats)
	cal := mustCall(t, 200, "GET", api+"/calendar", tok["H"], nil)
	o.bodies = map[string]any{
		// An acknowledgement of the family by its pupil, of a kind there is not: refused, or
		// past the access check and invalid.
		"ack": map[string]any{"acknowledgements": []any{map[string]any{"pupilId": o.pupil, "at": "2026-12-01T08:00:00Z", "kind": "not-a-kind"}}},
		// The catalogue version read, no title: past the access check, invalid.
		"catalogue": map[string]any{"version": cats["version"]},
		// The calendar version read, a term that ends before it starts: past the access check, invalid.
		"calendar": map[string]any{"version": cal["version"], "terms": []any{map[string]any{"name": "Spring", "from": "2027-02-12", "to": "2027-01-04"}}},
		// A visit to the family with nobody going: past the access check, invalid.
		"family": map[string]any{"familyId": o.family, "plannedStart": "2026-12-03T10:00:00Z", "plannedEnd": "2026-12-03T11:00:00Z"},
	}
	return o
}

// firstSubcategory reads a category and one of its sub-categories from GET .../categories.
func firstSubcategory(t *testing.T, body map[string]any) (string, string) {
	t.Helper()
	list, _ := body["categories"].([]any)
	for _, c := range list {
		c := c.(map[string]any)
		subs, _ := c["subcategories"].([]any)
		for _, s := range subs {
			s, _ := s.(map[string]any)
			if id, _ := s["id"].(string); id != "" {
				return c["id"].(string), id
			}
		}
	}
	t.Fatalf("no sub-category in %v", body)
	return "", ""
}

// cell is one request of the matrix.
type cell struct {
	key, situation, who, letter string
	refused                     bool
	method, url                 string
	body                        []byte
	headers                     []string
	api                         bool
}

func TestRule_P2_C5_AccessMatrixOfEveryRoute(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	matrix := accessMatrix()
	routes := map[string]template.Route{}
	for _, r := range tpl.Routes() {
		routes[r.RouteKey()] = r
		if _, ok := matrix[r.RouteKey()]; !ok {
			t.Errorf("%s (%s) has no row in the access matrix", r.RouteKey(), r.Function)
		}
	}
	for key := range matrix {
		if _, ok := routes[key]; !ok {
			t.Errorf("the access matrix has a row for %s, which template.yaml no longer has", key)
		}
	}
	for key, row := range matrix {
		if r, ok := routes[key]; ok && !strings.Contains(r.Path, "{school}") && row.public == "" && row.unscoped == "" {
			t.Errorf("%s names no school: its row must say why it is public or unscoped", key)
		}
	}
	for key := range knownHoles {
		if _, ok := routes[strings.Split(key, "|")[0]]; !ok {
			t.Errorf("known hole %s names no route", key)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	base := product(t)
	pinClock(t, local("2026-12-01 10:00"))
	tok := map[string]string{}
	for _, p := range matrixPeople {
		tok[p.letter] = token(t, p.email)
	}
	o := setUpMatrixObjects(t, base, tok)
	web := map[string]webSession{}
	for _, p := range matrixPeople {
		web[p.letter] = signIn(t, base, p.email)
	}
	if home, err := send("GET", base+"/", nil, "Cookie", web["T"].cookie); err == nil {
		if m := regexp.MustCompile(`/assets/([^"]+/app\.css)`).FindSubmatch(home.body); m != nil {
			o.asset = string(m[1])
		}
	}
	if o.asset == "" {
		t.Fatal("no style sheet on the home page")
	}

	var cells []cell
	keys := make([]string, 0, len(matrix))
	for k := range matrix {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var signOuts []string
	for _, key := range keys {
		row, r := matrix[key], routes[key]
		if key == "POST /sign-out" {
			signOuts = append(signOuts, key)
			continue
		}
		api := strings.HasPrefix(r.Path, "/api/")
		aboutConcern := strings.Contains(r.Path, "/concerns/{id}")
		for _, p := range matrixPeople {
			type situation struct {
				name, school, concern string
				refused               bool
			}
			sits := []situation{{"own school", "brook-lane", o.concern, !strings.Contains(row.allow, p.letter)}}
			if row.public != "" {
				sits[0].refused = false
			}
			if strings.Contains(r.Path, "{school}") {
				sits = append(sits, situation{"other school", "hillcrest", o.concern, row.public == ""})
			}
			if aboutConcern && p.letter == "P" {
				sits = append(sits, situation{"the concern is about them (C5)", "brook-lane", o.staffConcern, true})
			}
			for _, s := range sits {
				params := map[string]string{
					"school": s.school, "pupil": o.pupil, "attachment": o.attachment, "category": o.category,
					"action": o.familyAction, "email": seed.Email("Priya", "Shah"), "file+": o.asset,
				}
				switch {
				case strings.Contains(r.Path, "/concerns/{id}"):
					params["id"] = s.concern
				case strings.Contains(r.Path, "/actions/{id}"):
					params["id"] = o.action
				case strings.Contains(r.Path, "/families/{id}"):
					params["id"] = o.family
				case strings.Contains(r.Path, "/visits/{id}"):
					params["id"] = o.visit
				case strings.Contains(r.Path, "/subcategories/{id}"):
					params["id"] = o.subcategory
				case strings.Contains(r.Path, "/imports/{id}"):
					params["id"] = o.importID
				case strings.Contains(r.Path, "/transfers/{id}"), strings.Contains(r.Path, "/transfer-links/{id}"):
					params["id"] = o.transfer
				}
				for k, v := range row.params {
					params[k] = v
				}
				path := regexp.MustCompile(`\{[^}]+\}`).ReplaceAllStringFunc(r.Path, func(m string) string {
					v, ok := params[strings.Trim(m, "{}")]
					if !ok {
						t.Fatalf("%s: no value for %s", key, m)
					}
					if m == "{file+}" {
						return v
					}
					return url.PathEscape(v)
				})
				u := base + path
				if row.query != "" {
					u += "?" + row.query
				}
				c := cell{key: key, situation: s.name, who: p.name, letter: p.letter, refused: s.refused,
					method: r.Method, url: u, api: api}
				if api {
					c.headers = []string{"Authorization", "Bearer " + tok[p.letter]}
					switch b := row.body.(type) {
					case nil:
					case string:
						c.body, _ = json.Marshal(o.bodies[b])
						c.headers = append(c.headers, "Content-Type", "application/json")
					default:
						c.body, _ = json.Marshal(b)
						c.headers = append(c.headers, "Content-Type", "application/json")
					}
				} else if row.public == "" {
					c.headers = []string{"Cookie", web[p.letter].cookie}
					if r.Method == "POST" {
						form := url.Values{}
						if b, ok := row.body.(url.Values); ok {
							for k, v := range b {
								form[k] = v
							}
						}
						form.Set("csrf", web[p.letter].csrf)
						c.body = []byte(form.Encode())
						c.headers = append(c.headers, "Content-Type", "application/x-www-form-urlencoded",
							"Sec-Fetch-Site", "same-origin", "Origin", base)
					}
				}
				cells = append(cells, c)
			}
		}
	}

	answers := make([]answer, len(cells))
	errs := make([]error, len(cells))
	var wg sync.WaitGroup
	work := make(chan int)
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				var body io.Reader
				if cells[i].body != nil {
					body = bytes.NewReader(cells[i].body)
				}
				answers[i], errs[i] = send(cells[i].method, cells[i].url, body, cells[i].headers...)
			}
		}()
	}
	for i := range cells {
		work <- i
	}
	close(work)
	wg.Wait()

	holes := map[string]bool{}
	for i, c := range cells {
		a := answers[i]
		if errs[i] != nil {
			t.Errorf("%s, %s, %s: %v", c.key, c.who, c.situation, errs[i])
			continue
		}
		// Rule P3's scan (TestMain) reads every API answer.
		if c.api {
			record(c.method, c.url, a.status, a.body)
		}
		if a.status >= 500 {
			t.Errorf("%s, %s, %s: %d %s", c.key, c.who, c.situation, a.status, snippet(a.body))
			continue
		}
		refused := a.status == 401 || a.status == 403 || a.status == 404
		if refused {
			for _, m := range o.markers {
				if bytes.Contains(a.body, []byte(m)) {
					t.Errorf("%s, %s, %s: refused with %d but the body holds %q", c.key, c.who, c.situation, a.status, m)
				}
			}
		}
		if refused == c.refused {
			continue
		}
		want := "allowed"
		if c.refused {
			want = "refused"
		}
		hole := c.key + "|" + c.letter
		if c.situation != "own school" {
			hole += "|" + c.situation
		}
		if reason, ok := knownHoles[hole]; ok {
			holes[hole] = true
			t.Logf("known hole: %s, %s, %s: want %s, got %d (%s)", c.key, c.who, c.situation, want, a.status, reason)
			continue
		}
		t.Errorf("%s, %s, %s: want %s, got %d %s (%s)", c.key, c.who, c.situation, want, a.status, snippet(a.body), matrix[c.key].why)
	}
	for h := range knownHoles {
		if !holes[h] {
			t.Errorf("known hole %s is closed: take it off the list", h)
		}
	}

	// Signing out, last, each on a session of its own: anyone signed in may.
	for _, key := range signOuts {
		for _, p := range matrixPeople {
			s := signIn(t, base, p.email)
			form := url.Values{"csrf": {s.csrf}}
			a, err := send("POST", base+"/sign-out", strings.NewReader(form.Encode()), "Cookie", s.cookie,
				"Content-Type", "application/x-www-form-urlencoded", "Sec-Fetch-Site", "same-origin", "Origin", base)
			if err != nil || a.status >= 500 || a.status == 401 || a.status == 403 || a.status == 404 {
				t.Errorf("%s, %s: %d %v %s", key, p.name, a.status, err, snippet(a.body))
			}
		}
	}
	t.Logf("%d routes, %d cells", len(matrix), len(cells)+len(signOuts)*len(matrixPeople))
}

func snippet(b []byte) string {
	s := string(b)
	if i := strings.Index(s, "<main"); i >= 0 {
		s = s[i:]
	}
	s = regexp.MustCompile(`\s+`).ReplaceAllString(regexp.MustCompile(`<[^>]*>`).ReplaceAllString(s, " "), " ")
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}
