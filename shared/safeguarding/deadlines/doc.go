// Package deadlines is the deadline engine of rule D8: every 15 minutes it walks each school's
// due items (actions, phone calls agreed with families, a home visit's observations, next visit
// and check-out) one step up the ladder of their kind, the lone-worker policy of rule V8 for a
// visit's check-out, each step one conditional write with its alerts. The due items, their
// state and the ladder itself belong to the kernel (shared/safeguarding), since the records that
// carry them live in several capabilities.
//
// Time is passed in from the schedule's event; nothing here reads the wall clock.
package deadlines
