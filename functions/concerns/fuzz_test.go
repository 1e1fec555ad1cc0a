package main

import (
	"errors"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/apitest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
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

// FuzzDecodeCursor: whatever cursor arrives, decoding never panics; it either gives a
// position of the lists' form or a problem naming the cursor (400); and a cursor it made
// reads back as the position it was made from, for its own school only.
func FuzzDecodeCursor(f *testing.F) {
	f.Add("", "2026-11-23T09:00:00.000000000Z#01ABC")
	f.Add("%%%", "x")
	f.Add(encodeCursor(brook, "2026-11-23T09:00:00.000000000Z#01ABC"), "")
	f.Add(encodeCursor(hill, "2026-11-23T09:00:00.000000000Z#01ABC"), "2026")
	f.Add("YzEAYnJvb2stbGFuZQA", "#")
	f.Fuzz(func(t *testing.T, cursor, position string) {
		if pos, err := decodeCursor(brook, cursor); err != nil {
			apitest.Refusal(t, err)
			if !namesProblem(err, "cursor") {
				t.Fatalf("%q: %v does not name the cursor", cursor, err)
			}
		} else if !concerns.ValidPosition(pos) {
			t.Fatalf("%q gave %q", cursor, pos)
		}
		made := encodeCursor(brook, position)
		pos, err := decodeCursor(brook, made)
		if concerns.ValidPosition(position) && len(made) <= maxCursorChars && (err != nil || pos != position) {
			t.Fatalf("%q read back as %q, %v", position, pos, err)
		}
		if _, err := decodeCursor(hill, made); err == nil {
			t.Fatalf("Brook Lane's cursor %q read at Hillcrest", made)
		}
	})
}

// namesProblem says whether err is a validation problem naming field.
func namesProblem(err error, field string) bool {
	var ve *safeguarding.ValidationError
	if !errors.As(err, &ve) {
		return false
	}
	for _, p := range ve.Problems {
		if p.Field == field {
			return true
		}
	}
	return false
}
