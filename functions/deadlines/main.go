// Command deadlines is the DeadlinesFunction: every 15 minutes (EventBridge Scheduler,
// Europe/London) it walks every due item of every school one step up the escalation ladder
// (rule D8).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/deadlines"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, err := awsenv.Config()
	if err != nil {
		slog.Error("aws config", "error", err.Error())
		os.Exit(1)
	}
	h := handler{engine: deadlines.Deadlines{Store: store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME")), Parallel: 16}}
	lambda.Start(h.Handle)
}
