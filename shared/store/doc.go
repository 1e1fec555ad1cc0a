// Package store is the DynamoDB adapter: one table, generic key names (PK, SK, GSI1PK,
// GSI1SK), entity prefixes, named converters (toItem / fromItem) between the domain and the
// stored items, and every write of a command in one TransactWriteItems. docs/data.md lists the
// access patterns and the keys that serve them.
package store
