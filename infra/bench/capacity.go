package main

import (
	"context"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
)

// capacityMeter is an SDK middleware that asks DynamoDB for the capacity each read and write
// consumed (ReturnConsumedCapacity = TOTAL on Query, Scan, GetItem, BatchGetItem,
// TransactWriteItems, PutItem and UpdateItem) and adds it up per call kind ("Query GSI2",
// "Query", "GetItem" ...), beside the number of calls and of items returned (for a write, the
// items it writes). A call whose answer has
// no ConsumedCapacity is counted in missing, so a reader can tell when the figures are not
// DynamoDB's own. It is safe for concurrent use.
type capacityMeter struct {
	mu    sync.Mutex
	usage map[string]*callUsage
	// keep, when set, is given every item a Scan or Query returned (for measuring their sizes).
	keep func(label string, items []map[string]types.AttributeValue)
}

// callUsage is what the calls of one kind consumed.
type callUsage struct {
	Calls   int
	Units   float64 // capacity units DynamoDB reported
	Floored float64 // the same with every call counted at least 0.5 units
	Items   int     // items returned (after any filter)
	Scanned int     // items read before any filter (Query and Scan)
	Missing int     // answers without ConsumedCapacity
	// Documented is what a write costs the table by DynamoDB's documented prices: 1 WCU per KB
	// of each item put (rounded up), twice that in a transaction; its indexes' writes come on
	// top. DynamoDB Local's own figure for a transaction is far below it.
	Documented float64
}

func newCapacityMeter() *capacityMeter { return &capacityMeter{usage: map[string]*callUsage{}} }

// Install adds the meter to client options: dynamodb.New(opts, m.Install).
func (m *capacityMeter) Install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, m.apiOption)
}

func (m *capacityMeter) apiOption(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("bench.capacityMeter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error,
		) {
			label := awsmiddleware.GetOperationName(ctx)
			total := types.ReturnConsumedCapacityTotal
			written, documented := 0, 0.0
			// Copies, so that the caller's input (a paginator's, say) is left as it was.
			switch v := in.Parameters.(type) {
			case *dynamodb.QueryInput:
				c := *v
				c.ReturnConsumedCapacity = total
				in.Parameters = &c
				if c.IndexName != nil {
					label += " " + *c.IndexName
				}
			case *dynamodb.ScanInput:
				c := *v
				c.ReturnConsumedCapacity = total
				in.Parameters = &c
			case *dynamodb.GetItemInput:
				c := *v
				c.ReturnConsumedCapacity = total
				in.Parameters = &c
			case *dynamodb.BatchGetItemInput:
				c := *v
				c.ReturnConsumedCapacity = total
				in.Parameters = &c
			case *dynamodb.TransactWriteItemsInput:
				c := *v
				c.ReturnConsumedCapacity = total
				in.Parameters = &c
				written = len(c.TransactItems)
				for _, t := range c.TransactItems {
					switch {
					case t.Put != nil:
						documented += 2 * writeUnits(t.Put.Item)
					case t.Update != nil, t.Delete != nil, t.ConditionCheck != nil:
						documented += 2 // at least one KB each; their size is not in the request
					}
				}
			case *dynamodb.UpdateItemInput:
				c := *v
				c.ReturnConsumedCapacity = total
				in.Parameters = &c
				written, documented = 1, 1
			case *dynamodb.PutItemInput:
				c := *v
				c.ReturnConsumedCapacity = total
				in.Parameters = &c
				written, documented = 1, writeUnits(c.Item)
			}
			if documented > 0 {
				m.document(label, documented)
			}
			out, md, err := next.HandleInitialize(ctx, in)
			if err != nil {
				m.add(label, nil, 0, 0, false)
				return out, md, err
			}
			switch r := out.Result.(type) {
			case *dynamodb.QueryOutput:
				m.add(label, r.ConsumedCapacity, len(r.Items), int(r.ScannedCount), true)
				m.keepItems(label, r.Items)
			case *dynamodb.ScanOutput:
				m.add(label, r.ConsumedCapacity, len(r.Items), int(r.ScannedCount), true)
				m.keepItems(label, r.Items)
			case *dynamodb.GetItemOutput:
				n := 0
				if r.Item != nil {
					n = 1
				}
				m.add(label, r.ConsumedCapacity, n, n, true)
			case *dynamodb.BatchGetItemOutput:
				n := 0
				for _, items := range r.Responses {
					n += len(items)
				}
				m.add(label, sumCapacity(r.ConsumedCapacity), n, n, true)
			case *dynamodb.TransactWriteItemsOutput:
				m.add(label, sumCapacity(r.ConsumedCapacity), written, 0, true)
			case *dynamodb.UpdateItemOutput:
				m.add(label, r.ConsumedCapacity, written, 0, true)
			case *dynamodb.PutItemOutput:
				m.add(label, r.ConsumedCapacity, written, 0, true)
			default:
				m.add(label, nil, 0, 0, false)
			}
			return out, md, nil
		}), middleware.Before)
}

func sumCapacity(cs []types.ConsumedCapacity) *types.ConsumedCapacity {
	if cs == nil {
		return nil
	}
	total := 0.0
	for _, c := range cs {
		total += aws.ToFloat64(c.CapacityUnits)
	}
	return &types.ConsumedCapacity{CapacityUnits: &total}
}

// add notes one call. metered says whether the call is one that reports its capacity.
func (m *capacityMeter) add(label string, c *types.ConsumedCapacity, items, scanned int, metered bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.usage[label]
	if u == nil {
		u = &callUsage{}
		m.usage[label] = u
	}
	u.Calls++
	u.Items += items
	u.Scanned += scanned
	if !metered {
		return
	}
	if c == nil || c.CapacityUnits == nil {
		u.Missing++
		return
	}
	units := *c.CapacityUnits
	u.Units += units
	u.Floored += max(units, 0.5)
}

// document adds a write's documented units to its kind (before the call is counted).
func (m *capacityMeter) document(label string, units float64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.usage[label]
	if u == nil {
		u = &callUsage{}
		m.usage[label] = u
	}
	u.Documented += units
}

// writeUnits is what putting an item costs by DynamoDB's documented prices: 1 WCU per KB,
// rounded up.
func writeUnits(item map[string]types.AttributeValue) float64 {
	return math.Ceil(float64(itemSize(item)) / 1024)
}

func (m *capacityMeter) keepItems(label string, items []map[string]types.AttributeValue) {
	m.mu.Lock()
	keep := m.keep
	m.mu.Unlock()
	if keep != nil && len(items) > 0 {
		keep(label, items)
	}
}

// Keep sets (or, with nil, clears) the function given the items of every Scan and Query page.
func (m *capacityMeter) Keep(f func(label string, items []map[string]types.AttributeValue)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keep = f
}

// Reset forgets every call so far.
func (m *capacityMeter) Reset() {
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.usage)
}

// Snapshot returns a copy of the usage per call kind.
func (m *capacityMeter) Snapshot() usage {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := usage{}
	for k, v := range m.usage {
		out[k] = *v
	}
	return out
}

// usage is what each kind of call consumed over a stretch of work.
type usage map[string]callUsage

// reads sums the read calls (Query, Scan, GetItem, BatchGetItem).
func (u usage) reads() callUsage {
	var t callUsage
	for k, v := range u {
		if isRead(k) {
			t.Calls += v.Calls
			t.Units += v.Units
			t.Floored += v.Floored
			t.Items += v.Items
			t.Scanned += v.Scanned
			t.Missing += v.Missing
		}
	}
	return t
}

// writes sums the write calls (everything that is not a read).
func (u usage) writes() callUsage {
	var t callUsage
	for k, v := range u {
		if !isRead(k) {
			t.Calls += v.Calls
			t.Units += v.Units
			t.Items += v.Items
			t.Missing += v.Missing
			t.Documented += v.Documented
		}
	}
	return t
}

func isRead(label string) bool {
	op, _, _ := strings.Cut(label, " ")
	return op == "Query" || op == "Scan" || op == "GetItem" || op == "BatchGetItem"
}

// labels lists the call kinds, reads first, each group in name order.
func (u usage) labels() []string {
	ls := slices.Collect(maps.Keys(u))
	slices.SortFunc(ls, func(a, b string) int {
		if ra, rb := isRead(a), isRead(b); ra != rb {
			if ra {
				return -1
			}
			return 1
		}
		return strings.Compare(a, b)
	})
	return ls
}

// Item sizes and read units as DynamoDB documents them, to work out what reading a given set
// of items needs.

// readUnit is how many bytes one eventually consistent read unit (0.5 RCU) covers.
const readUnit = 4096

// itemSize is an item's size as DynamoDB bills it: the UTF-8 length of each attribute name
// plus the size of its value.
func itemSize(item map[string]types.AttributeValue) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(v types.AttributeValue) int {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return len(v.Value)
	case *types.AttributeValueMemberN:
		return numberSize(v.Value)
	case *types.AttributeValueMemberB:
		return len(v.Value)
	case *types.AttributeValueMemberBOOL, *types.AttributeValueMemberNULL:
		return 1
	case *types.AttributeValueMemberSS:
		n := 0
		for _, s := range v.Value {
			n += len(s)
		}
		return n
	case *types.AttributeValueMemberNS:
		n := 0
		for _, s := range v.Value {
			n += numberSize(s)
		}
		return n
	case *types.AttributeValueMemberBS:
		n := 0
		for _, b := range v.Value {
			n += len(b)
		}
		return n
	case *types.AttributeValueMemberL:
		n := 3 // a list or map: 3 bytes, and 1 byte for each element
		for _, e := range v.Value {
			n += 1 + valueSize(e)
		}
		return n
	case *types.AttributeValueMemberM:
		n := 3
		for k, e := range v.Value {
			n += 1 + len(k) + valueSize(e)
		}
		return n
	}
	return 0
}

// numberSize is about 1 byte per two significant digits, plus 1 (leading and trailing zeros
// do not count).
func numberSize(s string) int {
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	digits := strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, s)
	digits = strings.Trim(digits, "0")
	return (len(digits)+1)/2 + 1
}

// readUnits is what an eventually consistent read of bytes in one response needs: 0.5 RCU per
// 4 KB, rounded up.
func readUnits(bytes int) float64 {
	return 0.5 * math.Ceil(float64(bytes)/readUnit)
}
