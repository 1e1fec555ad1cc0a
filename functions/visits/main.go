// Command visits is the VisitsFunction: home visits during a closure (rules V1-V8): plan,
// authorise, call ahead, start, the doorstep record, an immediate concern, observations, the
// next visit, check-out, cancel, and lifting a family's block on visits.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/visits"
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
	return handler{visits: visits.Visits{Store: st, Calendar: calendar.EnglandAndWales(),
		Catalogue: concerns.PolicyCatalogue(), NewID: store.NewID}}
}
