package main

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

func fuzzRequest(route, body string, b64 bool) httpapi.Request {
	return httpapi.Request{RouteKey: route, Body: body, IsBase64Encoded: b64,
		PathParameters: map[string]string{"school": "brook-lane", "class": "Willows"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{TimeEpoch: apitest.At("10:00").UnixMilli(),
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{"email": apitest.Helen, "sub": "s", "email_verified": "true"}}}}}
}

// FuzzDecodeSettings: whatever body arrives, decoding a change of the school's settings (and
// checking it as the domain does) never panics; it fails only with a 4xx problem.
func FuzzDecodeSettings(f *testing.F) {
	f.Add(settingsBody(0, nil), false)
	f.Add(`{"version":1,"endOfDay":"25:00","loneWorkerMinutes":-1,"sessionIdleMinutes":0,"sessionLifetimeMinutes":1,"contactOpeningsPerHour":9999}`, false)
	f.Add(`{"version":0,"endOfDay":"17:00","loneWorkerMinutes":30,"sessionIdleMinutes":30,"sessionLifetimeMinutes":600,"contactOpeningsPerHour":30,"keyContacts":[{"agency":"x"},{"agency":"police"},{"agency":"police"}]}`, false)
	f.Add(`{"version":"1"}`, false)
	f.Add(`{"keyContacts":{}}`, false)
	f.Add(`null`, false)
	f.Add("e30=", true)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var in settingsRequest
		if _, _, _, err := httpapi.Command(fuzzRequest("PUT /api/schools/{school}/settings", body, b64), &in); err != nil {
			apitest.Refusal(t, err)
			return
		}
		_, s, err := in.input()
		if err != nil {
			apitest.Refusal(t, err)
			return
		}
		sc := safeguarding.School{ID: "brook-lane", EndOfDayMinutes: s.EndOfDayMinutes, LoneWorkerMinutes: s.LoneWorkerMinutes,
			SessionIdleMinutes: s.SessionIdleMinutes, SessionLifetimeMinutes: s.SessionLifetimeMinutes, ContactOpeningsPerHour: s.ContactOpeningsPerHour,
			DutyTeamNumber: s.DutyTeamNumber, LADONumber: s.LADONumber, SafeguardingGovernor: s.SafeguardingGovernor, KeyContacts: s.KeyContacts}
		apitest.Refusal(t, sc.CheckSettings())
	})
}

// FuzzDecodeClassTeachers: the body naming a class's teachers decodes or fails with a 4xx
// problem.
func FuzzDecodeClassTeachers(f *testing.F) {
	f.Add(`{"version":0,"teachers":["tom.hughes@brookhill.example.org"]}`, false)
	f.Add(`{"version":-1,"teachers":null}`, false)
	f.Add(`{"teachers":[1]}`, false)
	f.Add(`[]`, false)
	f.Add("e30=", true)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var in teachersRequest
		if _, _, _, err := httpapi.Command(fuzzRequest("PUT /api/schools/{school}/classes/{class}/teachers", body, b64), &in); err != nil {
			apitest.Refusal(t, err)
			return
		}
		_, _, err := in.input()
		apitest.Refusal(t, err)
	})
}

// FuzzDecodeLegalHold: the body placing or lifting a legal hold (rule S7) decodes, with its
// dates and version read, or fails with a 4xx problem.
func FuzzDecodeLegalHold(f *testing.F) {
	f.Add(`{"reason":"Court proceedings","reviewOn":"2027-06-30","version":0}`, false)
	f.Add(`{"reason":"x","reviewOn":"30/06/2027"}`, false)
	f.Add(`{"reason":"","version":-1}`, false)
	f.Add(`{"reviewOn":"99999-01-01","version":"1"}`, false)
	f.Add(`null`, false)
	f.Add("e30=", true)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var in holdRequest
		if _, _, _, err := httpapi.Command(fuzzRequest("POST /api/schools/{school}/pupils/{pupil}/legal-holds", body, b64), &in); err != nil {
			apitest.Refusal(t, err)
			return
		}
		if _, err := parseDay("reviewOn", in.ReviewOn); err != nil {
			apitest.Refusal(t, err)
		}
		if _, err := in.version(); err != nil {
			apitest.Refusal(t, err)
		}
	})
}
