// Package exports takes a pupil's record off the screen (rule D10): the chronology to print or
// send as a PDF, and everything held about the pupil for a subject access request or a court.
// Only the school's DSLs and its Senior DSL produce either, each production is audited (P4),
// and neither holds a concern the producer may not see (C5: one about them).
package exports
