package store

import (
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// NewClient builds the DynamoDB client from a loaded AWS config. When the endpoint is set by
// AWS_ENDPOINT_URL_DYNAMODB (DynamoDB Local in the local stack), response checksums are not
// validated: DynamoDB Local does not compute them as DynamoDB does. Never in AWS.
func NewClient(cfg aws.Config) *dynamodb.Client {
	local := os.Getenv("AWS_ENDPOINT_URL_DYNAMODB") != ""
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.DisableValidateResponseChecksum = local
	})
}
