// Package pdftext reads back the text of the PDFs this product writes, page by page, for the
// tests and the benchmarks: each page's content stream (inflated when it is compressed) and
// the strings of its text operators. It reads the simple PDFs of go-pdf/fpdf with the core
// fonts, not PDF in general.
package pdftext

import (
	"bytes"
	"compress/zlib"
	"errors"
	"io"
	"regexp"
	"strings"
)

var (
	pageObject = regexp.MustCompile(`/Type /Page\n`)
	stream     = regexp.MustCompile(`(?s)<<([^>]*)>>\nstream\n(.*?)\nendstream`)
	textOp     = regexp.MustCompile(`\(((?:\\.|[^\\)])*)\) ?Tj`)
)

// Pages is the text of each page, its strings one a line, in page order.
func Pages(pdf []byte) ([]string, error) {
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		return nil, errors.New("pdftext: not a PDF")
	}
	var pages []string
	// fpdf writes each page object followed by its content stream, in page order.
	parts := pageObject.Split(string(pdf), -1)
	for _, part := range parts[1:] {
		m := stream.FindStringSubmatch(part)
		if m == nil {
			return nil, errors.New("pdftext: a page without its content")
		}
		content := []byte(m[2])
		if strings.Contains(m[1], "/FlateDecode") {
			r, err := zlib.NewReader(bytes.NewReader(content))
			if err != nil {
				return nil, err
			}
			if content, err = io.ReadAll(r); err != nil {
				return nil, err
			}
		}
		var lines []string
		for _, t := range textOp.FindAllStringSubmatch(string(content), -1) {
			lines = append(lines, unescape(t[1]))
		}
		pages = append(pages, strings.Join(lines, "\n"))
	}
	if len(pages) == 0 {
		return nil, errors.New("pdftext: no pages")
	}
	return pages, nil
}

func unescape(s string) string {
	return strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`, `\r`, "\r", `\n`, "\n").Replace(s)
}
