// Command engagement is the EngagementFunction: teachers' acknowledgements of families (rule
// E1), the DSLs' families view, contact attempts, the Senior DSL's LA notifications and
// decisions (E4-E6), each school's calendar and full closures (E0), the phone calls due to
// families and who takes them (E3), and the pupils below 90% attendance (C9).
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/calendar"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/attendance"
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
	h := newHandler(store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME")))
	lambda.Start(h.Handle)
}

func newHandler(st *store.Store) handler {
	return handler{svc: engagement.Engagement{Store: st, BankHolidays: calendar.EnglandAndWales(), NewID: store.NewID},
		closures:       engagement.Closures{Store: st, NewID: store.NewID},
		attendanceList: attendance.List{Store: st, NewID: store.NewID}}
}
