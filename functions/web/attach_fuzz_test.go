package main

import (
	"net/url"
	"testing"
)

// FuzzUploadForm feeds any posted body to the upload request's decoder (rule C6): it never
// panics; a size it accepts is a whole number of bytes, never negative; the file's name and
// type are passed on as sent, for the domain to check; the same body gives the same
// fingerprint.
func FuzzUploadForm(f *testing.F) {
	f.Add("key=k-1&file-name=notes.jpg&content-type=image%2Fjpeg&size=2048")
	f.Add("file-name=..%2F..%2Fetc%2Fpasswd&content-type=application%2Fpdf%3B%20charset%3Dx&size=-1")
	f.Add("file-name=%00%E2%80%AE.pdf&content-type=&size=99999999999999999999999")
	f.Add("size=1e3&size=2")
	f.Fuzz(func(t *testing.T, body string) {
		v, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		form := readUploadForm(v)
		in, msg := form.toNewAttachment()
		if msg == "" && (in.Size < 0 || form.Size == "") {
			t.Fatalf("size %d accepted from %q", in.Size, form.Size)
		}
		if in.FileName != v.Get("file-name") {
			t.Fatalf("the file name changed before the domain saw it: %q", in.FileName)
		}
		if form.fingerprint("s", "c") != readUploadForm(v).fingerprint("s", "c") {
			t.Fatalf("the fingerprint differs for the same body %q", body)
		}
	})
}
