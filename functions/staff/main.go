// Command staff is the StaffFunction: the Senior DSL and the office keep the school's staff
// and their roles (rule P1): the list, adding a member of staff, changing roles, a leaver,
// and the MIS's staff export. Each change reaches the user pool (USER_POOL_ID) as well as the
// table.
package main

import (
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
	"github.com/keepsafe-schools/keepsafe/shared/store"
	"github.com/keepsafe-schools/keepsafe/shared/userpool"
)

func main() {
	slog.SetDefault(slog.New(slog.NewJSONHandler(os.Stdout, nil)))
	cfg, err := awsenv.Config()
	if err != nil {
		slog.Error("aws config", "error", err.Error())
		os.Exit(1)
	}
	st := store.New(store.NewClient(cfg), os.Getenv("TABLE_NAME"))
	pool := userpool.New(userpool.NewClient(cfg), os.Getenv("USER_POOL_ID"))
	h := handler{svc: staff.Service{Store: st, Accounts: pool, NewID: store.NewID}}
	lambda.Start(h.Handle)
}
