// Package safeguarding is the domain: concerns, people and roles, the school calendar and the
// rules of docs/rules.md. It uses the standard library only: no AWS, no JSON tags, no I/O of its
// own. Storage and delivery are ports (interfaces) that adapters in shared/ implement.
//
// Time is always passed in from the event that caused the work; nothing here reads the wall
// clock, so every rule can be tested at any instant.
package safeguarding
