// Command imports is the ImportsFunction: the office and the Senior DSL load the school's
// pupils, families, contacts and classes from its MIS export (rule P1), sent in a request's
// body, or uploaded to the attachments bucket (under imports/) when larger.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/bucket"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/imports"
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
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = os.Getenv("AWS_ENDPOINT_URL_S3") != "" })
	st := store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME"))
	h := handler{imports: imports.Imports{Store: st, NewID: store.NewID}, signer: uploads, files: bucketFiles{client: client, bucket: name}}
	lambda.Start(h.Handle)
}
