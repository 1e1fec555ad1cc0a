// Command redrive sends the alerts that were never marked sent and moves the escalation
// messages from their dead-letter queue back to their queue (package redrive). Run it after an
// outage, once its cause is fixed; running it twice does no harm, the second run finds nothing.
//
// Against the local stack `make run` is running (its DynamoDB Local, SNS, SQS and clock):
//
//	make redrive            (go run ./infra/redrive/cmd/redrive -local)
//
// Against AWS (the credentials and region from the environment, as AWS_REGION,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN; the names from the stack's
// outputs and resources):
//
//	go run ./infra/redrive/cmd/redrive -table keepsafe-prod \
//	  -app-url https://keepsafe.example -escalation-queue-url https://sqs.../EscalationQueue \
//	  -escalation-dlq-url https://sqs.../EscalationDeadLetterQueue
//
// It prints what it did as JSON: alerts found unsent, sent, recorded undeliverable, skipped
// (sent meanwhile) and failed (run it again later), and dead letters moved.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/infra/redrive"
	"github.com/keepsafe-schools/keepsafe/shared/alert"
	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

func main() {
	if err := run(context.Background(), os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "redrive:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("redrive", flag.ContinueOnError)
	table := fs.String("table", os.Getenv("TABLE_NAME"), "the stack's DynamoDB table (TABLE_NAME)")
	appURL := fs.String("app-url", os.Getenv("APP_URL"), "the product's address, for the link in each alert (APP_URL)")
	queueURL := fs.String("escalation-queue-url", "", "the escalation queue's URL")
	dlqURL := fs.String("escalation-dlq-url", "", "the escalation dead-letter queue's URL")
	grace := fs.Duration("grace", 5*time.Minute, "leave alone the alerts written this recently (the stream may be sending them)")
	local := fs.Bool("local", false, "the local stack `make run` is running, instead of AWS")
	dataDir := fs.String("local-data", "", "the local stack's data folder (.cache/data beside template.yaml)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	r := redrive.Redrive{Grace: *grace, Log: log, Now: time.Now()}
	var st *store.Store
	var snsClient *sns.Client
	var sqsClient *sqs.Client
	if *local {
		e, err := stack.RunningEndpoints(*dataDir)
		if err != nil {
			return err
		}
		if e.SNS == "" || e.SQS == "" || e.URL == "" {
			return errors.New("the local stack's endpoints lack SNS, SQS or its URL: restart make run")
		}
		st = store.New(dynamodblocal.NewClient(e.DynamoDB), e.Table)
		creds := credentials.NewStaticCredentialsProvider("local", "local", "")
		snsClient = sns.New(sns.Options{Region: stack.Region, Credentials: creds, BaseEndpoint: aws.String(e.SNS)})
		sqsClient = sqs.New(sqs.Options{Region: stack.Region, Credentials: creds, BaseEndpoint: aws.String(e.SQS)})
		*appURL = e.URL
		*queueURL = e.SQS + "/000000000000/EscalationQueue"
		*dlqURL = e.SQS + "/000000000000/EscalationDeadLetterQueue"
		if r.Now, err = localNow(ctx, e.URL); err != nil {
			return err
		}
	} else {
		if *table == "" || *appURL == "" {
			return errors.New("-table and -app-url are required (or -local)")
		}
		cfg, err := awsenv.Config()
		if err != nil {
			return err
		}
		st = store.New(store.NewClient(cfg), *table)
		snsClient = sns.NewFromConfig(cfg)
		sqsClient = sqs.NewFromConfig(cfg)
	}
	r.Outbox = st
	r.Publisher = alert.Publisher{SNS: snsClient, Routes: st, AppURL: *appURL}
	if *queueURL != "" && *dlqURL != "" {
		r.Queue, r.QueueURL, r.DeadLetterURL = sqsClient, *queueURL, *dlqURL
	}
	rep, err := r.Run(ctx)
	b, _ := json.Marshal(rep)
	fmt.Println(string(b))
	return err
}

// localNow reads the local stack's clock (GET /dev/clock): the product's now, which a test or
// a demo may have moved.
func localNow(ctx context.Context, url string) (time.Time, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url+"/dev/clock", nil)
	if err != nil {
		return time.Time{}, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return time.Time{}, fmt.Errorf("the local stack's clock: %w", err)
	}
	defer resp.Body.Close()
	var c struct {
		Now time.Time `json:"now"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil {
		return time.Time{}, fmt.Errorf("the local stack's clock: %w", err)
	}
	return c.Now, nil
}
