// Command echo is a test-only Lambda function for the local stack's tests. For an HTTP API
// event it answers with the event it received; for a stream batch it asks the test (at
// ECHO_SINK) what to answer; for anything else (a schedule) it returns the event. GET
// /echo/mark-sent marks the outbox item OUTBOX#echo sent, as the alerts function does, through
// the stack's DynamoDB (and its faults).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
)

func handle(ctx context.Context, raw json.RawMessage) (any, error) {
	var probe struct {
		Records        []json.RawMessage `json:"Records"`
		RequestContext json.RawMessage   `json:"requestContext"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, err
	}
	switch {
	case probe.RequestContext != nil:
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, err
		}
		switch ev.RawPath {
		case "/echo/fail":
			return nil, errors.New("failing on purpose")
		case "/echo/crash":
			os.Exit(3)
		case "/echo/slow":
			time.Sleep(300 * time.Millisecond)
		case "/echo/mark-sent":
			if err := markSent(ctx); err != nil {
				return nil, err
			}
		}
		return events.APIGatewayV2HTTPResponse{
			StatusCode:        200,
			Headers:           map[string]string{"Content-Type": "application/json", "X-Echo": "1"},
			MultiValueHeaders: map[string][]string{"X-Multi": {"a", "b"}},
			Cookies:           []string{"echo=1; Path=/; HttpOnly"},
			Body:              string(raw),
		}, nil
	case len(probe.Records) > 0:
		resp, err := http.Post(os.Getenv("ECHO_SINK"), "application/json", bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("sink said %d", resp.StatusCode)
		}
		return json.RawMessage(body), nil
	default:
		return map[string]any{"event": raw, "function": os.Getenv("AWS_LAMBDA_FUNCTION_NAME")}, nil
	}
}

// markSent writes the sentAt mark of the outbox item OUTBOX#echo.
func markSent(ctx context.Context) error {
	cfg, err := awsenv.Config()
	if err != nil {
		return err
	}
	_, err = dynamodb.NewFromConfig(cfg).UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String(os.Getenv("TABLE_NAME")),
		Key: map[string]types.AttributeValue{"PK": &types.AttributeValueMemberS{Value: "OUTBOX#echo"},
			"SK": &types.AttributeValueMemberS{Value: "OUTBOX"}},
		UpdateExpression:          aws.String("SET sentAt = :at"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":at": &types.AttributeValueMemberS{Value: time.Now().UTC().Format(time.RFC3339)}},
	})
	return err
}

func main() { lambda.Start(handle) }
