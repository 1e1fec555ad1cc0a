package main

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/contact"
)

func fuzzRequest(route, body string, b64 bool) httpapi.Request {
	return httpapi.Request{RouteKey: route, Body: body, IsBase64Encoded: b64,
		PathParameters: map[string]string{"school": brook, "id": "fam-01"},
		RequestContext: events.APIGatewayV2HTTPRequestContext{TimeEpoch: now.UnixMilli(),
			Authorizer: &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{
				Claims: map[string]string{"email": grace}}}}}
}

// isProblem fails unless a decoding error is a 4xx problem.
var isProblem = apitest.Refusal

// FuzzDecodeContactDetails: whatever body arrives, decoding a change of contact details (and
// checking it as the domain does) never panics; it fails only with a 4xx problem.
func FuzzDecodeContactDetails(f *testing.F) {
	f.Add(`{"version":1,"reason":"form","phones":[{"label":"Mum","number":"07700 900100","confirmedAt":"2026-11-23T09:00:00Z"}],"address":{"lines":["3 Alder Road"],"postcode":"ZZ1 1AA"}}`, false)
	f.Add(`{"version":0,"phones":[{"number":"+33 1 23 45 67 89"}]}`, false)
	f.Add(`{"version":"1"}`, false)
	f.Add(`{"phones":[{"confirmedAt":"soon"}],"version":2}`, false)
	f.Add(`{"address":{"lines":[1]}}`, false)
	f.Add(`null`, false)
	f.Add("%%%", true)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var in editRequest
		_, _, _, err := httpapi.Command(fuzzRequest(editRoute, body, b64), &in)
		if err != nil {
			isProblem(t, err)
			return
		}
		ci, err := in.input()
		if err != nil {
			isProblem(t, err)
			return
		}
		office := safeguarding.Principal{Email: grace, Memberships: map[safeguarding.SchoolID][]safeguarding.Role{brook: {safeguarding.RoleAdmin}}}
		prev := contact.RestoreContactDetails(contact.ContactDetailsSnapshot{School: brook, Family: "fam-01", Version: ci.Version})
		if _, err := contact.ReviseContactDetails(office, prev, ci, now); err != nil {
			isProblem(t, err)
		}
	})
}

// FuzzDecodeDesignation: the body of a designation decodes or fails with a 4xx problem.
func FuzzDecodeDesignation(f *testing.F) {
	f.Add(`{"active":true,"reason":"calls families"}`, false)
	f.Add(`{"active":"yes"}`, false)
	f.Add(`{}`, false)
	f.Add("e30=", true)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var in designationRequest
		if _, _, _, err := httpapi.Command(fuzzRequest("PUT /api/schools/{school}/closure-contacts/{email}", body, b64), &in); err != nil {
			isProblem(t, err)
		}
	})
}

// FuzzDecodeContactPatch: whatever body arrives, decoding a change that names what changes
// (and applying it to a family's details as the domain does) never panics; it fails only with
// a 4xx problem, and what it keeps never exceeds the limits.
func FuzzDecodeContactPatch(f *testing.F) {
	f.Add(`{"version":1,"reason":"Gran phoned","phones":[{"label":"Gran","number":"07700 900555","confirmed":true}]}`, false)
	f.Add(`{"version":1,"reason":"x","confirm":["Mum"],"remove":[{"label":"Home","reason":"cut off"}]}`, false)
	f.Add(`{"version":1,"reason":"x","address":{"lines":["1 Road"],"postcode":"zz1 1aa"}}`, false)
	f.Add(`{"version":1,"reason":"x","address":null,"remove":[{"label":"Mum"}],"phones":[{"label":"mum","number":"1"}]}`, false)
	f.Add(`{"confirm":[1]}`, false)
	f.Add(`[]`, false)
	f.Add("e30=", true)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		var in patchRequest
		_, _, _, err := httpapi.Command(fuzzRequest(patchRoute, body, b64), &in)
		if err != nil {
			isProblem(t, err)
			return
		}
		p, err := in.patch()
		if err != nil {
			isProblem(t, err)
			return
		}
		office := safeguarding.Principal{Email: grace, Memberships: map[safeguarding.SchoolID][]safeguarding.Role{brook: {safeguarding.RoleAdmin}}}
		prev := contact.RestoreContactDetails(contact.ContactDetailsSnapshot{School: brook, Family: "fam-01", Version: p.Version, Phones: []contact.ContactPhone{
			{Label: "Mum", Number: "07700 900100"}, {Label: "Home", Number: "0117 4960100"}},
			Address: contact.ContactAddress{Lines: []string{"1 Alder Road"}, Postcode: "ZZ1 1AA"}})
		next, err := contact.PatchContactDetails(office, prev, p, now)
		if err != nil {
			isProblem(t, err)
			return
		}
		if len(next.Phones()) > contact.MaxContactPhones || len(next.Address().Lines) > contact.MaxAddressLines || next.Changes().IsZero() {
			t.Fatalf("kept %+v from %q", next, body)
		}
	})
}
