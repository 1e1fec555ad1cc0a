// Package tableflag names the table an operator's one-off command works on: the stack's table
// in AWS (-table, or TABLE_NAME; the credentials and region from the environment), or the
// local stack's that `make run` is running (-local, its data folder given by -local-data or
// found beside template.yaml).
package tableflag

import (
	"errors"
	"flag"
	"os"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/keepsafe-schools/keepsafe/infra/dynamodblocal"
	"github.com/keepsafe-schools/keepsafe/infra/local/stack"
	"github.com/keepsafe-schools/keepsafe/shared/awsenv"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// Table is the table the flags name.
type Table struct {
	name    *string
	local   *bool
	dataDir *string
}

// Define defines -table, -local and -local-data on fs.
func Define(fs *flag.FlagSet) *Table {
	return &Table{
		name:    fs.String("table", os.Getenv("TABLE_NAME"), "the stack's DynamoDB table (TABLE_NAME)"),
		local:   fs.Bool("local", false, "the local stack `make run` is running, instead of AWS"),
		dataDir: fs.String("local-data", "", "the local stack's data folder (.cache/data beside template.yaml)"),
	}
}

// Open gives a client of the table's DynamoDB and the table's name, once the flags are parsed.
func (t *Table) Open() (*dynamodb.Client, string, error) {
	if *t.local {
		e, err := stack.RunningEndpoints(*t.dataDir)
		if err != nil {
			return nil, "", err
		}
		return dynamodblocal.NewClient(e.DynamoDB), e.Table, nil
	}
	if *t.name == "" {
		return nil, "", errors.New("give -table (or TABLE_NAME), or -local")
	}
	cfg, err := awsenv.Config()
	if err != nil {
		return nil, "", err
	}
	return store.NewClient(cfg), *t.name, nil
}
