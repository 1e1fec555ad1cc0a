// Command seal is the SealFunction: every 15 minutes (EventBridge Scheduler, Europe/London) it
// seals each school's audit entries written since its last seal, chaining each seal to the one
// before, and anchors each day's last seal in the anchors bucket under Object Lock (rule P4).
package main

import (
	"fmt"
	"log/slog"
	"os"
	"strconv"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/keepsafe-schools/keepsafe/shared/anchor"
	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/seals"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, err := awsenv.Config()
	if err != nil {
		slog.Error("aws config", "error", err.Error())
		os.Exit(1)
	}
	anchors, err := Anchors(cfg, os.Getenv)
	if err != nil {
		slog.Error("the anchors bucket", "error", err.Error())
		os.Exit(1)
	}
	h := handler{sealer: seals.Sealer{Store: store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME")), Anchors: anchors,
		From: os.Getenv("AUDIT_CHAIN_FROM")}}
	lambda.Start(h.Handle)
}

// Anchors is the anchors bucket (AUDIT_ANCHORS_BUCKET) with its retention in years
// (AUDIT_ANCHOR_RETENTION_YEARS). With AWS_ENDPOINT_URL_S3 set (the local stack's S3) it
// addresses the bucket by path, as a loopback endpoint needs.
func Anchors(cfg aws.Config, getenv func(string) string) (anchor.Anchors, error) {
	name := getenv("AUDIT_ANCHORS_BUCKET")
	years, err := strconv.Atoi(getenv("AUDIT_ANCHOR_RETENTION_YEARS"))
	if name == "" || err != nil || years < 1 || years > 100 {
		return anchor.Anchors{}, fmt.Errorf("AUDIT_ANCHORS_BUCKET %q and AUDIT_ANCHOR_RETENTION_YEARS %q (1 to 100) are needed",
			name, getenv("AUDIT_ANCHOR_RETENTION_YEARS"))
	}
	local := getenv("AWS_ENDPOINT_URL_S3") != ""
	client := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = local })
	return anchor.Anchors{S3: client, Bucket: name, RetentionYears: years}, nil
}
