// Command newschool creates a school of the federation and its first Senior DSL, with their
// account in the user pool (an invitation by email: they choose a password and set up their
// authenticator app at first sign-in, rule S4; the account's subject goes on their profile,
// S8). From there the Senior DSL does everything else in the product: the staff page adds the
// office, the DSLs and the rest (rule P1).
//
// Against AWS (the stack's table and user pool; the credentials and region from the
// environment, as AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN):
//
//	go run ./infra/newschool -table keepsafe-prod -user-pool eu-west-2_AbCdEf \
//	  -school brook-lane -name "Brook Lane Primary" \
//	  -senior-dsl-email head@brooklane.sch.uk -senior-dsl-name "Helen Carter"
//
// Against the local stack that `make run` is running (its DynamoDB Local and its identity
// provider), add -local instead of -table and -user-pool.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/infra/newschool/school"
	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/staff"
	"github.com/keepsafe-schools/keepsafe/shared/store"
	"github.com/keepsafe-schools/keepsafe/shared/userpool"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "newschool:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("newschool", flag.ContinueOnError)
	var in school.School
	fs.StringVar(&in.ID, "school", "", "the school's id in addresses: lower-case letters, digits and hyphens (brook-lane)")
	fs.StringVar(&in.Name, "name", "", "the school's name as staff see it")
	fs.StringVar(&in.SeniorEmail, "senior-dsl-email", "", "the Senior DSL's work email: their sign-in")
	fs.StringVar(&in.SeniorName, "senior-dsl-name", "", "the Senior DSL's full name")
	fs.StringVar(&in.SeniorMobile, "senior-dsl-mobile", "", "the Senior DSL's UK mobile for SMS alerts (optional)")
	table := fs.String("table", os.Getenv("TABLE_NAME"), "the stack's DynamoDB table (TABLE_NAME)")
	pool := fs.String("user-pool", os.Getenv("USER_POOL_ID"), "the stack's Cognito user pool id (USER_POOL_ID)")
	local := fs.Bool("local", false, "the local stack `make run` is running, instead of AWS")
	dataDir := fs.String("local-data", "", "the local stack's data folder (.cache/data beside template.yaml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var st *store.Store
	var accounts staff.Accounts
	if *local {
		e, err := stack.RunningEndpoints(*dataDir)
		if err != nil {
			return err
		}
		st = store.New(dynamodblocal.NewClient(e.DynamoDB), e.Table)
		accounts = userpool.New(stack.NewPoolClient(e.UserPool), e.UserPoolID)
	} else {
		if *table == "" || *pool == "" {
			return errors.New("give -table and -user-pool (or TABLE_NAME and USER_POOL_ID), or -local")
		}
		cfg, err := awsenv.Config()
		if err != nil {
			return err
		}
		st = store.New(store.NewClient(cfg), *table)
		accounts = userpool.New(userpool.NewClient(cfg), *pool)
	}
	subject, err := school.Create(ctx, st, accounts, in, time.Now())
	if err != nil {
		return err
	}
	fmt.Printf("School %s created. Its Senior DSL's account (subject %s) has been sent an invitation by email.\n", in.ID, subject)
	return nil
}
