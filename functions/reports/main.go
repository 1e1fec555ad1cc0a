// Command reports is the ReportsFunction: the governors' termly report and Ofsted's yearly one
// (rule D10), anonymised figures read from the monthly counters the other functions keep as
// they write records, for a school's DSLs, its Senior DSL and its governors (P2). It reads and
// writes nothing but each reading's audit entry.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/reports"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, err := awsenv.Config()
	if err != nil {
		slog.Error("aws config", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(newHandler(store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME"))).Handle)
}

func newHandler(st *store.Store) handler {
	return handler{reports: reports.Reports{Store: st, NewID: store.NewID}}
}
