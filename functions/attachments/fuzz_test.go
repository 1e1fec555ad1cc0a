package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// FuzzDecodeUpload: whatever arrives, the decoder never panics, and it either returns a
// request to check or a 4xx problem.
func FuzzDecodeUpload(f *testing.F) {
	f.Add(`{"fileName":"notes.pdf","contentType":"application/pdf","size":1234}`, false)
	f.Add(`{"fileName":"a.jpg","contentType":"image/jpeg","size":1e99}`, false)
	f.Add(`{"size":"big"}`, false)
	f.Add(`{"fileName":"\ud800"}`, false)
	f.Add(`[]`, false)
	f.Add("eyJzaXplIjoxfQ==", true)
	f.Add("%%%", true)
	f.Fuzz(func(t *testing.T, body string, b64 bool) {
		req := event("POST", "/api/schools/"+brook+"/concerns/"+concernID+"/attachments", teacher, body, at("10:00"), nil)
		req.IsBase64Encoded = b64
		_, _, err := decodeUpload(req)
		if err == nil {
			return
		}
		var p *httpapi.ProblemError
		if !errors.As(err, &p) || p.Status < 400 || p.Status > 499 {
			t.Fatalf("decode error %T %v is not a 4xx problem", err, err)
		}
	})
}

// FuzzDecodeExportOptions: whatever the export's query holds, the decoder never panics, names
// the other pupils only for names=yes, and refuses anything but yes, no or nothing as a
// problem with the field (rule D10).
func FuzzDecodeExportOptions(f *testing.F) {
	for _, s := range []string{"", "yes", "no", "YES", "true", "yes ", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, names string) {
		o, err := decodeExportOptions(map[string]string{"names": names})
		var invalid *safeguarding.ValidationError
		switch {
		case names == "" || names == "no":
			if err != nil || o.NameOtherPupils {
				t.Fatalf("names=%q: %+v %v", names, o, err)
			}
		case names == "yes":
			if err != nil || !o.NameOtherPupils {
				t.Fatalf("names=yes: %+v %v", o, err)
			}
		case !errors.As(err, &invalid) || invalid.Problems[0].Field != "names" || o.NameOtherPupils:
			t.Fatalf("names=%q: %+v %v, want a problem with names", names, o, err)
		}
	})
}

func FuzzDecodeMove(f *testing.F) {
	for _, s := range []string{`{"toSchool":"hill"}`, `{"toSchoolName":"St Anne's","toDslEmail":"a@b.example"}`, `{"toSchool":1}`, `[]`, ``, `{"x":1}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		m, err := decodeMove(httpapi.Request{Body: body, Headers: map[string]string{"content-type": "application/json"}})
		if err == nil {
			_, _ = m.Check()
		}
	})
}

func FuzzDecodeCode(f *testing.F) {
	for _, s := range []string{"code=1234+5678", "code=", "%zz", "code=" + strings.Repeat("9", 40), ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		code, err := decodeCode(httpapi.Request{Body: body})
		if err == nil && (code == "" || len(code) > 32) {
			t.Errorf("accepted %q", code)
		}
	})
}
