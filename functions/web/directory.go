package main

import (
	"github.com/keepsafe-schools/keepsafe/shared/store"
)

// The store is the pages' directory of people, schools and pupils: the signed-in person, a
// school's roster, the pupil search and pupils' names in one batch read.
var _ directory = (*store.Store)(nil)
