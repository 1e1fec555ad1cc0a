package printout

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/transfers"
)

// MaxArchiveBytes is the most a record's files come to for an archive to be built within a
// request, in the function's 512 MB and well inside API Gateway's 30 seconds. Files beyond it
// are left out of the archive; the export lists them and says so, and each opens from its
// concern.
const MaxArchiveBytes = 100 << 20

// ArchiveLinkValidity is how long the link to an export's archive works.
const ArchiveLinkValidity = 15 * time.Minute

// Objects is what an archive needs of the bucket: one version of an object read, a whole
// object written.
type Objects interface {
	Get(ctx context.Context, key, version string) (io.ReadCloser, error)
	Put(ctx context.Context, key, contentType string, body []byte) (version string, err error)
}

// Bucket is Objects that also signs a link that opens one version of an object as a download
// (bucket.Signer).
type Bucket interface {
	Objects
	PresignOpen(ctx context.Context, key, version, fileName, contentType string, validFor time.Duration) (string, error)
}

// ExportArchiveKey is where an export's archive is written: under exports/, which no
// notification watches and the bucket's lifecycle empties a day later, by school and pupil,
// never by a name.
func ExportArchiveKey(school safeguarding.SchoolID, pupil safeguarding.PupilID, id string) string {
	return "exports/" + string(school) + "/" + string(pupil) + "/" + id + ".zip"
}

// ExportArchive writes the record's files, the export's JSON (doc) and the chronology's PDF
// into one zip in the bucket under key and signs a link to it, valid for ArchiveLinkValidity
// from the record's time. Files over MaxArchiveBytes together make no archive: the answer says
// why, with no link.
func ExportArchive(ctx context.Context, b Bucket, rec exports.Record, doc ExportJSON, key string) (ArchiveJSON, error) {
	a := ArchiveJSON{Files: len(doc.Files)}
	for _, f := range rec.Files() {
		a.Bytes += f.Size()
	}
	if a.Bytes > MaxArchiveBytes {
		a.Missing = fmt.Sprintf("the files come to more than %d MB together, more than an export puts in one archive; open each from its concern", MaxArchiveBytes>>20)
		return a, nil
	}
	body, err := Archive(ctx, b, rec, doc)
	if err != nil {
		return a, err
	}
	version, err := b.Put(ctx, key, "application/zip", body)
	if err != nil {
		return a, err
	}
	name := "export-" + rec.At.In(safeguarding.London).Format("2006-01-02") + ".zip"
	if a.URL, err = b.PresignOpen(ctx, key, version, name, "application/zip", ArchiveLinkValidity); err != nil {
		return a, fmt.Errorf("signing the archive's link: %w", err)
	}
	expires := rec.At.Add(ArchiveLinkValidity).UTC()
	a.ExpiresAt = &expires
	return a, nil
}

// Archive writes a pupil's record into one zip: the export's JSON (doc), the chronology's PDF
// and, when they come to at most MaxArchiveBytes together, the files themselves, read from
// objects one after another (stored, not compressed again: photos, scans and PDFs are
// compressed already).
func Archive(ctx context.Context, objects Objects, rec exports.Record, doc ExportJSON) ([]byte, error) {
	var size int64
	for _, f := range rec.Files() {
		size += f.Size()
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	add := func(name string, at time.Time, method uint16, r io.Reader) error {
		w, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: at})
		if err != nil {
			return err
		}
		_, err = io.Copy(w, r)
		return err
	}
	body, err := Encode(doc)
	if err != nil {
		return nil, err
	}
	if err := add("export.json", rec.At, zip.Deflate, bytes.NewReader(body)); err != nil {
		return nil, err
	}
	if pdf, err := Chronology(rec, Options{}); err == nil {
		if err := add("chronology.pdf", rec.At, zip.Store, bytes.NewReader(pdf)); err != nil {
			return nil, err
		}
	}
	if size <= MaxArchiveBytes {
		for _, c := range rec.Concerns {
			for n, f := range c.Files {
				r, err := objects.Get(ctx, f.ObjectKey(), f.Version())
				if err != nil {
					return nil, err
				}
				err = add(ArchivePath(c, n, f), f.At(), zip.Store, io.LimitReader(r, f.Size()+1))
				_ = r.Close()
				if err != nil {
					return nil, fmt.Errorf("archiving a file: %w", err)
				}
			}
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Exporter produces everything held about a pupil (exports.Exports).
type Exporter interface {
	Export(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, pupil safeguarding.PupilID, o exports.Options) (exports.Record, error)
}

// TransferArchive is what transfers.SendOutside asks for (rule S5): the sending DSL's export of
// the pupil's record (the other pupils of its concerns as "another pupil"), archived into the
// bucket under transfers/ (which no notification watches and the bucket's lifecycle empties
// after the link's week), by school, transfer and a new id, never by a name.
func TransferArchive(ctx context.Context, objects Objects, ex Exporter, newID func(time.Time) string, who safeguarding.Caller, school safeguarding.SchoolID) func(transfers.Transfer) (key, version string, err error) {
	return func(t transfers.Transfer) (string, string, error) {
		rec, err := ex.Export(ctx, who, school, t.Pupil, exports.Options{})
		if err != nil {
			return "", "", err
		}
		body, err := Archive(ctx, objects, rec, Export(rec))
		if err != nil {
			return "", "", err
		}
		key := "transfers/" + string(school) + "/" + t.ID + "/" + newID(who.At) + ".zip"
		version, err := objects.Put(ctx, key, "application/zip", body)
		return key, version, err
	}
}
