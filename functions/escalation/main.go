// Command escalation is the EscalationFunction (rules E2, E3, E5). Early each morning
// (EventBridge Scheduler, Europe/London) it queues one message per school; the same function,
// fed by that queue, runs one school per message: the families due a look, each one
// conditional write.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/engagement"
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
		job:     engagement.FamilyEscalation{Store: st, BankHolidays: calendar.EnglandAndWales(), NewID: store.NewID},
		schools: st, queue: sqs.NewFromConfig(cfg), queueURL: os.Getenv("ESCALATION_QUEUE_URL"),
	}
	lambda.Start(h.Handle)
}
