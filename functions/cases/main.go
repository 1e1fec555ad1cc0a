// Command cases is the CasesFunction: a DSL's actions on concerns, their completion and
// reallocation, and each person's list of work.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/casework"
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
	return handler{cases: casework.Cases{Store: st, Calendar: calendar.EnglandAndWales(), NewID: store.NewID}}
}
