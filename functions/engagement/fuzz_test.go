package main

import (
	"encoding/base64"
	"testing"
)

// Every decoder of the EngagementFunction's input, fuzzed through the handler on DynamoDB
// Local: whatever arrives, the handler answers (no panic, no error to Lambda), never with a
// 5xx, a refusal is a problem+json 4xx, and a refusal other than a version conflict makes no
// write call at all.

// fuzzRoute runs one fuzz target against one route as one caller.
func fuzzRoute(f *testing.F, method, route, email string, params map[string]string, seeds ...string) {
	w := newWorld(f)
	now := local("2026-11-23 16:00")
	for _, s := range seeds {
		f.Add(s, false)
		f.Add(base64.StdEncoding.EncodeToString([]byte(s)), true)
	}
	f.Add("%%%", true)
	f.Add(``, false)
	f.Add(`[]`, false)
	f.Add(`null`, false)
	f.Add(`{"a":"\ud800"}`, false)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		ww := *w
		ww.t = t
		req := event(method, route, email, body, now, params, nil)
		req.IsBase64Encoded = b64
		ww.calls.Reset()
		r := ww.do(req)
		checkAnswer(t, &ww, r)
	})
}

func checkAnswer(t *testing.T, w *world, r response) {
	t.Helper()
	switch {
	case r.status >= 500 || r.status < 200:
		t.Fatalf("status %d: %s", r.status, r.raw)
	case r.status >= 400:
		if r.contentType != "application/problem+json" || r.body["status"] != float64(r.status) {
			t.Fatalf("a refusal that is not a problem: %d %q %s", r.status, r.contentType, r.raw)
		}
		if n := w.writes(); n != 0 && r.status != 409 {
			t.Fatalf("refused with %d after %d write calls %v: %s", r.status, n, w.calls.Counts(), r.raw)
		}
	}
}

func FuzzAcknowledgements(f *testing.F) {
	fuzzRoute(f, "POST", ackRoute, dsl, map[string]string{"school": brook},
		acks(local("2026-11-23 15:00"), "thumbs-up", "familyId=fam-03", "pupilId=bl-09"),
		`{"acknowledgements":[{"familyId":"fam-03","at":"2026-11-23T15:00:00+01:00","kind":"message"}]}`,
		`{"acknowledgements":[{"pupilId":"hc-01","at":"2026-11-23T15:00:00Z","kind":"work-seen"}]}`,
		`{"acknowledgements":[{"familyId":"fam-03","at":"9999-12-31T23:59:59Z","kind":"thumbs-up"}]}`,
		`{"acknowledgements":[{"familyId":"fam-03","at":"0001-01-01T00:00:00Z","kind":"thumbs-up"}]}`,
		`{"acknowledgements":[{"familyId":"","pupilId":"","at":"","kind":""}]}`,
		`{"acknowledgements":{"familyId":"fam-03"}}`,
		`{"acknowledgements":[{"familyId":"fam-03#FAMILY","at":"2026-11-23T15:00:00Z","kind":"thumbs-up"}]}`)
}

func FuzzContactAttempt(f *testing.F) {
	fuzzRoute(f, "POST", "POST /api/schools/{school}/families/{id}/contacts", dsl, map[string]string{"school": brook, "id": "fam-03"},
		`{"at":"2026-11-23T14:00:00Z","method":"phone-call","established":false,"notes":"No answer."}`,
		`{"at":"2026-11-23T14:00:00Z","method":"home-visit","established":true}`,
		`{"at":"tomorrow","method":"carrier pigeon","established":"yes"}`,
		`{"at":"2026-11-23T14:00:00Z","method":"phone-call","notes":5}`)
}

func FuzzLANotification(f *testing.F) {
	fuzzRoute(f, "POST", "POST /api/schools/{school}/families/{id}/la-notification", head, map[string]string{"school": brook, "id": "fam-03"},
		`{"sentAt":"2026-11-23T14:00:00Z","notes":"Sent by email."}`,
		`{"sentAt":"2026-11-23","notes":""}`,
		`{"sentAt":null}`)
}

func FuzzDecision(f *testing.F) {
	fuzzRoute(f, "POST", "POST /api/schools/{school}/families/{id}/decision", head, map[string]string{"school": brook, "id": "fam-03"},
		`{"decision":"contact-social-care","reason":"No contact for four weeks."}`,
		`{"decision":"maybe","reason":""}`,
		`{"decision":["contact-social-care"]}`)
}

func FuzzEditCalendar(f *testing.F) {
	fuzzRoute(f, "PUT", "PUT /api/schools/{school}/calendar", head, map[string]string{"school": brook},
		`{"version":0,"terms":[{"name":"Autumn","from":"2026-09-03","to":"2026-12-18"}],"daysOff":[{"kind":"holiday","from":"2026-10-26","to":"2026-10-30","note":"Half term"}]}`,
		`{"version":0,"terms":[{"from":"2026-12-18","to":"2026-09-03"}],"daysOff":[]}`,
		`{"version":"1","terms":{},"daysOff":[{"kind":"snow","from":"x","to":"y"}]}`,
		`{"version":7,"terms":[],"daysOff":[]}`)
}

// FuzzFamiliesQuery: the families view's one query parameter.
func FuzzFamiliesQuery(f *testing.F) {
	w := newWorld(f)
	now := local("2026-11-23 16:00")
	for _, s := range []string{"missing", "", "engaged", "MISSING", "missing ", "\x00", "missing&status=engaged"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, status string) {
		ww := *w
		ww.t = t
		req := event("GET", familiesRoute, dsl, "", now, map[string]string{"school": brook}, nil)
		req.QueryStringParameters = map[string]string{"status": status}
		ww.calls.Reset()
		r := ww.do(req)
		checkAnswer(t, &ww, r)
		if ok := status == "" || status == "missing"; ok != (r.status == 200) {
			t.Fatalf("status=%q: %d %s", status, r.status, r.raw)
		}
	})
}

func FuzzClosureStart(f *testing.F) {
	fuzzRoute(f, "POST", "POST "+closuresRoute, head, map[string]string{"school": brook},
		`{"from":"2027-01-11"}`, `{"from":"2027-02-30"}`, `{"from":"2027-01-11T00:00:00Z"}`, `{"from":null}`, `{"from":11}`,
		`{"from":"2027-01-11","lastDay":"2027-01-22"}`)
}

func FuzzClosureEnd(f *testing.F) {
	fuzzRoute(f, "POST", "POST "+endClosureRoute, head, map[string]string{"school": brook, "id": "autumn"},
		`{"lastDay":"2026-11-20"}`, `{"lastDay":"2026-09-02"}`, `{"lastDay":"0000-01-01"}`, `{"lastDay":"9999-12-31"}`, `{"lastDay":[]}`)
}
