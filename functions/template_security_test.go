package functions

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// These tests read template.yaml as it is deployed and hold its security settings: the user
// pool, the data key, the logs, the API's throttles and the functions' reserved concurrency.

// doc is template.yaml as yaml nodes; intrinsics keep their tag (!Ref, !GetAtt, !Sub).
func doc(t *testing.T) *yaml.Node {
	t.Helper()
	p, err := template.Find()
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var d yaml.Node
	if err := yaml.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d.Content[0]
}

// at follows keys through mappings; nil when one is missing.
func at(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// scalar is the value of a plain scalar ("" for anything else, intrinsics included).
func scalar(n *yaml.Node) string {
	if n == nil || n.Kind != yaml.ScalarNode || strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
		return ""
	}
	return n.Value
}

// intrinsic returns "!Ref X" or "!GetAtt X.Arn" or "!Sub ..." for a short-form intrinsic.
func intrinsic(n *yaml.Node) string {
	if n == nil || !strings.HasPrefix(n.Tag, "!") || strings.HasPrefix(n.Tag, "!!") || n.Kind != yaml.ScalarNode {
		return ""
	}
	return n.Tag + " " + n.Value
}

func scalars(n *yaml.Node) []string {
	if n == nil || n.Kind != yaml.SequenceNode {
		return nil
	}
	var out []string
	for _, c := range n.Content {
		out = append(out, scalar(c))
	}
	return out
}

// resources returns the logical ids and nodes of the resources of a type, in file order.
func resources(root *yaml.Node, typ string) (ids []string, nodes []*yaml.Node) {
	res := at(root, "Resources")
	for i := 0; i+1 < len(res.Content); i += 2 {
		if scalar(at(res.Content[i+1], "Type")) == typ {
			ids, nodes = append(ids, res.Content[i].Value), append(nodes, res.Content[i+1])
		}
	}
	return ids, nodes
}

// Rules S4 and S8: the user pool needs a second factor; a person is its immutable subject with
// a verified email that only its owner can change, by proving the new one, and not by its
// capital letters; the app client offers the hosted sign-in only, says nothing of who exists,
// and lets nobody write their own email.
func TestRule_S4_S8_UserPoolNeedsASecondFactorAndKeepsTheVerifiedEmail(t *testing.T) {
	root := doc(t)
	pools, nodes := resources(root, "AWS::Cognito::UserPool")
	if len(pools) != 1 {
		t.Fatalf("user pools %v, want one", pools)
	}
	p := at(nodes[0], "Properties")
	for path, want := range map[string]string{
		"MfaConfiguration":                               "ON",
		"UsernameConfiguration.CaseSensitive":            "false",
		"UserPoolTier":                                   "PLUS",
		"UserPoolAddOns.AdvancedSecurityMode":            "ENFORCED",
		"DeletionProtection":                             "ACTIVE",
		"AdminCreateUserConfig.AllowAdminCreateUserOnly": "true",
	} {
		if got := scalar(at(p, strings.Split(path, ".")...)); got != want {
			t.Errorf("UserPool %s = %q, want %q", path, got, want)
		}
	}
	if m := scalars(at(p, "EnabledMfas")); len(m) == 0 || slices.Contains(m, "SMS_MFA") && len(m) == 1 {
		t.Errorf("EnabledMfas %v: want an authenticator app", m)
	}
	if !slices.Contains(scalars(at(p, "AutoVerifiedAttributes")), "email") {
		t.Error("the email is not verified")
	}
	if !slices.Contains(scalars(at(p, "UserAttributeUpdateSettings", "AttributesRequireVerificationBeforeUpdate")), "email") {
		t.Error("a new email applies before it is verified")
	}

	clients, cnodes := resources(root, "AWS::Cognito::UserPoolClient")
	if len(clients) == 0 {
		t.Fatal("no user pool client")
	}
	for i, id := range clients {
		c := at(cnodes[i], "Properties")
		write := scalars(at(c, "WriteAttributes"))
		// An absent or empty list lets a user write every standard attribute, email included.
		if len(write) == 0 || slices.Contains(write, "email") || slices.Contains(write, "email_verified") {
			t.Errorf("%s WriteAttributes %v: want a list without email and email_verified", id, write)
		}
		read := scalars(at(c, "ReadAttributes"))
		if !slices.Contains(read, "email") || !slices.Contains(read, "email_verified") {
			t.Errorf("%s ReadAttributes %v: the ID token needs email and email_verified", id, read)
		}
		flows := scalars(at(c, "ExplicitAuthFlows"))
		if !slices.Contains(flows, "ALLOW_REFRESH_TOKEN_AUTH") {
			t.Errorf("%s ExplicitAuthFlows %v: absent means password flows too", id, flows)
		}
		for _, f := range flows {
			if f != "ALLOW_REFRESH_TOKEN_AUTH" && f != "ALLOW_USER_SRP_AUTH" {
				t.Errorf("%s allows %s, which the product does not use", id, f)
			}
		}
		if got := scalar(at(c, "PreventUserExistenceErrors")); got != "ENABLED" {
			t.Errorf("%s PreventUserExistenceErrors %q", id, got)
		}
	}
}

// Rule S1: the key of the retained table and bucket is retained too (rule S7: deleting it would
// make them unreadable), rotates, and lets each AWS service use it only for this account's
// resources: CloudWatch Logs only for this stack's log groups.
func TestRule_S1_TheDataKeyOutlivesTheStackAndServesOnlyThisAccount(t *testing.T) {
	root := doc(t)
	key := at(root, "Resources", "DataKey")
	if scalar(at(key, "Type")) != "AWS::KMS::Key" {
		t.Fatal("no DataKey")
	}
	for _, policy := range []string{"DeletionPolicy", "UpdateReplacePolicy"} {
		if got := scalar(at(key, policy)); got != "Retain" {
			t.Errorf("DataKey %s = %q, want Retain", policy, got)
		}
		for _, id := range []string{"Table", "AttachmentsBucket"} {
			if got := scalar(at(root, "Resources", id, policy)); got != "Retain" {
				t.Errorf("%s %s = %q: it outlives the stack with the key", id, policy, got)
			}
		}
	}
	if scalar(at(key, "Properties", "EnableKeyRotation")) != "true" {
		t.Error("the key does not rotate")
	}
	services := 0
	var logs bool
	for _, st := range at(key, "Properties", "KeyPolicy", "Statement").Content {
		svc := at(st, "Principal", "Service")
		if svc == nil {
			continue
		}
		services++
		names := scalars(svc)
		if svc.Kind != yaml.SequenceNode {
			names = []string{scalar(svc) + intrinsic(svc)}
		}
		cond := at(st, "Condition")
		sid := scalar(at(st, "Sid"))
		if strings.Contains(strings.Join(names, " "), "logs.${AWS::Region}.amazonaws.com") {
			logs = true
			arn := intrinsic(at(cond, "ArnLike", "kms:EncryptionContext:aws:logs:arn")) + intrinsic(at(cond, "ArnEquals", "kms:EncryptionContext:aws:logs:arn"))
			if !strings.Contains(arn, ":log-group:/keepsafe/${Stage}/") {
				t.Errorf("%s: CloudWatch Logs may use the key for any log group (condition %q)", sid, arn)
			}
			continue
		}
		account := intrinsic(at(cond, "StringEquals", "aws:SourceAccount")) + intrinsic(at(cond, "StringEquals", "kms:CallerAccount"))
		source := intrinsic(at(cond, "ArnLike", "aws:SourceArn")) + intrinsic(at(cond, "ArnEquals", "aws:SourceArn")) +
			scalar(at(cond, "StringEquals", "kms:ViaService")) + intrinsic(at(cond, "StringEquals", "kms:ViaService"))
		if !strings.Contains(account, "AWS::AccountId") || !strings.Contains(source, "${AWS::AccountId}") && !strings.Contains(source, "amazonaws.com") {
			t.Errorf("%s (%v): want the source account and the source ARN (or kms:ViaService) as conditions, got %v / %v", sid, names, account, source)
		}
	}
	if services == 0 || !logs {
		t.Errorf("%d service statements, logs %v: the log groups are encrypted with this key", services, logs)
	}
}

// Rule S1: every function logs to a log group of its own, kept for LogRetentionInDays and
// encrypted with the data key, as JSON; so does the API's access log.
func TestRule_S1_EveryFunctionLogsToItsOwnEncryptedLogGroupWithRetention(t *testing.T) {
	root := doc(t)
	param := at(root, "Parameters", "LogRetentionInDays")
	if d, err := strconv.Atoi(scalar(at(param, "Default"))); err != nil || d < 30 || scalar(at(param, "Description")) == "" {
		t.Errorf("parameter LogRetentionInDays: default %q, description %q", scalar(at(param, "Default")), scalar(at(param, "Description")))
	}
	groups, gnodes := resources(root, "AWS::Logs::LogGroup")
	for i, id := range groups {
		p := at(gnodes[i], "Properties")
		if got := intrinsic(at(p, "RetentionInDays")); got != "!Ref LogRetentionInDays" {
			t.Errorf("%s RetentionInDays %q", id, got)
		}
		if got := intrinsic(at(p, "KmsKeyId")); got != "!GetAtt DataKey.Arn" {
			t.Errorf("%s KmsKeyId %q", id, got)
		}
		// The key policy lets CloudWatch Logs use the key for /keepsafe/<Stage>/ only.
		if got := intrinsic(at(p, "LogGroupName")); !strings.HasPrefix(got, "!Sub /keepsafe/${Stage}/") {
			t.Errorf("%s LogGroupName %q, want under /keepsafe/${Stage}/", id, got)
		}
	}
	globalFormat := scalar(at(root, "Globals", "Function", "LoggingConfig", "LogFormat"))
	used := map[string]string{}
	fns, fnodes := resources(root, "AWS::Serverless::Function")
	for i, id := range fns {
		lc := at(fnodes[i], "Properties", "LoggingConfig")
		ref, ok := strings.CutPrefix(intrinsic(at(lc, "LogGroup")), "!Ref ")
		if !ok || !slices.Contains(groups, ref) {
			t.Errorf("%s logs to %q, not a log group of the template", id, intrinsic(at(lc, "LogGroup")))
			continue
		}
		if prev, dup := used[ref]; dup {
			t.Errorf("%s and %s share the log group %s", prev, id, ref)
		}
		used[ref] = id
		if f := cmp(scalar(at(lc, "LogFormat")), globalFormat); f != "JSON" {
			t.Errorf("%s LogFormat %q", id, f)
		}
	}
	if len(fns) == 0 || len(used) != len(fns) {
		t.Errorf("%d functions, %d with a log group", len(fns), len(used))
	}
	access := intrinsic(at(root, "Resources", "HttpApi", "Properties", "AccessLogSettings", "DestinationArn"))
	if g, ok := strings.CutPrefix(access, "!GetAtt "); !ok || !slices.Contains(groups, strings.TrimSuffix(g, ".Arn")) || used[strings.TrimSuffix(g, ".Arn")] != "" {
		t.Errorf("the API's access log goes to %q, want a log group of its own", access)
	}
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Rule S1: the API's access log holds no personal data: no caller's IP address or user agent,
// no path (school, pupil and family ids are in it) or query string, no claims; the route key
// names the route by its template. Only the variables listed here may be in it.
func TestRule_S1_TheAPIAccessLogHoldsNoPersonalData(t *testing.T) {
	format := scalar(at(doc(t), "Resources", "HttpApi", "Properties", "AccessLogSettings", "Format"))
	var fields map[string]string
	if err := json.Unmarshal([]byte(format), &fields); err != nil {
		t.Fatalf("the access log format %q is not one JSON object: %v", format, err)
	}
	allowed := []string{"requestId", "requestTime", "requestTimeEpoch", "routeKey", "status", "responseLatency",
		"integrationLatency", "integrationStatus", "integrationErrorMessage", "error.message", "error.responseType",
		"authorizer.error", "responseLength", "protocol", "stage", "apiId"}
	var vars []string
	for _, m := range regexp.MustCompile(`\$context\.([A-Za-z.]+)`).FindAllStringSubmatch(format, -1) {
		vars = append(vars, m[1])
	}
	if strings.Count(format, "$") != len(vars) {
		t.Errorf("the format uses a variable other than $context.*: %s", format)
	}
	for _, v := range vars {
		if !slices.Contains(allowed, v) {
			t.Errorf("the access log holds $context.%s, which may be personal data or a record's id", v)
		}
	}
	for _, want := range []string{"requestId", "routeKey", "status", "responseLatency", "integrationErrorMessage"} {
		if !slices.Contains(vars, want) {
			t.Errorf("the access log lacks $context.%s", want)
		}
	}
}

// Every route has a throttle; sign-in, its callback and the routes a whole school may send at
// once have tighter ones, each naming a route of the template (else the stage fails to deploy).
func TestAPIThrottlesEveryRouteAndSomeMore(t *testing.T) {
	api := at(doc(t), "Resources", "HttpApi", "Properties")
	limit := func(n *yaml.Node, name string) int {
		v, _ := strconv.Atoi(scalar(at(n, name)))
		return v
	}
	def := at(api, "DefaultRouteSettings")
	burst, rate := limit(def, "ThrottlingBurstLimit"), limit(def, "ThrottlingRateLimit")
	if burst <= 0 || rate <= 0 {
		t.Fatalf("default throttle burst %d rate %d", burst, rate)
	}
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range tpl.Routes() {
		keys = append(keys, r.RouteKey())
	}
	rs := at(api, "RouteSettings")
	var tight []string
	for i := 0; rs != nil && i+1 < len(rs.Content); i += 2 {
		k, s := rs.Content[i].Value, rs.Content[i+1]
		tight = append(tight, k)
		if !slices.Contains(keys, k) {
			t.Errorf("RouteSettings names %q, not a route of the template", k)
		}
		if b, r := limit(s, "ThrottlingBurstLimit"), limit(s, "ThrottlingRateLimit"); b <= 0 || r <= 0 || b >= burst || r >= rate {
			t.Errorf("%s: burst %d rate %d, want tighter than the default %d/%d", k, b, r, burst, rate)
		}
	}
	for _, want := range []string{"GET /sign-in", "GET /auth/callback"} {
		if !slices.Contains(tight, want) {
			t.Errorf("%s has no throttle of its own", want)
		}
	}
}

// Rule C4: alerts go at once, so a burst on the API cannot take every execution the account
// has and leave the alerts function (or the deadline engine, rule D8, or the daily families
// run) waiting: each has reserved concurrency; the escalation function's covers its queue's
// MaximumConcurrency and the daily fan-out. The API's functions reserve nothing, and the total
// stays small: Lambda keeps 100 of an account's executions unreserved.
func TestRule_C4_ABurstOnTheAPICannotStarveTheAlerts(t *testing.T) {
	root := doc(t)
	total := 0
	fns, nodes := resources(root, "AWS::Serverless::Function")
	reserved := map[string]int{}
	for i, id := range fns {
		n, _ := strconv.Atoi(scalar(at(nodes[i], "Properties", "ReservedConcurrentExecutions")))
		reserved[id] = n
		total += n
	}
	for _, id := range []string{"AlertsFunction", "DeadlinesFunction", "EscalationFunction"} {
		if reserved[id] <= 0 {
			t.Errorf("%s has no reserved concurrency", id)
		}
	}
	maxConc, _ := strconv.Atoi(scalar(at(root, "Resources", "EscalationFunction", "Properties", "Events", "Schools", "Properties", "ScalingConfig", "MaximumConcurrency")))
	if reserved["EscalationFunction"] <= maxConc {
		t.Errorf("EscalationFunction reserves %d, its queue runs up to %d at once and the schedule needs one more", reserved["EscalationFunction"], maxConc)
	}
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range tpl.Routes() {
		if reserved[r.Function] != 0 {
			t.Errorf("%s serves the API and reserves %d", r.Function, reserved[r.Function])
		}
	}
	if total > 100 {
		t.Errorf("%d executions reserved in all, want at most 100", total)
	}
}
