// Command seal is the SealFunction: every 15 minutes (EventBridge Scheduler, Europe/London) it
// seals each school's audit entries written since its last seal, chaining each seal to the one
// before, and anchors each day's last seal in the anchors bucket under Object Lock (rule P4).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

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
	anchors, err := anchor.FromEnv(cfg, os.Getenv, true)
	if err != nil {
		slog.Error("the anchors bucket", "error", err.Error())
		os.Exit(1)
	}
	h := handler{sealer: seals.Sealer{Store: store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME")), Anchors: anchors,
		From: os.Getenv("AUDIT_CHAIN_FROM")}}
	lambda.Start(h.Handle)
}
