package main

import (
	"context"
	"maps"
	"testing"

	"github.com/keepsafe-schools/keepsafe/infra/dynamotest"
)

// The round trips BENCHMARKS.md reports are the ones each use case makes: one write round trip
// per concern, one read and one audit write per opened file, four round trips a page of the
// audit trail. Calls, not time.
func TestRoundTripsPerOperation(t *testing.T) {
	if testing.Short() {
		t.Skip("each operation is also timed")
	}
	ops, err := roundTrips(context.Background(), dynamotest.Endpoint(t))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]int{
		"record a concern (2 pupils, high priority, Idempotency-Key)": {"BatchGetItem": 1, "TransactWriteItems": 1},
		"replay of the same Idempotency-Key":                          {"BatchGetItem": 1},
		// The concern has two pupils: the audit entry commits with the second's index item.
		"open a checked attachment (audited; signs a one-minute URL)": {"BatchGetItem": 1, "TransactWriteItems": 1},
		"read a page of the audit trail by person (audited)":          {"GetItem": 1, "Query": 1, "BatchGetItem": 1, "PutItem": 1},
		// Rule S5: recording a move is two round trips; sending reads the transfer (1), the
		// receiving school (1), the transfer again and the pupil's partition and roll (3), each
		// concern's partition (2), then writes one chunk and the send (2).
		"record a pupil's move to a school of the federation (S5; audited, on the deadline ladder)": {"BatchGetItem": 1, "TransactWriteItems": 1},
		"record a move and send the file within the federation (S5; a pupil with 2 concerns, one chunk)": {"BatchGetItem": 2,
			"TransactWriteItems": 3, "GetItem": 2, "Query": 4},
		// Rule S7: the reader, the index, one count per pupil listed, the pupils, the audit entry.
		"list the records reaching the 25th birthday (2 pupils listed; audited)": {"GetItem": 1, "Query": 3, "BatchGetItem": 1, "TransactWriteItems": 1},
		// Rules D9, C9: the calendar and the reader; open cases, recent concerns, overdue
		// actions and the pupils below 90% (no reasons read when there are none); the audit entry.
		"the SLT review: cases, overdue work, low attendance (audited)": {"GetItem": 2, "Query": 4, "TransactWriteItems": 1},
		// Rule D9 on the Senior DSL's home: the calendar and the reader, the open cases alone,
		// the audit entry (no pupil listed: no index item).
		"the Senior DSL's home: the complex cases due their review (audited)": {"GetItem": 2, "Query": 1, "PutItem": 1},
	}
	for _, op := range ops {
		t.Logf("%s: %v, %v each against DynamoDB Local", op.name, op.calls, op.perOp)
		if w, ok := want[op.name]; ok {
			if !maps.Equal(op.calls, w) {
				t.Errorf("%s: %v, want %v", op.name, op.calls, w)
			}
			delete(want, op.name)
		}
	}
	if len(want) > 0 {
		t.Errorf("not measured: %v", want)
	}
}
