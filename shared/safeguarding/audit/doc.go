// Package audit is the reading of the audit trail (rule P4): the Senior DSL and the DSLs of a
// school read who opened or changed what, by pupil, by person and by dates, newest first, a
// page at a time; each reading is itself audited; and an entry about a concern that rule C5
// hides from the reader is never shown to them. The filter and its checks are in filter.go,
// the use case in read.go, the plain words for each entry in words.go.
package audit
