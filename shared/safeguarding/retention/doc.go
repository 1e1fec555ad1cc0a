// Package retention is rule S7: a child's safeguarding records are kept until the child's
// 25th birthday (longer under a legal hold) and then flagged for review; nothing is deleted
// automatically.
//
// The Senior DSL reads the list of the school's pupils with safeguarding records (at least one
// chronology entry) whose 25th birthday falls on or before a date, soonest first, with how
// many records each has and any legal hold. A pupil under a legal hold is off the list unless
// the reader asks to see held pupils too. The Senior DSL places a hold on a pupil's records
// with a reason (and, if they wish, a date to review it) and lifts it with a reason; each
// change is a new version of the pupil's hold, against the version read (a stale one is a
// conflict), audited, and idempotent under its request key.
//
// Nothing here deletes or changes a record: the list only says which records are due a
// review, and a pupil past 25 stays on it, with every record, until a person acts.
//
// It depends on the kernel only.
package retention
