package main

import (
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
)

// FuzzDecodeConcern: whatever arrives, the decoder never panics, and it either returns a
// concern to check or an error that is a 4xx problem.
func FuzzDecodeConcern(f *testing.F) {
	f.Add(validBody, false)
	f.Add(`{"pupilIds":["p1"],"category":"wellbeing","observedAt":"2026-06-01T10:00:00+01:00","details":"x"}`, false)
	f.Add(`{"pupilIds":"p1"}`, false)
	f.Add(`{"observedAt":"not a time"}`, false)
	f.Add(`[]`, false)
	f.Add(`{"details":"\ud800"}`, false)
	f.Add("eyJwdXBpbElkcyI6WyJwMSJdfQ==", true)
	f.Add("%%%", true)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		req := event("POST", "/api/schools/"+brook+"/concerns", teacher, body, at("09:30"), nil)
		req.IsBase64Encoded = b64
		_, _, err := decodeConcern(req)
		apitest.Refusal(t, err)
	})
}
