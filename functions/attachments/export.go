package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

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
// ArchiveLinkValidity. The bucket's lifecycle removes an archive a day later: it is a copy,
// and the records stay. Files that come to more than printout.MaxArchiveBytes together are not
// put in an archive; the export lists them and says so, and each opens from its concern.

// ArchiveLinkValidity is how long the link to an export's archive works.
const ArchiveLinkValidity = 15 * time.Minute

// archiveKey is where an export's archive is written: under exports/, which no notification
// watches, by school and pupil, never by a name.
func archiveKey(school safeguarding.SchoolID, pupil safeguarding.PupilID, id string) string {
	return "exports/" + string(school) + "/" + string(pupil) + "/" + id + ".zip"
}

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
		a, err := h.archive(ctx, rec, doc, archiveKey(school, pupil, store.NewID(who.At)))
		if err != nil {
			return httpapi.Response{}, err
		}
		if a.URL != "" {
			expires := who.At.Add(ArchiveLinkValidity).UTC()
			a.ExpiresAt = &expires
		}
		doc.Archive = &a
	}
	return httpapi.JSON(http.StatusOK, doc), nil
}

// archive writes the record's files, the export's JSON and the chronology's PDF into one zip
// in the bucket, and signs a link to it.
func (h handler) archive(ctx context.Context, rec exports.Record, doc printout.ExportJSON, key string) (printout.ArchiveJSON, error) {
	a := printout.ArchiveJSON{Files: len(doc.Files)}
	for _, f := range rec.Files() {
		a.Bytes += f.Size()
	}
	if a.Bytes > printout.MaxArchiveBytes {
		a.Missing = fmt.Sprintf("the files come to more than %d MB together, more than an export puts in one archive; open each from its concern", printout.MaxArchiveBytes>>20)
		return a, nil
	}
	body, err := printout.Archive(ctx, h.archives, rec, doc)
	if err != nil {
		return a, err
	}
	version, err := h.archives.Put(ctx, key, "application/zip", body)
	if err != nil {
		return a, err
	}
	name := "export-" + rec.At.In(safeguarding.London).Format("2006-01-02") + ".zip"
	if a.URL, err = h.attachments.Signer.PresignOpen(ctx, key, version, name, "application/zip", ArchiveLinkValidity); err != nil {
		return a, fmt.Errorf("signing the archive's link: %w", err)
	}
	return a, nil
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
