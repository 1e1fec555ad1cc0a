// Package soak holds the tests that run the whole product with AWS's faults switched on
// (infra/local/stack's FaultSpec) and check that nothing is lost or doubled outside the named
// window: every concern that got a 201 exists once with its chronology and audit entries,
// and every alert the rules call for is published, or recovered by the redrive.
package soak
