package dynamodblocal

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/keepsafe-schools/keepsafe/infra/template"
)

// TableDef reads the table definition from template.yaml (found by walking up from the
// working directory).
func TableDef() (template.TableDef, error) {
	t, err := template.LoadDefault()
	if err != nil {
		return template.TableDef{}, err
	}
	return t.Table()
}

// CreateTable creates a table called name as template.yaml defines it, waits until it is
// ACTIVE and turns on its TTL.
func CreateTable(ctx context.Context, client *dynamodb.Client, name string) error {
	def, err := TableDef()
	if err != nil {
		return fmt.Errorf("dynamodblocal: %w", err)
	}
	return CreateTableFromDef(ctx, client, def, name)
}

// CreateScratchTable is CreateTable without the table's stream, for a table whose stream
// nothing reads (the tests' and the benchmarks' tables; the local stack reads its own).
// DynamoDB Local keeps every stream record for a day, even after its table is deleted, and
// every write to the server slows as they pile up: after 25,000 items written with a stream,
// 300 writes and 100 Queries on another table took 7 times as long, and as long again once
// that table was deleted; after 25,000 written without one, no longer.
func CreateScratchTable(ctx context.Context, client *dynamodb.Client, name string) error {
	def, err := TableDef()
	if err != nil {
		return fmt.Errorf("dynamodblocal: %w", err)
	}
	def.StreamViewType = ""
	return CreateTableFromDef(ctx, client, def, name)
}

// CreateTableFromDef is CreateTable with a definition already read.
func CreateTableFromDef(ctx context.Context, client *dynamodb.Client, def template.TableDef, name string) error {
	if _, err := client.CreateTable(ctx, def.CreateTableInput(name)); err != nil {
		return fmt.Errorf("dynamodblocal: create table %s: %w", name, err)
	}
	if err := waitActive(ctx, client, name); err != nil {
		return err
	}
	if def.TTLAttribute != "" {
		_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(def.TTLAttribute),
				Enabled:       aws.Bool(true),
			},
		})
		if err != nil {
			return fmt.Errorf("dynamodblocal: TTL on %s: %w", name, err)
		}
	}
	return nil
}

func waitActive(ctx context.Context, client *dynamodb.Client, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			return fmt.Errorf("dynamodblocal: describe table %s: %w", name, err)
		}
		active := out.Table.TableStatus == types.TableStatusActive
		for _, g := range out.Table.GlobalSecondaryIndexes {
			if g.IndexStatus != "" && g.IndexStatus != types.IndexStatusActive {
				active = false
			}
		}
		if active {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dynamodblocal: table %s not ACTIVE: %w", name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}
