// Package reports gives the school's governors and Ofsted the anonymised figures of its
// safeguarding work (rule D10, P2): concerns by category, priority and month, how soon the
// DSLs acted on them (the share of rule D1 met on time), referrals made, and families heard
// from or gone missing during a closure. The figures come from monthly counters the store
// keeps as the records are written, never from reading the records, so a report holds no
// name and reads a handful of items. Only the school's DSLs, its Senior DSL and its
// governors read one, and each reading is audited (P4).
package reports
