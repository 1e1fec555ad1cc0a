// Package anchor keeps each school's last audit seal of each day (rule P4) in an S3 bucket
// with Object Lock in compliance mode: once written, no one, the account's root user
// included, can change or delete that version before its retention ends. A seal in the table
// that no longer matches its anchor shows that the chain was rewritten.
package anchor

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/seals"
)

// API is the part of the S3 client the anchors use.
type API interface {
	PutObject(context.Context, *s3.PutObjectInput, ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	GetObject(context.Context, *s3.GetObjectInput, ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// Anchors is one bucket of anchors and how long each is kept.
type Anchors struct {
	S3     API
	Bucket string
	// RetentionYears is how long an anchor cannot be changed or removed, counted from its
	// sealing run: at least as long as the records it vouches for are kept.
	RetentionYears int
}

// FromEnv is the anchors bucket the environment names (AUDIT_ANCHORS_BUCKET), with the
// retention in years (AUDIT_ANCHOR_RETENTION_YEARS, 1 to 100) when writeable is true; with
// AWS_ENDPOINT_URL_S3 set (the local stack's S3) the bucket is addressed by path, as a loopback
// endpoint needs.
func FromEnv(cfg aws.Config, getenv func(string) string, writeable bool) (Anchors, error) {
	a := Anchors{Bucket: getenv("AUDIT_ANCHORS_BUCKET")}
	if a.Bucket == "" {
		return a, errors.New("anchor: AUDIT_ANCHORS_BUCKET is not set")
	}
	if writeable {
		years, err := strconv.Atoi(getenv("AUDIT_ANCHOR_RETENTION_YEARS"))
		if err != nil || years < 1 || years > 100 {
			return a, fmt.Errorf("anchor: AUDIT_ANCHOR_RETENTION_YEARS %q: want 1 to 100", getenv("AUDIT_ANCHOR_RETENTION_YEARS"))
		}
		a.RetentionYears = years
	}
	local := getenv("AWS_ENDPOINT_URL_S3") != ""
	a.S3 = s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = local })
	return a, nil
}

// Key is where a school's day's anchor is kept.
func Key(school safeguarding.SchoolID, day string) string {
	return "schools/" + string(school) + "/audit-seals/" + day + ".json"
}

// anchored is an anchor's content: the seal without its entries, which stay in the table
// (the seal's hash covers them).
type anchored struct {
	School   string    `json:"school"`
	Seq      int       `json:"seq"`
	Day      string    `json:"day"`
	After    string    `json:"after"`
	UpTo     string    `json:"upTo"`
	Closes   bool      `json:"closes"`
	Entries  int       `json:"entries"`
	Prev     string    `json:"prev"`
	Hash     string    `json:"hash"`
	SealedAt time.Time `json:"sealedAt"`
}

// Put writes the seal as the anchor of its day, locked in compliance mode until at plus the
// retention. Writing it again adds a version and changes none.
func (a Anchors) Put(ctx context.Context, s seals.Seal, at time.Time) error {
	if a.RetentionYears < 1 {
		return errors.New("anchor: no retention: an anchor is never written unlocked")
	}
	body, err := json.Marshal(anchored{School: string(s.School), Seq: s.Seq, Day: s.Day, After: s.After, UpTo: s.UpTo,
		Closes: s.Closes, Entries: len(s.Entries), Prev: hex.EncodeToString(s.Prev[:]), Hash: hex.EncodeToString(s.Hash[:]),
		SealedAt: s.SealedAt})
	if err != nil {
		return err
	}
	_, err = a.S3.PutObject(ctx, &s3.PutObjectInput{
		Bucket: &a.Bucket, Key: aws.String(Key(s.School, s.Day)), Body: bytes.NewReader(body),
		ContentType:               aws.String("application/json"),
		ObjectLockMode:            types.ObjectLockModeCompliance,
		ObjectLockRetainUntilDate: aws.Time(at.AddDate(a.RetentionYears, 0, 0).UTC().Truncate(time.Second)),
	})
	if err != nil {
		return fmt.Errorf("anchor: seal %d of %s: %w", s.Seq, s.School, err)
	}
	return nil
}

// Get reads the anchor of a school's day (ok false: none was written).
func (a Anchors) Get(ctx context.Context, school safeguarding.SchoolID, day string) (seals.Seal, bool, error) {
	out, err := a.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: &a.Bucket, Key: aws.String(Key(school, day))})
	var missing *types.NoSuchKey
	if errors.As(err, &missing) {
		return seals.Seal{}, false, nil
	}
	if err != nil {
		return seals.Seal{}, false, fmt.Errorf("anchor: %s %s: %w", school, day, err)
	}
	defer out.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(out.Body, 64<<10))
	if err != nil {
		return seals.Seal{}, false, fmt.Errorf("anchor: %s %s: %w", school, day, err)
	}
	var an anchored
	if err := json.Unmarshal(raw, &an); err != nil {
		return seals.Seal{}, false, fmt.Errorf("anchor: %s %s is not an anchor: %w", school, day, err)
	}
	s := seals.Seal{School: safeguarding.SchoolID(an.School), Seq: an.Seq, Day: an.Day, After: an.After, UpTo: an.UpTo,
		Closes: an.Closes, SealedAt: an.SealedAt}
	if err := decodeDigest(an.Prev, &s.Prev); err != nil {
		return seals.Seal{}, false, err
	}
	if err := decodeDigest(an.Hash, &s.Hash); err != nil {
		return seals.Seal{}, false, err
	}
	return s, true, nil
}

func decodeDigest(h string, d *seals.Digest) error {
	b, err := hex.DecodeString(h)
	if err != nil || len(b) != len(d) {
		return errors.New("anchor: a digest that is not 32 bytes of hex")
	}
	copy(d[:], b)
	return nil
}
