package stack

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	sqstypes "github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

func TestSQSStandInReadsTheTemplatesQueuesAndConsumers(t *testing.T) {
	tpl, err := template.LoadDefault()
	if err != nil {
		t.Fatal(err)
	}
	fn := &function{name: "EscalationFunction"}
	queues := sqsQueues(tpl, map[string]*function{"EscalationFunction": fn})
	q, ok := queues["EscalationQueue"]
	if !ok || q.consumer != fn || q.batchSize != 5 || q.maxReceives != 3 {
		t.Fatalf("EscalationQueue: %+v", q)
	}
	s := &sqsServer{endpoint: "http://sqs.local"}
	if env := s.env(tpl, "EscalationFunction"); env["ESCALATION_QUEUE_URL"] != "http://sqs.local/000000000000/EscalationQueue" {
		t.Errorf("env %v", env)
	}
}

// The real SQS client sends to the stand-in (it checks each body's MD5); a queue nobody reads
// keeps its messages as dead letters.
func TestSQSStandInAnswersTheRealClient(t *testing.T) {
	s := &sqsServer{log: slog.New(slog.NewTextHandler(io.Discard, nil)), queues: map[string]*localQueue{"Q": {name: "Q", batchSize: 10, maxReceives: 3}}}
	srv := httptest.NewServer(s)
	defer srv.Close()
	client := sqs.New(sqs.Options{Region: Region, BaseEndpoint: aws.String(srv.URL),
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")})
	out, err := client.SendMessageBatch(context.Background(), &sqs.SendMessageBatchInput{QueueUrl: aws.String(srv.URL + "/000000000000/Q"),
		Entries: []sqstypes.SendMessageBatchRequestEntry{{Id: aws.String("a"), MessageBody: aws.String(`{"school":"x"}`)}, {Id: aws.String("b"), MessageBody: aws.String("two")}}})
	if err != nil || len(out.Successful) != 2 {
		t.Fatalf("%+v %v", out, err)
	}
	if len(s.dead) != 2 || s.dead[1].Body != "two" {
		t.Errorf("dead letters %+v", s.dead)
	}
	if _, err := client.SendMessage(context.Background(), &sqs.SendMessageInput{QueueUrl: aws.String(srv.URL + "/000000000000/Nope"), MessageBody: aws.String("x")}); err == nil {
		t.Error("a queue that does not exist took a message")
	}
}
