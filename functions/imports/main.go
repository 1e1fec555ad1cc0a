// Command imports is the ImportsFunction: the office and the Senior DSL load the school's
// pupils, families, contacts and classes from its MIS export (rule P1).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
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
	st := store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME"))
	h := handler{imports: imports.Imports{Store: st, NewID: store.NewID}}
	lambda.Start(h.Handle)
}
