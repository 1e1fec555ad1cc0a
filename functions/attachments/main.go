// Command attachments is the AttachmentsFunction: upload URLs for a concern's attachments, the
// list of them, the check of each file that arrives in the bucket (rule C6), and the export of
// everything held about a pupil with its files in one archive (D10).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/bucket"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, err := awsenv.Config()
	if err != nil {
		slog.Error("aws config", "error", err.Error())
		os.Exit(1)
	}
	name := os.Getenv("ATTACHMENTS_BUCKET")
	uploads, err := bucket.New(cfg, name, os.Getenv("AWS_ENDPOINT_URL_S3"))
	if err != nil {
		slog.Error("the attachments bucket", "error", err.Error())
		os.Exit(1)
	}
	h := newHandler(store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME")), newS3Client(cfg), uploads, name)
	lambda.Start(h.Handle)
}

// newS3Client builds the S3 client. With AWS_ENDPOINT_URL_S3 set (the local stack's S3) it
// addresses buckets by path, as a loopback endpoint needs.
func newS3Client(cfg aws.Config) *s3.Client {
	local := os.Getenv("AWS_ENDPOINT_URL_S3") != ""
	return s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = local
	})
}
