package casework

import (
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/concerns/concernstest"
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/safeguardingtest"
)

// The fixtures the domain packages' tests share.

var (
	teacher    = safeguardingtest.Teacher
	colleague  = safeguardingtest.Colleague
	dsl        = safeguardingtest.DSL
	head       = safeguardingtest.Head
	brookLane  = safeguardingtest.BrookLane
	london     = safeguardingtest.London
	newConcern = concernstest.NewConcern
	record     = concernstest.Record
)
