package template

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func loadReal(t *testing.T) *Template {
	t.Helper()
	p, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	return tpl
}

func TestFindWalksUp(t *testing.T) {
	p, err := Find()
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Base(p) != FileName {
		t.Fatalf("Find = %s", p)
	}
	// The template sits next to go.mod, two levels above this package.
	if _, err := os.Stat(filepath.Join(filepath.Dir(p), "go.mod")); err != nil {
		t.Fatalf("no go.mod next to %s: %v", p, err)
	}
	if _, err := FindFrom(t.TempDir()); err == nil {
		t.Fatal("FindFrom(empty temp dir) found a template")
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Fatal("Load of a missing file succeeded")
	}
	for _, bad := range []string{"", "- a\n- b\n", "Resources: 3\n", "a: [\n"} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("Parse(%q) succeeded", bad)
		}
	}
}

func TestRealTemplateFunctions(t *testing.T) {
	tpl := loadReal(t)
	fns := tpl.Functions()
	if len(fns) == 0 {
		t.Fatal("no functions")
	}
	byFolder := map[string]Function{}
	for i, f := range fns {
		if i > 0 && fns[i-1].LogicalID >= f.LogicalID {
			t.Errorf("functions not sorted: %s before %s", fns[i-1].LogicalID, f.LogicalID)
		}
		if f.Folder == "" || strings.Contains(f.Folder, "/") {
			t.Errorf("%s: folder %q", f.LogicalID, f.Folder)
		}
		byFolder[f.Folder] = f
		for k := range f.Env {
			if k == "TABLE_NAME" || k == "APP_URL" {
				t.Errorf("%s: env %s is an intrinsic in the template but came out as literal %q", f.LogicalID, k, f.Env[k])
			}
		}
		for _, r := range f.Routes {
			if r.Function != f.LogicalID {
				t.Errorf("route %s: Function = %q, want %q", r.RouteKey(), r.Function, f.LogicalID)
			}
			if !strings.HasPrefix(r.Path, "/") {
				t.Errorf("route %s: path does not start with /", r.RouteKey())
			}
		}
	}

	concerns, ok := byFolder["concerns"]
	if !ok {
		t.Fatal("no function with folder concerns")
	}
	if concerns.LogicalID != "ConcernsFunction" {
		t.Errorf("concerns LogicalID = %s", concerns.LogicalID)
	}
	if f, ok := tpl.FunctionByFolder("concerns"); !ok || f.LogicalID != "ConcernsFunction" {
		t.Errorf("FunctionByFolder(concerns) = %v, %v", f.LogicalID, ok)
	}
	want := Route{Method: "POST", Path: "/api/schools/{school}/concerns", Auth: true, Event: "RecordConcern", Function: "ConcernsFunction"}
	if !containsRoute(concerns.Routes, want) {
		t.Errorf("concerns routes %+v lack %+v", concerns.Routes, want)
	}
	if got := want.RouteKey(); got != "POST /api/schools/{school}/concerns" {
		t.Errorf("RouteKey = %q", got)
	}

	web := byFolder["web"]
	for _, r := range web.Routes {
		if r.Auth {
			t.Errorf("web route %s has Auth, template says Authorizer NONE", r.RouteKey())
		}
	}
	if !containsRoute(web.Routes, Route{Method: "GET", Path: "/assets/{file+}", Event: "Assets", Function: "WebFunction"}) {
		t.Errorf("web routes lack the greedy assets route: %+v", web.Routes)
	}
	// Literal environment values are kept, intrinsic ones dropped.
	if _, ok := web.Env["TOKEN_AUDIENCE"]; ok {
		t.Error("TOKEN_AUDIENCE (!Ref) came out as a literal")
	}

	alerts := byFolder["alerts"]
	if len(alerts.Streams) != 1 {
		t.Fatalf("alerts streams = %+v", alerts.Streams)
	}
	s := alerts.Streams[0]
	wantS := StreamEvent{
		Name: "Outbox", BatchSize: 25, MaximumRetryAttempts: 10, MaximumBatchingWindowInSeconds: 1,
		StartingPosition: "TRIM_HORIZON", BisectBatchOnFunctionError: true, ReportBatchItemFailures: true,
		HasOnFailure:   true,
		FilterPatterns: []string{`{"eventName":["INSERT"],"dynamodb":{"NewImage":{"type":{"S":["outbox"]}}}}`},
	}
	if !reflect.DeepEqual(s, wantS) {
		t.Errorf("alerts stream\n got %+v\nwant %+v", s, wantS)
	}

	// Every route key is unique across the API.
	seen := map[string]string{}
	for _, r := range tpl.Routes() {
		if prev, dup := seen[r.RouteKey()]; dup {
			t.Errorf("route %s on %s and %s", r.RouteKey(), prev, r.Function)
		}
		seen[r.RouteKey()] = r.Function
	}

	// Schedules, when the template has them, have a name, an expression and a time zone.
	for _, sc := range tpl.Schedules() {
		if sc.Name == "" || sc.Expression == "" {
			t.Errorf("schedule %+v", sc)
		}
		if !strings.HasPrefix(sc.Expression, "rate(") && !strings.HasPrefix(sc.Expression, "cron(") && !strings.HasPrefix(sc.Expression, "at(") {
			t.Errorf("schedule %s: expression %q", sc.Name, sc.Expression)
		}
	}
}

func containsRoute(rs []Route, want Route) bool {
	for _, r := range rs {
		if r == want {
			return true
		}
	}
	return false
}

const synthetic = `
Globals:
  Function:
    Environment:
      Variables:
        TABLE_NAME: !Ref Table
        LOG_LEVEL: info
        STAGE: global
Resources:
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        DefaultAuthorizer: Jwt
  OpenApi:
    Type: AWS::Serverless::HttpApi
    Properties: {}
  Jobs:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: build/jobs
      Environment:
        Variables:
          STAGE: !Sub "${Stage}"
          MODE: "fast"
          LIMIT: 10
      Events:
        Deadlines:
          Type: ScheduleV2
          Properties:
            Name: deadlines
            ScheduleExpression: rate(15 minutes)
            ScheduleExpressionTimezone: Europe/London
        Escalation:
          Type: ScheduleV2
          Properties:
            Name: !Sub "escalation-${Stage}"
            ScheduleExpression: cron(30 5 * * ? *)
            ScheduleExpressionTimezone: Europe/London
            State: DISABLED
            Input: '{"kind":"escalation"}'
        Any:
          Type: HttpApi
          Properties: { ApiId: !Ref Api, Method: any, Path: "/jobs/{id}" }
        Open:
          Type: HttpApi
          Properties: { ApiId: !Ref OpenApi, Method: get, Path: /open }
        Implicit:
          Type: HttpApi
          Properties: { Method: GET, Path: /implicit }
        Default:
          Type: HttpApi
        Queue:
          Type: DynamoDB
          Properties:
            Stream: !GetAtt Table.StreamArn
            FilterCriteria:
              Filters:
                - Pattern: '{"a":[1]}'
                - Pattern: !Sub '{"b":["${Stage}"]}'
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      AttributeDefinitions:
        - { AttributeName: PK, AttributeType: S }
        - { AttributeName: N, AttributeType: N }
      KeySchema:
        - { AttributeName: PK, KeyType: HASH }
      LocalSecondaryIndexes:
        - IndexName: ByN
          KeySchema: [{ AttributeName: PK, KeyType: HASH }, { AttributeName: N, KeyType: RANGE }]
          Projection: { ProjectionType: INCLUDE, NonKeyAttributes: [a, b] }
  NotATable:
    Type: AWS::SNS::Topic
`

func TestSyntheticTemplate(t *testing.T) {
	tpl, err := Parse([]byte(synthetic))
	if err != nil {
		t.Fatal(err)
	}
	fns := tpl.Functions()
	if len(fns) != 1 {
		t.Fatalf("functions = %+v", fns)
	}
	f := fns[0]
	if f.Folder != "jobs" {
		t.Errorf("folder = %q", f.Folder)
	}
	wantEnv := map[string]string{"LOG_LEVEL": "info", "MODE": "fast", "LIMIT": "10"}
	if !reflect.DeepEqual(f.Env, wantEnv) {
		t.Errorf("env = %v, want %v", f.Env, wantEnv)
	}
	wantSched := []Schedule{
		{Name: "deadlines", Event: "Deadlines", Expression: "rate(15 minutes)", Timezone: "Europe/London", Enabled: true},
		{Name: "Escalation", Event: "Escalation", Expression: "cron(30 5 * * ? *)", Timezone: "Europe/London", Input: `{"kind":"escalation"}`},
	}
	if !reflect.DeepEqual(f.Schedules, wantSched) {
		t.Errorf("schedules\n got %+v\nwant %+v", f.Schedules, wantSched)
	}
	wantRoutes := []Route{
		{Method: "ANY", Path: "/jobs/{id}", Auth: true, Event: "Any", Function: "Jobs"},
		{Method: "GET", Path: "/open", Auth: false, Event: "Open", Function: "Jobs"},
		{Method: "GET", Path: "/implicit", Auth: false, Event: "Implicit", Function: "Jobs"},
		{Method: "", Path: "$default", Auth: false, Event: "Default", Function: "Jobs"},
	}
	if !reflect.DeepEqual(f.Routes, wantRoutes) {
		t.Errorf("routes\n got %+v\nwant %+v", f.Routes, wantRoutes)
	}
	if got := f.Routes[3].RouteKey(); got != "$default" {
		t.Errorf("default RouteKey = %q", got)
	}
	if len(f.Streams) != 1 || f.Streams[0].MaximumRetryAttempts != -1 ||
		!reflect.DeepEqual(f.Streams[0].FilterPatterns, []string{`{"a":[1]}`}) {
		t.Errorf("streams = %+v", f.Streams)
	}

	d, err := tpl.Table()
	if err != nil {
		t.Fatal(err)
	}
	if d.BillingMode != "PROVISIONED" || d.TTLAttribute != "" || d.StreamViewType != "" || len(d.LocalSecondaryIndexes) != 1 {
		t.Errorf("table = %+v", d)
	}
	in := d.CreateTableInput("x")
	if in.StreamSpecification != nil {
		t.Error("stream spec on a table without stream")
	}
	if lsi := in.LocalSecondaryIndexes; len(lsi) != 1 || lsi[0].Projection.ProjectionType != types.ProjectionTypeInclude ||
		!reflect.DeepEqual(lsi[0].Projection.NonKeyAttributes, []string{"a", "b"}) {
		t.Errorf("LSI = %+v", lsi)
	}
	if _, err := tpl.TableByID("NotATable"); err == nil {
		t.Error("TableByID(NotATable) succeeded")
	}
	if _, err := tpl.TableByID("Nothing"); err == nil {
		t.Error("TableByID(Nothing) succeeded")
	}
}

func TestRealTemplateTable(t *testing.T) {
	d, err := loadReal(t).Table()
	if err != nil {
		t.Fatal(err)
	}
	if d.Key("HASH") != "PK" || d.Key("RANGE") != "SK" {
		t.Errorf("keys = %+v", d.KeySchema)
	}
	if d.TTLAttribute != "expiresAt" {
		t.Errorf("TTLAttribute = %q", d.TTLAttribute)
	}
	if d.StreamViewType != "NEW_IMAGE" {
		t.Errorf("StreamViewType = %q", d.StreamViewType)
	}
	if !d.PointInTimeRecovery || !d.DeletionProtection || !d.SSEEnabled || d.BillingMode != "PAY_PER_REQUEST" {
		t.Errorf("table settings = %+v", d)
	}
	gsi, ok := d.GSI("GSI1")
	if !ok || len(gsi.KeySchema) != 2 || gsi.ProjectionType != "ALL" {
		t.Errorf("GSI1 = %+v, %v", gsi, ok)
	}

	in := d.CreateTableInput("keepsafe-test")
	if aws.ToString(in.TableName) != "keepsafe-test" || in.BillingMode != types.BillingModePayPerRequest {
		t.Errorf("input = %+v", in)
	}
	if in.StreamSpecification == nil || !aws.ToBool(in.StreamSpecification.StreamEnabled) ||
		in.StreamSpecification.StreamViewType != types.StreamViewTypeNewImage {
		t.Errorf("stream = %+v", in.StreamSpecification)
	}
	// Every key attribute of the table and its indexes is defined, and nothing else.
	defined := map[string]bool{}
	for _, a := range in.AttributeDefinitions {
		defined[aws.ToString(a.AttributeName)] = true
	}
	used := map[string]bool{}
	for _, k := range in.KeySchema {
		used[aws.ToString(k.AttributeName)] = true
	}
	for _, g := range in.GlobalSecondaryIndexes {
		if g.Projection == nil || g.Projection.ProjectionType != types.ProjectionTypeAll {
			t.Errorf("GSI %s projection %+v", aws.ToString(g.IndexName), g.Projection)
		}
		for _, k := range g.KeySchema {
			used[aws.ToString(k.AttributeName)] = true
		}
	}
	if !reflect.DeepEqual(defined, used) {
		t.Errorf("attribute definitions %v, key attributes %v", defined, used)
	}
}

func TestMatchRoute(t *testing.T) {
	routes := []Route{
		{Method: "GET", Path: "/"},
		{Method: "GET", Path: "/api/me", Auth: true},
		{Method: "GET", Path: "/api/schools/{school}/concerns/{id}", Auth: true},
		{Method: "GET", Path: "/api/schools/{school}/concerns/new", Auth: true},
		{Method: "POST", Path: "/api/schools/{school}/concerns", Auth: true},
		{Method: "ANY", Path: "/api/schools/{school}/concerns", Auth: true, Event: "any"},
		{Method: "GET", Path: "/assets/{file+}"},
		{Method: "GET", Path: "/assets/app.css", Event: "literal-asset"},
		{Method: "ANY", Path: "/files/{path+}"},
		{Method: "GET", Path: "/files/{dir}/{name}"},
	}
	cases := []struct {
		method, path string
		wantKey      string
		wantEvent    string
		params       map[string]string
	}{
		{"GET", "/", "GET /", "", map[string]string{}},
		{"get", "/api/me", "GET /api/me", "", map[string]string{}},
		{"GET", "/api/schools/s1/concerns/c9", "GET /api/schools/{school}/concerns/{id}", "", map[string]string{"school": "s1", "id": "c9"}},
		{"GET", "/api/schools/s1/concerns/new", "GET /api/schools/{school}/concerns/new", "", map[string]string{"school": "s1"}},
		{"POST", "/api/schools/s1/concerns", "POST /api/schools/{school}/concerns", "", map[string]string{"school": "s1"}},
		{"DELETE", "/api/schools/s1/concerns", "ANY /api/schools/{school}/concerns", "any", map[string]string{"school": "s1"}},
		{"GET", "/assets/js/app.js", "GET /assets/{file+}", "", map[string]string{"file": "js/app.js"}},
		{"GET", "/assets/app.css", "GET /assets/app.css", "literal-asset", map[string]string{}},
		{"GET", "/api/schools/a%20b/concerns/x%2Fy", "GET /api/schools/{school}/concerns/{id}", "", map[string]string{"school": "a b", "id": "x/y"}},
		{"GET", "/files/a/b", "GET /files/{dir}/{name}", "", map[string]string{"dir": "a", "name": "b"}},
		{"GET", "/files/a/b/c", "ANY /files/{path+}", "", map[string]string{"path": "a/b/c"}},
		{"PUT", "/files/a/b", "ANY /files/{path+}", "", map[string]string{"path": "a/b"}},
	}
	for _, c := range cases {
		r, params, ok := MatchRoute(routes, c.method, c.path)
		if !ok {
			t.Errorf("%s %s: no match", c.method, c.path)
			continue
		}
		if r.RouteKey() != c.wantKey || r.Event != c.wantEvent || !reflect.DeepEqual(params, c.params) {
			t.Errorf("%s %s: got %s (%q) %v, want %s (%q) %v", c.method, c.path, r.RouteKey(), r.Event, params, c.wantKey, c.wantEvent, c.params)
		}
	}
	for _, miss := range []struct{ method, path string }{
		{"POST", "/api/me"},
		{"GET", "/api/me/extra"},
		{"GET", "/api"},
		{"GET", "/assets"},
		{"GET", "/assets/"},
		{"GET", "/api/schools//concerns/x"},
		{"GET", "/nowhere"},
	} {
		if r, _, ok := MatchRoute(routes, miss.method, miss.path); ok {
			t.Errorf("%s %s matched %s", miss.method, miss.path, r.RouteKey())
		}
	}

	withDefault := append([]Route{{Path: "$default", Event: "fallback"}}, routes...)
	if r, params, ok := MatchRoute(withDefault, "GET", "/nowhere"); !ok || r.Event != "fallback" || params == nil {
		t.Errorf("$default: %+v %v %v", r, params, ok)
	}
	if r, _, ok := MatchRoute(withDefault, "GET", "/api/me"); !ok || r.RouteKey() != "GET /api/me" {
		t.Errorf("$default took precedence: %+v", r)
	}
}

func TestMatchRealRoutes(t *testing.T) {
	routes := loadReal(t).Routes()
	for _, r := range routes {
		// Fill every parameter with a value and expect the route itself back.
		segs := strings.Split(r.Path, "/")
		for i, s := range segs {
			if strings.HasPrefix(s, "{") {
				if strings.HasSuffix(s, "+}") {
					segs[i] = "x/y"
				} else {
					segs[i] = "v" + s[1:len(s)-1]
				}
			}
		}
		got, _, ok := MatchRoute(routes, r.Method, strings.Join(segs, "/"))
		if !ok || got.RouteKey() != r.RouteKey() {
			t.Errorf("%s: matched %s, %v", r.RouteKey(), got.RouteKey(), ok)
		}
	}
}

func FuzzMatchRoute(f *testing.F) {
	routes := []Route{
		{Method: "GET", Path: "/"},
		{Method: "GET", Path: "/api/schools/{school}/concerns/{id}"},
		{Method: "ANY", Path: "/assets/{file+}"},
	}
	for _, s := range []string{"/", "/api/schools/a/concerns/b", "/assets/a/b/c", "", "//", "/%zz", "/assets/%2F"} {
		f.Add("GET", s)
	}
	f.Fuzz(func(t *testing.T, method, path string) {
		r, params, ok := MatchRoute(routes, method, path)
		if ok && params == nil {
			t.Fatalf("match %s with nil params", r.RouteKey())
		}
		if !ok && (r != Route{} || params != nil) {
			t.Fatalf("no match but %+v %v", r, params)
		}
	})
}
