package dynamotest

import (
	"context"
	"maps"
	"sync"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/smithy-go/middleware"
)

// Counter counts the API calls of the clients it is installed on, per operation name
// (GetItem, TransactWriteItems ...), and injects faults. A call counts once however many times
// the SDK retries it; a call failed by FailNext counts too. It is safe for concurrent use.
type Counter struct {
	mu     sync.Mutex
	counts map[string]int
	faults map[string][]error
}

// NewCounter returns an empty Counter. Install it with Install or APIOption.
func NewCounter() *Counter {
	return &Counter{counts: map[string]int{}, faults: map[string][]error{}}
}

// Install adds the counter to client options: dynamodb.New(opts, c.Install), or as an
// option of a call.
func (c *Counter) Install(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, c.APIOption)
}

// APIOption adds the counter's middleware to an operation's stack (for Options.APIOptions).
func (c *Counter) APIOption(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("dynamotest.Counter",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (
			middleware.InitializeOutput, middleware.Metadata, error,
		) {
			if err := c.record(awsmiddleware.GetOperationName(ctx)); err != nil {
				return middleware.InitializeOutput{}, middleware.Metadata{}, err
			}
			return next.HandleInitialize(ctx, in)
		}), middleware.Before)
}

func (c *Counter) record(op string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.counts[op]++
	if q := c.faults[op]; len(q) > 0 {
		err := q[0]
		if len(q) == 1 {
			delete(c.faults, op)
		} else {
			c.faults[op] = q[1:]
		}
		return err
	}
	return nil
}

// FailNext makes the next call of operation op (e.g. "TransactWriteItems") fail with err
// before anything is sent. The SDK wraps err in a *smithy.OperationError as it does a real
// error, so errors.As finds an injected *types.TransactionCanceledException. Calling it
// several times queues several failures, used one call each.
func (c *Counter) FailNext(op string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.faults[op] = append(c.faults[op], err)
}

// Pending returns how many injected failures of op are still waiting for a call.
func (c *Counter) Pending(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.faults[op])
}

// Count returns the number of calls of operation op so far.
func (c *Counter) Count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[op]
}

// Total returns the number of calls of every operation so far.
func (c *Counter) Total() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, v := range c.counts {
		n += v
	}
	return n
}

// Counts returns a copy of the counts per operation.
func (c *Counter) Counts() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.counts)
}

// Reset sets every count to zero and drops pending faults.
func (c *Counter) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.counts)
	clear(c.faults)
}
