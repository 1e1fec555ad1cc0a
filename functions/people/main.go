// Command people is the PeopleFunction: who am I, the pupil search of a school, the school's
// settings and who teaches its classes, and the records reaching the 25th birthday with their
// legal holds (rule S7).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/retention"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/settings"
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
	h := handler{store: st, settings: settings.Service{Store: st, NewID: store.NewID},
		retention: retention.Service{Store: st, NewID: store.NewID}}
	lambda.Start(h.Handle)
}
