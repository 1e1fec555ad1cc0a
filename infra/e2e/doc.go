// Package e2e holds end-to-end tests: the whole product in the local stack (the real
// bootstraps, DynamoDB Local, its stream, SNS) driven only through the HTTP contract of
// DESIGN.md, as the acceptance tests and a user's browser see it.
package e2e
