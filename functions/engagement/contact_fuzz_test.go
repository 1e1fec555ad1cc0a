package main

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
)

// FuzzDecodeContact: whatever body arrives at the contact log (rules H2, H3), decoding it
// never panics, and it either gives an attempt for the domain to check or a 4xx problem.
func FuzzDecodeContact(f *testing.F) {
	f.Add(`{"at":"2026-11-23T10:00:00Z","method":"phone-call","outcome":"no-answer"}`, false)
	f.Add(`{"at":"2026-11-23T10:00:00Z","method":"phone-call","established":true,"call":{"spokenTo":"Mum","identifiedBy":"dates of birth",`+
		`"agreedCarer":true,"isOk":"yes","worries":"none","background":"laughing","quotes":[{"speaker":"Chidi","words":"hi"}],`+
		`"actions":[{"description":"books","assigneeEmail":"a@b.example","dueAt":"2026-11-25T15:00:00Z"}],"furtherContact":"weekly",`+
		`"nextCallAt":"2026-11-30T10:00:00Z","happyToBeContacted":true}}`, false)
	f.Add(`{"at":"2026-11-23T10:00:00Z","call":{"actions":[{"dueAt":"soon"}]}}`, false)
	f.Add(`{"at":"2026-11-23T10:00:00Z","call":{"nextCallAt":1}}`, false)
	f.Add(`{"call":null}`, false)
	f.Add(`[]`, false)
	f.Add("%%%", true)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		req := httpapi.Request{RouteKey: "POST /api/schools/{school}/families/{id}/contacts", Body: body, IsBase64Encoded: b64,
			PathParameters: map[string]string{"school": "brook-lane", "id": "fam-01"},
			RequestContext: events.APIGatewayV2HTTPRequestContext{TimeEpoch: 1795428000000,
				Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
					Claims: map[string]string{"email": "dsl@brook.example"}}}}}
		var in contactRequest
		_, _, _, err := httpapi.Command(req, &in)
		if err == nil {
			_, err = in.attempt()
		}
		apitest.Refusal(t, err)
	})
}
