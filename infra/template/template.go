// Package template reads the AWS SAM template (template.yaml at the repository root) so that
// the tests, the local stack and the tools share one description of the functions, routes,
// stream events, schedules and the table with what is deployed.
//
// CloudFormation intrinsic functions (!Ref, !GetAtt, !Sub ...) are kept as opaque yaml nodes:
// a value written with a tag is never taken for a literal.
package template

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// FileName is the name of the SAM template at the repository root.
const FileName = "template.yaml"

// Template is a parsed SAM template.
type Template struct {
	// Path is the file the template was read from.
	Path string

	root *yaml.Node // the top-level mapping
}

// Function is an AWS::Serverless::Function resource.
type Function struct {
	LogicalID string
	// Folder is the last element of CodeUri: "concerns" for "build/concerns/". It is also the
	// folder of the function's code under functions/.
	Folder    string
	Routes    []Route
	Streams   []StreamEvent
	Schedules []Schedule
	// Env holds the environment variables with a literal value, or a !Ref of a parameter (its
	// default), from Globals and from the function (the function's own win). Variables set
	// with another intrinsic (!Ref of a resource, !Sub ...) are left out.
	Env map[string]string
}

// Route is an event of Type HttpApi.
type Route struct {
	Method string // upper case; "ANY" matches every method
	Path   string // e.g. /api/schools/{school}/concerns
	Auth   bool   // false when the event says Auth: {Authorizer: NONE} or the API has no default authorizer

	Event    string // the event's name in the template, e.g. RecordConcern
	Function string // the logical ID of the function that serves the route
}

// RouteKey returns the route key as API Gateway writes it: "POST /api/schools/{school}/concerns".
func (r Route) RouteKey() string {
	if r.Method == "" && r.Path == "$default" {
		return "$default"
	}
	return r.Method + " " + r.Path
}

// StreamEvent is an event of Type DynamoDB (or Kinesis) on a function.
type StreamEvent struct {
	Name      string
	BatchSize int
	// MaximumRetryAttempts is -1 when the template leaves it out (Lambda then retries until
	// the record expires from the stream).
	MaximumRetryAttempts           int
	MaximumBatchingWindowInSeconds int
	StartingPosition               string
	BisectBatchOnFunctionError     bool
	FilterPatterns                 []string
	ReportBatchItemFailures        bool
	// HasOnFailure is true when DestinationConfig.OnFailure names a destination.
	HasOnFailure bool
}

// Schedule is an event of Type ScheduleV2 (EventBridge Scheduler).
type Schedule struct {
	// Name is the event's Properties.Name (e.g. "deadlines"), or the event's name in the
	// template when Properties.Name is absent or not a literal.
	Name       string
	Event      string // the event's name in the template
	Expression string // rate(15 minutes) or cron(...)
	Timezone   string // ScheduleExpressionTimezone, "" when absent
	Input      string // the literal Input, "" when absent
	Enabled    bool   // false only when State is DISABLED
}

// Find walks up from the working directory to the nearest directory holding template.yaml and
// returns the file's path.
func Find() (string, error) {
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return FindFrom(wd)
}

// FindFrom walks up from dir to the nearest directory holding template.yaml.
func FindFrom(dir string) (string, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for {
		p := filepath.Join(dir, FileName)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("template: no %s in %s or any parent", FileName, dir)
		}
		dir = parent
	}
}

// Load reads and parses the template at path.
func Load(path string) (*Template, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("template: %w", err)
	}
	t, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("template: %s: %w", path, err)
	}
	t.Path = path
	return t, nil
}

// LoadDefault finds template.yaml (see Find) and loads it.
func LoadDefault() (*Template, error) {
	p, err := Find()
	if err != nil {
		return nil, err
	}
	return Load(p)
}

// Parse parses a template from its text.
func Parse(b []byte) (*Template, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, errors.New("not a mapping at the top level")
	}
	root := doc.Content[0]
	if res := get(root, "Resources"); res == nil || res.Kind != yaml.MappingNode {
		return nil, errors.New("no Resources mapping")
	}
	return &Template{root: root}, nil
}

// Resource is one entry of Resources, for callers that need what this package does not model.
type Resource struct {
	LogicalID  string
	Type       string
	Properties *yaml.Node // nil when the resource has no Properties
}

// Resources lists the resources in the order of the file.
func (t *Template) Resources() []Resource {
	var out []Resource
	each(get(t.root, "Resources"), func(id string, n *yaml.Node) {
		out = append(out, Resource{LogicalID: id, Type: literal(get(n, "Type")), Properties: get(n, "Properties")})
	})
	return out
}

// Resource returns the resource with the given logical ID.
func (t *Template) Resource(logicalID string) (Resource, bool) {
	for _, r := range t.Resources() {
		if r.LogicalID == logicalID {
			return r, true
		}
	}
	return Resource{}, false
}

// Functions returns every AWS::Serverless::Function, sorted by logical ID.
func (t *Template) Functions() []Function {
	globalEnv := literalMap(get(get(get(get(t.root, "Globals"), "Function"), "Environment"), "Variables"))
	var out []Function
	for _, r := range t.Resources() {
		if r.Type != "AWS::Serverless::Function" {
			continue
		}
		p := r.Properties
		f := Function{LogicalID: r.LogicalID, Env: map[string]string{}}
		if uri := literal(get(p, "CodeUri")); uri != "" {
			f.Folder = path.Base(strings.TrimRight(uri, "/"))
		}
		for k, v := range globalEnv {
			f.Env[k] = v
		}
		// A function's own variable replaces the global one even when it is not a literal; a
		// !Ref of a parameter takes the parameter's default, as `sam local` does.
		each(get(get(p, "Environment"), "Variables"), func(k string, v *yaml.Node) {
			if s, ok := literalOK(v); ok {
				f.Env[k] = s
			} else if s, ok := literalOK(get(get(get(t.root, "Parameters"), refTarget(v)), "Default")); ok && refTarget(v) != "" {
				f.Env[k] = s
			} else {
				delete(f.Env, k)
			}
		})
		each(get(p, "Events"), func(name string, ev *yaml.Node) {
			props := get(ev, "Properties")
			switch literal(get(ev, "Type")) {
			case "HttpApi":
				f.Routes = append(f.Routes, t.route(r.LogicalID, name, props))
			case "DynamoDB", "Kinesis":
				f.Streams = append(f.Streams, streamEvent(name, props))
			case "ScheduleV2":
				f.Schedules = append(f.Schedules, schedule(name, props))
			}
		})
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].LogicalID < out[j].LogicalID })
	return out
}

// Routes returns the routes of every function, in the order of Functions.
func (t *Template) Routes() []Route {
	var out []Route
	for _, f := range t.Functions() {
		out = append(out, f.Routes...)
	}
	return out
}

// Schedules returns the schedules of every function, in the order of Functions.
func (t *Template) Schedules() []Schedule {
	var out []Schedule
	for _, f := range t.Functions() {
		out = append(out, f.Schedules...)
	}
	return out
}

// FunctionByFolder returns the function whose CodeUri ends in folder.
func (t *Template) FunctionByFolder(folder string) (Function, bool) {
	for _, f := range t.Functions() {
		if f.Folder == folder {
			return f, true
		}
	}
	return Function{}, false
}

func (t *Template) route(function, name string, props *yaml.Node) Route {
	r := Route{
		Method:   strings.ToUpper(literal(get(props, "Method"))),
		Path:     literal(get(props, "Path")),
		Event:    name,
		Function: function,
	}
	if r.Method == "" && r.Path == "" {
		// An HttpApi event without Method and Path is the $default route.
		r.Path = "$default"
	}
	if r.Method == "" && r.Path != "$default" {
		r.Method = "ANY"
	}
	if auth := get(props, "Auth"); auth != nil && get(auth, "Authorizer") != nil {
		r.Auth = literal(get(auth, "Authorizer")) != "NONE"
	} else {
		r.Auth = t.apiHasDefaultAuthorizer(refTarget(get(props, "ApiId")))
	}
	return r
}

// apiHasDefaultAuthorizer reports whether the HttpApi resource apiID (or, when apiID is "",
// the implicit API configured in Globals.HttpApi) has a DefaultAuthorizer other than NONE.
func (t *Template) apiHasDefaultAuthorizer(apiID string) bool {
	var auth *yaml.Node
	if apiID != "" {
		if r, ok := t.Resource(apiID); ok {
			auth = get(r.Properties, "Auth")
		}
	}
	if auth == nil {
		auth = get(get(get(t.root, "Globals"), "HttpApi"), "Auth")
	}
	d := get(auth, "DefaultAuthorizer")
	return d != nil && literal(d) != "NONE"
}

func streamEvent(name string, props *yaml.Node) StreamEvent {
	s := StreamEvent{
		Name:                           name,
		BatchSize:                      intOf(get(props, "BatchSize")),
		MaximumRetryAttempts:           intOf(get(props, "MaximumRetryAttempts")),
		MaximumBatchingWindowInSeconds: intOf(get(props, "MaximumBatchingWindowInSeconds")),
		StartingPosition:               literal(get(props, "StartingPosition")),
		BisectBatchOnFunctionError:     literal(get(props, "BisectBatchOnFunctionError")) == "true",
		HasOnFailure:                   get(get(get(props, "DestinationConfig"), "OnFailure"), "Destination") != nil,
	}
	if mra := get(props, "MaximumRetryAttempts"); mra == nil {
		s.MaximumRetryAttempts = -1 // Lambda's default: retry until the record expires
	}
	for _, frt := range items(get(props, "FunctionResponseTypes")) {
		if literal(frt) == "ReportBatchItemFailures" {
			s.ReportBatchItemFailures = true
		}
	}
	for _, f := range items(get(get(props, "FilterCriteria"), "Filters")) {
		if p, ok := literalOK(get(f, "Pattern")); ok {
			s.FilterPatterns = append(s.FilterPatterns, p)
		}
	}
	return s
}

func schedule(name string, props *yaml.Node) Schedule {
	s := Schedule{
		Name:       name,
		Event:      name,
		Expression: literal(get(props, "ScheduleExpression")),
		Timezone:   literal(get(props, "ScheduleExpressionTimezone")),
		Input:      literal(get(props, "Input")),
		Enabled:    literal(get(props, "State")) != "DISABLED",
	}
	if n, ok := literalOK(get(props, "Name")); ok && n != "" {
		s.Name = n
	}
	return s
}

// ---- yaml helpers ------------------------------------------------------------------------

// get returns the value of key in mapping n, or nil.
func get(n *yaml.Node, key string) *yaml.Node {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return deref(n.Content[i+1])
		}
	}
	return nil
}

// each calls fn for every entry of mapping n, in order.
func each(n *yaml.Node, fn func(key string, v *yaml.Node)) {
	n = deref(n)
	if n == nil || n.Kind != yaml.MappingNode || fn == nil {
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		fn(n.Content[i].Value, deref(n.Content[i+1]))
	}
}

// items returns the elements of sequence n; a single scalar counts as a sequence of one.
func items(n *yaml.Node) []*yaml.Node {
	n = deref(n)
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode && !isIntrinsic(n) {
		out := make([]*yaml.Node, len(n.Content))
		for i, c := range n.Content {
			out[i] = deref(c)
		}
		return out
	}
	return []*yaml.Node{n}
}

func deref(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// isIntrinsic reports whether n is a CloudFormation short-form intrinsic (!Ref, !Sub ...) or a
// long-form one ({Ref: ...}, {Fn::Sub: ...}).
func isIntrinsic(n *yaml.Node) bool {
	n = deref(n)
	if n == nil {
		return false
	}
	if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return true
	}
	if n.Kind == yaml.MappingNode && len(n.Content) == 2 {
		k := n.Content[0].Value
		return k == "Ref" || k == "Condition" || strings.HasPrefix(k, "Fn::")
	}
	return false
}

// literalOK returns the value of a plain scalar; ok is false for intrinsics and collections.
func literalOK(n *yaml.Node) (string, bool) {
	n = deref(n)
	if n == nil || n.Kind != yaml.ScalarNode || isIntrinsic(n) {
		return "", false
	}
	return n.Value, true
}

func literal(n *yaml.Node) string {
	s, _ := literalOK(n)
	return s
}

func literalMap(n *yaml.Node) map[string]string {
	out := map[string]string{}
	each(n, func(k string, v *yaml.Node) {
		if s, ok := literalOK(v); ok {
			out[k] = s
		}
	})
	return out
}

func intOf(n *yaml.Node) int {
	i, _ := strconv.Atoi(literal(n))
	return i
}

// refTarget returns X for `!Ref X` or `{Ref: X}`, else "".
func refTarget(n *yaml.Node) string {
	n = deref(n)
	if n == nil {
		return ""
	}
	if n.Tag == "!Ref" && n.Kind == yaml.ScalarNode {
		return n.Value
	}
	if r := get(n, "Ref"); r != nil {
		return r.Value
	}
	return ""
}
