package concerns

import (
	"github.com/keepsafe-schools/keepsafe/shared/safeguarding/safeguardingtest"
)

// The fixtures the domain packages' tests share.
const school = safeguardingtest.School

var (
	teacher   = safeguardingtest.Teacher
	colleague = safeguardingtest.Colleague
	dsl       = safeguardingtest.DSL
	head      = safeguardingtest.Head
	governor  = safeguardingtest.Governor
	outsider  = safeguardingtest.Outsider
	brookLane = safeguardingtest.BrookLane
	pupils    = safeguardingtest.Pupils
	london    = safeguardingtest.London
)
