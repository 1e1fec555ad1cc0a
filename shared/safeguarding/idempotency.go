package safeguarding

import (
	"context"
	"errors"
	"time"
)

// Every write that carries an idempotency key is served once (Lambda and its triggers
// deliver at least once, and people tap twice): the store keeps a RequestRecord with the write,
// in its transaction, and a request that comes again with the key gets the first one's answer.
// The same key with another body is ErrIdempotencyMismatch. A use case asks its store for any
// earlier request with the key as it loads what it needs (one read), and answers with
// replayed; when two requests race, the store refuses the second write with
// ErrDuplicateRequest, and savedOnce answers it as the first one was answered.

// priorRequests is what answering a raced request needs of a store.
type priorRequests interface {
	PriorRequest(ctx context.Context, key RequestKey) (PriorRequest, error)
}

// replayed answers a request already served under its key: answer(prior) for the same body,
// ErrIdempotencyMismatch for another.
func Replayed[T any](prior PriorRequest, fingerprint string, answer func(PriorRequest) (T, error)) (T, error) {
	if prior.Fingerprint != fingerprint {
		var zero T
		return zero, ErrIdempotencyMismatch
	}
	return answer(prior)
}

// savedOnce is the answer to a write that carried key: made when the write succeeded; the
// first request's answer when the store refused it because the key was taken meanwhile; the
// error otherwise.
func SavedOnce[T any](ctx context.Context, st priorRequests, key RequestKey, fingerprint string, made T, err error, answer func(PriorRequest) (T, error)) (T, error) {
	var zero T
	if errors.Is(err, ErrDuplicateRequest) {
		prior, err := st.PriorRequest(ctx, key)
		if err != nil {
			return zero, err
		}
		return Replayed(prior, fingerprint, answer)
	}
	if err != nil {
		return zero, err
	}
	return made, nil
}

// receiptOf answers with the receipt the first request got.
func ReceiptOf(prior PriorRequest) (Receipt, error) { return prior.Receipt, nil }

// ErrDuplicateRequest: a store refused a write because its idempotency key was already taken.
var ErrDuplicateRequest = errors.New("duplicate request")

// RequestKey scopes an Idempotency-Key to the person and school that sent it. An empty Key
// means the client sent none.
type RequestKey struct {
	School SchoolID
	Actor  string
	Key    string
}

// PriorRequest is what a store remembers of a request that carried an idempotency key.
type PriorRequest struct {
	Fingerprint string
	Receipt     Receipt
}

// Receipt is what a write returns, first time and on every replay: the id of the record it
// made and, for a concern, its reference and lateness (rule C3).
type Receipt struct {
	ID          string
	Reference   string
	RecordedAt  time.Time
	Late        bool
	MinutesLate int
	// Version is the version a change made, for a record kept as versions (contact details).
	Version int
}

// RequestRecord is saved with a write that carried an idempotency key.
type RequestRecord struct {
	Key         RequestKey
	Fingerprint string
	Receipt     Receipt
}
