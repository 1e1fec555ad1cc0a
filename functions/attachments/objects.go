package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// objects is the bucket of attachments as the check of each arrived file sees it: it reads
// the first bytes of a file and deletes a rejected one. Upload URLs are signed by
// bucket.Signer.
type objects struct {
	client *s3.Client
	bucket string
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
