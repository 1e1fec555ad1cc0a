package awsenv_test

import (
	"context"
	"testing"

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
