package main

import (
	"context"

	"github.com/keepsafe-schools/keepsafe/shared/safeguarding"
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// storeDirectory is the store seen as the pages' directory of people, schools and pupils.
type storeDirectory struct{ *store.Store }

var _ directory = storeDirectory{}

// Pupils reads the named pupils through the store's recording read (the author, the school
// and the pupils in one round trip), without an idempotency key.
func (d storeDirectory) Pupils(ctx context.Context, viewer string, school safeguarding.SchoolID, ids []safeguarding.PupilID) (map[safeguarding.PupilID]safeguarding.Pupil, error) {
	rec, err := d.LoadRecording(ctx, viewer, school, ids, safeguarding.RequestKey{})
	if err != nil {
		return nil, err
	}
	return rec.Pupils, nil
}
