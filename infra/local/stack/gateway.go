package stack

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/infra/template"
	"github.com/keepsafe-schools/keepsafe/shared/identity"
)

// MaxPayloadBytes is API Gateway's limit on a request body.
const MaxPayloadBytes = 10 << 20

// maxInvokePayloadBytes is Lambda's limit on a synchronous invocation's event.
const maxInvokePayloadBytes = 6 << 20

// integrationTimeout is API Gateway's limit on an HTTP API integration.
const integrationTimeout = 30 * time.Second

// gateway does locally what API Gateway (HTTP API, payload format 2.0) does: it matches the
// route of template.yaml, checks the bearer token as the JWT authorizer would, turns the
// request into the event a function receives and the function's answer into the response.
type gateway struct {
	routes    []template.Route
	functions map[string]*function // by logical ID
	verifier  *identity.Verifier
	clock     *Clock
	log       *slog.Logger
}

func (g *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := newID()
	w.Header().Set("Apigw-Requestid", reqID)
	route, params, ok := template.MatchRoute(g.routes, r.Method, r.URL.EscapedPath())
	if !ok {
		writeGatewayMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	fn := g.functions[route.Function]
	if fn == nil {
		writeGatewayMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	var jwt *events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription
	if route.Auth {
		claims, err := g.authorize(r)
		if err != nil {
			w.Header().Set("Www-Authenticate", `Bearer error="invalid_token"`)
			writeGatewayMessage(w, http.StatusUnauthorized, "Unauthorized")
			return
		}
		jwt = claims
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxPayloadBytes+1))
	if err != nil {
		writeGatewayMessage(w, http.StatusBadRequest, "Bad Request")
		return
	}
	if len(body) > MaxPayloadBytes {
		writeGatewayMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ev := g.event(r, route, params, body, reqID, jwt)
	payload, err := json.Marshal(ev)
	if err != nil {
		writeGatewayMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if len(payload) > maxInvokePayloadBytes {
		// Lambda refuses the event, and API Gateway answers 413.
		writeGatewayMessage(w, http.StatusRequestEntityTooLarge, "Request Entity Too Large")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), integrationTimeout)
	defer cancel()
	start := time.Now()
	out, err := fn.invoke(ctx, payload)
	if err != nil {
		var fe *FunctionError
		if errors.As(err, &fe) {
			g.log.Warn("function failed", "route", route.RouteKey(), "errorType", fe.Type)
		} else if errors.Is(err, context.DeadlineExceeded) {
			writeGatewayMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
			return
		}
		writeGatewayMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	status, err := writeResponse(w, out)
	if err != nil {
		g.log.Warn("function answer is not a valid response", "route", route.RouteKey(), "err", err)
		writeGatewayMessage(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	g.log.Info("request", "route", route.RouteKey(), "status", status, "ms", time.Since(start).Milliseconds())
}

// authorize checks the bearer token as API Gateway's JWT authorizer does and returns the
// claims it passes on.
func (g *gateway) authorize(r *http.Request) (*events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription, error) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if h == "" {
		return nil, errors.New("no token")
	}
	tok := h
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		tok = strings.TrimSpace(h[7:])
	}
	c, err := g.verifier.Verify(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	d := &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: c.Raw}
	if s := c.Raw["scope"]; s != "" {
		d.Scopes = strings.Fields(s)
	}
	return d, nil
}

// event builds the payload format 2.0 event API Gateway sends for r.
func (g *gateway) event(r *http.Request, route template.Route, params map[string]string, body []byte, reqID string,
	jwt *events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription) events.APIGatewayV2HTTPRequest {
	now := g.clock.Now()
	host := r.Host
	domain := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		domain = h
	}
	sourceIP := r.RemoteAddr
	if h, _, err := net.SplitHostPort(sourceIP); err == nil {
		sourceIP = h
	}
	ev := events.APIGatewayV2HTTPRequest{
		Version:        "2.0",
		RouteKey:       route.RouteKey(),
		RawPath:        r.URL.EscapedPath(),
		RawQueryString: r.URL.RawQuery,
		Headers:        map[string]string{},
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			RouteKey:     route.RouteKey(),
			AccountID:    "000000000000",
			Stage:        "$default",
			RequestID:    reqID,
			APIID:        "local",
			DomainName:   domain,
			DomainPrefix: strings.SplitN(domain, ".", 2)[0],
			Time:         now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  r.Proto,
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(params) > 0 {
		ev.PathParameters = params
	}
	if jwt != nil {
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: jwt}
	}
	for name, values := range r.Header {
		k := strings.ToLower(name)
		if k == "cookie" {
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						ev.Cookies = append(ev.Cookies, c)
					}
				}
			}
			continue
		}
		ev.Headers[k] = strings.Join(values, ",")
	}
	ev.Headers["host"] = host
	if _, ok := ev.Headers["content-length"]; !ok && len(body) > 0 {
		ev.Headers["content-length"] = strconv.Itoa(len(body))
	}
	ev.Headers["x-forwarded-for"] = sourceIP
	ev.Headers["x-forwarded-proto"] = "http"
	if _, port, err := net.SplitHostPort(host); err == nil {
		ev.Headers["x-forwarded-port"] = port
	}
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(q) > 0 {
		ev.QueryStringParameters = make(map[string]string, len(q))
		for k, v := range q {
			ev.QueryStringParameters[k] = strings.Join(v, ",")
		}
	}
	if len(body) > 0 {
		if isText(r.Header.Get("Content-Type")) && utf8.Valid(body) {
			ev.Body = string(body)
		} else {
			ev.Body = base64.StdEncoding.EncodeToString(body)
			ev.IsBase64Encoded = true
		}
	}
	return ev
}

// isText reports whether API Gateway passes a body of this type as text rather than base64.
func isText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"),
		mt == "application/json", strings.HasSuffix(mt, "+json"),
		mt == "application/xml", strings.HasSuffix(mt, "+xml"),
		mt == "application/javascript", mt == "application/x-www-form-urlencoded",
		mt == "application/graphql", mt == "application/x-ndjson":
		return true
	}
	return false
}

// writeResponse maps a function's answer to the HTTP response as API Gateway does: an object
// with statusCode is a structured response; anything else is a 200 with the answer as a JSON
// body.
func writeResponse(w http.ResponseWriter, out []byte) (int, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(out, &probe); err != nil || probe["statusCode"] == nil {
		if !json.Valid(out) {
			return 0, errors.New("answer is not JSON")
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(out)
		return http.StatusOK, nil
	}
	var resp events.APIGatewayV2HTTPResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		return 0, err
	}
	if resp.StatusCode < 100 || resp.StatusCode > 599 {
		return 0, errors.New("statusCode out of range")
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		b, err := base64.StdEncoding.DecodeString(resp.Body)
		if err != nil {
			return 0, err
		}
		body = b
	}
	h := w.Header()
	keys := make([]string, 0, len(resp.MultiValueHeaders))
	for k := range resp.MultiValueHeaders {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range resp.MultiValueHeaders[k] {
			h.Add(k, v)
		}
	}
	for k, v := range resp.Headers {
		h.Set(k, v)
	}
	for _, c := range resp.Cookies {
		h.Add("Set-Cookie", c)
	}
	if h.Get("Content-Type") == "" && len(body) > 0 {
		h.Set("Content-Type", "application/json")
	}
	h.Del("Content-Length")
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, bytes.NewReader(body))
	return resp.StatusCode, nil
}
