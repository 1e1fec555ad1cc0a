package awsenv_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/sns"

	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
)

func setLambdaEnv(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_REGION", "eu-west-2")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_SESSION_TOKEN", "session")
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "")
	t.Setenv("AWS_ENDPOINT_URL_SNS", "")
}

func TestConfigTakesRegionAndRoleCredentials(t *testing.T) {
	setLambdaEnv(t)
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Region != "eu-west-2" {
		t.Errorf("region %q, want eu-west-2", cfg.Region)
	}
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if creds.AccessKeyID != "AKIDEXAMPLE" || creds.SecretAccessKey != "secret" || creds.SessionToken != "session" {
		t.Errorf("credentials %+v are not the environment's", creds)
	}
	if o := dynamodb.NewFromConfig(cfg).Options(); o.BaseEndpoint != nil {
		t.Errorf("with no override DynamoDB's endpoint should come from its region, got %q", *o.BaseEndpoint)
	}
}

func TestConfigRefusesAMissingRegionOrCredentials(t *testing.T) {
	for _, unset := range []string{"AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} {
		t.Run(unset, func(t *testing.T) {
			setLambdaEnv(t)
			t.Setenv(unset, "")
			if _, err := awsenv.Config(); err == nil {
				t.Errorf("Config() with %s unset gave no error", unset)
			}
		})
	}
}

func TestConfigGivesEachServiceItsOwnEndpoint(t *testing.T) {
	setLambdaEnv(t)
	t.Setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000")
	t.Setenv("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9000/sns")
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	if got := dynamodb.NewFromConfig(cfg).Options().BaseEndpoint; got == nil || *got != "http://127.0.0.1:8000" {
		t.Errorf("DynamoDB endpoint %v, want http://127.0.0.1:8000", got)
	}
	if got := sns.NewFromConfig(cfg).Options().BaseEndpoint; got == nil || *got != "http://127.0.0.1:9000/sns" {
		t.Errorf("SNS endpoint %v, want http://127.0.0.1:9000/sns", got)
	}
}

func TestConfigFallsBackToTheGlobalEndpoint(t *testing.T) {
	setLambdaEnv(t)
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")
	t.Setenv("AWS_ENDPOINT_URL_SNS", "http://127.0.0.1:9000/sns")
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	if got := dynamodb.NewFromConfig(cfg).Options().BaseEndpoint; got == nil || *got != "http://127.0.0.1:4566" {
		t.Errorf("DynamoDB endpoint %v, want the global http://127.0.0.1:4566", got)
	}
	if got := sns.NewFromConfig(cfg).Options().BaseEndpoint; got == nil || *got != "http://127.0.0.1:9000/sns" {
		t.Errorf("SNS endpoint %v, want its own http://127.0.0.1:9000/sns", got)
	}
}

func TestConfigGivesEveryClientAdaptiveRetriesWithABoundedBudget(t *testing.T) {
	setLambdaEnv(t)
	cfg, err := awsenv.Config()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.RetryMode != aws.RetryModeAdaptive {
		t.Errorf("retry mode %q, want adaptive", cfg.RetryMode)
	}
	for name, r := range map[string]aws.Retryer{
		"dynamodb": dynamodb.NewFromConfig(cfg).Options().Retryer,
		"sns":      sns.NewFromConfig(cfg).Options().Retryer,
	} {
		if _, ok := r.(*retry.AdaptiveMode); !ok {
			t.Errorf("%s retryer is %T, want *retry.AdaptiveMode", name, r)
		}
		if got := r.MaxAttempts(); got != awsenv.MaxAttempts || got < 3 || got > 10 {
			t.Errorf("%s max attempts %d, want %d (bounded)", name, got, awsenv.MaxAttempts)
		}
	}
	// Each client has its own retryer: its quota and rate are not shared with another's.
	if a, b := dynamodb.NewFromConfig(cfg).Options().Retryer, dynamodb.NewFromConfig(cfg).Options().Retryer; a == b {
		t.Error("two clients share one retryer")
	}
}

func TestRetryerKeepsTheRetryQuota(t *testing.T) {
	r := awsenv.Retryer()
	// The quota (a token bucket of 500, some tokens per retry of a transient error) runs out
	// after a few dozen retries without a success: then the retryer refuses, so a failing
	// service is not flooded.
	ctx := context.Background()
	refused := false
	for range 200 {
		if _, err := r.GetRetryToken(ctx, errors.New("transient")); err != nil {
			refused = true
			break
		}
	}
	if !refused {
		t.Error("the retryer never ran out of retry quota")
	}
}
