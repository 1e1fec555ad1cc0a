// Command audit is the AuditFunction: the Senior DSL and the DSLs read their school's audit
// trail, and the Senior DSL checks it against its seals (rule P4).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/anchor"
	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
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
	anchors, err := anchor.FromEnv(cfg, os.Getenv, false)
	if err != nil {
		slog.Error("the anchors bucket", "error", err.Error())
		os.Exit(1)
	}
	h := newHandler(store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME")), anchors)
	lambda.Start(h.Handle)
}

func newHandler(st *store.Store, anchors seals.Anchors) handler {
	return handler{trail: audit.Trail{Store: st, NewID: store.NewID},
		verifier: seals.Verifier{Store: st, Anchors: anchors, NewID: store.NewID}}
}
