package store

import (
	"context"
	"fmt"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
)

// batch is what one command or page reads in one BatchGetItem: each key with the item it
// fills when found (an item not found stays zero). Most start from the same three: the
// viewer's profile, their school and any earlier request with the command's idempotency key.
type batch struct {
	items map[key]any
	after []func() error
}

func newBatch() *batch { return &batch{items: map[key]any{}} }

// item reads the item under k into dst.
func (b *batch) item(k key, dst any) *batch {
	b.items[k] = dst
	return b
}

// viewer reads the person's profile into p, their email set.
func (b *batch) viewer(email string, p *safeguarding.Principal) *batch {
	var u userItem
	b.items[userKey(email)] = &u
	b.after = append(b.after, func() error {
		*p = userFromItem(u)
		p.Email = email
		return nil
	})
	return b
}

// school reads the school into sc; a school that does not exist, or of which the viewer read
// into p is not a member, is ErrForbidden.
func (b *batch) school(school safeguarding.SchoolID, p *safeguarding.Principal, sc *safeguarding.School) *batch {
	var it schoolItem
	b.items[schoolKey(school)] = &it
	b.after = append(b.after, func() error {
		if it.ID == "" || !p.IsMember(school) {
			return fmt.Errorf("school %q: %w", school, safeguarding.ErrForbidden)
		}
		*sc = schoolFromItem(it)
		return nil
	})
	return b
}

// prior reads what the store remembers of an earlier request with rk's key into prior (nil
// when there is none, or the request carries no key).
func (b *batch) prior(rk safeguarding.RequestKey, prior **safeguarding.PriorRequest) *batch {
	if rk.Key == "" {
		return b
	}
	var it requestItem
	b.items[requestKey(rk)] = &it
	b.after = append(b.after, func() error {
		if it.Type != "" {
			p := requestFromItem(it)
			*prior = &p
		}
		return nil
	})
	return b
}

// load reads the batch in one BatchGetItem and fills each destination, in the order added.
func (s *Store) load(ctx context.Context, b *batch) error {
	keys := make([]key, 0, len(b.items))
	for k := range b.items {
		keys = append(keys, k)
	}
	found, err := s.batchGet(ctx, keys)
	if err != nil {
		return err
	}
	for k, dst := range b.items {
		if err := unmarshalFound(found, k, dst); err != nil {
			return err
		}
	}
	for _, f := range b.after {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}
