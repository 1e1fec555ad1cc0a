// Package safeguarding is the domain's kernel: identifiers, schools, people and roles (who may
// do what: access.go), calendars, errors, audit, visibility, chronology entries, alerts, the
// idempotency of writes, due items and the ladder of rule D8 (with rule V8's policy for a
// visit's check-out). The capabilities build on it, one package each below this folder: the
// concerns (concerns), case work (casework), the deadline engine (deadlines), home visits
// (visits), families and their contact details (contact) and families who go quiet
// (engagement). The kernel holds what two or more of them share; it imports no capability.
//
// It uses the standard library only: no AWS, no JSON tags, no I/O of its own. Storage and
// delivery are ports (interfaces) that adapters in shared/ implement.
//
// Time is always passed in from the event that caused the work; nothing here reads the wall
// clock, so every rule can be tested at any instant.
package safeguarding
