package openapitest

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func request(method, path, body string) events.APIGatewayV2HTTPRequest {
	return events.APIGatewayV2HTTPRequest{RouteKey: method + " " + path, RawPath: path, Body: body,
		Headers:        map[string]string{"content-type": "application/json"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: method, Path: path}}}
}

func response(status int, contentType, body string) events.APIGatewayV2HTTPResponse {
	return events.APIGatewayV2HTTPResponse{StatusCode: status, Headers: map[string]string{"Content-Type": contentType}, Body: body}
}

const me = `{"email":"a.patel@brook.example","name":"Asha Patel","memberships":[{"school":"brook-lane","roles":["teacher"]}]}`

const problem400 = `{"type":"about:blank","title":"Invalid request","status":400,"detail":"category: is required","errors":[{"field":"category","detail":"is required"}]}`

func mustDefault(t *testing.T) *Doc {
	t.Helper()
	d, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func mustLoad(t *testing.T, spec string) *Doc {
	t.Helper()
	d, err := Load([]byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func expectNone(t *testing.T, got []string) {
	t.Helper()
	if len(got) > 0 {
		t.Errorf("mismatches %q, want none", got)
	}
}

func expectSome(t *testing.T, got []string, want string) {
	t.Helper()
	if !strings.Contains(strings.Join(got, "\n"), want) {
		t.Errorf("mismatches %q, want one saying %q", got, want)
	}
}

func TestTheDocumentParsesAndAnAnswerThatMatchesPasses(t *testing.T) {
	d := mustDefault(t)
	expectNone(t, d.Mismatches(request("GET", "/api/me", ""), response(200, "application/json", me)))
	Check(t, request("GET", "/api/me", ""), response(200, "application/json", me))
}

func TestAResponseOffTheDocumentIsAMismatch(t *testing.T) {
	d := mustDefault(t)
	expectSome(t, d.Mismatches(request("GET", "/api/me", ""), response(200, "application/json", `{"email":"a.patel@brook.example"}`)), "name")
	expectSome(t, d.Mismatches(request("GET", "/api/me", ""), response(200, "text/html", "<p>hi</p>")), "text/html")
	// a status the operation does not document
	expectSome(t, d.Mismatches(request("GET", "/api/me", ""), response(418, "application/problem+json",
		`{"type":"about:blank","title":"Teapot","status":418,"detail":"no"}`)), "418")
	// a problem without its detail
	expectSome(t, d.Mismatches(request("GET", "/api/me", ""), response(401, "application/problem+json",
		`{"type":"about:blank","title":"Unauthorized","status":401}`)), "detail")
}

func TestTheFailureNamesTheRouteAndTheStatus(t *testing.T) {
	rec := &recorder{TB: t}
	mustDefault(t).Check(rec, request("GET", "/api/me", ""), response(200, "application/json", `{}`))
	if !strings.Contains(rec.msg, "GET /api/me answered 200") {
		t.Errorf("the failure says %q", rec.msg)
	}
}

type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.msg = strings.TrimSpace(r.msg + "\n" + fmt.Sprintf(format, args...))
}

func TestAnInvalidRequestIsAMismatchOnlyWhenTheHandlerAcceptedIt(t *testing.T) {
	d := mustDefault(t)
	bad := request("POST", "/api/schools/brook-lane/concerns", `{"pupilIds":["bl-01"],"details":"no category"}`)
	expectNone(t, d.Mismatches(bad, response(400, "application/problem+json", problem400)))
	receipt := `{"id":"01JD3Q8Z5W2K9M7R4T6Y1X0V8B","reference":"C-7KQ2M9XA","recordedAt":"2026-11-23T09:30:00Z","late":false,"minutesLate":0}`
	expectSome(t, d.Mismatches(bad, response(201, "application/json", receipt)), "request")
	good := request("POST", "/api/schools/brook-lane/concerns", `{"pupilIds":["bl-01"],"category":"wellbeing","details":"Upset at break."}`)
	expectNone(t, d.Mismatches(good, response(201, "application/json", receipt)))
	// the error answer itself is still held to the document
	expectSome(t, d.Mismatches(bad, response(400, "application/problem+json", `{"title":"Invalid request"}`)), "response")
}

func TestABase64BodyIsDecoded(t *testing.T) {
	d := mustDefault(t)
	req := request("POST", "/api/schools/brook-lane/concerns", base64.StdEncoding.EncodeToString([]byte(`{"pupilIds":["bl-01"],"category":"wellbeing","details":"x"}`)))
	req.IsBase64Encoded = true
	resp := response(201, "application/json", base64.StdEncoding.EncodeToString([]byte(
		`{"id":"1","reference":"C-1","recordedAt":"2026-11-23T09:30:00Z","late":false,"minutesLate":0}`)))
	resp.IsBase64Encoded = true
	expectNone(t, d.Mismatches(req, resp))
}

func TestTheQueryIsRead(t *testing.T) {
	d := mustDefault(t)
	req := request("GET", "/api/schools/brook-lane/actions", "")
	req.QueryStringParameters = map[string]string{"status": "all-of-them"}
	expectSome(t, d.Mismatches(req, response(200, "application/json", `{"actions":[]}`)), "status")
	req.QueryStringParameters = nil
	req.RawQueryString = "status=completed"
	expectNone(t, d.Mismatches(req, response(200, "application/json", `{"actions":[]}`)))
}

func TestPathsOutsideTheAPIAreSkipped(t *testing.T) {
	d := mustDefault(t)
	expectNone(t, d.Mismatches(request("GET", "/dev/users", ""), response(200, "application/json", `[]`)))
	expectNone(t, d.Mismatches(request("GET", "/schools/brook-lane/concerns", ""), response(200, "text/html", "<p>")))
	expectNone(t, d.Mismatches(request("GET", "/apis", ""), response(200, "text/plain", "")))
}

func TestAnAPIRouteTheDocumentLacksIsAMismatchUnlessTheHandlerLacksItToo(t *testing.T) {
	d := mustDefault(t)
	notFound := `{"type":"about:blank","title":"Not found","status":404,"detail":"no route"}`
	expectNone(t, d.Mismatches(request("DELETE", "/api/me", ""), response(404, "application/problem+json", notFound)))
	expectSome(t, d.Mismatches(request("DELETE", "/api/me", ""), response(200, "application/json", me)), "route")
	expectSome(t, d.Mismatches(request("GET", "/api/nowhere", ""), response(200, "application/json", `{}`)), "route")
}

// The route key and path parameters give the path when the event has none.
func TestThePathComesFromTheRouteKeyWhenTheEventHasNone(t *testing.T) {
	d := mustDefault(t)
	req := events.APIGatewayV2HTTPRequest{RouteKey: "GET /api/schools/{school}/concerns/{id}/case",
		PathParameters: map[string]string{"school": "brook-lane", "id": "c1"}}
	expectSome(t, d.Mismatches(req, response(200, "application/json", `{"status":"shut"}`)), "status")
}

const based = `openapi: 3.1.0
info: { title: t, version: "1" }
servers:
  - url: https://keepsafe.example/api
paths:
  /files/{id}:
    get:
      parameters:
        - { name: id, in: path, required: true, schema: { type: string } }
      responses:
        "200":
          description: the file
          content:
            application/pdf:
              schema: { type: string, format: binary }
`

func TestPathsUnderTheServersBasePathMatch(t *testing.T) {
	d := mustLoad(t, based)
	expectNone(t, d.Mismatches(request("GET", "/api/files/f1", ""), response(200, "application/pdf", "%PDF-1.7 ...")))
	expectSome(t, d.Mismatches(request("GET", "/api/files/f1", ""), response(200, "application/json", `{}`)), "application/json")
	expectSome(t, d.Mismatches(request("GET", "/api/other", ""), response(200, "application/pdf", "")), "route")
}

func TestABodyThatIsNotBase64IsAnInvalidRequest(t *testing.T) {
	d := mustDefault(t)
	req := request("POST", "/api/schools/brook-lane/concerns", "%%%")
	req.IsBase64Encoded = true
	expectNone(t, d.Mismatches(req, response(400, "application/problem+json", `{"type":"about:blank","title":"Bad request","status":400,"detail":"the body is not valid base64"}`)))
	expectSome(t, d.Mismatches(req, response(201, "application/json",
		`{"id":"1","reference":"C-1","recordedAt":"2026-11-23T09:30:00Z","late":false,"minutesLate":0}`)), "base64")
}
