package template

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"
)

// TableLogicalID is the logical ID of the single table in template.yaml.
const TableLogicalID = "Table"

// KeyElement is one element of a key schema.
type KeyElement struct {
	AttributeName string
	KeyType       string // HASH or RANGE
}

// AttributeDefinition declares the type of a key attribute.
type AttributeDefinition struct {
	AttributeName string
	AttributeType string // S, N or B
}

// Index is a global or local secondary index.
type Index struct {
	IndexName        string
	KeySchema        []KeyElement
	ProjectionType   string // ALL, KEYS_ONLY or INCLUDE
	NonKeyAttributes []string
}

// TableDef is the definition of an AWS::DynamoDB::Table resource.
type TableDef struct {
	LogicalID              string
	BillingMode            string
	KeySchema              []KeyElement
	AttributeDefinitions   []AttributeDefinition
	GlobalSecondaryIndexes []Index
	LocalSecondaryIndexes  []Index
	// TTLAttribute is the attribute that holds the expiry (epoch seconds), "" when TTL is off.
	TTLAttribute string
	// StreamViewType is NEW_IMAGE, NEW_AND_OLD_IMAGES ..., "" when the table has no stream.
	StreamViewType      string
	PointInTimeRecovery bool
	DeletionProtection  bool
	SSEEnabled          bool
}

// Table returns the definition of the resource named Table (an AWS::DynamoDB::Table).
func (t *Template) Table() (TableDef, error) {
	return t.TableByID(TableLogicalID)
}

// TableByID returns the definition of the AWS::DynamoDB::Table with the given logical ID.
func (t *Template) TableByID(logicalID string) (TableDef, error) {
	r, ok := t.Resource(logicalID)
	if !ok {
		return TableDef{}, fmt.Errorf("template: no resource %s", logicalID)
	}
	if r.Type != "AWS::DynamoDB::Table" {
		return TableDef{}, fmt.Errorf("template: %s is %s, not AWS::DynamoDB::Table", logicalID, r.Type)
	}
	p := r.Properties
	d := TableDef{
		LogicalID:           logicalID,
		BillingMode:         literal(get(p, "BillingMode")),
		KeySchema:           keySchema(get(p, "KeySchema")),
		PointInTimeRecovery: literal(get(get(p, "PointInTimeRecoverySpecification"), "PointInTimeRecoveryEnabled")) == "true",
		DeletionProtection:  literal(get(p, "DeletionProtectionEnabled")) == "true",
		SSEEnabled:          literal(get(get(p, "SSESpecification"), "SSEEnabled")) == "true",
		StreamViewType:      literal(get(get(p, "StreamSpecification"), "StreamViewType")),
	}
	if d.BillingMode == "" {
		d.BillingMode = "PROVISIONED"
	}
	for _, a := range items(get(p, "AttributeDefinitions")) {
		d.AttributeDefinitions = append(d.AttributeDefinitions, AttributeDefinition{
			AttributeName: literal(get(a, "AttributeName")),
			AttributeType: literal(get(a, "AttributeType")),
		})
	}
	d.GlobalSecondaryIndexes = indexes(get(p, "GlobalSecondaryIndexes"))
	d.LocalSecondaryIndexes = indexes(get(p, "LocalSecondaryIndexes"))
	if ttl := get(p, "TimeToLiveSpecification"); ttl != nil && literal(get(ttl, "Enabled")) == "true" {
		d.TTLAttribute = literal(get(ttl, "AttributeName"))
	}
	if len(d.KeySchema) == 0 {
		return TableDef{}, fmt.Errorf("template: %s has no KeySchema", logicalID)
	}
	return d, nil
}

func keySchema(n *yaml.Node) []KeyElement {
	var out []KeyElement
	for _, k := range items(n) {
		out = append(out, KeyElement{AttributeName: literal(get(k, "AttributeName")), KeyType: literal(get(k, "KeyType"))})
	}
	return out
}

func indexes(n *yaml.Node) []Index {
	var out []Index
	for _, g := range items(n) {
		ix := Index{
			IndexName:      literal(get(g, "IndexName")),
			KeySchema:      keySchema(get(g, "KeySchema")),
			ProjectionType: literal(get(get(g, "Projection"), "ProjectionType")),
		}
		for _, a := range items(get(get(g, "Projection"), "NonKeyAttributes")) {
			ix.NonKeyAttributes = append(ix.NonKeyAttributes, literal(a))
		}
		out = append(out, ix)
	}
	return out
}

// Key returns the attribute name of the HASH (kind "HASH") or RANGE key of the table, "" if none.
func (d TableDef) Key(kind string) string {
	for _, k := range d.KeySchema {
		if k.KeyType == kind {
			return k.AttributeName
		}
	}
	return ""
}

// GSI returns the global secondary index with the given name.
func (d TableDef) GSI(name string) (Index, bool) {
	for _, ix := range d.GlobalSecondaryIndexes {
		if ix.IndexName == name {
			return ix, true
		}
	}
	return Index{}, false
}

// CreateTableInput returns the input that creates this table under another name: on-demand
// billing, the same keys, attribute definitions and indexes, and a stream when the template
// has one. Encryption, point-in-time recovery and deletion protection are left out: they are
// deployment settings, and a test table must be deletable. TTL is set with UpdateTimeToLive
// once the table exists (see TTLAttribute).
func (d TableDef) CreateTableInput(name string) *dynamodb.CreateTableInput {
	in := &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		KeySchema:   sdkKeySchema(d.KeySchema),
	}
	for _, a := range d.AttributeDefinitions {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(a.AttributeName),
			AttributeType: types.ScalarAttributeType(a.AttributeType),
		})
	}
	for _, ix := range d.GlobalSecondaryIndexes {
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, types.GlobalSecondaryIndex{
			IndexName:  aws.String(ix.IndexName),
			KeySchema:  sdkKeySchema(ix.KeySchema),
			Projection: sdkProjection(ix),
		})
	}
	for _, ix := range d.LocalSecondaryIndexes {
		in.LocalSecondaryIndexes = append(in.LocalSecondaryIndexes, types.LocalSecondaryIndex{
			IndexName:  aws.String(ix.IndexName),
			KeySchema:  sdkKeySchema(ix.KeySchema),
			Projection: sdkProjection(ix),
		})
	}
	if d.StreamViewType != "" {
		in.StreamSpecification = &types.StreamSpecification{
			StreamEnabled:  aws.Bool(true),
			StreamViewType: types.StreamViewType(d.StreamViewType),
		}
	}
	return in
}

func sdkKeySchema(ks []KeyElement) []types.KeySchemaElement {
	out := make([]types.KeySchemaElement, 0, len(ks))
	for _, k := range ks {
		out = append(out, types.KeySchemaElement{AttributeName: aws.String(k.AttributeName), KeyType: types.KeyType(k.KeyType)})
	}
	return out
}

func sdkProjection(ix Index) *types.Projection {
	pt := ix.ProjectionType
	if pt == "" {
		pt = string(types.ProjectionTypeAll)
	}
	p := &types.Projection{ProjectionType: types.ProjectionType(pt)}
	if len(ix.NonKeyAttributes) > 0 {
		p.NonKeyAttributes = append([]string(nil), ix.NonKeyAttributes...)
	}
	return p
}
