package main

import (
	"net/url"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
)

// FuzzDecodeList: whatever query string the list of imports is sent, its decoder never panics
// and refuses any parameter as a 4xx problem naming it; none passes.
func FuzzDecodeList(f *testing.F) {
	for _, q := range []string{"", "limit=5", "since=2026-01-01&x=%00", "%zz", "a=1&a=2"} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		v, err := url.ParseQuery(raw)
		if err != nil {
			return // API Gateway answers a query string that does not parse before the function
		}
		params := map[string]string{}
		for k, vs := range v {
			params[k] = vs[0]
		}
		req := httpapi.Request{RouteKey: "GET /api/schools/{school}/imports", RawPath: "/api/schools/brook-lane/imports", RawQueryString: raw,
			QueryStringParameters: params, PathParameters: map[string]string{"school": "brook-lane"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{TimeEpoch: 1_800_000_000_000,
				Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
					Claims: map[string]string{"email": "grace.bennett@brookhill.example.org"}}}}}
		who, err := decodeList(req)
		apitest.Refusal(t, err)
		if len(params) > 0 && err == nil {
			t.Fatalf("the list took the parameters %v", params)
		}
		if err == nil && who.Email == "" {
			t.Fatal("a caller without an email")
		}
	})
}
