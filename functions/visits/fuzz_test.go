package main

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
)

// fuzzRequest is a request with an arbitrary body, base64-encoded or not.
func fuzzRequest(body string, b64 bool) httpapi.Request {
	return httpapi.Request{RouteKey: "POST /api/schools/{school}/visits", RawPath: "/api/schools/brook-lane/visits",
		Headers: map[string]string{"content-type": "application/json"}, Body: body, IsBase64Encoded: b64,
		PathParameters: map[string]string{"school": "brook-lane", "id": "01JVISIT00000000000ABCDEFG"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{TimeEpoch: 1_800_000_000_000,
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{"email": "tom.hughes@brookhill.example.org"}}}}}
}

// problem fails unless err is nil or a 4xx problem naming what is wrong.
var problem = apitest.Refusal

func seeds(f *testing.F, bodies ...string) {
	for _, b := range bodies {
		f.Add(b, false)
	}
	f.Add(`[]`, false)
	f.Add(``, false)
	f.Add(`{"x":1}`, false)
	f.Add("eyJ9", true)
	f.Add("%%%", true)
}

func FuzzDecodePlan(f *testing.F) {
	seeds(f, planBody("fam-02", "2027-03-01T10:00:00Z", "2027-03-01T11:00:00Z"), `{"familyId":"FAM#1"}`,
		`{"familyId":"fam-02","staffEmails":"a@b.c"}`, `{"plannedStart":"tomorrow"}`)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		_, _, _, _, err := decodePlan(fuzzRequest(body, b64))
		problem(t, err)
	})
}

func FuzzDecodeDoorstep(f *testing.F) {
	seeds(f, `{"children":[{"pupilId":"bl-02","seen":true},{"pupilId":"bl-03","seen":false,"notes":"asleep"}]}`,
		`{"children":[{"pupilId":"bl-02"}],"immediateConcern":{"details":"x"}}`, `{"children":[{"seen":"yes"}]}`, `{"immediateConcern":null}`)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var in doorstepRequest
		if _, _, _, err := command(fuzzRequest(body, b64), &in); err != nil {
			problem(t, err)
			return
		}
		_, err := in.childrenSeen()
		problem(t, err)
		in.ImmediateConcern.immediateConcern()
	})
}

func FuzzDecodeObservations(f *testing.F) {
	seeds(f, `{"children":[{"pupilId":"bl-02","emotional":"calm","physical":"clean"}],"adults":{"emotional":"tired"}}`, `{"adults":[]}`)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var in observationsRequest
		_, _, _, err := command(fuzzRequest(body, b64), &in)
		problem(t, err)
	})
}

func FuzzDecodeNext(f *testing.F) {
	seeds(f, `{"nextVisitAt":"2027-03-08T10:00:00Z","supportOffered":"food bank"}`, `{"noNextVisitReason":"moved away","supportOffered":"none"}`,
		`{"nextVisitAt":"next week"}`)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var in nextRequest
		if _, _, _, err := command(fuzzRequest(body, b64), &in); err != nil {
			problem(t, err)
			return
		}
		_, err := in.nextVisit()
		problem(t, err)
	})
}

// FuzzDecodeSmallCommands covers the call ahead, the start, an immediate concern and the
// reason of a cancel or a lift.
func FuzzDecodeSmallCommands(f *testing.F) {
	seeds(f, `{"outcome":"agreed","notes":"x"}`, `{"staffEmails":["a@b.c","d@e.f"]}`, `{"pupilIds":["bl-02"],"details":"x"}`, `{"reason":"x"}`)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		req := fuzzRequest(body, b64)
		for _, v := range []any{&callRequest{}, &startRequest{}, &concernRequest{}, &reasonRequest{}, &empty{}} {
			_, _, _, err := command(req, v)
			problem(t, err)
		}
	})
}
