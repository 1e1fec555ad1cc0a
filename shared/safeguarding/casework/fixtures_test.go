package casework

import "github.com/keepsafe-schools/keepsafe/shared/safeguarding/safeguardingtest"

// The fixtures the domain packages' tests share.

var (
	teacher    = safeguardingtest.Teacher
	colleague  = safeguardingtest.Colleague
	dsl        = safeguardingtest.DSL
	head       = safeguardingtest.Head
	brookLane  = safeguardingtest.BrookLane
	london     = safeguardingtest.London
	newConcern = safeguardingtest.NewConcern
	record     = safeguardingtest.Record
)
