package concerns

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

var (
	pdfHead  = []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj")
	jpegHead = []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, 'J', 'F', 'I', 'F'}
	pngHead  = []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
	heicHead = []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic")
	htmlHead = []byte("<!doctype html><html><script>alert(1)</script>")
)

func attachTo(t *testing.T, by safeguarding.Principal, in NewAttachment) (Attachment, error) {
	t.Helper()
	c, err := record(t, teacher, newConcern(func(n *NewConcern) { n.TagStaff = []string{colleague.Email} }), london(t, "2026-11-23 09:30:00"))
	if err != nil {
		t.Fatal(err)
	}
	return NewAttachmentFor("01JATTACH00000000000000000", in, c, by, london(t, "2026-11-23 10:00:00"))
}

func TestRule_C6_AuthorOrDSLAttachesAPhotoScanOrPDF(t *testing.T) {
	for _, tc := range []struct {
		by   safeguarding.Principal
		in   NewAttachment
		want string
	}{
		{teacher, NewAttachment{FileName: "notes.pdf", ContentType: "application/pdf", Size: 1234}, "application/pdf"},
		{dsl, NewAttachment{FileName: "IMG_0042.JPG", ContentType: "image/jpeg", Size: 2 << 20}, "image/jpeg"},
		{head, NewAttachment{FileName: "scan.png", ContentType: "Image/PNG; charset=binary", Size: MaxAttachmentBytes}, "image/png"},
		{teacher, NewAttachment{FileName: "photo", ContentType: "image/heic", Size: 1}, "image/heic"},
	} {
		a, err := attachTo(t, tc.by, tc.in)
		if err != nil {
			t.Errorf("%s %+v: %v", tc.by.Email, tc.in, err)
			continue
		}
		if a.ContentType() != tc.want || a.Status() != AttachmentPending || a.UploadedBy() != tc.by.Email {
			t.Errorf("%+v: type %s status %s by %s", tc.in, a.ContentType(), a.Status(), a.UploadedBy())
		}
		if got := a.ObjectKey(); got != "schools/brook-lane/concerns/01JCONCERN0000000000ABCDEF/01JATTACH00000000000000000" {
			t.Errorf("object key %s", got)
		}
	}
}

func TestRule_C6_TooLargeAndWrongTypeAreRefused(t *testing.T) {
	for name, tc := range map[string]struct {
		in    NewAttachment
		field string
	}{
		"too large":         {NewAttachment{FileName: "big.pdf", ContentType: "application/pdf", Size: MaxAttachmentBytes + 1}, "size"},
		"no size":           {NewAttachment{FileName: "a.pdf", ContentType: "application/pdf"}, "size"},
		"html":              {NewAttachment{FileName: "page.html", ContentType: "text/html", Size: 10}, "contentType"},
		"exe as a PDF":      {NewAttachment{FileName: "setup.exe", ContentType: "application/pdf", Size: 10}, "fileName"},
		"exe":               {NewAttachment{FileName: "setup.exe", ContentType: "application/x-msdownload", Size: 10}, "contentType"},
		"no type":           {NewAttachment{FileName: "a.pdf", Size: 10}, "contentType"},
		"no name":           {NewAttachment{FileName: " /\x00 ", ContentType: "application/pdf", Size: 10}, "fileName"},
		"svg is not a scan": {NewAttachment{FileName: "a.svg", ContentType: "image/svg+xml", Size: 10}, "contentType"},
	} {
		_, err := attachTo(t, teacher, tc.in)
		var v *safeguarding.ValidationError
		if !errors.As(err, &v) || !errors.Is(err, safeguarding.ErrInvalid) {
			t.Errorf("%s: %v, want a validation error", name, err)
			continue
		}
		found := false
		for _, p := range v.Problems {
			found = found || p.Field == tc.field
		}
		if !found {
			t.Errorf("%s: problems %+v, want one on %s", name, v.Problems, tc.field)
		}
	}
}

func TestRule_C6_OnlyWhoMaySeeTheConcernAndIsItsAuthorOrADSL(t *testing.T) {
	in := NewAttachment{FileName: "notes.pdf", ContentType: "application/pdf", Size: 100}
	for _, tc := range []struct {
		by   safeguarding.Principal
		want error
	}{
		{colleague, safeguarding.ErrForbidden}, // tagged: may see it, may not attach
		{governor, safeguarding.ErrNotFound},   // may not see it (P2)
		{outsider, safeguarding.ErrNotFound},   // another school
	} {
		if _, err := attachTo(t, tc.by, in); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.by.Email, err, tc.want)
		}
	}
}

func TestRule_C6_FileNameIsKeptAsGivenLessPathsAndControls(t *testing.T) {
	for in, want := range map[string]string{
		"notes.pdf":                   "notes.pdf",
		`C:\Users\tia\Desktop\a.pdf`:  "a.pdf",
		"../../etc/passwd":            "passwd",
		" Ava's notes (1).pdf ":       "Ava's notes (1).pdf",
		"evil\u202egnp.exe":           "evilgnp.exe",
		"line\nbreak.pdf":             "linebreak.pdf",
		"..":                          "",
		strings.Repeat("é", 300):      strings.Repeat("é", MaxFileNameChars),
		"bad\xffutf8.pdf":             "badutf8.pdf",
		"Notizen für Frau Müller.pdf": "Notizen für Frau Müller.pdf",
	} {
		if got := SanitiseFileName(in); got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}

func TestRule_C6_ArrivedFileIsCheckedAgainstWhatWasDeclared(t *testing.T) {
	arrived := time.Date(2026, 11, 23, 10, 5, 0, 0, time.UTC)
	pdf := func(size int64) Attachment {
		a, err := attachTo(t, teacher, NewAttachment{FileName: "notes.pdf", ContentType: "application/pdf", Size: size})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	if a := pdf(1000).Check(1000, pdfHead, arrived); a.Status() != AttachmentVerified || a.Reason() != "" || !a.CheckedAt().Equal(arrived) {
		t.Errorf("a real PDF: %s %q", a.Status(), a.Reason())
	}
	for name, tc := range map[string]struct {
		declared, size int64
		head           []byte
		reason         string
	}{
		"HTML declared as PDF": {1000, 1000, htmlHead, "not a photo, scan or PDF"},
		"PNG declared as PDF":  {1000, 1000, pngHead, "image/png"},
		"other size":           {1000, 999, pdfHead, "999 bytes"},
		"over the limit":       {MaxAttachmentBytes, MaxAttachmentBytes + 1, pdfHead, "bytes, not"},
		"empty":                {1000, 1000, nil, "not a photo"},
	} {
		a := pdf(tc.declared).Check(tc.size, tc.head, arrived)
		if a.Status() != AttachmentRejected || !strings.Contains(a.Reason(), tc.reason) {
			t.Errorf("%s: %s %q, want rejected with %q", name, a.Status(), a.Reason(), tc.reason)
		}
	}
}

func TestRule_C6_MagicBytesOfEachType(t *testing.T) {
	for want, head := range map[string][]byte{
		"application/pdf": pdfHead, "image/jpeg": jpegHead, "image/png": pngHead, "image/heic": heicHead, "": htmlHead,
	} {
		if got := SniffAttachmentType(head); got != want {
			t.Errorf("%q: %q, want %q", head, got, want)
		}
	}
}

func TestRule_C6_ObjectKeyNamesItsSchoolAndConcern(t *testing.T) {
	k := ObjectKey("brook-lane", "C1", "A1")
	s, c, id, ok := ParseObjectKey(k)
	if !ok || s != "brook-lane" || c != "C1" || id != "A1" {
		t.Errorf("%s: %s %s %s %v", k, s, c, id, ok)
	}
	for _, bad := range []string{"", "schools/a/concerns/b", "schools/a/concerns/b/c/d", "pupils/a/concerns/b/c", "schools//concerns/b/c", "schools/a/concerns/../c"} {
		if _, _, _, ok := ParseObjectKey(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}
