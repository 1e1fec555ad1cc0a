// Command alerts is the AlertsFunction: outbox items arrive from the table's stream and are
// published to the SNS topic of the recipient's school that holds their subscriptions, which
// carry them by SMS and email.
package main

import (
	"log/slog"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
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
	h := handler{
		outbox:    st,
		publisher: alert.Publisher{SNS: sns.NewFromConfig(cfg), Routes: st, AppURL: os.Getenv("APP_URL")},
		now:       time.Now,
	}
	lambda.Start(h.Handle)
}
