// Command audit is the AuditFunction: the Senior DSL and the DSLs read their school's audit
// trail (rule P4).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/audit"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, err := awsenv.Config()
	if err != nil {
		slog.Error("aws config", "error", err.Error())
		os.Exit(1)
	}
	h := newHandler(store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME")))
	lambda.Start(h.Handle)
}

func newHandler(st *store.Store) handler {
	return handler{trail: audit.Trail{Store: st, NewID: store.NewID}}
}
