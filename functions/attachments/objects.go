package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// objects is the bucket of attachments: it signs upload URLs (the domain's UploadSigner),
// reads the first bytes of an arrived file and deletes a rejected one.
type objects struct {
	client  *s3.Client
	presign *s3.PresignClient
	bucket  string
}

var _ safeguarding.UploadSigner = objects{}

func newObjects(client *s3.Client, bucket string) objects {
	return objects{client: client, presign: s3.NewPresignClient(client), bucket: bucket}
}

// PresignUpload signs a PUT of key with its Content-Type and Content-Length: S3 refuses the
// upload when either differs from what was signed. The bucket's default encryption (KMS)
// applies, so no encryption header is asked of the browser.
func (o objects) PresignUpload(ctx context.Context, key, contentType string, size int64, validFor time.Duration) (string, error) {
	req, err := o.presign.PresignPutObject(ctx, &s3.PutObjectInput{
		Bucket: &o.bucket, Key: &key, ContentType: &contentType, ContentLength: &size,
	}, s3.WithPresignExpires(validFor))
	if err != nil {
		return "", err
	}
	return req.URL, nil
}

// Head reads up to n leading bytes of an object (one ranged GET) and its whole size.
func (o objects) Head(ctx context.Context, key, version string, n int) (int64, []byte, error) {
	in := &s3.GetObjectInput{Bucket: &o.bucket, Key: &key, Range: aws.String("bytes=0-" + strconv.Itoa(n-1))}
	if version != "" {
		in.VersionId = &version
	}
	out, err := o.client.GetObject(ctx, in)
	if err != nil {
		return 0, nil, fmt.Errorf("reading %s: %w", key, err)
	}
	defer out.Body.Close()
	head, err := io.ReadAll(io.LimitReader(out.Body, int64(n)))
	if err != nil {
		return 0, nil, fmt.Errorf("reading %s: %w", key, err)
	}
	size := int64(len(head))
	// "bytes 0-511/1234": the total after the slash is the object's size.
	if cr := aws.ToString(out.ContentRange); cr != "" {
		if _, total, ok := strings.Cut(cr, "/"); ok {
			if t, err := strconv.ParseInt(total, 10, 64); err == nil {
				size = t
			}
		}
	}
	return size, head, nil
}

// Delete removes an object; with a version, that version, so no copy of a rejected file stays
// in the versioned bucket.
func (o objects) Delete(ctx context.Context, key, version string) error {
	in := &s3.DeleteObjectInput{Bucket: &o.bucket, Key: &key}
	if version != "" {
		in.VersionId = &version
	}
	_, err := o.client.DeleteObject(ctx, in)
	if err != nil {
		return fmt.Errorf("deleting %s: %w", key, err)
	}
	return nil
}
