package concerns

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"path"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// Attachments (rule C6): a photo or scan of handwritten notes, or a PDF, kept with a concern.
// The file goes straight from the browser to the object store with a short-lived upload URL
// that pins its type and size; when it arrives its size and first bytes are checked, and it is
// marked verified or rejected (and a rejected file is deleted).
const (
	// MaxAttachmentBytes is the largest file that may be attached: a phone photo or a
	// multi-page scan fits; a video does not.
	MaxAttachmentBytes = 10 << 20
	// UploadURLValidity is how long an upload URL may be used.
	UploadURLValidity = 10 * time.Minute
	// OpenURLValidity is how long a URL to read a file may be used: long enough for the browser
	// to follow it at once, short enough that a copied link is soon useless.
	OpenURLValidity = time.Minute
	// MaxFileNameChars bounds the file name kept as given.
	MaxFileNameChars = 200
	// SniffBytes is how many leading bytes Verify needs to recognise a file's type.
	SniffBytes = 512
)

// Attachment content types that may be attached, and the file name extensions each may carry.
var attachmentTypes = map[string][]string{
	"image/jpeg":      {".jpg", ".jpeg"},
	"image/png":       {".png"},
	"image/heic":      {".heic", ".heif"},
	"application/pdf": {".pdf"},
}

// AttachmentTypes lists the content types that may be attached, sorted.
func AttachmentTypes() []string {
	out := make([]string, 0, len(attachmentTypes))
	for t := range attachmentTypes {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// AttachmentID identifies an attachment; it is unique across the federation.
type AttachmentID string

// AttachmentStatus is where an attachment is in its life: pending until its file arrives and
// is checked, then verified or rejected.
type AttachmentStatus string

const (
	AttachmentPending  AttachmentStatus = "pending"
	AttachmentVerified AttachmentStatus = "verified"
	AttachmentRejected AttachmentStatus = "rejected"
)

// NewAttachment is what a member of staff asks to upload, before it is checked.
type NewAttachment struct {
	FileName    string
	ContentType string
	Size        int64
}

// Attachment is a file kept with a concern. Its fields are unexported: RequestUpload's checks
// are the only way in, and only a store rebuilds one (RestoreAttachment).
type Attachment struct {
	id          AttachmentID
	school      safeguarding.SchoolID
	concern     safeguarding.ConcernID
	fileName    string
	contentType string
	size        int64
	status      AttachmentStatus
	reason      string
	uploadedBy  string
	at          time.Time
	checkedAt   time.Time
	// version is the object version that was checked and verified: the one that is opened,
	// whatever else is later written under the same key.
	version string
}

// ObjectKey is where an attachment's file lives in the bucket. The school and the concern are
// in the key, and the verifier reads them back from it, so an object can never be filed under
// another school's concern.
func ObjectKey(school safeguarding.SchoolID, concern safeguarding.ConcernID, id AttachmentID) string {
	return "schools/" + string(school) + "/concerns/" + string(concern) + "/" + string(id)
}

// ParseObjectKey reads an ObjectKey back; ok is false for any other key.
func ParseObjectKey(key string) (school safeguarding.SchoolID, concern safeguarding.ConcernID, id AttachmentID, ok bool) {
	parts := strings.Split(key, "/")
	if len(parts) != 5 || parts[0] != "schools" || parts[2] != "concerns" {
		return "", "", "", false
	}
	for _, p := range []string{parts[1], parts[3], parts[4]} {
		if p == "" || p == "." || p == ".." {
			return "", "", "", false
		}
	}
	return safeguarding.SchoolID(parts[1]), safeguarding.ConcernID(parts[3]), AttachmentID(parts[4]), true
}

// MayAttach applies rule C6 with P2: the author of a concern or a DSL of its school who may
// see it. Anyone else who may see it gets ErrForbidden; anyone who may not, ErrNotFound, the
// same as for a concern that does not exist.
func MayAttach(c Concern, p safeguarding.Principal) error {
	if !c.CanView(p) {
		return safeguarding.ErrNotFound
	}
	if p.Email != c.authorEmail && !p.IsDSL(c.school) {
		return fmt.Errorf("only the author or a DSL may attach files: %w", safeguarding.ErrForbidden)
	}
	return nil
}

// NewAttachmentFor checks an upload request against rule C6 (who, which type, how large) and
// returns the pending attachment. at is the time of the request.
func NewAttachmentFor(id AttachmentID, in NewAttachment, c Concern, p safeguarding.Principal, at time.Time) (Attachment, error) {
	if err := MayAttach(c, p); err != nil {
		return Attachment{}, err
	}
	var ps safeguarding.Problems
	name := SanitiseFileName(in.FileName)
	if name == "" {
		ps.Add("fileName", "name the file")
	}
	ct, ok := attachmentType(in.ContentType)
	if !ok {
		ps.Add("contentType", "attach a photo or scan (JPEG, PNG, HEIC) or a PDF, not %q", in.ContentType)
	}
	if ext := strings.ToLower(path.Ext(name)); ok && ext != "" && !slices.Contains(attachmentTypes[ct], ext) {
		ps.Add("fileName", "a %s file is not a %s; attach a photo or scan (JPEG, PNG, HEIC) or a PDF", ext, ct)
	}
	switch {
	case in.Size <= 0:
		ps.Add("size", "give the file's size in bytes")
	case in.Size > MaxAttachmentBytes:
		ps.Add("size", "at most %d MiB", MaxAttachmentBytes>>20)
	}
	if err := ps.Err(); err != nil {
		return Attachment{}, err
	}
	return Attachment{id: id, school: c.school, concern: c.id, fileName: name, contentType: ct, size: in.Size,
		status: AttachmentPending, uploadedBy: p.Email, at: at.UTC()}, nil
}

// attachmentType is the content type without parameters, lower case, if it may be attached.
func attachmentType(s string) (string, bool) {
	mt, _, err := mime.ParseMediaType(s)
	if err != nil {
		return "", false
	}
	_, ok := attachmentTypes[mt]
	return mt, ok
}

// SanitiseFileName keeps a file name as the person gave it, less what could mislead a screen
// or a file system: any folders, control and formatting characters, invalid text and
// surrounding space; at most MaxFileNameChars characters.
func SanitiseFileName(s string) string {
	if i := strings.LastIndexAny(s, `/\`); i >= 0 {
		s = s[i+1:]
	}
	var b strings.Builder
	for _, r := range s {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		b.WriteRune(r)
	}
	s = strings.TrimSpace(b.String())
	if s == "." || s == ".." {
		return ""
	}
	if utf8.RuneCountInString(s) > MaxFileNameChars {
		s = string([]rune(s)[:MaxFileNameChars])
	}
	return s
}

// SniffAttachmentType names the attachable type the leading bytes of a file show, or "".
func SniffAttachmentType(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte{0xFF, 0xD8, 0xFF}):
		return "image/jpeg"
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf"
	case len(head) >= 12 && string(head[4:8]) == "ftyp" &&
		slices.Contains([]string{"heic", "heix", "hevc", "hevx", "heim", "heis", "mif1", "msf1"}, string(head[8:12])):
		return "image/heic"
	}
	return ""
}

// Check decides an arrived file (rule C6): its size must be the one declared and within the
// limit, and its first bytes must be those of the declared type. It returns the attachment
// verified, or rejected with the reason. at is when the file arrived.
func (a Attachment) Check(size int64, head []byte, at time.Time) Attachment {
	a.checkedAt = at.UTC()
	sniffed := SniffAttachmentType(head)
	switch {
	case size != a.size:
		a.status, a.reason = AttachmentRejected, fmt.Sprintf("the file is %d bytes, not the %d declared", size, a.size)
	case size > MaxAttachmentBytes:
		a.status, a.reason = AttachmentRejected, fmt.Sprintf("the file is over %d MiB", MaxAttachmentBytes>>20)
	case sniffed != a.contentType:
		got := sniffed
		if got == "" {
			got = "not a photo, scan or PDF"
		}
		a.status, a.reason = AttachmentRejected, fmt.Sprintf("the file's content is %s, not %s as declared", got, a.contentType)
	default:
		a.status, a.reason = AttachmentVerified, ""
	}
	return a
}

func (a Attachment) ID() AttachmentID { return a.id }

func (a Attachment) School() safeguarding.SchoolID { return a.school }

func (a Attachment) Concern() safeguarding.ConcernID { return a.concern }

func (a Attachment) FileName() string { return a.fileName }

func (a Attachment) ContentType() string { return a.contentType }

func (a Attachment) Size() int64 { return a.size }

func (a Attachment) Status() AttachmentStatus { return a.status }

func (a Attachment) Reason() string { return a.reason }

func (a Attachment) UploadedBy() string { return a.uploadedBy }

func (a Attachment) At() time.Time { return a.at }

func (a Attachment) CheckedAt() time.Time { return a.checkedAt }

func (a Attachment) Version() string { return a.version }

func (a Attachment) ObjectKey() string { return ObjectKey(a.school, a.concern, a.id) }

// AttachmentSnapshot is every field of a stored attachment, for a store to rebuild it.
type AttachmentSnapshot struct {
	ID          AttachmentID
	School      safeguarding.SchoolID
	Concern     safeguarding.ConcernID
	FileName    string
	ContentType string
	Size        int64
	Status      AttachmentStatus
	Reason      string
	UploadedBy  string
	At          time.Time
	CheckedAt   time.Time
	Version     string
}

// Snapshot exposes every field, for a store to save.
func (a Attachment) Snapshot() AttachmentSnapshot {
	return AttachmentSnapshot{ID: a.id, School: a.school, Concern: a.concern, FileName: a.fileName,
		ContentType: a.contentType, Size: a.size, Status: a.status, Reason: a.reason, UploadedBy: a.uploadedBy,
		At: a.at, CheckedAt: a.checkedAt, Version: a.version}
}

// RestoreAttachment rebuilds an attachment a store saved. Only stores call it.
func RestoreAttachment(s AttachmentSnapshot) Attachment {
	return Attachment{id: s.ID, school: s.School, concern: s.Concern, fileName: s.FileName,
		contentType: s.ContentType, size: s.Size, status: s.Status, reason: s.Reason, uploadedBy: s.UploadedBy,
		at: s.At, checkedAt: s.CheckedAt, version: s.Version}
}

// Audit actions of attachments.
const (
	AuditAttachmentRequested = "attachment.requested"
	AuditAttachmentVerified  = "attachment.verified"
	AuditAttachmentRejected  = "attachment.rejected"
	AuditAttachmentsRead     = "attachments.read"
	AuditAttachmentOpened    = "attachment.opened"
)

// AttachmentTarget is what an upload request needs, read in one round trip: the caller, the
// concern, and any earlier request with the same idempotency key.
type AttachmentTarget struct {
	Viewer  safeguarding.Principal
	Concern Concern
	Prior   *safeguarding.PriorRequest
}

// AttachmentWrite is everything an upload request commits, together or not at all.
type AttachmentWrite struct {
	Attachment Attachment
	Audit      safeguarding.AuditEntry
	Request    *safeguarding.RequestRecord
}

// AttachmentStore is the storage port of the attachment use cases.
type AttachmentStore interface {
	// AttachmentTarget reads the viewer, the concern and an earlier request with the same
	// key. A concern that does not exist is ErrNotFound; a viewer of another school ErrForbidden.
	AttachmentTarget(ctx context.Context, viewer string, school safeguarding.SchoolID, concern safeguarding.ConcernID, key safeguarding.RequestKey) (AttachmentTarget, error)
	// SaveAttachment commits a new pending attachment with its audit entry and idempotency
	// record, on the condition that the concern exists; ErrDuplicateRequest if key was taken.
	SaveAttachment(ctx context.Context, w AttachmentWrite) error
	// Attachments reads the viewer, the concern and its attachments, oldest first.
	Attachments(ctx context.Context, viewer string, school safeguarding.SchoolID, concern safeguarding.ConcernID) (safeguarding.Principal, Concern, []Attachment, error)
	// AttachmentFor reads the viewer, the concern and one of its attachments in one round trip.
	// A concern or an attachment that does not exist is ErrNotFound; a viewer of another school
	// ErrForbidden.
	AttachmentFor(ctx context.Context, viewer string, school safeguarding.SchoolID, concern safeguarding.ConcernID, id AttachmentID) (safeguarding.Principal, Concern, Attachment, error)
	// Attachment reads one attachment; ErrNotFound if there is none.
	Attachment(ctx context.Context, school safeguarding.SchoolID, concern safeguarding.ConcernID, id AttachmentID) (Attachment, error)
	// SaveCheck records a pending attachment's verdict with its audit entry, on the condition
	// that it is still pending (ErrConflict).
	SaveCheck(ctx context.Context, a Attachment, audit safeguarding.AuditEntry) error
	// PriorRequest reads a request record, waiting briefly for one being committed.
	PriorRequest(ctx context.Context, key safeguarding.RequestKey) (safeguarding.PriorRequest, error)
	// Audit saves one audit entry.
	Audit(ctx context.Context, e safeguarding.AuditEntry) error
}

// ObjectSigner makes the URLs of the attachments' files: an upload, an HTTP PUT of exactly one
// object with exactly the given content type and length; and a read, an HTTP GET of one
// version of an object, given to the browser as a download named fileName. Each is valid for
// a while.
type ObjectSigner interface {
	PresignUpload(ctx context.Context, key, contentType string, size int64, validFor time.Duration) (url string, err error)
	PresignOpen(ctx context.Context, key, version, fileName, contentType string, validFor time.Duration) (url string, err error)
}

// Upload is what the caller gets to send the file: the attachment, and where and until when.
type Upload struct {
	Attachment Attachment
	URL        string
	ExpiresAt  time.Time
}

// Attachments holds the attachment use cases (rule C6).
type Attachments struct {
	Store  AttachmentStore
	Signer ObjectSigner
	// NewID returns a new unique, time-ordered id.
	NewID func(at time.Time) string
}

// VerifierActor is who the audit trail names for the check of an arrived file.
const VerifierActor = "system:attachment-check"

// RequestUpload checks a request to attach a file to a concern (rules C6, P2): the pending
// attachment and its audit entry commit in one transaction, then an upload URL is signed for
// that object key, content type and size only, valid for UploadURLValidity. The same key and
// body again gives the same attachment with a fresh URL; another body, ErrIdempotencyMismatch.
func (s Attachments) RequestUpload(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, concern safeguarding.ConcernID, in NewAttachment, key safeguarding.RequestKey, fingerprint string) (Upload, error) {
	t, err := s.Store.AttachmentTarget(ctx, who.Email, school, concern, key)
	if err != nil {
		return Upload{}, err
	}
	if t.Prior != nil {
		return safeguarding.Replayed(*t.Prior, fingerprint, s.uploadOf(ctx, who, school, concern))
	}
	if !t.Viewer.IsMember(school) {
		return Upload{}, safeguarding.ErrForbidden
	}
	if t.Concern.school != school {
		return Upload{}, safeguarding.ErrNotFound
	}
	a, err := NewAttachmentFor(AttachmentID(s.NewID(who.At)), in, t.Concern, t.Viewer, who.At)
	if err != nil {
		return Upload{}, err
	}
	w := AttachmentWrite{Attachment: a, Audit: safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email,
		Action: AuditAttachmentRequested, Subject: "concern/" + string(concern) + "/attachment/" + string(a.id),
		Pupils: safeguarding.PupilIDs(t.Concern.pupils), At: who.At, Source: who.Source}}
	if key.Key != "" {
		w.Request = &safeguarding.RequestRecord{Key: key, Fingerprint: fingerprint, Receipt: safeguarding.Receipt{ID: string(a.id), RecordedAt: a.at}}
	}
	if err := s.Store.SaveAttachment(ctx, w); err != nil {
		return safeguarding.SavedOnce(ctx, s.Store, key, fingerprint, Upload{}, err, s.uploadOf(ctx, who, school, concern))
	}
	return s.sign(ctx, a, who.At)
}

// uploadOf answers a repeated request with the attachment it made, and a fresh URL while the
// file has not arrived.
func (s Attachments) uploadOf(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, concern safeguarding.ConcernID) func(safeguarding.PriorRequest) (Upload, error) {
	return func(prior safeguarding.PriorRequest) (Upload, error) {
		a, err := s.Store.Attachment(ctx, school, concern, AttachmentID(prior.Receipt.ID))
		if err != nil {
			return Upload{}, err
		}
		if a.status != AttachmentPending {
			return Upload{Attachment: a}, nil
		}
		return s.sign(ctx, a, who.At)
	}
}

func (s Attachments) sign(ctx context.Context, a Attachment, at time.Time) (Upload, error) {
	url, err := s.Signer.PresignUpload(ctx, a.ObjectKey(), a.contentType, a.size, UploadURLValidity)
	if err != nil {
		return Upload{}, fmt.Errorf("signing the upload URL: %w", err)
	}
	return Upload{Attachment: a, URL: url, ExpiresAt: at.Add(UploadURLValidity).UTC()}, nil
}

// List returns the attachments of a concern the caller may see (P2, C5), oldest first, and
// audits the read (P4). A concern the caller may not see is ErrNotFound.
func (s Attachments) List(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, concern safeguarding.ConcernID) ([]Attachment, error) {
	p, c, list, err := s.Store.Attachments(ctx, who.Email, school, concern)
	if err != nil {
		return nil, err
	}
	if !p.IsMember(school) {
		return nil, safeguarding.ErrForbidden
	}
	if c.school != school || !c.CanView(p) {
		return nil, safeguarding.ErrNotFound
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditAttachmentsRead,
		Subject: "concern/" + string(concern), Pupils: safeguarding.PupilIDs(c.pupils), At: who.At, Source: who.Source})
	if err != nil {
		return nil, err
	}
	return list, nil
}

// Verify checks a file that arrived under key (rule C6) from its actual size and first bytes,
// and records the verdict with its audit entry; a verified file keeps the object version
// checked ("" in a bucket without versions), the one Open reads. It returns the attachment as decided; the
// caller deletes the object of a rejected one. A key that names no attachment is ErrNotFound
// (a stray object: delete it); one already decided keeps its verdict, so a repeated
// notification is harmless.
func (s Attachments) Verify(ctx context.Context, key, version string, size int64, head []byte, at time.Time) (Attachment, error) {
	school, concern, id, ok := ParseObjectKey(key)
	if !ok {
		return Attachment{}, fmt.Errorf("object %q is not an attachment: %w", key, safeguarding.ErrNotFound)
	}
	a, err := s.Store.Attachment(ctx, school, concern, id)
	if err != nil {
		return Attachment{}, err
	}
	if a.status != AttachmentPending {
		// A repeated notification, or the upload URL used again while it is valid: the recorded
		// verdict stands, and an object that fails the check is still reported rejected, so the
		// caller deletes it (in a versioned bucket the verified version stays).
		if c := a.Check(size, head, at); a.status == AttachmentVerified && c.status == AttachmentRejected {
			return c, nil
		}
		return a, nil
	}
	a = a.Check(size, head, at)
	if a.status == AttachmentVerified {
		a.version = version
	}
	action := AuditAttachmentVerified
	if a.status == AttachmentRejected {
		action = AuditAttachmentRejected
	}
	err = s.Store.SaveCheck(ctx, a, safeguarding.AuditEntry{ID: s.NewID(at), School: school, Actor: VerifierActor, Action: action,
		Subject: "concern/" + string(concern) + "/attachment/" + string(id), At: at, Source: "s3:" + key})
	if errors.Is(err, safeguarding.ErrConflict) { // decided by an earlier delivery of the same event
		return s.Store.Attachment(ctx, school, concern, id)
	}
	if err != nil {
		return Attachment{}, err
	}
	return a, nil
}

// Opened is a verified file ready to read: the attachment and a URL to it, valid until
// ExpiresAt.
type Opened struct {
	Attachment Attachment
	URL        string
	ExpiresAt  time.Time
}

// Open gives whoever may see a concern (P2, C5) a short-lived URL to one of its verified files
// (rule C6), and audits the read (P4). The URL reads the version that was checked, and the
// browser saves it under a name made of the attachment's ID, never the name it was uploaded
// with, which may name a pupil. A file not yet checked, or rejected, cannot be opened
// (ErrNotFound); nor can one of a concern the caller may not see.
func (s Attachments) Open(ctx context.Context, who safeguarding.Caller, school safeguarding.SchoolID, concern safeguarding.ConcernID, id AttachmentID) (Opened, error) {
	p, c, a, err := s.Store.AttachmentFor(ctx, who.Email, school, concern, id)
	if err != nil {
		return Opened{}, err
	}
	if !p.IsMember(school) {
		return Opened{}, safeguarding.ErrForbidden
	}
	if c.school != school || !c.CanView(p) || a.concern != concern || a.status != AttachmentVerified {
		return Opened{}, safeguarding.ErrNotFound
	}
	err = s.Store.Audit(ctx, safeguarding.AuditEntry{ID: s.NewID(who.At), School: school, Actor: who.Email, Action: AuditAttachmentOpened,
		Subject: "concern/" + string(concern) + "/attachment/" + string(id), Pupils: safeguarding.PupilIDs(c.pupils), At: who.At, Source: who.Source})
	if err != nil {
		return Opened{}, err
	}
	url, err := s.Signer.PresignOpen(ctx, a.ObjectKey(), a.version, a.SavedName(), a.contentType, OpenURLValidity)
	if err != nil {
		return Opened{}, fmt.Errorf("signing the URL to open: %w", err)
	}
	return Opened{Attachment: a, URL: url, ExpiresAt: who.At.Add(OpenURLValidity).UTC()}, nil
}

// SavedName is the name a downloaded file is saved under: "attachment-" and the attachment's
// ID, with the extension of its type.
func (a Attachment) SavedName() string {
	name := "attachment-" + string(a.id)
	if exts := attachmentTypes[a.contentType]; len(exts) > 0 {
		name += exts[0]
	}
	return name
}
