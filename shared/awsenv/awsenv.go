// Package awsenv builds the AWS SDK's configuration from the environment Lambda gives every
// function: the region, the execution role's credentials and, in the local stack, an endpoint
// per service (AWS_ENDPOINT_URL_DYNAMODB, _SNS, _SQS, _S3).
//
// It stands in for config.LoadDefaultConfig, which reads the same variables but also links in
// the shared config files and the SSO, sign-in, STS and instance-metadata providers. A Lambda
// uses none of them, and their package initialisation alone costs a few milliseconds of every
// cold start.
package awsenv

import (
	"context"
	"errors"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/credentials"
)

// MaxAttempts is how many times a client tries one call, the first included: two more than
// the SDK's default of three, so that a burst of throttling (DynamoDB's or SNS's) is ridden out
// inside the function rather than failing a request or a stream batch, and still well within
// a function's timeout (the backoff is capped at 20 s; the first retries wait well under one).
const MaxAttempts = 5

// Retryer is the retry policy of every client: the SDK's adaptive mode, which AWS recommends
// where throttling is expected. It is the standard mode (exponential backoff with the SDK's
// full jitter, a retry quota that stops retries when most calls fail, so a failing service is
// not made worse) plus a client-side rate limiter that slows the client down when it is
// throttled. Each client gets its own (the quota and the rate are per client).
func Retryer() aws.Retryer {
	return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
		o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) {
			so.MaxAttempts = MaxAttempts
		})
	})
}

// Config reads AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.
// Every service client built from it takes its endpoint from AWS_ENDPOINT_URL_<SERVICE> when
// that is set, or else from AWS_ENDPOINT_URL, as the SDK's own loader would. Every client
// retries as Retryer says.
func Config() (aws.Config, error) {
	region := os.Getenv("AWS_REGION")
	if region == "" {
		return aws.Config{}, errors.New("AWS_REGION is not set")
	}
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return aws.Config{}, errors.New("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must both be set")
	}
	cfg := aws.Config{
		Region:        region,
		Credentials:   credentials.NewStaticCredentialsProvider(id, secret, os.Getenv("AWS_SESSION_TOKEN")),
		ConfigSources: []any{endpoints{}},
		RetryMode:     aws.RetryModeAdaptive,
		Retryer:       Retryer,
	}
	if url := os.Getenv("AWS_ENDPOINT_URL"); url != "" {
		cfg.BaseEndpoint = aws.String(url)
	}
	return cfg, nil
}

// endpoints answers each service client's question "is there an endpoint for me?" from
// AWS_ENDPOINT_URL_<SERVICE ID>, the service ID upper-cased with spaces as underscores.
type endpoints struct{}

func (endpoints) GetServiceBaseEndpoint(_ context.Context, sdkID string) (string, bool, error) {
	name := "AWS_ENDPOINT_URL_" + strings.ReplaceAll(strings.ToUpper(sdkID), " ", "_")
	url := os.Getenv(name)
	return url, url != "", nil
}
