package main

import (
	"testing"

	"github.com/keepsafe-schools/keepsafe/shared/printout"
)

// BenchmarkPDFChronology500 draws the PDF of a chronology of 500 entries (rule D10): its time
// per PDF, and its size as bytes/pdf.
func BenchmarkPDFChronology500(b *testing.B) {
	rec, err := longChronology(500)
	if err != nil {
		b.Fatal(err)
	}
	var size int
	for b.Loop() {
		pdf, err := printout.Chronology(rec, printout.Options{})
		if err != nil {
			b.Fatal(err)
		}
		size = len(pdf)
	}
	b.ReportMetric(float64(size), "bytes/pdf")
}

// The benchmark's chronology holds every entry it says, and its PDF fits in a response.
func TestRule_D10_TheBenchmarksChronologyFitsInAResponse(t *testing.T) {
	r, err := pdfAtScale(60)
	if err != nil {
		t.Fatal(err)
	}
	if r.Entries != 60 || r.Concerns != 30 || r.Pages < 2 || r.Bytes == 0 || r.Bytes > printout.MaxBytes {
		t.Errorf("%+v", r)
	}
}
