// Command concerns is the ConcernsFunction: record a concern, read one, read a chronology
// and download it as a PDF.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/exports"
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
	return handler{
		concerns: concerns.Concerns{
			Store:     st,
			Catalogue: concerns.PolicyCatalogue(),
			Calendar:  calendar.EnglandAndWales(),
			NewID:     store.NewID,
		},
		catalogues: concerns.Catalogues{Store: st, NewID: store.NewID},
		exports:    exports.Exports{Store: st, NewID: store.NewID},
	}
}
