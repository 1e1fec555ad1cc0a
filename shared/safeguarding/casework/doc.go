// Package casework is a DSL's work on a concern (rules D1-D9): actions with their rule-derived
// due times (D1-D5, action.go: a DSL action, a parent meeting, monitoring, a referral, a
// check-in), completed with an outcome, "I cannot follow this up" and reallocation by the
// Senior DSL (D6), each on the ladder of rule D8 as a due item; My work; closing, reopening and
// marking a case complex with kept reasons, and the SLT review list with complex cases due a
// review and pupils flagged for several concerns (D9, review.go). The use cases are in
// service.go, the concern's page with its case work in page.go (P4, D7), who may do what in
// access.go. A case is a concern: its status lives on the Concern.
package casework
