package imports

import (
	"errors"
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// FuzzDecode: whatever file arrives, Decode never panics; it refuses the whole file with a
// validation error naming the file, or every row it returns has a UPN (once), a surname and
// a forename, and every problem it reports is on a line after the header.
func FuzzDecode(f *testing.F) {
	for _, tc := range shapes {
		f.Add([]byte(tc.file))
	}
	for _, tc := range rowProblems {
		f.Add([]byte(tc.file))
	}
	for _, tc := range notExports {
		if len(tc.file) < 4096 {
			f.Add([]byte(tc.file))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, errs, err := Decode(data)
		if err != nil {
			var ve *safeguarding.ValidationError
			if !errors.As(err, &ve) || len(ve.Problems) != 1 || ve.Problems[0].Field != "file" || rows != nil || errs != nil {
				t.Fatalf("err %v with %d rows and %d row errors; want a validation error of the file alone", err, len(rows), len(errs))
			}
			return
		}
		upns := map[string]bool{}
		for _, r := range rows {
			if r.Line < 2 || r.UPN == "" || r.Surname == "" || r.Forename == "" || upns[r.UPN] {
				t.Fatalf("row %+v: a line after the header, a UPN of its own, a surname and a forename", r)
			}
			upns[r.UPN] = true
			if len(r.Contacts) > MaxContacts {
				t.Fatalf("row on line %d: %d contacts", r.Line, len(r.Contacts))
			}
		}
		for _, e := range errs {
			if e.Line < 2 || e.Field == "" || e.Message == "" {
				t.Fatalf("row error %+v: a line after the header, a field and a message", e)
			}
		}
	})
}
