package main

import (
	"context"
	"net/http"

	"github.com/keepsafe-schools/keepsafe/shared/httpapi"
	"github.com/keepsafe-schools/keepsafe/shared/printout"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// The export of everything held about a pupil (rule D10), with its files in one archive.
//
// The archive is built within the request: the files are read from the bucket one after
// another into a zip in the function's memory (stored, not compressed again: photos, scans and
// PDFs are compressed already), with the export's JSON and the chronology's PDF beside them;
// it is written to the bucket under exports/ and the answer carries a link to it valid for
// printout.ArchiveLinkValidity. The bucket's lifecycle removes an archive a day later: it is a copy,
// and the records stay. Files that come to more than printout.MaxArchiveBytes together are not
// put in an archive; the export lists them and says so, and each opens from its concern.

// export answers GET .../pupils/{pupil}/export: DSLs and the Senior DSL only, audited, the
// other pupils "another pupil" unless ?names=yes.
func (h handler) export(ctx context.Context, req httpapi.Request) (httpapi.Response, error) {
	who, err := httpapi.Caller(req)
	if err != nil {
		return httpapi.Response{}, err
	}
	o, err := decodeExportOptions(req.QueryStringParameters)
	if err != nil {
		return httpapi.Response{}, err
	}
	school, pupil := httpapi.School(req), safeguarding.PupilID(req.PathParameters["pupil"])
	rec, err := h.exports.Export(ctx, who, school, pupil, o)
	if err != nil {
		return httpapi.Response{}, err
	}
	doc := printout.Export(rec)
	if len(doc.Files) > 0 {
		a, err := printout.ExportArchive(ctx, h.archives, rec, doc, printout.ExportArchiveKey(school, pupil, store.NewID(who.At)))
		if err != nil {
			return httpapi.Response{}, err
		}
		doc.Archive = &a
	}
	return httpapi.JSON(http.StatusOK, doc), nil
}

// decodeExportOptions reads the export's query: names=yes names the other pupils of the
// pupil's concerns; names=no, or nothing, shows each as "another pupil"; anything else is a
// problem naming the field.
func decodeExportOptions(q map[string]string) (exports.Options, error) {
	switch q["names"] {
	case "", "no":
		return exports.Options{}, nil
	case "yes":
		return exports.Options{NameOtherPupils: true}, nil
	}
	return exports.Options{}, &safeguarding.ValidationError{Problems: []safeguarding.FieldProblem{
		{Field: "names", Message: `"yes" names the other pupils of the pupil's concerns; "no" (or nothing) shows each as "another pupil"`}}}
}
